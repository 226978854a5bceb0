"""BPE-REBAL-001/002/004 and BPE-FLOW-003 (invariants/bpe/rebalance.py): proved per element by induction over
the model's loop bodies, not vacuously, under the stated pool guarantees; the broken twins are caught
with counterexamples that replay on the model, and the same bugs realise on the model and both EVMs
(full suite, real Superfluid framework) while the correct contract passes the same sequence."""

from __future__ import annotations

import json

import pytest

import invariants.bpe.all  # noqa: F401
from tests.bpe import bpe_artifacts, deploy_bpe
from harness.fuzz.differential import Mismatch
from harness.fuzz.runner import REPLAY_SCHEMA, replay
from harness.fuzz.bpe.stake_manager import SINKS
from harness.fuzz.bpe.system import KEEPER, PREPARE, T1, T2, call
from invariants.bpe.rebalance import COMPOSITION, GUARANTEES, LIST_INVARIANTS, prove_rebalance
from invariants.suite import declared_parts, suite_invariants
from specs.bpe.suite import SUITE as BPE
from specs.bpe import superfluid as sf
from specs.kernel import I128, I256, U32
from tests.checkers import tiered
from tests.bpe.fixtures.broken_rebalance_models import REBALANCE_TWINS


@pytest.fixture(scope="module")
def results(proof_parts):
    return proof_parts["rebalance"]


@pytest.mark.slow
def test_rebalance_obligations_are_proved_not_vacuously(results):
    bad = [(r.id, r.status, r.details.get("message")) for r in results if r.status != "PROVED"]
    assert not bad, bad
    ids = {r.id for r in results}
    assert set(COMPOSITION) <= ids
    for tr in ("rebalance", "createPool", "setRebalanceThreshold"):
        assert f"VACUITY/BackpressurePool.{tr}" in ids
    # the registry list invariants the per-element argument needs, over every transition of the proved system
    for inv in LIST_INVARIANTS:
        assert any(r.id == f"{inv.id}/CapacityRegistry.deregisterSink" for r in results)
        assert any(r.id == f"{inv.id}/init" for r in results)
    for r in results:
        if r.kind == "proof" and r.id in COMPOSITION:
            assert set(GUARANTEES) <= set(r.details["environment"]), r.id
            assert r.details["lemmas"] and r.details["method"]


def test_the_rebal_invariants_stay_out_of_the_generic_provers():
    # a Prover over BackpressurePool (the EscrowBuffer one) would take "inductive" invariants as hypotheses
    rebal = [i for i in suite_invariants(BPE) if declared_parts(BPE, i) == ("rebalance",)]
    assert rebal and all(i.proof == "concrete" for i in rebal)


@pytest.mark.catches("prover-rebalance")
@pytest.mark.parametrize("twin", tiered(sorted(REBALANCE_TWINS), fast=["backpressure_pool_rebalance_rounds_up"]))
def test_broken_rebalance_is_violated_with_a_counterexample_that_replays_on_the_model(twin):
    cls, _sol, lemma, proofs = REBALANCE_TWINS[twin]
    results = prove_rebalance(overrides={"BackpressurePool": cls}, registry_lists=False)
    by_id = {r.id: r for r in results}
    hit = by_id[lemma]
    assert hit.status == "VIOLATED", (hit.status, hit.details.get("message"))
    assert hit.details.get("confirmed") is True, hit.details.get("replay")
    for pid in proofs:
        assert by_id[pid].status == "VIOLATED", (pid, by_id[pid].status)
        assert by_id[pid].details["confirmed"] is True


SEQUENCES = {
    # T2's first sink revealed 5.33 units in the prepared state: rounding up gives it 6
    "backpressure_pool_rebalance_rounds_up": [PREPARE, call("BackpressurePool", "rebalance", KEEPER, T2)],
    # the first sink leaves T1 and keeps its 8 units after the next rebalance
    "backpressure_pool_departed_keeps_units": [
        PREPARE, call("CapacityRegistry", "deregisterSink", SINKS[0], T1, SINKS[0]),
        call("BackpressurePool", "rebalance", KEEPER, T1)],
}


@pytest.mark.parametrize("twin", sorted(REBALANCE_TWINS))
@pytest.mark.slow
def test_broken_rebalance_realises_on_the_model_and_both_evms(twin, tmp_path):
    """The bug the proof found, as a call sequence on the full suite: with the twin model and the twin
    contract, a BPE-REBAL invariant fails on the model state and on the EVM state (pyrevm and py-evm);
    the correct contract and model pass the same sequence."""
    cls, sol, _lemma, _proofs = REBALANCE_TWINS[twin]
    path = tmp_path / f"{twin}.json"
    path.write_text(json.dumps({"schema": REPLAY_SCHEMA, "suite": "bpe", "steps": SEQUENCES[twin]}))
    artifacts = bpe_artifacts(overrides={"BackpressurePool": sol})
    for engine in ("pyrevm", "py-evm"):
        try:
            found = replay(path, deploy_bpe(engine, artifacts), {"BackpressurePool": cls}, out=lambda *_: None)
        except Mismatch as m:  # the prepared state's own rebalance already fails
            found = m
        text = str(found)
        assert found is not None and "BPE-REBAL-00" in text, (engine, text)
        assert "fails on the model state" in text and "fails on the evm state" in text, (engine, text)
    assert replay(path, deploy_bpe("pyrevm", bpe_artifacts()), out=lambda *_: None) is None


def test_flow_bound_is_the_sum_over_the_units_changes_not_the_final_total():
    """PROTOCOL.md section 6's example, on specs/bpe/superfluid.py: 50 units at per-unit rate 2 (100 wei/s);
    a new sink gets 1 unit, then the member 51: the distributed rate falls to 0 (more than the final total
    52), distributed + adjustment stays 100, and the fall is within sum(U_k - 1) = 50 + 51."""
    t = U32(0)
    p = lambda r: sf.Particle(t, I128(r), I256(0))  # noqa: E731
    i = sf.PoolIndex(I128(50), p(2))
    member, new = sf.PoolMember(I128(50), I256(0), p(2)), sf.PoolMember(I128(0), I256(0), p(2))
    adj, totals = 0, []
    for m, u in ((new, 1), (member, 51)):
        i, _m, b = sf.pool_member_update(i, m, sf.Particle.empty(), I128(u), t)
        adj += b.flow_rate.v
        totals.append(i.total_units.v)
    dist = i.wp.flow_rate.v * i.total_units.v
    assert (dist, adj, totals) == (0, 100, [51, 52])
    assert dist + adj == 100
    assert abs(dist - 100) >= totals[-1]  # the naive bound (< final total units) does not hold
    assert abs(dist - 100) <= sum(u - 1 for u in totals)  # the stated one does


def _run_on_model(system, steps):  # type: ignore[no-untyped-def]
    from harness.fuzz.differential import model_args
    from specs.kernel import Address, Msg

    outs = []
    for st in steps:
        if st["op"] == "advance":
            system.world.block.number += st["blocks"]
            system.world.block.timestamp += st["seconds"]
            continue
        fn = getattr(system.models[st["contract"]], st["function"])
        out = system.world.transact(system.address_of(st["contract"]), st["function"], Msg(Address(st["sender"])),
                                    *model_args(fn, st["args"]))
        assert out.ok, (st, out.error)
        outs.append(out)
    return outs


def test_flow_across_a_rebalance_on_the_whole_model():
    """BPE-FLOW-003 as PROTOCOL.md section 6 states it, on the full models (suite, GDA, pools, token): a
    source streams into T1's pool, capacities change and a sink leaves, rebalance: distributed +
    adjustment rate is unchanged and the distributed rate moved by at most sum(U_k - 1) over the units
    changes the rebalance made."""
    from harness.fuzz.bpe.system import SOURCES, commit_hash, setup_steps
    from specs.kernel import Bytes32, Msg
    from specs.bpe.system import SUPERFLUID, build_system

    system = build_system()
    _run_on_model(system, setup_steps(system.addrs))
    tid = Bytes32(bytes.fromhex(T1[2:]))
    pool_addr = system.backpressure_pool.pools[tid]
    reg = system.addrs["CapacityRegistry"]
    nonce = b"\x77" * 32
    caps = [3 * 10**18 + 1, 17 * 10**18 + 5 * 10**17]
    steps = [call("GDAv1Forwarder", "distributeFlow", SOURCES[0], SUPERFLUID["SuperToken"], SOURCES[0], pool_addr.v,
                  10**12 + 7, "0x")]
    steps += [call("CapacityRegistry", "commitCapacity", s, T1, commit_hash(s, T1, c, nonce, reg))
              for s, c in zip(SINKS[1:], caps)]
    steps += [{"op": "advance", "blocks": 25, "seconds": 300}]
    steps += [call("CapacityRegistry", "commitCapacity", s, T1, commit_hash(s, T1, c, nonce, reg))
              for s, c in zip(SINKS[1:], caps)]
    steps += [{"op": "advance", "blocks": 1, "seconds": 12}]
    steps += [call("CapacityRegistry", "revealCapacity", s, T1, c, "0x" + nonce.hex()) for s, c in zip(SINKS[1:], caps)]
    steps += [call("CapacityRegistry", "deregisterSink", SINKS[0], T1, SINKS[0]), {"op": "advance", "blocks": 1,
                                                                                   "seconds": 12}]
    _run_on_model(system, steps)
    pool = system.world.contracts[pool_addr.v]  # a transaction replaces the world's contract objects
    token = system.world.contracts[SUPERFLUID["SuperToken"]]
    any_ = Msg(pool_addr)
    d0, a0, total = pool.getTotalFlowRate(any_).v, token.adjFlowRate[pool_addr].v, pool.getTotalUnits(any_).v
    assert d0 > 0
    (out,) = _run_on_model(system, [call("BackpressurePool", "rebalance", KEEPER, T1)])
    pool = system.world.contracts[pool_addr.v]
    token = system.world.contracts[SUPERFLUID["SuperToken"]]
    totals = []
    for rec in out.events:
        if type(rec.event).__name__ == "MemberUnitsUpdated":
            total = total - rec.event.oldUnits.v + rec.event.newUnits.v
            totals.append(total)
    d1, a1 = pool.getTotalFlowRate(any_).v, token.adjFlowRate[pool_addr].v
    assert len(totals) >= 2 and all(u > 0 for u in totals), totals
    assert d1 + a1 == d0 + a0
    assert abs(d1 - d0) <= sum(u - 1 for u in totals), (d0, d1, totals)
    assert d1 != d0  # (here 1e12 -> 1e12 - 50 wei/s, totals 42, 38, 35: the rounding is exercised)
