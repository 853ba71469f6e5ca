"""The cross-object subjects of the rule language: ``related:`` (the other objects of the scan that a target
names, selects, is selected by or shares a namespace with) and ``scan_holds:`` (whether the scan holds
objects of a kind in the target's namespace), each answered by an index lookup of the scan (ScanContext).

Namespaces follow workloads/index.py's same_namespace(): an object in the target's namespace wins, objects
without a namespace count as the same namespace as each other, and failing that an object without one is
seen from any namespace (and a target without one sees objects of a single named namespace).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ..facts.scope import Match, Scope
from ..inputs.paths import Path
from ..workloads.index import WORKLOAD
from ..workloads.selectors import labels_of, parse_selector

Resolver = Callable[[Scope], list[Match]]
Missing = Callable[[Scope], Match]
MakeSubject = Callable[[str, Any, Path, Any], tuple[Resolver, Missing]]
Kinds = Callable[[Scope], list[str]]

RELATIONS = ("name", "selecting", "selected_by", "in_namespace")
RELATED_KEYS = ("kind", *RELATIONS)
VALUE_SUBJECTS = ("path", "pod", "resource")
KIND_NAME = "a kind (ConfigMap, apps/Deployment is written Deployment), a list of kinds, or workload"


class RelationMistake(ValueError):
    """A mistake in a related: or scan_holds: subject, at ``where`` (conditions.py turns it into a RuleMistake)."""

    def __init__(self, where: Path, message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message


def compile_related(raw: Any, where: Path, env: Any, make_subject: MakeSubject) -> tuple[Resolver, Missing]:
    """``related: {kind: K, name|selecting|selected_by|in_namespace: ...}``: one match per related object
    (value its name, located at its root, ``resource`` the object, note "Kind name"); with none, the
    missing witness is the naming field (the name or the selector) where there is one, else the target."""
    if not isinstance(raw, dict) or "kind" not in raw:
        raise RelationMistake(where, f"related takes kind and one of {', '.join(RELATIONS)}")
    unknown = [key for key in raw if key not in RELATED_KEYS]
    if unknown:
        raise RelationMistake((*where, unknown[0]), f"related takes {', '.join(RELATED_KEYS)}, not '{unknown[0]}'")
    relations = [key for key in raw if key in RELATIONS]
    if len(relations) != 1:
        raise RelationMistake(where, f"related takes exactly one of {', '.join(RELATIONS)}")
    relation = relations[0]
    kinds = compile_kinds(raw["kind"], (*where, "kind"), env, make_subject)
    argument, at = raw[relation], (*where, relation)
    if relation == "name":
        return _by_name(kinds, _value_subject(argument, at, env, make_subject))
    if relation == "selected_by":
        return _selected_by(kinds, _value_subject(argument, at, env, make_subject))
    if relation == "selecting":
        if env.scope not in ("pod", "container"):
            raise RelationMistake(at, "selecting matches the pod's labels: it needs pod or container scope")
        if not isinstance(argument, str) or not argument.strip():
            raise RelationMistake(at, "selecting names where the related objects hold their selector: spec.selector")
        return _selecting(kinds, tuple(argument.strip().split(".")))
    if argument is not True:
        raise RelationMistake(at, "in_namespace takes true: every object of the kind in the target's namespace")
    return _in_namespace(kinds)


def compile_scan_holds(raw: Any, where: Path, env: Any, make_subject: MakeSubject) -> tuple[Resolver, Missing]:
    """``scan_holds: K``: one match when the scan holds objects of the kind in the target's namespace (as
    same_namespace sees it): value their number, located at the first of them, its note saying how many
    and where ("this scan holds 3 ConfigMaps in namespace shop"); none otherwise."""
    kinds = compile_kinds(raw, where, env, make_subject)

    def resolve(scope: Scope) -> list[Match]:
        matches = []
        for kind in kinds(scope):
            held = scope.context.in_namespace(kind, scope.namespace)
            if held:
                place = f"in namespace {held[0].namespace}" if held[0].namespace else "without a namespace"
                note = f"this scan holds {_count(len(held), kind)} {place}"
                matches.append(Match(len(held), (), note, held[0], relation=True))
        return matches

    return resolve, lambda scope: Match(None, scope.home)


def compile_kinds(raw: Any, where: Path, env: Any, make_subject: MakeSubject) -> Kinds:
    """A kind spec: a kind, a list of kinds, or ``{SUBJECT: PATH, among: [kinds]}`` (the kind the target
    names there, when it is one of those)."""
    if isinstance(raw, str) and raw.strip():
        fixed = [raw.strip()]
        return lambda scope: fixed
    if isinstance(raw, list) and raw and all(isinstance(k, str) and k.strip() for k in raw):
        listed = list(dict.fromkeys(k.strip() for k in raw))
        return lambda scope: listed
    if isinstance(raw, dict) and "among" in raw:
        among = raw["among"]
        if not isinstance(among, list) or not among or not all(isinstance(k, str) for k in among):
            raise RelationMistake((*where, "among"), "among lists the kinds the subject may name")
        subject = {key: value for key, value in raw.items() if key != "among"}
        resolve = _value_subject(subject, where, env, make_subject)
        allowed = set(among)

        def named(scope: Scope) -> list[str]:
            values = [m.value for m in resolve(scope)]
            return list(dict.fromkeys(v for v in values if isinstance(v, str) and v in allowed))

        return named
    raise RelationMistake(where, f"kind is {KIND_NAME}, or {{path: ..., among: [kinds]}}")


def kinds_looked_up(spec: Any) -> set[str]:
    """The kinds a rule's conditions look up (the static kinds of its related: and scan_holds: subjects,
    the ``among`` lists of dynamic ones, and ``workload`` for selected_by): what the scan must index."""
    found: set[str] = set()
    for node in _nodes(spec):
        if "related" in node and isinstance(node["related"], dict):
            found |= _static_kinds(node["related"].get("kind"))
            if "selected_by" in node["related"]:
                found.add(WORKLOAD)
        if "scan_holds" in node:
            found |= _static_kinds(node["scan_holds"])
    return found


def _nodes(spec: Any) -> Iterator[dict[str, Any]]:
    stack = [spec]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            yield value
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def _static_kinds(raw: Any) -> set[str]:
    if isinstance(raw, str):
        return {raw.strip()}
    if isinstance(raw, list):
        return {k.strip() for k in raw if isinstance(k, str)}
    if isinstance(raw, dict) and isinstance(raw.get("among"), list):
        return {k for k in raw["among"] if isinstance(k, str)}
    return set()


def _value_subject(raw: Any, where: Path, env: Any, make_subject: MakeSubject) -> Resolver:
    keys = [key for key in raw if key in VALUE_SUBJECTS] if isinstance(raw, dict) else []
    if len(keys) != 1 or len(raw) != 1:
        raise RelationMistake(where, "name a value with one of path, pod or resource: {path: spec.selector}")
    resolve, _ = make_subject(keys[0], raw[keys[0]], (*where, keys[0]), env)
    return resolve


def _related(kind: str, resource: Any) -> Match:
    note = f"{kind if kind != WORKLOAD else resource.kind} {resource.name}"
    return Match(resource.name, (), note, resource, relation=True)


def _first_or_home(scope: Scope, named: list[Match]) -> Match:
    return named[0].changed(note="", relation=False) if named else Match(None, scope.home)


def _by_name(kinds: Kinds, names: Resolver) -> tuple[Resolver, Missing]:
    def resolve(scope: Scope) -> list[Match]:
        found = []
        for named in names(scope):
            if not isinstance(named.value, str) or not named.value:
                continue
            for kind in kinds(scope):
                other = scope.context.find(kind, scope.namespace, named.value, near=scope.resource)
                if other is not None:
                    found.append(_related(kind, other))
        return found

    def missing(scope: Scope) -> Match:
        return _first_or_home(scope, [m for m in names(scope) if isinstance(m.value, str) and m.value])

    return resolve, missing


def _selected_by(kinds: Kinds, selectors: Resolver) -> tuple[Resolver, Missing]:
    def resolve(scope: Scope) -> list[Match]:
        found: dict[int, Match] = {}
        for written in selectors(scope):
            wanted = [k for k in kinds(scope) if k != WORKLOAD]
            for other in scope.context.selected_pods(parse_selector(written.value), scope.namespace, wanted):
                found.setdefault(id(other), _related(WORKLOAD, other))
        return list(found.values())

    return resolve, lambda scope: _first_or_home(scope, selectors(scope))


def _selecting(kinds: Kinds, at: Path) -> tuple[Resolver, Missing]:
    def resolve(scope: Scope) -> list[Match]:
        assert scope.workload is not None
        labels = labels_of(scope.workload.pod.get("metadata"))
        found = []
        for kind in kinds(scope):
            found += [_related(kind, o) for o in scope.context.selecting(kind, at, labels, scope.namespace)]
        return found

    return resolve, lambda scope: Match(None, scope.pod_path(("metadata", "labels")))


def _in_namespace(kinds: Kinds) -> tuple[Resolver, Missing]:
    def resolve(scope: Scope) -> list[Match]:
        return [_related(k, o) for k in kinds(scope) for o in scope.context.in_namespace(k, scope.namespace)]

    return resolve, lambda scope: Match(None, scope.home)


def _count(number: int, kind: str) -> str:
    noun = "workload" if kind == WORKLOAD else kind
    if number == 1:
        return f"1 {noun}"
    return f"{number} {noun[:-1] + 'ies' if noun.endswith('y') and noun[-2:-1] not in 'aeiou' else noun + 's'}"
