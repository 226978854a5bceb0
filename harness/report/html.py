"""HTML rendering of a `Results` (reports/report.html): one self-contained page for auditors.

Reads only the results object. The page has inline CSS and nothing else: no scripts, no external
fonts, stylesheets or images, no network reference (it opens from a file on an offline machine and
prints). Every piece of text from the results is escaped with `html.escape`; the markup is also
well-formed XML (void elements self-closed, only the five XML entities), which the tests check.

Sections, each a `<section>` with a stable id:
- `summary`: verdict, exit code and what it means, why, counts by status and by kind, the checks
  that need attention (anything not PROVED or PASSED), and the compile checks;
- `invariants`: every proof, lemma and vacuity check (status, time, statement, reason), grouped by
  the check id family (the part before "/", `harness.report.sarif.check_family`);
- `counterexamples`: every VIOLATED check: for a transition counterexample ({"pre_state", "call",
  ...}) the pre-state as a table of Solidity-named slots, the call in Solidity syntax, the replay
  on each EVM (`evm_replay`); for a fuzz counterexample ({"calls": [...]}) the call sequence as a
  numbered list `Contract.fn(args) from 0x...`; any other shape as JSON;
- `fuzzing`: per fuzz campaign: steps, sequences, steps/s, and per function the calls, successes
  and reverts by error;
- `static`: the static-analysis checks and their findings;
- `provenance`: schema version, tool versions, compiler, configuration, source and bytecode hashes.
The only timestamp is `generated_at`, in the footer.

Addresses: the fuzzer records addresses as integers, like amounts. In a fuzz call an integer
argument in [2**152, 2**160) is shown as a 20-byte hex address (a display heuristic: such a value is
far more likely an address than an amount); senders are always shown as addresses. Every other
integer is shown in decimal, exactly.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any, Iterable

from harness.report.results import EXIT_MEANINGS, Check, Kind, Results, Status
from harness.report.sarif import check_family, parse_anchor

SECTION_IDS = ("summary", "invariants", "counterexamples", "fuzzing", "static", "provenance")
_INVARIANT_KINDS = (Kind.PROOF, Kind.LEMMA, Kind.VACUITY)
_GOOD = (Status.PROVED, Status.PASSED)
# [2**152, 2**160): 20-byte values with a nonzero top byte. Written as shifts on purpose: Hypothesis
# (the pinned 6.170) mines the integer literals >= 100 of every imported non-test module into its
# generation, so a literal 2**160 here changed the derandomized fuzz sequences of any process that
# imported this module (tests/bpe/stake_manager/test_differential.py noticed).
_ADDRESS_RANGE = (1 << 8 * 19, 1 << 8 * 20)

_CSS = """
:root { --fg: #1d232b; --muted: #5b6673; --line: #d5dbe1; --bg: #ffffff; --panel: #f5f7f9;
  --ok: #1a7f37; --ok-bg: #dcf3e3; --bad: #b3261e; --bad-bg: #fde2df; --warn: #8a5a00; --warn-bg: #fff1cc;
  --err: #6f2da8; --err-bg: #efe3fa; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: var(--bg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header, main, footer { max-width: 1200px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 20px; border-bottom: 1px solid var(--line); }
h1 { font-size: 24px; margin: 0 0 6px; }
h2 { font-size: 19px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 20px 0 8px; }
nav { margin: 8px 0 12px; }
nav a { margin-right: 14px; color: #0b5cad; text-decoration: none; }
nav a:hover { text-decoration: underline; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  font-size: 12.5px; }
pre { background: var(--panel); border: 1px solid var(--line); border-radius: 4px; padding: 8px 10px;
  overflow-x: auto; white-space: pre-wrap; word-break: break-all; margin: 6px 0; }
table { border-collapse: collapse; margin: 6px 0 12px; width: 100%; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.wrap { word-break: break-all; }
td.id { white-space: nowrap; }
table.compact { width: auto; }
tbody.group th.group { background: #e9eef3; font-size: 13.5px; }
tbody.group th.group .statement { font-weight: 400; }
.badge { display: inline-block; min-width: 92px; text-align: center; padding: 1px 6px; border-radius: 3px;
  font-size: 11.5px; font-weight: 700; letter-spacing: .3px; }
.s-PROVED, .s-PASSED { color: var(--ok); background: var(--ok-bg); }
.s-VIOLATED { color: var(--bad); background: var(--bad-bg); }
.s-INCONCLUSIVE, .s-UNSUPPORTED { color: var(--warn); background: var(--warn-bg); }
.s-ERROR { color: var(--err); background: var(--err-bg); }
.verdict { font-size: 16px; padding: 2px 12px; border-radius: 4px; min-width: 0; vertical-align: middle; }
h1 .verdict { font-size: 20px; }
.muted { color: var(--muted); }
.zero { color: var(--muted); }
td.warn { color: var(--warn); background: var(--warn-bg); font-weight: 600; }
article { border: 1px solid var(--line); border-radius: 6px; padding: 4px 14px 10px; margin: 12px 0; }
article.violated { border-left: 5px solid var(--bad); }
article.passed { border-left: 5px solid var(--ok); }
article.other { border-left: 5px solid var(--warn); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 8px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
ol.calls li { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  font-size: 12.5px; margin: 2px 0; word-break: break-all; }
blockquote { margin: 6px 0; padding: 2px 10px; border-left: 3px solid var(--line); color: var(--muted); }
footer { margin-top: 36px; padding-top: 10px; padding-bottom: 24px; border-top: 1px solid var(--line);
  color: var(--muted); font-size: 12.5px; }
@media print { nav { display: none; } article, tbody.group { break-inside: avoid; } }
"""


def render_html(results: Results, extra_sections: tuple[str, ...] = ()) -> str:
    """The whole report as one self-contained HTML document (ends with a newline). `extra_sections`
    are complete, escaped `<section>` fragments from other tools (the simulation's, from
    `harness.sim.bpe.report.html_fragment`), placed before the provenance."""
    ids = _Ids()
    code = results.exit_code()
    verdict, _ = EXIT_MEANINGS[code]
    nav = "".join(f'<a href="#{s}">{_NAV_LABELS[s]}</a>' for s in SECTION_IDS)
    body = [
        "<header>",
        f'<h1>Verification report: <span class="badge verdict s-{_e(verdict)}">{_e(verdict)}</span></h1>',
        f'<p class="muted">{_e(_count(len(results.checks)))}; result file schema {_e(results.schema_version)}; '
        "statuses and exit codes are described in reports/README.md.</p>",
        f"<nav>{nav}</nav>",
        "</header>",
        "<main>",
        _summary(results, ids),
        _invariants(results, ids),
        _counterexamples(results, ids),
        _fuzzing(results, ids),
        _static(results, ids),
        *extra_sections,
        _provenance(results),
        "</main>",
        _footer(results),
    ]
    head = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8" />\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1" />\n'
        f"<title>Verification: {_e(verdict)} (exit code {code})</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n"
    )
    return head + "\n".join(body) + "\n</body>\n</html>\n"


_NAV_LABELS = {
    "summary": "Summary",
    "invariants": "Invariants",
    "counterexamples": "Counterexamples",
    "fuzzing": "Fuzzing",
    "static": "Static analysis",
    "provenance": "Provenance",
}


# --- sections -----------------------------------------------------------------------------------


def _summary(results: Results, ids: _Ids) -> str:
    code = results.exit_code()
    verdict, meaning = EXIT_MEANINGS[code]
    out = [
        '<section id="summary">',
        "<h2>Summary</h2>",
        f'<p>Verdict: <span class="badge verdict s-{_e(verdict)}">{_e(verdict)}</span> '
        f"(exit code <strong>{code}</strong>): {_e(meaning)}.<br />Why: {_e(results.exit_reason())}.</p>",
    ]
    counts = results.summary()
    rows = [[_badge(Status(s)), _num(n)] for s, n in counts.items()]
    rows.append(["<strong>Total</strong>", _num(len(results.checks), strong=True)])
    out.append(_table(["Status", "Checks"], rows, cls="compact", num_cols={1}))

    kinds = [k for k in Kind if any(c.kind is k for c in results.checks)]
    if kinds:
        header = ["Kind"] + [s.value for s in Status] + ["Total"]
        rows = []
        for k in kinds:
            of_kind = [c for c in results.checks if c.kind is k]
            rows.append([_e(k.value)] + [_num(sum(c.status is s for c in of_kind)) for s in Status]
                        + [_num(len(of_kind))])
        out.append("<h3>Checks by kind</h3>")
        out.append(_table(header, rows, cls="compact", num_cols=set(range(1, len(header)))))

    attention = [c for c in results.checks if c.status not in _GOOD]
    out.append("<h3>Needs attention</h3>")
    if attention:
        rows = [[_badge(c.status), _link(ids, c), _e(c.kind.value), _e(c.contract), _e(_first_line(_reason(c)))]
                for c in attention]
        out.append(_table(["Status", "Check", "Kind", "Contract", "Reason"], rows, cell_cls={1: "id"}))
    elif results.checks:
        out.append("<p>Nothing: every check PROVED or PASSED.</p>")
    else:
        out.append("<p>Nothing was checked, and a run without checks never passes.</p>")

    build = [c for c in results.checks if c.kind is Kind.COMPILE]
    if build:
        out.append("<h3>Compilation</h3>")
        rows = []
        for c in build:
            rows.append([_anchored(ids, c, "check"), _badge(c.status), _secs(c.seconds), _e(c.title),
                         _text(c.details.get("message", ""))])
        out.append(_table(["Check", "Status", "Seconds", "What", "Message"], rows, num_cols={2}))
        for c in build:
            errors = c.details.get("errors")
            if isinstance(errors, list) and errors:
                out.append(f"<p>Compiler errors of <code>{_e(c.id)}</code>:</p>")
                out.append(_pre(json.dumps(errors, sort_keys=True, indent=2, default=str)))
    out.append("</section>")
    return "\n".join(out)


def _invariants(results: Results, ids: _Ids) -> str:
    out = ['<section id="invariants">', "<h2>Invariants, lemmas and vacuity checks</h2>"]
    checks = [c for c in results.checks if c.kind in _INVARIANT_KINDS]
    if not checks:
        out += ["<p>No proof, lemma or vacuity check was run.</p>", "</section>"]
        return "\n".join(out)
    groups: dict[str, list[Check]] = {}
    for c in checks:
        groups.setdefault(check_family(c.id), []).append(c)
    out.append(f"<p>{_e(_count(len(checks)))} in {len(groups)} groups (by the id before the "
               "\u201c/\u201d). A vacuity check PROVED means the hypotheses of the inductive step are "
               "satisfiable, so the proofs it guards are not vacuous.</p>")
    header = ["Check", "Kind", "Contract", "Status", "Seconds", "Statement and notes"]
    parts = [f"<table>\n<thead>{_tr([_th(h, num=(h == 'Seconds')) for h in header])}</thead>"]
    for family, members in groups.items():
        titles = _distinct(c.title.strip() for c in members if c.title.strip())
        tally = ", ".join(f"{n} {s.value}" for s, n in _tally(members))
        statement = f' <span class="statement">{_e(titles[0])}</span>' if len(titles) == 1 else ""
        gid = ids.unique("inv-" + family)
        parts.append(f'<tbody class="group" id="{_e(gid)}">')
        parts.append(f'<tr><th class="group" colspan="{len(header)}"><code>{_e(family)}</code> '
                     f'<span class="muted">({_e(tally)})</span>{statement}</th></tr>')
        for c in members:
            notes = []
            if len(titles) > 1 and c.title.strip():
                notes.append(_e(c.title.strip()))
            if c.status not in _GOOD:
                notes.append(f"<strong>{_e(c.status.value)}:</strong> {_text(_reason(c))}")
            if c.status is Status.VIOLATED:
                notes.append(f'<a href="#{_e(ids.of(c, "cex"))}">counterexample</a>')
            deps = c.details.get("depends_on")
            if isinstance(deps, list) and deps:
                notes.append("depends on " + ", ".join(f"<code>{_e(d)}</code>" for d in deps))
            parts.append(_tr([
                f'<td class="id" id="{_e(ids.of(c, "check"))}"><code>{_e(c.id)}</code></td>',
                f"<td>{_e(c.kind.value)}</td>",
                f"<td>{_e(c.contract)}</td>",
                f"<td>{_badge(c.status)}</td>",
                f'<td class="num">{_secs(c.seconds)}</td>',
                f"<td>{'<br />'.join(notes)}</td>",
            ]))
        parts.append("</tbody>")
    parts.append("</table>")
    out += parts
    out += _not_proved(results)
    out.append("</section>")
    return "\n".join(out)


def _not_proved(results: Results) -> list[str]:
    rows = results.not_proved()
    if not rows:
        return []
    items = "".join(f"<li><code>{_e(r.get('id', '?'))}</code>: {_e(r.get('statement', ''))} "
                    f"<span class=\"muted\">Not proved: {_e(r.get('why', ''))}. Checked instead by: "
                    f"{_e(r.get('checked_by', ''))}.</span></li>" for r in rows)
    return ['<h3 id="not-proved">Not proved yet</h3>',
            "<p>These obligations are not proved by this run (so it exits 2, not 0); "
            "the fuzzer evaluates them.</p>", f"<ul>{items}</ul>"]


def _counterexamples(results: Results, ids: _Ids) -> str:
    out = ['<section id="counterexamples">', "<h2>Counterexamples</h2>"]
    violated = [c for c in results.checks if c.status is Status.VIOLATED]
    if not violated:
        out += ["<p>No check was VIOLATED.</p>", "</section>"]
        return "\n".join(out)
    for c in violated:
        out.append(_violation(c, ids))
    out.append("</section>")
    return "\n".join(out)


def _violation(check: Check, ids: _Ids) -> str:
    d = check.details
    out = [f'<article class="violated" id="{_e(ids.of(check, "cex"))}">',
           f"<h3>{_badge(check.status)} <code>{_e(check.id)}</code> "
           f'<span class="muted">({_e(check.kind.value)}, {_e(check.contract)})</span></h3>']
    if check.title:
        out.append(f"<blockquote>{_e(check.title)}</blockquote>")
    if d.get("message"):
        out.append(_pre(str(d["message"])))
    if d.get("confirmed") is True:
        out.append("<p><strong>Confirmed:</strong> the counterexample replays on the model and on the EVM.</p>")
    elif d.get("confirmed") is False:
        out.append("<p><strong>Unconfirmed:</strong> the counterexample did not replay concretely; "
                   "it may be spurious.</p>")
    cx = d.get("counterexample")
    if cx is None:
        out.append("<p>No counterexample was recorded.</p>")
    elif isinstance(cx, dict) and isinstance(cx.get("calls"), list):
        out.append(_call_sequence(cx, check.contract))
    elif isinstance(cx, dict) and "pre_state" in cx and "call" in cx:
        out.append(_transition(cx, check.contract))
    else:
        out.append("<h4>Counterexample</h4>")
        out.append(_pre(json.dumps(cx, sort_keys=True, indent=2, default=str)))
    replays = d.get("evm_replay")
    if isinstance(replays, list) and replays:
        out.append("<h4>Replay on the EVMs</h4>")
        rows = []
        for r in replays:
            if isinstance(r, dict):
                ok = r.get("confirmed")
                word = "reproduced" if ok is True else "not reproduced" if ok is False else "unknown"
                cls = "s-PROVED" if ok is True else "s-VIOLATED" if ok is False else "s-INCONCLUSIVE"
                rows.append([_e(r.get("engine", "?")), f'<span class="badge {cls}">{_e(word)}</span>',
                             _text(r.get("detail", ""))])
            else:
                rows.append(["?", "", _e(json.dumps(r, default=str))])
        out.append(_table(["Engine", "Counterexample", "Detail"], rows))
    facts = _facts(d)
    if facts:
        out.append(facts)
    if d.get("replay_command"):
        out.append("<h4>Reproduce</h4>")
        out.append(_pre(str(d["replay_command"])))
    if d.get("anchors"):
        out.append("<p>Source: " + ", ".join(f"<code>{_e(_anchor_text(a))}</code>" for a in d["anchors"]) + "</p>")
    if d.get("recommendation"):
        out.append(f"<p><strong>Recommendation:</strong> {_e(d['recommendation'])}</p>")
    out.append("</article>")
    return "\n".join(out)


def _transition(cx: dict, contract: str) -> str:
    out = ["<h4>State before the call</h4>", _state_table(cx.get("pre_state"))]
    out.append("<h4>The call</h4>")
    out.append(_pre(_solidity_call(cx["call"], contract)))
    outcome = [(k, cx[k]) for k in ("outcome", "model_outcome") if k in cx and cx[k] not in ("", None)]
    if "keys" in cx:
        keys = cx["keys"]
        shown = ", ".join(_value(k) for k in keys) if isinstance(keys, list) else _value(keys)
        outcome.append(("keys", shown or "(none: the invariant has no quantified keys)"))
    if "post_state" in cx:
        out.append("<h4>State after the call</h4>")
        out.append(_state_table(cx["post_state"]))
    rest = [(k, cx[k]) for k in sorted(cx)
            if k not in {"pre_state", "call", "post_state", "outcome", "model_outcome", "keys"}
            and cx[k] not in ("", None)]
    items = outcome + rest
    if items:
        dl = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v if isinstance(v, str) else _value(v))}</dd>" for k, v in items)
        out.append(f'<dl class="facts">{dl}</dl>')
    return "\n".join(out)


def _state_table(state: Any) -> str:
    if not isinstance(state, dict):
        return _pre(json.dumps(state, sort_keys=True, indent=2, default=str))
    rows = [[f"<code>{_e(slot)}</code>", f'<span class="mono">{_e(value)}</span>'] for slot, value in _slots(state)]
    if not rows:
        return "<p>(empty: every slot is zero)</p>"
    return _table(["Slot (Solidity name)", "Value"], rows, cell_cls={1: "wrap"})


def _slots(state: dict, prefix: str = "") -> list[tuple[str, str]]:
    """(`name[key]`, value) per scalar; nested objects are mappings. Keys in sorted order."""
    out = []
    for key in sorted(state, key=str):
        name = f"{prefix}[{key}]" if prefix else str(key)
        value = state[key]
        if isinstance(value, dict) and value:
            out += _slots(value, name)
        else:
            out.append((name, _value(value)))
    return out


def _solidity_call(call: Any, contract: str) -> str:
    if isinstance(call, str):
        return call if call.rstrip().endswith(";") else call + ";"
    if not isinstance(call, dict) or not isinstance(call.get("function"), str):
        return json.dumps(call, sort_keys=True, indent=2, default=str)
    lines = []
    if "sender" in call:
        lines.append(f"// msg.sender = {_address(call['sender'])}")
    for key in sorted(k for k in call if k not in {"contract", "function", "args", "sender", "value"}):
        lines.append(f"// {key} = {_value(call[key])}")
    target = call.get("contract") or contract
    value = f"{{value: {_value(call['value'])}}}" if call.get("value") else ""
    lines.append(f"{target}.{call['function']}{value}({_arguments(call.get('args', []))});")
    return "\n".join(lines)


def _call_sequence(cx: dict, contract: str) -> str:
    calls = cx["calls"]
    out = [f"<h4>Call sequence ({len(calls)} {'step' if len(calls) == 1 else 'steps'}, shrunk)</h4>"]
    if not calls:
        out.append("<p>(empty)</p>")
    else:
        trace = cx.get("trace") if isinstance(cx.get("trace"), list) and len(cx["trace"]) == len(calls) else None
        items = []
        for i, s in enumerate(calls):
            item = _e(_step_text(s, contract))
            if trace is not None and isinstance(trace[i], dict):  # what the EVM did: outcome, decoded events
                t = trace[i]
                item += f'<br><small>&rarr; {_e(str(t.get("outcome", "")))}</small>'
                item += "".join(f"<br><small>&nbsp;&nbsp;event {_e(str(ev))}</small>" for ev in t.get("events", []))
            items.append(f"<li>{item}</li>")
        out.append('<ol class="calls">' + "".join(items) + "</ol>")
    rest = {k: v for k, v in cx.items() if k not in ("calls", "trace")}
    if rest:
        out.append(_pre(json.dumps(rest, sort_keys=True, indent=2, default=str)))
    return "\n".join(out)


def _step_text(step: Any, contract: str) -> str:
    """`Contract.fn(args) from 0x...`; an `advance` step as `advance N blocks, S seconds`."""
    if not isinstance(step, dict):
        return json.dumps(step, default=str)
    if step.get("op") == "advance":
        return f"advance {step.get('blocks', 0)} blocks, {step.get('seconds', 0)} seconds"
    if not isinstance(step.get("function"), str):
        return json.dumps(step, sort_keys=True, default=str)
    target = step.get("contract") or contract
    value = f"{{value: {_value(step['value'])}}}" if step.get("value") else ""
    text = f"{target}.{step['function']}{value}({_arguments(step.get('args', []), addresses=True)})"
    if "sender" in step:
        text += f" from {_address(step['sender'])}"
    return text


def _fuzzing(results: Results, ids: _Ids) -> str:
    out = ['<section id="fuzzing">', "<h2>Differential fuzzing</h2>"]
    campaigns = [c for c in results.checks if c.kind is Kind.FUZZ]
    if not campaigns:
        out += ["<p>No fuzz campaign was run.</p>", "</section>"]
        return "\n".join(out)
    for c in campaigns:
        d = c.details
        cls = "passed" if c.status in _GOOD else "violated" if c.status is Status.VIOLATED else "other"
        engine = d.get("engine", "")
        out.append(f'<article class="{cls}" id="{_e(ids.of(c, "fuzz"))}">')
        out.append(f"<h3>{_badge(c.status)} <code>{_e(c.id)}</code>"
                   + (f' <span class="muted">on {_e(engine)}</span>' if engine else "") + "</h3>")
        if c.title:
            out.append(f"<blockquote>{_e(c.title)}</blockquote>")
        header, row, nums = [], [], set()
        for key, label in (("engine", "Engine"), ("steps", "Steps"), ("sequences", "Sequences"),
                           ("budget", "Budget"), ("steps_per_second", "Steps/s"), ("seed", "Seed"),
                           ("profile", "Profile"), ("origin", "Origin")):
            if key in d:
                if isinstance(d[key], (int, float)) and not isinstance(d[key], bool):
                    nums.add(len(header))
                header.append(label)
                row.append(_e(d[key] if isinstance(d[key], str) else _value(d[key])))
        nums.add(len(header))
        header.append("Seconds")
        row.append(_secs(c.seconds))
        out.append(_table(header, [row], cls="compact", num_cols=nums))
        if c.status not in _GOOD:
            out.append(f"<p><strong>{_e(c.status.value)}:</strong> {_text(_first_line(_reason(c)))}"
                       + (f' (<a href="#{_e(ids.of(c, "cex"))}">counterexample</a>)'
                          if c.status is Status.VIOLATED else "") + "</p>")
        out.append(_function_table(d))
        if isinstance(d.get("coverage"), dict):
            out.append(_coverage(d["coverage"]))
        out.append("</article>")
    out.append("</section>")
    return "\n".join(out)


def _coverage(cov: dict) -> str:
    """Coverage (`harness/fuzz/coverage.py`): per contract the functions, reached or not (unreached
    highlighted), and the branch directions taken. Only rendered when a check carries "coverage"."""
    out = ["<h4>Coverage</h4>"]
    for contract in sorted(cov):
        c = cov[contract] if isinstance(cov[contract], dict) else {}
        t = c.get("totals", {})
        out.append(f"<p><code>{_e(contract)}</code>: {_e(t.get('functions_reached', 0))} of "
                   f"{_e(t.get('functions_total', 0))} functions reached, "
                   f"{_e(t.get('branch_directions_taken', 0))} of {_e(t.get('branch_directions_total', 0))} "
                   "branch directions taken</p>")
        rows = []
        for name, f in sorted(c.get("functions", {}).items()):
            if f.get("reached"):
                rows.append([f"<code>{_e(name)}</code>", '<span class="badge s-PASSED">reached</span>',
                             _e(f.get("hits", 0))])
            else:
                bad = ' class="unreached" style="background: var(--bad-bg)"'
                rows.append([f"<td{bad}><code>{_e(name)}</code></td>",
                             f'<td{bad}><span class="badge s-VIOLATED">not reached</span></td>',
                             f'<td class="num unreached" style="background: var(--bad-bg)">{_e(f.get("hits", 0))}</td>'])
        if rows:
            out.append(_table(["Function", "Reached", "Instructions run"], rows, cls="compact coverage", num_cols={2}))
        missing = [b for b in c.get("branches", []) if not (b.get("true") and b.get("false"))]
        if missing:
            items = ", ".join(
                f"{_e(b.get('file', ''))}:{_e(b.get('line', ''))} ({'true' if b.get('true') else ''}"
                f"{'/' if b.get('true') and b.get('false') else ''}{'false' if b.get('false') else ''}"
                f"{'' if b.get('true') or b.get('false') else 'neither'} taken)" for b in missing)
            out.append(f'<p class="muted">Branches not taken both ways: {items}</p>')
    return "\n".join(out)


def _function_table(d: dict) -> str:
    calls = d.get("calls") if isinstance(d.get("calls"), dict) else {}
    successes = d.get("successes") if isinstance(d.get("successes"), dict) else {}
    reverts_raw = d.get("reverts") if isinstance(d.get("reverts"), dict) else {}
    if not (calls or successes or reverts_raw):
        return "<p>No per-function counts were recorded.</p>"
    reverts: dict[str, dict[str, int]] = {}
    for key, n in reverts_raw.items():
        fn, _, error = str(key).partition(": ")
        reverts.setdefault(fn, {})[error or "(no error name)"] = n
    functions = sorted(set(calls) | set(successes) | set(reverts))
    rows = []
    totals = [0, 0, 0]
    for fn in functions:
        n_calls = calls.get(fn, 0)
        n_ok = successes.get(fn, 0)
        by_error = reverts.get(fn, {})
        n_rev = sum(v for v in by_error.values() if isinstance(v, int))
        for i, v in enumerate((n_calls, n_ok, n_rev)):
            totals[i] += v if isinstance(v, int) else 0
        errors = ", ".join(f"{_e(err)} \u00d7{_e(n)}" for err, n in sorted(by_error.items(), key=lambda kv: (-_int(kv[1]), kv[0])))
        ok_cell = f'<td class="num warn" title="never succeeded">{_e(n_ok)}</td>' if n_calls and not n_ok else None
        rows.append([f"<code>{_e(fn)}</code>", _num(n_calls), ok_cell or _num(n_ok), _num(n_rev),
                     errors or '<span class="zero">none</span>'])
    rows.append(["<strong>Total</strong>", _num(totals[0], strong=True), _num(totals[1], strong=True),
                 _num(totals[2], strong=True), ""])
    return _table(["Function", "Calls", "Successes", "Reverts", "Reverts by error"], rows, num_cols={1, 2, 3})


def _static(results: Results, ids: _Ids) -> str:
    out = ['<section id="static">', "<h2>Static analysis</h2>"]
    checks = [c for c in results.checks if c.kind is Kind.STATIC]
    if not checks:
        out += ["<p>No static-analysis check was run.</p>", "</section>"]
        return "\n".join(out)
    for c in checks:
        cls = "passed" if c.status in _GOOD else "violated" if c.status is Status.VIOLATED else "other"
        out.append(f'<article class="{cls}" id="{_e(ids.of(c, "static"))}">')
        out.append(f"<h3>{_badge(c.status)} <code>{_e(c.id)}</code> "
                   f'<span class="muted">({_e(c.contract)}, {_secs(c.seconds)} s)</span></h3>')
        if c.title:
            out.append(f"<blockquote>{_e(c.title)}</blockquote>")
        if c.details.get("message"):
            out.append(_pre(str(c.details["message"])))
        findings = c.details.get("findings")
        if isinstance(findings, list) and findings:
            out.append(f"<h4>Findings ({len(findings)})</h4>")
            out.append("<ol>" + "".join(f"<li>{_finding(f)}</li>" for f in findings) + "</ol>")
        elif c.status in _GOOD:
            out.append("<p>Nothing reported at the configured severity.</p>")
        out.append("</article>")
    out.append("</section>")
    return "\n".join(out)


def _finding(f: Any) -> str:
    if not isinstance(f, dict):
        return _e(f if isinstance(f, str) else json.dumps(f, default=str))
    head = []
    for key in ("check", "detector", "id", "impact", "severity", "confidence"):
        if key in f:
            head.append(f"{_e(key)}: <strong>{_e(f[key])}</strong>")
    text = f.get("description") or f.get("message")
    rest = {k: v for k, v in f.items()
            if k not in {"check", "detector", "id", "impact", "severity", "confidence", "description", "message"}}
    parts = ["; ".join(head)] if head else []
    if text:
        parts.append(_pre(str(text)))
    if rest:
        parts.append(_pre(json.dumps(rest, sort_keys=True, indent=2, default=str)))
    return "\n".join(parts)


def _provenance(results: Results) -> str:
    out = ['<section id="provenance">', "<h2>Provenance</h2>",
           f"<p>Result file schema <code>{_e(results.schema_version)}</code>.</p>"]
    out.append("<h3>Tool versions</h3>")
    if results.tool_versions:
        rows = [[_e(k), f"<code>{_e(v)}</code>"] for k, v in sorted(results.tool_versions.items())]
        out.append(_table(["Tool", "Version"], rows, cls="compact"))
    else:
        out.append("<p>None recorded.</p>")
    out.append("<h3>Compiler</h3>")
    if results.compiler:
        rows = [[_e(k), f"<code>{_e(_compact(v))}</code>"] for k, v in sorted(results.compiler.items())]
        out.append(_table(["Setting", "Value"], rows, cls="compact"))
    else:
        out.append("<p>None recorded.</p>")
    out.append("<h3>Configuration</h3>")
    if results.config:
        out.append(_pre(json.dumps(results.config, sort_keys=True, indent=2, default=str)))
    else:
        out.append("<p>None recorded.</p>")
    out.append("<h3>Sources</h3>")
    if results.sources:
        rows = [[f"<code>{_e(p)}</code>", f'<code class="mono">{_e(h)}</code>'] for p, h in sorted(results.sources.items())]
        out.append(_table(["Path", "sha256"], rows, cell_cls={1: "wrap"}))
    else:
        out.append("<p>None recorded.</p>")
    out.append("<h3>Bytecode</h3>")
    if results.bytecode:
        rows = []
        for name, b in sorted(results.bytecode.items()):
            b = b if isinstance(b, dict) else {}
            rows.append([_e(name), f"<code>{_e(b.get('creation_sha256', ''))}</code>",
                         f"<code>{_e(b.get('runtime_sha256', ''))}</code>", _num(b.get("runtime_size", ""))])
        out.append(_table(["Contract", "Creation sha256", "Runtime sha256", "Runtime size (bytes)"], rows,
                          num_cols={3}, cell_cls={1: "wrap", 2: "wrap"}))
    else:
        out.append("<p>None recorded.</p>")
    out.append("</section>")
    return "\n".join(out)


def _footer(results: Results) -> str:
    when = f"Generated at {_e(results.generated_at)}." if results.generated_at else "Generation time not recorded."
    return (f'<footer><p>{when} Rendered from the result file (schema {_e(results.schema_version)}) by '
            "harness/report/html.py; the same checks, under the same ids, are in verify.json, REPORT.md, "
            "report.sarif and junit.xml.</p></footer>")


# --- values -------------------------------------------------------------------------------------


def _value(v: Any) -> str:
    """A JSON value as Solidity-ish text: bools true/false, numbers exact, "0x.." and digit strings
    as written, other strings quoted, lists [..], objects {k: v}."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return v if re.fullmatch(r"0x[0-9a-fA-F]*|-?[0-9]+", v) else json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_value(x)}" for k, x in sorted(v.items())) + "}"
    return json.dumps(str(v))


def _address(v: Any) -> str:
    if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < _ADDRESS_RANGE[1]:
        return f"0x{v:040x}"
    return _value(v)


def _arg(v: Any, addresses: bool) -> str:
    if addresses and isinstance(v, int) and not isinstance(v, bool) and _ADDRESS_RANGE[0] <= v < _ADDRESS_RANGE[1]:
        return f"0x{v:040x}"
    return _value(v)


def _arguments(args: Any, addresses: bool = False) -> str:
    if isinstance(args, dict):
        return "{" + ", ".join(f"{k}: {_arg(v, addresses)}" for k, v in sorted(args.items())) + "}" if args else ""
    if isinstance(args, (list, tuple)):
        return ", ".join(_arg(v, addresses) for v in args)
    return _arg(args, addresses)


def _anchor_text(anchor: Any) -> str:
    if isinstance(anchor, str):
        return anchor
    parsed = parse_anchor(anchor)
    if not parsed:
        return json.dumps(anchor, default=str)
    text = parsed["file"]
    if "line" in parsed:
        text += f"#L{parsed['line']}" + (f"-{parsed['end_line']}" if parsed.get("end_line") else "")
    return text


def _facts(d: dict) -> str:
    facts = []
    for key in ("engine", "seed", "steps", "budget"):
        if key in d:
            facts.append((key, d[key] if isinstance(d[key], str) else _value(d[key])))
    if d.get("replay_file"):
        facts.append(("replay file", d["replay_file"]))
    if not facts:
        return ""
    return '<dl class="facts">' + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts) + "</dl>"


# --- markup helpers -----------------------------------------------------------------------------


class _Ids:
    """Unique, stable element ids for checks ("cex-<check id>"): whitespace and quotes replaced,
    and a numeric suffix if two ids would collide."""

    def __init__(self) -> None:
        self._used: set[str] = set(SECTION_IDS)
        self._given: dict[tuple[str, str], str] = {}

    def unique(self, raw: str) -> str:
        base = re.sub(r"[^\w.:/-]", "_", raw)
        candidate, n = base, 2
        while candidate in self._used:
            candidate, n = f"{base}-{n}", n + 1
        self._used.add(candidate)
        return candidate

    def of(self, check: Check, prefix: str) -> str:
        key = (prefix, check.id)
        if key not in self._given:
            self._given[key] = self.unique(f"{prefix}-{check.id}")
        return self._given[key]


def _link(ids: _Ids, check: Check) -> str:
    if check.status is Status.VIOLATED:
        target = ids.of(check, "cex")
    elif check.kind is Kind.FUZZ:
        target = ids.of(check, "fuzz")
    elif check.kind is Kind.STATIC:
        target = ids.of(check, "static")
    else:
        target = ids.of(check, "check")
    return f'<a href="#{_e(target)}"><code>{_e(check.id)}</code></a>'


def _anchored(ids: _Ids, check: Check, prefix: str) -> str:
    return f'<span id="{_e(ids.of(check, prefix))}"><code>{_e(check.id)}</code></span>'


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _text(value: Any) -> str:
    """Escaped text; line breaks kept as <br />."""
    return "<br />".join(_e(line) for line in str(value).split("\n"))


def _pre(text: str) -> str:
    return f"<pre>{_e(text.rstrip())}</pre>"


def _badge(status: Status) -> str:
    return f'<span class="badge s-{status.value}">{status.value}</span>'


def _num(n: Any, strong: bool = False) -> str:
    cls = ' class="num zero"' if n == 0 else ' class="num"'
    text = f"<strong>{_e(n)}</strong>" if strong else _e(n)
    return f"<td{cls}>{text}</td>"


def _secs(seconds: float) -> str:
    return "&lt;0.001" if 0 < seconds < 0.0005 else f"{seconds:.3f}"


def _th(text: str, num: bool = False) -> str:
    return f'<th class="num">{_e(text)}</th>' if num else f"<th>{_e(text)}</th>"


def _tr(cells: Iterable[str]) -> str:
    return "<tr>" + "".join(cells) + "</tr>"


def _table(header: list[str], rows: list[list[str]], cls: str = "", num_cols: set[int] | None = None,
           cell_cls: dict[int, str] | None = None) -> str:
    """A table; `rows` hold cell HTML (already escaped), or whole `<td>` elements (from `_num`)."""
    num_cols = num_cols or set()
    cell_cls = cell_cls or {}
    head = _tr(_th(h, num=i in num_cols) for i, h in enumerate(header))
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            if cell.startswith("<td"):
                cells.append(cell)
            else:
                klass = " ".join(x for x in ("num" if i in num_cols else "", cell_cls.get(i, "")) if x)
                cells.append(f'<td class="{klass}">{cell}</td>' if klass else f"<td>{cell}</td>")
        body.append(_tr(cells))
    cls_attr = f' class="{cls}"' if cls else ""
    return f"<table{cls_attr}>\n<thead>{head}</thead>\n<tbody>\n" + "\n".join(body) + "\n</tbody>\n</table>"


# --- small helpers ------------------------------------------------------------------------------


def _reason(check: Check) -> str:
    message = check.details.get("message")
    if message:
        return str(message).strip()
    if check.status is Status.VIOLATED and "counterexample" in check.details:
        return "a counterexample was found (no message recorded; see the counterexample)"
    return "no reason was recorded"


def _first_line(text: str) -> str:
    lines = [line for line in str(text).split("\n") if line.strip()]
    if not lines:
        return ""
    return lines[0] + (" (...)" if len(lines) > 1 else "")


def _tally(checks: list[Check]) -> list[tuple[Status, int]]:
    return [(s, n) for s in Status if (n := sum(c.status is s for c in checks))]


def _distinct(items: Iterable[str]) -> list[str]:
    out: list[str] = []
    for x in items:
        if x not in out:
            out.append(x)
    return out


def _count(n: int) -> str:
    return f"{n} check" if n == 1 else f"{n} checks"


def _int(v: Any) -> int:
    return v if isinstance(v, int) and not isinstance(v, bool) else 0


def _compact(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v, sort_keys=True, separators=(", ", ": "), default=str)
