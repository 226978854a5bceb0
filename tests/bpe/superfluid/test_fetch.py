"""The pinned, verified fetch of the Superfluid package (harness.evm.fetch_superfluid)."""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from harness.evm import fetch_superfluid as fetch


def test_fetched_package_verifies_and_holds_only_what_is_needed(superfluid_package):
    assert fetch.is_fetched()
    marker = json.loads((superfluid_package / fetch.MARKER).read_text())
    assert marker["integrity"] == fetch.INTEGRITY and marker["spec"] == fetch.SPEC
    files = set(marker["files"])
    assert "dev-scripts/artifacts/ERC1820Registry.json" in files
    assert "contracts/interfaces/agreements/gdav1/IGeneralDistributionAgreementV1.sol" in files
    assert "build/hardhat/contracts/utils/SuperfluidFrameworkDeployer.t.sol/SuperfluidFrameworkDeployer.json" in files
    assert not any("build-info" in f or f.endswith(".dbg.json") for f in files)
    on_disk = {str(p.relative_to(superfluid_package)) for p in superfluid_package.rglob("*") if p.is_file()}
    assert on_disk == files | {fetch.MARKER}


def test_fetch_is_idempotent_without_npm(superfluid_package, monkeypatch):
    monkeypatch.setattr(fetch.shutil, "which", lambda _name: None)  # any download would fail
    assert fetch.ensure_package() == superfluid_package


def test_a_changed_extracted_file_is_not_verified(tmp_path, superfluid_package):
    import shutil

    copy = tmp_path / "package"
    shutil.copytree(superfluid_package, copy)
    assert fetch.is_fetched(tmp_path)
    (copy / "package.json").write_text("{}")
    assert not fetch.is_fetched(tmp_path)


def test_fetch_rejects_a_tarball_with_another_integrity(tmp_path):
    _bad_tarball(tmp_path / fetch.TARBALL_NAME)
    with pytest.raises(fetch.IntegrityError, match="does not match the pinned"):
        fetch.ensure_package(tmp_path)
    assert not (tmp_path / "package").exists()


@pytest.mark.parametrize("member, expected", [
    ("package/build/hardhat/contracts/superfluid/Superfluid.sol/Superfluid.json", True),
    ("package/build/hardhat/contracts/superfluid/Superfluid.sol/Superfluid.dbg.json", False),
    ("package/build/hardhat/build-info/89a115105627084736584e8e2e3ad5f9.json", False),
    ("package/build/truffle/Superfluid.json", False),
    ("package/contracts/interfaces/superfluid/ISuperfluid.sol", True),
    ("package/contracts/superfluid/Superfluid.sol", False),
    ("package/dev-scripts/artifacts/ERC1820Registry.json", True),
    ("package/package.json", True),
    ("other/package.json", False),
])
def test_only_the_needed_members_are_extracted(member, expected):
    assert fetch.wanted(member) is expected


def _bad_tarball(path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        data = b'{"name": "@superfluid-finance/ethereum-contracts", "version": "1.15.2"}'
        info = tarfile.TarInfo("package/package.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    path.write_bytes(buf.getvalue())


def test_the_command_answers_a_tarball_of_another_hash_with_one_line_and_exit_3(tmp_path, capsys):
    from tests.one_line import one_line

    _bad_tarball(tmp_path / fetch.TARBALL_NAME)
    assert fetch.main(["--cache-dir", str(tmp_path)]) == 3
    line = one_line(capsys.readouterr().err)
    assert str(tmp_path / fetch.TARBALL_NAME) in line and "does not match the pinned" in line, line
    assert not (tmp_path / "package").exists()  # nothing extracted


def test_the_command_answers_a_missing_npm_with_one_line_and_exit_3(tmp_path, capsys, monkeypatch):
    from tests.one_line import one_line

    monkeypatch.setattr(fetch.shutil, "which", lambda _name: None)
    assert fetch.main(["--cache-dir", str(tmp_path)]) == 3
    line = one_line(capsys.readouterr().err)
    assert "npm is not on PATH" in line, line
    assert not (tmp_path / "package").exists()
