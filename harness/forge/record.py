"""A transcript of everything that changes an engine's state, for the Foundry export.

`recording()` patches the pyrevm engine class for the duration of a `with` block, so that every engine
made inside it (the suite's fixture, the Superfluid framework's) appends its state-changing operations
to one `Transcript`: contract creations, transaction-like calls, block moves, balance, code and storage
writes. Static calls (the differential's reads) change nothing and are not recorded. A snapshot remembers
the transcript's length and reverting to it cuts the transcript back, so the transcript is always the
path from a fresh engine to the engine's current state.

While recording, the Superfluid artifacts' creation code is traced back to its artifact file (the
linking function of harness/evm/superfluid.py is wrapped), so that an export can read the same prebuilt
artifact instead of inlining its bytes.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator


@dataclass
class Op:
    """One state change. kind: "deploy" | "call" | "block" | "balance" | "code" | "store"."""

    kind: str
    sender: int = 0
    to: int = 0
    value: int = 0
    gas: int = 0
    data: bytes = b""
    nonce: int = 0  # a deploy: the sender's nonce before it
    sender_balance: int = 0  # a call or deploy: the sender's balance before it
    ok: bool = True
    output: bytes = b""
    created: int | None = None
    number: int = 0
    timestamp: int = 0
    slot: int = 0
    word: int = 0
    logs: list = field(default_factory=list)  # a call's logs: [emitter, [topics], data hex]


@dataclass
class ArtifactCode:
    """Creation code that came from a prebuilt artifact file: its path (relative to the repository),
    the JSON key of its hex code, and the library addresses patched in at byte offsets."""

    path: str
    key: str
    offsets: list[int] = field(default_factory=list)
    libs: list[int] = field(default_factory=list)


@dataclass
class Transcript:
    ops: list[Op] = field(default_factory=list)
    start_block: tuple[int, int] | None = None
    artifact_code: dict[bytes, ArtifactCode] = field(default_factory=dict)
    snapshots: dict[int, int] = field(default_factory=dict)  # id(snapshot) -> transcript length


@contextlib.contextmanager
def recording(repo: Path) -> Iterator[Transcript]:
    """Record every pyrevm engine's state changes into the yielded Transcript."""
    from harness.evm import superfluid
    from harness.evm.pyrevm_engine import PyRevmEngine

    t = Transcript()
    cls = PyRevmEngine
    saved = {name: cls.__dict__.get(name) for name in
             ("deploy", "call", "set_block", "set_balance", "set_code", "set_storage", "snapshot", "revert",
              "__init__")}
    orig = {name: getattr(cls, name) for name in saved}

    def init(self: Any, *a: Any, **kw: Any) -> None:
        orig["__init__"](self, *a, **kw)
        if t.start_block is None:
            t.start_block = (self.block_number, self.timestamp)

    def deploy(self: Any, bytecode: bytes, ctor_args_encoded: bytes = b"", *, sender: int, value: int = 0,
               gas: int = 30_000_000) -> Any:
        nonce, bal = self.get_nonce(sender), self.get_balance(sender)
        res = orig["deploy"](self, bytecode, ctor_args_encoded, sender=sender, value=value, gas=gas)
        t.ops.append(Op("deploy", sender=sender, value=value, gas=gas, data=bytes(bytecode) + bytes(ctor_args_encoded),
                        nonce=nonce, sender_balance=bal, ok=res.success, output=b"" if res.success else res.output,
                        created=res.created))
        return res

    def call(self: Any, to: int, data: bytes, *, sender: int, value: int = 0, gas: int = 30_000_000) -> Any:
        bal = self.get_balance(sender)
        res = orig["call"](self, to, data, sender=sender, value=value, gas=gas)
        t.ops.append(Op("call", sender=sender, to=to, value=value, gas=gas, data=bytes(data), sender_balance=bal,
                        ok=res.success, output=bytes(res.output),
                        logs=[[lg.address, list(lg.topics), bytes(lg.data).hex()] for lg in res.logs]))
        return res

    def set_block(self: Any, *, number: int | None = None, timestamp: int | None = None) -> None:
        orig["set_block"](self, number=number, timestamp=timestamp)
        t.ops.append(Op("block", number=self.block_number, timestamp=self.timestamp))

    def set_balance(self: Any, a: int, wei: int) -> None:
        orig["set_balance"](self, a, wei)
        t.ops.append(Op("balance", to=a, value=wei))

    def set_code(self: Any, a: int, code: bytes) -> None:
        orig["set_code"](self, a, code)
        t.ops.append(Op("code", to=a, data=bytes(code)))

    def set_storage(self: Any, a: int, slot: int, value: int) -> None:
        orig["set_storage"](self, a, slot, value)
        t.ops.append(Op("store", to=a, slot=slot, word=value))

    def snapshot(self: Any) -> Any:
        snap = orig["snapshot"](self)
        t.snapshots[id(snap)] = len(t.ops)
        return snap

    def revert(self: Any, snap: Any) -> None:
        orig["revert"](self, snap)
        if id(snap) in t.snapshots:
            del t.ops[t.snapshots[id(snap)]:]
        t.ops.append(Op("block", number=self.block_number, timestamp=self.timestamp))

    orig_link = superfluid.link

    def link(art: dict, libraries: dict[str, int]) -> bytes:
        code = orig_link(art, libraries)
        path = superfluid._index(superfluid._package(None)).get(art.get("contractName", ""))
        if path is not None:
            offsets, libs = [], []
            for _source, refs_by_lib in art.get("linkReferences", {}).items():
                for lib, refs in refs_by_lib.items():
                    for ref in refs:
                        offsets.append(ref["start"])
                        libs.append(libraries[lib])
            t.artifact_code[code] = ArtifactCode(_rel(path, repo), ".bytecode", offsets, libs)
        return code

    patched = {"__init__": init, "deploy": deploy, "call": call, "set_block": set_block,
               "set_balance": set_balance, "set_code": set_code, "set_storage": set_storage,
               "snapshot": snapshot, "revert": revert}
    for name, fn in patched.items():
        setattr(cls, name, fn)
    superfluid.link = link
    try:
        _erc1820(t, repo)
        yield t
    finally:
        superfluid.link = orig_link
        for name, fn in saved.items():
            if fn is None:
                delattr(cls, name)
            else:
                setattr(cls, name, fn)


def _rel(path: Path, repo: Path) -> str:
    try:
        return Path(path).resolve().relative_to(repo.resolve()).as_posix()
    except ValueError:
        return str(path)


def _erc1820(t: Transcript, repo: Path) -> None:
    """The ERC1820 registry's creation code (a truffle artifact, not linked) traced to its file."""
    import json

    from harness.evm.fetch_superfluid import package_dir

    path = package_dir() / "dev-scripts" / "artifacts" / "ERC1820Registry.json"
    try:
        code = bytes.fromhex(json.loads(path.read_text())["bin"].removeprefix("0x"))
    except (OSError, ValueError, KeyError):
        return
    t.artifact_code[code] = ArtifactCode(_rel(path, repo), ".bin")
