import pytest

from tests.compute.pair import ENGINES, Suite


@pytest.fixture(params=ENGINES)
def suite(request):
    """The compute suite on one engine next to its models."""
    return Suite(request.param)
