"""Compile rule conditions (all/any/not over operators on paths, facts and parameters) into closures.

A compiled condition returns (holds, witnesses): the matches that explain the verdict, which become
the locations and messages of findings. Parameter-only conditions fold to constants at compile time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from jsonpath_ng import Child, Fields, Index, Wildcard
from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
from jsonpath_ng.ext import parse as parse_jsonpath
from jsonpath_ng.lexer import JsonPathLexer

from ..facts import FACTS
from ..facts.scope import Match, Scope
from ..inputs.paths import Path
from .operators import OPERATORS, ArgumentError, build_test
from .params import Params
from .relations import RelationMistake, compile_related, compile_scan_holds
from .templates import template_mistake

Result = tuple[bool, list[Match]]
Condition = Callable[[Scope], Result]
Verdict = Callable[[Scope], bool]
Resolver = Callable[[Scope], list[Match]]
Values = Callable[[Scope], list[Any]]
Missing = Callable[[Scope], Match]

SUBJECT_KEYS = ("path", "pod", "resource", "fact", "param", "self", "related", "scan_holds")
COMBINATORS = ("all", "any", "not", "each")
EACH_KEYS = ("each", "where", "holds")
ANNOTATIONS = ("note", "locate")
LEAF_OPTIONS = ("match", "ignore_case", *ANNOTATIONS)
SCOPE_ORDER = {"resource": 0, "namespace": 0, "pod": 1, "container": 2}


class RuleMistake(ValueError):
    """A mistake in a policy file; ``where`` is the path of the offending node, which gives its line."""

    def __init__(self, where: Path, message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message


@dataclass
class CompileEnv:
    """What compilation needs: the rule's scope, the run's parameters and the rule's data lists."""

    scope: str
    params: Params
    data: dict[str, Any]
    in_each: bool = False  # compiling the where/holds of an each: self may be used


def compile_condition(spec: Any, where: Path, env: CompileEnv) -> Condition:
    if not isinstance(spec, dict) or not spec:
        raise RuleMistake(where, "a condition must be a non-empty mapping")
    options = {k: spec[k] for k in ANNOTATIONS if k in spec}
    if options and any(k in spec for k in COMBINATORS):
        body = {k: v for k, v in spec.items() if k not in ANNOTATIONS}
        return _annotate(compile_condition(body, where, env), options, where, env.params)
    if "each" in spec:
        return _compile_each(spec, where, env)
    combinator_keys = [k for k in spec if k in COMBINATORS]
    if combinator_keys:
        if len(spec) != 1:
            raise RuleMistake(where, f"'{combinator_keys[0]}' must be the only key of its condition")
        key = combinator_keys[0]
        inner = spec[key]
        if key == "not":
            return _not(compile_condition(inner, (*where, "not"), env))
        if not isinstance(inner, list) or not inner:
            raise RuleMistake((*where, key), f"'{key}' takes a non-empty list of conditions")
        parts = [compile_condition(c, (*where, key, i), env) for i, c in enumerate(inner)]
        return _combine(parts, every=key == "all")
    return _compile_leaf(spec, where, env)


# --- combinators -------------------------------------------------------------------------------------


def _constant(value: bool) -> Condition:
    result: Result = (value, [])

    def constant(scope: Scope) -> Result:
        return result

    def constant_verdict(scope: Scope) -> bool:
        return value

    constant.constant = value  # type: ignore[attr-defined]
    return _with_verdict(constant, constant_verdict)


def _const_value(condition: Condition) -> bool | None:
    return getattr(condition, "constant", None)


def verdict_of(condition: Condition) -> Verdict:
    """Whether a compiled condition holds, without its witnesses: the same verdict as ``condition(scope)[0]``,
    found without building the matches that explain it (and stopping at the first part that decides). The
    engine asks this first: most rules hold on most objects, and their witnesses would be thrown away."""
    found: Verdict | None = getattr(condition, "verdict", None)
    if found is not None:
        return found

    def verdict(scope: Scope) -> bool:
        return condition(scope)[0]

    return verdict


def _with_verdict(condition: Condition, verdict: Verdict) -> Condition:
    condition.verdict = verdict  # type: ignore[attr-defined]
    return condition


def _not(inner: Condition) -> Condition:
    folded = _const_value(inner)
    if folded is not None:
        return _constant(not folded)

    def negate(scope: Scope) -> Result:
        holds, witnesses = inner(scope)
        return not holds, witnesses

    inner_verdict = verdict_of(inner)

    def negated_verdict(scope: Scope) -> bool:
        return not inner_verdict(scope)

    return _with_verdict(negate, negated_verdict)


def _combine(parts: list[Condition], every: bool) -> Condition:
    """all (every=True) or any. Every part is evaluated, so that the verdict carries all the witnesses
    that decided it (report: each shows them all): the passing parts' when it holds, else the failing."""
    if any(_const_value(p) is (not every) for p in parts):
        return _constant(not every)  # a constant that decides: false in all, true in any
    parts = [p for p in parts if _const_value(p) is None]
    if not parts:
        return _constant(every)
    if len(parts) == 1:
        return parts[0]

    def combined(scope: Scope) -> Result:
        passed: list[Match] = []
        failed: list[Match] = []
        verdicts = []
        for part in parts:
            part_holds, found = part(scope)
            verdicts.append(part_holds)
            (passed if part_holds else failed).extend(found)
        holds = all(verdicts) if every else any(verdicts)
        return (True, passed) if holds else (False, failed)

    verdicts = [verdict_of(part) for part in parts]

    def all_verdict(scope: Scope) -> bool:
        return all(verdict(scope) for verdict in verdicts)

    def any_verdict(scope: Scope) -> bool:
        return any(verdict(scope) for verdict in verdicts)

    return _with_verdict(combined, all_verdict if every else any_verdict)


def _compile_each(spec: dict[str, Any], where: Path, env: CompileEnv) -> Condition:
    """``{each: SUBJECT, where: COND, holds: COND}``: COND must hold for every element the subject yields
    (and that passes ``where``); inside, ``path:`` is relative to the element and ``self: value|key``
    reads the element itself or the key it sits at."""
    unknown = [k for k in spec if k not in EACH_KEYS]
    if unknown:
        raise RuleMistake((*where, unknown[0]), f"'each' takes each, where and holds, not '{unknown[0]}'")
    if "holds" not in spec:
        raise RuleMistake(where, "'each' needs holds: a condition every element must meet")
    subject = spec["each"]
    keys = [k for k in subject if k in SUBJECT_KEYS] if isinstance(subject, dict) else []
    if len(keys) != 1 or len(subject) != 1 or keys[0] in ("param", "self", "related", "scan_holds"):
        raise RuleMistake((*where, "each"), "each names one subject: path, pod, resource or fact")
    resolve, _, _ = _make_subject(keys[0], subject[keys[0]], (*where, "each", keys[0]), env)
    inner_env = replace(env, in_each=True)
    selector = compile_condition(spec["where"], (*where, "where"), inner_env) if "where" in spec else None
    holds = compile_condition(spec["holds"], (*where, "holds"), inner_env)

    def every_element(scope: Scope) -> Result:
        passed: list[Match] = []
        failed: list[Match] = []
        for element in resolve(scope):
            inner = scope.with_element(element)
            if selector is not None and not selector(inner)[0]:
                continue
            element_holds, found = holds(inner)
            if not element_holds and not found:
                found = [element]  # nothing inside located the failure: point at the element
            name = element.value.get("name") if isinstance(element.value, dict) else None
            if isinstance(name, str):
                found = [w.changed(element_name=name) for w in found]
            (passed if element_holds else failed).extend(found)
        return (False, failed) if failed else (True, passed)

    selector_verdict = verdict_of(selector) if selector is not None else None
    holds_verdict = verdict_of(holds)

    def every_element_verdict(scope: Scope) -> bool:
        for element in resolve(scope):
            inner = scope.with_element(element)
            if selector_verdict is not None and not selector_verdict(inner):
                continue
            if not holds_verdict(inner):
                return False
        return True

    return _with_verdict(every_element, every_element_verdict)


# --- leaves ------------------------------------------------------------------------------------------


def _compile_leaf(spec: dict[str, Any], where: Path, env: CompileEnv) -> Condition:
    subjects = [k for k in spec if k in SUBJECT_KEYS]
    operators = [k for k in spec if k in OPERATORS]
    unknown = [k for k in spec if k not in SUBJECT_KEYS and k not in OPERATORS and k not in LEAF_OPTIONS]
    if unknown:
        allowed = ", ".join((*COMBINATORS, *SUBJECT_KEYS, *OPERATORS, *LEAF_OPTIONS))
        raise RuleMistake((*where, unknown[0]), f"unknown condition key '{unknown[0]}' (allowed: {allowed})")
    if len(subjects) != 1:
        raise RuleMistake(where, "a condition names exactly one of: " + ", ".join(SUBJECT_KEYS))
    if len(operators) > 1:
        raise RuleMistake((*where, operators[1]), "a condition takes one operator; combine with all/any")
    subject_key = subjects[0]
    operator = operators[0] if operators else "exists"
    raw_argument = spec.get(operator, True)
    argument = _resolve_argument(raw_argument, (*where, operator), env)
    quantifier = spec.get("match", "any")
    if quantifier not in ("any", "all"):
        raise RuleMistake((*where, "match"), "match must be 'any' or 'all'")
    ignore_case = spec.get("ignore_case", False)
    if not isinstance(ignore_case, bool):
        raise RuleMistake((*where, "ignore_case"), "ignore_case must be true or false")
    value_test = _value_test(operator, argument, ignore_case, (*where, operator))
    reads_key = OPERATORS[operator].reads_key
    if reads_key:

        def test(match: Match) -> bool:
            return bool(match.path) and value_test(match.path[-1])  # type: ignore[index]
    else:

        def test(match: Match) -> bool:
            return value_test(match.value)

    resolve, missing, values = _make_subject(subject_key, spec[subject_key], (*where, subject_key), env)
    if subject_key == "param":  # known at compile time: fold to a constant
        value = env.params.get(spec["param"])
        condition = _constant((value is not None) == bool(argument) if operator == "exists" else value_test(value))
    elif OPERATORS[operator].presence:
        condition = _exists(resolve, missing, bool(argument), values)
    elif reads_key:  # it tests the key at the end of each value's real path
        keys = _keys_of(subject_key, spec[subject_key], (*where, subject_key))
        verdict = None if keys is None else _value_verdict(keys, _key_test(value_test), quantifier == "all")
        condition = _quantified(resolve, missing, test, quantifier == "all", verdict)
    else:
        value_verdict = _value_verdict(values, value_test, quantifier == "all")
        condition = _quantified(resolve, missing, test, quantifier == "all", value_verdict)
    return _annotate(condition, {k: spec[k] for k in ANNOTATIONS if k in spec}, where, env.params)


def _annotate(condition: Condition, options: dict[str, Any], where: Path, params: Params) -> Condition:
    """Apply ``locate: false`` (the clause decides but does not locate findings) and ``note: TEXT`` (replaces
    the witnesses' notes; ``{note}`` in it keeps theirs) to a compiled condition."""
    note, locate = options.get("note"), options.get("locate", True)
    if note is not None and not isinstance(note, str):
        raise RuleMistake((*where, "note"), "note must be a string")
    mistake = template_mistake(note, params) if note is not None else None
    if mistake is not None:
        raise RuleMistake((*where, "note"), f"note: {mistake}")
    if not isinstance(locate, bool):
        raise RuleMistake((*where, "locate"), "locate must be true or false")
    if note is None and locate:
        return condition

    def annotated(scope: Scope) -> Result:
        holds, witnesses = condition(scope)
        if note is not None:
            witnesses = [w.changed(note=note.replace("{note}", w.note)) for w in witnesses]
        if not locate:  # the values and notes stay (for {when.note}, and a finding with nothing else to point at)
            witnesses = [
                w.changed(path=None, resource=None, line_in_value=None, column_in_value=None)
                for w in witnesses
                if w.value is not None or w.note
            ]
        return holds, witnesses

    return _with_verdict(annotated, verdict_of(condition))  # notes and locate change witnesses, not verdicts


_NO_KEY = object()  # a match at an empty path: it has no key, and no key test passes


def _keys_of(subject_key: str, raw: Any, where: Path) -> Values | None:
    """For a ``pod`` or ``path`` subject, the keys its matches sit at (the last step of each real path, the
    same paths the resolver gives), without building the matches: what a verdict of an operator that reads
    the key needs. None for other subjects (their verdict goes through the matches)."""
    if subject_key not in ("pod", "path"):
        return None
    path = CompiledPath(raw, where)
    if subject_key == "pod":

        def pod_keys(scope: Scope) -> list[Any]:
            real_path = scope.workload.real_path  # type: ignore[union-attr]
            return [_last(real_path(found)) for _, found in path.find(scope.workload.pod)]  # type: ignore[union-attr]

        return pod_keys

    def target_keys(scope: Scope) -> list[Any]:
        return [_last(scope.target_path(found)) for _, found in path.find(scope.target)]

    return target_keys


def _last(path: Path) -> Any:
    return path[-1] if path else _NO_KEY


def _key_test(value_test: Callable[[Any], bool]) -> Callable[[Any], bool]:
    def key_test(key: Any) -> bool:
        return key is not _NO_KEY and value_test(key)

    return key_test


def _exists(resolve: Resolver, missing: Missing, want: bool, values: Values) -> Condition:
    def exists(scope: Scope) -> Result:
        matches = resolve(scope)
        if matches:
            return want, matches
        return not want, [missing(scope)]

    def exists_verdict(scope: Scope) -> bool:
        return bool(values(scope)) == want

    return _with_verdict(exists, exists_verdict)


def _value_verdict(values: Values, value_test: Callable[[Any], bool], every: bool) -> Verdict:
    """Whether any (or every) value the subject resolves to passes the test: the verdict of a leaf."""

    def any_value(scope: Scope) -> bool:
        return any(value_test(value) for value in values(scope))

    def every_value(scope: Scope) -> bool:
        return all(value_test(value) for value in values(scope))

    return every_value if every else any_value


def _quantified(
    resolve: Resolver, missing: Missing, test: Callable[[Match], bool], every: bool, verdict: Verdict | None = None
) -> Condition:
    """Any (or every) value must pass; witnesses are the passing values, or the failing ones (or, with no
    value at all, the place where it would be). ``verdict``: the same decision from the values alone."""

    def leaf(scope: Scope) -> Result:
        matches = resolve(scope)
        if not every:
            satisfied = [m for m in matches if test(m)]
            if satisfied:
                return True, satisfied
            return False, _one_list(matches) or [missing(scope)]
        failed = [m for m in matches if not test(m)]
        if failed:
            return False, failed
        return True, matches or [missing(scope)]

    if verdict is None:

        def match_verdict(scope: Scope) -> bool:
            matches = resolve(scope)
            if every:
                return all(test(m) for m in matches)
            return any(test(m) for m in matches)

        verdict = match_verdict
    return _with_verdict(leaf, verdict)


def _one_list(matches: list[Match]) -> list[Match]:
    """The witnesses of an ``any`` that failed: items of one list (``drop[*]`` without ALL) are one cause,
    so they are one witness at the list, whose value is the list's items; other values stay as they are."""
    if len(matches) < 2:
        return matches
    first = matches[0]
    if first.path is None or not first.path or not isinstance(first.path[-1], int):
        return matches
    parent = first.path[:-1]
    for match in matches:
        if (
            match.path is None
            or match.path[:-1] != parent
            or not isinstance(match.path[-1], int)
            or match.resource is not first.resource
        ):
            return matches
    return [first.changed(value=[m.value for m in matches], path=parent, line_in_value=None, column_in_value=None)]


def _resolve_argument(raw: Any, where: Path, env: CompileEnv) -> Any:
    """Operator arguments may be literals, ``{param: NAME}`` or ``{data: NAME}`` (a rule data list); in a
    list argument, such references are replaced by (and flattened into) the lists they name."""
    if isinstance(raw, list) and any(_is_reference(item) for item in raw):
        flat: list[Any] = []
        for index, item in enumerate(raw):
            value = _resolve_argument(item, (*where, index), env)
            if _is_reference(item) and isinstance(value, list | tuple | dict):
                flat.extend(value)
            else:
                flat.append(value)
        return flat
    if isinstance(raw, dict) and len(raw) == 1:
        ((key, name),) = raw.items()
        if key == "param":
            if name not in env.params:
                raise RuleMistake((*where, "param"), f"unknown parameter '{name}'")
            return env.params.get(name)
        if key == "data":
            if name not in env.data:
                raise RuleMistake((*where, "data"), f"unknown data list '{name}' (declare it under data:)")
            return env.data[name]
    return raw


def _is_reference(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("param", "data")


def _value_test(operator: str, argument: Any, ignore_case: bool, where: Path) -> Callable[[Any], bool]:
    """The operator's test of one value, from the operator table; a bad argument is a mistake at ``where``."""
    try:
        return build_test(operator, argument, ignore_case)
    except ArgumentError as exc:
        raise RuleMistake(where, str(exc)) from None


# --- subjects ----------------------------------------------------------------------------------------


def _resolver_and_missing(key: str, raw: Any, where: Path, env: Any) -> tuple[Resolver, Missing]:
    """_make_subject for relations.py, which needs a subject's matches and its missing place only."""
    resolve, missing, _ = _make_subject(key, raw, where, env)
    return resolve, missing


def _make_subject(key: str, raw: Any, where: Path, env: CompileEnv) -> tuple[Resolver, Missing, Values]:
    """The subject's resolver (its matches: values where they sit), the match for where it would be when
    there is none, and its values alone (what a verdict needs, without the places)."""
    if key in ("related", "scan_holds"):
        compile_relation = compile_related if key == "related" else compile_scan_holds
        try:
            resolve, missing = compile_relation(raw, where, env, _resolver_and_missing)
        except RelationMistake as exc:
            raise RuleMistake(exc.where, exc.message) from None
        return resolve, missing, lambda scope: [match.value for match in resolve(scope)]
    if key == "param":
        if raw not in env.params:
            raise RuleMistake(where, f"unknown parameter '{raw}'")
        return (lambda scope: []), (lambda scope: Match(None, None)), (lambda scope: [])
    if key == "self":
        if not env.in_each:
            raise RuleMistake(where, "self names the element of an each: use it inside each's where or holds")
        if raw not in ("value", "key"):
            raise RuleMistake(where, "self is value (the element) or key (where it sits), inside each")

        def self_values(scope: Scope) -> list[Any]:  # resolve_self's values, without their matches
            element = scope.element
            if element is None:
                return []
            if raw == "value":
                return [element.value]
            step = element.path[-1] if element.path else None
            return [step] if step is not None else []

        def resolve_self(scope: Scope) -> list[Match]:
            element = scope.element
            if element is None or raw == "value":
                return [] if element is None else [element]
            return [element.changed(value=step) for step in self_values(scope)]  # the key it sits at

        missing_self: Missing = lambda scope: Match(None, scope.element.path if scope.element else scope.home)  # noqa: E731
        return resolve_self, missing_self, self_values
    if key == "fact":
        fact = FACTS.get(raw) if isinstance(raw, str) else None
        if fact is None:
            raise RuleMistake(where, f"unknown fact '{raw}' (known: {', '.join(sorted(FACTS))})")
        if SCOPE_ORDER[fact.scope] > SCOPE_ORDER[env.scope]:
            raise RuleMistake(where, f"fact '{raw}' needs {fact.scope} scope; this rule has {env.scope} scope")

        def resolve_fact(scope: Scope) -> list[Match]:
            cached = scope.facts.get(raw)
            if cached is None:
                cached = scope.facts[raw] = fact.compute(scope)
            return cached

        def fact_values(scope: Scope) -> list[Any]:
            return [match.value for match in resolve_fact(scope)]

        return resolve_fact, lambda scope: Match(None, scope.home), fact_values
    if key == "pod" and env.scope in ("resource", "namespace"):
        raise RuleMistake(where, "'pod' paths need pod or container scope")
    if not isinstance(raw, str) or not raw.strip():
        raise RuleMistake(where, f"'{key}' takes a path such as securityContext.runAsNonRoot")
    path = CompiledPath(raw, where)
    if key == "path":

        def resolve_target(scope: Scope) -> list[Match]:
            return [Match(v, scope.target_path(p)) for v, p in path.find(scope.target)]

        def target_values(scope: Scope) -> list[Any]:
            return path.values(scope.target)

        return resolve_target, lambda scope: Match(None, scope.target_path(path.intended)), target_values
    if key == "pod":

        def walk_pod(scope: Scope) -> list[Match]:
            workload = scope.workload
            return [Match(v, workload.real_path(p)) for v, p in path.find(workload.pod)]  # type: ignore[union-attr]

        # wildcards or key lists (every container of the pod, say): walked once per pod view
        resolve_pod = walk_pod if path.fields is not None else _once_per_pod(f"{POD_PATH_PREFIX}{raw}", walk_pod)

        def pod_values(scope: Scope) -> list[Any]:
            return path.values(scope.workload.pod)  # type: ignore[union-attr]

        return resolve_pod, lambda scope: Match(None, scope.pod_path(path.intended)), pod_values

    def resolve_resource(scope: Scope) -> list[Match]:
        return [Match(v, p) for v, p in path.find(scope.resource.obj)]

    def resource_values(scope: Scope) -> list[Any]:
        return path.values(scope.resource.obj)

    return resolve_resource, lambda scope: Match(None, path.intended), resource_values


POD_PATH_PREFIX = "pod:"  # the key prefix of pod paths resolved in a scope's facts cache (facts' names have none)


def _once_per_pod(cache_key: str, resolve: Resolver) -> Resolver:
    """The resolver, its matches kept in the scope's facts cache as a fact's are (shared, never changed):
    rules of one pod view resolve the same pod paths (the Pod Security checks each walk every container)."""

    def resolve_once(scope: Scope) -> list[Match]:
        cached = scope.facts.get(cache_key)
        if cached is None:
            cached = scope.facts[cache_key] = resolve(scope)
        return cached

    return resolve_once


_PARSED: dict[str, tuple[Any, list[Any] | None]] = {}  # path text -> (expression, walker steps); read-only once made


class CompiledPath:
    """A jsonpath-ng expression, evaluated by a fast walker when it uses only fields, indices and ``*``."""

    def __init__(self, text: str, where: Path) -> None:
        parsed = _PARSED.get(text) or _simple_path(text)
        if parsed is None:  # jsonpath-ng's parser takes about 2 ms a path (it builds its tables per call)
            try:
                expression = parse_jsonpath(text)
            except (JsonPathLexerError, JsonPathParserError, Exception) as exc:
                raise RuleMistake(where, f"invalid path {text!r}: {' '.join(str(exc).split())}") from None
            parsed = _PARSED[text] = (expression, _steps_of(expression))
        self.expression: Any = parsed[0]
        self.steps: list[Any] | None = parsed[1]
        self.intended: Path = tuple(s for s in (self.steps or []) if s != "*" and not isinstance(s, tuple))
        # A path of field names only (most paths: spec.securityContext.seccompProfile) is at most one value,
        # at the path itself: walked by a plain loop, its path tuple made once.
        steps = self.steps
        simple = steps is not None and all(isinstance(step, str) and step != "*" for step in steps)
        self.fields: tuple[str, ...] | None = tuple(steps) if simple and steps is not None else None

    def find(self, value: Any) -> list[tuple[Any, Path]]:
        fields = self.fields
        if fields is not None:
            found = _at_fields(value, fields)
            return [] if found is None else [(found, fields)]
        if self.steps is None:
            return [(m.value, _path_of(m.full_path)) for m in self.expression.find(value) if m.value is not None]
        results: list[tuple[Any, Path]] = []
        _walk(value, self.steps, 0, (), results)
        return results

    def values(self, value: Any) -> list[Any]:
        """The values find() gives, in the same order, without their paths."""
        fields = self.fields
        if fields is not None:
            found = _at_fields(value, fields)
            return [] if found is None else [found]
        if self.steps is None:
            return [m.value for m in self.expression.find(value) if m.value is not None]
        results: list[Any] = []
        _walk_values(value, self.steps, 0, results)
        return results


_SIMPLE_STEP = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_-]*)|\[(\*|-?[0-9]+)\]|\.(\*)")
_RESERVED_WORDS = frozenset(JsonPathLexer.reserved_words)  # where, wherenot: not field names to jsonpath-ng


def _simple_path(text: str) -> tuple[Any, list[Any] | None] | None:
    """The walker steps of a path made only of names, ``[N]``, ``[*]`` and ``.*`` (every path of the bundled
    rules), read without jsonpath-ng's parser: the steps it would give (tests/test_conditions.py compares
    them). No expression is kept, as the walker never needs one. Anything else returns None."""
    steps: list[Any] = []
    at = 0
    while at < len(text):
        step = _SIMPLE_STEP.match(text, at)
        if step is None or text[at] in (".[" if at == 0 else "") or (at and text[at] not in ".["):
            return None
        name, index, star = step.groups()
        if name is not None:
            if name in _RESERVED_WORDS:
                return None
            steps.append(name)
        else:
            steps.append("*" if "*" in (index, star) else int(index))
        at = step.end()
    if not steps:
        return None
    _PARSED[text] = (None, steps)
    return None, steps


def _steps_of(expression: Any) -> list[Any] | None:
    if isinstance(expression, Child):
        left, right = _steps_of(expression.left), _steps_of(expression.right)
        return None if left is None or right is None else left + right
    if isinstance(expression, Fields) and len(expression.fields) == 1:
        return ["*" if expression.fields[0] == "*" else expression.fields[0]]
    if isinstance(expression, Fields) and "*" not in expression.fields:
        return [tuple(expression.fields)]  # several keys: a['x','y']
    if isinstance(expression, Index) and len(expression.indices) == 1:
        return [expression.indices[0]]
    if isinstance(expression, Wildcard):
        return ["*"]
    return None


def _at_fields(value: Any, fields: tuple[str, ...]) -> Any:
    """The value at a path of field names, or None where a field is missing (or the value is null)."""
    for name in fields:
        if not isinstance(value, dict) or name not in value:
            return None
        value = value[name]
    return value


def _walk(value: Any, steps: list[Any], at: int, path: Path, out: list[tuple[Any, Path]]) -> None:
    while at < len(steps):
        step = steps[at]
        if step == "*":
            if isinstance(value, list):
                for index, item in enumerate(value):
                    _walk(item, steps, at + 1, (*path, index), out)
            elif isinstance(value, dict):
                for key, item in value.items():
                    _walk(item, steps, at + 1, (*path, key), out)
            return
        if isinstance(step, tuple):
            if isinstance(value, dict):
                for key in step:
                    if key in value:
                        _walk(value[key], steps, at + 1, (*path, key), out)
            return
        if isinstance(step, int):
            if not isinstance(value, list) or not -len(value) <= step < len(value):
                return
            index = step if step >= 0 else len(value) + step
            value, path = value[index], (*path, index)
        else:
            if not isinstance(value, dict) or step not in value:
                return
            value, path = value[step], (*path, step)
        at += 1
    if value is not None:
        out.append((value, path))


def _walk_values(value: Any, steps: list[Any], at: int, out: list[Any]) -> None:
    """_walk without the paths: the values only, in the same order."""
    while at < len(steps):
        step = steps[at]
        if step == "*":
            if isinstance(value, list):
                for item in value:
                    _walk_values(item, steps, at + 1, out)
            elif isinstance(value, dict):
                for item in value.values():
                    _walk_values(item, steps, at + 1, out)
            return
        if isinstance(step, tuple):
            if isinstance(value, dict):
                for key in step:
                    if key in value:
                        _walk_values(value[key], steps, at + 1, out)
            return
        if isinstance(step, int):
            if not isinstance(value, list) or not -len(value) <= step < len(value):
                return
            value = value[step if step >= 0 else len(value) + step]
        else:
            if not isinstance(value, dict) or step not in value:
                return
            value = value[step]
        at += 1
    if value is not None:
        out.append(value)


def _path_of(full_path: Any) -> Path:
    if isinstance(full_path, Child):
        return _path_of(full_path.left) + _path_of(full_path.right)
    if isinstance(full_path, Fields):
        return tuple(full_path.fields)
    if isinstance(full_path, Index):
        return tuple(full_path.indices)
    return ()
