"""Foundry: the project over contracts/ (project.py) and counterexamples exported as Foundry tests
(export.py). `python -m harness.cli export-forge REPLAY_FILE|CHECK_ID [--out DIR]` (docs/foundry.md).

    from harness.forge import export_forge, export_violations
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from harness.forge.export import DEFAULT_OUT, VERIFY_JSON, Unsupported, export_forge, export_violations

__all__ = ["export_forge", "export_violations", "add_parser", "run", "Unsupported"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """The `export-forge` subcommand on `subparsers` (an argparse subparsers action)."""
    p = subparsers.add_parser("export-forge", help="write a counterexample as a self-contained Foundry test (.t.sol)")
    p.add_argument("target", help="a replay file, or the id of a VIOLATED check in verify.json")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the .t.sol goes (default: reports/forge)")
    p.add_argument("--verify-json", type=Path, default=VERIFY_JSON,
                   help="the verify.json a check id is looked up in (default: reports/verify.json)")
    return p


def run(args: argparse.Namespace) -> int:
    """Run `export-forge`: print each file written; a bad target or an unsupported counterexample raises
    a WorkbenchError (one line, exit code 3 through harness.cli)."""
    from harness.forge.project import FORGE, REPO

    for path in export_forge(args.target, args.out, verify_json=args.verify_json):
        print(path)
        try:
            test_dir = path.parent.resolve().relative_to(REPO)
        except ValueError:
            test_dir = path.parent
        print(f"run it: FOUNDRY_TEST={test_dir} {FORGE.relative_to(REPO)} test --match-path '*{path.name}'")
    return 0
