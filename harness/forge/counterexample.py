"""Prover counterexamples as Foundry tests.

A prover counterexample is a pre-state (a model System), one call, and the invariant that holds before
the call and fails after it (or, for a step invariant, fails across it). The invariant is Python over
the model's state and has no Solidity form; what the export asserts instead is exact and needs none:

- The workbench replays the counterexample on pyrevm as it always does (harness/fuzz/evm_replay.py:
  the pre-state written into storage through solc's layout, the block moved, the suite's set-up for the
  call, the call) with every state change recorded. It then reads the post-state as the invariant
  sees it (`read_system` at the counterexample's keys), recording every storage word and ETH balance
  that read takes. The invariant is a function of those words and balances alone.
- `record_counterexample` keeps all of that as an EVM-level counterexample file
  (schema `workbench-evm-counterexample/1`, in reports/replays/): the operations after the deployment,
  the call, and the words and balances read after it with their values.
- `export_counterexample_file` renders it as a `.t.sol`. `setUp()` deploys the suite as a replay export
  does (harness/forge/export.py; the deployment is checked to be the recorded one). `test_counterexample()`
  writes the pre-state (`vm.store`, `vm.deal`, `vm.etch`), moves the block, makes the set-up calls and
  the call, and requires that at least one of the recorded words or balances differs from the value the
  invariant failed on.

So the test fails exactly when the contract reproduces the violating post-state (on the contract of
the counterexample it does, by construction), and passes on any contract after which the invariant
holds: such a post-state differs from the violating one in some word or balance the invariant reads. A
call that reverts on the contract under test passes too: a revert leaves the pre-state, where a state
invariant held and across which no step invariant applies. What the test does not do is re-state the
invariant: a contract reaching a different violating state passes it (docs/foundry.md).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

from harness.forge.export import (
    REPO, Unsupported, _addr, _created_code, _emit_ops, _hex, _label, check_state_size, contract_text, invariant_fields,
    only_fields, packed_state, state_reads,
)
from harness.forge.record import Op, recording
from specs.errors import InputError

SCHEMA = "workbench-evm-counterexample/1"
OP_FIELDS = {f for f in Op.__dataclass_fields__}


def record_counterexample(cex: Any, suite: Any, *, check_id: str, statement: str = "",
                          overrides: dict[str, Path] | None = None, artifacts: dict | None = None,
                          out_dir: Path | None = None) -> Path:
    """Replay `cex` (an invariants.prover.Counterexample of `suite`) on a fresh, recorded pyrevm
    deployment and save what the Foundry test needs (the module docstring) as
    `out_dir`/<check id>.evm.json; its path. Unsupported when the replay does not confirm the
    counterexample on pyrevm (nothing is saved then)."""
    from harness.evm.fixture import deploy, suite_artifacts
    from harness.fuzz.evm_replay import replay_on_evm
    from harness.fuzz.runner import REPLAY_DIR

    from harness.evm.compile import compile_contracts

    deployments = suite.resolve(suite.deployments)
    overrides = {k: Path(v) for k, v in (overrides or {}).items()}
    if artifacts is None:
        artifacts = suite_artifacts(overrides=overrides, deployments=deployments)
    else:  # the sources the given artifacts were compiled from, where they are not the canonical ones
        build = compile_contracts()
        overrides = {d.name: REPO / artifacts[d.name].source_path for d in deployments
                     if artifacts[d.name].source_path != build.get(d.name).source_path}
    captured: dict[str, Any] = {}
    with recording(REPO) as t:
        fx = deploy("pyrevm", suite, artifacts=artifacts)
        setup_len = len(t.ops)
        deployment = _deployment_digest(t.ops[:setup_len])

        def observe(fixture: Any) -> None:
            captured["ops"] = [Op(**asdict(op)) for op in t.ops[setup_len:]]
            fields = invariant_fields(cex.pre, [cex.invariant], cex.call())
            captured["reads"] = only_fields(state_reads(fixture, cex.pre, cex.known_keys()),
                                            fields[1] if fields else None)

        replay = replay_on_evm(cex, fx, observe=observe)
    if not replay.confirmed or "ops" not in captured:
        raise Unsupported(f"check {check_id}: the counterexample does not replay on pyrevm ({replay.detail}); "
                          "there is no failing post-state to export")
    check_state_size(f"check {check_id}: the post-state {cex.invariant} failed on", len(captured["reads"]))
    ops = captured["ops"]
    calls = [i for i, op in enumerate(ops) if op.kind == "call"]
    target = fx.contracts[cex.contract].address
    if not calls or ops[calls[-1]].to != target or calls[-1] != len(ops) - 1:
        raise Unsupported(f"check {check_id}: the recorded replay does not end with the call of "
                          f"{cex.contract}.{cex.function}")
    doc = {
        "schema": SCHEMA,
        "suite": suite.name,
        "check": check_id,
        "invariant": cex.invariant,
        "statement": statement,
        "step": bool(cex.step),
        "call": f"{cex.contract}.{cex.function}",
        "source_overrides": {k: repo_relative(v) for k, v in sorted(overrides.items())},
        "deployment_sha256": deployment,
        "replay": replay.detail,
        "ops": [_op_json(op) for op in ops],
        "post_state": [{"kind": k, "address": f"{a:#x}", "slot": f"{s:#x}", "value": f"{v:#x}"}
                       for (k, a, s), v in captured["reads"].items()],
    }
    from harness.files import write_text_atomic

    name = re.sub(r"[^A-Za-z0-9.-]+", "_", check_id).strip("_")
    return write_text_atomic(Path(out_dir or REPLAY_DIR) / f"{name}.evm.json", json.dumps(doc, indent=1) + "\n")


def export_counterexample_file(path: Path, out_dir: Path) -> Path:
    """The EVM-level counterexample file at `path` as `out_dir`/<Name>.t.sol (the module docstring).
    InputError, one line naming the file and the cause, for a file that is not one, or whose suite no
    longer deploys as it did when it was recorded."""
    from harness.evm.fixture import deploy, suite_artifacts
    from specs.suite import get_suite

    path = Path(path)
    doc = read_counterexample_file(path)
    try:
        suite = get_suite(doc["suite"])
    except Exception as e:  # noqa: BLE001  (an unknown suite name: one line, the registry's message)
        raise InputError(f"{path}: suite: {e}") from None
    overrides = {k: REPO / v for k, v in doc["source_overrides"].items()}
    for name, src in overrides.items():
        if not src.is_file():
            raise InputError(f"{path}: source_overrides.{name}: no such source file {src}")
    from harness.evm.compile import compile_contracts

    build = compile_contracts()
    deployments = suite.resolve(suite.deployments)
    artifacts = suite_artifacts(build, overrides=overrides, deployments=deployments)
    canonical = {d.name: build.get(d.name) for d in deployments}
    with recording(REPO) as t:
        fx = deploy("pyrevm", suite, artifacts=artifacts)
        setup_ops = list(t.ops)
    if _deployment_digest(setup_ops) != doc["deployment_sha256"]:
        raise InputError(f"{path}: the suite {suite.name} no longer deploys as it did when the counterexample "
                         "was recorded (its contracts or their constructor arguments changed): prove again")
    ops = [_op_from_json(path, i, o) for i, o in enumerate(doc["ops"])]
    created = _created_code(t, fx, len(setup_ops))
    setup: list[str] = []
    if t.start_block is not None:
        setup.append(f"_block({t.start_block[0]}, {t.start_block[1]});")
    body: list[str] = []
    try:
        _emit_ops(setup_ops, t, canonical, fx.artifacts, setup, created, "set-up step")
        body.append("// the counterexample's pre-state and block, then the set-up its call needs")
        _emit_ops(ops[:-1], t, canonical, fx.artifacts, body, created, "pre-state step")
        body[:] = _pack_stores(body)
    except Unsupported as e:
        raise Unsupported(f"{path}: {e}") from None
    from harness.evm.engine import intrinsic_gas

    call = ops[-1]
    body.append(f"// the call: {_label(doc['call'])}")
    if call.value:
        body.append(f"vm.deal({_addr(call.sender)}, {call.sender_balance - call.value});")
    gas = call.gas - intrinsic_gas(call.data, False)
    body.append(f"(bool ok,) = _call({_addr(call.sender)}, {_addr(call.to)}, {call.value}, {gas}, {_hex(call.data)});")
    body.append("// a revert leaves the pre-state, where the invariant holds")
    body.append("if (!ok) return;")
    body.append(f"// the {len(doc['post_state'])} storage words and ETH balances {doc['invariant']} read after the call, at the")
    body.append("// values it failed on: a post-state after which the invariant holds differs in at least one")
    packed = packed_state({(r["kind"], int(r["address"], 16), int(r["slot"], 16)): int(r["value"], 16)
                           for r in doc["post_state"]})
    body.append(f"bool same = _sameState({_hex(packed)});")
    what = f"{doc['invariant']} fails after {doc['call']}: the post-state of the workbench's counterexample recurs"
    body.append(f'require(!same, "{_label(what)}");')

    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
    cname = re.sub(r"_+", "_", f"Counterexample_{suite.name}_" + re.sub(r"[^A-Za-z0-9]", "_", doc["check"]))
    text = _render(path, doc, cname, digest, setup, body)
    from harness.files import write_text_atomic

    return write_text_atomic(Path(out_dir) / f"{cname}.t.sol", text)


def read_counterexample_file(path: Path) -> dict:
    """An EVM-level counterexample file, checked field by field; InputError naming the file and field."""
    try:
        doc = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InputError(f"{path}: no such counterexample file") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read the counterexample file ({e.strerror or e})") from None
    except ValueError as e:
        raise InputError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise InputError(f"{path}: not an EVM counterexample file (schema must be {SCHEMA!r})")
    for key, kind in (("suite", str), ("check", str), ("invariant", str), ("call", str), ("deployment_sha256", str),
                      ("source_overrides", dict), ("ops", list), ("post_state", list)):
        if not isinstance(doc.get(key), kind):
            raise InputError(f"{path}: {key}: missing or not a {kind.__name__}")
    if not doc["ops"] or doc["ops"][-1].get("kind") != "call":
        raise InputError(f"{path}: ops: the last operation must be the counterexample's call")
    for i, r in enumerate(doc["post_state"]):
        if not isinstance(r, dict) or r.get("kind") not in ("storage", "balance") or not all(
                isinstance(r.get(k), str) for k in ("address", "slot", "value")):
            raise InputError(f"{path}: post_state[{i}]: expected kind storage|balance and hex address, slot, value")
    return doc


def is_counterexample_file(path: Path) -> bool:
    """Whether `path` names an EVM-level counterexample file (by its name; the content is checked on
    reading)."""
    return str(path).endswith(".evm.json")


# --------------------------------------------------------------------------------------------------


_STORE = re.compile(r"vm\.store\((0x[0-9A-Fa-f]{40}), bytes32\(uint256\((0x[0-9a-f]+)\)\), bytes32\(uint256\((0x[0-9a-f]+)\)\)\);")


def _pack_stores(lines: list[str]) -> list[str]:
    """Runs of `vm.store` statements as one `_storeAll` of packed records (a pre-state of many words
    would otherwise outgrow the test contract's code size limit)."""
    out: list[str] = []
    run: list[bytes] = []

    def flush() -> None:
        if len(run) == 1:
            a, s, w = run[0][:20], run[0][20:52], run[0][52:]
            out.append(f"vm.store({_addr(int.from_bytes(a, 'big'))}, bytes32(uint256({int.from_bytes(s, 'big'):#x}))"
                       f", bytes32(uint256({int.from_bytes(w, 'big'):#x})));")
        elif run:
            out.append(f"_storeAll({_hex(b''.join(run))});")
        run.clear()

    for line in lines:
        m = _STORE.fullmatch(line)
        if m:
            run.append(int(m[1], 16).to_bytes(20, "big") + int(m[2], 16).to_bytes(32, "big")
                       + int(m[3], 16).to_bytes(32, "big"))
        else:
            flush()
            out.append(line)
    flush()
    return out


def _deployment_digest(ops: list[Op]) -> str:
    h = hashlib.sha256()
    for op in ops:
        h.update(json.dumps(_op_json(op), sort_keys=True).encode())
    return h.hexdigest()


def _op_json(op: Op) -> dict:
    d = asdict(op)
    d["data"], d["output"] = bytes(op.data).hex(), bytes(op.output).hex()
    return d


def _op_from_json(path: Path, i: int, d: Any) -> Op:
    if not isinstance(d, dict) or set(d) - OP_FIELDS or d.get("kind") not in ("deploy", "call", "block", "balance",
                                                                             "code", "store"):
        raise InputError(f"{path}: ops[{i}]: not an operation (kind deploy|call|block|balance|code|store)")
    try:
        d = dict(d, data=bytes.fromhex(d.get("data", "")), output=bytes.fromhex(d.get("output", "")))
        return Op(**d)
    except (TypeError, ValueError) as e:
        raise InputError(f"{path}: ops[{i}]: {e}") from None


def repo_relative(p: Path) -> str:
    """`p` relative to the repository when it is inside it, else as given."""
    try:
        return Path(p).resolve().relative_to(REPO.resolve()).as_posix()
    except ValueError:
        return str(p)


def _render(path: Path, doc: dict, cname: str, digest: str, setup: list[str], body: list[str]) -> str:
    shown = repo_relative(path)
    head = [
        "// SPDX-License-Identifier: MIT",
        "pragma solidity ^0.8.20;",
        "",
        "// Generated by `python -m harness.cli export-forge` (harness/forge/counterexample.py); do not edit.",
        f"// From the prover's counterexample {shown} (sha256 {digest}...), suite {doc['suite']}, check {doc['check']}.",
        f"// Invariant {doc['invariant']}" + (f": {_label(doc['statement'])}" if doc.get("statement") else ""),
        f"// On the workbench's EVM: {_label(doc.get('replay', ''))}",
        "// It fails when the call reproduces the post-state the invariant failed on, and passes on any",
        "// contract after which the invariant holds (or whose call reverts); it does not restate the invariant.",
        "// Run: FOUNDRY_TEST=<this folder> node_modules/@foundry-rs/forge-linux-amd64/bin/forge test "
        f"--match-contract {cname}",
    ]
    if doc.get("source_overrides"):
        head.append("// The proof ran against source overrides " + ", ".join(
            f"{k}={v}" for k, v in doc["source_overrides"].items())
            + "; this test deploys the Foundry project's build of contracts/ (its canonical sources).")
    return contract_text(head, cname, setup, "test_counterexample", body)
