"""A fuzz counterexample with a trace shows each call's outcome and decoded events in the HTML."""

from harness.report.html import render_html
from harness.report.results import Check, Results


def test_fuzz_counterexample_shows_outcomes_and_events():
    calls = [{"op": "call", "contract": "StakeManager", "function": "stake", "sender": 0xA1, "args": [10**20]}]
    trace = [{"outcome": "ok ()", "events": ["Staked(sink=0x00000000000000000000000000000000000000a1, "
                                             "amount=100000000000000000000, totalStake=100000000000000000000) @0x01"]}]
    r = Results(checks=[Check("FUZZ-StakeManager-pyrevm", "fuzz", "StakeManager", "VIOLATED", 1.0, "t",
                              {"counterexample": {"calls": calls, "trace": trace}, "message": "differs"})])
    html = render_html(r)
    assert "StakeManager.stake(" in html
    assert "&rarr; ok ()" in html
    assert "event Staked(sink=0x00000000000000000000000000000000000000a1" in html
