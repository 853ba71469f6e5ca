"""The condition operators of the rule language as a table: each is one small function, registered by
name, that turns its argument into a test of a value; rule loading, compilation and the docs read it.

Adding an operator is one entry: a function under ``@operator(name, doc=..., example=...)``.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from re import _constants as _sre_constants  # type: ignore[attr-defined]  # the stdlib parser, for its tree
from re import _parser as _sre_parser  # type: ignore[attr-defined]
from typing import Any

import re2  # type: ignore[import-untyped]

from .params import ParamError, parse_version

Test = Callable[[Any], bool]
Build = Callable[[Any, bool], Test]  # (argument, ignore_case) -> the test of one value


class ArgumentError(ValueError):
    """An operator's argument that does not fit it (the loader reports it at the operator's line)."""


@dataclass(frozen=True)
class Operator:
    """One operator: how it builds a value test from its argument, and its line in the docs."""

    name: str
    build: Build
    doc: str  # completes "holds when a value ..."
    example: str  # the operator as written in a rule, for the docs
    reads_key: bool = False  # tests the key the value sits at (the last step of its path), not the value
    presence: bool = False  # decides on whether values exist at all (exists), not on each value


OPERATORS: dict[str, Operator] = {}


def operator(
    name: str, *, doc: str, example: str, reads_key: bool = False, presence: bool = False
) -> Callable[[Build], Build]:
    """Register a build function as the operator ``name``."""

    def register(build: Build) -> Build:
        if name in OPERATORS:
            raise ValueError(f"operator {name!r} is registered twice")
        OPERATORS[name] = Operator(name, build, doc, example, reads_key, presence)
        return build

    return register


def build_test(name: str, argument: Any, ignore_case: bool = False) -> Test:
    """The value test of an operator with its argument; ArgumentError if the argument does not fit."""
    return OPERATORS[name].build(argument, ignore_case)


def _folder(ignore_case: bool) -> Callable[[Any], Any]:
    """Strings case-folded when ignore_case, everything else as it is."""
    if not ignore_case:
        return lambda value: value
    return lambda value: value.casefold() if isinstance(value, str) else value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@operator("exists", doc="exists (null counts as absent) / does not", example="exists: true|false", presence=True)
def _exists(argument: Any, ignore_case: bool) -> Test:
    if not isinstance(argument, bool):
        raise ArgumentError("exists takes true or false")
    return lambda value: True


@operator("equals", doc='equals X (types matter: `true` is not `"true"`)', example="equals: X")
def _equals(argument: Any, ignore_case: bool) -> Test:
    fold = _folder(ignore_case)
    wanted = fold(argument)

    def equals(value: Any) -> bool:
        if isinstance(value, bool) or isinstance(wanted, bool):
            return value is wanted
        return bool(fold(value) == wanted)

    return equals


@operator("in", doc="is one of the list", example="in: [..]")
def _in(argument: Any, ignore_case: bool) -> Test:
    if not isinstance(argument, list | tuple | set | frozenset | dict):
        raise ArgumentError("in takes a list")
    fold = _folder(ignore_case)
    members = [fold(v) for v in argument]
    try:
        member_set: frozenset[Any] | None = frozenset(members)
    except TypeError:
        member_set = None

    def is_member(value: Any) -> bool:
        value = fold(value)
        if isinstance(value, bool):
            return any(m is value for m in members)
        if member_set is not None:
            try:
                return value in member_set
            except TypeError:
                return False
        return value in members

    return is_member


@operator(
    "key_in",
    doc="sits at a key that is one of the list (e.g. `path: securityContext.*`, `key_in: [sysctls]`)",
    example="key_in: [..]",
    reads_key=True,
)
def _key_in(argument: Any, ignore_case: bool) -> Test:
    return _in(argument, ignore_case)


@operator("glob_in", doc="matches one of the names or patterns (`*`, `?`)", example="glob_in: [..]")
def _glob_in(argument: Any, ignore_case: bool) -> Test:
    if not isinstance(argument, list | tuple):
        raise ArgumentError("glob_in takes a list of names or patterns (* and ?)")
    flags = re.IGNORECASE if ignore_case else 0
    patterns = [re.compile(fnmatch.translate(str(p)), flags) for p in argument]
    return lambda value: isinstance(value, str) and any(p.match(value) for p in patterns)


@operator("contains", doc="(a list, map or string) contains X", example="contains: X")
def _contains(argument: Any, ignore_case: bool) -> Test:
    fold = _folder(ignore_case)
    wanted = fold(argument)

    def contains(value: Any) -> bool:
        if isinstance(value, list | tuple | set | frozenset):
            return any(fold(v) == wanted for v in value)
        if isinstance(value, dict):
            return wanted in value
        if isinstance(value, str) and isinstance(wanted, str):
            return wanted in fold(value)
        return bool(fold(value) == wanted)

    return contains


@operator(
    "empty",
    doc="is an empty list, map or string (`true`) / is one with something in it (`false`)",
    example="empty: true|false",
)
def _empty(argument: Any, ignore_case: bool) -> Test:
    if not isinstance(argument, bool):
        raise ArgumentError("empty takes true or false")

    def empty(value: Any) -> bool:
        if not isinstance(value, list | tuple | dict | str | set | frozenset):
            return False  # a number or a boolean is neither empty nor has items
        return (len(value) == 0) is argument

    return empty


@operator("matches", doc="matches the regular expression (searched; anchor with `^...$`)", example="matches: REGEX")
def _matches(argument: Any, ignore_case: bool) -> Test:
    pattern = linear_regex(str(argument), ignore_case)
    return lambda value: (isinstance(value, str) or _is_number(value)) and pattern.search(str(value)) is not None


_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # the C++ library would print each refused pattern to stderr


def linear_regex(pattern: str, ignore_case: bool = False) -> Any:
    """A rule's regular expression, compiled so that no value can make it slow.

    RE2 runs a pattern in time linear in the value (https://github.com/google/re2/wiki/WhyRE2), so a rule
    with a catastrophic pattern such as ``(a+)+$`` cannot hang a scan: every pattern RE2 accepts runs there.
    RE2 refuses the constructs that need backtracking (https://github.com/google/re2/wiki/Syntax):
    lookaround, backreferences, conditionals, verbose mode, possessive and atomic groups. Such a pattern runs
    on Python's engine only if it has no backreference and no unbounded repeat inside another repeat (the
    two sources of exponential backtracking); otherwise it is refused when the rule is loaded, with the
    rule's file and line. The bundled listen-address pattern is of the first kind (verbose, one lookbehind
    and one conditional, bounded repeats)."""
    try:
        return re2.compile(f"(?i){pattern}" if ignore_case else pattern, _RE2_OPTIONS)
    except re2.error:
        pass
    try:
        compiled = re.compile(pattern, re.IGNORECASE if ignore_case else 0)
        parsed = _sre_parser.parse(pattern)
    except re.error as exc:
        raise ArgumentError(f"invalid regular expression: {exc}") from None
    risk = _backtracking_risk(parsed, nested=False)
    if risk:
        raise ArgumentError(
            f"regular expression uses {risk}, which can take exponential time on a long value; write it for RE2 "
            "(no lookaround, backreferences or conditionals), which runs in linear time"
        )
    return compiled


def _backtracking_risk(parsed: Any, nested: bool) -> str | None:
    """What in a parsed Python pattern can backtrack exponentially: a backreference, or an unbounded
    repeat inside another repeat (``(a+)+``, ``(a*b?)*``)."""
    for op, value in parsed:
        name = str(op)
        if name == "GROUPREF":
            return "a backreference"
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            _, high, body = value
            unbounded = high == _sre_constants.MAXREPEAT or high > 100
            if nested and unbounded:
                return "a repeat inside a repeat"
            found = _backtracking_risk(body, nested or unbounded)
            if found:
                return found
            continue
        for part in value if isinstance(value, tuple | list) else ():
            if isinstance(part, _sre_parser.SubPattern):
                found = _backtracking_risk(part, nested)
                if found:
                    return found
            elif isinstance(part, list):
                for branch in part:
                    if isinstance(branch, _sre_parser.SubPattern):
                        found = _backtracking_risk(branch, nested)
                        if found:
                            return found
    return None


@operator("starts_with", doc="starts with S", example="starts_with: S")
def _starts_with(argument: Any, ignore_case: bool) -> Test:
    fold = _folder(ignore_case)
    prefix = fold(str(argument))
    return lambda value: isinstance(value, str) and bool(fold(value).startswith(prefix))


def _comparison(name: str, compare: Callable[[float, float], bool]) -> Build:
    def build(argument: Any, ignore_case: bool) -> Test:
        if not _is_number(argument):
            raise ArgumentError(f"{name} takes a number")
        return lambda value: _is_number(value) and compare(value, argument)

    return build


for _name, _doc, _compare in (
    ("gt", "is greater than N", lambda a, b: a > b),
    ("gte", "is greater than or equal to N", lambda a, b: a >= b),
    ("lt", "is less than N", lambda a, b: a < b),
    ("lte", "is less than or equal to N", lambda a, b: a <= b),
):
    operator(_name, doc=_doc, example=f"{_name}: N")(_comparison(_name, _compare))


def _version_comparison(name: str, at_or_after: bool) -> Build:
    def build(argument: Any, ignore_case: bool) -> Test:
        try:
            bound = argument if isinstance(argument, tuple) else parse_version(str(argument))
        except ParamError as exc:
            raise ArgumentError(str(exc)) from None

        def compare(value: Any) -> bool:
            try:
                version = value if isinstance(value, tuple) else parse_version(str(value))
            except ParamError:
                return False
            return bool(version >= bound) if at_or_after else bool(version < bound)

        return compare

    return build


operator("version_gte", doc="is a Kubernetes version at or after v1.N", example="version_gte: v1.N")(
    _version_comparison("version_gte", at_or_after=True)
)
operator("version_lt", doc="is a Kubernetes version before v1.N", example="version_lt: v1.N")(
    _version_comparison("version_lt", at_or_after=False)
)


def operators_markdown() -> str:
    """docs/writing-rules.md's operator table, from the registry (tests/test_operators.py keeps the page in step;
    ``python -m checker.policy.operator_table`` prints it)."""
    rows = ["| operator | holds when a value ... |", "| --- | --- |"]
    rows += [f"| `{op.example.replace('|', chr(92) + '|')}` | {op.doc} |" for op in OPERATORS.values()]
    return "\n".join(rows) + "\n"
