"""Step invariants of the compute suite (PROTOCOL.md section 10, kind "step"): predicates over the
states before and after one successful call, and the call."""

from __future__ import annotations

from invariants.compute.ledger import tokens
from invariants.registry import Call, step_invariant
from specs.compute.compute_staking import StakeRole
from specs.kernel import U256, Address, Int, ZERO_ADDRESS

PENDING_ROLES = (0, 1, 2)
# The protocol's contracts (the suite's deployments without its test token and test doubles). A call to any
# other contract of a deployment reaches the protocol through calls that contract makes, as their msg.sender.
PROTOCOL_CONTRACTS = ("ComputeStaking", "ComputeRegistry", "ComputeRental", "InferenceServing", "LedgerManager",
                      "TriggerRegistry")


@step_invariant(
    "COMP-RENT-003", contract="ComputeRental",
    statement="Invariant: a terminated session stays terminated, and its record, split and terminatedAt "
              "never change again.",
    why="The escrow is split once (R-4.7); the terminated record is the receipt of what was paid for.",
    exploit="Reopening or rewriting a terminated session would let its deposit be split twice.",
)
def terminated_is_final(pre, post, call: Call, sessionId: U256) -> bool:  # type: ignore[no-untyped-def]
    a, b = pre.rental, post.rental
    if sessionId == 0 or sessionId > a.sessionCount or a.sessions[sessionId].active:
        return True
    x, y = a.sessions[sessionId], b.sessions[sessionId]
    same_record = (x.renter == y.renter and x.providerId == y.providerId and x.startTime == y.startTime
                   and x.endTime == y.endTime and x.deposit == y.deposit and not y.active
                   and x.sshPublicKey.same(y.sshPublicKey))
    return (same_record and a.terminatedAt[sessionId] == b.terminatedAt[sessionId]
            and a.providerPaymentOf[sessionId] == b.providerPaymentOf[sessionId]
            and a.refundOf[sessionId] == b.refundOf[sessionId])


@step_invariant(
    "COMP-INF-005", contract="InferenceServing",
    statement="Invariant: getUsage is monotone: a user's totalTokens and totalCost never decrease.",
    why="getUsage is the cumulative record of what a user was billed (R-5.8).",
    exploit="A usage record that can shrink hides billing from the user it was charged to.",
)
def usage_monotone(pre, post, call: Call, user: Address) -> bool:  # type: ignore[no-untyped-def]
    a, b = pre.inference, post.inference
    return b.usageTokens[user] >= a.usageTokens[user] and b.usageCost[user] >= a.usageCost[user]


@step_invariant(
    "COMP-STAKE-003", contract="ComputeStaking",
    statement="Invariant: a slash takes at most the account's stake + pending for that role, at most the "
              "amount asked, and treasuryBalance rises by exactly what was taken.",
    why="Slashed funds move from the staker to the treasury balance and nowhere else (R-7.5).",
    exploit="A slash that credits more than it takes mints treasury funds out of other stakers' ETH.",
)
def slash_moves_to_treasury(pre, post, call: Call) -> bool:  # type: ignore[no-untyped-def]
    if not call.is_("ComputeStaking", "slash"):
        return True
    acct, role = call.args["account"], call.args["role"]
    a, b = pre.staking, post.staking
    held_before = Int(a.stakes[acct][role]) + Int(a.pending[acct][role])
    held_after = Int(b.stakes[acct][role]) + Int(b.pending[acct][role])
    taken = held_before - held_after
    return (taken > 0 and taken <= Int(call.args["amount"])
            and Int(b.treasuryBalance) - Int(a.treasuryBalance) == taken)


@step_invariant(
    "COMP-STAKE-004", contract="ComputeStaking",
    statement="Invariant: pending stake decreases only by withdrawUnstaked at or after unlockAt (to 0) or by "
              "a slash.",
    why="The unstake delay keeps a leaving stake slashable for a week (R-7.4).",
    exploit="Pending stake leaving early lets an offender escape a slash it has seen coming.",
)
def pending_leaves_late(pre, post, call: Call, account: Address) -> bool:  # type: ignore[no-untyped-def]
    for role in PENDING_ROLES:
        before, after = pre.staking.pending[account][role], post.staking.pending[account][role]
        if after >= before:
            continue
        if call.is_("ComputeStaking", "slash"):
            continue
        if call.contract in PROTOCOL_CONTRACTS:
            withdrawn = call.is_("ComputeStaking", "withdrawUnstaked") and call.sender == account
        else:  # a test double withdraws its own pending stake, or slashes (the treasury balance rises)
            withdrawn = account == post.addrs[call.contract]
            if Int(post.staking.treasuryBalance) > Int(pre.staking.treasuryBalance):
                continue
        if not (withdrawn and after == 0 and U256(post.world.block.timestamp) >= pre.staking.unlockTimes[account][role]):
            return False
    return True


@step_invariant(
    "COMP-TRIG-004", contract="TriggerRegistry",
    statement="Invariant: an execution happens at or after the trigger's nextDueAt: a cron trigger never "
              "before createdAt + interval (then lastExecuted + interval), no trigger twice at one timestamp.",
    why="Cron is enforced on chain and executions are bounded to one per timestamp (R-8.4, R-8.5).",
    exploit="Early or repeated executions collect sponsored fees for work that was not due.",
)
def executes_when_due(pre, post, call: Call, triggerId: U256) -> bool:  # type: ignore[no-untyped-def]
    a, b = pre.triggers, post.triggers
    if b.executionCountOf[triggerId] == a.executionCountOf[triggerId]:
        return True
    now, interval = Int(post.world.block.timestamp), Int(a.cronIntervalOf[triggerId])  # interval: 0 unless cron
    if a.executionCountOf[triggerId] == 0:
        due_ok = now >= Int(a.createdAtOf[triggerId]) + interval
    else:
        last = Int(a.lastExecutedOf[triggerId])
        due_ok = now >= last + interval and now > last
    return due_ok and Int(b.executionCountOf[triggerId]) == Int(a.executionCountOf[triggerId]) + 1


@step_invariant(
    "COMP-LEDGER-003", contract="LedgerManager",
    statement="Invariant: the ledger balances (ETH and each token with a model) of an account without code "
              "change only in a transaction that account sent (a contract's may change in any transaction "
              "that runs its code), and a token deposit credits exactly what arrived (the ledger's balance of "
              "the token rose by the credit).",
    why="Balances are the users' own (R-6.1); a deposit is credited with the balance difference so that a "
        "fee-on-transfer token credits what the ledger received (R-6.3).",
    exploit="Crediting or debiting another account's balance moves its funds; crediting the requested amount "
            "of a fee-on-transfer token lets its depositors drain the others.",
)
def ledger_balances_move_by_their_owner(pre, post, call: Call, user: Address) -> bool:  # type: ignore[no-untyped-def]
    a, b = pre.ledger, post.ledger

    def own_transaction() -> bool:
        if call.sender == user:
            return True
        for addr in post.world.contracts:  # a contract acts through its code, inside anyone's transaction
            if user == addr:
                return True
        return False

    if a.ethBalances[user] != b.ethBalances[user] and not own_transaction():
        return False
    for t0, t1 in zip(tokens(pre), tokens(post)):
        before, after = a.tokenBalances[user][t0.address], b.tokenBalances[user][t1.address]
        if before == after:
            continue
        if not own_transaction():
            return False
        if call.is_("LedgerManager", "depositToken") and (
                Int(after) - Int(before) != Int(t1._balances[b.address]) - Int(t0._balances[a.address])):
            return False
    return True


# The tier minimums of PROTOCOL.md R-7.3 (0.01, 0.1 and 1 ETH), restated: by StakeRole (User, Provider,
# Guardian)
ROLE_MINIMUMS = ((StakeRole.User, 10**16), (StakeRole.Provider, 10**17), (StakeRole.Guardian, 10**18))


@step_invariant(
    "COMP-STAKE-002", contract="ComputeStaking",
    statement="Invariant: after stake, stakeFor and requestUnstake, every active stake the call changed is 0 "
              "or at least its role's minimum (0.01 ETH user, 0.1 ETH provider, 1 ETH guardian).",
    why="The tiers are what the other contracts trust as 'staked' (R-7.3); a slash may leave less, the "
        "staker's own calls may not.",
    exploit="A dust stake counted as staked lets an account act as a provider or user without the bond.",
)
def tier_minimum_after_staking(pre, post, call: Call, account: Address) -> bool:  # type: ignore[no-untyped-def]
    if not any(call.is_("ComputeStaking", f) for f in ("stake", "stakeFor", "requestUnstake")):
        return True
    for role, minimum in ROLE_MINIMUMS:
        before, after = pre.staking.stakes[account][role], post.staking.stakes[account][role]
        if after != before and after != 0 and after < U256(minimum):
            return False
    return True


@step_invariant(
    "COMP-STAKE-005", contract="ComputeStaking",
    statement="Invariant: only an appointed guardian holding a guardian stake of at least 1 ETH slashes "
              "provider and user stakes, never its own; only the owner slashes guardian stakes.",
    why="Slashing is the protocol's only way to take a stake without its owner's consent (R-7.5).",
    exploit="A slash by anyone else confiscates honest stakes into the treasury.",
)
def slash_by_the_authorized(pre, post, call: Call) -> bool:  # type: ignore[no-untyped-def]
    if not call.is_("ComputeStaking", "slash"):
        return True
    st = pre.staking
    if call.args["role"] == StakeRole.Guardian:
        return call.sender == st._owner
    return (bool(st.isGuardian[call.sender]) and st.stakes[call.sender][StakeRole.Guardian] >= U256(10**18)
            and call.args["account"] != call.sender)


@step_invariant(
    "COMP-INF-002", contract="InferenceServing",
    statement="Invariant: a recordUsage moves exactly inputTokens * inputPrice + outputTokens * outputPrice "
              "(the caller's prices for the model) from the user's balance to the caller's earnings, lowers "
              "the user's allowance to the caller by the same, and raises the user's getUsage by (input + "
              "output tokens, that cost); no other account's balance, earnings or usage changes.",
    why="Per-token billing is exact (R-5.4, R-5.5).",
    exploit="Any rounding or a wrong price index bills users for what they did not use.",
)
def usage_cost_exact(pre, post, call: Call, other: Address) -> bool:  # type: ignore[no-untyped-def]
    if not call.is_("InferenceServing", "recordUsage"):
        return True
    a, b = pre.inference, post.inference
    user, provider = call.args["user"], call.sender
    price = a.prices[provider][call.args["model"].keccak()]
    n_in, n_out = Int(call.args["inputTokens"]), Int(call.args["outputTokens"])
    cost = n_in * Int(price.inputPricePerToken) + n_out * Int(price.outputPricePerToken)
    if not (Int(b.balances[user]) == Int(a.balances[user]) - cost
            and Int(b.earnings[provider]) == Int(a.earnings[provider]) + cost
            and Int(b.allowance[user][provider]) == Int(a.allowance[user][provider]) - cost
            and Int(b.usageTokens[user]) == Int(a.usageTokens[user]) + n_in + n_out
            and Int(b.usageCost[user]) == Int(a.usageCost[user]) + cost):
        return False
    if other != user and not (b.balances[other] == a.balances[other] and b.usageTokens[other] == a.usageTokens[other]
                              and b.usageCost[other] == a.usageCost[other]):
        return False
    return other == provider or b.earnings[other] == a.earnings[other]


@step_invariant(
    "COMP-INF-004", contract="InferenceServing",
    statement="Invariant: only the owner of an available provider (active, with a provider stake of at least "
              "0.1 ETH) records usage, for a model it priced, never against itself.",
    why="Usage is billed by the provider that served it (R-5.3).",
    exploit="Usage recorded by anyone else, or for an unpriced model, bills users for nothing.",
)
def usage_recorded_by_its_provider(pre, post, call: Call) -> bool:  # type: ignore[no-untyped-def]
    if not call.is_("InferenceServing", "recordUsage"):
        return True
    reg = pre.registry
    pid = reg.providerIdOf[call.sender]
    if pid == 0 or pid > reg.providerCount:
        return False
    p = reg.providers[pid]
    if p.owner != call.sender or not p.active:
        return False
    if pre.staking.stakes[p.owner][StakeRole.Provider] < U256(10**17):
        return False
    price = pre.inference.prices[call.sender][call.args["model"].keccak()]
    if price.inputPricePerToken == 0 and price.outputPricePerToken == 0:
        return False
    return call.args["user"] != call.sender


@step_invariant(
    "COMP-TRIG-005", contract="TriggerRegistry",
    statement="Invariant: only the trigger's agent or an appointed executor executes a trigger; only the agent "
              "deactivates it.",
    why="Executions are paid from the agent's sponsorship (R-8.3, R-8.7).",
    exploit="Executions by anyone drain the sponsorship in fees.",
)
def triggers_run_by_their_agent_or_executors(pre, post, call: Call) -> bool:  # type: ignore[no-untyped-def]
    tr = pre.triggers
    if call.is_("TriggerRegistry", "executeTrigger"):
        agent = tr.triggers[call.args["triggerId"]].agent
        return call.sender == agent or bool(tr.isExecutor[call.sender])
    if call.is_("TriggerRegistry", "deactivateTrigger"):
        return call.sender == tr.triggers[call.args["triggerId"]].agent
    return True


# OWN_STORAGE: the storage and the ETH balance of ComputeRegistry, ComputeRental, InferenceServing and
# TriggerRegistry change only in a call to one of their own functions: a contract's storage is written only by
# its own code, no contract of the suite (nor a test double of the fuzz campaign) calls a function of theirs
# that writes or pays, and they have no receive or fallback. The step invariants over them below are
# therefore stated for the calls to their own functions (any other call leaves what they read as it was),
# which spares the prover evaluating them symbolically across every other contract's transitions.


@step_invariant(
    "COMP-REG-001", contract="ComputeRegistry",
    statement="Invariant: only a provider's owner (at registration, the registrant) changes its record and agent "
              "link, never the owner; only an attester changes its attestation, to its own or none.",
    why="A provider record is permanent and its owner immutable (R-3.4); the attestation is the attester's "
        "word (R-3.6).",
    exploit="Anyone else editing a record reroutes sessions and usage, or makes a provider claim hardware, a "
            "price or an attestation it never gave.",
)
def provider_records_change_by_their_owner(pre, post, call: Call, providerId: U256) -> bool:  # type: ignore[no-untyped-def]
    if call.contract != "ComputeRegistry":  # its storage changes only in its own functions (OWN_STORAGE)
        return True
    a, b = pre.registry, post.registry
    x, y = a.providers[providerId], b.providers[providerId]
    same_record = (x.owner == y.owner and x.endpoint.same(y.endpoint)
                   and x.hardwareAttestation.same(y.hardwareAttestation) and x.gpuCount == y.gpuCount
                   and x.gpuModel.same(y.gpuModel) and x.pricePerHour == y.pricePerHour and x.active == y.active
                   and a.agentIdOf[providerId] == b.agentIdOf[providerId])
    if not same_record:
        registered = providerId != 0 and providerId <= a.providerCount
        if registered and y.owner != x.owner:
            return False
        if call.sender != y.owner:  # a new record (register) is the sender's own
            return False
    p, q = a.attestations[providerId], b.attestations[providerId]
    same_attestation = (p.attestationHash == q.attestationHash and p.teeType == q.teeType
                        and p.attester == q.attester and p.attestedAt == q.attestedAt and p.expiresAt == q.expiresAt)
    if not same_attestation:
        return bool(a.isAttester[call.sender]) and (q.attester == call.sender or q.attester == ZERO_ADDRESS)
    return True


def _session_party_or_after_end(pre, post, call: Call, x) -> bool:  # type: ignore[no-untyped-def]
    """Whether `call` may terminate the session `x` (its record before the call): at or after its endTime
    anyone, before it its renter or its provider's owner (R-4.6)."""
    if U256(post.world.block.timestamp) >= x.endTime:
        return True
    return call.sender == x.renter or call.sender == pre.registry.providers[x.providerId].owner


@step_invariant(
    "COMP-RENT-006", contract="ComputeRental",
    statement="Invariant: a session's renter is its creator, never changes, and alone extends it; before endTime "
              "only the renter or the provider's owner terminates it.",
    why="The refund goes to the renter, so one payer keeps the accounting one-to-one (R-4.5); termination "
        "before the end is the parties' decision, after it anyone's bookkeeping (R-4.6).",
    exploit="A stranger terminating a live session cuts the renter off the machine it paid for; another "
            "account extending it turns its payment into the renter's refund.",
)
def session_parties(pre, post, call: Call, sessionId: U256) -> bool:  # type: ignore[no-untyped-def]
    if call.contract != "ComputeRental":  # its storage changes only in its own functions (OWN_STORAGE)
        return True
    a, b = pre.rental, post.rental
    x, y = a.sessions[sessionId], b.sessions[sessionId]
    if sessionId == 0 or sessionId > b.sessionCount:
        return True
    if sessionId > a.sessionCount:  # created by this call
        return y.renter == call.sender
    if y.renter != x.renter:
        return False
    if (y.endTime != x.endTime or y.deposit != x.deposit) and call.sender != x.renter:
        return False
    if x.active and not y.active:
        return _session_party_or_after_end(pre, post, call, x)
    return True


# The user and provider minimums of PROTOCOL.md R-7.1 (0.01 and 0.1 ETH), restated
MIN_USER_STAKE = U256(10**16)
MIN_PROVIDER_STAKE = U256(10**17)


def _available(s, providerId: U256) -> bool:  # type: ignore[no-untyped-def]
    """isAvailable(providerId) in state `s`, from storage: a registered, active provider whose provider
    stake is at least MIN_PROVIDER_STAKE (R-3.3)."""
    reg = s.registry
    if providerId == 0 or providerId > reg.providerCount:
        return False
    p = reg.providers[providerId]
    return bool(p.active) and s.staking.stakes[p.owner][StakeRole.Provider] >= MIN_PROVIDER_STAKE


@step_invariant(
    "COMP-RENT-007", contract="ComputeRental",
    statement="Invariant: a session is created (at the provider's price, by a staked renter) or extended only for "
              "an available provider, paid exactly: ETH received = deposit added = sessionPrice per hour.",
    why="Sessions are prepaid exactly at the price of the moment (R-4.1, R-4.3, R-4.4) and need a user stake "
        "against spam (R-4.2).",
    exploit="An underpaid session or extension is served from nothing; one for an unstaked or inactive provider "
            "commits a provider that left; a renter without stake spams providers for free.",
)
def sessions_paid_exactly(pre, post, call: Call, sessionId: U256) -> bool:  # type: ignore[no-untyped-def]
    if call.contract != "ComputeRental":  # its storage changes only in its own functions (OWN_STORAGE)
        return True
    a, b = pre.rental, post.rental
    x, y = a.sessions[sessionId], b.sessions[sessionId]
    if sessionId == 0 or sessionId > b.sessionCount:
        return True
    if sessionId > a.sessionCount:  # created by this call, at the provider's price of the moment
        price, paid, seconds = b.sessionPrice[sessionId], Int(y.deposit), Int(y.endTime) - Int(y.startTime)
        if not (price == pre.registry.providers[y.providerId].pricePerHour
                and pre.staking.stakes[y.renter][StakeRole.User] >= MIN_USER_STAKE):
            return False
    elif y.endTime != x.endTime or y.deposit != x.deposit:  # extended by this call, at the session's own price
        price = a.sessionPrice[sessionId]
        paid, seconds = Int(y.deposit) - Int(x.deposit), Int(y.endTime) - Int(x.endTime)
    else:
        return True
    received = Int(post.world.balance(b.address)) - Int(pre.world.balance(a.address))
    return _available(pre, y.providerId) and paid * 3600 == Int(price) * seconds and paid == received


@step_invariant(
    "COMP-INF-003", contract="InferenceServing",
    statement="Invariant: a user's balance falls only by its own withdraw or by usage billed to it within its "
              "allowance to the caller, and rises only by its own deposit of the ETH received (so never wraps).",
    why="Prepaid balances are the users' own; providers bill within the consent the allowance gives (R-5.4, "
        "R-5.6, R-5.9).",
    exploit="A debit by anyone else, or beyond the allowance, drains a user's deposit with invented usage.",
)
def inference_balance_moves_by_its_user(pre, post, call: Call, user: Address) -> bool:  # type: ignore[no-untyped-def]
    if call.contract != "InferenceServing":  # its storage changes only in its own functions (OWN_STORAGE)
        return True
    a, b = pre.inference, post.inference
    before, after = Int(a.balances[user]), Int(b.balances[user])
    if after > before:
        received = Int(post.world.balance(b.address)) - Int(pre.world.balance(a.address))
        return call.is_("InferenceServing", "deposit") and call.sender == user and after - before == received
    if after < before:
        if call.is_("InferenceServing", "withdraw"):
            return call.sender == user and before - after == Int(call.args["amount"])
        if call.is_("InferenceServing", "recordUsage"):
            return call.args["user"] == user and before - after <= Int(a.allowance[user][call.sender])
        return False
    return True


# The fixed fee of PROTOCOL.md R-8.6 (0.0005 ETH), restated
EXECUTION_FEE = U256(5 * 10**14)


@step_invariant(
    "COMP-TRIG-003", contract="TriggerRegistry",
    statement="Invariant: sponsorship rises only by funding (the ETH received) and falls only by EXECUTION_FEE per "
              "execution, paid to its executor, or to 0 at deactivation, refunded to the agent.",
    why="Sponsorship pays only executions that happened, one fixed fee each; leftovers go to the agent (R-8.6, "
        "R-8.7).",
    exploit="A fee without an execution, or more than one per execution, spends an agent's sponsorship on "
            "nothing; a fee credited to another account pays someone who did no work.",
)
def sponsorship_pays_executions(pre, post, call: Call, triggerId: U256, account: Address) -> bool:  # type: ignore[no-untyped-def]
    if call.contract != "TriggerRegistry":  # its storage changes only in its own functions (OWN_STORAGE)
        return True
    a, b = pre.triggers, post.triggers

    def of(function: str, t) -> bool:  # type: ignore[no-untyped-def]
        return call.is_("TriggerRegistry", function) and call.args["triggerId"] == t

    def credited(who) -> Int:  # type: ignore[no-untyped-def]
        return Int(b.withdrawable[who]) - Int(a.withdrawable[who])

    def paid_one_execution(t) -> bool:  # type: ignore[no-untyped-def]
        return (Int(a.sponsorshipOf[t]) - Int(b.sponsorshipOf[t]) == Int(EXECUTION_FEE)
                and Int(b.executionCountOf[t]) == Int(a.executionCountOf[t]) + 1
                and credited(call.sender) == Int(EXECUTION_FEE))

    def refunded(t) -> bool:  # type: ignore[no-untyped-def]
        return b.sponsorshipOf[t] == 0 and credited(a.triggers[t].agent) == Int(a.sponsorshipOf[t])

    before, after = Int(a.sponsorshipOf[triggerId]), Int(b.sponsorshipOf[triggerId])
    if after > before:
        received = Int(post.world.balance(b.address)) - Int(pre.world.balance(a.address))
        if not (of("fundTrigger", triggerId) and after - before == received):
            return False
    elif after < before:
        if of("executeTrigger", triggerId):
            if not paid_one_execution(triggerId):
                return False
        elif not (of("deactivateTrigger", triggerId) and refunded(triggerId)):
            return False
    if credited(account) > 0:
        if call.is_("TriggerRegistry", "executeTrigger") and call.sender == account:
            return paid_one_execution(call.args["triggerId"])
        if call.is_("TriggerRegistry", "deactivateTrigger") and call.sender == account:
            t = call.args["triggerId"]
            return a.triggers[t].agent == account and refunded(t)
        return False
    return True


# The functions only the owner or an appointed role may call (section 2), by contract. executeTrigger is not
# one: the agent may call it too, and what it pays an executor is the fee of R-8.6 (COMP-TRIG-003).
ROLE_FUNCTIONS = {
    "ComputeStaking": ("setGuardian", "slash", "transferOwnership", "acceptOwnership"),
    "ComputeRegistry": ("setAttester", "attest", "revokeAttestation", "transferOwnership", "acceptOwnership"),
    "TriggerRegistry": ("setExecutor", "transferOwnership", "acceptOwnership"),
}


@step_invariant(
    "COMP-ACCESS-001", contract="ComputeStaking",
    statement="Invariant: no owner or role function (setGuardian, slash, setAttester, attest, revokeAttestation, "
              "setExecutor, ownership transfer) changes a deposit, escrow, user balance, sponsorship or any ETH.",
    why="The owner can never move user funds and the roles can touch only what section 2 gives them: a "
        "guardian slashes stakes, nothing else (R-1.8, R-2.2).",
    exploit="An administrator or an appointed role reaching escrows, deposits or balances could take the "
            "users' funds with a key that is trusted only to appoint.",
)
def role_functions_move_no_user_funds(pre, post, call: Call, account: Address, recordId: U256) -> bool:  # type: ignore[no-untyped-def]
    if call.function not in ROLE_FUNCTIONS.get(call.contract, ()):
        return True
    r0, r1, i0, i1 = pre.rental, post.rental, pre.inference, post.inference
    l0, l1, t0, t1 = pre.ledger, post.ledger, pre.triggers, post.triggers
    if not (r1.sessions[recordId].deposit == r0.sessions[recordId].deposit
            and r1.providerPaymentOf[recordId] == r0.providerPaymentOf[recordId]
            and r1.refundOf[recordId] == r0.refundOf[recordId]
            and t1.sponsorshipOf[recordId] == t0.sponsorshipOf[recordId]):
        return False
    if not (r1.withdrawable[account] == r0.withdrawable[account] and i1.balances[account] == i0.balances[account]
            and i1.earnings[account] == i0.earnings[account] and l1.ethBalances[account] == l0.ethBalances[account]
            and t1.withdrawable[account] == t0.withdrawable[account]
            and post.world.balance(account) == pre.world.balance(account)):
        return False
    for k0, k1 in zip(tokens(pre), tokens(post)):
        if l1.tokenBalances[account][k1.address] != l0.tokenBalances[account][k0.address]:
            return False
    return True


# The functions that pay ETH out to their caller.
PAYOUTS = (("ComputeRental", "withdraw"), ("InferenceServing", "withdraw"), ("InferenceServing", "withdrawEarnings"),
           ("LedgerManager", "withdraw"), ("ComputeStaking", "withdrawUnstaked"), ("TriggerRegistry", "withdraw"))


@step_invariant(
    "COMP-ETH-001", contract="ComputeStaking",
    statement="Invariant: ETH leaves a contract only to the caller of its withdraw function, exactly what it lost, "
              "or to the treasury by sweepToTreasury; a contract gains ETH only in its payable functions (Staking "
              "also in register).",
    why="Pull payments: every amount owed is credited and taken by its owner, so no party can block another's "
        "payment (R-1.5).",
    exploit="A push to a reverting receiver lets it block the call that pays everyone else; ETH sent anywhere "
            "else leaves the contract owing more than it holds.",
)
def eth_leaves_only_to_payees(pre, post, call: Call, account: Address) -> bool:  # type: ignore[no-untyped-def]
    def gain(who) -> Int:  # type: ignore[no-untyped-def]
        return Int(post.world.balance(who)) - Int(pre.world.balance(who))

    change = gain(account)
    # a contract outside the protocol (the fuzz campaign's test doubles) calls the protocol as msg.sender
    # itself: what it withdraws is paid to it
    outside = call.contract not in PROTOCOL_CONTRACTS
    for name in PROTOCOL_CONTRACTS:
        if account != post.addrs[name]:
            continue
        if outside or change == 0:
            return True
        if change < 0:
            if call.contract == name and (name, call.function) in PAYOUTS:
                return gain(call.sender) == Int(0) - change
            if call.is_("ComputeStaking", "sweepToTreasury") and name == "ComputeStaking":
                return gain(pre.staking.treasury) == Int(0) - change
            return False
        payable = getattr(getattr(post.models[call.contract], call.function, None), "is_payable", False)
        return (call.contract == name and payable) or (
            name == "ComputeStaking" and call.is_("ComputeRegistry", "register"))
    if change <= 0:
        return True
    if outside:
        return account == post.addrs[call.contract]
    if (call.contract, call.function) in PAYOUTS:
        return account == call.sender
    return call.is_("ComputeStaking", "sweepToTreasury") and account == pre.staking.treasury
