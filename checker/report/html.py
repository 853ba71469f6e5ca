"""The visual report: one self-contained HTML file (inline CSS and JavaScript, nothing fetched) with the scan's
summary, each framework's controls and scores, findings by severity and by rule, a namespace x rule matrix,
a sortable and filterable findings table with file:line links, and each rule's remediation.

The page works without JavaScript (everything is rendered); the script adds sorting, filtering and a
``#rule=ID`` / ``#severity=LEVEL`` / ``#q=TEXT`` address that opens the table filtered. Same report, same bytes.
"""

from __future__ import annotations

import os
from collections import Counter
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from ..findings import ControlResult, Finding, FrameworkResult, Report, RuleInfo, Severity, counted
from ..inputs.documents import STDIN_NAME
from ..version import __version__
from .controls import framework_line, objects_line
from .escaping import uri_path, valid_unicode, visible

if TYPE_CHECKING:
    from . import RenderOptions

MATRIX_NAMESPACES = 30  # namespaces shown as matrix rows (by findings); the rest are summed in one row
NO_NAMESPACE = "(no namespace)"
STATUS_LABELS = {"fail": "FAIL", "pass": "PASS", "not-applicable": "N/A", "manual": "MANUAL"}


def render(report: Report, options: RenderOptions) -> str:
    base = Path(options.destination).resolve().parent if options.destination else Path.cwd().resolve()
    rules = {rule.id: rule for rule in report.rule_info}
    parts = [
        _head(),
        "<body>",
        "<header><h1>kubecheck report</h1>",
        f'<p class="sub">{escape(_scope_line(report))} &middot; kubecheck {escape(__version__)}</p></header>',
        "<main>",
        _summary(report),
        *(_framework(framework) for framework in report.frameworks),
        _by_rule(report, rules),
        _matrix(report),
        _findings_table(report, base),
        _errors(report),
        _rule_pages(report, rules),
        "</main>",
        f"<script>{SCRIPT}</script>",
        "</body></html>",
    ]
    # control characters, undecodable bytes of file names and bidirectional controls as visible escapes:
    # the page stays valid UTF-8 and shows what the inputs hold
    return visible("\n".join(part for part in parts if part), keep="\t\n\r") + "\n"


def _head() -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'; img-src data:\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>kubecheck report</title><style>{STYLE}</style></head>"
    )


def _scope_line(report: Report) -> str:
    return (
        f"{counted(report.files, 'file')}, {counted(report.resources, 'object')} checked by "
        f"{counted(report.rules, 'rule')}"
    )


def _summary(report: Report) -> str:
    counts = report.summary()["by_severity"]
    biggest = max(counts.values(), default=0) or 1
    bars = "".join(
        f'<div class="bar-row"><span class="sev sev-{label}">{label}</span>'
        f'<span class="bar"><span class="fill sev-bg-{label}" style="width:{100 * n / biggest:.1f}%"></span></span>'
        f'<a class="num" href="#severity={label}">{n}</a></div>'
        for label, n in counts.items()
    )
    tiles = [
        ("findings", len(report.findings)),
        ("objects", report.resources),
        ("files", report.files),
        ("suppressed", len(report.suppressed)),
        ("input errors", len(report.errors)),
    ]
    shown = [(name, n) for name, n in tiles if n or name in ("findings", "objects")]  # the others when not zero
    tile_html = "".join(f'<div class="tile"><b>{n}</b><span>{escape(name)}</span></div>' for name, n in shown)
    return (
        f'<section id="summary"><h2>Summary</h2><div class="tiles">{tile_html}</div>'
        f"<h3>Findings by severity</h3>{bars}</section>"
    )


def _framework(framework: FrameworkResult) -> str:
    summary = framework.summary()
    rows = "".join(_control_row(control) for control in framework.controls)
    score = f"{summary['score']}%" if summary["score"] is not None else "n/a"
    link = f' <a href="{escape(framework.url)}">source</a>' if framework.url else ""
    return (
        f'<section class="framework" id="framework-{escape(framework.id)}">'
        f"<h2>{escape(framework.title)} v{escape(framework.version)}</h2>"
        f'<p class="sub">{escape(framework_line(framework))}{link}</p>'
        f'<div class="tiles"><div class="tile"><b>{escape(score)}</b><span>score</span></div>'
        f'<div class="tile fail"><b>{summary["fail"]}</b><span>fail</span></div>'
        f'<div class="tile pass"><b>{summary["pass"]}</b><span>pass</span></div>'
        f'<div class="tile"><b>{summary["not_applicable"]}</b><span>not applicable</span></div>'
        f'<div class="tile"><b>{summary["manual"]}</b><span>manual</span></div></div>'
        '<table class="controls"><thead><tr><th>status</th><th>control</th><th>title</th><th>score</th>'
        f"<th>objects failing / checked</th><th>rules</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _control_row(control: ControlResult) -> str:
    score = control.score
    meter = (
        f'<span class="meter"><span style="width:{score:.1f}%"></span></span> {score:.1f}%'
        if score is not None and control.status != "manual"
        else "&ndash;"
    )
    rules = " ".join(f'<a href="#rule={escape(r)}">{escape(r)}</a>' for r in control.rules) or "&ndash;"
    detail = escape(objects_line(control))
    if control.manual and control.status != "manual":
        detail += f'<div class="manual">by hand: {escape(control.manual)}</div>'
    objects = f"{control.objects_failed} / {control.objects_checked}" if control.status != "manual" else "&ndash;"
    return (
        f'<tr class="st-{control.status}"><td><span class="status st-{control.status}">'
        f'{STATUS_LABELS[control.status]}</span></td><td class="mono">{escape(control.id)}</td>'
        f'<td>{escape(control.title)}<div class="detail">{detail}</div></td><td class="score">{meter}</td>'
        f'<td>{objects}</td><td class="rules">{rules}</td></tr>'
    )


def _by_rule(report: Report, rules: dict[str, RuleInfo]) -> str:
    if not report.findings:
        return '<section id="by-rule"><h2>Findings by rule</h2><p>No findings.</p></section>'
    counts = Counter(f.rule for f in report.findings)
    objects: dict[str, set[tuple[str, ...]]] = {}
    for finding in report.findings:
        objects.setdefault(finding.rule, set()).add(_object_key(finding))
    order = sorted(counts, key=lambda r: (-_severity(rules, r), -counts[r], r))
    rows = "".join(
        f'<tr><td><span class="sev sev-{_label(rules, r)}">{_label(rules, r)}</span></td>'
        f'<td><a href="#rule={escape(r)}">{escape(r)}</a></td><td>{escape(rules[r].title if r in rules else "")}</td>'
        f'<td class="n">{counts[r]}</td><td class="n">{len(objects[r])}</td></tr>'
        for r in order
    )
    return (
        '<section id="by-rule"><h2>Findings by rule</h2><table><thead><tr><th>severity</th><th>rule</th>'
        f"<th>title</th><th>findings</th><th>objects</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _matrix(report: Report) -> str:
    if not report.findings:
        return ""
    cells = Counter((_namespace(f), f.rule) for f in report.findings)
    per_namespace = Counter(_namespace(f) for f in report.findings)
    rules = sorted({f.rule for f in report.findings})
    shown = sorted(per_namespace, key=lambda ns: (-per_namespace[ns], ns))[:MATRIX_NAMESPACES]
    rest = [ns for ns in per_namespace if ns not in shown]
    biggest = max(cells.values())
    header = "".join(f'<th class="rot"><div><a href="#rule={escape(r)}">{escape(r)}</a></div></th>' for r in rules)

    def row(label: str, namespaces: list[str], filter_link: bool) -> str:
        tds = []
        for rule in rules:
            n = sum(cells.get((ns, rule), 0) for ns in namespaces)
            heat = 0.12 + 0.88 * n / biggest if n else 0
            style = f' style="background:rgba(200,40,40,{heat:.2f})"' if n else ""
            tds.append(f'<td class="n"{style}>{n or ""}</td>')
        name = f'<a href="#q={quote(valid_unicode(label))}">{escape(label)}</a>' if filter_link else escape(label)
        total = sum(per_namespace[ns] for ns in namespaces)
        return f'<tr><th class="ns">{name}</th>{"".join(tds)}<td class="n total">{total}</td></tr>'

    rows = [row(ns, [ns], True) for ns in shown]
    if rest:
        rows.append(row(f"other {counted(len(rest), 'namespace')}", rest, False))
    return (
        '<section id="matrix"><h2>Findings by namespace and rule</h2><div class="scroll"><table class="matrix">'
        f"<thead><tr><th></th>{header}<th>total</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        "</section>"
    )


def _findings_table(report: Report, base: Path) -> str:
    if not report.findings:
        return ""
    rules = sorted({f.rule for f in report.findings})
    namespaces = sorted({_namespace(f) for f in report.findings})
    severities = [s.label for s in sorted(Severity, reverse=True)]
    rows = "".join(_finding_row(index, finding, base) for index, finding in enumerate(report.findings))
    return (
        '<section id="findings"><h2>Findings</h2><div class="filters">'
        '<input id="q" type="search" placeholder="filter: text in any column" aria-label="filter">'
        f"{_select('f-severity', 'severity', 'every severity', severities)}"
        f"{_select('f-rule', 'rule', 'every rule', rules)}"
        f"{_select('f-ns', 'namespace', 'every namespace', namespaces)}"
        f'<span id="shown">{counted(len(report.findings), "finding")}</span></div>'
        '<div class="scroll"><table id="table" class="findings"><colgroup><col class="c-sev"><col class="c-rule">'
        '<col class="c-obj"><col class="c-ns"><col class="c-ctr"><col class="c-loc"><col></colgroup><thead><tr>'
        '<th data-type="num">severity</th><th>rule</th><th>object</th><th>namespace</th><th>container</th>'
        f"<th>location</th><th>message</th></tr></thead><tbody>{rows}</tbody></table></div></section>"
    )


def _finding_row(index: int, finding: Finding, base: Path) -> str:
    resource = finding.resource
    kind = escape(str(resource["kind"]))
    name = f'<span class="kind">{kind}/</span><wbr>{escape(str(resource["name"]))}' if resource.get("name") else kind
    where = f"{finding.file}:{finding.line}:{finding.column}"
    href = _href(finding.file, base)
    location = f'<a href="{escape(href)}">{escape(where)}</a>' if href else escape(where)
    namespace = _namespace(finding)
    return (
        f'<tr data-i="{index}" data-severity="{finding.severity.label}" data-rule="{escape(finding.rule)}" '
        f'data-ns="{escape(namespace)}"><td data-v="{int(finding.severity)}">'
        f'<span class="sev sev-{finding.severity.label}">{finding.severity.label}</span></td>'
        f'<td><a href="#rule-{escape(finding.rule)}">{escape(finding.rule)}</a></td><td>{name}</td>'
        f"<td>{escape(namespace)}</td><td>{escape(finding.container or '')}</td>"
        f'<td class="mono">{location}<div class="path">{escape(finding.path)}</div></td>'
        f"<td>{escape(finding.message + finding.see_also)}</td></tr>"
    )


def _errors(report: Report) -> str:
    if not report.errors:
        return ""
    items = "".join(
        f'<li><span class="mono">{escape(e.file)}{":" + str(e.line) if e.line else ""}</span> {escape(e.message)}</li>'
        for e in report.errors
    )
    return f'<section id="errors"><h2>Input errors</h2><ul>{items}</ul></section>'


def _rule_pages(report: Report, rules: dict[str, RuleInfo]) -> str:
    found = Counter(f.rule for f in report.findings)
    listed = [rule for rule in report.rule_info if rule.id in found]
    if not listed:
        return ""
    pages = []
    for rule in sorted(listed, key=lambda r: (-int(r.severity), r.id)):
        references = "".join(f'<li><a href="{escape(ref)}">{escape(ref)}</a></li>' for ref in rule.references)
        pages.append(
            f'<article id="rule-{escape(rule.id)}"><h3><span class="sev sev-{rule.severity.label}">'
            f"{rule.severity.label}</span> {escape(rule.id)}: {escape(rule.title)}</h3>"
            f'<p class="meta">packs: {escape(", ".join(rule.packs))} &middot; {counted(found[rule.id], "finding")} '
            f'&middot; <a href="#rule={escape(rule.id)}">show them</a></p>'
            f"<p>{escape(' '.join(rule.description.split()))}</p>"
            f"<p><b>Remediation.</b> {escape(' '.join(rule.remediation.split()))}</p>"
            f'<ul class="refs">{references}</ul></article>'
        )
    return f'<section id="rules"><h2>Rules and remediation</h2>{"".join(pages)}</section>'


def _href(file: str, base: Path) -> str | None:
    """A link to the file, relative to the report's folder (so the report can move with the repository)."""
    if file == STDIN_NAME:
        return None
    try:
        relative = os.path.relpath(Path(file).resolve(), base)
    except ValueError:
        return Path(file).resolve().as_uri()
    return uri_path(Path(relative).as_posix())


def _select(element_id: str, label: str, everything: str, values: list[str]) -> str:
    options = "".join(f'<option value="{escape(v)}">{escape(v)}</option>' for v in values)
    return f'<select id="{element_id}" aria-label="{label}"><option value="">{everything}</option>{options}</select>'


def _namespace(finding: Finding) -> str:
    return str(finding.resource.get("namespace") or NO_NAMESPACE)


def _object_key(finding: Finding) -> tuple[str, ...]:
    resource = finding.resource
    return (finding.file, str(resource["kind"]), str(resource.get("namespace")), str(resource.get("name")))


def _severity(rules: dict[str, RuleInfo], rule: str) -> int:
    return int(rules[rule].severity) if rule in rules else 0


def _label(rules: dict[str, RuleInfo], rule: str) -> str:
    return rules[rule].severity.label if rule in rules else "info"


STYLE = """
:root{--fg:#1d232b;--muted:#5b6673;--line:#d9dee4;--bg:#f6f7f9;--card:#fff;--critical:#7b1fa2;--high:#c62828;
--medium:#e08a00;--low:#1f78b4;--info:#78838f;--pass:#2e7d32;--fail:#c62828}*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);
background:var(--bg)}header{background:#1d232b;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}
header .sub{color:#c6ccd3;margin:4px 0 0}main{padding:8px 28px 40px;max-width:1500px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 18px;margin:16px 0}
h2{font-size:17px;margin:0 0 10px}h3{font-size:14px;margin:14px 0 6px}.sub{color:var(--muted);margin:0 0 10px}
a{color:#1558b0;text-decoration:none}a:hover{text-decoration:underline}
.tiles{display:flex;gap:10px;flex-wrap:wrap;margin-bottom:8px}
.tile{border:1px solid var(--line);border-radius:6px;padding:8px 14px;min-width:110px}
.tile b{display:block;font-size:22px}.tile span{color:var(--muted)}.tile.fail b{color:var(--fail)}
.tile.pass b{color:var(--pass)}.bar-row{display:grid;grid-template-columns:80px 1fr 60px;align-items:center;
gap:8px;margin:3px 0;max-width:640px}.bar{background:#eef0f3;border-radius:4px;height:14px;overflow:hidden}
.fill{display:block;height:100%}.num{text-align:right}.sev{display:inline-block;min-width:62px;
text-align:center;border-radius:10px;padding:0 8px;color:#fff;font-size:12px;font-weight:600}
.sev-critical,.sev-bg-critical{background:var(--critical)}.sev-high,.sev-bg-high{background:var(--high)}
.sev-medium,.sev-bg-medium{background:var(--medium)}.sev-low,.sev-bg-low{background:var(--low)}
.sev-info,.sev-bg-info{background:var(--info)}table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
thead th{background:#eef0f3;position:sticky;top:0;z-index:1}td.n{text-align:right}
.findings th{cursor:pointer;user-select:none;white-space:nowrap}.findings th.asc:after{content:" \\25B2"}
.findings th.desc:after{content:" \\25BC"}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
.path{color:var(--muted);font-size:11px;word-break:break-all}.detail{color:var(--muted);font-size:12px}
.manual{color:#8a5a00;font-size:12px}
.status{font-weight:700;font-size:12px;padding:1px 7px;border-radius:4px;color:#fff}
.st-pass .status,.status.st-pass{background:var(--pass)}.status.st-fail{background:var(--fail)}
.status.st-manual{background:#8a5a00}.status.st-not-applicable{background:var(--info)}
.meter{display:inline-block;width:80px;height:9px;background:#f1c9c9;border-radius:4px;overflow:hidden;
vertical-align:middle}.meter span{display:block;height:100%;background:var(--pass)}
.rules a{display:inline-block;margin-right:6px;font-size:12px}.scroll{overflow:auto;max-height:80vh}
.matrix td,.matrix th{border:1px solid var(--line);font-size:12px;padding:3px 6px}
.matrix th.rot{height:170px;vertical-align:bottom;padding:4px 2px}
.matrix th.rot div{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap}
.matrix th.ns{white-space:nowrap;font-weight:500}.matrix .total{font-weight:700}
.filters{display:flex;gap:8px;flex-wrap:wrap;align-items:center;margin-bottom:8px}.filters input{flex:1;
min-width:220px;padding:5px 8px;border:1px solid var(--line);border-radius:4px}.filters select{padding:4px}
#shown{color:var(--muted)}article{border-top:1px solid var(--line);padding-top:4px}
article:target{background:#fff8e1}.meta{color:var(--muted);margin:2px 0}.refs{margin:4px 0 8px;font-size:12px}
tr.hidden{display:none}
.findings{table-layout:fixed;min-width:1150px}.c-sev{width:98px}.c-rule{width:170px}.c-obj{width:170px}
.c-ns{width:110px}.c-ctr{width:100px}.c-loc{width:250px}.findings td{overflow-wrap:break-word}
.sev{white-space:nowrap}.kind{color:var(--muted)}table.matrix{width:auto}td.score{white-space:nowrap}
"""

SCRIPT = """
(function(){
var table=document.getElementById('table');
if(!table){document.body.setAttribute('data-ready','1');return;}
var body=table.tBodies[0],rows=Array.prototype.slice.call(body.rows),total=rows.length;
var q=document.getElementById('q'),sev=document.getElementById('f-severity'),
rule=document.getElementById('f-rule'),ns=document.getElementById('f-ns'),shown=document.getElementById('shown');
var text=rows.map(function(r){return r.textContent.toLowerCase();});
function apply(){var t=q.value.toLowerCase(),n=0;rows.forEach(function(r,i){
var ok=(!t||text[i].indexOf(t)>=0)&&(!sev.value||r.getAttribute('data-severity')===sev.value)&&
(!rule.value||r.getAttribute('data-rule')===rule.value)&&(!ns.value||r.getAttribute('data-ns')===ns.value);
r.className=ok?'':'hidden';if(ok)n++;});shown.textContent=n+' of '+total+' findings';}
[q,sev,rule,ns].forEach(function(e){e.addEventListener('input',apply);});
var heads=table.tHead.rows[0].cells;
Array.prototype.forEach.call(heads,function(th,col){th.addEventListener('click',function(){
var asc=!th.classList.contains('asc');
Array.prototype.forEach.call(heads,function(h){h.classList.remove('asc','desc');});
th.classList.add(asc?'asc':'desc');var num=th.getAttribute('data-type')==='num';
rows.sort(function(a,b){var x=a.cells[col],y=b.cells[col],c;
if(num){c=(+x.getAttribute('data-v'))-(+y.getAttribute('data-v'));}else{c=x.textContent.localeCompare(y.textContent);}
if(c===0){c=(+a.getAttribute('data-i'))-(+b.getAttribute('data-i'));}return asc?c:-c;});
rows.forEach(function(r){body.appendChild(r);});});});
function fromHash(){var h=decodeURIComponent(location.hash.slice(1)),k=h.split('=')[0],v=h.slice(k.length+1);
if(k==='rule'||k==='severity'||k==='q'){q.value=k==='q'?v:'';sev.value=k==='severity'?v:'';rule.value=k==='rule'?v:'';
ns.value='';apply();document.getElementById('findings').scrollIntoView();}}
window.addEventListener('hashchange',fromHash);fromHash();apply();
document.body.setAttribute('data-ready','1');
})();
"""
