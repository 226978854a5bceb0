"""Static analysis of the suite.

- `slither_run`: slither (every built-in detector and the custom ones) through its Python API, findings
  with stable ids, triage against `slither_triage.json`, and the checks of the result file
  (`results_checks`).
- `detectors/`: the workbench's own slither detectors, one a file, listed in `CUSTOM_DETECTORS`.
"""
