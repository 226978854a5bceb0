"""Coverage of a py-evm replay: functions reached, branch directions, tracer off by default."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth.vm.forks.cancun.computation import CancunComputation

from harness.evm.compile import compile_contracts
from harness.fuzz.coverage import Recorder, coverage_report, decompress_srcmap, instruction_offsets, record
from harness.fuzz.runner import replay_sequences
from harness.fuzz.bpe.stake_manager import ACTORS
from harness.report.html import _coverage

SINK = ACTORS[0]
UNIT = 10**18


def _call(contract: str, function: str, *args: object) -> dict:
    return {"op": "call", "contract": contract, "function": function, "sender": SINK, "args": list(args)}


def _funded(sm: int) -> list[dict]:
    return [_call("TestToken", "mint", SINK, 1000 * UNIT), _call("TestToken", "approve", sm, 1000 * UNIT)]


@pytest.fixture(scope="module")
def solc_output():
    return compile_contracts().solc_output


def _run(fx, artifacts, solc_output, seq):
    with record(fx.engine) as rec:
        res = replay_sequences(fx, [seq])
    assert res.status == "PASSED", res.mismatch or res.message
    assert fx.engine.tracer is None
    return coverage_report(artifacts, solc_output, rec.hits(fx.addrs))["StakeManager"]


def _stake_zero_branch(cov: dict) -> dict:
    lines = Path("contracts/bpe/StakeManager.sol").read_text().splitlines()
    stake_line = next(i for i, t in enumerate(lines, 1) if "function stake(" in t)
    want = next(i for i, t in enumerate(lines, 1) if i > stake_line and "if (amount == 0)" in t)
    [b] = [b for b in cov["branches"] if b["file"] == "contracts/bpe/StakeManager.sol" and b["line"] == want]
    return b


def test_stake_reached_unstake_and_slash_not(pyevm_suite, artifacts, solc_output):
    sm = pyevm_suite.addrs["StakeManager"]
    cov = _run(pyevm_suite, artifacts, solc_output, _funded(sm) + [_call("StakeManager", "stake", 200 * UNIT)])
    fns = cov["functions"]
    assert fns["stake"]["reached"] and fns["stake"]["hits"] > 0
    assert not fns["unstake"]["reached"] and fns["unstake"]["hits"] == 0
    assert not fns["slash"]["reached"]
    assert "constructor" not in fns
    b = _stake_zero_branch(cov)
    assert (b["true"], b["false"]) == (False, True)
    t = cov["totals"]
    assert 0 < t["functions_reached"] < t["functions_total"]
    assert t["branch_directions_total"] == 2 * len(cov["branches"])
    json.dumps(cov)  # serialisable


def test_unstake_reached(pyevm_suite, artifacts, solc_output):
    sm = pyevm_suite.addrs["StakeManager"]
    seq = _funded(sm) + [_call("StakeManager", "stake", 200 * UNIT), _call("StakeManager", "unstake", 200 * UNIT)]
    cov = _run(pyevm_suite, artifacts, solc_output, seq)
    assert cov["functions"]["unstake"]["reached"]
    assert not cov["functions"]["slash"]["reached"]


def test_zero_amount_takes_both_directions(pyevm_suite, artifacts, solc_output):
    sm = pyevm_suite.addrs["StakeManager"]
    seq = _funded(sm) + [_call("StakeManager", "stake", 200 * UNIT), _call("StakeManager", "stake", 0)]
    b = _stake_zero_branch(_run(pyevm_suite, artifacts, solc_output, seq))
    assert (b["true"], b["false"]) == (True, True)


def test_report_is_deterministic(pyevm_suite, artifacts, solc_output):
    sm = pyevm_suite.addrs["StakeManager"]
    seq = _funded(sm) + [_call("StakeManager", "stake", 200 * UNIT)]
    a = _run(pyevm_suite, artifacts, solc_output, seq)
    b = _run(pyevm_suite, artifacts, solc_output, seq)
    assert json.dumps(a, sort_keys=False) == json.dumps(b, sort_keys=False)
    assert list(a["functions"]) == sorted(a["functions"])


def test_tracer_off_by_default(pyevm_suite):
    eng = pyevm_suite.engine
    assert eng.tracer is None
    # the live state builds computations from py-evm's own opcode table: no wrapper installed
    assert eng._state.computation_class.opcodes is CancunComputation.opcodes
    with record(eng):
        assert eng._state.computation_class.opcodes is not CancunComputation.opcodes
    assert eng._state.computation_class.opcodes is CancunComputation.opcodes
    pyevm_suite.reset()  # a reverted snapshot builds its state from the plain class too
    assert pyevm_suite.engine._state.computation_class.opcodes is CancunComputation.opcodes


def test_record_refuses_other_engines(pyrevm_suite):
    with pytest.raises(ValueError):
        with record(pyrevm_suite.engine):
            pass


def test_pc_and_srcmap_helpers():
    # PUSH2 0x0102, PUSH0, JUMPI: data bytes skipped
    assert instruction_offsets(bytes([0x61, 1, 2, 0x5F, 0x57])) == [0, 3, 4]
    assert decompress_srcmap("1:2:0:-;:3;;4::1:i") == [(1, 2, 0, "-"), (1, 3, 0, "-"), (1, 3, 0, "-"), (4, 3, 1, "i")]


def test_html_shows_unreached(pyevm_suite, artifacts, solc_output):
    rec = Recorder()
    html = _coverage(coverage_report(artifacts, solc_output, rec.hits(pyevm_suite.addrs)))
    assert "not reached" in html and "unreached" in html and "StakeManager" in html
