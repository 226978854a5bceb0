"""Results with the shapes a real run writes (copied from `harness.cli verify` on the
slash_keeps_total broken twin, trimmed): a VIOLATED proof whose counterexample has pre_state, call,
keys and evm_replay; a VIOLATED fuzz campaign whose counterexample is a call sequence with integer
senders and address arguments; a PASSED fuzz campaign with per-function counts. Shared by the
HTML, SARIF, JUnit and render tests."""

from __future__ import annotations

from harness.report.results import Check, Kind, Results, Status

SLASHER = 0x51A5400000000000000000000000000000000004
ALICE = 0xA11CE00000000000000000000000000000000001
STAKE_MANAGER = 0x6A14EF316A343420D2E5FEECF4507BFE1DED1BFB
GOVERNANCE = 0x6060000000000000000000000000000000000000

PROOF_ID = "BPE-STAKE-001/StakeManager.slash"
FUZZ_ID = "FUZZ-StakeManager-pyrevm"

FUZZ_COUNTS = {
    "calls": {"StakeManager.slash": 233, "StakeManager.stake": 223, "TestToken.approve": 364},
    "successes": {"StakeManager.slash": 21, "StakeManager.stake": 82, "TestToken.approve": 364},
    "reverts": {
        "StakeManager.slash: NotSlasher": 127,
        "StakeManager.slash: NothingToSlash": 50,
        "StakeManager.slash: ZeroAmount": 35,
        "StakeManager.stake: BelowMinStake": 65,
        "StakeManager.stake: ERC20InsufficientAllowance": 76,
    },
}


def real_shaped_results() -> Results:
    results = Results(
        tool_versions={"python": "3.11.7", "z3": "5.4.1.0", "solc-js": "0.8.28"},
        compiler={"version": "0.8.28+commit.7893614a.Emscripten.clang", "evm_version": "cancun",
                  "optimizer": {"enabled": True, "runs": 200}},
        sources={"contracts/bpe/StakeManager.sol": "66" * 32, "contracts/bpe/libraries/BPEMath.sol": "4f" * 32,
                 "contracts/bpe/test/TestToken.sol": "f9" * 32},
        bytecode={"StakeManager": {"creation_sha256": "93" * 32, "runtime_sha256": "c5" * 32, "runtime_size": 2727}},
        config={"hypothesis_profile": "ci", "fuzz_budget": {"max_examples": 40, "step_count": 40}},
        generated_at="2026-01-01T00:00:00+00:00",
    )
    results.add(Check("COMPILE", Kind.COMPILE, "*", Status.PASSED, 0.38, "The Solidity suite compiles.",
                      {"message": "16 contracts"}))
    results.add(Check("LEMMA-SQRT-004", Kind.LEMMA, "BPEMath", Status.PROVED, 6.5e-05,
                      "Lemma: sqrt(y) == floor(sqrt(y)) for y in 0..3 (enumerated)."))
    results.add(Check("BPE-STAKE-001/init", Kind.PROOF, "StakeManager", Status.PROVED, 0.0009,
                      "Invariant: totalStaked equals the sum of all stakes.", {"obligation": "init", "solver": "unsat"}))
    results.add(Check(
        PROOF_ID, Kind.PROOF, "StakeManager", Status.VIOLATED, 0.061,
        "Invariant: totalStaked equals the sum of all stakes.",
        {
            "confirmed": True,
            "counterexample": {
                "call": {"args": {"amount": str(2**256 - 1), "reason": "0x" + "00" * 32,
                                  "sink": "0x6a14ef316a343420d2e5feecf4507bfe1ded1bfa"},
                         "contract": "StakeManager", "function": "slash",
                         "sender": "0x7ea5000000000000000000000000000000000003"},
                "confirmed_on_model": True,
                "invariant": "BPE-STAKE-001",
                "keys": [],
                "model_outcome": "succeeded",
                "note": "",
                "pre_state": {
                    "StakeManager.isSlasher": {"0x7ea5000000000000000000000000000000000003": True},
                    "StakeManager.stakes": {"0x6a14ef316a343420d2e5feecf4507bfe1ded1bfa": "100000000000000000001"},
                    "StakeManager.totalStaked": "100000000000000000001",
                    "TestToken._totalSupply": "497000000000000000002",
                },
            },
            "depends_on": [],
            "evm_replay": [
                {"confirmed": True, "detail": "BPE-STAKE-001 holds before and fails after the call on pyrevm",
                 "engine": "pyrevm"},
                {"confirmed": True, "detail": "BPE-STAKE-001 holds before and fails after the call on py-evm",
                 "engine": "py-evm"},
            ],
            "obligation": "inductive step across StakeManager.slash",
            "transition": "StakeManager.slash",
        },
    ))
    results.add(Check("VACUITY/StakeManager.slash", Kind.VACUITY, "StakeManager", Status.PROVED, 0.31,
                      "The inductive step across StakeManager.slash is not vacuous."))
    results.add(Check(
        FUZZ_ID, Kind.FUZZ, "StakeManager", Status.VIOLATED, 23.5,
        "StakeManager and its token agree with the models on pyrevm after every step.",
        {
            "engine": "pyrevm", "origin": "hypothesis", "profile": "ci", "seed": "derandomized",
            "budget": 60, "sequences": 239, "steps": 4586, "steps_per_second": 194.7,
            **FUZZ_COUNTS,
            "message": "step 3: StakeManager.slash(0xa11ce00000000000000000000000000000000001, ...) from "
                       "0x51a5400000000000000000000000000000000004\n  differs: StakeManager.totalStaked: "
                       "model 0, evm 100000000000000000000",
            "counterexample": {"calls": [
                {"op": "call", "contract": "StakeManager", "function": "setSlasher", "sender": GOVERNANCE,
                 "args": [SLASHER, True]},
                {"op": "advance", "blocks": 3, "seconds": 36},
                {"op": "call", "contract": "StakeManager", "function": "stake", "sender": ALICE,
                 "args": [100000000000000000000]},
                {"op": "call", "contract": "StakeManager", "function": "slash", "sender": SLASHER,
                 "args": [ALICE, 100000000000000000000, "0x" + "11" * 32]},
            ]},
            "replay_file": "reports/replays/pyrevm-0942e2963216.json",
            "replay_command": ".venv/bin/python -m harness.cli replay reports/replays/pyrevm-0942e2963216.json "
                              "--engine pyrevm",
        },
    ))
    results.add(Check("FUZZ-StakeManager-py-evm", Kind.FUZZ, "StakeManager", Status.PASSED, 9.9,
                      "StakeManager and its token agree with the models on py-evm after every step.",
                      {"engine": "py-evm", "budget": 11, "sequences": 11, "steps": 510, "steps_per_second": 51.3,
                       "seed": "derandomized", "profile": "replayed", **FUZZ_COUNTS}))
    return results
