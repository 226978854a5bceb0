"""The classic result on a small sweep: backpressure keeps the backlog bounded inside the capacity
region, the static equal split does not (its slow sink is overloaded from load 0.4 on)."""

from __future__ import annotations

from harness.sim.bpe import experiments, metrics, report


def test_backpressure_stable_inside_the_region_static_split_not(stability):
    sw = experiments.run_sweep(stability, quick=False, prog=None)
    proto, static = sw["policies"]["protocol"], sw["policies"]["static_equal"]
    loads = sw["loads"]
    stable = dict(zip(loads, proto["stable"]))
    assert stable[0.3] and stable[0.6] and stable[0.85]
    assert not stable[1.25]
    s_stable = dict(zip(loads, static["stable"]))
    assert s_stable[0.3] and not s_stable[0.6] and not s_stable[0.85]
    assert static["theory"] < 0.45  # 2 * 10 / 50 = 0.4, up to the units' rounding
    realised = dict(zip(loads, sw["offered_load"]))  # stability is reported in realised offered load
    assert abs(realised[0.85] - 0.85) < 0.05
    assert proto["max_stable"] == realised[0.85] and static["max_stable"] == realised[0.3]
    assert proto["max_carried"] > 0.95  # past the boundary the protocol serves (almost) the whole capacity
    # the static split's slow sink piles up paid-but-unserved work
    assert static["mean_backlog"][2] > 10 * proto["mean_backlog"][2]


def test_jain_index():
    assert metrics.jain([1, 1, 1]) == 1.0
    assert abs(metrics.jain([1, 0, 0, 0]) - 0.25) < 1e-12


def test_report_fragment_and_markdown(small, tmp_path):
    res = experiments.run_scenario(small, gas_engine=None)
    res.pop("series")
    results = {"version": 1, "scenarios": {"small": res}}
    md = report.markdown(results)
    assert "| protocol |" in md
    frag = report.html_fragment(results)
    assert frag.startswith("<section id='simulation'>") and "<table" in frag
    assert "No results" in report.html_fragment(tmp_path / "missing.json")
