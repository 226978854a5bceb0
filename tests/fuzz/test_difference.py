"""Difference records: what the differential step produces, how a Mismatch renders them, how they
round-trip through a replay file, and that the mutation runner credits a kill by a record's kind."""

from __future__ import annotations

import json

import pytest

from harness.fuzz.difference import Difference, value_difference
from harness.fuzz.differential import Mismatch
from harness.fuzz.runner import READABLE_SCHEMAS, REPLAY_SCHEMA, load_replay, save_replay
from harness.mutate.run import classify, primary
from specs.errors import InputError

STEP = {"op": "call", "contract": "StakeManager", "function": "stake", "sender": 0xA1, "args": [10**20]}
RECORDS = [
    value_difference("outcome", "success", True, False),
    value_difference("storage", "StakeManager.stakes[0xa1]", 5, 6),
    Difference("invariant", "BPE-CAP-001", None, "fails at 0xa1",
               text="BPE-CAP-001 fails on the evm state at 0xa1: caps are bounded"),
]


def test_a_mismatch_renders_its_records_as_the_differs_lines_and_stamps_the_step():
    m = Mismatch(3, STEP, RECORDS, "ok ()", "reverted E()")
    assert m.render().splitlines() == [
        "step 3: StakeManager.stake(0x56bc75e2d63100000) from 161",
        "  differs: success: model True, evm False",
        "  differs: StakeManager.stakes[0xa1]: model 5, evm 6",
        "  differs: BPE-CAP-001 fails on the evm state at 0xa1: caps are bounded",
        "  model: ok ()",
        "  evm:   reverted E()",
    ]
    assert [d.step for d in m.differences] == [3, 3, 3]
    assert str(m) == m.render()
    m.add(Difference("note", "prepared state", None, None, text="(context)"))
    assert m.differences[-1].step == 3 and str(m).endswith("  evm:   reverted E()") and "(context)" in str(m)


def test_a_mismatch_refuses_free_text_differences():
    with pytest.raises(TypeError, match="Difference records"):
        Mismatch(1, STEP, ["success: model True, evm False"], "", "")  # type: ignore[list-item]


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown difference kind 'state-ish'"):
        Difference("state-ish", "x", "1", "2")


def test_records_round_trip_through_a_replay_file(tmp_path):
    m = Mismatch(2, STEP, RECORDS, "state above", "state above")
    path = save_replay([STEP, STEP], "pyrevm", m.render(), {}, [], tmp_path, "bpe", m.differences)
    doc = json.loads(path.read_text())
    assert doc["schema"] == REPLAY_SCHEMA == "workbench-replay/3"
    assert doc["differences"][1] == {"kind": "storage", "path": "StakeManager.stakes[0xa1]", "model": "5",
                                     "evm": "6", "step": 2, "text": ""}
    loaded = load_replay(path)
    assert loaded["differences"] == m.differences
    # and the mutation runner credits the kill by the kinds read back
    assert classify(loaded["differences"]) == ["outcome", "storage", "invariant"]


def test_a_replay_file_of_the_previous_schema_still_loads_without_records(tmp_path):
    assert "workbench-replay/2" in READABLE_SCHEMAS
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"schema": "workbench-replay/2", "suite": "bpe", "steps": [STEP]}))
    assert load_replay(path)["differences"] == []


def test_a_malformed_record_in_a_replay_file_is_one_line(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"schema": REPLAY_SCHEMA, "suite": "bpe", "steps": [STEP],
                                "differences": [{"kind": "storage", "path": 7, "model": "1", "evm": "2"}]}))
    with pytest.raises(InputError) as e:
        load_replay(path)
    assert str(e.value) == f"{path}: differences[0]: path: expected a string"


@pytest.mark.parametrize("records, detected, credited", [
    ([value_difference("return", "returned", (1,), (2,))], ["outcome"], "outcome"),
    ([value_difference("events", "events", (), ((1, "E", ()),))], ["events"], "events"),
    ([value_difference("view", "StakeManager.stakeOf(0xa1)", (1,), (2,))], ["views"], "views"),
    ([value_difference("external", "SuperToken.realtimeBalanceOfNow(0xa1)", 1, 2)], ["superfluid"], "superfluid"),
    ([Difference("calldata", "StakeManager", "revert without data", "accepted")], ["malformed-calldata"],
     "malformed-calldata"),
    # an invariant failing on the EVM state is credited over the check listed first; on the model
    # state alone it is the model's, not the specification's, finding
    ([value_difference("storage", "StakeManager.totalStaked", 1, 2),
      Difference("step-invariant", "BPE-STEP-001", None, "fails")], ["storage", "invariant"], "invariant"),
    ([Difference("invariant", "BPE-CAP-001", "fails", None)], ["invariant(model)"], "invariant(model)"),
    ([Difference("setup", "StakeManager.stake", "reverted E()", "reverted E()"),
      Difference("note", "prepared state", None, None, text="(context)")], ["setup"], "setup"),
])
def test_the_mutation_runner_credits_a_kill_by_the_kind_of_the_records(records, detected, credited):
    assert classify(records) == detected
    assert primary(detected) == credited
