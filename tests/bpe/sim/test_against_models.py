"""The simulator drives the reference models: its steps are exactly the corresponding World.transact
calls, its runs are deterministic per seed, and its logs replay on an EVM with the same outcomes."""

from __future__ import annotations

import glob

import pytest

from harness.sim.bpe import gas
from harness.sim.bpe.chain import Chain
from harness.sim.bpe.policies import policy
from harness.sim.bpe.processes import generate
from harness.sim.bpe.runner import Run, run
from harness.sim.bpe.scenario import ScenarioError, load, parse
from specs.kernel import U256, Address, Bytes32, Msg
from specs.bpe.system import build_system

from tests.bpe.sim.conftest import SMALL


def direct_replay(log: list[dict]) -> Chain:
    """Apply a run's log to a fresh system through the Chain executor (every call a World.transact)."""
    ch = Chain(build_system())
    for step in log:
        ch.do(step)
    return ch


def test_simulator_step_equals_direct_transactions(small):
    """One block of the simulator against the same block written out by hand as World.transact calls."""
    exo = generate(small)
    sim = Run(small, policy("protocol"), exo, record_log=True)
    for _ in range(5):
        sim.step()
    # a twin at the same point, built by replaying the simulator's log so far
    twin = direct_replay(sim.chain.log)
    assert twin.state() == sim.chain.state()
    t = sim.t
    backlog_before = {s.name: s.backlog for s in sim.sinks}
    sim.step()
    w, sys_ = twin.world, twin.system
    w.block.number += 1
    w.block.timestamp += small.block_seconds
    tid = Bytes32(bytes.fromhex(sim.tasks["t"][2:]))
    keeper = Msg(Address(sim.keeper.address))
    # sinks: reveal due commitments, then commit every commit_every blocks (t = 5: a reveal of the commit at t = 4)
    for s in sim.sinks:
        assert s.reveals >= 1
    for s in sim.sinks:
        if t % small.protocol.commit_every == small.protocol.reveal_delay:
            # the value and nonce the simulator committed are in its log: take them from there
            reveal = next(st for st in reversed(sim.chain.log)
                          if st.get("function") == "revealCapacity" and st["sender"] == s.address)
            out = w.transact(sys_.addrs["CapacityRegistry"], "revealCapacity", Msg(Address(s.address)), tid,
                             U256(reveal["args"][1]), Bytes32(bytes.fromhex(reveal["args"][2][2:])))
            assert out.ok
    for i, amount in exo.payments[t]:
        out = w.transact(sys_.addrs["EscrowBuffer"], "deposit", Msg(Address(sim.sources[i].address)), tid, U256(amount))
        assert out.ok
    if w.view(sys_.addrs["BackpressurePool"], "needsRebalance", tid).returned:
        assert w.transact(sys_.addrs["BackpressurePool"], "rebalance", keeper, tid).ok
    drained = {}
    if w.view(sys_.addrs["EscrowBuffer"], "drainable", tid).returned.v:
        out = w.transact(sys_.addrs["EscrowBuffer"], "drain", keeper, tid)
        assert out.ok
        drained = {r.event.sink.v: r.event.amount.v for r in out.events if r.event.abi_name() == "Drained"}
    assert twin.state() == sim.chain.state()
    # the agents' side: the work assigned is what the models' Drained events paid
    for s in sim.sinks:
        cap = exo.capacities[s.name][t] * small.block_seconds
        expected = max(0.0, backlog_before[s.name] + drained.get(s.address, 0) / s.price - cap)
        assert s.backlog == pytest.approx(expected, abs=1e-9)


def test_whole_run_replays_on_fresh_models(small, pipeline):
    for sc in (small, pipeline):
        for pol in ("protocol", "static_equal", "no_ewma"):
            exo = generate(sc)
            r = Run(sc, policy(pol), exo, record_log=True)
            for _ in range(sc.steps):
                r.step()
            assert direct_replay(r.chain.log).state() == r.chain.state()


def test_pipeline_rejections_are_buffer_overflows(pipeline):
    r = run(pipeline, "protocol")
    assert r.summary["rejected_payments"] > 0  # the small summarize buffer pushes back on the pipeline
    assert r.summary["reverts"].get("Pipeline.deposit: BufferOverflow") == r.summary["rejected_payments"]


def test_runs_are_deterministic_per_seed(small):
    a = run(small, "protocol")
    b = run(small, "protocol")
    assert a.summary == b.summary and a.series == b.series and a.per_sink == b.per_sink
    c = run(small.replace(seed=small.seed + 1), "protocol")
    assert c.series != a.series


def test_policies_see_the_same_arrivals_and_capacities(small):
    e1, e2 = generate(small), generate(small)
    assert e1.payments == e2.payments and e1.capacities == e2.capacities
    r1, r2 = run(small, "protocol", exo=e1), run(small, "static_equal", exo=e2)
    assert r1.summary["offered"] == r2.summary["offered"]


def test_gas_replay_on_pyrevm_agrees_with_the_models(small):
    exo = generate(small, 30)
    r = Run(small, policy("protocol"), exo, record_log=True)
    setup_advances = sum(1 for s in r.chain.log if s["op"] == "advance")
    for _ in range(30):
        r.step()
    check = gas.state_check(r.chain, list(r.tasks.values()), [s.address for s in r.sinks])
    g = gas.replay(r.chain.log, r.chain.oks, r.chain.system.models, engine="pyrevm", skip_blocks=setup_advances,
                   check=check)
    assert g.calls == r.chain.transactions
    assert g.by_function["EscrowBuffer.drain"]["mean"] > 21_000


@pytest.mark.catches("sim-replay")
def test_gas_replay_detects_a_disagreement(small):
    exo = generate(small, 10)
    r = Run(small, policy("protocol"), exo, record_log=True)
    for _ in range(10):
        r.step()
    oks = list(r.chain.oks)
    i = next(k for k, st in enumerate(r.chain.log) if st.get("function") == "drain")
    oks[i] = False  # pretend the model had reverted
    with pytest.raises(gas.ReplayMismatch):
        gas.replay(r.chain.log, oks, r.chain.system.models, engine="pyrevm")


def test_shipped_scenarios_load():
    paths = sorted(glob.glob("scenarios/bpe/*.toml"))
    assert len(paths) >= 3
    for p in paths:
        sc = load(p)
        assert sc.sinks and sc.sources


def test_scenario_rejects_unknown_keys_and_policies():
    with pytest.raises(ScenarioError, match="unknown key"):
        parse({**SMALL, "sinkz": []})
    with pytest.raises(ScenarioError, match="unknown policy"):
        parse({**SMALL, "compare": {"policies": ["magic"]}})


@pytest.mark.parametrize("text, expected", [
    (None, "no such scenario file"),
    ('name = "x"\n[[task_types]\n', "not TOML (truncated or corrupt?)"),
    ("sinkz = []\n", "unknown key(s) sinkz"),
    ('[[task_types]]\nname = "a"\n[[sinks]]\ntask_type = "a"\n', "a required key 'name' is missing"),
    ('[[task_types]]\nname = "a"\nunit_price = "cheap"\n', "task_types[0].unit_price"),
])
def test_a_bad_scenario_file_is_one_line_naming_the_file_and_exit_3(text, expected, tmp_path, capsys):
    from harness.sim.bpe.__main__ import main
    from tests.one_line import one_line

    path = tmp_path / "scenario.toml"
    if text is not None:
        path.write_text(text)
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 3
    line = one_line(capsys.readouterr().err)
    assert line.startswith(f"scenario error: {path}: ") and expected in line, line
    assert not (tmp_path / "out").exists()  # nothing written
