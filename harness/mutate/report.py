"""Mutation score, the campaign report (Markdown), the checks for `verify`, and the benchmark.

Score = killed / (generated - equivalent - stillborn), per contract and overall. ERROR and TIMEOUT
mutants stay in the denominator (a mutant without a verdict is not counted as killed).

Checks for verify's results (`sample_checks`): one summary check (verify names it `MUTATION-SAMPLE-<SUITE>`) with the score and
the counts, plus one check per surviving, equivalent, contradicted or failed mutant:
  - a survivor (not on the equivalent list) is VIOLATED: the workbench's checks are too weak to see a
    plausible bug; the finding is about the workbench, in the mutation family, and it must be answered
    by a stronger check or a documented equivalence;
  - an equivalent (on the committed list, or the same bytecode as the original) is PASSED, with the reason;
  - a listed equivalent that is killed is VIOLATED (the equivalence claim is wrong, or the check has a
    false positive: either way someone must look);
  - ERROR / TIMEOUT is ERROR (a tool failure: no verdict);
  - the summary is VIOLATED if any survivor or contradiction, else ERROR if any error, else PASSED.
Killed and stillborn mutants are listed in the summary's details.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from harness.mutate.operators import MUTATED_SOURCES, NOT_MUTATED
from harness.mutate.run import EQUIVALENT, ERROR, KILLED, STILLBORN, SURVIVED, TIMEOUT

THRESHOLD = 0.95
KIND = "fuzz"  # reports/schema has no "mutation" kind yet (see harness/mutate/README.md)


def score(results: list[dict]) -> dict:
    """Counts and score overall and per contract; kills per check and per operator."""

    def tally(rs: list[dict]) -> dict:
        c = Counter(r["status"] for r in rs)
        generated = len(rs)
        denominator = generated - c[EQUIVALENT] - c[STILLBORN]
        return {"generated": generated, "stillborn": c[STILLBORN], "equivalent": c[EQUIVALENT],
                "compiled": generated - c[STILLBORN], "killed": c[KILLED], "survived": c[SURVIVED],
                "error": c[ERROR] + c[TIMEOUT], "denominator": denominator,
                "score": (c[KILLED] / denominator) if denominator else None}

    per_contract = {}
    for name in MUTATED_SOURCES:
        rs = [r for r in results if r["contract"] == name]
        if rs:
            per_contract[name] = tally(rs)
    killed = [r for r in results if r["status"] == KILLED]
    seconds = sum(r["seconds"] for r in results)
    return {
        "overall": tally(results),
        "per_contract": per_contract,
        "kills_by_check": dict(Counter(r["killed_by"] for r in killed).most_common()),
        "killed_at_escalation": sorted(r["id"] for r in killed if r.get("escalated")),
        "per_operator": {op: tally([r for r in results if r["op"] == op])
                         for op in sorted({r["op"] for r in results})},
        "mean_seconds_to_kill": (sum(r["seconds"] for r in killed) / len(killed)) if killed else None,
        "verdicts_by_machine": verdicts_by_machine(results),
        "cpu_seconds": seconds,
    }


NOT_RECORDED = "not recorded"


def verdicts_by_machine(results: list[dict]) -> dict[str, dict[str, int]]:
    """Per fuzz machine (its digest, harness.mutate.run.machine_digest): how many verdicts of each status
    it produced. Results written before the digest was recorded count under "not recorded"."""
    out: dict[str, Counter] = {}
    for r in results:
        key = r.get("machine_digest") or NOT_RECORDED
        out.setdefault(key, Counter())[r["status"]] += 1
    return {k: dict(sorted(v.items())) for k, v in sorted(out.items())}


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def markdown(results: list[dict], meta: dict | None = None) -> str:
    s = score(results)
    meta = meta or {}
    o = s["overall"]
    lines = ["# Mutation testing", ""]
    if meta:
        lines += [f"- {k}: {v}" for k, v in meta.items()] + [""]
    lines += [f"**Score {_pct(o['score'])}** = killed {o['killed']} / (generated {o['generated']} - equivalent "
              f"{o['equivalent']} - stillborn {o['stillborn']}); survived {o['survived']}, no verdict (error/timeout) "
              f"{o['error']}. Threshold {THRESHOLD:.0%}.", ""]
    lines += ["| contract | generated | stillborn | compiled | equivalent | killed | survived | error | score |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, t in list(s["per_contract"].items()) + [("**all**", o)]:
        lines.append(f"| {name} | {t['generated']} | {t['stillborn']} | {t['compiled']} | {t['equivalent']} | "
                     f"{t['killed']} | {t['survived']} | {t['error']} | {_pct(t['score'])} |")
    lines += ["", "Not mutated: " + "; ".join(f"`{k}` ({v})" for k, v in NOT_MUTATED.items()) + ".", ""]
    lines += ["## Which check kills", "", "| check | kills |", "| --- | ---: |"]
    lines += [f"| {k} | {v} |" for k, v in s["kills_by_check"].items()]
    late = [r for r in results if r["status"] == KILLED and r.get("escalated")]
    if late:
        lines += ["", f"Killed only at the escalation budget ({len(late)}): " +
                  ", ".join(f"`{r['id']}` ({r['killed_by']})" for r in late) + "."]
    if s["mean_seconds_to_kill"] is not None:
        lines += ["", f"Mean time to a kill (compile included): {s['mean_seconds_to_kill']:.1f} s."]
    by_machine = s["verdicts_by_machine"]
    lines += ["", "## Which fuzz machine gave the verdicts", "",
              "Each verdict records the digest of the fuzz machine that produced it (`machine_digest`: the machine's "
              "module and every file of harness/fuzz/). A verdict kept by `--resume` comes from the machine of its "
              "run, which may be an earlier one; \"" + NOT_RECORDED + "\" marks verdicts from before the digest was "
              "recorded.", "", "| machine digest | verdicts | by status |", "| --- | ---: | --- |"]
    for k, v in by_machine.items():
        lines.append(f"| {k} | {sum(v.values())} | {', '.join(f'{st} {n}' for st, n in v.items())} |")
    lines += ["", "## Per operator", "", "| operator | generated | stillborn | equivalent | killed | survived | score |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for op, t in s["per_operator"].items():
        lines.append(f"| {op} | {t['generated']} | {t['stillborn']} | {t['equivalent']} | {t['killed']} | "
                     f"{t['survived']} | {_pct(t['score'])} |")
    for title, status in (("Survivors", SURVIVED), ("No verdict (error, timeout)", ERROR),
                          ("Equivalent", EQUIVALENT), ("Stillborn (do not compile)", STILLBORN)):
        rs = [r for r in results if r["status"] == status or (status == ERROR and r["status"] == TIMEOUT)]
        lines += ["", f"## {title} ({len(rs)})", ""]
        for r in rs:
            where = f"{r['contract']}.{r['function'] or '<contract>'} line {r['line']}"
            if status in (SURVIVED, ERROR):
                lines += [f"### `{r['id']}` ({where})", "", "```diff", r["diff"].rstrip(), "```", ""]
                if r["reason"]:
                    lines += [f"> {r['reason'].splitlines()[0][:300]}", ""]
            else:
                lines.append(f"- `{r['id']}` ({where}): `{r['original'][:60]}` -> `{r['replacement'][:60]}`: "
                             f"{(r['reason'] or '').splitlines()[0][:300] if r['reason'] else ''}")
    contradicted = [r for r in results if r.get("listed_equivalent_but_killed")]
    if contradicted:
        lines += ["", "## Listed as equivalent but killed", ""]
        lines += [f"- `{r['id']}` killed by {r['killed_by']}" for r in contradicted]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------------
# verify


def checks_from_results(results: list[dict], seconds: float, meta: dict,
                        summary_id: str = "MUTATION-SAMPLE") -> list[Any]:
    """The report checks of a mutation run: the summary (`summary_id`) first, then one per survivor,
    equivalent mutant, contradicted equivalence claim and mutant without a verdict."""
    from harness.report.results import Check

    s = score(results)
    o = s["overall"]
    survivors = [r for r in results if r["status"] == SURVIVED]
    contradicted = [r for r in results if r.get("listed_equivalent_but_killed")]
    errors = [r for r in results if r["status"] in (ERROR, TIMEOUT)]
    checks = []
    for r in survivors:
        checks.append(Check(f"MUTATION-{r['id']}", KIND, r["contract"], "VIOLATED", r["seconds"],
                            f"Mutant {r['id']} ({r['op']}) is killed by the workbench's checks.",
                            {"message": f"survived {r['sequences']} fuzz sequences ({r['steps']} steps) and every "
                                        f"other check: the checks do not see this change",
                             "diff": r["diff"], "mutant": r}))
    for r in results:
        if r["status"] == EQUIVALENT:
            checks.append(Check(f"MUTATION-{r['id']}", KIND, r["contract"], "PASSED", r["seconds"],
                                f"Mutant {r['id']} ({r['op']}) is equivalent to the original.",
                                {"message": f"equivalent ({r['equivalence']}): {r['reason']}", "diff": r["diff"]}))
    for r in contradicted:
        checks.append(Check(f"MUTATION-{r['id']}-EQUIVALENCE", KIND, r["contract"], "VIOLATED", r["seconds"],
                            f"Mutant {r['id']}, listed as equivalent, is not killed.",
                            {"message": f"listed as equivalent in harness/mutate/equivalent.json but killed by "
                                        f"{r['killed_by']}: the claim is wrong or the check misfires",
                             "mismatch": r["reason"], "diff": r["diff"]}))
    for r in errors:
        checks.append(Check(f"MUTATION-{r['id']}", KIND, r["contract"], "ERROR", r["seconds"],
                            f"Mutant {r['id']} gets a verdict.", {"message": r["reason"][:1000]}))
    if survivors or contradicted:
        status = "VIOLATED"
        message = (f"{len(survivors)} surviving mutant(s), {len(contradicted)} contradicted equivalence claim(s); "
                   f"score {_pct(o['score'])}")
    elif errors:
        status, message = "ERROR", f"{len(errors)} mutant(s) without a verdict"
    elif o["denominator"] == 0:
        status, message = "ERROR", "no mutant compiled: nothing measured"
    else:
        status, message = "PASSED", f"score {_pct(o['score'])}: every compiled, non-equivalent mutant killed"
    details = {"message": message, **meta, "score": o["score"], "counts": o, "per_contract": s["per_contract"],
               "kills_by_check": s["kills_by_check"],
               "mutants": [{k: r[k] for k in ("id", "status", "killed_by", "seconds")} for r in results],
               "stillborn": {r["id"]: r["reason"] for r in results if r["status"] == STILLBORN}}
    summary = Check(summary_id, KIND, "*", status, seconds,
                    "A fixed sample of mutants of the suite is killed by the workbench's checks (constructor "
                    "differential, deployment, differential fuzzing with the invariants on the EVM state).", details)
    return [summary] + checks


def sample_checks(build: Any, n: int = 12, seed: int = 6, jobs: int = 2, budget: dict | None = None,
                  contracts: list[str] | None = None, summary_id: str = "MUTATION-SAMPLE",
                  scheduler: str | None = None) -> list[Any]:
    """What `make verify` runs for a suite: `n` mutants of its `contracts` (default: every mutated
    source) chosen by `seed` (round-robin over the contracts), the fixed fuzz budget, `jobs` workers
    (or the Dask cluster at `scheduler`); returns the report checks (the summary, `summary_id`, first)."""
    from harness.mutate.operators import generate
    from harness.mutate.run import BUDGET, run_mutants, sample

    budget = dict(budget or BUDGET)
    chosen = sample(generate(build, contracts), n, seed)
    t0 = time.perf_counter()
    results = run_mutants(chosen, jobs=jobs, budget=budget, scheduler=scheduler)
    meta = {"sample": n, "seed": seed, "jobs": jobs, "fuzz_budget": budget, **({"scheduler": scheduler} if scheduler else {}),
            "profile": "mutate (ci, derandomized, no database, no shrinking)"}
    return checks_from_results(results, time.perf_counter() - t0, meta, summary_id)


# --------------------------------------------------------------------------------------------------
# bench


def bench(n: int = 6, seed: int = 6, jobs: int = 2, budget: dict | None = None, out: Any = print) -> float:
    """Mutants per minute (wall clock, `jobs` workers) on a fixed sample; prints one line, returns the rate."""
    from harness.evm.compile import compile_contracts
    from harness.mutate.operators import generate
    from harness.mutate.run import BUDGET, run_mutants, sample

    budget = dict(budget or BUDGET)
    chosen = sample(generate(compile_contracts()), n, seed)
    t0 = time.perf_counter()
    results = run_mutants(chosen, jobs=jobs, budget=budget)
    wall = time.perf_counter() - t0
    rate = len(results) * 60 / wall if wall else 0.0
    c = Counter(r["status"] for r in results)
    out(f"mutation: {len(results)} mutants in {wall:.1f} s on {jobs} workers = {rate:.1f} mutants/min "
        f"({', '.join(f'{k} {v}' for k, v in sorted(c.items()))}; budget {budget['max_examples']} sequences x "
        f"{budget['step_count']} steps per survivor)")
    return rate
