"""The effective capability set, as containerd and CRI-O compute it."""

from __future__ import annotations

import pytest

from checker.semantics.capabilities import (
    ALL_CAPABILITIES,
    RUNTIME_DEFAULTS,
    IneffectiveDrop,
    covered_by_drop_all,
    effective_capabilities,
)


def _caps(add=None, drop=None, privileged=None, runtime="containerd"):
    context: dict = {"capabilities": {}}
    if add is not None:
        context["capabilities"]["add"] = add
    if drop is not None:
        context["capabilities"]["drop"] = drop
    if privileged is not None:
        context["privileged"] = privileged
    return effective_capabilities({"name": "c", "securityContext": context}, runtime)


@pytest.mark.parametrize(
    ("add", "drop", "has_bind", "reason"),
    [
        (None, None, True, "runtime default set and not dropped"),
        (None, ["NET_BIND_SERVICE"], False, None),
        (None, ["net_bind_service"], False, None),
        (None, ["ALL"], False, None),
        (None, ["all"], False, None),
        (None, ["CAP_NET_BIND_SERVICE"], True, "runtime default set and not dropped"),
        (["NET_BIND_SERVICE"], ["ALL"], True, "re-added after drop ALL"),
        (["NET_BIND_SERVICE"], ["NET_BIND_SERVICE"], False, None),  # individual drops come after adds
        (["ALL"], None, True, "added by ALL"),
        (["ALL"], ["ALL"], False, None),
        (["ALL"], ["NET_BIND_SERVICE"], False, None),
    ],
)
def test_net_bind_service(add, drop, has_bind, reason) -> None:
    result = _caps(add, drop)
    assert ("NET_BIND_SERVICE" in result.capabilities) is has_bind
    if reason:
        assert reason in result.capabilities["NET_BIND_SERVICE"].reason


def test_a_cap_prefixed_drop_is_recorded_as_dropping_nothing() -> None:
    origin = _caps(drop=["SYS_TIME", "CAP_NET_BIND_SERVICE"]).capabilities["NET_BIND_SERVICE"]
    assert origin.ineffective_drop == IneffectiveDrop(1, "CAP_NET_BIND_SERVICE", "CAP_CAP_NET_BIND_SERVICE")
    assert _caps(drop=["CAP_NET_BIND_SERVICE"], runtime="cri-o").capabilities.get("NET_BIND_SERVICE") is None
    assert _caps().capabilities["NET_BIND_SERVICE"].ineffective_drop is None


def test_privileged_grants_everything_even_after_drop_all() -> None:
    result = _caps(drop=["ALL"], privileged=True)
    assert set(result.capabilities) == set(ALL_CAPABILITIES)
    assert result.capabilities["NET_BIND_SERVICE"].path == ("securityContext", "privileged")


def test_default_sets_differ_by_runtime() -> None:
    assert set(_caps(runtime="cri-o").capabilities) == set(RUNTIME_DEFAULTS["cri-o"])
    assert "NET_RAW" in _caps().capabilities and "NET_RAW" not in _caps(runtime="cri-o").capabilities


def test_paths_point_at_the_deciding_entry() -> None:
    assert _caps(add=["SYS_TIME", "NET_BIND_SERVICE"], drop=["ALL"]).capabilities["NET_BIND_SERVICE"].path == (
        "securityContext",
        "capabilities",
        "add",
        1,
    )
    assert _caps(drop=["CHOWN", "CAP_NET_BIND_SERVICE"]).capabilities["NET_BIND_SERVICE"].path == (
        "securityContext",
        "capabilities",
        "drop",
        1,
    )


def test_steps_explain_the_computation() -> None:
    steps = _caps(add=["NET_BIND_SERVICE"], drop=["ALL"]).steps
    assert steps[0].startswith("start from the containerd default set")
    assert "drop[0] 'ALL' -> empty set" in steps
    assert "add[0] 'NET_BIND_SERVICE' -> +CAP_NET_BIND_SERVICE" in steps


def test_malformed_capabilities_are_tolerated() -> None:
    result = effective_capabilities({"securityContext": {"capabilities": {"add": "NET_ADMIN", "drop": None}}})
    assert set(result.capabilities) == set(RUNTIME_DEFAULTS["containerd"])


@pytest.mark.parametrize(
    ("add", "drop", "has_bind", "step"),
    [
        # CRI-O leaves a name that already starts with cap_ (any case) unprefixed, so these work there.
        (None, ["CAP_NET_BIND_SERVICE"], False, "drop[0] 'CAP_NET_BIND_SERVICE' -> -CAP_NET_BIND_SERVICE"),
        (None, ["cap_net_bind_service"], False, "drop[0] 'cap_net_bind_service' -> -CAP_NET_BIND_SERVICE"),
        (["CAP_NET_BIND_SERVICE"], ["ALL"], True, "add[0] 'CAP_NET_BIND_SERVICE' -> +CAP_NET_BIND_SERVICE"),
        (["FOO"], ["ALL"], False, "add[0] 'FOO' -> CAP_FOO is not a capability: CRI-O refuses to create the container"),
    ],
)
def test_cri_o_prefixes_only_names_without_cap(add, drop, has_bind, step) -> None:
    result = _caps(add, drop, runtime="cri-o")
    assert ("NET_BIND_SERVICE" in result.capabilities) is has_bind
    assert step in result.steps


def test_containerd_ignores_a_doubly_prefixed_add() -> None:
    result = _caps(add=["CAP_NET_BIND_SERVICE"], drop=["ALL"])
    assert result.capabilities == {}
    assert (
        "add[0] 'CAP_NET_BIND_SERVICE' -> CAP_CAP_NET_BIND_SERVICE is not a capability: the runtime ignores it"
        in result.steps
    )


def test_a_drop_by_name_beside_all_matters_only_for_a_capability_added_back() -> None:
    assert covered_by_drop_all("NET_BIND_SERVICE", ["ALL"], [])
    assert covered_by_drop_all("net_bind_service", ["all"], ["NET_RAW"])
    assert not covered_by_drop_all("NET_BIND_SERVICE", ["ALL"], ["NET_BIND_SERVICE"])  # added back: drop it
    assert not covered_by_drop_all("NET_BIND_SERVICE", ["NET_RAW"], [])  # no ALL
    assert not covered_by_drop_all("ALL", ["ALL"], [])
    assert covered_by_drop_all("CAP_CHOWN", ["ALL"], ["CHOWN"])  # containerd: CAP_CAP_CHOWN is not CHOWN
    assert not covered_by_drop_all("CAP_CHOWN", ["ALL"], ["CHOWN"], runtime="cri-o")
