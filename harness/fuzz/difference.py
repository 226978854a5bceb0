"""One difference between the model and the EVM after a differential step, as a record.

The differential step (harness/fuzz/differential.py) produces these; a Mismatch carries a list of them
and renders each as one "differs:" line; FuzzResult and replay files (schema "workbench-replay/3") keep
them in their JSON form; the mutation runner (harness/mutate/run.py) credits a kill to a check by a
record's `kind`, never by parsing the rendered text.

Kinds, in the order the differential compares:
  outcome         success or revert differs, or the error (name and arguments) differs ("success", "error")
  return          the return values differ ("returned")
  events          the events differ (emitter, name, arguments, order) ("events")
  calldata        malformed calldata was accepted, or rejected with data (the contract's name)
  storage         a storage field at a known key, or an ETH balance ("StakeManager.stakes[0xa1]")
  view            a view at known arguments ("StakeManager.stakeOf(0xa1)")
  external        the state of a contract outside the suite the suite relies on, through its views
                  (the Superfluid framework: "SuperToken.realtimeBalanceOfNow(0xa1)")
  invariant       a state invariant fails (path: its id; `model`/`evm`: where it fails on that side,
                  None on a side where this record does not report a failure)
  step-invariant  a step invariant fails across the call (same convention)
  setup           a step of a machine's prepared state was rejected on both sides alike
  note            context for the records before it, not a difference of its own
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

KINDS = ("outcome", "return", "events", "calldata", "storage", "view", "external", "invariant",
         "step-invariant", "setup", "note")
FIELDS = ("kind", "path", "model", "evm", "step", "text")


@dataclass(frozen=True)
class Difference:
    kind: str  # one of KINDS
    path: str  # what differs: a storage path, a view call, an invariant id, "success", "events", ...
    model: str | None  # the model's value as shown (None: no value on that side for this record)
    evm: str | None  # the EVM's value as shown
    step: int = 0  # the 1-based index of the step after which it was seen (set by Mismatch)
    text: str = ""  # the human line, when it is more than "PATH: model M, evm E"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown difference kind {self.kind!r} (known: {', '.join(KINDS)})")

    def render(self) -> str:
        """The line a Mismatch shows after "differs: "."""
        return self.text or f"{self.path}: model {self.model}, evm {self.evm}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Any) -> "Difference":
        """A record from its JSON form; ValueError naming the field when it is not one."""
        if not isinstance(d, dict):
            raise ValueError(f"expected an object with {', '.join(FIELDS)}, got {type(d).__name__}")
        unknown = sorted(set(d) - set(FIELDS))
        if unknown:
            raise ValueError(f"unknown field(s) {', '.join(unknown)}")
        for f in ("kind", "path"):
            if not isinstance(d.get(f), str):
                raise ValueError(f"{f}: expected a string")
        for f in ("model", "evm"):
            if d.get(f) is not None and not isinstance(d.get(f), str):
                raise ValueError(f"{f}: expected a string or null")
        if not isinstance(d.get("step", 0), int) or isinstance(d.get("step", 0), bool):
            raise ValueError("step: expected an integer")
        if not isinstance(d.get("text", ""), str):
            raise ValueError("text: expected a string")
        return cls(d["kind"], d["path"], d.get("model"), d.get("evm"), d.get("step", 0), d.get("text", ""))


def value_difference(kind: str, path: str, model: Any, evm: Any) -> Difference:
    """A record of two values that differ, each shown as the comparison shows it (str())."""
    return Difference(kind, path, str(model), str(evm))
