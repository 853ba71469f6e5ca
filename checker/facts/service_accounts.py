"""Service account facts: whether the pod gets an API token mounted, and what decided it (the pod, its
ServiceAccount when the scan holds it, or the default).
"""

from __future__ import annotations

from ..semantics.service_accounts import SERVICE_ACCOUNT, automount_decision, service_account_name
from .registry import fact
from .scope import Match, Scope

DECIDERS = ("pod", "service-account", "default")


@fact(
    "pod.automount_service_account_token",
    "pod",
    record={"decided_by": DECIDERS, "service_account": None, "account_in_scan": ("true", "false")},
)
def _automount_service_account_token(scope: Scope) -> list[Match]:
    """true when the pod gets its ServiceAccount's API token mounted. Located at the pod's field when it sets
    one, at the ServiceAccount's field (in the ServiceAccount of the scan that the pod runs as, same namespace)
    when that decides, else where the pod's field would go; record decided_by (pod, service-account, default)
    service_account (the account's name) and account_in_scan (whether the scan holds that ServiceAccount)."""
    workload = scope.workload
    assert workload is not None
    name = service_account_name(workload.spec)
    account = scope.context.find("ServiceAccount", scope.resource.namespace, name, near=scope.resource)
    mounted, decided_by = automount_decision(workload.spec, account.obj if account is not None else None)
    record = {"decided_by": decided_by, "service_account": name, "account_in_scan": account is not None}
    field = ("spec", "automountServiceAccountToken")
    if decided_by == SERVICE_ACCOUNT and account is not None:
        note = f"automountServiceAccountToken of ServiceAccount {name}"
        return [Match(mounted, ("automountServiceAccountToken",), note, account, record=record)]
    note = (
        "the pod's automountServiceAccountToken"
        if decided_by == "pod"
        else "neither the pod nor its ServiceAccount sets automountServiceAccountToken"
    )
    return [Match(mounted, scope.pod_path(field), note, record=record)]
