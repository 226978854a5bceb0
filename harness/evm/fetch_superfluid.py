"""Fetch the prebuilt Superfluid protocol artifacts, pinned and verified, into `.cache/superfluid/`.

    .venv/bin/python -m harness.evm.fetch_superfluid [--cache-dir DIR] [--force]

`npm pack @superfluid-finance/ethereum-contracts@1.15.2` downloads the one tarball (14 MB; a plain
`npm install` of the package pulls 932 packages, 779 MB, hardhat and truffle among them). The
tarball is checked against the sha512 integrity pinned below (`npm view ... dist.integrity`); a
mismatch is an error and nothing is extracted. Only what the workbench needs is extracted to
`.cache/superfluid/package/`:
- `build/hardhat/**.json`, the hardhat artifacts (abi, bytecode, linkReferences), without the
  52 MB `build-info/` (full compiler input and output) and without the `*.dbg.json` pointers to it;
- `dev-scripts/artifacts/ERC1820Registry.json` (the ERC1820 registry the framework needs);
- `contracts/interfaces/**` (to compile the workbench's contracts against the interfaces; they
  import `@openzeppelin-v5/...`, i.e. OpenZeppelin 5 under that remapping);
- `package.json` (provenance).

Idempotent: `package/.fetched.json` records the pinned integrity and the sha256 of every extracted
file; when it matches and every file still hashes to its record, nothing is done. Extraction goes
to a temporary directory renamed into place, so an interrupted run leaves no half tree behind.
Exit code 0 on success, 3 (tool error) on any failure. Needs npm only when something is missing.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from specs.errors import ArgumentParser, WorkbenchError

PACKAGE = "@superfluid-finance/ethereum-contracts"
VERSION = "1.15.2"
SPEC = f"{PACKAGE}@{VERSION}"
# `npm view @superfluid-finance/ethereum-contracts@1.15.2 dist.integrity`
INTEGRITY = "sha512-pvNZvjR72VNdVsUyk0AEsyU8nhk3ClFI9IDfpDVgHaeupugUzrtrsWAwr8s9iAbNgC7uS4e3/kz1Afd+aK5H7Q=="
TARBALL_NAME = f"superfluid-finance-ethereum-contracts-{VERSION}.tgz"

ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = ROOT / ".cache" / "superfluid"
MARKER = ".fetched.json"
NPM_TIMEOUT = 300  # seconds


class FetchError(WorkbenchError):
    """The Superfluid package could not be fetched, verified or extracted."""


class IntegrityError(FetchError):
    """The tarball is not the pinned one (its sha512 integrity differs)."""


def package_dir(cache_dir: Path = CACHE_DIR) -> Path:
    return Path(cache_dir) / "package"


def wanted(member: str) -> bool:
    """Is this tarball member (a path under `package/`) one the workbench extracts?"""
    if not member.startswith("package/"):
        return False
    rel = member[len("package/"):]
    if rel == "package.json" or rel == "dev-scripts/artifacts/ERC1820Registry.json":
        return True
    if rel.startswith("build/hardhat/"):
        return (not rel.startswith("build/hardhat/build-info/") and rel.endswith(".json")
                and not rel.endswith(".dbg.json"))
    return rel.startswith("contracts/interfaces/")


def integrity_of(path: Path) -> str:
    """The npm (subresource) integrity string "sha512-<base64>" of a file."""
    h = hashlib.sha512()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha512-" + base64.b64encode(h.digest()).decode()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def is_fetched(cache_dir: Path = CACHE_DIR) -> bool:
    """True when `package/` holds exactly what a verified extraction of the pinned tarball wrote
    (marker present, same integrity and version, every recorded file present with its sha256)."""
    pkg = package_dir(cache_dir)
    try:
        marker = json.loads((pkg / MARKER).read_text())
    except (OSError, ValueError):
        return False
    if marker.get("integrity") != INTEGRITY or marker.get("spec") != SPEC or not marker.get("files"):
        return False
    for rel, digest in marker["files"].items():
        p = pkg / rel
        if not p.is_file() or _sha256(p) != digest:
            return False
    return True


def _npm_pack(cache_dir: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError(f"cannot fetch {SPEC}: npm is not on PATH")
    try:
        proc = subprocess.run(
            [npm, "pack", SPEC, "--pack-destination", str(cache_dir), "--json",
             "--no-audit", "--no-fund", "--loglevel=error"],
            capture_output=True, text=True, timeout=NPM_TIMEOUT, cwd=cache_dir,
        )
    except subprocess.TimeoutExpired as exc:
        raise FetchError(f"npm pack {SPEC} timed out after {NPM_TIMEOUT} s") from exc
    if proc.returncode != 0:
        raise FetchError(f"npm pack {SPEC} failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")
    tarball = cache_dir / TARBALL_NAME
    if not tarball.is_file():
        raise FetchError(f"npm pack {SPEC} succeeded but {tarball} is missing (stdout: {proc.stdout[:500]})")
    return tarball


def _verified_tarball(cache_dir: Path) -> Path:
    """The tarball in `cache_dir`, downloaded if absent; raises FetchError unless its integrity is
    the pinned one."""
    tarball = cache_dir / TARBALL_NAME
    if not tarball.is_file():
        tarball = _npm_pack(cache_dir)
    got = integrity_of(tarball)
    if got != INTEGRITY:
        raise IntegrityError(
            f"{tarball}: integrity {got} does not match the pinned {INTEGRITY} of {SPEC}; "
            "the file was left in place for inspection and nothing was extracted (delete it to retry)"
        )
    return tarball


def _extract(tarball: Path, cache_dir: Path) -> int:
    """Extract the wanted members to `package/` (via a temporary directory); return their count."""
    tmp = Path(tempfile.mkdtemp(prefix="extract-", dir=cache_dir))
    try:
        files: dict[str, str] = {}
        with tarfile.open(tarball, "r:gz") as tar:
            members = [m for m in tar.getmembers() if m.isfile() and wanted(m.name)]
            tar.extractall(tmp, members=members, filter="data")
        for m in members:
            rel = m.name[len("package/"):]
            files[rel] = _sha256(tmp / "package" / rel)
        if "build/hardhat/contracts/utils/SuperfluidFrameworkDeployer.t.sol/SuperfluidFrameworkDeployer.json" not in files:
            raise FetchError(f"{tarball} has no SuperfluidFrameworkDeployer artifact: not the expected package")
        marker = {"spec": SPEC, "integrity": INTEGRITY, "files": dict(sorted(files.items()))}
        (tmp / "package" / MARKER).write_text(json.dumps(marker, indent=1) + "\n")
        dest = package_dir(cache_dir)
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp / "package", dest)
        return len(files)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def ensure_package(cache_dir: Path = CACHE_DIR, *, force: bool = False) -> Path:
    """Make sure the verified extraction is in `cache_dir/package` and return that directory.
    Downloads (npm pack) only when the tarball is missing; raises FetchError on any failure."""
    cache_dir = Path(cache_dir)
    if not force and is_fetched(cache_dir):
        return package_dir(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    if force:
        (cache_dir / TARBALL_NAME).unlink(missing_ok=True)
    tarball = _verified_tarball(cache_dir)
    try:
        _extract(tarball, cache_dir)
    except (OSError, tarfile.TarError) as exc:
        raise FetchError(f"cannot extract {tarball}: {exc}") from exc
    if not is_fetched(cache_dir):
        raise FetchError(f"{package_dir(cache_dir)} does not verify right after extraction")
    return package_dir(cache_dir)


def main(argv: list[str] | None = None) -> int:
    ap = ArgumentParser(prog="python -m harness.evm.fetch_superfluid", description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache-dir", type=Path, default=CACHE_DIR, help=f"default: {CACHE_DIR}")
    ap.add_argument("--force", action="store_true", help="download and extract again")
    args = ap.parse_args(argv)
    already = not args.force and is_fetched(args.cache_dir)
    try:
        pkg = ensure_package(args.cache_dir, force=args.force)
    except FetchError as exc:
        print(f"fetch_superfluid: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"{SPEC}: {'already ' if already else ''}verified and extracted in {pkg}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
