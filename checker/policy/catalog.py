"""Choose the rules of a run (packs, --rule, --skip-rule, version ranges, overrides) and compile each once
with the run's parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..suggest import did_you_mean
from .conditions import CompileEnv, compile_condition
from .loader import Catalog, resolve_data
from .model import CompiledRule, Rule
from .params import Params, format_version, parse_version

DEFAULT_PACKS = ("network-hardening", "pss-baseline")


class SelectionError(ValueError):
    """An unknown pack or rule id, or a named rule outside its version range; ``item`` names it."""

    def __init__(self, message: str, item: str) -> None:
        super().__init__(message)
        self.item = item


@dataclass
class Selection:
    packs: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    framework_rules: tuple[str, ...] = ()  # the rules of --framework: selected like a pack's


def all_packs(catalog: Catalog) -> list[str]:
    return sorted({pack for rule in catalog.rules.values() for pack in rule.packs})


def select_rules(catalog: Catalog, selection: Selection, params: Params) -> list[Rule]:
    """The rules to run, in id order. Without --pack, --rule or --framework: the default packs plus every rule
    from --policy-dir. A framework's rules are selected as a pack's are. A rule outside its version range is
    left out, as is a rule another selected rule overrides."""
    known_packs = set(all_packs(catalog))
    for pack in selection.packs:
        if pack not in known_packs:
            hint = did_you_mean(pack, known_packs)
            raise SelectionError(f"unknown pack '{pack}'{hint} (packs: {', '.join(sorted(known_packs))})", pack)
    for rule_id in (*selection.rules, *selection.skip):
        if rule_id not in catalog.rules:
            hint = did_you_mean(rule_id, catalog.rules)
            raise SelectionError(f"unknown rule '{rule_id}'{hint} (see: kubecheck rules)", rule_id)
    grouped = [r for r in catalog.rules.values() if set(r.packs) & set(selection.packs)]
    grouped += [catalog.rules[r] for r in selection.framework_rules]
    if selection.rules:
        chosen = [catalog.rules[r] for r in selection.rules] + grouped
    elif selection.packs or selection.framework_rules:
        chosen = grouped
    else:
        chosen = [r for r in catalog.rules.values() if set(r.packs) & set(DEFAULT_PACKS) or r.id in catalog.user_rules]
    unique = {r.id: r for r in chosen if r.id not in selection.skip}
    active = {rule_id: rule for rule_id, rule in unique.items() if in_version_range(rule, params)}
    for rule_id in selection.rules:
        if rule_id in unique and rule_id not in active:
            rule = unique[rule_id]
            versions = rule.versions or {}
            span = " ".join(f"{bound} {versions[bound]}" for bound in ("since", "until") if bound in versions)
            raise SelectionError(
                f"rule '{rule_id}' applies to {versions.get('param')} {span}, not "
                f"{format_version(params.get(versions['param']))}",
                rule_id,
            )
    overridden = {target for rule in active.values() for target in rule.overrides}
    return [active[r] for r in sorted(active) if r not in overridden]


def in_version_range(rule: Rule, params: Params) -> bool:
    if rule.versions is None:
        return True
    version = params.get(rule.versions["param"])
    since, until = rule.versions.get("since"), rule.versions.get("until")
    if since is not None and version < parse_version(since):
        return False
    return not (until is not None and version >= parse_version(until))


def compile_rules(rules: list[Rule], params: Params) -> list[CompiledRule]:
    compiled = []
    for rule in rules:
        env = CompileEnv(rule.scope, params, {**params.data, **resolve_data(rule.data, params)})
        when = compile_condition(rule.when_spec, ("when",), env) if rule.when_spec is not None else None
        unless = tuple(
            compile_condition(op["unless"], ("fix", i, "unless"), env) if "unless" in op else None
            for i, op in enumerate(rule.fix)
        )
        compiled.append(CompiledRule(rule, when, compile_condition(rule.assert_spec, ("assert",), env), unless))
    return compiled
