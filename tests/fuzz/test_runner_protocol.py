"""The generic fuzz runner: it names no suite or machine, takes them from the suite declaration, and a
replay file of a machine other than the suite's own names it and replays only with it."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from harness.fuzz.bpe.capacity_registry import CapacityRegistryMachine
from harness.fuzz.bpe.stake_manager import StakeManagerMachine
from harness.fuzz.bpe.system import SystemMachine
from harness.fuzz.differential import Differential
from harness.fuzz.runner import load_replay, machine_ref, recorded_machine, save_replay
from specs.errors import InputError
from specs.suite import get_suite

REPO = Path(__file__).resolve().parents[2]
STEP = {"op": "call", "contract": "StakeManager", "function": "stake", "sender": 0xA1, "args": [1]}


@pytest.mark.parametrize("module", ["harness/fuzz/runner.py", "harness/fuzz/differential.py"])
def test_the_runner_and_the_differential_step_import_no_suite(module):
    tree = ast.parse((REPO / module).read_text())
    imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert imported
    assert [m for m in imported if ".bpe" in m or m.startswith("specs.bpe")] == []


def test_the_suite_declares_both_machines_the_runner_replays_with():
    bpe = get_suite("bpe")
    assert bpe.resolve(bpe.fuzz_machine) is SystemMachine
    assert bpe.resolve(bpe.deployed_machine) is StakeManagerMachine


def test_only_a_machine_other_than_the_suites_own_is_recorded():
    bpe = get_suite("bpe")

    class Proposed(SystemMachine):  # a candidate rule set (harness/mutate --machine): replayed as the system's
        pass

    assert recorded_machine(bpe, SystemMachine) == recorded_machine(bpe, StakeManagerMachine) == ""
    assert recorded_machine(bpe, Proposed) == ""
    assert recorded_machine(bpe, CapacityRegistryMachine) == \
        "harness.fuzz.bpe.capacity_registry:CapacityRegistryMachine"


def test_a_replay_file_naming_its_machine_loads_only_with_that_machine(tmp_path):
    path = save_replay([STEP], "pyrevm", "", {}, [], tmp_path, "bpe", [], machine_ref(CapacityRegistryMachine))
    assert json.loads(path.read_text())["machine"] == machine_ref(CapacityRegistryMachine)
    with pytest.raises(InputError, match="machine 'harness.fuzz.bpe.capacity_registry:CapacityRegistryMachine'"):
        load_replay(path)  # what `harness.cli replay` does: it deploys the whole suite
    with pytest.raises(InputError, match="machine"):
        load_replay(path, machine=StakeManagerMachine)
    assert load_replay(path, machine=CapacityRegistryMachine)["steps"] == [STEP]


def test_the_replay_file_records_the_suites_declared_actors(tmp_path):
    doc = json.loads(save_replay([STEP], "pyrevm", "", {}, [], tmp_path, "bpe").read_text())
    assert doc["actors"] == {role: hex(a) for role, a in get_suite("bpe").actors.items()}
    assert "machine" not in doc


def test_the_suites_declared_actors_are_always_known_addresses():
    from specs.bpe.system import build_system

    model = build_system()
    diff = Differential(None, model, [0xA1], [])  # type: ignore[arg-type]  (known_keys reads no fixture)
    declared = set(get_suite("bpe").actors.values())
    assert declared and declared <= set(diff.known_keys())
    assert 0xA1 in diff.known_keys() and set(model.addrs.values()) <= set(diff.known_keys())
