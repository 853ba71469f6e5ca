"""The templates of a rule file checked as a whole: its ``phrases:`` section read, and the message, the
condition notes and the phrases checked against the phrases and the records of the facts the rule reads.
"""

from __future__ import annotations

from typing import Any

from ..facts import FACTS
from ..inputs.paths import Path
from .conditions import RuleMistake
from .model import Rule
from .params import Params
from .templates import (
    NAME,
    PHRASE,
    RECORD,
    Phrase,
    phrase_cycle,
    phrases_named,
    placeholder_mistake,
    show_value,
    template_mistake,
)

PHRASE_KEYS = ("by", "cases", "default")


def check_templates(rule: Rule, params: Params) -> None:
    """Raise a RuleMistake at the first template of the rule that names what does not exist."""
    records = records_of(rule)
    templates = [(("message",), "message", rule.message), *_notes(rule)]
    for where, label, template in templates:
        mistake = template_mistake(template, params, rule.phrases, records)
        if mistake is not None:
            raise RuleMistake(where, f"{label}: {mistake}")
    _check_phrases(rule.phrases, params, records, [template for _, _, template in templates])


def records_of(rule: Rule) -> dict[str, tuple[str, ...] | None]:
    """The record keys of the facts a rule reads (in when, assert and fix), each with the values it takes
    (None: any value): what its templates may name as {record.KEY}."""
    keys: dict[str, tuple[str, ...] | None] = {}
    specs = [rule.when_spec, rule.assert_spec, *(operation.get("unless") for operation in rule.fix)]
    for name in sorted({name for spec in specs for name in _facts_read(spec)}):
        for key, values in FACTS[name].record.items():
            if key not in keys:
                keys[key] = values
            else:
                known = keys[key]
                keys[key] = None if known is None or values is None else tuple(dict.fromkeys((*known, *values)))
    return keys


def _facts_read(spec: Any) -> list[str]:
    if isinstance(spec, dict):
        named = [spec["fact"]] if isinstance(spec.get("fact"), str) and spec["fact"] in FACTS else []
        return named + [name for value in spec.values() for name in _facts_read(value)]
    if isinstance(spec, list):
        return [name for item in spec for name in _facts_read(item)]
    return []


def _notes(rule: Rule) -> list[tuple[Path, str, str]]:
    """The notes written in a rule's conditions: (where, "note", text)."""
    found: list[tuple[Path, str, str]] = []

    def walk(spec: Any, where: Path) -> None:
        if isinstance(spec, dict):
            if isinstance(spec.get("note"), str):
                found.append(((*where, "note"), "note", spec["note"]))
            for key, value in spec.items():
                walk(value, (*where, key))
        elif isinstance(spec, list):
            for index, item in enumerate(spec):
                walk(item, (*where, index))

    walk(rule.when_spec, ("when",))
    walk(rule.assert_spec, ("assert",))
    for index, operation in enumerate(rule.fix):
        walk(operation.get("unless"), ("fix", index, "unless"))
    return found


def _check_phrases(
    phrases: dict[str, Phrase], params: Params, records: dict[str, tuple[str, ...] | None], templates: list[str]
) -> None:
    """Each phrase picks by a placeholder that exists, its texts name only what exists, its cases are
    values that placeholder takes (a record key's values are known: the cases and default cover them all),
    no phrase names itself through others, and each is used by the message, a note or another phrase."""
    for name, phrase in phrases.items():
        where: Path = ("phrases", name)
        if phrase.by is not None:
            if phrase.by.startswith(PHRASE):
                raise RuleMistake((*where, "by"), "by names the placeholder whose value picks the case, not a phrase")
            mistake = placeholder_mistake(phrase.by, params, phrases, records)
            if mistake is not None:
                raise RuleMistake((*where, "by"), f"by: {mistake}")
        for key, text in phrase.cases.items():
            mistake = template_mistake(text, params, phrases, records)
            if mistake is not None:
                raise RuleMistake((*where, "cases", key), f"phrase {name}: {mistake}")
        if phrase.default is not None:
            mistake = template_mistake(phrase.default, params, phrases, records)
            if mistake is not None:
                raise RuleMistake((*where, "default") if phrase.by else where, f"phrase {name}: {mistake}")
        values = records.get(phrase.by[len(RECORD) :]) if phrase.by and phrase.by.startswith(RECORD) else None
        if values is not None:
            unknown = [key for key in phrase.cases if key not in values]
            if unknown:
                raise RuleMistake(
                    (*where, "cases", unknown[0]),
                    f"phrase {name}: {phrase.by} is never '{unknown[0]}' (its values: {', '.join(values)})",
                )
            uncovered = [value for value in values if value not in phrase.cases]
            if uncovered and phrase.default is None:
                raise RuleMistake(
                    (*where, "cases"),
                    f"phrase {name}: no case for {phrase.by} {', '.join(uncovered)}, and no default",
                )
    cycle = phrase_cycle(phrases)
    if cycle is not None:
        raise RuleMistake(("phrases", cycle[0]), f"phrases name each other in a circle: {' -> '.join(cycle)}")
    used = {named for template in templates for named in phrases_named(template)}
    used |= {named for phrase in phrases.values() for text in phrase.texts for named in phrases_named(text)}
    for name in phrases:
        if name not in used:
            raise RuleMistake(
                ("phrases", name), f"phrase {name} is not used: name it as {{phrase.{name}}} in the message or a note"
            )


def read_phrases(declared: Any) -> dict[str, Phrase]:
    """The phrases: section: NAME: TEXT, or NAME: {by: PLACEHOLDER, cases: {VALUE: TEXT}, default: TEXT}."""
    if declared is None:
        return {}
    if not isinstance(declared, dict):
        raise RuleMistake(("phrases",), "phrases maps names to a text or to {by: PLACEHOLDER, cases: {...}}")
    phrases: dict[str, Phrase] = {}
    for name, spec in declared.items():
        where: Path = ("phrases", name)
        if not isinstance(name, str) or not NAME.match(name):
            raise RuleMistake(where, "a phrase name is letters, digits, _ and -, starting with a letter")
        if isinstance(spec, str):
            phrases[name] = Phrase(None, {}, spec)
            continue
        if not isinstance(spec, dict) or set(spec) - set(PHRASE_KEYS) or not {"by", "cases"} <= set(spec):
            raise RuleMistake(
                where, "a phrase is a text, or {by: PLACEHOLDER, cases: {VALUE: text, ...}, default: text}"
            )
        by = spec["by"]
        if not isinstance(by, str) or not by or "{" in by or "}" in by:
            raise RuleMistake((*where, "by"), "by names a placeholder without braces, e.g. by: record.standing")
        cases = spec["cases"]
        if not isinstance(cases, dict) or not cases:
            raise RuleMistake((*where, "cases"), "cases maps values of the by placeholder to texts")
        texts: dict[str, str] = {}
        for key, text in cases.items():
            if not isinstance(key, str | int | bool):
                raise RuleMistake((*where, "cases"), f"a case is a string, a number or true/false, not {key!r}")
            if not isinstance(text, str):
                raise RuleMistake((*where, "cases", key), "a case's text is a string")
            if show_value(key) in texts:
                raise RuleMistake((*where, "cases", key), f"case {show_value(key)} is named twice")
            texts[show_value(key)] = text
        default = spec.get("default")
        if "default" in spec and not isinstance(default, str):
            raise RuleMistake((*where, "default"), "default is a text")
        phrases[name] = Phrase(by, texts, default)
    return phrases
