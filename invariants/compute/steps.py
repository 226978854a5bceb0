"""Step invariants of the compute suite (PROTOCOL.md section 10, kind "step"): predicates over the
states before and after one successful call, and the call."""

from __future__ import annotations

from invariants.compute.ledger import tokens
from invariants.registry import Call, step_invariant
from specs.compute.compute_staking import StakeRole
from specs.kernel import U256, Address, Int

PENDING_ROLES = (0, 1, 2)


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
        if not (call.is_("ComputeStaking", "withdrawUnstaked") and after == 0 and call.sender == account
                and U256(post.world.block.timestamp) >= pre.staking.unlockTimes[account][role]):
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
