"""Counterexamples as Foundry tests: a replay file (a shrunk fuzz mismatch) becomes a self-contained
`.t.sol` that fails on the contract that produced the mismatch and passes on one that behaves as the
model says.

How: the replay runs once more, on the model and a pyrevm fixture of its suite, with every state change
of the engine recorded (harness/forge/record.py): the deployment (the Superfluid framework first, when
the suite needs it), the machine's prepared state, then the replay's steps. The test replays that
transcript in forge:

- `setUp()`: the block and chain of the workbench's engines, then every deployment and set-up call with
  the same sender (msg.sender and tx.origin), nonce, value and gas, at the same block number and
  timestamp. The suite's contracts come from the Foundry project's own build (`vm.getCode`, so a fixed
  source is what the test deploys), the Superfluid framework from the same prebuilt artifacts the
  harness deploys (`vm.readFile` of the JSON under .cache/superfluid/package/, libraries linked at the
  artifact's link references). Each deployment must land at the workbench's address.
- `test_replay()`: the replay's steps. Every call's outcome is asserted as the model gives it: success or
  revert and the exact return or revert data (on the steps where model and EVM agreed, the data the
  engine returned, which is the model's value ABI-encoded; on the mismatching step, the model's value
  encoded here); a malformed-calldata step must revert without data. On the mismatching step, what
  differs is asserted as the model has it: the suite contracts' events (a digest of the model's logs),
  the storage words and balances where the model's state written out through the layout differs from
  the EVM's, the views that differ (the suite's at the known addresses and those the observers
  compare), and, for an invariant that failed on the EVM's state, the words of the fields it reads at
  the values it failed on (the test requires one to differ). A mismatch while the prepared state is
  built is exported with the machine's set-up steps (`setup_plan`) as the test's first steps.

Fail closed: the export checks, against the recorded EVM run, that at least one of its assertions fails
on the contract that produced the mismatch; a mismatch it cannot express (docs/foundry.md lists them)
raises `Unsupported`, a WorkbenchError, with one line naming the file and what cannot be expressed. A
prover counterexample (a pre-state and one call, judged by an invariant written in Python) is exported
from the EVM-level file verify records for it (harness/forge/counterexample.py).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from harness.forge.record import ArtifactCode, Op, Transcript, recording
from specs.errors import InputError, WorkbenchError

REPO = Path(__file__).resolve().parents[2]
VERIFY_JSON = REPO / "reports" / "verify.json"
DEFAULT_OUT = REPO / "reports" / "forge"
CHAIN_ID = 1
MAX_INLINE_CODE = 24_576  # creation code not traced to an artifact is inlined up to this size
# the most recorded state (bytes of packed words and balances) a test asserts: the test contract's
# creation code must stay within EIP-3860's limit at the project's code_size_limit
MAX_STATE_BYTES = 48_000


class Unsupported(WorkbenchError):
    """A counterexample the export cannot express as a Foundry test (the message says what)."""


# --------------------------------------------------------------------------------------------------
# Entry points


def export_forge(target: str | Path, out_dir: Path = DEFAULT_OUT, *, verify_json: Path = VERIFY_JSON) -> list[Path]:
    """Export `target` (a replay file, or the id of a check in `verify_json` whose counterexample is a
    replay file) as a Foundry test in `out_dir`; the paths written. InputError for a target that is
    neither, Unsupported for a counterexample the export cannot express."""
    from harness.forge.counterexample import export_counterexample_file, is_counterexample_file

    path = Path(target)
    if is_counterexample_file(path):
        return [export_counterexample_file(path, out_dir)]
    if path.suffix == ".json" or path.exists():
        return [export_replay(path, out_dir)]
    # a check id (a proof obligation's has a "/": "COMP-RENT-001/ComputeRental.withdraw")
    return [export_check(_find_check(str(target), verify_json), verify_json, out_dir)]


def export_violations(results_or_verify_json: Any, out_dir: Path = DEFAULT_OUT) -> list[Path]:
    """Every VIOLATED check of a run (a harness.report.results.Results, or the path of its verify.json)
    that carries a counterexample, exported into `out_dir`; the paths written. What cannot be exported
    is listed with the reason in `out_dir`/NOT-EXPORTED.txt (never skipped silently)."""
    checks, source = _checks_of(results_or_verify_json)
    written, refused = [], []
    for check in checks:
        if check.get("status") != "VIOLATED":
            continue
        details = check.get("details") or {}
        if not (details.get("replay_file") or "counterexample" in details or "evm_replay" in details):
            continue  # a finding without a counterexample (slither, a surviving mutant): nothing to replay
        try:
            written.append(export_check(check, source, out_dir))
        except WorkbenchError as e:
            refused.append(f"{check.get('id')}: {e}")
    note = Path(out_dir) / "NOT-EXPORTED.txt"
    if refused:
        from harness.files import write_text_atomic

        write_text_atomic(note, "".join(line.replace("\n", " ") + "\n" for line in refused))
    elif note.exists():
        note.unlink()
    return written


def export_check(check: dict, source: Path | str, out_dir: Path) -> Path:
    """One check of verify.json: its replay file exported, or Unsupported naming why not."""
    cid = check.get("id", "?")
    details = check.get("details") or {}
    replay = details.get("replay_file")
    if replay:
        path = Path(replay)
        return export_replay(path if path.is_absolute() else REPO / path, out_dir)
    evm = details.get("evm_counterexample")
    if evm:
        from harness.forge.counterexample import export_counterexample_file

        path = Path(evm)
        return export_counterexample_file(path if path.is_absolute() else REPO / path, out_dir)
    if details.get("evm_replay") is not None or check.get("kind") == "proof":
        why = details.get("evm_counterexample_error") or "no EVM-level counterexample was recorded"
        raise Unsupported(f"{source}: check {cid}: a prover counterexample without a recorded EVM replay ({why})")
    raise Unsupported(f"{source}: check {cid}: no counterexample to export (no replay file)")


def _checks_of(results_or_verify_json: Any) -> tuple[list[dict], str]:
    if isinstance(results_or_verify_json, (str, Path)):
        path = Path(results_or_verify_json)
        return _read_verify(path).get("checks", []), str(path)
    checks = []
    for c in getattr(results_or_verify_json, "checks", []):
        checks.append(c if isinstance(c, dict) else {"id": c.id, "kind": c.kind, "status": c.status,
                                                      "details": c.details})
    return checks, "the run's results"


def _read_verify(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"{path}: no such file (run `make verify` first, or give a replay file)") from None
    except (OSError, ValueError) as e:
        raise InputError(f"{path}: not a readable verify.json ({e})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("checks"), list):
        raise InputError(f"{path}: not a verify.json (no \"checks\" list)")
    return doc


def _find_check(cid: str, verify_json: Path) -> dict:
    doc = _read_verify(verify_json)
    for c in doc["checks"]:
        if isinstance(c, dict) and c.get("id") == cid:
            return c
    raise InputError(f"{verify_json}: no check with id {cid!r} (and no replay file of that name)")


# --------------------------------------------------------------------------------------------------
# A replay file


def export_replay(path: Path, out_dir: Path = DEFAULT_OUT) -> Path:
    """The replay file at `path` as `out_dir`/<Name>.t.sol (see the module docstring)."""
    from harness.evm.compile import compile_contracts
    from harness.evm.fixture import deploy, suite_artifacts
    from harness.fuzz.differential import Mismatch
    from harness.fuzz.runner import model_factory, open_replay, start_differential
    from invariants.registry import REGISTRY

    path = Path(path)
    suite, deployments, doc, overrides = open_replay(path)
    build = compile_contracts()
    artifacts = suite_artifacts(build, overrides=overrides, deployments=deployments)
    # the test deploys the Foundry project's build of each contract: its canonical source, whichever
    # (possibly broken) source the run used
    canonical = {d.name: build.get(d.name) for d in deployments}

    with recording(REPO) as t:
        fx = deploy("pyrevm", suite, artifacts=artifacts)
        factory = model_factory(fx)
        invariants = REGISTRY.for_contracts(set(fx.addrs))
        setup_steps = 0  # how many of `steps` build the prepared state (each must succeed)
        try:
            diff, steps = start_differential(fx, doc["steps"], factory, invariants)
        except Mismatch as m:
            # the mismatch is inside the prepared state: its set-up steps become the test's first steps
            plan = getattr(suite.resolve(suite.fuzz_machine), "setup_plan", None)
            if plan is None or not doc["steps"] or doc["steps"][0].get("op") != "prepare":
                raise Unsupported(f"{path}: the mismatch is in the machine's prepared state ({_first_line(m)}) "
                                  "and the machine does not give its set-up steps (setup_plan)") from None
            diff, prepared = plan(fx, factory, invariants)
            steps, setup_steps = prepared + list(doc["steps"][1:]), len(prepared)
        setup_len = len(t.ops)
        records: list[dict] = []
        mismatch = None
        encoding = None  # why the model's state cannot be compared word by word, if it cannot
        for step in steps:
            for hook in diff.before_step:  # the known keys the step will be compared at
                hook(diff)
            pre_reads = state_reads(diff.fixture, diff.model, diff.key_sets())
            if encoding is None:
                agree = word_differences(diff, pre_reads)
                if agree:
                    kind, a, slot, m, e = agree[0]
                    encoding = (f"before step {len(records) + 1} the model's state written out through the storage "
                                f"layout differs from the EVM's where the workbench saw no difference ({kind} "
                                f"{a:#x}/{slot:#x}: {m:#x} against {e:#x})")
            start = len(t.ops)
            captured: dict[str, Any] = {}
            world = diff.model.world
            real = world.transact

            def transact(*a: Any, _real: Any = real, **kw: Any) -> Any:
                out = _real(*a, **kw)
                captured.setdefault("outcome", out)
                return out

            world.transact = transact  # type: ignore[method-assign]
            try:
                diff.step(step)
            except Mismatch as m:
                mismatch = m
            finally:
                del world.transact
            records.append({"step": step, "start": start, "end": len(t.ops), "model": captured.get("outcome"),
                            "setup": len(records) < setup_steps})
            if mismatch is not None:
                records[-1]["end"] = len(t.ops)
                break
            if records[-1]["setup"] and diff.trace[-1]["outcome"].startswith("reverted"):
                break  # a set-up step both sides reject: the prepared state cannot be built
        view_checks = _differing_views(diff, mismatch) if mismatch is not None else []
        state = _state_checks(diff, mismatch, encoding, pre_reads, _call_of(diff, mismatch.step)) \
            if mismatch is not None else {}
    return _write(path, doc, suite, fx, diff, t, setup_len, records, mismatch, view_checks, state, canonical, out_dir)


def _first_line(m: Exception) -> str:
    return str(m).splitlines()[0] if str(m) else type(m).__name__


def _differing_views(diff: Any, mismatch: Any) -> list[tuple[str, int, bytes, bytes, bytes]]:
    """After a mismatch in the state: (label, address, calldata, model's return data, EVM's return data)
    of every view of a suite contract, at the known addresses, where the model and the EVM differ."""
    import itertools

    from harness.evm.abi import encode_values
    from harness.fuzz.differential import address_views
    from specs.kernel import Address

    kinds = {d.kind for d in mismatch.differences}
    if not kinds & {"storage", "view", "invariant", "step-invariant", "external"}:
        return []
    out = []
    # the views an observer found differing (the Superfluid framework's, views taking other keys)
    for label, address, data, expected in getattr(diff, "differing_views", []):
        res = diff.fixture.engine.static_call(address, data)
        if not res.success or bytes(res.output) != expected:
            out.append((label, address, data, expected, bytes(res.output) if res.success else b""))
    keys = diff.known_keys()
    for name in diff.model.addrs:
        cls = diff.model.models[name]
        contract = diff.fixture.contracts[name]
        for fname, nparams in address_views(cls):
            for combo in itertools.product(keys, repeat=nparams):
                m = diff.model.world.view(diff.model.addrs[name], fname, *(Address(k) for k in combo), clone=False)
                if not m.ok:
                    continue
                fn = contract.abi.function(fname, nparams)
                try:
                    expected = encode_values(fn.outputs, diff.model_returned(name, fname, nparams, m.returned))
                except Exception:  # a value the encoder does not take: that view is not asserted
                    continue
                data = contract.abi.encode_call(fname, combo)
                res = diff.fixture.engine.static_call(contract.address, data)
                if not res.success or bytes(res.output) != expected:
                    label = f"{name}.{fname}({', '.join(hex(k) for k in combo)})"
                    out.append((label, contract.address, data, expected, bytes(res.output) if res.success else b""))
    return out


STATE_KINDS = {"storage", "view", "invariant", "step-invariant"}


def _call_of(diff: Any, step: dict) -> Any:
    """A call step as the step invariants see it (invariants.registry.Call), None for other steps."""
    from harness.fuzz.differential import model_args, params_of
    from invariants.registry import Call
    from specs.kernel import Address

    if step.get("op") != "call":
        return None
    fn = getattr(diff.model.models[step["contract"]], step["function"])
    margs = model_args(fn, step["args"])
    return Call(step["contract"], step["function"], Address(step["sender"]),
                {p: a for (p, _t), a in zip(params_of(fn), margs)})


def _state_checks(diff: Any, mismatch: Any, encoding: str | None, pre_reads: dict, call: Any) -> dict:
    """What the test asserts of the state after the mismatching step, beyond the views:
    - "words": (kind, address, slot, model's, EVM's) of every storage word and ETH balance where the
      model's state, written out through solc's storage layout, differs from the EVM's (checked
      against the state before the step, where model and EVM agreed: `encoding` says why not);
    - "post_state" (and "pre_state" for a step invariant): when an invariant failed on the EVM's
      state, every word and balance of the fields it reads, at the values it failed on (the test
      requires that one differ);
    - "invariants": the ids of those invariants."""
    kinds = {d.kind for d in mismatch.differences}
    out: dict[str, Any] = {"words": [], "post_state": {}, "pre_state": {}, "invariants": [], "encoding": encoding}
    if not kinds & STATE_KINDS:
        return out
    post = state_reads(diff.fixture, diff.model, diff.key_sets())
    if encoding is None:
        out["words"] = word_differences(diff, post)
    failing = sorted({d.path for d in mismatch.differences
                      if d.kind in ("invariant", "step-invariant") and d.evm is not None})
    if failing:
        fields = invariant_fields(diff.model, failing, call)
        out["invariants"] = failing
        out["post_state"] = only_fields(post, fields[1] if fields else None)
        if any(d.kind == "step-invariant" for d in mismatch.differences):
            out["pre_state"] = only_fields(pre_reads, fields[0] if fields else None)
    return out


class _WordEngine:
    """An engine that only keeps the words and balances written to it (zero elsewhere): a model
    state written out through the storage layout, to compare with an EVM's word by word. Code is the
    EVM's (`code_of`); the model's immutables patched into it are kept apart and not compared here
    (they are not storage words; the mismatch itself names an immutable that differs)."""

    def __init__(self, code_of: Any) -> None:
        self.words: dict[tuple[int, int], int] = {}
        self.balances: dict[int, int] = {}
        self.code_of = code_of
        self.code: dict[int, bytes] = {}

    def get_code(self, a: int) -> bytes:
        return self.code[a] if a in self.code else self.code_of(a)

    def set_code(self, a: int, code: bytes) -> None:
        self.code[a] = code

    def get_storage(self, a: int, slot: int) -> int:
        return self.words.get((a, slot), 0)

    def set_storage(self, a: int, slot: int, value: int) -> None:
        self.words[(a, slot)] = value

    def set_balance(self, a: int, wei: int) -> None:
        self.balances[a] = wei


def word_differences(diff: Any, reads: dict) -> list[tuple[str, int, int, int, int]]:
    """(kind, address, slot, model's value, EVM's value) of every storage word and ETH balance of
    `reads` (the differential's `state_reads`) where the model's state, written out through solc's
    storage layout as a counterexample's pre-state is, differs from the EVM's."""
    from harness.fuzz.stateview import write_system

    model = _WordEngine(diff.fixture.engine.get_code)
    write_system(SimpleNamespace(engine=model, artifacts=diff.fixture.artifacts), diff.model)
    out = []
    for (kind, a, slot), (v, _field) in reads.items():
        m = model.words.get((a, slot), 0) if kind == "storage" else model.balances.get(a, 0)
        if m != v:
            out.append((kind, a, slot, m, v))
    return out


def state_reads(fixture: Any, template: Any, keys: Any) -> dict[tuple[str, int, int], tuple[int, str]]:
    """Every storage word ("storage", address, slot) and ETH balance ("balance", address, 0) the state
    comparison reads (`read_system(fixture, template, keys)`), with its value and the field it belongs
    to ("Contract.field", "ETH.balance"), in the order first read."""
    from harness.fuzz.stateview import read_system

    eng = fixture.engine
    out: dict[tuple[str, int, int], tuple[int, str]] = {}
    get_storage, get_balance = eng.get_storage, eng.get_balance
    field = [""]

    def storage(a: int, slot: int) -> int:
        v = get_storage(a, slot)
        out.setdefault(("storage", a, slot), (v, field[0]))
        return v

    def balance(a: int) -> int:
        v = get_balance(a)
        out.setdefault(("balance", a, 0), (v, field[0]))
        return v

    eng.get_storage, eng.get_balance = storage, balance
    try:
        read_system(fixture, template, keys, on_field=lambda f: field.__setitem__(0, f))
    finally:
        del eng.get_storage, eng.get_balance
    return out


def invariant_fields(system: Any, invariant_ids: list[str], call: Any = None) -> tuple[set[str], set[str]] | None:
    """The fields ("Contract.field", "ETH.balance") the invariants read, from their symbolic evaluation
    over every path: (of the state before the call, of the state after it); a state invariant reads
    only the latter, a step invariant (across `call`, an invariants.registry.Call) both. None when one
    cannot be evaluated symbolically (the caller then keeps every field, which is never wrong)."""
    from invariants.prover import _constant_names, evaluate, evaluate_step, symbolic_system
    from invariants.registry import REGISTRY, STEP_REGISTRY

    names: set[str] = set()
    try:
        pre, _ = symbolic_system(system, "fpre")
        post, _ = symbolic_system(system, "fpost")
        for iid in invariant_ids:
            step = iid in STEP_REGISTRY.invariants
            inv = STEP_REGISTRY.invariants[iid] if step else REGISTRY.invariants.get(iid)
            if inv is None or (step and call is None):
                return None
            keys = tuple(t.symbolic(f"fkeys.{iid}.{n}") for n, t in inv.keys)
            ev = evaluate_step(inv, pre, post, call, keys, [0]) if step else evaluate(inv, post, keys, [0])
            names |= _constant_names([ev.formula, *ev.definitions])
    except Exception:  # noqa: BLE001  (no symbolic form)
        return None
    out: dict[str, set[str]] = {"fpre": set(), "fpost": set()}
    for n in names:
        parts = n.split(".")
        if parts[0] in out and len(parts) >= 3:
            out[parts[0]].add("ETH.balance" if parts[1] == "ETH" else f"{parts[1]}.{parts[2]}")
    return out["fpre"], out["fpost"]


def only_fields(reads: dict, fields: set[str] | None) -> dict[tuple[str, int, int], int]:
    """`state_reads` values, of the given fields (every field for None)."""
    return {k: v for k, (v, f) in reads.items() if fields is None or f in fields}


def check_state_size(what: str, n: int) -> None:
    """Unsupported when `n` recorded words and balances are more than a test contract can carry."""
    if n * 85 > MAX_STATE_BYTES:
        raise Unsupported(f"{what} spans {n} storage words and balances, more than a Foundry test contract can "
                          f"carry ({MAX_STATE_BYTES // 85})")


def packed_state(reads: dict[tuple[str, int, int], int]) -> bytes:
    """Words and balances as WorkbenchTest's `_sameState` takes them: 85-byte records of a kind (0 a
    storage word, 1 a balance), the address, the slot and the value."""
    return b"".join(bytes([0 if kind == "storage" else 1]) + a.to_bytes(20, "big") + slot.to_bytes(32, "big")
                    + v.to_bytes(32, "big") for (kind, a, slot), v in reads.items())


def _logs_digest(logs: list, emitters: set[int]) -> bytes:
    """WorkbenchTest's `_expectLogs` digest of the logs emitted by `emitters`: a keccak chain over
    (digest, emitter, topics, data)."""
    from eth_utils import keccak

    from harness.evm.abi import encode_values

    h = bytes(32)
    for emitter, topics, data in logs:
        if emitter in emitters:
            h = keccak(encode_values(["bytes32", "address", "bytes32[]", "bytes"],
                                     [h, emitter, [t.to_bytes(32, "big") for t in topics], data]))
    return h


def _model_logs(diff: Any, outcome: Any) -> list | None:
    """The model's events of a call as EVM logs (emitter, topics, data), or None when one cannot be
    encoded (an event no ABI of the fixture declares)."""
    from eth_utils import keccak

    from harness.evm.abi import encode_values
    from harness.fuzz.differential import plain

    out = []
    for r in outcome.events:
        name, args = r.event.abi_name(), plain(r.event.args())
        abi = diff.fixture.registry.get(r.address)
        ev = next((e for e in (abi.events.values() if abi else ()) if e.name == name and len(e.inputs) == len(args)),
                  None)
        if ev is None or ev.anonymous:
            return None
        topics = [int.from_bytes(ev.topic0, "big")]
        data_types, data_values = [], []
        for typ, indexed, v in zip(ev.inputs, ev.indexed, args):
            if not indexed:
                data_types.append(typ)
                data_values.append(v)
            elif typ in ("string", "bytes"):
                raw = v.encode() if isinstance(v, str) else bytes(v) if isinstance(v, (bytes, bytearray)) else None
                if raw is None:
                    return None
                topics.append(int.from_bytes(keccak(raw), "big"))
            elif typ.endswith("]") or typ.startswith("("):
                return None  # an indexed array or struct: its topic is the hash of an in-place encoding
            else:
                topics.append(int.from_bytes(encode_values([typ], [v]), "big"))
        out.append((int(r.address), topics, encode_values(data_types, data_values)))
    return out


# --------------------------------------------------------------------------------------------------
# The expected outcome of the mismatching call


def _model_data(diff: Any, step: dict, outcome: Any) -> bytes | None:
    """The model's outcome of a call step as the EVM's return or revert data, or None when it cannot be
    encoded here (the test then checks success or revert only)."""
    from harness.evm.abi import ERROR_STRING_SELECTOR, PANIC_SELECTOR, encode_values
    from harness.fuzz.differential import plain

    name = step["contract"]
    contract = diff.fixture.contracts[name]
    try:
        if outcome.ok:
            fn = contract.abi.function(step["function"], len(step["args"]))
            if outcome.returned is None:
                return b""
            return encode_values(fn.outputs, diff.model_returned(name, step["function"], len(step["args"]),
                                                                 outcome.returned))
        err, args = outcome.error.abi_name(), plain(outcome.error.args())
        if err == "":
            return b""
        if err == "Error":
            return ERROR_STRING_SELECTOR + encode_values(["string"], args)
        if err == "Panic":
            return PANIC_SELECTOR + encode_values(["uint256"], args)
        for c in diff.fixture.contracts.values():
            for e in c.abi.errors.values():
                if e.name == err and len(e.inputs) == len(args):
                    return e.selector + encode_values(e.inputs, args)
    except Exception:  # noqa: BLE001  (an unencodable value: the outcome is checked without its data)
        return None
    return None


# --------------------------------------------------------------------------------------------------
# Solidity


def _addr(a: int) -> str:
    from eth_utils import to_checksum_address

    return to_checksum_address(f"0x{a:040x}")


def _hex(b: bytes) -> str:
    return f'hex"{bytes(b).hex()}"'


def _label(text: str) -> str:
    return json.dumps(text)[1:-1].replace("\\\"", "'")[:200]


def _initcode(op: Op, t: Transcript, canonical: dict, artifacts: dict) -> str:
    """The Solidity expression of a deployment's creation code."""
    for name, art in artifacts.items():
        if art.bytecode and op.data.startswith(art.bytecode):
            ref = f"{canonical[name].source_path}:{canonical[name].name}" if name in canonical else art.qualified_name
            rest = op.data[len(art.bytecode):]
            code = f'vm.getCode("{ref}")'
            return f"bytes.concat({code}, {_hex(rest)})" if rest else code
    for code, ac in t.artifact_code.items():
        if op.data.startswith(code):
            rest = op.data[len(code):]
            expr = _artifact_expr(ac)
            return f"bytes.concat({expr}, {_hex(rest)})" if rest else expr
    if len(op.data) > MAX_INLINE_CODE:
        raise Unsupported(f"a deployment of {len(op.data)} bytes of creation code from {_addr(op.sender)} "
                          "is traced to no artifact")
    return _hex(op.data)


def _artifact_expr(ac: ArtifactCode) -> str:
    n = len(ac.offsets)
    if not n:
        return f'_artifactCode("{ac.path}", "{ac.key}", new uint256[](0), new address[](0))'
    offs = ", ".join(f"uint256({o})" for o in ac.offsets)
    libs = ", ".join(_addr(a) for a in ac.libs)
    return (f'_artifactCode("{ac.path}", "{ac.key}", _u{n}([{offs}]), _a{n}([{libs}]))')


def _emit_ops(ops: list[Op], t: Transcript, canonical: dict, artifacts: dict, lines: list[str],
              created: dict[bytes, int], what: str) -> None:
    """Solidity statements for set-up operations (each call must have the outcome it had)."""
    from harness.evm.engine import intrinsic_gas

    for i, op in enumerate(ops):
        tag = f"{what} {i + 1}"
        if op.kind == "block":
            lines.append(f"_block({op.number}, {op.timestamp});")
        elif op.kind == "balance":
            lines.append(f"vm.deal({_addr(op.to)}, {op.value});")
        elif op.kind == "store":
            lines.append(f"vm.store({_addr(op.to)}, bytes32(uint256({op.slot:#x})), bytes32(uint256({op.word:#x})));")
        elif op.kind == "code":
            src = created.get(op.data)
            lines.append(f"vm.etch({_addr(op.to)}, {_addr(src) + '.code' if src is not None else _hex(op.data)});")
        elif op.kind == "deploy":
            if not op.ok or op.created is None:
                raise Unsupported(f"{tag}: a deployment that failed on the workbench's engine")
            if op.value:
                lines.append(f"vm.deal({_addr(op.sender)}, {op.sender_balance - op.value});")
            lines.append(f"_create({_addr(op.sender)}, {op.nonce}, {op.value}, "
                         f"{_initcode(op, t, canonical, artifacts)}, {_addr(op.created)});")
        elif op.kind == "call":
            if op.value:
                lines.append(f"vm.deal({_addr(op.sender)}, {op.sender_balance - op.value});")
            gas = op.gas - intrinsic_gas(op.data, False)
            args = f"{_addr(op.sender)}, {_addr(op.to)}, {op.value}, {gas}, {_hex(op.data)}"
            if op.ok:
                lines.append(f'_mustCall("{tag}", {args});')
            else:
                lines.append(f'_expectCall("{tag}", {args}, false, true, {_hex(op.output)});')


def _created_code(t: Transcript, fx: Any, upto: int) -> dict[bytes, int]:
    """Runtime code -> the address of a contract created in the first `upto` operations (an etch of the
    same code copies it from there)."""
    out: dict[bytes, int] = {}
    for op in t.ops[:upto]:
        if op.kind == "deploy" and op.created is not None:
            out.setdefault(fx.engine.get_code(op.created), op.created)
    return out


def _write(path: Path, doc: dict, suite: Any, fx: Any, diff: Any, t: Transcript, setup_len: int,
           records: list[dict], mismatch: Any, view_checks: list, state: dict, canonical: dict,
           out_dir: Path) -> Path:
    from harness.evm.engine import intrinsic_gas
    from harness.fuzz.differential import format_step

    artifacts = fx.artifacts
    created = _created_code(t, fx, len(t.ops))
    setup: list[str] = []
    if t.start_block is not None:
        setup.append(f"_block({t.start_block[0]}, {t.start_block[1]});")
    try:
        _emit_ops(t.ops[:setup_len], t, canonical, artifacts, setup, created, "set-up step")
    except Unsupported as e:
        raise Unsupported(f"{path}: {e}") from None

    body: list[str] = []
    catches = []  # what fails on the recorded EVM run
    last = len(records) - 1
    for n, rec in enumerate(records):
        step, ops = rec["step"], t.ops[rec["start"]:rec["end"]]
        body.append(f"// step {n + 1}: {_label(format_step(step))}")
        if step["op"] not in ("call", "raw"):
            try:
                _emit_ops(ops, t, canonical, artifacts, body, created, f"step {n + 1}")
            except Unsupported as e:
                raise Unsupported(f"{path}: {e}") from None
            continue
        calls = [i for i, op in enumerate(ops) if op.kind == "call"]
        if not calls:
            raise Unsupported(f"{path}: step {n + 1} ({format_step(step)}) made no call on the engine")
        main = calls[0]
        try:
            _emit_ops(ops[:main], t, canonical, artifacts, body, created, f"step {n + 1}")
        except Unsupported as e:
            raise Unsupported(f"{path}: {e}") from None
        op, outcome = ops[main], rec["model"]
        if step["op"] == "raw":  # malformed calldata: the ABI decoder must revert without data
            outcome = SimpleNamespace(ok=False)
        if outcome is None:
            raise Unsupported(f"{path}: step {n + 1}: the model's outcome of {format_step(step)} was not seen")
        expect_ok, check_data, data = bool(outcome.ok), True, op.output
        outcome_differs = n == last and mismatch is not None and any(
            d.kind in ("outcome", "return", "calldata") for d in mismatch.differences)
        if step["op"] == "raw":
            data = b""
            if op.ok or op.output:
                catches.append(f"step {n + 1}: the malformed call's outcome")
        elif rec["setup"] and not outcome.ok:
            # a set-up step of the prepared state: the protocol has it succeed, whatever both sides did
            expect_ok, check_data, data = True, False, b""
            catches.append(f"step {n + 1}: a set-up step of the prepared state must succeed")
        elif outcome_differs:
            model = _model_data(diff, step, outcome)
            data, check_data = (model, True) if model is not None else (b"", False)
            if expect_ok != op.ok or (check_data and data != op.output):
                catches.append(f"step {n + 1}: the call's outcome")
        elif expect_ok != op.ok:
            raise Unsupported(f"{path}: step {n + 1}: model and EVM disagree on success where the workbench saw "
                              "no difference (a workbench bug to report)")
        if op.value:
            body.append(f"vm.deal({_addr(op.sender)}, {op.sender_balance - op.value});")
        gas = op.gas - intrinsic_gas(op.data, False)
        events = (n == last and mismatch is not None and step["op"] == "call"
                  and any(d.kind == "events" for d in mismatch.differences))
        expected_logs = _model_logs(diff, outcome) if events and outcome.ok and op.ok else None
        suite_addrs = set(diff.model.addrs.values())
        if expected_logs is not None:
            body.append("vm.recordLogs();")
        body.append(f'_expectCall("step {n + 1}: {_label(format_step(step))}", {_addr(op.sender)}, '
                    f"{_addr(op.to)}, {op.value}, {gas}, {_hex(op.data)}, {str(expect_ok).lower()}, "
                    f"{str(check_data).lower()}, {_hex(data)});")
        if expected_logs is not None:
            want = _logs_digest(expected_logs, suite_addrs)
            got = _logs_digest([(a, tp, bytes.fromhex(d)) for a, tp, d in op.logs], suite_addrs)
            emitters = sorted(suite_addrs)
            body.append("// the events of the suite's contracts, as the model emits them: "
                        + _label("; ".join(f"{r.event.abi_name()}@{int(r.address):#x}" for r in outcome.events))[:600])
            body.append(f'_expectLogs("step {n + 1}: the events", _a{len(emitters)}([{", ".join(_addr(a) for a in emitters)}]), '
                        f"bytes32(uint256({int.from_bytes(want, 'big'):#x})));")
            if want != got:
                catches.append(f"step {n + 1}: the events")
        try:
            _emit_ops(ops[main + 1:], t, canonical, artifacts, body, created, f"step {n + 1}")
        except Unsupported as e:
            raise Unsupported(f"{path}: {e}") from None
    if state.get("words"):
        body.append("// the storage words and ETH balances where the model's state differs from the EVM's")
    for kind, a, slot, model, _evm in state.get("words", []):
        if kind == "storage":
            body.append(f'_expectWord("storage {_addr(a)}[{slot:#x}]", {_addr(a)}, bytes32(uint256({slot:#x})), '
                        f"bytes32(uint256({model:#x})));")
            catches.append(f"storage word {a:#x}[{slot:#x}]")
        else:
            body.append(f'_expectBalance("balance of {_addr(a)}", {_addr(a)}, {model});')
            catches.append(f"balance of {a:#x}")
    if view_checks:
        body.append("// the state after the last step, through the views where model and EVM differ")
    for label, address, data, expected, evm in view_checks:
        body.append(f'_expectView("{_label(label)}", {_addr(address)}, {_hex(data)}, {_hex(expected)});')
        catches.append(f"view {label}")
    if state.get("post_state"):
        ids = ", ".join(state["invariants"])
        n = len(state["post_state"]) + len(state.get("pre_state", {}))
        check_state_size(f"{path}: the state {ids} failed on", n)
        body.append(f"// {ids} failed on the EVM's state: the {n} storage words and ETH balances of the fields it")
        body.append("// reads, at the values it failed on; a state where it holds differs in one")
        what = f"{ids} fails after step {len(records)}: the state the workbench's invariant rejected recurs"
        post = f"_sameState({_hex(packed_state(state['post_state']))})"
        if state.get("pre_state"):  # a step invariant: the state before the call too
            at = max(i for i, line in enumerate(body) if line.startswith("// step ")) + 1  # before the step's ops
            body.insert(at, f"bool preSame = _sameState({_hex(packed_state(state['pre_state']))});")
            body.append(f'require(!(preSame && {post}), "{_label(what)}");')
        else:
            body.append(f'require(!{post}, "{_label(what)}");')
        catches.append(f"the state {ids} failed on")
    if mismatch is not None and not catches:
        kinds = ", ".join(sorted({f"{d.kind} {d.path}" for d in mismatch.differences}))
        why = f"; {state['encoding']}" if state.get("encoding") else ""
        raise Unsupported(f"{path}: the mismatch ({kinds}) shows in no call outcome, event, view, storage word or "
                          f"balance the export can assert{why}")

    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
    stem = re.sub(r"[^A-Za-z0-9]", "_", path.stem)
    cname = f"Replay_{suite.name}_{stem}"
    cname = re.sub(r"_+", "_", cname)
    text = _render(path, doc, suite, cname, digest, setup, body, mismatch, catches)
    from harness.files import write_text_atomic

    out = Path(out_dir) / f"{cname}.t.sol"
    return write_text_atomic(out, text)


def _render(path: Path, doc: dict, suite: Any, cname: str, digest: str, setup: list[str], body: list[str],
            mismatch: Any, catches: list[str]) -> str:
    try:
        shown = path.resolve().relative_to(REPO).as_posix()
    except ValueError:
        shown = str(path)
    head = [
        "// SPDX-License-Identifier: MIT",
        "pragma solidity ^0.8.20;",
        "",
        "// Generated by `python -m harness.cli export-forge` (harness/forge/export.py); do not edit.",
        f"// From replay file {shown} (sha256 {digest}...), suite {suite.name}.",
        "// Run: FOUNDRY_TEST=<this folder> node_modules/@foundry-rs/forge-linux-amd64/bin/forge test "
        f"--match-contract {cname}",
        "// It passes when every call behaves as the workbench's model says; on the contract that produced",
        "// the mismatch it fails at: " + ("; ".join(catches) if catches else "(the mismatch did not reproduce "
                                            "when exported: a regression test)"),
    ]
    if doc.get("source_overrides"):
        head.append("// The run used source overrides " + ", ".join(f"{k}={v}" for k, v in doc["source_overrides"].items())
                    + "; this test deploys the Foundry project's build of contracts/ (its canonical sources).")
    if doc.get("model_overrides"):
        head.append(f"// The run used model overrides {doc['model_overrides']}; the expectations are the reference models'.")
    if mismatch is not None:
        head.append("// The mismatch, as the workbench reported it:")
        head += [f"//   {line}" for line in str(mismatch).splitlines()]
    return contract_text(head, cname, setup, "test_replay", body)


def contract_text(head: list[str], cname: str, setup: list[str], test: str, body: list[str]) -> str:
    """A generated Foundry test: the comment lines `head`, then contract `cname` on WorkbenchTest whose
    setUp pins the chain id and a zero base fee and runs `setup`, and whose `test` runs `body`, with the
    array helpers those statements call."""
    lines = head + ["", 'import {WorkbenchTest} from "forge/src/WorkbenchTest.sol";', "",
                    f"contract {cname} is WorkbenchTest {{",
                    "    function setUp() public {",
                    f"        vm.chainId({CHAIN_ID});",
                    "        vm.fee(0);"]
    lines += [f"        {s}" for s in setup]
    lines += ["    }", "", f"    function {test}() public {{"]
    lines += [f"        {s}" for s in body]
    lines += ["    }"]
    lines += array_helpers(setup + body)
    lines += ["}", ""]
    return "\n".join(lines)


def array_helpers(statements: list[str]) -> list[str]:
    """The `_uN`/`_aN` functions (a fixed-size array literal as a dynamic array) the statements call."""
    lines: list[str] = []
    for n in sorted({int(m) for line in statements for m in re.findall(r"\b_[ua](\d+)\(\[", line)}):
        lines += ["", f"    function _u{n}(uint256[{n}] memory x) private pure returns (uint256[] memory y) {{",
                  f"        y = new uint256[]({n});", "        for (uint256 i = 0; i < x.length; i++) y[i] = x[i];", "    }",
                  "", f"    function _a{n}(address[{n}] memory x) private pure returns (address[] memory y) {{",
                  f"        y = new address[]({n});", "        for (uint256 i = 0; i < x.length; i++) y[i] = x[i];", "    }"]
    return lines
