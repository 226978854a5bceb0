"""The Foundry project over contracts/ (foundry.toml, remappings.txt, forge/): where forge is, how to run
it, and the check that `forge build` gives the workbench's bytecode.

forge comes from npm (`@foundry-rs/forge-linux-amd64`, pinned in package.json beside anvil) and compiles
with the solc-js shim bin/solc under the settings of harness/evm/compile.py (optimizer 200 runs, cancun,
the same remappings). solc's metadata hash covers the settings, the remappings included, so any drift
between foundry.toml/remappings.txt and the workbench's compile shows as a different bytecode:
`python -m harness.forge.project check` (run by `make forge-build`) compares every contract's creation
and runtime code and exits 1 naming the ones that differ.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from specs.errors import EXIT_TOOL_ERROR, ArgumentParser, WorkbenchError

REPO = Path(__file__).resolve().parents[2]
FORGE = REPO / "node_modules" / "@foundry-rs" / "forge-linux-amd64" / "bin" / "forge"
OUT_DIR = Path(".cache") / "forge" / "out"  # foundry.toml's `out`, relative to the project root
FORGE_TIMEOUT_S = 900


def forge_binary() -> Path:
    """The forge binary from npm; a WorkbenchError saying how to get it when it is missing."""
    if not os.access(FORGE, os.X_OK):
        raise WorkbenchError(f"{FORGE}: no forge binary (it comes from npm: run `make setup`)")
    return FORGE


def run_forge(args: list[str], *, root: Path = REPO, test_dir: Path | None = None,
              timeout: int = FORGE_TIMEOUT_S) -> subprocess.CompletedProcess:
    """`forge ARGS` in the project `root`; `test_dir` overrides foundry.toml's test folder (exported
    counterexamples live in reports/forge/). The completed process, output captured as text."""
    env = dict(os.environ)
    if test_dir is not None:
        env["FOUNDRY_TEST"] = str(test_dir)
    try:
        return subprocess.run([str(forge_binary()), *args, "--root", str(root)], cwd=root, env=env,
                              capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise WorkbenchError(f"cannot run forge {' '.join(args)}: {e}") from None


def forge_artifact(name: str, source_path: str, root: Path = REPO) -> dict:
    """forge's artifact of contract `name` defined in `source_path` (repo-relative)."""
    path = root / OUT_DIR / Path(source_path).name / f"{name}.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise WorkbenchError(f"{path}: no forge artifact for {source_path}:{name} (run `make forge-build`)") from None


def bytecode_differences(root: Path = REPO) -> tuple[int, list[str]]:
    """(contracts compared, one line per contract whose forge creation or runtime code differs from the
    workbench's compile of the same source)."""
    from harness.evm.compile import compile_contracts

    build = compile_contracts(root=root)
    compared, bad = 0, []
    for art in sorted(build.artifacts.values(), key=lambda a: a.qualified_name):
        if not art.runtime:
            continue
        forge = forge_artifact(art.name, art.source_path, root)
        creation = bytes.fromhex(forge["bytecode"]["object"].removeprefix("0x"))
        runtime = bytes.fromhex(forge["deployedBytecode"]["object"].removeprefix("0x"))
        compared += 1
        if creation != art.bytecode or runtime != art.runtime:
            bad.append(f"{art.qualified_name}: forge's bytecode differs from the workbench's "
                       f"(runtime {len(runtime)} vs {len(art.runtime)} bytes)")
    return compared, bad


def main(argv: list[str] | None = None) -> int:
    ap = ArgumentParser(prog="python -m harness.forge.project",
                        description="check that `forge build` gives the workbench's bytecode")
    ap.add_argument("command", choices=["check"])
    ap.parse_args(argv)
    try:
        compared, bad = bytecode_differences()
    except WorkbenchError as e:
        print(f"forge check: {e}", file=sys.stderr)
        return EXIT_TOOL_ERROR
    for line in bad:
        print(line, file=sys.stderr)
    if bad:
        print(f"forge check: {len(bad)} of {compared} contracts differ (docs/foundry.md, 'Bytecode')", file=sys.stderr)
        return 1
    print(f"forge check: {compared} contracts, creation and runtime bytecode identical to the workbench's compile")
    return 0


if __name__ == "__main__":
    sys.exit(main())


def scratch_project(dest: Path, sources: dict[str, str] | None = None, root: Path = REPO) -> Path:
    """A copy of the Foundry project in `dest` (foundry.toml, remappings.txt, contracts/ and forge/
    copied; bin/, node_modules/ and the Superfluid artifacts linked), with `sources` (repo-relative path
    -> text) written over the copy: a contract variant tested without touching the repository."""
    import shutil

    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("foundry.toml", "remappings.txt"):
        shutil.copy2(root / name, dest / name)
    for name in ("contracts", "forge"):
        shutil.copytree(root / name, dest / name, dirs_exist_ok=True)
    for name in ("bin", "node_modules"):
        if not (dest / name).exists():
            (dest / name).symlink_to(root / name)
    sf = root / ".cache" / "superfluid"
    if sf.exists() and not (dest / ".cache" / "superfluid").exists():
        (dest / ".cache").mkdir(exist_ok=True)
        (dest / ".cache" / "superfluid").symlink_to(sf)
    for rel, text in (sources or {}).items():
        (dest / rel).write_text(text)
    return dest
