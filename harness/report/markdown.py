"""Markdown rendering of a `Results`, fit for a pull-request comment (reports/REPORT.md).

Reads only the results object. The output is deterministic and has no timestamp (`generated_at` is
left out), so two runs that found the same things with the same timings render the same text.
Layout: verdict and exit code, counts by status, the table of checks, one section per VIOLATED
check (counterexample, replay), the reasons of INCONCLUSIVE/UNSUPPORTED/ERROR checks, then the
provenance (tool versions, compiler, configuration, source and bytecode hashes) folded away.
"""

from __future__ import annotations

import json
import re
from typing import Any

from harness.report.results import EXIT_MEANINGS, Check, Results, Status

_PROBLEM_STATUSES = (Status.INCONCLUSIVE, Status.UNSUPPORTED, Status.ERROR)


def render_markdown(results: Results) -> str:
    """The whole report as Markdown text, ending in one newline."""
    blocks = [
        _headline(results),
        _summary_table(results),
        _not_proved(results),
        _checks_table(results),
        _violations(results),
        _problems(results),
        _provenance(results),
        f"_Rendered from the result file (schema {results.schema_version}); fields and statuses are "
        "described in `reports/README.md`._",
    ]
    return "\n\n".join(b for b in blocks if b) + "\n"


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
    """The invariants not proved yet (configuration "not_proved"): not checks of this run, so they do not
    set the exit code; listed so that nobody reads the proof results as covering them."""
    rows = results.config.get("not_proved") or []
    if not rows:
        return ""
    items = [f"- {_code(str(r.get('id', '?')))}: {_one_line(r.get('statement', ''))} "
             f"{_one_line(r.get('why', ''))}. Checked instead by: {_one_line(r.get('checked_by', ''))}."
             for r in rows if isinstance(r, dict)]
    return ("## Not proved yet\n\nThese obligations are not proof results of this run (the exit code does not "
            "cover them); the fuzzer evaluates them.\n\n" + "\n".join(items))


def _checks_table(results: Results) -> str:
    """The checks, grouped by suite in the order the run added them ("*": checks of the whole run)."""
    if not results.checks:
        return "## Checks\n\nNo checks were run."
    header = ["ID", "Kind", "Contract", "Status", "Seconds", "Title"]
    groups: dict[str, list[Check]] = {}
    for c in results.checks:
        groups.setdefault(c.suite, []).append(c)
    out = ["## Checks"]
    for suite, checks in groups.items():
        rows = [[_code(c.id), c.kind.value, c.contract, c.status.value, f"{c.seconds:.2f}", c.title] for c in checks]
        title = "The whole run" if suite == "*" else f"Suite {_code(suite)}"
        out.append(f"### {title}\n\n" + _table(header, rows, align=["l", "l", "l", "l", "r", "l"]))
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
    problems = [c for c in results.checks if c.status in _PROBLEM_STATUSES]
    if not problems:
        return ""
    items = []
    for c in problems:
        head = f"- {_code(c.id)} {c.status.value} ({c.kind.value}, {c.contract})"
        message = c.details.get("message")
        if not message:
            item = f"{head}: no reason was recorded."
        elif "\n" in str(message):
            item = f"{head}:\n\n" + _indent(_fence(str(message)), "  ")
        else:
            item = f"{head}: {message}"
        extra = []
        facts = _facts(c.details)
        if facts:
            extra.append(facts)
        if c.details.get("depends_on"):
            extra.append("Depends on " + ", ".join(_code(i) for i in c.details["depends_on"]) + ".")
        if extra:
            item += "\n\n" + _indent("  \n".join(extra), "  ")
        items.append(item)
    return "## Inconclusive, unsupported and errored checks\n\n" + "\n".join(items)


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
        parts.append(_fence(json.dumps(results.config, sort_keys=True, indent=2), "json"))
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
