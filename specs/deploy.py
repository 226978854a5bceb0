"""How a suite is deployed, for every suite: the fixed deployer and its CREATE addresses, the genesis
block, one `Deployment` per contract, and the `System` the models form (what fuzzer, prover and
replays share). A suite lists its deployments in its own package (BPE: specs/bpe/system.py) and may
extend `System` with names for its contracts.

Addresses are the CREATE addresses of the fixed deployer, so the EVM fixtures and the models agree on
them without passing them around.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from eth_utils import keccak

from specs.kernel import Contract, World

DEPLOYER = 0xDE9107E4000000000000000000000000000000D1

# The block every suite starts at: the engines' defaults (harness/evm/engine.py), checked by the fixture.
GENESIS_BLOCK = 1
GENESIS_TIMESTAMP = 1_700_000_000


def create_address(sender: int, nonce: int) -> int:
    """keccak(rlp([sender, nonce]))[12:], the CREATE address."""
    s = sender.to_bytes(20, "big")
    if nonce == 0:
        n = b"\x80"
    elif nonce < 0x80:
        n = bytes([nonce])
    else:
        raw = nonce.to_bytes((nonce.bit_length() + 7) // 8, "big")
        n = bytes([0x80 + len(raw)]) + raw
    payload = b"\x94" + s + n
    return int.from_bytes(keccak(bytes([0xC0 + len(payload)]) + payload)[12:], "big")


@dataclass(frozen=True)
class Deployment:
    """One contract of a suite: its Solidity name, model class and constructor arguments (as functions
    of the addresses deployed before it, and of the environment's)."""

    name: str  # Solidity contract name (artifact) and stem
    model: type[Contract]
    ctor_args: Callable[[dict[str, int]], tuple] = lambda addrs: ()
    ctor_types: tuple[str, ...] = ()
    # the external system deployed before the suite that this contract needs ("superfluid": the real
    # Superfluid framework, harness/evm/superfluid.py), or "" for none
    environment: str = ""


def addresses(deployments: tuple[Deployment, ...]) -> dict[str, int]:
    """Contract name -> address: the deployer's CREATE address at the contract's position."""
    return {d.name: create_address(DEPLOYER, i) for i, d in enumerate(deployments)}


@dataclass
class System:
    """A world with a suite deployed, plus names for its contracts (what invariants read)."""

    world: World
    addrs: dict[str, int]  # the suite's contracts (their storage is compared and proved)
    models: dict[str, type[Contract]] = field(default_factory=dict)  # suite and external model classes
    externals: dict[str, int] = field(default_factory=dict)  # modelled contracts outside the suite

    def address_of(self, name: str) -> int:
        """The address of a suite contract or of an external one, by name."""
        if name in self.addrs:
            return self.addrs[name]
        if name in self.externals:
            return self.externals[name]
        raise KeyError(f"no contract named {name!r} in this system")

    def clone(self) -> "System":
        return type(self)(self.world.clone(), self.addrs, self.models, self.externals)
