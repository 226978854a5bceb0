"""The real Superfluid protocol (host, CFA, IDA, GDA, forwarders, SuperTokenFactory) on an Engine.

Built from the prebuilt hardhat artifacts of `@superfluid-finance/ethereum-contracts` 1.15.2, which
`harness.evm.fetch_superfluid` puts, pinned and verified, in `.cache/superfluid/package/`.

Deployment (`deploy_framework`), all from the fixed EOA `DEPLOYER`, so the addresses depend only on
the order below and are the same on every engine:
1. the ERC1820 registry (dev-scripts/artifacts/ERC1820Registry.json) is deployed and its runtime
   code is placed at the canonical address `ERC1820_ADDRESS` (SuperTokens and TOGA register there);
2. the deployer libraries of `LIBRARIES`, in that order, each linked (its `linkReferences`
   placeholders patched) with the addresses of the ones before;
3. `SuperfluidFrameworkDeployer`, linked with all of them, then `executeStep(i)` for every step
   and `getFramework()` for the addresses.
The framework deployer's runtime is 32,429 bytes and `SuperfluidGDAv1DeployerLibrary`'s 25,090,
above EIP-170's 24,576: the engine must be made with `code_size_limit >= 32_429`
(`make_superfluid_engine` uses `CODE_SIZE_LIMIT`, 64 KiB). A failure anywhere during deployment
raises `EngineError` naming the step, with the decoded revert in its `.error` attribute.

Framework defaults (SuperfluidFrameworkDeploymentSteps): liquidation period 4 h, patrician period
30 min, reward address 0x45, no app whitelisting. Tokens: `deploy_wrapper_supertoken` runs the
framework deployer's `deployWrapperSuperToken`: an open-mint `TestToken` (ERC20, any caller may
mint up to the mint limit per call) and its SEMI_UPGRADABLE wrapper SuperToken ("Super X", "Xx").

The GDA helpers go through the GDAv1Forwarder (a trusted forwarder of the host), as apps do.
Every helper after deployment returns the engine's `Outcome` (never raises on a revert);
`value(outcome)` unwraps one. Amounts and flow rates are ints in the token's smallest unit (per
second for rates); the GDA's per-unit flow rate is an integer, so a pool with total units U turns a
requested rate r into floor(r / U) * U.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from specs.errors import EngineError
from harness.evm.abi import ABIRegistry, ContractABI
from harness.evm.engine import Contract, Engine, Outcome, make_engine
from harness.evm.fetch_superfluid import package_dir

# The fixed deployer EOA (no other workbench actor uses it).
DEPLOYER = 0x5F1D000000000000000000000000000000000D01
ERC1820_ADDRESS = 0x1820A4B7618BDE71DCE8CDC73AAB6C95905FAD24
CODE_SIZE_LIMIT = 64 * 1024
FRAMEWORK_DEPLOYER = "SuperfluidFrameworkDeployer"

# Deployment order of the libraries (a library is linked only with libraries before it).
LIBRARIES = (
    "SlotsBitmapLibrary",
    "SuperfluidGovDeployerLibrary",
    "SuperfluidHostDeployerLibrary",
    "SuperfluidCFAv1DeployerLibrary",
    "SuperfluidIDAv1DeployerLibrary",  # links SlotsBitmapLibrary
    "SuperfluidPoolDeployerLibrary",
    "SuperfluidGDAv1DeployerLibrary",  # links SuperfluidPoolDeployerLibrary, SlotsBitmapLibrary
    "SuperTokenDeployerLibrary",
    "SuperfluidPeripheryDeployerLibrary",
    "SuperfluidPoolLogicDeployerLibrary",
    "SuperfluidPoolNFTLogicDeployerLibrary",
    "ProxyDeployerLibrary",
    "CFAv1ForwarderDeployerLibrary",
    "GDAv1ForwarderDeployerLibrary",
    "SuperTokenFactoryDeployerLibrary",
    "TokenDeployerLibrary",
)

# getFramework()'s struct fields, in order, and the artifact whose ABI each address speaks.
FRAMEWORK_FIELDS = (
    ("governance", "TestGovernance"),
    ("host", "Superfluid"),
    ("cfa", "ConstantFlowAgreementV1"),
    ("ida", "InstantDistributionAgreementV1"),
    ("gda", "GeneralDistributionAgreementV1"),
    ("superTokenFactory", "SuperTokenFactory"),
    ("superTokenLogic", "SuperToken"),
    ("resolver", "TestResolver"),
    ("superfluidLoader", "SuperfluidLoader"),
    ("cfaV1Forwarder", "CFAv1Forwarder"),
    ("gdaV1Forwarder", "GDAv1Forwarder"),
    ("macroForwarder", "BlindMacroForwarder"),
    ("clearMacroForwarderV1WithPermit2", "ClearMacroForwarderV1WithPermit2"),
    ("batchLiquidator", "BatchLiquidator"),
    ("toga", "TOGA"),
)

MAX_UINT256 = 2**256 - 1


# ---------------------------------------------------------------------------
# Artifacts
# ---------------------------------------------------------------------------


def _package(package: Path | None) -> Path:
    pkg = Path(package) if package is not None else package_dir()
    if not (pkg / "build" / "hardhat").is_dir():
        raise EngineError(
            f"no Superfluid artifacts in {pkg}: run `.venv/bin/python -m harness.evm.fetch_superfluid` first"
        )
    return pkg


@lru_cache(maxsize=None)
def _index(package: Path) -> dict[str, Path]:
    """Contract name -> artifact path under build/hardhat (names are unique in 1.15.2)."""
    out: dict[str, Path] = {}
    for p in sorted((package / "build" / "hardhat").rglob("*.json")):
        if p.name.endswith(".dbg.json") or "build-info" in p.parts:
            continue
        if p.stem in out:
            raise EngineError(f"two Superfluid artifacts named {p.stem}: {out[p.stem]} and {p}")
        out[p.stem] = p
    return out


@lru_cache(maxsize=None)
def _artifact(package: Path, name: str) -> dict:
    path = _index(package).get(name)
    if path is None:
        raise EngineError(f"no Superfluid artifact named {name} in {package}")
    return json.loads(path.read_text())


def artifact(name: str, package: Path | None = None) -> dict:
    """The hardhat artifact (abi, bytecode, linkReferences, ...) of a Superfluid contract."""
    return _artifact(_package(package), name)


@lru_cache(maxsize=None)
def _abi(package: Path, name: str) -> ContractABI:
    return ContractABI(_artifact(package, name)["abi"])


def abi(name: str, package: Path | None = None) -> ContractABI:
    return _abi(_package(package), name)


def link(art: dict, libraries: dict[str, int]) -> bytes:
    """The creation bytecode of a hardhat artifact with every library placeholder replaced by the
    library's address. Raises EngineError for a library missing from `libraries`."""
    text = art["bytecode"].removeprefix("0x")
    for _source, libs in art.get("linkReferences", {}).items():
        for lib, refs in libs.items():
            if lib not in libraries:
                raise EngineError(f"{art['contractName']} needs library {lib}, not deployed yet")
            addr = f"{libraries[lib]:040x}"
            for ref in refs:
                lo, hi = 2 * ref["start"], 2 * (ref["start"] + ref["length"])
                if ref["length"] != 20 or not text[lo:hi].startswith("__"):
                    raise EngineError(f"{art['contractName']}: bad link reference {ref} for {lib}")
                text = text[:lo] + addr + text[hi:]
    if "_" in text:
        raise EngineError(f"{art['contractName']} has library placeholders without link references")
    return bytes.fromhex(text)


# ---------------------------------------------------------------------------
# Framework
# ---------------------------------------------------------------------------


@dataclass
class Framework:
    """A deployed Superfluid framework. `addresses` holds every address of getFramework() under
    its struct field name, plus "erc1820", "frameworkDeployer" and each library by name."""

    engine: Engine
    registry: ABIRegistry
    deployer: int
    host: Contract  # Superfluid
    gda: Contract  # GeneralDistributionAgreementV1 (proxy)
    cfa: Contract  # ConstantFlowAgreementV1
    gda_forwarder: Contract  # GDAv1Forwarder
    cfa_forwarder: Contract  # CFAv1Forwarder
    super_token_factory: Contract  # SuperTokenFactory
    framework_deployer: Contract  # SuperfluidFrameworkDeployer
    addresses: dict[str, int] = field(default_factory=dict)
    package: Path | None = None

    def contract(self, address: int, name: str) -> Contract:
        """A handle on `address` with the ABI of artifact `name`, registered for event decoding."""
        c = Contract(self.engine, address, abi(name, self.package), self.registry)
        self.registry.register(address, c.abi)
        return c


def make_superfluid_engine(name: str) -> Engine:
    """An engine ("pyrevm" or "py-evm") whose code size limit admits the framework deployer."""
    return make_engine(name, code_size_limit=CODE_SIZE_LIMIT)


def _deploy(engine: Engine, registry: ABIRegistry, what: str, bytecode: bytes, abi_: ContractABI,
            deployer: int) -> int:
    res = engine.deploy(bytecode, sender=deployer)
    if res.success and res.created is not None:
        return res.created
    err = registry.decode_error(res.output, abi_)
    if res.output:
        why = f"reverted with {err}"
    else:
        limit = engine.code_size_limit or 24_576
        why = (f"failed without revert data (out of gas, or runtime code above the engine's code size "
               f"limit of {limit} bytes: make the engine with code_size_limit={CODE_SIZE_LIMIT})")
    exc = EngineError(f"Superfluid deployment: {what} {why} on {engine.name}")
    exc.error = err
    raise exc


def deploy_framework(engine: Engine, *, deployer: int = DEPLOYER, package: Path | None = None) -> Framework:
    """Deploy ERC1820, the deployer libraries and SuperfluidFrameworkDeployer, run every step; see the
    module docstring. Raises EngineError (decoded revert in `.error`) if anything fails."""
    pkg = _package(package)
    registry = ABIRegistry()
    addresses: dict[str, int] = {}

    # 1. ERC1820 at its canonical address.
    erc1820 = json.loads((pkg / "dev-scripts" / "artifacts" / "ERC1820Registry.json").read_text())
    raw_abi = erc1820["abi"]  # a JSON string in this (truffle-era) artifact
    erc1820_abi = ContractABI(json.loads(raw_abi) if isinstance(raw_abi, str) else raw_abi)
    tmp = _deploy(engine, registry, "ERC1820Registry", bytes.fromhex(erc1820["bin"].removeprefix("0x")),
                  erc1820_abi, deployer)
    engine.set_code(ERC1820_ADDRESS, engine.get_code(tmp))
    registry.register(ERC1820_ADDRESS, erc1820_abi)
    addresses["erc1820"] = ERC1820_ADDRESS

    # 2. Libraries, linked in order.
    libs: dict[str, int] = {}
    for name in LIBRARIES:
        art = _artifact(pkg, name)
        libs[name] = _deploy(engine, registry, name, link(art, libs), _abi(pkg, name), deployer)
        addresses[name] = libs[name]

    # 3. The framework deployer and its steps.
    art = _artifact(pkg, FRAMEWORK_DEPLOYER)
    fd_abi = _abi(pkg, FRAMEWORK_DEPLOYER)
    fd_addr = _deploy(engine, registry, FRAMEWORK_DEPLOYER, link(art, libs), fd_abi, deployer)
    addresses["frameworkDeployer"] = fd_addr
    fd = Contract(engine, fd_addr, fd_abi, registry)
    # While the steps run, errors and events of the contracts they create (addresses not known yet)
    # are decoded with the ABIs of all of them.
    registry.fallback = ContractABI.merge(*(_abi(pkg, art_name) for _f, art_name in FRAMEWORK_FIELDS))

    def check(what: str, out: Outcome) -> Outcome:
        if not out.ok:
            exc = EngineError(f"Superfluid deployment: {what} reverted with {out.error} on {engine.name}")
            exc.error = out.error
            raise exc
        return out

    steps = check("getNumSteps()", fd.view("getNumSteps")).returned[0]
    for i in range(steps):
        check(f"executeStep({i})", fd.transact("executeStep", i, sender=deployer))
    (fw_tuple,) = check("getFramework()", fd.view("getFramework")).returned
    for (name, art_name), addr in zip(FRAMEWORK_FIELDS, fw_tuple, strict=True):
        if not engine.get_code(addr):
            raise EngineError(f"Superfluid deployment: getFramework().{name} at 0x{addr:040x} has no code on {engine.name}")
        addresses[name] = addr
        if name != "superTokenLogic":  # the logic contract is only ever reached through proxies
            registry.register(addr, _abi(pkg, art_name))
    registry.fallback = None

    def handle(name: str) -> Contract:
        return Contract(engine, addresses[name], registry.get(addresses[name]), registry)

    return Framework(
        engine=engine, registry=registry, deployer=deployer,
        host=handle("host"), gda=handle("gda"), cfa=handle("cfa"),
        gda_forwarder=handle("gdaV1Forwarder"), cfa_forwarder=handle("cfaV1Forwarder"),
        super_token_factory=handle("superTokenFactory"), framework_deployer=fd,
        addresses=addresses, package=pkg,
    )


# ---------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WrapperSuperToken:
    underlying: Contract  # TestToken: open mint (up to the mint limit per call)
    super_token: Contract  # SuperToken (SEMI_UPGRADABLE proxy) wrapping it

    @property
    def address(self) -> int:
        """The SuperToken's address (what the agreements and forwarders take as `token`)."""
        return self.super_token.address


def deploy_wrapper_supertoken(
    fw: Framework, name: str = "Test Token", symbol: str = "TT", decimals: int = 18,
    mint_limit: int = MAX_UINT256, admin: int = 0, *, sender: int | None = None,
) -> WrapperSuperToken:
    """The framework deployer's deployWrapperSuperToken: a TestToken and its wrapper SuperToken
    ("Super <symbol>", "<symbol>x"). Raises EngineError (decoded revert in `.error`) on a revert."""
    sender = fw.deployer if sender is None else sender
    out = fw.framework_deployer.transact("deployWrapperSuperToken", name, symbol, decimals, mint_limit, admin,
                                         sender=sender)
    if not out.ok:
        exc = EngineError(f"deployWrapperSuperToken({name!r}, {symbol!r}) reverted with {out.error} on {fw.engine.name}")
        exc.error = out.error
        raise exc
    underlying, super_token = out.returned
    return WrapperSuperToken(fw.contract(underlying, "TestToken"), fw.contract(super_token, "SuperToken"))


def fund(fw: Framework, token: WrapperSuperToken, account: int, amount: int) -> Outcome:
    """Mint `amount` of the underlying to `account`, approve the SuperToken, upgrade it all: the
    outcome of the upgrade, or of the first step that reverted."""
    steps = (
        (token.underlying, "mint", (account, amount)),
        (token.underlying, "approve", (token.super_token.address, amount)),
        (token.super_token, "upgrade", (amount,)),
    )
    for contract, fn, args in steps:
        out = contract.transact(fn, *args, sender=account)
        if not out.ok:
            break
    return out


# ---------------------------------------------------------------------------
# GDA through the GDAv1Forwarder
# ---------------------------------------------------------------------------


def _addr(x: Any) -> int:
    if isinstance(x, (Contract, WrapperSuperToken)):
        return x.address
    if isinstance(x, int) and not isinstance(x, bool):
        return x
    raise EngineError(f"expected an address, a Contract or a WrapperSuperToken, got {x!r}")


def value(out: Outcome) -> Any:
    """The returned value of a successful outcome (the tuple when there are several); EngineError
    on a revert."""
    if not out.ok:
        exc = EngineError(f"expected success, call reverted with {out.error}")
        exc.error = out.error
        raise exc
    return out.returned[0] if len(out.returned) == 1 else out.returned


def pool_at(fw: Framework, pool: Any) -> Contract:
    """A SuperfluidPool handle (registered for event and error decoding)."""
    return fw.contract(_addr(pool), "SuperfluidPool")


def create_pool(fw: Framework, token: Any, admin: int, *, sender: int,
                transferable: bool = False, distribution_from_any_address: bool = False) -> Outcome:
    """GDAv1Forwarder.createPool(token, admin, PoolConfig(transferable, distributionFromAnyAddress));
    returned (success, pool). The pool is registered for decoding when the call succeeds."""
    out = fw.gda_forwarder.transact("createPool", _addr(token), admin, (transferable, distribution_from_any_address),
                                    sender=sender)
    if out.ok:
        pool_at(fw, out.returned[1])
    return out


def update_member_units(fw: Framework, pool: Any, member: int, units: int, *, sender: int) -> Outcome:
    """GDAv1Forwarder.updateMemberUnits(pool, member, units, "") (sender: the pool admin)."""
    return fw.gda_forwarder.transact("updateMemberUnits", _addr(pool), member, units, b"", sender=sender)


def connect_pool(fw: Framework, pool: Any, *, sender: int) -> Outcome:
    """GDAv1Forwarder.connectPool(pool, "") for the member `sender`."""
    return fw.gda_forwarder.transact("connectPool", _addr(pool), b"", sender=sender)


def disconnect_pool(fw: Framework, pool: Any, *, sender: int) -> Outcome:
    return fw.gda_forwarder.transact("disconnectPool", _addr(pool), b"", sender=sender)


def distribute_flow(fw: Framework, token: Any, pool: Any, requested_flow_rate: int, *, sender: int) -> Outcome:
    """GDAv1Forwarder.distributeFlow(token, sender, pool, requestedFlowRate, "") (0 stops the flow)."""
    return fw.gda_forwarder.transact("distributeFlow", _addr(token), sender, _addr(pool), requested_flow_rate, b"",
                                     sender=sender)


def distribute(fw: Framework, token: Any, pool: Any, requested_amount: int, *, sender: int) -> Outcome:
    """GDAv1Forwarder.distribute(token, sender, pool, requestedAmount, "") (an instant distribution)."""
    return fw.gda_forwarder.transact("distribute", _addr(token), sender, _addr(pool), requested_amount, b"",
                                     sender=sender)


# -- views ---------------------------------------------------------------------


def flow_distribution_flow_rate(fw: Framework, token: Any, distributor: int, pool: Any) -> Outcome:
    """getFlowDistributionFlowRate(token, from, pool): the actual rate (int96) of the distribution."""
    return fw.gda_forwarder.view("getFlowDistributionFlowRate", _addr(token), distributor, _addr(pool))


def estimate_flow_distribution(fw: Framework, token: Any, distributor: int, pool: Any, requested: int) -> Outcome:
    """estimateFlowDistributionActualFlowRate: returned (actualFlowRate, totalDistributionFlowRate)."""
    return fw.gda_forwarder.view("estimateFlowDistributionActualFlowRate", _addr(token), distributor, _addr(pool),
                                 requested)


def net_flow(fw: Framework, token: Any, account: int) -> Outcome:
    """GDA net flow rate (int96) of an account (negative for a distributor)."""
    return fw.gda_forwarder.view("getNetFlow", _addr(token), account)


def member_flow_rate(fw: Framework, pool: Any, member: int) -> Outcome:
    """SuperfluidPool.getMemberFlowRate(member) (int96, connected or not)."""
    return pool_at(fw, pool).view("getMemberFlowRate", member)


def member_units(fw: Framework, pool: Any, member: int) -> Outcome:
    return pool_at(fw, pool).view("getUnits", member)


def total_units(fw: Framework, pool: Any) -> Outcome:
    """SuperfluidPool.getTotalUnits() (uint128)."""
    return pool_at(fw, pool).view("getTotalUnits")


def is_member_connected(fw: Framework, pool: Any, member: int) -> Outcome:
    return fw.gda_forwarder.view("isMemberConnected", _addr(pool), member)


def realtime_balance(fw: Framework, token: Any, account: int) -> Outcome:
    """SuperToken.realtimeBalanceOfNow(account): (availableBalance int256, deposit, owedDeposit, timestamp)."""
    return fw.contract(_addr(token), "SuperToken").view("realtimeBalanceOfNow", account)


def balance_of(fw: Framework, token: Any, account: int) -> Outcome:
    """SuperToken.balanceOf(account): the available balance clipped at 0."""
    return fw.contract(_addr(token), "SuperToken").view("balanceOf", account)


def buffer_deposit(fw: Framework, token: Any, distributor: int, pool: Any) -> Outcome:
    """The GDA's flow record distributor -> pool: (lastUpdated, flowRate, deposit); `deposit` is the
    buffer locked for the flow distribution (liquidation period x rate, rounded up by the GDA)."""
    return fw.gda.view("getFlow", _addr(token), distributor, _addr(pool))


# ---------------------------------------------------------------------------
# the Superfluid framework as a suite's environment (harness/evm/fixture.py)
# ---------------------------------------------------------------------------


def deploy_environment(engine_name: str) -> Any:
    """A fresh engine with the framework and one wrapper SuperToken deployed: what a suite whose
    deployments declare the environment "superfluid" is deployed onto. The addresses it reports
    (Host, GDA, GDAv1Forwarder, SuperToken, SuperTokenUnderlying) are the names constructor
    arguments refer to; the handles of the forwarder and the token pair join the fixture's contracts."""
    from harness.evm.fixture import Environment

    engine = make_superfluid_engine(engine_name)
    framework = deploy_framework(engine)
    token = deploy_wrapper_supertoken(framework)
    found = {
        "Host": framework.addresses["host"],
        "GDA": framework.addresses["gda"],
        "GDAv1Forwarder": framework.addresses["gdaV1Forwarder"],
        "SuperToken": token.address,
        "SuperTokenUnderlying": token.underlying.address,
    }
    contracts = {"GDAv1Forwarder": framework.gda_forwarder, "SuperToken": token.super_token,
                 "SuperTokenUnderlying": token.underlying}
    return Environment(engine, framework.registry, contracts, found, framework)
