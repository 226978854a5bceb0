"""Markdown rendering of a `Results`, fit for a pull-request comment (reports/REPORT.md), and the
per-obligation table beside it (reports/OBLIGATIONS.md).

Reads only the results object. The output is deterministic and has no timestamp (`generated_at` is
left out), so two runs that found the same things with the same timings render the same text.
REPORT.md stays short enough for a pull-request comment (GitHub takes 65,536 characters): the verdict
and exit code, counts by status, one row per invariant (its obligations counted, their time summed)
and one per campaign (compile, slither, fuzz, engines, mutation sample), the obligations not proved
yet grouped by invariant, one section per VIOLATED check (counterexample, replay), every
INCONCLUSIVE/UNSUPPORTED/ERROR check by id with its reason (checks sharing a reason are listed under
it once), then the provenance folded away. The table of every obligation is OBLIGATIONS.md
(`render_obligations`) and report.html.
"""

from __future__ import annotations

import json
import re
from typing import Any

from harness.report.results import EXIT_MEANINGS, Check, Kind, Results, Status

_PROBLEM_STATUSES = (Status.INCONCLUSIVE, Status.UNSUPPORTED, Status.ERROR)

# The file the per-obligation table goes to, beside REPORT.md (harness/report/render.py writes both).
OBLIGATIONS_FILE = "OBLIGATIONS.md"

# Kinds whose checks are obligations of an invariant or lemma (one row per invariant in REPORT.md);
# every other kind is a campaign (one row per check).
_OBLIGATION_KINDS = (Kind.PROOF, Kind.LEMMA, Kind.VACUITY)

# Worst first: the status an invariant's row shows is the worst of its obligations'.
_SEVERITY = (Status.VIOLATED, Status.ERROR, Status.INCONCLUSIVE, Status.UNSUPPORTED, Status.PROVED, Status.PASSED)


def render_markdown(results: Results) -> str:
    """The whole report as Markdown text, ending in one newline."""
    blocks = [
        _headline(results),
        _summary_table(results),
        "" if results.checks else "## Checks\n\nNo checks were run.",
        _invariants_table(results),
        _campaigns_table(results),
        _not_proved(results),
        _violations(results),
        _problems(results),
        _obligations_pointer(results),
        _provenance(results),
        _footer(results),
    ]
    return "\n\n".join(b for b in blocks if b) + "\n"


def render_obligations(results: Results) -> str:
    """Every check of the run in one table per suite (OBLIGATIONS.md), ending in one newline."""
    code = results.exit_code()
    blocks = [
        f"# Obligations: {EXIT_MEANINGS[code][0]}",
        f"Every check of the run, one row each ({len(results.checks)} rows); the summary is `REPORT.md`.",
        _checks_table(results),
        _footer(results),
    ]
    return "\n\n".join(b for b in blocks if b) + "\n"


def _footer(results: Results) -> str:
    return (f"_Rendered from the result file (schema {results.schema_version}); fields and statuses are "
            "described in `reports/README.md`._")


# --- sections -----------------------------------------------------------------------------------


def _headline(results: Results) -> str:
    code = results.exit_code()
    verdict, meaning = EXIT_MEANINGS[code]
    return "\n".join(
        [
            f"# Verification: {verdict}",
            "",
            f"Exit code **{code}**: {meaning}.  ",
            f"Why: {results.exit_reason()}.",
        ]
    )


def _summary_table(results: Results) -> str:
    counts = results.summary()
    rows = [[status, str(n)] for status, n in counts.items()]
    rows.append(["Total", str(len(results.checks))])
    return "## Summary\n\n" + _table(["Status", "Checks"], rows, align=["l", "r"])


def _not_proved(results: Results) -> str:
    """The invariants not proved yet (configuration "not_proved"): no checks of this run, but they make
    the exit code 2; listed so that nobody reads the proof results as covering them. Rows of one
    invariant with the same reason are one item naming each of their transitions."""
    rows = results.not_proved()
    if not rows:
        return ""
    groups: dict[tuple, list[str]] = {}
    for r in rows:
        inv, _, where = str(r.get("id", "?")).partition("/")
        key = (inv, _one_line(r.get("statement", "")), _one_line(r.get("why", "")), _one_line(r.get("checked_by", "")))
        groups.setdefault(key, []).append(where)
    items = []
    for (inv, statement, why, checked_by), wheres in groups.items():
        named = [w for w in wheres if w and w != "*"]
        scope = (f" across {len(named)} transition{'s' if len(named) != 1 else ''} "
                 f"({', '.join(_code(w) for w in named)})" if named else " (every obligation)")
        items.append(f"- {_code(inv)}{scope}: {statement} Why: {why}. Checked instead by: {checked_by}.")
    return (f"## Not proved yet\n\nThese {len(rows)} obligations are not proved by this run (so it exits 2, not 0); "
            "the fuzzer evaluates them.\n\n" + "\n".join(items))


def _invariant_key(check: Check) -> str:
    """The invariant or lemma a check is an obligation of (vacuity checks: one row per suite)."""
    if check.kind is Kind.VACUITY:
        return "VACUITY"
    return check.id.split("/", 1)[0]


def _worst(statuses: list[Status]) -> Status:
    return min(statuses, key=_SEVERITY.index)


def _by_suite(checks: list[Check]) -> dict[str, list[Check]]:
    groups: dict[str, list[Check]] = {}
    for c in checks:
        groups.setdefault(c.suite, []).append(c)
    return groups


def _suite_title(suite: str) -> str:
    return "The whole run" if suite == "*" else f"Suite {_code(suite)}"


def _invariants_table(results: Results) -> str:
    """One row per invariant or lemma: its worst status, how many obligations (how many of them not
    PROVED, and how many more are not proved yet: configuration "not_proved"), their summed time, its
    statement; the vacuity checks of a suite share one row."""
    checks = [c for c in results.checks if c.kind in _OBLIGATION_KINDS]
    pending: dict[tuple[str, str], list[dict]] = {}
    for r in results.not_proved():
        pending.setdefault((str(r.get("suite", "*")), str(r.get("id", "?")).split("/", 1)[0]), []).append(r)
    if not checks and not pending:
        return ""
    header = ["Invariant", "Status", "Obligations", "Seconds", "Statement"]
    out = ["## Invariants"]
    groups = _by_suite(checks)
    for suite, _ in pending:
        groups.setdefault(suite, [])
    for suite, group in groups.items():
        rows = []
        per_invariant: dict[str, list[Check]] = {}
        for c in group:
            per_invariant.setdefault(_invariant_key(c), []).append(c)
        for key in [k for (s, k) in pending if s == suite and k not in per_invariant]:
            per_invariant[key] = []
        for key, obligations in per_invariant.items():
            waiting = pending.get((suite, key), [])
            worst = _worst([c.status for c in obligations]).value if obligations else "not proved yet"
            bad = sum(c.status not in (Status.PROVED, Status.PASSED) for c in obligations)
            notes = ([f"{bad} not proved"] if bad else []) + ([f"+{len(waiting)} not proved yet"] if waiting else [])
            count = f"{len(obligations)}" + (f" ({', '.join(notes)})" if notes else "")
            if key == "VACUITY":
                statement = ("Every transition's inductive step is not vacuous (its hypotheses and a success "
                             "path are satisfiable together).")
            else:
                statement = obligations[0].title if obligations else str(waiting[0].get("statement", ""))
            rows.append([_code(key), worst, count, f"{sum(c.seconds for c in obligations):.1f}", statement])
        out.append(f"### {_suite_title(suite)}\n\n" + _table(header, rows, align=["l", "l", "r", "r", "l"]))
    return "\n\n".join(out)


def _campaigns_table(results: Results) -> str:
    """One row per check that is not an obligation (compile, slither, fuzz campaigns, engines, mutation)."""
    checks = [c for c in results.checks if c.kind not in _OBLIGATION_KINDS]
    if not checks:
        return ""
    header = ["Check", "Kind", "Status", "Seconds", "Figures"]
    rows = [[_code(c.id), c.kind.value, c.status.value, f"{c.seconds:.1f}", _figures(c)] for c in checks]
    return "## Campaigns\n\n" + _table(header, rows, align=["l", "l", "l", "r", "l"])


def _figures(check: Check) -> str:
    """The few figures of a campaign a reader looks for: engine, steps and rate, seed, score, counts."""
    d = check.details
    facts = []
    if d.get("engine"):
        facts.append(str(d["engine"]))
    if "steps" in d:
        facts.append(f"{d['steps']} steps" + (f" at {d['steps_per_second']}/s" if "steps_per_second" in d else ""))
    if "steps_compared" in d:
        facts.append(f"{d['steps_compared']} steps compared, {len(d.get('differences') or [])} differences")
    if "sample" in d:
        facts.append(f"sample {d['sample']} (seed {d.get('seed')})")
    if isinstance(d.get("score"), (int, float)):
        facts.append(f"score {100 * d['score']:.1f}%")
    counts = d.get("counts")
    if check.kind is Kind.STATIC and isinstance(counts, dict):
        facts.append(", ".join(f"{k} {v}" for k, v in counts.items()))
    if not facts and d.get("message") and "\n" not in str(d["message"]):
        facts.append(str(d["message"]))
    return "; ".join(facts) or check.title


def _obligations_pointer(results: Results) -> str:
    n = sum(c.kind in _OBLIGATION_KINDS for c in results.checks)
    if not n:
        return ""
    return (f"## Every obligation\n\nThe {n} obligations, one row each (id, contract, status, time), are in "
            f"`{OBLIGATIONS_FILE}` beside this file and in `report.html`.")


def _checks_table(results: Results) -> str:
    """The checks, grouped by suite in the order the run added them ("*": checks of the whole run)."""
    if not results.checks:
        return "## Checks\n\nNo checks were run."
    header = ["ID", "Kind", "Contract", "Status", "Seconds", "Title"]
    out = ["## Checks"]
    for suite, checks in _by_suite(results.checks).items():
        rows = [[_code(c.id), c.kind.value, c.contract, c.status.value, f"{c.seconds:.2f}", c.title] for c in checks]
        out.append(f"### {_suite_title(suite)}\n\n" + _table(header, rows, align=["l", "l", "l", "l", "r", "l"]))
    return "\n\n".join(out)


def _violations(results: Results) -> str:
    violated = [c for c in results.checks if c.status is Status.VIOLATED]
    if not violated:
        return ""
    return "## Violations\n\n" + "\n\n".join(_violation(c) for c in violated)


def _violation(check: Check) -> str:
    d = check.details
    out = [f"### {_code(check.id)} ({check.kind.value}, {check.contract})"]
    if check.title:
        out.append(f"> {_one_line(check.title)}")
    if d.get("message"):
        out.append(_message(d["message"]))
    facts = _facts(d)
    if facts:
        out.append(facts)
    if "counterexample" in d:
        out.append("Counterexample:\n\n" + _counterexample(d["counterexample"], check.contract))
    else:
        out.append("No counterexample was recorded.")
    if d.get("confirmed") is True:
        out.append("Confirmed: the counterexample replays on the model and on the EVM.")
    elif d.get("confirmed") is False:
        out.append("**Unconfirmed**: the counterexample did not replay concretely; it may be spurious.")
    if d.get("replay_command"):
        out.append("Replay:\n\n" + _fence(d["replay_command"], "sh"))
    if d.get("replay_file"):
        out.append(f"Replay file: {_code(d['replay_file'])}")
    if d.get("anchors"):
        out.append("Source: " + ", ".join(_code(a) for a in d["anchors"]))
    if d.get("recommendation"):
        out.append(f"Recommendation: {_one_line(d['recommendation'])}")
    return "\n\n".join(out)


def _problems(results: Results) -> str:
    """Every INCONCLUSIVE, UNSUPPORTED or ERROR check by id, with its reason; checks with the same status,
    kind, contract and reason are one item naming each of them."""
    problems = [c for c in results.checks if c.status in _PROBLEM_STATUSES]
    if not problems:
        return ""
    groups: dict[tuple, list[Check]] = {}
    for c in problems:
        key = (c.status, c.kind, c.contract, str(c.details.get("message") or ""), _facts(c.details),
               tuple(c.details.get("depends_on") or ()))
        groups.setdefault(key, []).append(c)
    items = []
    for (status, kind, contract, message, facts, depends_on), checks in groups.items():
        head = f"- {_ids(checks)} {status.value} ({kind.value}, {contract})"
        if not message:
            item = f"{head}: no reason was recorded."
        elif "\n" in message:
            item = f"{head}:\n\n" + _indent(_fence(message), "  ")
        else:
            item = f"{head}: {message}"
        extra = []
        if facts:
            extra.append(facts)
        if depends_on:
            extra.append("Depends on " + ", ".join(_code(i) for i in depends_on) + ".")
        if extra:
            item += "\n\n" + _indent("  \n".join(extra), "  ")
        items.append(item)
    return "## Inconclusive, unsupported and errored checks\n\n" + "\n".join(items)


def _ids(checks: list[Check]) -> str:
    """The checks' ids, those of one invariant's obligations (`INV/where`) written once as `INV/` followed
    by each `where`, so that a long list stays short."""
    by_prefix: dict[str, list[str]] = {}
    for c in checks:
        prefix, sep, where = c.id.partition("/")
        by_prefix.setdefault(prefix + sep if sep else c.id, []).append(where if sep else "")
    parts = []
    for prefix, wheres in by_prefix.items():
        if len(wheres) > 1 and all(wheres):
            parts.append(f"{_code(prefix)} {', '.join(_code(w) for w in wheres)}")
        else:
            parts.extend(_code(prefix + w) for w in wheres)
    return "; ".join(parts) if any(len(w) > 1 for w in by_prefix.values()) else ", ".join(parts)


def _provenance(results: Results) -> str:
    parts = ["## Provenance", "", "<details>", "<summary>Tool versions, compiler, configuration, "
             "source and bytecode hashes</summary>", ""]

    parts.append("### Tool versions\n")
    if results.tool_versions:
        rows = [[k, _code(v)] for k, v in sorted(results.tool_versions.items())]
        parts.append(_table(["Tool", "Version"], rows))
    else:
        parts.append("None recorded.")

    parts.append("\n### Compiler\n")
    if results.compiler:
        parts.append("\n".join(f"- {k}: {_code(_compact(v))}" for k, v in sorted(results.compiler.items())))
    else:
        parts.append("None recorded.")

    parts.append("\n### Configuration\n")
    if results.config:
        config = dict(results.config)
        if config.get("not_proved"):  # rendered in full under "Not proved yet"
            config["not_proved"] = f"{len(config['not_proved'])} obligations, listed under \"Not proved yet\""
        parts.append(_fence(json.dumps(config, sort_keys=True, indent=2), "json"))
    else:
        parts.append("None recorded.")

    parts.append("\n### Sources\n")
    if results.sources:
        rows = [[_code(p), _code(h)] for p, h in sorted(results.sources.items())]
        parts.append(_table(["Path", "sha256"], rows))
    else:
        parts.append("None recorded.")

    parts.append("\n### Bytecode\n")
    if results.bytecode:
        rows = [
            [
                name,
                _code(str(b.get("creation_sha256", ""))),
                _code(str(b.get("runtime_sha256", ""))),
                str(b.get("runtime_size", "")),
            ]
            for name, b in sorted(results.bytecode.items())
        ]
        header = ["Contract", "Creation sha256", "Runtime sha256", "Runtime size"]
        parts.append(_table(header, rows, align=["l", "l", "l", "r"]))
    else:
        parts.append("None recorded.")

    parts.append("\n</details>")
    return "\n".join(parts)


def _facts(details: dict) -> str:
    """Engine, seed, steps and budget on one line, when present."""
    facts = []
    if details.get("engine"):
        facts.append(f"engine {_code(details['engine'])}")
    if "seed" in details:
        facts.append(f"seed {_code(str(details['seed']))}")
    if "steps" in details:
        steps = f"{details['steps']} steps"
        if "budget" in details:
            steps += f" of {details['budget']}"
        facts.append(steps)
    if not facts:
        return ""
    text = "; ".join(facts)
    return text[0].upper() + text[1:] + "."


# --- counterexamples ----------------------------------------------------------------------------


def _counterexample(cx: Any, contract: str) -> str:
    """Solidity-ish lines when the counterexample has pre_state, call and post_state (README.md
    describes the shape); JSON otherwise."""
    if isinstance(cx, dict) and {"pre_state", "call", "post_state"} <= cx.keys():
        lines = _solidity_lines(cx, contract)
        if lines is not None:
            return _fence("\n".join(lines), "solidity")
    return _fence(json.dumps(cx, sort_keys=True, indent=2), "json")


def _solidity_lines(cx: dict, contract: str) -> list[str] | None:
    pre, call, post = cx["pre_state"], cx["call"], cx["post_state"]
    if not isinstance(pre, dict) or not isinstance(post, dict):
        return None
    lines = ["// state before the call"]
    lines += _assignments(pre) or ["// (empty)"]
    lines.append("// the call")
    if isinstance(call, str):
        lines.append(call if call.rstrip().endswith(";") else call + ";")
    elif isinstance(call, dict) and isinstance(call.get("function"), str):
        if "sender" in call:
            lines.append(f"// msg.sender = {_value(call['sender'])}")
        for key in sorted(k for k in call if k not in {"contract", "function", "args", "sender", "value"}):
            lines.append(f"// {key} = {_value(call[key])}")
        target = call.get("contract", contract)
        value = f"{{value: {_value(call['value'])}}}" if call.get("value") else ""
        lines.append(f"{target}.{call['function']}{value}({_arguments(call.get('args', []))});")
    else:
        return None
    if "outcome" in cx:
        lines.append(f"// outcome: {_value(cx['outcome'])}")
    lines.append("// state after the call")
    lines += _assignments(post) or ["// (empty)"]
    for key in sorted(k for k in cx if k not in {"pre_state", "call", "post_state", "outcome"}):
        lines.append(f"// {key}: {_value(cx[key])}")
    return lines


def _assignments(state: dict, prefix: str = "") -> list[str]:
    """`name = value;` per scalar; nested objects become mapping indexes: `stakes[0xA11CE] = 5;`."""
    lines = []
    for key in sorted(state):
        name = f"{prefix}[{_key(key)}]" if prefix else key
        value = state[key]
        if isinstance(value, dict) and value:
            lines += _assignments(value, name)
        else:
            lines.append(f"{name} = {_value(value)};")
    return lines


def _arguments(args: Any) -> str:
    if isinstance(args, dict):
        named = ", ".join(f"{k}: {_value(v)}" for k, v in sorted(args.items()))
        return "{" + named + "}" if args else ""
    if isinstance(args, (list, tuple)):
        return ", ".join(_value(v) for v in args)
    return _value(args)


def _key(key: str) -> str:
    return key if re.fullmatch(r"[\w.]+", key) else json.dumps(key)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return v if re.fullmatch(r"0x[0-9a-fA-F]*", v) else json.dumps(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_value(x)}" for k, x in sorted(v.items())) + "}"
    return json.dumps(str(v))


# --- Markdown helpers ---------------------------------------------------------------------------


def _table(header: list[str], rows: list[list[str]], align: list[str] | None = None) -> str:
    align = align or ["l"] * len(header)
    rule = ["---:" if a == "r" else "---" for a in align]
    lines = [_row(header), _row(rule)] + [_row(r) for r in rows]
    return "\n".join(lines)


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _cell(text: str) -> str:
    return _one_line(text).replace("|", "\\|")


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())


def _code(text: str) -> str:
    """An inline code span that survives backticks in `text`."""
    text = _one_line(text)
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _fence(text: str, lang: str = "") -> str:
    """A fenced code block longer than any backtick run inside `text`."""
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=2)
    fence = "`" * (longest + 1)
    return f"{fence}{lang}\n{text.rstrip()}\n{fence}"


def _message(message: Any) -> str:
    message = str(message)
    return _fence(message) if "\n" in message else message


def _compact(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v, sort_keys=True, separators=(", ", ": "))


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else line for line in text.split("\n"))
