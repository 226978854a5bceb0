"""A fixed `Results` with every status and kind, shared by the report tests."""

from __future__ import annotations

import hashlib

import pytest

from harness.report.results import Check, Kind, Results, Status


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def sample_results() -> Results:
    """A run with every status, as the golden Markdown file shows it. Edit only together with
    tests/report/expected/REPORT.md (see test_markdown.py for how to regenerate it)."""
    results = Results(
        tool_versions={
            "python": "3.11.7",
            "z3": "4.13.0.0",
            "hypothesis": "6.100.0",
            "py-evm": "0.10.1b1",
            "pyrevm": "0.3.3",
            "crytic-compile": "0.3.7",
            "slither": "0.10.4",
            "solc-js": "0.8.28",
            "node": "20.11.1",
        },
        compiler={"version": "0.8.28", "evm_version": "cancun", "optimizer": {"enabled": True, "runs": 200}},
        sources={
            "contracts/bpe/StakeManager.sol": _sha("StakeManager"),
            "contracts/bpe/EscrowBuffer.sol": _sha("EscrowBuffer"),
        },
        bytecode={
            "StakeManager": {
                "creation_sha256": _sha("StakeManager creation"),
                "runtime_sha256": _sha("StakeManager runtime"),
                "runtime_size": 4312,
            },
            "EscrowBuffer": {
                "creation_sha256": _sha("EscrowBuffer creation"),
                "runtime_sha256": _sha("EscrowBuffer runtime"),
                "runtime_size": 2977,
            },
        },
        config={
            "seed": 20240601,
            "hypothesis_profile": "ci",
            "budgets": {"py-evm": 2000, "pyrevm": 10000},
            "solver_timeout_ms": 30000,
        },
        generated_at="2024-06-01T12:00:00+00:00",
    )
    results.add(Check("COMPILE", Kind.COMPILE, "*", Status.PASSED, 3.2, "All contracts compile with solc 0.8.28"))
    results.add(
        Check(
            "BPE-CAP-001/init",
            Kind.PROOF,
            "StakeManager",
            Status.PROVED,
            0.41,
            "totalStaked equals the sum of stakes",
            {"invariant": "BPE-CAP-001", "obligation": "init", "solver_stats": {"result": "unsat", "time": 0.02}},
        )
    )
    results.add(
        Check(
            "BPE-CAP-001/unstake",
            Kind.PROOF,
            "StakeManager",
            Status.VIOLATED,
            1.875,
            "totalStaked equals the sum of stakes",
            {
                "invariant": "BPE-CAP-001",
                "obligation": "unstake",
                "message": "totalStaked (40) != sum of stakes (50) after unstake",
                "counterexample": {
                    "pre_state": {"totalStaked": 100, "stakes": {"0xA11CE": 50, "0xB0B": 50}},
                    "call": {"function": "unstake", "sender": "0xA11CE", "args": {"amount": 60}},
                    "outcome": "returned",
                    "post_state": {"totalStaked": 40, "stakes": {"0xA11CE": 0, "0xB0B": 50}},
                },
                "confirmed": True,
                "replay_command": "python -m harness.cli replay reports/replays/BPE-CAP-001-unstake.json",
                "replay_file": "reports/replays/BPE-CAP-001-unstake.json",
                "anchors": ["contracts/bpe/StakeManager.sol#L88-101"],
                "recommendation": "Cap the amount at the sender's stake before subtracting.",
            },
        )
    )
    results.add(
        Check(
            "FUZZ-EscrowBuffer-pyrevm",
            Kind.FUZZ,
            "EscrowBuffer",
            Status.VIOLATED,
            42.5,
            "Model and pyrevm agree on every call | every invariant holds",
            {
                "engine": "pyrevm",
                "seed": 20240601,
                "steps": 317,
                "budget": 10000,
                "message": "outcome differs on withdraw: model reverts BufferEmpty(), evm returned 0",
                "counterexample": {"calls": [{"function": "deposit", "args": [5]}, {"function": "withdraw", "args": [6]}]},
                "replay_command": "python -m harness.cli replay reports/replays/FUZZ-EscrowBuffer-pyrevm.json",
            },
        )
    )
    results.add(
        Check("FUZZ-EscrowBuffer-py-evm", Kind.FUZZ, "EscrowBuffer", Status.PASSED, 61.0,
              "Model and py-evm agree on every call",
              {"engine": "py-evm", "seed": 20240601, "steps": 2000, "budget": 2000})
    )
    results.add(Check("BPE-BUFFER-001/lemma-level", Kind.LEMMA, "EscrowBuffer", Status.PROVED, 0.2,
                      "bufferLevel never exceeds bufferMax"))
    results.add(
        Check("BPE-BUFFER-002/deposit", Kind.PROOF, "EscrowBuffer", Status.INCONCLUSIVE, 30.0,
              "deposits are conserved",
              {"message": "z3 returned unknown (timeout after 30000 ms)",
               "depends_on": ["BPE-BUFFER-001/lemma-level"]})
    )
    results.add(
        Check("BPE-BUFFER-003/rebalance", Kind.PROOF, "EscrowBuffer", Status.UNSUPPORTED, 0.01,
              "rebalance keeps the buffer solvent",
              {"message": "unbounded loop over participants in rebalance (EscrowBuffer.sol#L120)"})
    )
    results.add(Check("BPE-BUFFER-002/vacuity", Kind.VACUITY, "EscrowBuffer", Status.PROVED, 0.05,
                      "the hypotheses of BPE-BUFFER-002 are satisfiable"))
    results.add(
        Check("SLITHER", Kind.STATIC, "*", Status.ERROR, 0.9, "slither detectors",
              {"message": "slither crashed:\nTraceback (most recent call last):\n  KeyError: 'ast'"})
    )
    for check in results.checks[1:]:  # every check after the compile step belongs to the one suite
        check.suite = "bpe"
    return results
