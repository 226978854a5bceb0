"""ETH: payable functions and msg.value, ETH balances of accounts in the model's World, value sent to
EOAs and to contracts (a receiver that reenters, one that has no receive), on both EVMs; the state
reader compares balances; the prover reports payable functions and ETH transfers UNSUPPORTED, naming them.
Contract: tests/kernel/contracts/Vault.sol; models: tests/kernel/vault_model.py."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from harness.evm.engine import deploy_contract, make_engine
from harness.fuzz.stateview import diff_systems, read_system, write_system
from invariants.prover import ASSUMPTIONS, Prover
from invariants.registry import Invariant, StepInvariant
from specs.kernel import (
    U256, Address, Block, Bool, Contract, EmptyRevert, Error, ModelBug, Msg, Revert, World, external, payable,
    require, storage,
)
from specs.deploy import DEPLOYER, GENESIS_BLOCK, GENESIS_TIMESTAMP, System, create_address
from tests.kernel.evm_pair import ViewFixture, artifact, error_of, model_system
from tests.kernel.vault_model import ReentererModel, RejecterModel, VaultModel, VaultWithdrawForgetsTotal

A, B = 0xA1, 0xB2
ETH = 10**18
ENGINES = ("pyrevm", "py-evm")
VAULT, REENTERER, REJECTER = (create_address(DEPLOYER, n) for n in range(3))


def _err(outcome):
    e = error_of(outcome)
    return (None, ()) if e == ("", ()) else e


class Bank:
    """Vault, Reenterer and Rejecter on one engine and in one model world, A and B funded alike."""

    def __init__(self, engine_name: str, vault_model: type = VaultModel):
        self.engine = make_engine(engine_name)
        arts = {n: artifact("Vault", n) for n in ("Vault", "Reenterer", "Rejecter")}
        self.contracts = {
            "Vault": deploy_contract(self.engine, arts["Vault"].abi, arts["Vault"].bytecode, (), sender=DEPLOYER),
            "Reenterer": deploy_contract(self.engine, arts["Reenterer"].abi, arts["Reenterer"].bytecode, (VAULT,),
                                         sender=DEPLOYER),
            "Rejecter": deploy_contract(self.engine, arts["Rejecter"].abi, arts["Rejecter"].bytecode, (),
                                        sender=DEPLOYER),
        }
        assert [c.address for c in self.contracts.values()] == [VAULT, REENTERER, REJECTER]
        world = World()
        world.block = Block(GENESIS_BLOCK, GENESIS_TIMESTAMP)
        world.deploy(VAULT, vault_model())
        world.deploy(REENTERER, ReentererModel(vault=Address(VAULT)))
        world.deploy(REJECTER, RejecterModel())
        for who in (A, B):
            world.set_balance(who, 10 * ETH)
            self.engine.set_balance(who, 10 * ETH)
        addrs = {"Vault": VAULT, "Reenterer": REENTERER, "Rejecter": REJECTER}
        self.system = System(world, addrs, {n: type(world.contracts[a]) for n, a in addrs.items()})
        self.fixture = ViewFixture(self.engine, arts)

    def call(self, name: str, fn: str, sender: int, *args, value: int = 0):
        m = self.system.world.transact(self.system.addrs[name], fn, Msg(Address(sender), U256(value)),
                                       *[Address(a) if name == "Rejecter" and i == 0 else U256(a)
                                         for i, a in enumerate(args)])
        e = self.contracts[name].transact(fn, *args, sender=sender, value=value)
        return _err(m), _err(e)

    def diff(self):
        return diff_systems(self.system, read_system(self.fixture, self.system, [A, B, VAULT, REENTERER, REJECTER]))


def test_value_to_a_non_payable_function_reverts_without_data_and_moves_nothing():
    w = model_system("Vault", VAULT, VaultModel).world
    w.set_balance(A, 5)
    out = w.transact(VAULT, "ping", Msg(Address(A), U256(1)))
    assert not out.ok and out.error == EmptyRevert() and w.balance(A) == U256(5)
    ok = w.transact(VAULT, "deposit", Msg(Address(A), U256(2)))
    assert ok.ok and (w.balance(A), w.balance(VAULT)) == (U256(3), U256(2))
    with pytest.raises(ModelBug, match="cannot send"):
        w.transact(VAULT, "deposit", Msg(Address(A), U256(4)))


@dataclass
class Grumpy(Contract):
    """Counts what it receives, then refuses it."""

    seen: U256 = storage(lambda: U256(0))

    def receive(self, msg: Msg) -> None:
        self.seen = self.seen + msg.value
        raise Revert(Error("no"))


def test_a_failed_value_call_undoes_the_receivers_changes_and_a_reentering_one_succeeds():
    w = model_system("Vault", VAULT, VaultModel).world
    w.deploy(REENTERER, ReentererModel(vault=Address(VAULT)))
    w.deploy(REJECTER, Grumpy())
    w.set_balance(VAULT, 3)
    assert w.send_value(VAULT, REJECTER, U256(1)) is False
    assert w.contracts[REJECTER].seen == U256(0) and w.balance(VAULT) == U256(3) and w.balance(REJECTER) == U256(0)
    assert w.send_value(VAULT, REENTERER, U256(1)) is True  # its receive reenters the vault's withdrawAll
    assert w.contracts[REENTERER].hits == U256(2) and w.balance(REENTERER) == U256(1)
    assert w.send_value(VAULT, 0xE0A, U256(5)) is False  # more than the vault holds
    assert w.send_value(VAULT, 0xE0A, U256(2)) is True and w.balance(0xE0A) == U256(2)  # an EOA


@pytest.mark.parametrize("engine", ENGINES)
def test_model_and_evm_agree_on_value_balances_and_a_reentering_receiver(engine):
    bank = Bank(engine)
    steps = [
        bank.call("Vault", "deposit", A, value=5 * ETH),
        bank.call("Vault", "ping", B, value=1),  # not payable: revert without data
        bank.call("Vault", "deposit", B),  # Error("zero")
        bank.call("Vault", "withdraw", A, 2 * ETH),  # to an EOA
        bank.call("Reenterer", "attack", B, value=ETH),  # withdrawAll pays twice before booking
        bank.call("Rejecter", "pull", B, VAULT, ETH, value=ETH),  # the receiver has no receive: Error("send")
        bank.call("Vault", "withdrawAll", A),  # the vault no longer holds A's deposit: Error("send")
    ]
    assert [m for m, _ in steps] == [e for _, e in steps]
    assert [m for m, _ in steps] == [None, (None, ()), ("Error", ("zero",)), None, None, ("Error", ("send",)),
                                     ("Error", ("send",))]
    assert bank.diff() == []
    w = bank.system.world
    assert (w.balance(REENTERER), w.balance(VAULT), w.balance(A)) == (U256(2 * ETH), U256(2 * ETH), U256(7 * ETH))
    assert bank.engine.get_balance(REENTERER) == 2 * ETH and bank.engine.get_balance(VAULT) == 2 * ETH
    vault = w.contracts[VAULT]
    assert vault.deposits[A] == U256(3 * ETH) and vault.total == U256(2 * ETH)  # A's deposit is unbacked


@pytest.mark.parametrize("engine", ENGINES)
def test_a_planted_balance_difference_is_named(engine):
    bank = Bank(engine)
    bank.call("Vault", "deposit", A, value=ETH)
    assert bank.diff() == []
    bank.engine.set_balance(VAULT, ETH + 7)
    assert bank.diff() == [f"balance({VAULT:#x}): model {ETH}, evm {ETH + 7}"]


def test_a_broken_vault_model_is_named_in_the_diff():
    bank = Bank("pyrevm", VaultWithdrawForgetsTotal)
    bank.call("Vault", "deposit", A, value=ETH)
    bank.call("Vault", "withdraw", A, 10)
    assert bank.diff() == [f"Vault.total: model {ETH}, evm {ETH - 10}"]


def test_write_system_sets_the_balances_the_model_tracks():
    bank = Bank("py-evm")
    bank.system.world.set_balance(B, 3 * ETH)
    bank.system.world.set_balance(VAULT, 5)
    write_system(bank.fixture, bank.system)
    assert bank.diff() == [] and bank.engine.get_balance(VAULT) == 5


def total_is_sum_of_deposits(s):
    v = s.world.contracts[s.addrs["Vault"]]
    return v.deposits.sum() == v.total


def vault_is_solvent(s):
    v = s.world.contracts[s.addrs["Vault"]]
    return s.world.balance(v.address) >= v.total


TOTAL = Invariant("KERNEL-ETH-001", "Vault", "Invariant: total is the sum of the deposits.",
                  "withdrawals are paid from total", "a deposit left unbacked", total_is_sum_of_deposits)
SOLVENT = Invariant("KERNEL-ETH-002", "Vault", "Invariant: the Vault's ETH balance is at least total.",
                    "every deposit can be withdrawn", "a withdrawal that pays more than it books", vault_is_solvent)


def _prove(model=VaultModel, invariants=(TOTAL, SOLVENT)):
    results = Prover(model_system("Vault", VAULT, model), list(invariants), environment=(), step_invariants=[]).run()
    return {r.id: r for r in results}


def test_prover_proves_payable_deposits_and_a_withdrawal_that_books_before_it_pays():
    """msg.value and the ETH balances are terms: deposit (payable) and withdraw (effects, then the
    transfer to msg.sender, whose code may call back) preserve both invariants."""
    r = _prove()
    for inv in ("KERNEL-ETH-001", "KERNEL-ETH-002"):
        for ob in ("init", "Vault.deposit", "Vault.withdraw", "Vault.ping"):
            assert r[f"{inv}/{ob}"].status == "PROVED", (inv, ob, r[f"{inv}/{ob}"].details.get("message"))
    assert r["KERNEL-ETH-002/Vault.withdraw"].details["callback_points"] >= 1
    assert r["VACUITY/Vault.deposit"].status == "PROVED"


def test_prover_finds_the_reentrancy_of_a_withdrawal_that_pays_before_it_books():
    """withdrawAll sends before it books: at the send the balance is below total, and the receiver's
    code runs in that state (the Reenterer drains the Vault that way on both EVMs). Solvency is
    VIOLATED there; the writes after the send make the rest UNSUPPORTED, never PROVED."""
    r = _prove()
    solvent = r["KERNEL-ETH-002/Vault.withdrawAll"]
    assert solvent.status == "VIOLATED" and "reentrancy" in solvent.details["message"]
    only_total = _prove(invariants=(TOTAL,))["KERNEL-ETH-001/Vault.withdrawAll"]
    assert only_total.status == "UNSUPPORTED"
    message = only_total.details["message"]
    assert "written (Vault.deposits, Vault.total)" in message
    assert "after ETH is sent to an account outside the system" in message


@dataclass
class VaultBonusAfterSend(VaultModel):
    """withdraw clears `bonus` before the send and books a bonus after it only if `bonus` is set: run
    without callbacks that branch is dead, but a callback may call arm() in between."""

    bonus: Bool = storage(lambda: Bool(False))

    @external
    def arm(self, msg: Msg) -> None:
        self.bonus = Bool(True)

    @external
    def withdraw(self, msg: Msg, amount: U256) -> None:
        self.deposits[msg.sender] = self.deposits[msg.sender] - amount
        self.total = self.total - amount
        self.bonus = Bool(False)
        require(self.world.send_value(self.address, msg.sender, amount), Error("send"))
        if self.bonus:
            self.total = self.total + 1


def test_prover_does_not_prove_a_path_that_reads_storage_after_the_send():
    """After the send the path runs on what the callbacks left: reading storage there (the bonus flag)
    is UNSUPPORTED, never PROVED from the run without callbacks, where the bonus branch is dead."""
    r = _prove(VaultBonusAfterSend, (TOTAL,))["KERNEL-ETH-001/Vault.withdraw"]
    assert r.status == "UNSUPPORTED" and "accessed (Vault.bonus)" in r.details["message"]


def test_prover_catches_a_withdrawal_that_forgets_total_with_a_counterexample_carrying_eth():
    r = _prove(VaultWithdrawForgetsTotal)["KERNEL-ETH-001/Vault.withdraw"]
    assert r.status == "VIOLATED"
    cex = r.counterexample
    assert cex is not None and cex.confirmed_on_model, cex and cex.note
    solvent = _prove(VaultWithdrawForgetsTotal, (SOLVENT,))["KERNEL-ETH-002/Vault.withdraw"]
    assert solvent.status == "VIOLATED"


def test_prover_counterexample_of_a_deposit_carries_msg_value_and_balances():
    """A model whose deposit books twice the value: the counterexample has a nonzero msg.value, the
    sender's balance to pay it, and is confirmed by replaying it on the model."""

    @dataclass
    class VaultDepositBooksTwice(VaultModel):
        @payable
        def deposit(self, msg: Msg) -> None:
            require(msg.value > 0, Error("zero"))
            self.deposits[msg.sender] = self.deposits[msg.sender] + msg.value
            self.total = self.total + msg.value + msg.value

    r = _prove(VaultDepositBooksTwice, (SOLVENT,))["KERNEL-ETH-002/Vault.deposit"]
    assert r.status == "VIOLATED"
    cex = r.counterexample
    assert cex.value > 0 and cex.pre.world.balances.get(cex.sender, 0) >= cex.value
    assert cex.confirmed_on_model, cex.note
    assert cex.to_json()["call"]["value"] == str(cex.value)


def test_a_contract_with_receive_has_that_transition_reported_unsupported():
    """Any account may send ETH to a contract with receive, so receive is a transition of the system;
    the prover has no encoding for it and says so rather than leaving it out."""
    r = {x.id: x for x in Prover(model_system("Reenterer", REENTERER, ReentererModel), [], environment=(),
                                 step_invariants=[]).run()}
    assert r["VACUITY/Reenterer.receive"].status == "UNSUPPORTED"
    assert "receive function" in r["VACUITY/Reenterer.receive"].details["message"]


def _sender_holds_less_than_2_128_after(pre, post, call):
    return post.world.balance(call.sender) < (1 << 128) * 2


SENDER_FITS = StepInvariant(
    "KERNEL-ETH-003", "Vault", "Invariant: after a call its sender holds less than 2^129 wei.",
    "all the ETH there is is below 2^128 wei (the prover's ETH_SUPPLY_BOUND)",
    "a balance that a payment lifts past 2^256 would wrap", _sender_holds_less_than_2_128_after)


def test_prover_bounds_the_eth_a_call_reads_by_all_the_eth_there_is():
    """The balances a path reads add up to less than ETH_SUPPLY_BOUND (an environment fact stated in
    every result): a withdrawal pays the sender from the Vault's balance, so the sender ends below
    twice the bound. Without the fact the solver may pick balances whose sum passes 2^256, a state no
    chain reaches, and a counterexample made from them does not even replay on the model."""
    results = {r.id: r for r in Prover(model_system("Vault", VAULT, VaultModel), [], environment=(),
                                       step_invariants=[SENDER_FITS]).run()}
    withdraw = results["KERNEL-ETH-003/Vault.withdraw"]
    assert withdraw.status == "PROVED", withdraw.details.get("message")
    assert any("2^128" in a for a in ASSUMPTIONS)

