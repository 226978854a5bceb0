"""A pytest plugin for tests/test_tiers.py: after collection, write each test's tier and the checkers
it shows catching (`@pytest.mark.catches`) to the JSON file named by $TIER_REPORT. Marks are read from
the collected items, so marks on modules, classes, functions and parameters all count."""

from __future__ import annotations

import json
import os


def pytest_collection_finish(session) -> None:  # noqa: ANN001
    items = [{"id": item.nodeid, "slow": item.get_closest_marker("slow") is not None,
              "catches": [name for mark in item.iter_markers("catches") for name in mark.args]}
             for item in session.items]
    with open(os.environ["TIER_REPORT"], "w") as f:
        json.dump(items, f)
