"""What a suite is: the one declaration the shared machinery reads, and the registry that lists them.

A suite (BPE, the compute marketplace, ...) brings its contracts, models, invariants, fuzz rules and
proof strategies; the kernel, the prover core, the engines, the differential runner, mutation, slither
and the reports take a `Suite` and never import one by name. Pieces that live above specs/ (the fuzz
machine, the proof parts) are named by reference, "package.module:attribute", and resolved by whoever
runs them, so that this layer imports nothing above it.

    from specs.suite import get_suite, suite_names
    bpe = get_suite("bpe")
    bpe.resolve(bpe.fuzz_machine)      # the class, imported on demand

Adding a suite is adding its package and one line to `SUITES` (docs/adding-a-suite.md).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

from specs.errors import InputError, WorkbenchError

# The registry: suite name -> the reference of its declaration. One line per suite.
SUITES: dict[str, str] = {
    "bpe": "specs.bpe.suite:SUITE",
    "compute": "specs.compute.suite:SUITE",
}


def resolve(ref: str) -> Any:
    """The object a "package.module:attribute" reference names (a WorkbenchError naming the reference
    if it does not resolve: a suite declaration that points nowhere is a workbench bug)."""
    module, sep, attr = ref.partition(":")
    if not sep or not module or not attr:
        raise WorkbenchError(f"suite reference {ref!r}: expected 'package.module:attribute'")
    try:
        obj: Any = importlib.import_module(module)
    except ImportError as e:
        raise WorkbenchError(f"suite reference {ref!r}: cannot import {module} ({e})") from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise WorkbenchError(f"suite reference {ref!r}: {module} has no {attr}") from None
    return obj


@dataclass(frozen=True)
class ProofPart:
    """One strategy of a suite's proofs: a name (a section of the results) and the reference of a
    function `(jobs, rlimit, prover) -> list[ObligationResult]` that runs it."""

    name: str
    run: str  # "module:function", called with (jobs=, rlimit=)


@dataclass(frozen=True)
class Suite:
    """The declaration of one suite. Every field is data or a reference; nothing is run at import.

    - `deployments`: the reference of the suite's deployment tuple (contracts in deployment order, each
      with its model and constructor arguments), `proved_deployments` the prefix the generic prover
      runs on; `build_system` builds the models' world for a deployment tuple.
    - `proof_environment`: the environment assumptions the suite's proofs rest on (its deployment
      wiring, its token...), stated in every proof result after the generic prover's own
      (`invariants.prover.ASSUMPTIONS`); the suite's strategies pass them to the prover.
    - `actors`: roles of the deployment (deployer, governance, ...) and their addresses.
    - `environment`: external systems deployed before the suite (for BPE the Superfluid framework).
    - `fuzz_machine`, `prepared_state`: the differential state machine and the step that opens each of
      its sequences (what replay files record); `deployed_machine`: the machine whose sequences start
      from the deployed state, without that step (a recorded sequence that does not open with it is
      replayed from this machine's `start`).
    - `mutation_sources`: contract name -> Solidity file the mutation runner mutates; `not_mutated`:
      the suite's other Solidity files (paths or globs) -> why they are not mutated; `library_checks`:
      a library name (one of `mutation_sources`) -> the reference of a function `(library, directory)
      -> list of differences` that compares a mutated copy of the library (a path; scratch files go to
      `directory`) with its model directly, for what the suite's calls cannot reach.
    - `invariant_modules`: modules whose import registers the suite's invariants and lemmas.
    - `proof_parts`: the proof strategies, in the order results are reported; `unproved` the reference
      of a function listing, as UNSUPPORTED rows, what no strategy proves yet (never left out).
      `default_proof_part`: the part that runs the generic prover, which proves every invariant
      registered without `proved_by` (invariants/registry.py); the proof runner checks every registered
      invariant of the suite against the parts' results (`invariants.suite.coverage`).
    - `counterexample_setups`: "Contract.function" -> the reference of a function `(counterexample,
      fixture)` run before a prover counterexample of that transition is replayed on an EVM, making
      the real callees succeed as the proof's stubs assumed (harness/fuzz/evm_replay.py).
    - `simulation`: the package of the suite's simulation, if it has one.
    """

    name: str
    title: str
    deployments: str
    proved_deployments: str
    build_system: str
    proof_environment: tuple[str, ...] = ()
    actors: dict[str, int] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    environment: tuple[str, ...] = ()
    fuzz_machine: str = ""
    prepared_state: str = ""
    deployed_machine: str = ""
    mutation_sources: dict[str, str] = field(default_factory=dict)
    not_mutated: dict[str, str] = field(default_factory=dict)
    library_checks: dict[str, str] = field(default_factory=dict)
    invariant_modules: tuple[str, ...] = ()
    proof_parts: tuple[ProofPart, ...] = ()
    default_proof_part: str = ""
    unproved: str = ""
    counterexample_setups: dict[str, str] = field(default_factory=dict)
    simulation: str = ""

    resolve = staticmethod(resolve)

    def contract_names(self) -> list[str]:
        return [d.name for d in self.resolve(self.deployments)]

    def register_invariants(self) -> None:
        for module in self.invariant_modules:
            importlib.import_module(module)

    def part_runner(self, part: ProofPart) -> Callable[..., list]:
        return self.resolve(part.run)

    def part_names(self) -> list[str]:
        return [p.name for p in self.proof_parts]


def suite_names() -> list[str]:
    return list(SUITES)


def get_suite(name: str) -> Suite:
    """The registered suite `name`; an InputError naming the known ones otherwise."""
    if name not in SUITES:
        raise InputError(f"--suite {name}: no such suite (registered: {', '.join(SUITES)})")
    suite = resolve(SUITES[name])
    if not isinstance(suite, Suite) or suite.name != name:
        raise WorkbenchError(f"suite registry: {SUITES[name]} is not the declaration of suite {name!r}")
    return suite


def suites(names: list[str] | None = None) -> list[Suite]:
    """The named suites (default: every registered one), in registry order."""
    return [get_suite(n) for n in (names or suite_names())]


def suite_of_contract(contract: str) -> Suite:
    """The registered suite that deploys `contract` (a WorkbenchError if none or several do)."""
    owners = [s for s in suites() if contract in s.contract_names()]
    if len(owners) != 1:
        raise WorkbenchError(f"contract {contract!r} belongs to {len(owners)} registered suites "
                             f"({', '.join(s.name for s in owners) or 'none'})")
    return owners[0]
