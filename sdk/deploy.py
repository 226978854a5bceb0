"""Deploy the BPE suite, with the real Superfluid framework, to a JSON-RPC node, and describe the
result in a deployment file (JSON: addresses, ABIs, chain id, blocks).

Order (the blueprint's, `specs/bpe/system.py`'s constructor arguments):
1. the stake token `TestToken` (an OpenZeppelin ERC20 with a faucet);
2. the Superfluid framework 1.15.2 from the npm package's prebuilt artifacts, as
   `harness/evm/superfluid.py` deploys it: ERC1820 at its canonical address, the deployer libraries
   linked in order, `SuperfluidFrameworkDeployer` and every `executeStep`, then
   `deployWrapperSuperToken` (the payment token: an open-mint ERC20 and its wrapper SuperToken);
3. StakeManager(stakeToken, governance, treasury); CapacityRegistry(stakeManager, governance);
   BackpressurePool(registry, gdaForwarder, superToken, governance); EscrowBuffer(backpressurePool,
   gdaForwarder, superToken, governance); Pipeline(escrowBuffer, superToken, governance).

ERC1820 must sit at 0x1820a4B7618BdE71Dce8cdc73aAB6C95905faD24. When the node has no code there, it is
placed with `anvil_setCode` (or `hardhat_setCode`); a node with neither needs the registry deployed
by the EIP-1820 keyless transaction first (public chains have it).

The framework deployer's runtime is 32,429 bytes: the node must allow contracts that large (anvil:
`--code-size-limit 65536`, which `sdk.anvil.start_anvil` passes).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from harness.evm.abi import ContractABI
from harness.evm.superfluid import ERC1820_ADDRESS, FRAMEWORK_DEPLOYER, FRAMEWORK_FIELDS, LIBRARIES, MAX_UINT256
from harness.evm import superfluid as sf
from sdk.chain import AddressLike, Chain, SDKError, checksum, to_int_address
from sdk.state import write_json_atomic

LOG = logging.getLogger("sdk.deploy")

SUITE = ("StakeManager", "CapacityRegistry", "BackpressurePool", "EscrowBuffer", "Pipeline")
# The Superfluid contracts the SDK talks to, by the name the deployment file uses -> artifact name.
SUPERFLUID_ABIS = {
    "SuperToken": "SuperToken",
    "SuperTokenUnderlying": "TestToken",
    "GDAv1Forwarder": "GDAv1Forwarder",
    "GDA": "GeneralDistributionAgreementV1",
    "SuperfluidPool": "SuperfluidPool",
}
FORMAT = "bpe-deployment/1"


class DeploymentError(SDKError):
    """A deployment file is missing, unreadable, or not a deployment file; or a deployment lacks a name."""


# The fields of a deployment file and their JSON types (the optional ones may be absent or null).
_FIELDS: dict[str, type | tuple[type, ...]] = {
    "chainId": int, "contracts": dict, "superfluid": dict, "abis": dict, "deployer": str, "governance": str,
    "treasury": str, "startBlock": int, "block": int, "taskTypes": dict, "pipelines": dict, "rpc": str,
}
_OPTIONAL = frozenset({"taskTypes", "pipelines", "rpc"})


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {int: "an integer", dict: "an object", str: "a string"}
    return " or ".join(names[k] for k in (kind if isinstance(kind, tuple) else (kind,)))


@dataclass
class Deployment:
    """What `deploy` produced (and `Deployment.load` reads back)."""

    chain_id: int
    contracts: dict[str, str]  # name -> checksum address (suite, stake token, Superfluid handles)
    superfluid: dict[str, str]  # every getFramework() field, libraries, erc1820, frameworkDeployer
    abis: dict[str, list]  # name -> ABI (suite names, SUPERFLUID_ABIS keys)
    deployer: str
    governance: str
    treasury: str
    start_block: int  # the first deployment transaction's block
    block: int  # the block of the last deployment transaction (the suite's genesis for replays)
    task_types: dict[str, dict] = field(default_factory=dict)  # hex id -> {"name", "bufferMax", "unitPrice", "pool"}
    pipelines: dict[str, dict] = field(default_factory=dict)  # id -> {"stages", "weightsBps"}
    rpc: str | None = None

    def address(self, name: str) -> str:
        if name not in self.contracts:
            raise KeyError(f"no contract {name!r} in this deployment (known: {', '.join(sorted(self.contracts))})")
        return self.contracts[name]

    def abi(self, name: str) -> ContractABI:
        return ContractABI(self.abis[name])

    def to_json(self) -> dict:
        return {"format": FORMAT, "chainId": self.chain_id, "rpc": self.rpc, "deployer": self.deployer,
                "governance": self.governance, "treasury": self.treasury, "startBlock": self.start_block,
                "block": self.block, "contracts": self.contracts, "superfluid": self.superfluid,
                "taskTypes": self.task_types, "pipelines": self.pipelines, "abis": self.abis}

    @classmethod
    def from_json(cls, d: Any, source: str = "deployment") -> "Deployment":
        """The deployment `d` describes. DeploymentError, naming `source` and the field, if `d` is not a
        deployment file's content: another format, a field missing or of the wrong type."""
        if not isinstance(d, dict):
            raise DeploymentError(f"{source}: not a BPE deployment file (a JSON {type(d).__name__}, not an object)")
        if d.get("format") != FORMAT:
            raise DeploymentError(f"{source}: not a BPE deployment file (format {d.get('format')!r}, "
                                  f"expected {FORMAT!r})")
        for key, kind in _FIELDS.items():
            if key not in d and key not in _OPTIONAL:
                raise DeploymentError(f"{source}: field {key!r} is missing")
            if key in d and not isinstance(d[key], kind) and not (key in _OPTIONAL and d[key] is None):
                raise DeploymentError(f"{source}: field {key!r} is a {type(d[key]).__name__}, "
                                      f"expected {_kind_name(kind)}")
        return cls(chain_id=d["chainId"], contracts=d["contracts"], superfluid=d["superfluid"], abis=d["abis"],
                   deployer=d["deployer"], governance=d["governance"], treasury=d["treasury"],
                   start_block=d["startBlock"], block=d["block"], task_types=d.get("taskTypes") or {},
                   pipelines=d.get("pipelines") or {}, rpc=d.get("rpc"))

    def save(self, path: str | Path) -> None:
        write_json_atomic(Path(path), self.to_json())

    @classmethod
    def load(cls, path: str | Path) -> "Deployment":
        try:
            text = Path(path).read_text()
        except FileNotFoundError as exc:
            raise DeploymentError(f"no deployment file at {path}: run `python -m sdk.cli deploy` first") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise DeploymentError(f"{path}: cannot read the deployment file ({exc})") from exc
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DeploymentError(f"{path}: not JSON (truncated or corrupt?): {exc}") from exc
        return cls.from_json(data, str(path))


def task_type_id(x: str | bytes | int) -> bytes:
    """A task type id (bytes32): 32 bytes as given, an int, a 0x-hex string of up to 32 bytes (left
    padded), or any other string as keccak256(name)."""
    if isinstance(x, (bytes, bytearray)):
        if len(x) != 32:
            raise ValueError(f"a task type id has 32 bytes, got {len(x)}")
        return bytes(x)
    if isinstance(x, int):
        return x.to_bytes(32, "big")
    if x.startswith("0x") and len(x) <= 66:
        return int(x, 16).to_bytes(32, "big")
    return keccak(text=x)


def _suite_artifacts() -> dict[str, Any]:
    from harness.evm.compile import compile_contracts

    build = compile_contracts()
    return {name: build.get(name) for name in ("TestToken",) + SUITE}


class _Deployer:
    def __init__(self, chain: Chain, account: LocalAccount):
        self.chain, self.account = chain, account
        self.first_block: int | None = None
        self.last_block = 0

    def _note(self, block: int) -> None:
        if self.first_block is None:
            self.first_block = block
        self.last_block = max(self.last_block, block)

    def deploy(self, what: str, bytecode: bytes, abi: ContractABI | None = None) -> int:
        self.chain.registry.fallback = abi
        addr, rec = self.chain.deploy(self.account, bytecode, abi=abi, what=f"deploy {what}")
        self._note(rec.block_number)
        if abi is not None:
            self.chain.registry.register(addr, abi)
        LOG.info("deployed %s at %s (block %d)", what, checksum(addr), rec.block_number)
        return addr

    def transact(self, what: str, to: int, abi: ContractABI, fn: str, *args: Any) -> Any:
        rec = self.chain.transact(self.account, to, abi.encode_call(fn, args), abi=abi, what=what)
        self._note(rec.block_number)
        return rec

    def call(self, to: int, abi: ContractABI, fn: str, *args: Any, block: int | str = "latest") -> tuple:
        return abi.decode_output(fn, self.chain.call(to, abi.encode_call(fn, args), abi=abi, block=block,
                                                     what=f"{fn}()"))


def _place_erc1820(d: _Deployer, pkg: Path) -> None:
    chain = d.chain
    if chain.code(ERC1820_ADDRESS):
        LOG.info("ERC1820 registry already at %s", checksum(ERC1820_ADDRESS))
        return
    art = json.loads((pkg / "dev-scripts" / "artifacts" / "ERC1820Registry.json").read_text())
    raw_abi = art["abi"]
    abi = ContractABI(json.loads(raw_abi) if isinstance(raw_abi, str) else raw_abi)
    tmp = d.deploy("ERC1820Registry (template)", bytes.fromhex(art["bin"].removeprefix("0x")), abi)
    runtime = "0x" + chain.code(tmp).hex()
    for method in ("anvil_setCode", "hardhat_setCode"):
        try:
            chain.rpc(method, checksum(ERC1820_ADDRESS), runtime)
            break
        except SDKError:
            continue
    if not chain.code(ERC1820_ADDRESS):
        raise DeploymentError(
            f"no ERC1820 registry at {checksum(ERC1820_ADDRESS)} and the node supports neither anvil_setCode nor "
            "hardhat_setCode: deploy it with the EIP-1820 keyless transaction first")
    chain.registry.register(ERC1820_ADDRESS, abi)


def deploy_superfluid(d: _Deployer, package: Path | None = None) -> tuple[dict[str, int], int, int]:
    """The framework and a wrapper SuperToken: (addresses, superToken, underlying)."""
    pkg = sf._package(package)
    chain = d.chain
    addresses: dict[str, int] = {}
    _place_erc1820(d, pkg)
    addresses["erc1820"] = ERC1820_ADDRESS
    libs: dict[str, int] = {}
    for name in LIBRARIES:
        art = sf._artifact(pkg, name)
        libs[name] = d.deploy(name, sf.link(art, libs), sf._abi(pkg, name))
        addresses[name] = libs[name]
    fd_abi = sf._abi(pkg, FRAMEWORK_DEPLOYER)
    # Errors of the contracts the steps create are decoded with all of their ABIs.
    merged = ContractABI.merge(fd_abi, *(sf._abi(pkg, art) for _f, art in FRAMEWORK_FIELDS))
    fd = d.deploy(FRAMEWORK_DEPLOYER, sf.link(sf._artifact(pkg, FRAMEWORK_DEPLOYER), libs), fd_abi)
    addresses["frameworkDeployer"] = fd
    chain.registry.fallback = merged
    (steps,) = d.call(fd, fd_abi, "getNumSteps")
    for i in range(steps):
        d.transact(f"SuperfluidFrameworkDeployer.executeStep({i})", fd, fd_abi, "executeStep", i)
    (fw,) = d.call(fd, fd_abi, "getFramework")
    for (name, art_name), addr in zip(FRAMEWORK_FIELDS, fw, strict=True):
        if not chain.code(addr):
            raise DeploymentError(f"getFramework().{name} at {checksum(addr)} has no code")
        addresses[name] = addr
        if name != "superTokenLogic":
            chain.registry.register(addr, sf._abi(pkg, art_name))
    rec = d.transact("deployWrapperSuperToken", fd, fd_abi, "deployWrapperSuperToken", "Test Token", "TT", 18,
                     MAX_UINT256, 0)
    chain.registry.fallback = None
    created = rec.events_named("SuperTokenCreated")
    if len(created) != 1:
        raise DeploymentError(f"deployWrapperSuperToken: expected one SuperTokenCreated event, got {len(created)}")
    super_token = created[0].args[0]
    st_abi = sf._abi(pkg, "SuperToken")
    (underlying,) = d.call(super_token, st_abi, "getUnderlyingToken")
    if not chain.code(super_token) or not chain.code(underlying):
        raise DeploymentError("deployWrapperSuperToken: the tokens have no code")
    chain.registry.register(super_token, sf._abi(pkg, "SuperToken"))
    chain.registry.register(underlying, sf._abi(pkg, "TestToken"))
    return addresses, super_token, underlying


def deploy(chain: Chain, deployer: LocalAccount, *, governance: AddressLike | None = None,
           treasury: AddressLike | None = None, package: Path | None = None) -> Deployment:
    """Deploy everything (see the module docstring) from `deployer`; governance defaults to the
    deployer, treasury to governance. Raises DeploymentError / Revert on a failure."""
    gov = to_int_address(governance if governance is not None else deployer.address)
    treas = to_int_address(treasury if treasury is not None else gov)
    t0 = time.monotonic()
    arts = _suite_artifacts()
    d = _Deployer(chain, deployer)
    abis = {name: ContractABI(a.abi) for name, a in arts.items()}

    contracts: dict[str, int] = {}
    contracts["TestToken"] = d.deploy("TestToken (stake token)", arts["TestToken"].bytecode, abis["TestToken"])
    fw, super_token, underlying = deploy_superfluid(d, package)
    contracts.update(SuperToken=super_token, SuperTokenUnderlying=underlying, GDAv1Forwarder=fw["gdaV1Forwarder"],
                     GDA=fw["gda"], Host=fw["host"])
    fwd = fw["gdaV1Forwarder"]
    ctor_args = {
        "StakeManager": (contracts["TestToken"], gov, treas),
        "CapacityRegistry": (lambda: (contracts["StakeManager"], gov)),
        "BackpressurePool": (lambda: (contracts["CapacityRegistry"], fwd, super_token, gov)),
        "EscrowBuffer": (lambda: (contracts["BackpressurePool"], fwd, super_token, gov)),
        "Pipeline": (lambda: (contracts["EscrowBuffer"], super_token, gov)),
    }
    for name in SUITE:
        args = ctor_args[name]
        args = args() if callable(args) else args
        code = arts[name].bytecode + abis[name].encode_constructor(args)
        contracts[name] = d.deploy(name, code, abis[name])

    pkg = sf._package(package)
    abi_json: dict[str, list] = {name: arts[name].abi for name in arts}
    for name, art_name in SUPERFLUID_ABIS.items():
        abi_json[name] = sf._artifact(pkg, art_name)["abi"]
    dep = Deployment(
        chain_id=chain.chain_id, contracts={k: checksum(v) for k, v in contracts.items()},
        superfluid={k: checksum(v) for k, v in fw.items()}, abis=abi_json, deployer=deployer.address,
        governance=checksum(gov), treasury=checksum(treas), start_block=d.first_block or 0, block=d.last_block,
        rpc=chain.url)
    LOG.info("suite deployed in %.1fs (blocks %d..%d)", time.monotonic() - t0, dep.start_block, dep.block)
    return dep


# -- configuration by governance ------------------------------------------------------------------


@dataclass(frozen=True)
class TaskTypeConfig:
    name: str  # a label, or a 0x id
    buffer_max: int
    unit_price: int

    @property
    def id(self) -> bytes:
        return task_type_id(self.name)


def configure(chain: Chain, dep: Deployment, governance: LocalAccount, task_types: list[TaskTypeConfig],
              pipelines: list[tuple[list[str], list[int]]] = (), *, keeper: LocalAccount | None = None) -> Deployment:
    """Register task types, create their pools (permissionless: `keeper`, default governance), set
    buffer bounds and unit prices, create pipelines. Idempotent: what exists already is skipped. The
    deployment's `task_types` and `pipelines` are updated (save it afterwards)."""
    from sdk.clients import Clients

    if governance.address.lower() != dep.governance.lower():
        raise DeploymentError(f"{governance.address} is not the deployment's governance {dep.governance}")
    c = Clients(chain, dep)
    for t in task_types:
        tid = t.id
        if not c.registry.is_task_type(tid):
            c.registry.register_task_type(governance, tid)
        if int(c.pool.get_pool(tid), 16) == 0:
            c.pool.create_pool(keeper or governance, tid)
        if c.buffer.buffer_max(tid) != t.buffer_max:
            c.buffer.set_buffer_max(governance, tid, t.buffer_max)
        if c.buffer.unit_price(tid) != t.unit_price:
            c.buffer.set_unit_price(governance, tid, t.unit_price)
        dep.task_types["0x" + tid.hex()] = {"name": t.name, "bufferMax": t.buffer_max, "unitPrice": t.unit_price,
                                            "pool": c.pool.get_pool(tid)}
        LOG.info("task type %s (0x%s): pool %s, bufferMax %d, unitPrice %d", t.name, tid.hex(), c.pool.get_pool(tid),
                 t.buffer_max, t.unit_price)
    for stages, weights in pipelines:
        ids = [task_type_id(s) for s in stages]
        known = [(p["stages"], p["weightsBps"]) for p in dep.pipelines.values()]
        if (["0x" + i.hex() for i in ids], list(weights)) in known:
            continue
        pid = c.pipeline.create_pipeline(governance, ids, list(weights))
        dep.pipelines[str(pid)] = {"stages": ["0x" + i.hex() for i in ids], "weightsBps": list(weights)}
        LOG.info("pipeline %d: %s, weights %s", pid, stages, weights)
    return dep

