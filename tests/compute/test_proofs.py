"""The compute suite's proofs (invariants/compute/proofs.py): the generic prover runs on the suite,
proves the ETH solvency invariants (msg.value, balances, ETH sent to accounts whose code may call back)
and the step invariants (string parameters and the records with string members have an encoding), and
names what it cannot encode (a callee chosen by an argument, a step whose own effect is mixed with what
an account that may call back does) as UNSUPPORTED, never proving over a stand-in; step invariants are
proved across ETH sends for the call's own effect, and a twin that lowers usage before its send is caught; broken ledger and rental models are caught;
an evaluate-only invariant would come back as an UNSUPPORTED row with its reason (none is today: the
ledger's token solvency is proved with sums grouped by token); linkAgent, which has no
success path in the suite's deployment, is proved in the deployment with an identity registry; each step
invariant of access, billing and payment catches a broken twin of the model it constrains."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from specs.budget import work
from invariants.compute import proofs
from invariants.prover import PROVED, UNSUPPORTED, VIOLATED
from invariants.suite import coverage
from specs.compute.compute_registry import ComputeRegistry
from specs.compute.compute_rental import ComputeRental
from specs.compute.compute_staking import ComputeStaking, StakeRole
from specs.compute import inference_serving as inf
from specs.compute import trigger_registry as trig
from specs.compute.ledger_manager import (
    InsufficientBalance, LedgerManager, SafeERC20FailedOperation, TokenWithdrawn, Withdrawn,
)
from specs.kernel import Address, Bool, DynBytes, Msg, Revert, String, U256, external
from specs.suite import get_suite

SUITE = get_suite("compute")


def vacuity(names: set[str]) -> dict[str, tuple[str, str]]:
    p = proofs.system_prover(rlimit=work(10_000))
    out = {}
    for task in p.tasks(only=lambda tr: tr.name in names):
        for r in p.run_task(task):
            if r.kind == "vacuity":
                out[r.id.removeprefix("VACUITY/")] = (r.status, r.details.get("message", ""))
    assert set(out) == names
    return out


def test_the_prover_names_every_construct_it_cannot_encode():
    got = vacuity({"ComputeRegistry.setActive", "ComputeRental.terminateSession", "ComputeStaking.stake",
                   "ComputeStaking.slash", "TriggerRegistry.createTrigger", "InferenceServing.withdraw",
                   "LedgerManager.depositToken", "ComputeStaking.requestUnstake", "InferenceServing.approveProvider"})
    # a token chosen by the caller: without an assumption on what it is, a construct without an encoding
    from invariants.prover import Prover
    from specs.compute.system import build_system

    plain = Prover(build_system(deployments=proofs.PROVED_DEPLOYMENTS), environment=SUITE.proof_environment,
                   rlimit=work(10_000))
    rows = [r for t in plain.tasks(only=lambda tr: tr.name == "LedgerManager.depositToken") if t[0] == "transition"
            for r in plain.run_task(t) if r.kind == "vacuity"]
    assert rows[0].status == UNSUPPORTED and "call to a symbolic address" in rows[0].details["message"]
    # the suite's prover takes it to be the test token, and says so
    assert "ComputeTestToken" in " ".join(proofs.system_prover().environment)
    assert got["LedgerManager.depositToken"][0] == PROVED, got["LedgerManager.depositToken"]
    # what it can encode, it checks: a payable function, one that sends ETH, one without either,
    # a string parameter (slash's reason: its length is checked), and the records with string and
    # bytes members (providers, sessions, triggers)
    for name in ("ComputeStaking.stake", "InferenceServing.withdraw", "ComputeStaking.requestUnstake",
                 "InferenceServing.approveProvider", "ComputeStaking.slash", "ComputeRegistry.setActive",
                 "ComputeRental.terminateSession", "TriggerRegistry.createTrigger"):
        assert got[name][0] == PROVED, (name, got[name])


ETH_SOLVENCY = ("COMP-STAKE-001", "COMP-INF-001", "COMP-LEDGER-001")


def ledger_results(ledger_model=None) -> dict:
    from invariants.prover import Prover
    from invariants.registry import REGISTRY
    from specs.compute.system import build_system

    SUITE.register_invariants()
    overrides = {"LedgerManager": ledger_model} if ledger_model else None
    p = Prover(build_system(overrides, deployments=proofs.PROVED_DEPLOYMENTS),
               [REGISTRY.invariants[i] for i in ETH_SOLVENCY], environment=SUITE.proof_environment,
               step_invariants=[], rlimit=work(10_000))
    return {r.id: r for r in p.run(only=lambda tr: tr.contract == "LedgerManager"
                                   and tr.function in ("deposit", "withdraw"))}


def test_the_eth_solvency_invariants_are_proved_across_deposits_and_withdrawals():
    r = ledger_results()
    for inv in ETH_SOLVENCY:
        for fn in ("deposit", "withdraw"):
            assert r[f"{inv}/LedgerManager.{fn}"].status == PROVED, r[f"{inv}/LedgerManager.{fn}"].details
    # the withdrawal pays msg.sender, whose code may call back: the invariant was proved at that send too
    assert r["COMP-LEDGER-001/LedgerManager.withdraw"].details["callback_points"] >= 1


@dataclass
class WithdrawTokenKeepsBalance(LedgerManager):
    """Pays a token out without debiting the user's balance of it: the ledger owes more of the token
    than it holds (COMP-LEDGER-002)."""

    @external
    def withdrawToken(self, msg: Msg, token: Address, amount: U256) -> None:
        self._enter()
        balance = self.tokenBalances[msg.sender][token]
        if amount > balance:
            raise Revert(InsufficientBalance(balance, amount))
        self.emit(TokenWithdrawn(msg.sender, token, amount))
        if not self.world.at(token).transfer(self.this_msg(), msg.sender, amount):
            raise Revert(SafeERC20FailedOperation(token))
        self._exit()


def token_solvency(model=None) -> dict:
    from invariants.prover import Prover
    from invariants.registry import REGISTRY
    from specs.compute.system import build_system

    SUITE.register_invariants()
    overrides = {"LedgerManager": model} if model else None
    p = Prover(build_system(overrides, deployments=proofs.PROVED_DEPLOYMENTS),
               [REGISTRY.invariants[i] for i in ("COMP-LEDGER-002", "COMP-LEDGER-004", "COMP-TOKEN-001")],
               environment=SUITE.proof_environment, step_invariants=[], rlimit=work(10_000),
               callees=proofs.TOKEN_CALLEES)
    return {r.id: r for r in p.run(only=lambda tr: tr.name in ("LedgerManager.withdrawToken",
                                                                  "LedgerManager.depositToken",
                                                                  "ComputeTestToken.transferFrom"))}


def test_the_token_solvency_of_the_ledger_is_proved_with_sums_grouped_by_token():
    r = token_solvency()
    for t in ("LedgerManager.withdrawToken", "LedgerManager.depositToken", "ComputeTestToken.transferFrom"):
        assert r[f"COMP-LEDGER-002/{t}"].status == PROVED, r[f"COMP-LEDGER-002/{t}"].details


@pytest.mark.catches("prover")
def test_a_ledger_paying_tokens_out_without_debiting_is_violated():
    r = token_solvency(WithdrawTokenKeepsBalance)["COMP-LEDGER-002/LedgerManager.withdrawToken"]
    assert r.status == VIOLATED and r.counterexample is not None and r.counterexample.confirmed_on_model


@dataclass
class DepositTokenCreditsOneMore(LedgerManager):
    """Credits one token unit more than arrived (COMP-LEDGER-003: a deposit credits exactly what arrived)."""

    @external
    def depositToken(self, msg: Msg, token: Address, amount: U256) -> None:
        super().depositToken(msg, token, amount)
        self.tokenBalances[msg.sender][token] = self.tokenBalances[msg.sender][token] + U256(1)


@pytest.mark.catches("prover")
def test_a_deposit_crediting_more_than_arrived_is_violated():
    from invariants.prover import Prover
    from invariants.registry import REGISTRY, STEP_REGISTRY
    from specs.compute.system import build_system

    SUITE.register_invariants()
    p = Prover(build_system({"LedgerManager": DepositTokenCreditsOneMore}, deployments=proofs.PROVED_DEPLOYMENTS),
               [REGISTRY.invariants["COMP-TOKEN-001"]], environment=SUITE.proof_environment,
               step_invariants=[STEP_REGISTRY.invariants["COMP-LEDGER-003"]], rlimit=work(10_000),
               callees=proofs.TOKEN_CALLEES)
    r = {x.id: x for x in p.run(only=lambda tr: tr.name == "LedgerManager.depositToken")}
    bad = r["COMP-LEDGER-003/LedgerManager.depositToken"]
    assert bad.status == VIOLATED and bad.counterexample is not None and bad.counterexample.confirmed_on_model


@dataclass
class WithdrawRewritesUsageAfterSend(inf.InferenceServing):
    """Writes the usage it read before paying back after the send: a recordUsage made by the receiver's
    code in between would be lost. Without callbacks the usage is unchanged, so only the rule for writes
    after a send can tell."""

    @external
    def withdraw(self, msg: Msg, amount: U256) -> None:
        self._enter()
        if amount == 0:
            raise Revert(inf.ZeroAmount())
        balance, tokens = self.balances[msg.sender], self.usageTokens[msg.sender]
        if amount > balance:
            raise Revert(inf.InsufficientBalance(balance, amount))
        self.balances[msg.sender] = balance - amount
        self.emit(inf.Withdrawn(msg.sender, amount))
        self._sendValue(msg.sender, amount)
        self.usageTokens[msg.sender] = tokens
        self._exit()


@dataclass
class WithdrawForgivesUsage(inf.InferenceServing):
    """Clears the user's usage cost before paying out: getUsage goes down (COMP-INF-005)."""

    @external
    def withdraw(self, msg: Msg, amount: U256) -> None:
        self.usageCost[msg.sender] = U256(0)
        super().withdraw(msg, amount)


def usage_step(model=None) -> dict:
    from invariants.prover import Prover
    from invariants.registry import STEP_REGISTRY
    from specs.compute.system import build_system

    SUITE.register_invariants()
    overrides = {"InferenceServing": model} if model else None
    p = Prover(build_system(overrides, deployments=proofs.PROVED_DEPLOYMENTS), [],
               environment=SUITE.proof_environment, step_invariants=[STEP_REGISTRY.invariants["COMP-INF-005"]],
               rlimit=work(10_000))
    return {r.id: r for r in p.run(only=lambda tr: tr.name == "InferenceServing.withdraw")}


def test_a_step_invariant_is_proved_across_an_eth_send_for_the_calls_own_effect():
    r = usage_step()["COMP-INF-005/InferenceServing.withdraw"]
    assert r.status == PROVED and r.details["callback_points"] >= 1
    assert "a step of its own" in r.details["step_semantics"]


@pytest.mark.catches("prover")
def test_a_step_invariant_broken_before_the_send_is_violated_and_a_write_after_it_is_unsupported():
    r = usage_step(WithdrawForgivesUsage)["COMP-INF-005/InferenceServing.withdraw"]
    assert r.status == VIOLATED and r.counterexample is not None and r.counterexample.confirmed_on_model
    r = usage_step(WithdrawRewritesUsageAfterSend)["COMP-INF-005/InferenceServing.withdraw"]
    assert r.status == UNSUPPORTED and "InferenceServing.usageTokens changed after the send" in r.details["message"]


@dataclass
class WithdrawKeepsEthBalance(LedgerManager):
    """Pays without debiting the user's ETH balance."""

    @external
    def withdraw(self, msg: Msg, amount: U256) -> None:
        self._enter()
        balance = self.ethBalances[msg.sender]
        if amount > balance:
            raise Revert(InsufficientBalance(balance, amount))
        self.emit(Withdrawn(msg.sender, amount))
        self._sendValue(msg.sender, amount)
        self._exit()

@dataclass
class WithdrawPaysFirst(LedgerManager):
    """Pays, then debits: the receiver's code runs while the ledger owes more than it holds."""

    @external
    def withdraw(self, msg: Msg, amount: U256) -> None:
        balance = self.ethBalances[msg.sender]
        if amount > balance:
            raise Revert(InsufficientBalance(balance, amount))
        self._sendValue(msg.sender, amount)
        self.ethBalances[msg.sender] = balance - amount
        self.emit(Withdrawn(msg.sender, amount))


def test_broken_ledger_withdrawals_are_caught_by_the_prover():
    keeps = ledger_results(WithdrawKeepsEthBalance)["COMP-LEDGER-001/LedgerManager.withdraw"]
    assert keeps.status == VIOLATED
    assert keeps.counterexample is not None and keeps.counterexample.confirmed_on_model, keeps.counterexample.note
    first = ledger_results(WithdrawPaysFirst)["COMP-LEDGER-001/LedgerManager.withdraw"]
    assert first.status == VIOLATED and "reentrancy" in first.details["message"]


def test_link_agent_is_proved_where_it_can_succeed():
    # in the suite's own deployment it has no success path (the identity registry is unset)
    raw = vacuity({"ComputeRegistry.linkAgent"})["ComputeRegistry.linkAgent"]
    assert raw[0] == VIOLATED and "no success path" in raw[1]
    # so its step is proved in the deployment with an identity registry, and says so
    p = proofs.identity_prover()
    task = next(t for t in p.tasks(only=lambda tr: tr.name == "ComputeRegistry.linkAgent") if t[0] == "transition")
    rows = p.run_task(task)
    assert rows and all(r.status == PROVED for r in rows), [(r.id, r.status) for r in rows if r.status != PROVED]
    assert any(r.id == "VACUITY/ComputeRegistry.linkAgent" for r in rows)


def every_invariant_evaluate_only_but(monkeypatch, keep: str) -> str:
    """Turn one proved invariant into an evaluate-only one (as a suite might declare it); its id."""
    from dataclasses import replace as with_fields

    from invariants.registry import REGISTRY

    SUITE.register_invariants()
    monkeypatch.setitem(REGISTRY.invariants, keep, with_fields(REGISTRY.invariants[keep], proof="concrete"))
    return keep


def test_every_evaluate_only_invariant_is_listed_with_its_reason(monkeypatch):
    assert proofs.unsupported_obligations() == []  # today every compute invariant is proved
    inv = every_invariant_evaluate_only_but(monkeypatch, "COMP-LEDGER-002")
    monkeypatch.setitem(proofs.WHY_NOT_PROVED, inv, ("a construct without an encoding",))
    rows = proofs.unsupported_obligations()
    assert [r.id for r in rows] == [f"{inv}/*"]
    assert rows[0].status == UNSUPPORTED and "no encoding for a construct without an encoding" in rows[0].details["message"]


@pytest.mark.slow  # the whole compute proof suite, one process
def test_the_proof_part_and_the_unproved_rows_cover_every_invariant():
    # with the rows and the proof part's results, the coverage check of the proof runner finds nothing
    # uncovered
    assert coverage(SUITE, {"system": proofs.prove_system()}, proofs.unsupported_obligations()) == []


def test_an_evaluate_only_invariant_without_a_reason_is_refused(monkeypatch):
    every_invariant_evaluate_only_but(monkeypatch, "COMP-LEDGER-002")
    with pytest.raises(ValueError, match="COMP-LEDGER-002"):
        proofs.unsupported_obligations()


@dataclass
class SlashCreditsTheAmountAsked(ComputeStaking):
    """Credits the treasury with the amount asked rather than what was taken: a slash of more than
    the stake mints treasury funds (COMP-STAKE-003, and with it solvency, COMP-STAKE-001)."""

    @external
    def slash(self, msg: Msg, account: Address, role: StakeRole, amount: U256, reason: String) -> None:
        before = self.treasuryBalance
        super().slash(msg, account, role, amount, reason)
        self.treasuryBalance = before + amount


def test_a_broken_slash_is_caught_by_the_step_invariant_with_a_string_argument():
    from invariants.prover import Prover
    from invariants.registry import REGISTRY, STEP_REGISTRY
    from specs.compute.system import build_system

    SUITE.register_invariants()
    p = Prover(build_system({"ComputeStaking": SlashCreditsTheAmountAsked}, deployments=proofs.PROVED_DEPLOYMENTS),
               [REGISTRY.invariants["COMP-STAKE-001"]], environment=SUITE.proof_environment,
               step_invariants=[STEP_REGISTRY.invariants["COMP-STAKE-003"]], rlimit=work(10_000))
    r = {x.id: x for x in p.run(only=lambda tr: tr.name == "ComputeStaking.slash")}
    step = r["COMP-STAKE-003/ComputeStaking.slash"]
    assert step.status == VIOLATED
    cex = step.counterexample
    assert cex is not None and cex.confirmed_on_model, cex and cex.note
    assert isinstance(dict(zip(cex.arg_names(), cex.args))["reason"], String)
    assert r["COMP-STAKE-001/ComputeStaking.slash"].status == VIOLATED


# A broken model of each contract with records: the prover finds the invariant it breaks, at the
# transition it breaks it in, with a counterexample confirmed on the model.
BROKEN_RECORD_MODELS = [
    ("ComputeRental", "ProrationRoundsUp", "COMP-RENT-005", "ComputeRental.terminateSession"),
    ("ComputeRental", "TerminateKeepsActive", "COMP-RENT-002", "ComputeRental.terminateSession"),
    ("ComputeRental", "WithdrawKeepsBalance", "COMP-RENT-001", "ComputeRental.withdraw"),
    ("TriggerRegistry", "CronCatchUp", "COMP-TRIG-004", "TriggerRegistry.executeTrigger"),
]


@pytest.mark.parametrize("contract,broken,inv,transition", BROKEN_RECORD_MODELS,
                         ids=[b for _, b, _, _ in BROKEN_RECORD_MODELS])
def test_broken_models_of_the_records_are_caught_by_the_prover(contract, broken, inv, transition):
    from invariants.prover import Prover
    from invariants.registry import REGISTRY, STEP_REGISTRY
    from specs.compute.system import build_system
    from tests.compute.fixtures import broken_models

    SUITE.register_invariants()
    p = Prover(build_system({contract: getattr(broken_models, broken)}, deployments=proofs.PROVED_DEPLOYMENTS),
               [i for i in REGISTRY.for_contracts({contract})], environment=SUITE.proof_environment,
               step_invariants=[i for i in STEP_REGISTRY.for_contracts({contract})], rlimit=work(10_000))
    rows = {r.id: r for r in p.run(only=lambda tr: tr.name == transition)}
    row = rows[f"{inv}/{transition}"]
    assert row.status == VIOLATED, (row.status, row.details)
    assert row.counterexample is not None and row.counterexample.confirmed_on_model, row.counterexample.note
    # the unbroken model proves the same obligation
    good = Prover(build_system(deployments=proofs.PROVED_DEPLOYMENTS), [i for i in REGISTRY.for_contracts({contract})],
                  environment=SUITE.proof_environment,
                  step_invariants=[i for i in STEP_REGISTRY.for_contracts({contract})], rlimit=work(10_000))
    assert {r.id: r.status for r in good.run(only=lambda tr: tr.name == transition)}[f"{inv}/{transition}"] == PROVED


@dataclass
class RecordUsageCreditsOneMore(inf.InferenceServing):
    """Credits the provider one wei more than the user paid (COMP-INF-002)."""

    @external
    def recordUsage(self, msg: Msg, user: Address, inputTokens: U256, outputTokens: U256, model: String) -> None:
        super().recordUsage(msg, user, inputTokens, outputTokens, model)
        self.earnings[msg.sender] = self.earnings[msg.sender] + U256(1)


@dataclass
class AnyoneSlashes(ComputeStaking):
    """Takes every caller for an active guardian (COMP-STAKE-005)."""

    def _isActiveGuardian(self, account: Address) -> bool:
        return True


@dataclass
class AnyoneExecutes(trig.TriggerRegistry):
    """Appoints whoever calls executeTrigger as an executor first (COMP-TRIG-005)."""

    @external
    def executeTrigger(self, msg: Msg, triggerId: U256, input: DynBytes) -> None:
        self.isExecutor[msg.sender] = Bool(True)
        super().executeTrigger(msg, triggerId, input)


@dataclass
class NoProviderCheck(ComputeRegistry):
    """Skips the provider check of the provider functions: a caller without a provider edits the record
    of id 0, which no one owns (COMP-REG-001)."""

    def _onlyProvider(self, msg: Msg) -> U256:
        return self.providerIdOf[msg.sender]


@dataclass
class AnyoneTerminates(ComputeRental):
    """Terminates a session on its renter's behalf whoever calls, before endTime too (COMP-RENT-006)."""

    @external
    def terminateSession(self, msg: Msg, sessionId: U256) -> None:
        super().terminateSession(Msg(self._session(sessionId).renter, msg.value), sessionId)


@dataclass
class ExtensionAtTheCurrentPrice(ComputeRental):
    """Re-prices a session at its provider's current price when it is extended (COMP-RENT-007: an
    extension is paid at the session's own price)."""

    @external
    def extendSession(self, msg: Msg, sessionId: U256, additionalHours: U256) -> None:
        s = self._session(sessionId)
        self.sessionPrice[sessionId] = self._registry().pricePerHourOf(self.this_msg(), s.providerId)
        super().extendSession(msg, sessionId, additionalHours)


@dataclass
class UsageWithoutConsent(inf.InferenceServing):
    """Bills usage whatever allowance the user granted the provider (COMP-INF-003)."""

    @external
    def recordUsage(self, msg: Msg, user: Address, inputTokens: U256, outputTokens: U256, model: String) -> None:
        self.allowance[user][msg.sender] = U256(2**256 - 1)
        super().recordUsage(msg, user, inputTokens, outputTokens, model)


@dataclass
class ExecutionPaysTheFeeTwice(trig.TriggerRegistry):
    """Pays a second fee out of the sponsorship for one execution (COMP-TRIG-003); the ETH still covers
    what is owed, so the solvency invariant holds."""

    @external
    def executeTrigger(self, msg: Msg, triggerId: U256, input: DynBytes) -> None:
        before = self.withdrawable[msg.sender]
        super().executeTrigger(msg, triggerId, input)
        if self.withdrawable[msg.sender] > before and self.sponsorshipOf[triggerId] >= trig.EXECUTION_FEE:
            self.sponsorshipOf[triggerId] = self.sponsorshipOf[triggerId] - trig.EXECUTION_FEE
            self.withdrawable[msg.sender] = self.withdrawable[msg.sender] + trig.EXECUTION_FEE


@dataclass
class ExecutorRemovalForfeitsFees(trig.TriggerRegistry):
    """Hands a removed executor's earned fees to the owner (COMP-ACCESS-001; R-8.9 keeps them withdrawable)."""

    @external
    def setExecutor(self, msg: Msg, executor: Address, enabled: Bool) -> None:
        super().setExecutor(msg, executor, enabled)
        if not enabled:
            owed = self.withdrawable[executor]
            self.withdrawable[executor] = U256(0)
            self.withdrawable[self._owner] = self.withdrawable[self._owner] + owed


@dataclass
class TerminationPushesTheRefund(ComputeRental):
    """Sends the renter its refund at termination instead of crediting it (COMP-ETH-001: pull payments,
    R-1.5)."""

    @external
    def terminateSession(self, msg: Msg, sessionId: U256) -> None:
        super().terminateSession(msg, sessionId)
        renter, refund = self.sessions[sessionId].renter, self.refundOf[sessionId]
        self.withdrawable[renter] = self.withdrawable[renter] - refund
        self._sendValue(renter, refund)


@pytest.mark.catches("prover")
@pytest.mark.parametrize("contract, twin, step, transition", [
    ("InferenceServing", RecordUsageCreditsOneMore, "COMP-INF-002", "recordUsage"),
    ("ComputeStaking", AnyoneSlashes, "COMP-STAKE-005", "slash"),
    ("TriggerRegistry", AnyoneExecutes, "COMP-TRIG-005", "executeTrigger"),
    ("ComputeRental", AnyoneTerminates, "COMP-RENT-006", "terminateSession"),
    ("ComputeRental", ExtensionAtTheCurrentPrice, "COMP-RENT-007", "extendSession"),
    ("InferenceServing", UsageWithoutConsent, "COMP-INF-003", "recordUsage"),
    ("TriggerRegistry", ExecutionPaysTheFeeTwice, "COMP-TRIG-003", "executeTrigger"),
    ("TriggerRegistry", ExecutorRemovalForfeitsFees, "COMP-ACCESS-001", "setExecutor"),
    ("ComputeRental", TerminationPushesTheRefund, "COMP-ETH-001", "terminateSession"),
], ids=["usage-billed-wrong", "anyone-slashes", "anyone-executes", "anyone-terminates",
        "extension-repriced", "usage-without-consent", "fee-paid-twice", "executor-fees-forfeited",
        "refund-pushed"])
def test_access_and_billing_step_invariants_catch_their_broken_twins(contract, twin, step, transition):
    from invariants.prover import Prover
    from invariants.registry import STEP_REGISTRY
    from specs.compute.system import build_system

    SUITE.register_invariants()
    name = f"{contract}.{transition}"
    for model, expected in ((None, PROVED), (twin, VIOLATED)):
        p = Prover(build_system({contract: model} if model else None, deployments=proofs.PROVED_DEPLOYMENTS),
                   environment=SUITE.proof_environment, step_invariants=[STEP_REGISTRY.invariants[step]],
                   rlimit=work(10_000), callees=proofs.TOKEN_CALLEES)
        p.invariants = [i for i in p.invariants if i.strengthening or i.contract == contract]
        r = {x.id: x for x in p.run(only=lambda tr: tr.name == name)}[f"{step}/{name}"]
        assert r.status == expected, (model, r.details.get("message"))
        if expected == VIOLATED:
            assert r.counterexample is not None and r.counterexample.confirmed_on_model


@pytest.mark.catches("prover")
def test_a_provider_record_edited_by_a_caller_without_a_provider_is_violated():
    """COMP-REG-001 against NoProviderCheck, with the state invariant its proof needs as hypothesis
    (COMP-REG-006: the id a caller's provider functions act on is its own). With every registry invariant
    as hypothesis, the counterexample's concrete pre-state breaks one: COMP-REG-002 reads providerIdOf at
    a record's owner on the branch of a registered id, which the explorer takes for id 0 too, and the
    entry the solver leaves there (providerIdOf(0) nonzero) breaks COMP-REG-006 at address 0, a key no
    hypothesis is instantiated at."""
    from invariants.prover import Prover
    from invariants.registry import REGISTRY, STEP_REGISTRY
    from specs.compute.system import build_system

    SUITE.register_invariants()
    name = "ComputeRegistry.updateEndpoint"
    for model, expected in ((None, PROVED), (NoProviderCheck, VIOLATED)):
        p = Prover(build_system({"ComputeRegistry": model} if model else None, deployments=proofs.PROVED_DEPLOYMENTS),
                   [REGISTRY.invariants["COMP-REG-006"]], environment=SUITE.proof_environment,
                   step_invariants=[STEP_REGISTRY.invariants["COMP-REG-001"]], rlimit=work(10_000))
        r = {x.id: x for x in p.run(only=lambda tr: tr.name == name)}[f"COMP-REG-001/{name}"]
        assert r.status == expected, (model, r.details.get("message"))
        if expected == VIOLATED:
            assert r.counterexample is not None and r.counterexample.confirmed_on_model, r.counterexample.note
            # the record edited is id 0's, which no one owns
            assert [k.v for k in r.counterexample.keys] == [0]
