"""harness.evm.compile: artifacts through crytic-compile, compile errors, the cache, slither on the result."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from specs.errors import EXIT_TOOL_ERROR, CompileError
from harness.evm import compile as compile_mod
from harness.evm.compile import REPO, SOLC_SHIM, Artifact, Build, compile_contracts

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURES_REL = FIXTURES.relative_to(REPO).as_posix()  # "tests/compile/fixtures"
OZ_TOKEN = f"{FIXTURES_REL}/OzToken.sol"
BROKEN = f"{FIXTURES_REL}/Broken.sol"


@pytest.fixture(scope="module")
def oz_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("solc-cache")


@pytest.fixture(scope="module")
def oz_build(oz_cache) -> Build:
    """A cold compile of the OpenZeppelin fixture, with root = the repo."""
    return compile_contracts([OZ_TOKEN], cache_dir=oz_cache)


@pytest.fixture
def project(tmp_path) -> Path:
    """A root of its own (the cache tests edit its sources): contracts/Counter.sol imports contracts/Lib.sol."""
    root = tmp_path / "project"
    (root / "contracts").mkdir(parents=True)
    for name in ("Counter.sol", "Lib.sol"):
        shutil.copy(FIXTURES / name, root / "contracts" / name)
    return root


def cache_entries(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.glob("*.json"))


# -- artifacts ----------------------------------------------------------------------------------------


def test_oz_token_compiles_with_abi_bytecode_and_storage_layout(oz_build):
    token = oz_build.get("OzToken")
    assert token.source_path == OZ_TOKEN
    assert {"transfer", "mint", "cap", "balanceOfOther"} <= {e.get("name") for e in token.abi}
    assert token.bytecode and token.runtime
    assert token.bytecode.endswith(token.runtime) or len(token.bytecode) > len(token.runtime)
    assert token.srcmap and token.srcmap_runtime
    assert token.link_references == {}
    # ERC20's five state variables come first, then OzToken's; `cap` and `minter` do not share a slot.
    assert token.slot_of("_balances") == 0
    assert token.slot_of("_symbol") == 4
    assert token.slot_of("cap") == 5
    assert token.slot_of("minter") == 6
    assert token.storage_layout["types"]["t_uint256"]["numberOfBytes"] == "32"
    assert token.runtime_sha256 == hashlib.sha256(token.runtime).hexdigest()
    assert token.bytecode_sha256 == hashlib.sha256(token.bytecode).hexdigest()


def test_artifacts_reachable_by_name_and_by_path(oz_build):
    assert oz_build.get(f"{OZ_TOKEN}:OzToken") is oz_build.get("OzToken")
    erc20 = oz_build.get("ERC20")
    assert erc20.source_path == "node_modules/@openzeppelin/contracts/token/ERC20/ERC20.sol"
    assert erc20.runtime == b""  # abstract


def test_unknown_contract_name_lists_known_names(oz_build):
    with pytest.raises(KeyError, match="OzToken"):
        oz_build.get("StakeManagr")


def test_slot_of_unknown_variable_names_the_contract(oz_build):
    with pytest.raises(KeyError, match=r"OzToken has no state variable 'nope'.*cap"):
        oz_build.get("OzToken").slot_of("nope")


def test_build_records_compiler_and_every_source_read(oz_build):
    assert oz_build.compiler_version.startswith("0.8.28+commit.")
    assert oz_build.compiler_version.endswith(".Emscripten.clang")
    erc20 = "node_modules/@openzeppelin/contracts/token/ERC20/ERC20.sol"
    assert {OZ_TOKEN, erc20, "node_modules/@openzeppelin/contracts/token/ERC20/IERC20.sol"} <= set(
        oz_build.source_hashes
    )
    assert oz_build.source_hashes[erc20] == hashlib.sha256((REPO / erc20).read_bytes()).hexdigest()
    assert set(oz_build.source_hashes) == set(oz_build.solc_output["sources"])


def test_settings_are_cancun_optimized_200_runs(oz_build):
    metadata = json.loads(oz_build.solc_output["contracts"][OZ_TOKEN]["OzToken"]["metadata"])
    assert metadata["settings"]["evmVersion"] == "cancun"
    assert metadata["settings"]["optimizer"] == {"enabled": True, "runs": 200}
    unit = next(iter(oz_build.crytic.compilation_units.values()))
    assert unit.compiler_version.version == "0.8.28"
    assert unit.compiler_version.optimized


def test_crytic_compile_object_has_the_contracts(oz_build):
    unit = next(iter(oz_build.crytic.compilation_units.values()))
    names = {name for su in unit.source_units.values() for name in su.contracts_names}
    assert {"OzToken", "ERC20", "IERC20"} <= names


def test_slither_python_api_accepts_the_build(oz_build):
    from slither.slither import Slither

    slither = Slither(oz_build.crytic)
    names = {c.name for c in slither.contracts}
    assert {"OzToken", "ERC20", "IERC20", "IERC20Metadata", "Context"} <= names
    [token] = slither.get_contract_from_name("OzToken")
    assert [v.name for v in token.state_variables_ordered][-2:] == ["cap", "minter"]
    assert token.source_mapping.filename.absolute == str(REPO / OZ_TOKEN)


# -- cache --------------------------------------------------------------------------------------------


def test_second_compile_is_a_cache_hit(oz_build, oz_cache):
    assert not oz_build.cache_hit
    again = compile_contracts([OZ_TOKEN], cache_dir=oz_cache)
    assert again.cache_hit
    assert again.get("OzToken") == oz_build.get("OzToken")
    assert again.source_hashes == oz_build.source_hashes


def test_different_remappings_are_a_different_entry(project, tmp_path):
    cache = tmp_path / "cache"
    compile_contracts(root=project, cache_dir=cache)
    build = compile_contracts(root=project, cache_dir=cache, remappings=["@x/=contracts/"])
    assert not build.cache_hit
    assert len(cache_entries(cache)) == 2


@pytest.mark.parametrize(
    "corrupt",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: b"{not json" + data, id="bad-json"),
        pytest.param(lambda data: data.replace(b'"Counter"', b'"Countex"', 1), id="checksum-mismatch"),
        pytest.param(lambda data: b"", id="empty"),
    ],
)
def test_corrupt_cache_entry_is_rebuilt_with_a_warning(project, tmp_path, caplog, corrupt):
    cache = tmp_path / "cache"
    first = compile_contracts(root=project, cache_dir=cache)
    [entry] = cache_entries(cache)
    entry.write_bytes(corrupt(entry.read_bytes()))

    with caplog.at_level(logging.WARNING, logger="harness.evm.compile"):
        rebuilt = compile_contracts(root=project, cache_dir=cache)
    assert not rebuilt.cache_hit
    assert any("corrupt" in r.getMessage() for r in caplog.records)
    assert rebuilt.get("Counter") == first.get("Counter")
    assert compile_contracts(root=project, cache_dir=cache).cache_hit  # the entry was rewritten


def test_edited_source_makes_the_entry_stale(project, tmp_path):
    cache = tmp_path / "cache"
    first = compile_contracts(root=project, cache_dir=cache)
    counter = project / "contracts" / "Counter.sol"
    counter.write_text(counter.read_text().replace("byCaller[msg.sender] += 1;", "byCaller[msg.sender] += 2;"))

    edited = compile_contracts(root=project, cache_dir=cache)
    assert not edited.cache_hit
    assert edited.get("Counter").runtime != first.get("Counter").runtime
    assert edited.source_hashes["contracts/Counter.sol"] != first.source_hashes["contracts/Counter.sol"]


def test_edited_import_makes_the_entry_stale(project, tmp_path):
    cache = tmp_path / "cache"
    first = compile_contracts(root=project, cache_dir=cache)
    lib = project / "contracts" / "Lib.sol"
    lib.write_text(lib.read_text().replace("x + 1", "x + 3"))

    edited = compile_contracts(root=project, cache_dir=cache)
    assert not edited.cache_hit
    assert edited.get("Counter").runtime != first.get("Counter").runtime


def test_default_sources_are_every_sol_under_contracts(project, tmp_path):
    build = compile_contracts(root=project, cache_dir=tmp_path / "cache")
    assert set(build.source_hashes) == {"contracts/Counter.sol", "contracts/Lib.sol"}
    assert build.get("Counter").slot_of("byCaller") == 1


def test_node_modules_symlinked_into_another_root_resolves(tmp_path):
    """A root elsewhere reaches the repo's node_modules through a symlink: the remapping targets' real paths
    are allowed, as native solc would need with --allow-paths."""
    root = tmp_path / "project"
    (root / "contracts").mkdir(parents=True)
    shutil.copy(FIXTURES / "OzToken.sol", root / "contracts" / "OzToken.sol")
    (root / "node_modules").symlink_to(REPO / "node_modules")
    build = compile_contracts(root=root, cache_dir=tmp_path / "cache")
    assert build.get("OzToken").source_path == "contracts/OzToken.sol"
    assert "node_modules/@openzeppelin/contracts/token/ERC20/ERC20.sol" in build.source_hashes


# -- errors -------------------------------------------------------------------------------------------


def test_syntax_error_raises_compile_error_with_file_and_line(tmp_path):
    with pytest.raises(CompileError) as info:
        compile_contracts([BROKEN], cache_dir=tmp_path)
    [error] = info.value.errors
    assert error == {
        "file": BROKEN,
        "line": 9,
        "column": 5,
        "severity": "error",
        "type": "ParserError",
        "message": "Expected ';' but got '}'",
    }
    assert f"{BROKEN}:9:5: ParserError: Expected ';' but got '}}'" in str(info.value)
    assert cache_entries(tmp_path) == []  # failures are not cached


def test_cli_exits_3_on_syntax_error(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "harness.evm.compile", "--cache-dir", str(tmp_path), BROKEN],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert proc.returncode == EXIT_TOOL_ERROR == 3
    assert f"{BROKEN}:9:5: ParserError: Expected ';' but got '}}'" in proc.stderr
    assert proc.stdout == ""


def test_cli_prints_name_size_and_hash_per_contract(oz_build, oz_cache):
    proc = subprocess.run(
        [sys.executable, "-m", "harness.evm.compile", "--cache-dir", str(oz_cache), OZ_TOKEN],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    token = oz_build.get("OzToken")
    assert f"OzToken\t{len(token.runtime)}\t{token.runtime_sha256}" in proc.stdout.splitlines()
    assert len(proc.stdout.splitlines()) == len(oz_build.artifacts)


def test_warnings_are_logged_not_raised(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="harness.evm.compile"):
        build = compile_contracts([f"{FIXTURES_REL}/Warns.sol"], cache_dir=tmp_path)
    assert build.get("Warns").runtime
    expected = f"{FIXTURES_REL}/Warns.sol:7:9: Warning: Unused local variable"
    assert any(expected in r.getMessage() for r in caplog.records)


def test_contract_needing_library_linking_is_refused(tmp_path):
    with pytest.raises(CompileError, match="Linked needs library linking") as info:
        compile_contracts([f"{FIXTURES_REL}/Linked.sol"], cache_dir=tmp_path)
    assert info.value.errors[0]["type"] == "LinkError"


def test_missing_source_raises_compile_error(tmp_path):
    with pytest.raises(CompileError, match="Nope.sol: FileNotFound") as info:
        compile_contracts([f"{FIXTURES_REL}/Nope.sol"], cache_dir=tmp_path)
    assert info.value.errors[0]["file"] == f"{FIXTURES_REL}/Nope.sol"


def test_duplicate_contract_names_need_the_path(project, tmp_path):
    (project / "contracts" / "Other.sol").write_text("pragma solidity ^0.8.0; contract Counter {}\n")
    build = compile_contracts(root=project, cache_dir=tmp_path / "cache")
    with pytest.raises(KeyError, match="contracts/Counter.sol:Counter, contracts/Other.sol:Counter"):
        build.get("Counter")
    assert build.get("contracts/Other.sol:Counter").runtime != build.get("contracts/Counter.sol:Counter").runtime


FAKE_SHIMS = {
    "exits-nonzero": 'echo "node: cannot find soljson" >&2; exit 1',
    "prints-garbage": 'echo "this is not json"; echo "half-dead compiler" >&2',
}


@pytest.mark.parametrize("behaviour", FAKE_SHIMS)
def test_shim_failure_raises_compile_error_with_its_stderr(project, tmp_path, monkeypatch, behaviour):
    fake = tmp_path / "fake-solc"
    fake.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = --version ]; then printf "solc, fake\\nVersion: 0.8.28+commit.fake\\n"; exit 0; fi\n'
        f"cat >/dev/null; {FAKE_SHIMS[behaviour]}\n"
    )
    fake.chmod(0o755)
    monkeypatch.setattr(compile_mod, "SOLC_SHIM", fake)
    with pytest.raises(CompileError, match="node: cannot find soljson|half-dead compiler"):
        compile_contracts(root=project, cache_dir=tmp_path / "cache")


def test_missing_shim_raises_compile_error(project, tmp_path, monkeypatch):
    monkeypatch.setattr(compile_mod, "SOLC_SHIM", tmp_path / "no-such-solc")
    with pytest.raises(CompileError, match="cannot run the solc shim"):
        compile_contracts(root=project, cache_dir=tmp_path / "cache")


def test_public_interface():
    assert SOLC_SHIM == REPO / "bin" / "solc"
    assert set(Artifact.__dataclass_fields__) == {
        "name", "source_path", "abi", "bytecode", "runtime", "srcmap", "srcmap_runtime", "storage_layout",
        "link_references", "immutables",
    }
    assert list(Build.__dataclass_fields__) == [
        "artifacts", "compiler_version", "source_hashes", "solc_output", "crytic", "cache_hit",
    ]
