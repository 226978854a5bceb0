"""Workbench errors: failures of the tools, never findings about the contracts.

Three families are kept apart (STYLE.md, "Errors and exit codes"):
- `specs.kernel.Revert`: modelled contract behaviour (a call reverts, on the model as on the EVM);
- `specs.kernel.ModelBug`: the reference model broke one of its own assertions;
- `WorkbenchError` (here): compiler, solver, engine or infrastructure failure. It maps to exit code 3.

The module sits in the bottom layer, beside the kernel, so that the provers under invariants/ can raise
tool errors and parse arguments without importing harness/ (dependencies point down).
"""

from __future__ import annotations

import argparse
from typing import Any

EXIT_OK = 0  # everything PROVED or PASSED
EXIT_VIOLATED = 1  # at least one check VIOLATED
EXIT_INCONCLUSIVE = 2  # something INCONCLUSIVE or UNSUPPORTED, nothing violated
EXIT_TOOL_ERROR = 3  # a tool failed (compiler, solver crash, engine), results incomplete


class WorkbenchError(Exception):
    """A failure of the workbench or of a tool it drives (not a finding about a contract)."""

    exit_code = EXIT_TOOL_ERROR


class CompileError(WorkbenchError):
    """Solidity did not compile. `errors` holds one dict per compiler error:
    {"file": str, "line": int, "column": int, "severity": str, "type": str, "message": str}."""

    def __init__(self, message: str, errors: list[dict] | None = None):
        super().__init__(message)
        self.errors = errors or []


class EngineError(WorkbenchError):
    """The EVM engine failed in a way that is not an EVM outcome (bad input to the engine, crash)."""


class InputError(WorkbenchError):
    """A file or argument the workbench was given is missing, malformed or of another kind: the message
    is one line naming the file (or argument) and the field or the cause."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse for the workbench's commands: a bad argument is a tool error (exit 3, one line), not
    argparse's exit 2, which `harness.cli` uses for INCONCLUSIVE. (add_subparsers makes its parsers of
    the same class.)"""

    def error(self, message: str) -> Any:  # type: ignore[override]
        self.exit(EXIT_TOOL_ERROR, f"{self.prog}: error: {message}\n")
