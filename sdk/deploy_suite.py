"""Deploy a registered suite that needs no external environment to a JSON-RPC node (a local anvil),
the way the workbench's EVM fixture deploys it, and describe the result in a deployment file.

The contracts are the suite's proved deployments (`Suite.proved_deployments`: the protocol, without the
adversarial test doubles the fuzz machine adds), in their order, each with the constructor arguments
its `Deployment` computes from the addresses deployed before it. The suite's fixed role addresses
(`Suite.actors`: its owner, treasury...) have no keys on a real node, so every constructor argument
equal to one of them is replaced by the account given for that role (`roles`, default: the deployer).
A suite whose contracts need an external system deployed first (BPE: the Superfluid framework) is
refused here; `sdk.deploy` deploys BPE.

The deployment file (JSON, format `suite-deployment/1`): suite, chainId, rpc, deployer, roles (name ->
address), contracts (name -> checksum address), abis (name -> ABI), startBlock and block.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from eth_account.signers.local import LocalAccount

from harness.evm.abi import ContractABI
from sdk.chain import AddressLike, Chain, checksum, to_int_address
from sdk.deploy import DeploymentError, _Deployer
from sdk.state import write_json_atomic

FORMAT = "suite-deployment/1"


@dataclass
class SuiteDeployment:
    suite: str
    chain_id: int
    contracts: dict[str, str]
    abis: dict[str, list]
    deployer: str
    roles: dict[str, str]
    start_block: int
    block: int
    rpc: str | None = None

    def address(self, name: str) -> str:
        if name not in self.contracts:
            raise DeploymentError(f"the {self.suite} deployment has no contract {name!r} "
                                  f"(it has {', '.join(self.contracts)})")
        return self.contracts[name]

    def abi(self, name: str) -> ContractABI:
        self.address(name)
        return ContractABI(self.abis[name])

    def to_json(self) -> dict:
        return {"format": FORMAT, "suite": self.suite, "chainId": self.chain_id, "rpc": self.rpc,
                "deployer": self.deployer, "roles": self.roles, "contracts": self.contracts, "abis": self.abis,
                "startBlock": self.start_block, "block": self.block}

    def save(self, path: str | Path) -> None:
        write_json_atomic(Path(path), self.to_json())

    @classmethod
    def load(cls, path: str | Path) -> "SuiteDeployment":
        try:
            d = json.loads(Path(path).read_text())
        except FileNotFoundError:
            raise DeploymentError(f"{path}: no such deployment file") from None
        except (OSError, ValueError) as exc:
            raise DeploymentError(f"{path}: not a readable JSON deployment file ({exc})") from None
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise DeploymentError(f"{path}: not a {FORMAT} file")
        try:
            return cls(suite=d["suite"], chain_id=d["chainId"], contracts=d["contracts"], abis=d["abis"],
                       deployer=d["deployer"], roles=d["roles"], start_block=d["startBlock"], block=d["block"],
                       rpc=d.get("rpc"))
        except KeyError as exc:
            raise DeploymentError(f"{path}: {FORMAT} file without {exc}") from None


def deploy_suite(chain: Chain, deployer: LocalAccount, suite_name: str,
                 roles: dict[str, AddressLike] | None = None) -> SuiteDeployment:
    """Deploy suite `suite_name` from `deployer` (see the module docstring). `roles` maps role names of
    the suite's actors to accounts (default: the deployer). Raises DeploymentError on a suite that is
    unknown or needs an external environment, or a role the suite does not have."""
    from harness.evm.compile import compile_contracts
    from specs.suite import get_suite, suite_names

    if suite_name not in suite_names():
        raise DeploymentError(f"no suite named {suite_name!r} (registered: {', '.join(suite_names())})")
    suite = get_suite(suite_name)
    deployments = suite.resolve(suite.proved_deployments)
    needs = sorted({str(e) for e in suite.environment}
                   | {d.environment for d in suite.resolve(suite.deployments) if d.environment})
    if needs:
        raise DeploymentError(f"suite {suite_name} needs an external environment deployed first ({', '.join(needs)}): "
                              "deploy it with `python -m sdk.cli deploy`" if suite_name == "bpe" else
                              f"suite {suite_name} needs an external environment ({', '.join(needs)}), which "
                              "deploy-suite does not deploy")
    actors = {name: addr for name, addr in suite.actors.items() if name != "deployer"}
    roles = dict(roles or {})
    unknown = sorted(set(roles) - set(actors))
    if unknown:
        raise DeploymentError(f"suite {suite_name} has no roles {unknown} (its roles: {', '.join(sorted(actors))})")
    me = to_int_address(deployer.address)
    role_addr = {name: to_int_address(roles.get(name, me)) for name in actors}
    # a constructor argument equal to a role's fixed address (or the fixed deployer's) becomes its account
    replace = {actors[name]: role_addr[name] for name in actors}
    if "deployer" in suite.actors:
        replace[suite.actors["deployer"]] = me

    build = compile_contracts()
    d = _Deployer(chain, deployer)
    contracts: dict[str, int] = {}
    abis: dict[str, list] = {}
    for dep in deployments:
        art = build.get(dep.name)
        abi = ContractABI(art.abi)
        args = tuple(replace.get(a, a) if isinstance(a, int) else a for a in dep.ctor_args(contracts))
        contracts[dep.name] = d.deploy(dep.name, art.bytecode + (abi.encode_constructor(args) if args else b""), abi)
        abis[dep.name] = art.abi
    return SuiteDeployment(suite=suite_name, chain_id=chain.chain_id, contracts={k: checksum(v) for k, v in contracts.items()},
                           abis=abis, deployer=deployer.address, roles={k: checksum(v) for k, v in role_addr.items()},
                           start_block=d.first_block or 0, block=d.last_block, rpc=chain.url)


def describe(dep: SuiteDeployment) -> list[str]:
    return ([f"suite {dep.suite} on chain {dep.chain_id} (blocks {dep.start_block}..{dep.block})"]
            + [f"  {name:22} {addr}" for name, addr in dep.contracts.items()]
            + [f"  role {name:17} {addr}" for name, addr in dep.roles.items()])
