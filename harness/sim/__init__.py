"""Simulations. A suite's simulation is a package of its own here (BPE's: harness/sim/bpe/), named by
its declaration's `simulation` (specs/suite.py) and run by `python -m harness.cli simulate`: the
package provides `__main__.main(argv)` and `report.RESULTS` / `report.html_fragment` for the HTML
report."""
