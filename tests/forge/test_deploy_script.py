"""forge/script/DeployCompute.s.sol (`forge script`, docs/foundry.md) run against real anvil nodes and
checked against the compute suite's declaration and against the SDK's deployment of the same suite.

What `deployment_problems` checks, on the node the script broadcast to:
- the script reports (its console lines) exactly the declaration's proved deployments
  (specs/compute/suite.py), in their order, and the roles it used: the account given in COMPUTE_<ROLE>
  for every role of the suite's actors, the deployer when none is given;
- the i-th deployment is the deployer's i-th creation of the run, and the run sent nothing else: the
  declaration's order, no extra transactions;
- every contract has code, and that runtime code equals, byte for byte, the code sdk/deploy_suite.py
  deploys for it. The SDK deploys on a second fresh anvil, from the same key with the same role
  accounts, so both deployments land at the same addresses and even the immutables (the addresses a
  contract is constructed with, held in its code) are comparable; a difference is reported as lying
  in the immutables or outside them (another compile or another contract);
- the wiring: every constructor argument the declaration computes (from the addresses deployed
  before, the suite's fixed role addresses replaced by the role accounts, as the SDK does) is what the
  view named after the constructor parameter returns (`owner_` -> `owner()`, `staking_` ->
  `staking()`, ...); a parameter without such a view is reported, not skipped.

Deliberately wrong copies of the script (a constructor argument changed, two deployments swapped, a role
ignored, the declaration's constant changed) are run in a scratch copy of the Foundry project and must
each be reported by the same checks; so must the unchanged script against a changed declaration.

Every test that starts anvil is marked slow (make test-slow); only the reading of forge's output is in
the fast tier.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
from eth_account import Account

from harness.evm.abi import ContractABI
from harness.forge.project import REPO, forge_binary, scratch_project
from sdk.anvil import DEV_KEYS, Anvil, AnvilNotFound, find_anvil, start_anvil
from sdk.chain import Chain, SDKError, checksum, to_int_address
from sdk.deploy_suite import SuiteDeployment, deploy_suite
from specs.deploy import Deployment, create_address
from specs.errors import EngineError

SUITE = "compute"
SCRIPT = Path("forge") / "script" / "DeployCompute.s.sol"  # relative to the Foundry project's root
KEY = DEV_KEYS[0]  # anvil's first dev account broadcasts, as in docs/foundry.md
DEPLOYER = to_int_address(Account.from_key(KEY).address)
FORGE_SCRIPT_TIMEOUT_S = 600


def role_env(role: str) -> str:
    """The environment variable the script reads the account of `role` from."""
    return f"COMPUTE_{role.upper()}"


def declaration() -> tuple[list[Deployment], dict[str, int]]:
    """(the suite's proved deployments in order, its role actors without the deployer: name -> the
    declaration's fixed address)."""
    from specs.suite import get_suite

    suite = get_suite(SUITE)
    actors = {name: addr for name, addr in suite.actors.items() if name != "deployer"}
    return list(suite.resolve(suite.proved_deployments)), actors


def given_roles() -> dict[str, int]:
    """A distinct dev account per role (not the deployer's), so that a role taken for another is seen."""
    _, actors = declaration()
    return {role: to_int_address(Account.from_key(DEV_KEYS[1 + i]).address) for i, role in enumerate(sorted(actors))}


@contextlib.contextmanager
def node(tmp_path: Path, name: str) -> Iterator[Anvil]:
    try:
        find_anvil()
    except AnvilNotFound as exc:
        pytest.skip(f"anvil is not installed: {exc}")
    n = start_anvil(log_path=tmp_path / f"{name}.log")
    try:
        yield n
    finally:
        n.stop()


# --------------------------------------------------------------------------------------------------
# Running the script


@dataclass
class ScriptRun:
    contracts: dict[str, int]  # name -> address, in the order the script reported them
    deployer: int
    roles: dict[str, int]
    first_nonce: int  # the deployer's nonce before the run
    last_nonce: int  # and after it
    output: str


def run_script(anvil: Anvil, roles: dict[str, int], tmp_path: Path, build_dir: Path, *, root: Path = REPO,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`forge script forge/script/DeployCompute.s.sol --rpc-url URL --broadcast --private-key KEY --json` in
    the Foundry project `root`, each role's account in its COMPUTE_<ROLE> variable (none set for a role
    not in `roles`). Nothing is written into the project: forge's broadcast record goes to `tmp_path`, its
    build and cache to `build_dir` (so a test never shares the repository's .cache/forge with another
    forge running at the same time)."""
    _, actors = declaration()
    ours = {role_env(r) for r in actors} | {"FOUNDRY_BROADCAST", "FOUNDRY_OUT", "FOUNDRY_CACHE_PATH"}
    clean = {k: v for k, v in os.environ.items() if k not in ours}
    clean["FOUNDRY_BROADCAST"] = str(tmp_path / "broadcast")
    clean["FOUNDRY_OUT"] = str(build_dir / "out")
    clean["FOUNDRY_CACHE_PATH"] = str(build_dir / "cache")
    clean.update({role_env(r): checksum(a) for r, a in roles.items()})
    clean.update(env or {})
    args = [str(forge_binary()), "script", str(SCRIPT), "--root", str(root), "--rpc-url", anvil.url, "--broadcast",
            "--private-key", KEY, "--json"]
    return subprocess.run(args, cwd=root, env=clean, capture_output=True, text=True, timeout=FORGE_SCRIPT_TIMEOUT_S)


def deploy_with_script(anvil: Anvil, roles: dict[str, int], tmp_path: Path, build_dir: Path, *,
                       root: Path = REPO) -> ScriptRun:
    chain = Chain(anvil.url)
    first = chain.nonce(checksum(DEPLOYER))
    proc = run_script(anvil, roles, tmp_path, build_dir, root=root)
    assert proc.returncode == 0, f"forge script failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return parse_report(proc.stdout, first, chain.nonce(checksum(DEPLOYER)))


def parse_report(stdout: str, first_nonce: int, last_nonce: int) -> ScriptRun:
    """The script's console lines (`deployer ADDR`, `role NAME ADDR`, `CONTRACT ADDR`) from forge's JSON
    output: the first JSON object of stdout that carries `logs`."""
    logs = None
    for line in stdout.splitlines():
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                obj = json.loads(line)
                if isinstance(obj, dict) and "logs" in obj:
                    logs = obj["logs"]
                    break
    assert logs is not None, f"no JSON result with logs in forge's output:\n{stdout[-3000:]}"
    deployer, roles, contracts = None, {}, {}
    for entry in logs:
        words = entry.split()
        if len(words) == 2 and words[0] == "deployer":
            deployer = to_int_address(words[1])
        elif len(words) == 3 and words[0] == "role":
            roles[words[1]] = to_int_address(words[2])
        elif len(words) == 2 and words[1].startswith("0x"):
            contracts[words[0]] = to_int_address(words[1])
        else:
            raise AssertionError(f"a console line of the script that is none of its reports: {entry!r}")
    assert deployer is not None, f"the script did not report its deployer: {logs}"
    return ScriptRun(contracts, deployer, roles, first_nonce, last_nonce, stdout)


def deploy_with_sdk(anvil: Anvil, roles: dict[str, int]) -> SuiteDeployment:
    return deploy_suite(Chain(anvil.url), Chain.account(KEY), SUITE, roles={r: checksum(a) for r, a in roles.items()})


# --------------------------------------------------------------------------------------------------
# The checks


def _code_difference(name: str, got: bytes, want: bytes) -> str:
    """Where runtime `got` differs from `want`: in the immutables of contract `name` (solc's
    immutableReferences in the workbench's compile) or outside them."""
    from harness.evm.compile import compile_contracts

    build = compile_contracts()
    art = build.get(name)
    runtime = build.solc_output["contracts"][art.source_path][name]["evm"]["deployedBytecode"]
    refs = runtime.get("immutableReferences", {})
    immutable = {i for spans in refs.values() for s in spans for i in range(s["start"], s["start"] + s["length"])}
    if len(got) != len(want):
        return f"{len(got)} bytes, the SDK's {len(want)}: another compile or another contract"
    diff = [i for i in range(len(got)) if got[i] != want[i]]
    outside = [i for i in diff if i not in immutable]
    if outside:
        return (f"differs at {len(outside)} bytes outside its immutables (first at {outside[0]}): another compile "
                f"or another contract")
    return (f"differs only in its immutables ({len(diff)} bytes): it was constructed with other addresses "
            f"than the SDK's deployment")


def deployment_problems(chain: Chain, run: ScriptRun, roles: dict[str, int], sdk_chain: Chain,
                        sdk: SuiteDeployment) -> list[str]:
    """Every way the script's deployment on `chain` departs from the declaration, with the role accounts
    `roles` (the deployer for a role not given), or from the SDK's deployment `sdk` on `sdk_chain`, made
    from the same key with the same roles on a fresh node: one line each, [] when there is none."""
    deployments, actors = declaration()
    names = [d.name for d in deployments]
    problems: list[str] = []
    if list(run.contracts) != names:
        problems.append(f"the script reports {list(run.contracts)}; the declaration's proved deployments are {names}")
    if run.deployer != DEPLOYER:
        problems.append(f"the script reports deployer {checksum(run.deployer)}, the key's account is "
                        f"{checksum(DEPLOYER)}")
    role_accounts = {r: roles.get(r, DEPLOYER) for r in actors}
    for r, want in role_accounts.items():
        got = run.roles.get(r)
        if got != want:
            problems.append(f"role {r}: the script used {checksum(got) if got is not None else 'nothing'}, "
                            f"expected {checksum(want)} ({role_env(r)})")
    for r in sorted(set(run.roles) - set(actors)):
        problems.append(f"the script reports a role {r!r} the suite does not have (its roles: {sorted(actors)})")
    sent = run.last_nonce - run.first_nonce
    if sent != len(deployments):
        problems.append(f"the script sent {sent} transactions; the declaration has {len(deployments)} deployments")

    # the SDK's substitution (sdk/deploy_suite.py): a constructor argument equal to a role's fixed address
    # (or the fixed deployer's) is that role's account
    from specs.deploy import DEPLOYER as FIXED_DEPLOYER

    replace = {actors[r]: role_accounts[r] for r in actors}
    replace[FIXED_DEPLOYER] = run.deployer
    for i, dep in enumerate(deployments):
        addr = run.contracts.get(dep.name)
        if addr is None:
            continue
        created = create_address(run.deployer, run.first_nonce + i)
        if addr != created:
            problems.append(f"{dep.name}: at {checksum(addr)}, not the deployer's creation {i} of the run "
                            f"({checksum(created)}): deployed out of the declaration's order")
        code = chain.code(addr)
        if not code:
            problems.append(f"{dep.name}: no code at {checksum(addr)}")
            continue
        if dep.name not in sdk.contracts:
            problems.append(f"{dep.name}: the SDK's deployment has no such contract (it has {list(sdk.contracts)})")
            continue
        sdk_code = sdk_chain.code(sdk.address(dep.name))
        if code != sdk_code:
            problems.append(f"{dep.name}: its runtime code is not the SDK's: "
                            f"{_code_difference(dep.name, code, sdk_code)}")
        try:
            declared = dep.ctor_args(run.contracts)
        except KeyError as exc:
            problems.append(f"{dep.name}: its constructor arguments need {exc}, which the script did not report")
            continue
        problems += _wiring_problems(chain, dep.name, addr, sdk.abi(dep.name),
                                     tuple(replace.get(a, a) if isinstance(a, int) else a for a in declared))
    return problems


def _wiring_problems(chain: Chain, name: str, addr: int, abi: ContractABI, args: tuple) -> list[str]:
    """Each constructor argument against the view named after its parameter (`owner_` -> `owner()`)."""
    ctor = next((e for e in abi.entries if e.get("type") == "constructor"), {"inputs": []})
    params = ctor["inputs"]
    if len(params) != len(args):
        return [f"{name}: its constructor takes {len(params)} arguments, the declaration gives {len(args)}"]
    problems = []
    views = {e["name"] for e in abi.entries if e.get("type") == "function" and not e.get("inputs")
             and e.get("stateMutability") in ("view", "pure")}
    for param, want in zip(params, args):
        view = param["name"].strip("_")
        if view not in views:
            problems.append(f"{name}: constructor parameter {param['name']!r} has no view {view}() to check it by")
            continue
        try:
            ret = chain.call(addr, abi.encode_call(view, ()), abi=abi, what=f"{name}.{view}()")
            (got,) = abi.decode_output(view, ret)
        except (SDKError, EngineError) as exc:
            problems.append(f"{name}.{view}() failed: {exc}")
            continue
        if param["type"] == "address":
            got, want = to_int_address(got), to_int_address(want)
            shown = (checksum(got), checksum(want))
        else:
            shown = (got, want)
        if got != want:
            problems.append(f"{name}.{view}() is {shown[0]}, the declaration's constructor argument is {shown[1]}")
    return problems


# --------------------------------------------------------------------------------------------------
# The tests


@pytest.fixture(scope="module")
def sdk_deployments(tmp_path_factory) -> Iterator[dict[str, tuple[Chain, SuiteDeployment, dict[str, int]]]]:
    """The SDK's deployment of the suite, on a fresh node each, with the roles given ("given": a distinct
    account per role) and with none given ("default": every role is the deployer)."""
    tmp = tmp_path_factory.mktemp("sdk")
    with contextlib.ExitStack() as stack:
        out = {}
        for kind, roles in (("given", given_roles()), ("default", {})):
            n = stack.enter_context(node(tmp, f"sdk-{kind}"))
            out[kind] = (Chain(n.url), deploy_with_sdk(n, roles), roles)
        yield out


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    """A copy of the Foundry project (harness.forge.project.scratch_project) to run wrong scripts in."""
    return scratch_project(tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[str, Path]:
    """forge's build and cache folders for the runs in the repository and in the scratch project, kept
    for the module (the first run of each compiles, the others reuse it)."""
    tmp = tmp_path_factory.mktemp("forge-builds")
    return {"repo": tmp / "repo", "scratch": tmp / "scratch"}


@pytest.mark.slow  # anvil nodes and forge: the second tier (make test-slow)
@pytest.mark.parametrize("kind", ["given", "default"])
def test_the_script_deploys_the_declared_suite_as_the_sdk_does(kind, sdk_deployments, builds, tmp_path):
    sdk_chain, sdk, roles = sdk_deployments[kind]
    with node(tmp_path, "script") as n:
        run = deploy_with_script(n, roles, tmp_path, builds["repo"])
        assert deployment_problems(Chain(n.url), run, roles, sdk_chain, sdk) == []
    deployments, actors = declaration()
    assert list(run.contracts) == [d.name for d in deployments] == list(sdk.contracts)
    assert run.roles == {r: roles.get(r, DEPLOYER) for r in actors}
    # from the same key on fresh nodes, the script's addresses are the SDK's
    assert {k: checksum(v) for k, v in run.contracts.items()} == sdk.contracts
    assert (tmp_path / "broadcast").is_dir()  # forge's record went where the test sent it


@pytest.mark.slow  # anvil nodes and forge: the second tier (make test-slow)
def test_the_checks_follow_the_declaration(sdk_deployments, builds, tmp_path, monkeypatch):
    """The script unchanged, the declaration changed (as a stand-in for an edit of specs/compute/): the
    checks read the declaration, so each change is reported against the script."""
    sdk_chain, sdk, roles = sdk_deployments["given"]
    deployments, actors = declaration()
    names = [d.name for d in deployments]
    i, j = names.index("LedgerManager"), names.index("TriggerRegistry")
    swapped = list(deployments)
    swapped[i], swapped[j] = swapped[j], swapped[i]
    registry_set = [dataclasses.replace(d, ctor_args=lambda a, f=d.ctor_args: f(a)[:2] + (0x1D,))
                    if d.name == "ComputeRegistry" else d for d in deployments]
    changed = {
        "an identity registry": (registry_set, actors, f"ComputeRegistry.identityRegistry() is {checksum(0)}, "
                                                       f"the declaration's constructor argument is {checksum(0x1D)}"),
        "another order": (swapped, actors, "the script reports"),
        "a new role": (deployments, {**actors, "guardian": 0x6A4D}, "role guardian: the script used nothing"),
    }
    with node(tmp_path, "script") as n:
        chain = Chain(n.url)
        run = deploy_with_script(n, roles, tmp_path, builds["repo"])
        assert deployment_problems(chain, run, roles, sdk_chain, sdk) == []
        for what, (deps, acts, named) in changed.items():
            monkeypatch.setattr(sys.modules[__name__], "declaration", lambda deps=deps, acts=acts: (deps, acts))
            problems = deployment_problems(chain, run, roles, sdk_chain, sdk)
            assert any(named in p for p in problems), (what, problems)
            monkeypatch.undo()


# (what is changed in the script, the text replaced, its replacement, what the report must name)
WRONG_SCRIPTS = {
    "treasury-is-the-owner": ("new ComputeStaking(owner, treasury)", "new ComputeStaking(owner, owner)",
                              "ComputeStaking.treasury() is"),
    "identity-registry-set": ("IDENTITY_REGISTRY = address(0);", "IDENTITY_REGISTRY = address(uint160(0x1D));",
                              "ComputeRegistry.identityRegistry() is"),
    "two-deployments-swapped": ("ledger = new LedgerManager();\n        triggers = new TriggerRegistry(owner);",
                                "triggers = new TriggerRegistry(owner);\n        ledger = new LedgerManager();",
                                "LedgerManager: at "),
    "owner-role-ignored": ('address owner = _role("COMPUTE_OWNER", deployer);', "address owner = deployer;",
                           "role owner: the script used"),
}


@pytest.mark.slow  # anvil nodes and forge: the second tier (make test-slow)
@pytest.mark.parametrize("variant", list(WRONG_SCRIPTS))
def test_a_wrong_script_is_caught_by_the_same_checks(variant, sdk_deployments, scratch, builds, tmp_path):
    old, new, named = WRONG_SCRIPTS[variant]
    text = (REPO / SCRIPT).read_text()
    assert text.count(old) == 1, f"the script no longer has {old!r}: update WRONG_SCRIPTS"
    (scratch / SCRIPT).write_text(text.replace(old, new))
    sdk_chain, sdk, roles = sdk_deployments["given"]
    with node(tmp_path, "script") as n:
        run = deploy_with_script(n, roles, tmp_path, builds["scratch"], root=scratch)
        problems = deployment_problems(Chain(n.url), run, roles, sdk_chain, sdk)
    assert any(named in p for p in problems), problems
    if variant == "two-deployments-swapped":
        assert any(p.startswith("TriggerRegistry: at ") for p in problems), problems
    if variant == "treasury-is-the-owner":
        # the treasury is an immutable: the code differs from the SDK's there and only there
        assert any(p.startswith("ComputeStaking: its runtime code is not the SDK's: differs only in its immutables")
                   for p in problems), problems


@pytest.mark.slow  # anvil nodes and forge: the second tier (make test-slow)
def test_a_bad_role_account_stops_the_script_before_it_deploys(builds, tmp_path):
    _, actors = declaration()
    role = sorted(actors)[0]
    var = role_env(role)
    with node(tmp_path, "script") as n:
        chain = Chain(n.url)
        for value, message in (("nonsense", f"{var}=nonsense is not an address"),
                               ("0x1234", f"{var}=0x1234 is not an address"),
                               ("0x" + "0" * 40, f"{var} is the zero address")):
            proc = run_script(n, {}, tmp_path, builds["repo"], env={var: value})
            out = proc.stdout + proc.stderr
            assert proc.returncode != 0 and message in out, out[-3000:]
        assert chain.nonce(checksum(DEPLOYER)) == 0  # nothing was sent


def test_the_checks_read_the_reports_strictly():
    with pytest.raises(AssertionError, match="no JSON result with logs"):
        parse_report("Compiling 1 files\nError: script failed", 0, 0)
    with pytest.raises(AssertionError, match="none of its reports"):
        parse_report(json.dumps({"logs": ["deployer 0x" + "11" * 20, "something else"]}), 0, 0)
    run = parse_report(json.dumps({"logs": ["deployer 0x" + "11" * 20, "role owner 0x" + "22" * 20,
                                            "ComputeStaking 0x" + "33" * 20]}), 0, 1)
    assert run.deployer == int("11" * 20, 16) and run.roles == {"owner": int("22" * 20, 16)}
    assert run.contracts == {"ComputeStaking": int("33" * 20, 16)}
