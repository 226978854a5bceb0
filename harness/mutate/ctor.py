"""Constructor differential: what the fuzzer cannot reach, because it deploys the suite once.

For each deployed contract of a registered suite with constructor arguments, and for each argument, the
contract is deployed with that argument set to zero (the others as in the suite) on a fresh pyrevm
engine, and the model's `construct` is called with the same arguments: both must revert with the same
error, or both succeed. A mutant that removes or negates a constructor's zero-address check is
killed here ("constructor"). The same check passes on the original contracts (tests/mutate).
"""

from __future__ import annotations

from typing import Any

from harness.evm.abi import ABIRegistry
from harness.evm.engine import deploy_contract, make_engine
from specs.kernel import Address, Revert
from specs.deploy import DEPLOYER, addresses
from specs.suite import suites


def _model_outcome(cls: Any, args: tuple[int, ...]) -> str:
    try:
        cls.construct(*(Address(a) for a in args))
    except Revert as r:
        return f"revert {r.error.abi_name()}"
    return "ok"


def _evm_outcome(engine: Any, artifact: Any, args: tuple[int, ...]) -> str:
    try:
        deploy_contract(engine, artifact.abi, artifact.bytecode, args, sender=DEPLOYER, registry=ABIRegistry())
    except Exception as e:  # EngineError with the decoded revert
        err = getattr(e, "error", None)
        return f"revert {err.name}" if err is not None and getattr(err, "name", None) else f"revert ({e})"
    return "ok"


def constructor_differences(artifacts: dict[str, Any], names: list[str] | None = None) -> list[str]:
    """Differences between model and EVM constructors with one argument zeroed at a time, for the
    contracts `names` (default: every deployed contract of every registered suite)."""
    engine = make_engine("pyrevm")
    out = []
    for suite in suites():
        deployments = suite.resolve(suite.deployments)
        # the arguments as deployed: addresses of the suite's contracts and of its environments
        addrs = {k: v for env in suite.environment for k, v in suite.constants.get(env, {}).items()}
        addrs.update(addresses(deployments))
        for d in deployments:
            if names is not None and d.name not in names:
                continue
            if not hasattr(d.model, "construct") or not d.ctor_types:
                continue
            args = tuple(d.ctor_args(addrs))
            for i, t in enumerate(d.ctor_types):
                if t != "address":
                    continue
                zeroed = args[:i] + (0,) + args[i + 1:]
                m, e = _model_outcome(d.model, zeroed), _evm_outcome(engine, artifacts[d.name], zeroed)
                if m != e:
                    out.append(f"{d.name} constructor with argument {i} zero: model {m}, evm {e}")
    return out
