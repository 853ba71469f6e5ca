"""The kubecheck command: parse options, call the API, render a report and set the exit code.

Exit codes: 0 nothing at or above --fail-on, 1 such findings, 2 usage errors or unreadable inputs.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import shutil
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, NoReturn

import typer

from . import baseline
from .api import Plan, UsageError, plan
from .commands.rules import rule_page, rule_table
from .commands.scan import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    check_outputs,
    exit_code,
    parse_output,
    write_errors,
    write_report,
)
from .config import Config, ConfigError, load_config
from .findings import Report, Severity, counted
from .inputs.excludes import ExcludeError, Excludes
from .inputs.render import RenderOptions as ChartOptions
from .policy.catalog import DEFAULT_PACKS, SelectionError, all_packs
from .policy.frameworks import Framework, load_frameworks
from .policy.loader import Catalog, load_catalog
from .policy.params import ParamError
from .progress import ScanProgress
from .report import FORMATS, RenderOptions
from .report.escaping import visible
from .report.spill import SpilledFindings
from .scan_cache import CacheError
from .scanning import scan as streamed_scan
from .suggest import did_you_mean


def _tidy_help() -> None:
    """Help without typer's raw type markers: typer 0.29 prints ``<list[str]>`` and ``<bool>`` beside every
    argument and flag and wraps required arguments as ``{PATH}`` in usage lines (typer/core.py,
    ``display_type_rich`` and ``_usage_display_name``). A parameter with a metavar shows only that; a flag shows
    nothing; a required argument shows as ``PATH...``. Other typer versions are left as they are."""
    from typer import core

    argument, option = getattr(core, "TyperArgument", None), getattr(core, "TyperOption", None)
    if argument is None or option is None or not hasattr(argument, "_usage_display_name"):
        return
    plain_type, plain_usage = argument.display_type_rich, argument._usage_display_name
    option_type = option.display_type_rich

    def argument_type(self: Any, ctx: Any) -> str | None:
        return None if self.metavar else plain_type(self, ctx)

    def argument_usage(self: Any) -> str:
        return str(self.metavar) if self.metavar and self.required else str(plain_usage(self))

    def option_type_shown(self: Any, ctx: Any) -> str | None:
        return None if getattr(self, "is_flag", False) and self.metavar is None else option_type(self, ctx)

    argument.display_type_rich = argument_type
    argument._usage_display_name = argument_usage
    option.display_type_rich = option_type_shown


_tidy_help()

app = typer.Typer(
    add_completion=True,  # kubecheck --install-completion [bash|zsh|fish|powershell]
    no_args_is_help=True,
    rich_markup_mode="rich",
    help="Policy-as-code compliance checks for Kubernetes manifests.",
)
rules_app = typer.Typer(add_completion=False, rich_markup_mode="rich", help="List the rules, or show one rule.")
app.add_typer(rules_app, name="rules")
frameworks_app = typer.Typer(
    add_completion=False, rich_markup_mode="rich", help="List the compliance frameworks, or show one's controls."
)
app.add_typer(frameworks_app, name="frameworks")


def _output_formats(values: list[str] | None) -> list[str] | None:
    """The report formats come from the reporters' registry (report/__init__.py): one list, so a new format is
    a choice without touching the command line. Each value is FORMAT or FORMAT=PATH."""
    for value in values or ():
        try:
            parse_output(value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
    return values


class Color(StrEnum):
    auto = "auto"
    always = "always"
    never = "never"


ValuesOption = Annotated[
    list[str] | None,
    typer.Option(
        "--values",
        "-f",
        metavar="FILE",
        help="A Helm values file for the charts scanned (repeatable; later files win; after the configuration's).",
    ),
]
HelmSetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--helm-set",
        help="A Helm value for the charts scanned, KEY=VALUE as helm --set (repeatable; after the configuration's).",
        metavar="KEY=VALUE",
    ),
]
ReleaseOption = Annotated[
    str | None,
    typer.Option(
        "--release-name", metavar="NAME", help="Helm release name for rendering charts. Default: release-name."
    ),
]
NamespaceOption = Annotated[
    str | None,
    typer.Option("--namespace", metavar="NAMESPACE", help="Namespace charts are rendered into. Default: default."),
]
NoRenderOption = Annotated[
    bool, typer.Option("--no-render", help="Read chart and kustomize folders file by file, unrendered.")
]
ExcludeOption = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude",
        metavar="GLOB",
        help="Leave out paths matching this gitignore-style pattern, relative to each directory named "
        "(repeatable; after the configuration's exclude:).",
    ),
]


@dataclass(frozen=True)
class InputArgs:
    """The input options every command that reads paths shares (scan, fix, explain; helm-post-render takes
    --exclude): how charts and overlays are rendered and which paths are left out."""

    values: list[str] | None = None
    helm_set: list[str] | None = None
    release_name: str | None = None
    namespace: str | None = None
    no_render: bool = False
    exclude: list[str] | None = None


_INPUT_PARAMETERS = [
    inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
    for name, annotation, default in (
        ("values", ValuesOption, None),
        ("helm_set", HelmSetOption, None),
        ("release_name", ReleaseOption, None),
        ("namespace", NamespaceOption, None),
        ("no_render", NoRenderOption, False),
        ("exclude", ExcludeOption, None),
    )
]


def _grouped(
    command: Callable[..., None], name: str, parameters: list[inspect.Parameter], group: Callable[..., Any]
) -> Callable[..., None]:
    """``command`` with its parameter ``name`` replaced, at the same place in its options, by ``parameters``:
    typer sees them as options of the command, and the command receives them as one ``name`` argument made
    by ``group(**values)``."""
    signature = inspect.signature(command, eval_str=True)
    own = list(signature.parameters.values())
    at = [parameter.name for parameter in own].index(name)
    names = [parameter.name for parameter in parameters]
    parameters = [parameter.replace(kind=own[at].kind) for parameter in parameters]

    @functools.wraps(command)
    def with_group(*args: Any, **kwargs: Any) -> None:
        given = {key: kwargs.pop(key) for key in names if key in kwargs}
        command(*args, **{name: group(**given)}, **kwargs)

    shown = signature.replace(parameters=[*own[:at], *parameters, *own[at + 1 :]])
    with_group.__signature__ = shown  # type: ignore[attr-defined]  # what typer reads the options from
    return with_group


def input_options(command: Callable[..., None]) -> Callable[..., None]:
    """Give a command the shared input options (InputArgs), declared once here, as its ``inputs`` argument."""
    return _grouped(command, "inputs", _INPUT_PARAMETERS, InputArgs)


def _render_options(inputs: InputArgs, config: Config) -> ChartOptions:
    """How the run reads its inputs: the command line's render options and excludes after the
    configuration's (values files and --helm-set add to the configuration's per-chart ones and win over
    them; --release-name and --namespace replace them)."""
    try:
        excludes = Excludes(config.exclude, tuple(inputs.exclude or ()))
    except ExcludeError as exc:
        _fail(f"error: {exc}")
    return ChartOptions(
        not inputs.no_render,
        tuple(inputs.values or ()),
        tuple(inputs.helm_set or ()),
        inputs.release_name,
        inputs.namespace,
        excludes,
        config.charts,
    )


PackOption = Annotated[
    list[str] | None, typer.Option("--pack", metavar="PACK", help="Run only rules of this pack (repeatable).")
]
FrameworkOption = Annotated[
    list[str] | None,
    typer.Option(
        "--framework",
        metavar="FRAMEWORK",
        help="Run the rules of this compliance framework and summarise the scan per control (repeatable; "
        "see: kubecheck frameworks).",
    ),
]
PolicyDirOption = Annotated[
    list[str] | None, typer.Option("--policy-dir", metavar="DIR", help="Add rules from this directory (repeatable).")
]


RuleOption = Annotated[
    list[str] | None, typer.Option("--rule", metavar="RULE", help="Run only this rule (repeatable).")
]
SkipRuleOption = Annotated[
    list[str] | None, typer.Option("--skip-rule", metavar="RULE", help="Do not run this rule (repeatable).")
]
SetOption = Annotated[
    list[str] | None, typer.Option("--set", metavar="KEY=VALUE", help="Set a rule parameter, KEY=VALUE (repeatable).")
]
ConfigOption = Annotated[
    str | None,
    typer.Option(
        "--config",
        metavar="FILE",
        help="Configuration file (default: .kubecheck.yaml in the working directory, if there is one).",
    ),
]


@dataclass(frozen=True)
class Selection:
    """The rule-selection options of the commands that run rules (scan, fix, review, webhook, krm,
    helm-post-render): which packs, frameworks and rules run, with which extra rule folders and parameters."""

    pack: list[str] | None = None
    framework: list[str] | None = None
    rule: list[str] | None = None
    skip_rule: list[str] | None = None
    policy_dir: list[str] | None = None
    set_: list[str] | None = None


def _keyword(name: str, annotation: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)


_SELECTION_PARAMETERS = [
    _keyword(name, annotation)
    for name, annotation in (
        ("pack", PackOption),
        ("framework", FrameworkOption),
        ("rule", RuleOption),
        ("skip_rule", SkipRuleOption),
        ("policy_dir", PolicyDirOption),
        ("set_", SetOption),
    )
]


def selection_options(frameworks: bool) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command the rule-selection options (Selection; --framework only where ``frameworks``),
    declared once here, as its ``selection`` argument."""
    parameters = [p for p in _SELECTION_PARAMETERS if frameworks or p.name != "framework"]
    return lambda command: _grouped(command, "selection", parameters, Selection)


def _version(value: bool) -> None:
    if value:
        from .version import __version__

        typer.echo(f"kubecheck {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Policy-as-code compliance checks for Kubernetes manifests."""


def _fail(message: str) -> NoReturn:
    typer.echo(visible(message, keep="\n"), err=True)
    raise typer.Exit(EXIT_USAGE)


def _threshold(fail_on: str | None, config: Config, default: str = "low") -> Severity:
    """The --fail-on severity, else the configuration's, else the command's default (scan: low; the webhook
    and review: high)."""
    try:
        return Severity.parse(fail_on or config.fail_on or default)
    except ValueError as exc:
        _fail(f"error: --fail-on: {exc}")


def _config(config_file: str | None) -> Config:
    try:
        return load_config(config_file)
    except ConfigError as exc:
        _fail("\n".join(f"error: {message}" for message in exc.messages))


def _plan_options(config: Config, selection: Selection) -> dict[str, list[str]]:
    """plan()'s options: command-line packs, rules and frameworks replace the configuration's selection (all
    three lists: a --rule alone runs that rule, not the file's packs besides); skipped rules, policy
    directories and parameters add to it (a --set wins over the same parameter in the file)."""
    if selection.pack or selection.rule or selection.framework:
        packs, rules = list(selection.pack or ()), list(selection.rule or ())
        frameworks = list(selection.framework or ())
    else:
        packs, rules, frameworks = config.packs, config.rules, config.frameworks
    return {
        "packs": packs,
        "rules": rules,
        "frameworks": frameworks,
        "skip_rules": [*config.skip_rules, *(selection.skip_rule or ())],
        "policy_dirs": [*config.policy_dirs, *(selection.policy_dir or ())],
        "settings": [*config.settings, *(selection.set_ or ())],
    }


def _plan(config: Config, selection: Selection) -> Plan:
    """The run's plan (see _plan_options)."""
    options = _plan_options(config, selection)
    try:
        return plan(**options, controls=config.controls)
    except UsageError as exc:
        _fail(_in_config(exc, config, options["packs"], options["rules"], selection.skip_rule or []))


def _in_config(exc: UsageError, config: Config, packs: list[str], rules: list[str], cli_skips: list[str]) -> str:
    """The error, placed at its line of the configuration file when the mistake is written there."""
    origin = exc.origin
    if config.file is None or origin is None:
        return str(exc)
    if isinstance(origin, ParamError) and origin.index is not None and origin.index < len(config.settings):
        name = config.settings[origin.index].partition("=")[0].strip()
        return f"error: {config.where('params.' + name)}: params: {str(origin).removeprefix('--set ')}"
    if isinstance(origin, SelectionError):
        for key, items in (
            ("packs", packs if packs is config.packs else []),
            ("rules", rules if rules is config.rules else []),
            ("skip-rules", [s for s in config.skip_rules if s not in cli_skips]),
        ):
            if origin.item in items:
                return f"error: {config.where(key)}: {key}: {origin}"
    return str(exc)


@app.command()
@selection_options(frameworks=True)
@input_options
def scan(
    paths: Annotated[
        list[str], typer.Argument(metavar="PATH...", help="Files, directories (recursive) or - for stdin.")
    ],
    output: Annotated[
        list[str] | None,
        typer.Option(
            "--output",
            "-o",
            help=f"Report format ({', '.join(FORMATS)}), to standard output; FORMAT=PATH writes it to a file "
            "(repeatable: -o text -o html=report.html). Default: text.",
            metavar="FORMAT[=PATH]",
            callback=_output_formats,
        ),
    ] = None,
    selection: Selection = Selection(),
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            metavar="SEVERITY",
            help="Lowest severity that fails the run (critical, high, medium, low; info never fails). Default: low.",
        ),
    ] = None,
    config_file: ConfigOption = None,
    color: Annotated[Color, typer.Option("--color", help="Colour in text output.")] = Color.auto,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show paths, fixes and notes.")] = False,
    show_suppressed: Annotated[
        bool, typer.Option("--show-suppressed", help="List suppressed findings with their reasons (text and json).")
    ] = False,
    include_hidden: Annotated[
        bool,
        typer.Option(
            "--include-hidden", help="Also walk hidden files and folders (.github, ...) below named directories."
        ),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar and no messages on stderr besides errors.")
    ] = False,
    min_severity: Annotated[
        str | None,
        typer.Option(
            "--min-severity",
            metavar="SEVERITY",
            help="Show only findings at or above this severity (critical, high, medium, low, info).",
        ),
    ] = None,
    baseline_file: Annotated[
        str | None,
        typer.Option(
            "--baseline",
            metavar="FILE",
            help="Report only findings not recorded in this baseline, and count its entries that no longer occur.",
        ),
    ] = None,
    write_baseline: Annotated[
        str | None,
        typer.Option(
            "--write-baseline",
            metavar="FILE",
            help="Record the findings of this scan in FILE (without line numbers) and exit 0 unless inputs failed.",
        ),
    ] = None,
    inputs: InputArgs = InputArgs(),
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            metavar="N",
            help=(
                "Processes checking inputs: this one and N-1 forked workers (default: one per core); the output is "
                "the same for any N."
            ),
        ),
    ] = None,
    cache: Annotated[
        str | None,
        typer.Option(
            "--cache",
            metavar="DIR",
            help="Keep each input's results in DIR; unchanged inputs are not checked again (same output).",
        ),
    ] = None,
) -> None:
    """Check manifests against the selected rules; Helm charts and kustomize overlays are rendered first."""
    config = _config(config_file)
    threshold = _threshold(fail_on, config)
    try:
        shown_from = Severity.parse(min_severity) if min_severity else Severity.INFO
    except ValueError as exc:
        _fail(f"error: --min-severity: {exc}")
    outputs = [parse_output(value) for value in output or ["text"]]
    mistake = check_outputs(outputs)
    if mistake is not None:
        _fail(f"error: --output: {mistake}")
    chosen = _plan(config, selection)
    recorded = _read_baseline(baseline_file) if baseline_file else None
    rendering = _render_options(inputs, config)
    include = include_hidden or config.include_hidden
    with ScanProgress(sys.stderr, sys.stderr.isatty() and not quiet) as progress:
        try:
            reading, checking = progress.reading, progress.checking
            cache_dir = cache or config.cache
            report = streamed_scan(chosen, paths, include, reading, checking, rendering, jobs, cache=cache_dir)
        except CacheError as exc:
            _fail(f"error: {exc}")
    _warn(report.warnings, quiet)
    if write_baseline:
        _write_baseline(write_baseline, report, quiet)
    if recorded is not None and baseline_file:
        _apply_baseline(report, recorded, baseline_file, quiet)
    if shown_from > Severity.INFO:  # what is not shown does not fail the run either
        findings = report.findings
        if isinstance(findings, SpilledFindings):  # still on disk: read one at a time
            report.findings = findings.where(lambda finding: finding.severity >= shown_from)
        else:
            report.findings = [finding for finding in findings if finding.severity >= shown_from]
    text_out = any(o.format == "text" and o.path is None for o in outputs)
    use_color = color == Color.always or (  # NO_COLOR counts when set and not empty (no-color.org)
        color == Color.auto and sys.stdout.isatty() and not os.environ.get("NO_COLOR") and text_out
    )
    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    options = RenderOptions(color=use_color, verbose=verbose, show_suppressed=show_suppressed, width=width)
    written = write_report(report, outputs, options, sys.stdout, sys.stderr)
    if write_baseline and written and not report.errors:
        raise typer.Exit(EXIT_OK)
    raise typer.Exit(exit_code(report, threshold) if written else EXIT_USAGE)


def _warn(warnings: list[str], quiet: bool = False) -> None:
    """Say on stderr what the run left out although it was named (an excluded path), unless --quiet."""
    if not quiet:
        for warning in warnings:
            typer.echo(visible(f"warning: {warning}"), err=True)


def _read_baseline(path: str) -> Counter[str]:
    try:
        return baseline.read(path)
    except baseline.BaselineError as exc:
        _fail(f"error: {exc}")


def _write_baseline(path: str, report: Report, quiet: bool) -> None:
    try:
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(baseline.render(report.findings))
    except OSError as exc:
        _fail(f"error: cannot write the baseline {path}: {exc.strerror or exc}")
    if not quiet:
        typer.echo(f"kubecheck: baseline of {counted(len(report.findings), 'finding')} written to {path}", err=True)


def _apply_baseline(report: Report, recorded: Counter[str], path: str, quiet: bool) -> None:
    """Keep only the findings the baseline does not record; say how many it hid and how many of its entries
    no longer occur (fixed, or moved to another object or file)."""
    comparison = baseline.compare(report.findings, recorded)
    report.findings = comparison.new
    line = (
        f"baseline {path}: {counted(len(comparison.known), 'known finding')} not shown; "
        f"{counted(comparison.gone, 'entry', 'entries')} no longer "
        f"{'occurs' if comparison.gone == 1 else 'occur'}"
    )
    report.notes.append(line)
    if not quiet:
        typer.echo(f"kubecheck: {line}", err=True)


FailOnOption = Annotated[
    str | None,
    typer.Option("--fail-on", help="Lowest severity that fails (critical, high, medium, low). Default: low."),
]


@app.command("helm-post-render")
@selection_options(frameworks=True)
def helm_post_render_command(
    selection: Selection = Selection(),
    fail_on: FailOnOption = None,
    config_file: ConfigOption = None,
    exclude: ExcludeOption = None,
) -> None:
    """A Helm post-renderer: rendered manifests on stdin go to stdout unchanged when they pass; otherwise the
    findings go to stderr and the exit code stops the release (helm install --post-renderer kubecheck
    --post-renderer-args helm-post-render)."""
    from .commands.post_render import post_render

    config = _config(config_file)
    threshold = _threshold(fail_on, config)
    chosen = _plan(config, selection)
    excludes = _render_options(InputArgs(exclude=exclude), config).excludes
    outcome = post_render(chosen, sys.stdin.read(), threshold, excludes)
    sys.stdout.write(outcome.stdout)
    sys.stderr.write(outcome.stderr)
    raise typer.Exit(outcome.code)


@app.command("krm")
@selection_options(frameworks=True)
def krm_command(
    selection: Selection = Selection(),
    fail_on: FailOnOption = None,
    config_file: ConfigOption = None,
) -> None:
    """A KRM function validator: a config.kubernetes.io/v1 ResourceList on stdin is written back with results,
    one per finding; the exit code fails on findings at or above --fail-on."""
    from .commands.krm import krm

    config = _config(config_file)
    threshold = _threshold(fail_on, config)
    chosen = _plan(config, selection)
    outcome = krm(chosen, sys.stdin.read(), threshold)
    sys.stdout.write(outcome.stdout)
    raise typer.Exit(outcome.code)


@app.command("explain")
@input_options
def explain_command(
    paths: Annotated[list[str], typer.Argument(metavar="PATH...", help="A file, a directory or - for stdin.")],
    rule: Annotated[str, typer.Option("--rule", metavar="RULE", help="The rule to explain.")],
    container: Annotated[str | None, typer.Option("--container", metavar="NAME", help="Only this container.")] = None,
    policy_dir: PolicyDirOption = None,
    set_: SetOption = None,
    config_file: ConfigOption = None,
    inputs: InputArgs = InputArgs(),
) -> None:
    """Show, per target, the facts a rule saw and the clause that passed or failed."""
    from .commands.explain import explain

    config = _config(config_file)
    chosen = _plan(config, Selection(rule=[rule], policy_dir=policy_dir, set_=set_))
    text, errors = explain(chosen, paths, container, _render_options(inputs, config), config.include_hidden)
    sys.stdout.write(visible(text, keep="\n"))
    raise typer.Exit(EXIT_USAGE if errors else EXIT_OK)


@app.command("fix")
@selection_options(frameworks=False)
@input_options
def fix_command(
    paths: Annotated[
        list[str],
        typer.Argument(metavar="PATH...", help="Files, directories or - (stdin: the fixed text goes to stdout)."),
    ],
    write: Annotated[bool, typer.Option("--write", help="Rewrite the files (default: print a unified diff).")] = False,
    to_stdout: Annotated[
        bool, typer.Option("--stdout", help="Print the fixed manifests (every input, fixed or not) instead of a diff.")
    ] = False,
    as_diff: Annotated[bool, typer.Option("--diff", help="Print a unified diff (the default, except for -).")] = False,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 when the fixes would change a file (for CI).")] = False,
    selection: Selection = Selection(),
    config_file: ConfigOption = None,
    inputs: InputArgs = InputArgs(),
) -> None:
    """Apply the rules' automatic fixes to the findings, keeping everything else; print a diff, the fixed
    manifests (--stdout) or --write. Exit 2 on input errors or files that could not be fixed safely."""
    from .commands.fix import fix, joined_outputs, write_fixes

    if write + to_stdout + as_diff > 1:
        _fail("error: choose one of --write, --stdout and --diff")
    if write and "-" in paths:
        _fail("error: --write cannot rewrite stdin; use --stdout (the default for -) or --diff")
    config = _config(config_file)
    chosen = _plan(config, selection)
    to_stdout = to_stdout or (paths == ["-"] and not write and not as_diff)
    result = fix(chosen, paths, config.include_hidden, _render_options(inputs, config))
    failed = write_fixes(result) if write else []
    if to_stdout:
        sys.stdout.write(joined_outputs(result.outputs))
    elif not write:
        for file_fix in result.files:
            sys.stdout.write(file_fix.diff())
    for note in result.notes:
        typer.echo(visible(note), err=True)
    write_errors([*result.errors, *result.refused, *failed], sys.stderr)
    fixed = len(result.files) - len(failed)
    made = result.edits - sum(f.edits for f in result.files if f.name in {e.file for e in failed})
    summary = (
        f"kubecheck fix: {counted(made, 'edit')} made in {counted(fixed, 'file')}"
        if write
        else f"kubecheck fix: {counted(result.edits, 'edit')} proposed in {counted(len(result.files), 'file')}"
    )
    summary += f"; {counted(result.without_fix, 'finding')} without an automatic fix"
    if result.refused or failed:
        summary += f"; {counted(len(result.refused) + len(failed), 'file')} not fixed (errors above)"
    typer.echo(summary, err=True)
    if result.errors or result.refused or failed:
        raise typer.Exit(EXIT_USAGE)
    raise typer.Exit(EXIT_FINDINGS if check and result.files else EXIT_OK)


class OnTimeout(StrEnum):
    deny = "deny"
    allow = "allow"


@app.command("webhook")
@selection_options(frameworks=False)
def webhook_command(
    tls_cert: Annotated[
        str | None, typer.Option("--tls-cert", metavar="FILE", help="PEM certificate (with its chain).")
    ] = None,
    tls_key: Annotated[str | None, typer.Option("--tls-key", metavar="FILE", help="PEM private key.")] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Serve plain HTTP (tests, or behind a TLS proxy).")
    ] = False,
    host: Annotated[
        str | None,
        typer.Option(
            "--host",
            metavar="ADDRESS",
            help="Address or name to listen on. Default: every address, IPv6 and IPv4 where the node has IPv6, "
            "IPv4 alone where it does not.",
            show_default=False,
        ),
    ] = None,
    port: Annotated[int, typer.Option("--port", metavar="PORT", help="Port to listen on.")] = 8443,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", help="Review worker processes. Default: one more than the CPUs available.", show_default=False
        ),
    ] = None,
    review_timeout: Annotated[
        float,
        typer.Option("--review-timeout", help="Seconds per review; keep it below the webhook's timeoutSeconds."),
    ] = 3.0,
    on_timeout: Annotated[
        OnTimeout, typer.Option("--on-timeout", help="The answer to a review that runs out of time.")
    ] = OnTimeout.deny,
    max_connections: Annotated[
        int, typer.Option("--max-connections", help="Open connections at most; requests beyond get a 503.")
    ] = 4096,
    keep_alive_timeout: Annotated[
        int, typer.Option("--keep-alive-timeout", help="Seconds an idle keep-alive connection stays open.")
    ] = 120,
    tls_reload_interval: Annotated[
        float, typer.Option("--tls-reload-interval", help="Seconds between checks of the certificate files.")
    ] = 5.0,
    client_timeout: Annotated[
        float,
        typer.Option("--client-timeout", help="Seconds a client has to send a request's headers, then its body."),
    ] = 10.0,
    selection: Selection = Selection(),
    fail_on: Annotated[
        str | None,
        typer.Option("--fail-on", metavar="SEVERITY", help="Lowest severity that denies a request. Default: high."),
    ] = None,
    warn_only: Annotated[bool, typer.Option("--warn-only", help="Never deny; return findings as warnings.")] = False,
    config_file: ConfigOption = None,
) -> None:
    """Serve a validating admission webhook that checks each request's object with the selected rules."""
    try:
        from .commands.webhook import server
        from .commands.webhook.pool import WorkerSetup, default_workers
        from .commands.webhook.tls import CertificateError
    except ImportError as exc:
        _fail(f"error: the webhook needs {exc.name}, which is not installed: pip install 'kubecheck[webhook]'")
    if not insecure and not (tls_cert and tls_key):
        _fail("error: the API server calls webhooks over HTTPS: give --tls-cert and --tls-key (or --insecure)")
    if not 0 < review_timeout < 30:
        _fail("error: --review-timeout must be more than 0 and below 30 seconds (the longest webhook timeoutSeconds)")
    for name, value in (
        ("--workers", workers or 1),
        ("--max-connections", max_connections),
        ("--keep-alive-timeout", keep_alive_timeout),
        ("--tls-reload-interval", tls_reload_interval),
        ("--client-timeout", client_timeout),
    ):
        if value <= 0:
            _fail(f"error: {name} must be more than 0")
    config = _config(config_file)
    threshold = _threshold(fail_on, config, "high")
    options = _plan_options(config, selection)
    chosen = _plan(config, selection)
    cert, key = (None, None) if insecure else (tls_cert, tls_key)
    try:
        context = server.tls_context(cert, key) if cert and key else None
        sockets, shown = server.listen_sockets(host, port)
    except (CertificateError, server.ServeError) as exc:
        _fail(f"error: {exc}")
    serve_options = server.ServeOptions(
        setup=WorkerSetup(**options, fail_on=threshold.label, warn_only=warn_only, config_file=config.file),
        rules=len(chosen.rules),
        host=host,
        port=port,
        cert=cert,
        key=key,
        workers=workers or default_workers(),
        budget=review_timeout,
        allow_on_timeout=on_timeout == OnTimeout.allow,
        max_connections=max_connections,
        keep_alive=keep_alive_timeout,
        reload_interval=tls_reload_interval,
        client_timeout=client_timeout,
    )
    try:
        server.serve(serve_options, context, sockets, shown)
    except server.ServeError as exc:
        _fail(f"error: {exc}")


@app.command("review")
@selection_options(frameworks=False)
def review_command(
    path: Annotated[str, typer.Argument(help="An AdmissionReview request (JSON or YAML), or - for stdin.")] = "-",
    selection: Selection = Selection(),
    fail_on: Annotated[
        str | None, typer.Option("--fail-on", help="Lowest severity that denies a request. Default: high.")
    ] = None,
    warn_only: Annotated[bool, typer.Option("--warn-only", help="Never deny; return findings as warnings.")] = False,
    config_file: ConfigOption = None,
) -> None:
    """Print the AdmissionReview response the webhook would send for a request (exit 1 when it denies)."""
    from .commands.admission import ReviewSettings, review
    from .commands.review import request_body

    config = _config(config_file)
    threshold = _threshold(fail_on, config, "high")
    chosen = _plan(config, selection)
    body = request_body(path)
    if isinstance(body, str):
        _fail(body)
    outcome = review(ReviewSettings(chosen, threshold, warn_only), body)
    if outcome.status != 200:
        name = "<stdin>" if path == "-" else path
        _fail(f"{name}: error: the webhook would answer HTTP {outcome.status}: {outcome.reason}")
    typer.echo(json.dumps(outcome.body, indent=2, ensure_ascii=False))
    raise typer.Exit(EXIT_OK if outcome.body["response"]["allowed"] else EXIT_FINDINGS)


@rules_app.callback(invoke_without_command=True)
def rules_list(
    ctx: typer.Context,
    pack: PackOption = None,
    policy_dir: PolicyDirOption = None,
) -> None:
    """List rules: id, severity, packs and title."""
    if ctx.invoked_subcommand is not None:
        return
    catalog = _catalog(policy_dir)
    wanted = set(pack or ())
    unknown = wanted - set(all_packs(catalog))
    if unknown:
        name = sorted(unknown)[0]
        known = all_packs(catalog)
        _fail(f"error: unknown pack '{name}'{did_you_mean(name, known)} (packs: {', '.join(known)})")
    rows = [r for r in catalog.rules.values() if not wanted or wanted & set(r.packs)]
    for line in rule_table(rows):
        typer.echo(line)
    config = _config(None)
    selected = ", ".join([*config.packs, *config.rules])
    typer.echo(
        f"\n{counted(len(rows), 'rule')}; default packs: {', '.join(DEFAULT_PACKS)}"
        + (f"; {config.file} selects: {selected}" if selected else "")
    )


@rules_app.command("test")
def rules_test(
    rule_ids: Annotated[
        list[str] | None, typer.Argument(metavar="[RULE]...", help="Rule ids (default: every rule).")
    ] = None,
    policy_dir: PolicyDirOption = None,
    set_: SetOption = None,
) -> None:
    """Run the examples written in rule files: pass examples must get no finding, fail examples one."""
    from .commands.rules import run_examples

    catalog = _catalog(policy_dir)
    unknown = [r for r in rule_ids or () if r not in catalog.rules]
    if unknown:
        _fail(f"error: unknown rule '{unknown[0]}'{did_you_mean(unknown[0], catalog.rules)} (see: kubecheck rules)")
    config = _config(None)
    try:
        outcomes = run_examples(
            rule_ids or list(catalog.rules),
            [*config.policy_dirs, *(policy_dir or ())],
            [*config.settings, *(set_ or ())],
        )
    except UsageError as exc:
        _fail(str(exc))
    failed = [o for o in outcomes if not o.ok]
    for outcome in failed:
        typer.echo(f"FAIL {outcome.rule}: {outcome.verdict} example {outcome.index + 1}: {outcome.detail}")
    rules = len({o.rule for o in outcomes})
    typer.echo(
        f"{counted(len(outcomes), 'example')} of {counted(rules, 'rule')}: "
        + (f"{len(failed)} failed" if failed else "all as expected")
    )
    raise typer.Exit(EXIT_FINDINGS if failed else EXIT_OK)


@rules_app.command("show")
def rules_show(
    rule_id: Annotated[str, typer.Argument(metavar="RULE", help="The rule id.")],
    policy_dir: PolicyDirOption = None,
) -> None:
    """Print one rule's description, remediation and references."""
    catalog = _catalog(policy_dir)
    rule = catalog.rules.get(rule_id)
    if rule is None:
        _fail(f"error: unknown rule '{rule_id}'{did_you_mean(rule_id, catalog.rules)} (see: kubecheck rules)")
    typer.echo(rule_page(rule))


@frameworks_app.callback(invoke_without_command=True)
def frameworks_list(ctx: typer.Context) -> None:
    """List the frameworks: id, version, controls judged by rules and manual ones, title."""
    if ctx.invoked_subcommand is not None:
        return
    from .commands.frameworks import framework_table

    for line in framework_table(list(_frameworks().values())):
        typer.echo(line)
    typer.echo("\nkubecheck frameworks show ID: the controls and their rules; kubecheck scan PATH --framework ID")


@frameworks_app.command("show")
def frameworks_show(
    framework_id: Annotated[str, typer.Argument(metavar="FRAMEWORK", help="The framework id.")],
) -> None:
    """Print a framework's controls, the rules that judge each, and what is left to judge by hand."""
    from .commands.frameworks import framework_page

    frameworks = _frameworks()
    framework = frameworks.get(framework_id)
    if framework is None:
        hint = did_you_mean(framework_id, frameworks)
        _fail(f"error: unknown framework '{framework_id}'{hint} (frameworks: {', '.join(sorted(frameworks))})")
    typer.echo(framework_page(framework, _catalog(None).rules))


def _frameworks() -> dict[str, Framework]:
    frameworks, errors = load_frameworks(_catalog(None))
    if errors:
        _fail("\n".join(f"error: {e}" for e in errors))
    return frameworks


def _catalog(policy_dir: list[str] | None) -> Catalog:
    catalog = load_catalog([*_config(None).policy_dirs, *(policy_dir or ())])
    if catalog.errors:
        _fail("\n".join(f"error: {e}" for e in catalog.errors))
    return catalog


PLUGIN_NAME = "kubectl-kubecheck"  # the console script kubectl runs as `kubectl kubecheck`


def main() -> None:
    """The console scripts; as the kubectl plugin, usage and errors name the command `kubectl kubecheck`."""
    invoked_as = os.path.basename(sys.argv[0]) if sys.argv else ""
    app(prog_name="kubectl kubecheck" if invoked_as == PLUGIN_NAME else "kubecheck")


if __name__ == "__main__":
    main()
