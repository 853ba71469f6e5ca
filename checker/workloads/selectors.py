"""Label selectors as Kubernetes evaluates them: a Service's plain map (every pair must be a label of the pod)
and a LabelSelector (matchLabels and matchExpressions with In, NotIn, Exists, DoesNotExist, ANDed).

A LabelSelector is told from a plain map by its values: a plain map's values are scalars, a LabelSelector's
are a map (matchLabels) and a list (matchExpressions). See
https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors and
https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/label-selector/ (an empty
LabelSelector selects every object; a selector with a requirement it cannot read selects none).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Scalar = str | int | float | bool
OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
ANY = "*"  # a label a controller sets to a value the manifests cannot tell (no label value holds a "*")

# The labels a controller adds to the pods it makes, beyond the template's (ANY: a value made at run time):
# Job https://kubernetes.io/docs/concepts/workloads/controllers/job/ (job-name, controller-uid, and their
# batch.kubernetes.io/ forms), CronJob the same with generated Job names, StatefulSet
# https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#pod-name-label and #pod-index-label,
# Deployment https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#pod-template-hash-label,
# controller-revision-hash (StatefulSet, DaemonSet) https://kubernetes.io/docs/reference/labels-annotations-taints/
_JOB = ("job-name", "batch.kubernetes.io/job-name")
_JOB_UID = ("controller-uid", "batch.kubernetes.io/controller-uid")
_CONTROLLER_LABELS: dict[tuple[str, str], tuple[str, ...]] = {
    ("batch", "CronJob"): (*_JOB, *_JOB_UID),
    ("batch", "Job"): _JOB_UID,
    ("apps", "StatefulSet"): (
        "statefulset.kubernetes.io/pod-name",
        "apps.kubernetes.io/pod-index",
        "controller-revision-hash",
    ),
    ("apps", "DaemonSet"): ("controller-revision-hash", "pod-template-generation"),
    ("apps", "Deployment"): ("pod-template-hash",),
}


def controller_labels(api_version: str, kind: str, name: str | None) -> dict[str, str]:
    """The labels the object's controller adds to each pod it makes (a Job's pods carry its name)."""
    group = api_version.rpartition("/")[0]
    added = dict.fromkeys(_CONTROLLER_LABELS.get((group, kind), ()), ANY)
    if (group, kind) == ("batch", "Job") and name:
        added.update(dict.fromkeys(_JOB, name))
    return added


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str  # In, NotIn, Exists, DoesNotExist
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        if self.operator == "Exists":
            return self.key in labels
        if self.operator == "DoesNotExist":
            return self.key not in labels
        if self.operator == "In":
            return labels.get(self.key) in self.values or labels.get(self.key) == ANY
        return labels.get(self.key) not in self.values  # NotIn: an absent label is not in the set


@dataclass(frozen=True)
class Selector:
    """A parsed selector: equality pairs (a plain map's pairs, matchLabels) and expressions, all ANDed.
    ``valid`` is False for a selector Kubernetes would reject or that kubecheck cannot read: it selects
    nothing, so a rule never passes on a selector it did not understand."""

    pairs: tuple[tuple[str, str], ...]
    expressions: tuple[Requirement, ...]
    valid: bool = True

    def matches(self, labels: dict[str, str]) -> bool:
        if not self.valid:
            return False
        return all(labels.get(k) in (v, ANY) for k, v in self.pairs) and all(
            e.matches(labels) for e in self.expressions
        )

    def index_keys(self) -> list[tuple[str, str]]:
        """The label pairs of which any selected object must carry one: the equality pairs, else the values
        of one In expression (empty: the selector must be checked against every candidate)."""
        if self.pairs:
            return [self.pairs[0]]
        for expression in self.expressions:
            if expression.operator == "In":
                return [(expression.key, value) for value in expression.values]
        return []


NOTHING = Selector((), (), valid=False)


def label_text(value: Any) -> str | None:
    """A label or selector value as the API server stores it (a string); YAML may read 1 or true, which a
    manifest cannot mean as anything but the string it spells. None for a mapping or list."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def labels_of(metadata: Any) -> dict[str, str]:
    """An object's (or pod template's) labels, as strings; non-scalar values are left out."""
    labels = metadata.get("labels") if isinstance(metadata, dict) else None
    if not isinstance(labels, dict):
        return {}
    found = {}
    for key, value in labels.items():
        text = label_text(value)
        if text is not None:
            found[str(key)] = text
    return found


def parse_selector(value: Any) -> Selector:
    """A Service selector (a plain map) or a LabelSelector, parsed; NOTHING when it cannot be read."""
    if not isinstance(value, dict):
        return NOTHING
    if any(isinstance(v, dict | list) for v in value.values()) or set(value) <= {"matchLabels", "matchExpressions"}:
        return _label_selector(value)
    pairs = [(str(k), label_text(v)) for k, v in value.items()]
    if any(v is None for _, v in pairs):
        return NOTHING
    return Selector(tuple((k, str(v)) for k, v in pairs), ())


def _label_selector(value: dict[Any, Any]) -> Selector:
    if set(value) - {"matchLabels", "matchExpressions"}:
        return NOTHING
    match_labels = value.get("matchLabels") or {}
    expressions = value.get("matchExpressions") or []
    if not isinstance(match_labels, dict) or not isinstance(expressions, list):
        return NOTHING
    pairs = []
    for key, label in match_labels.items():
        text = label_text(label)
        if text is None:
            return NOTHING
        pairs.append((str(key), text))
    requirements = []
    for expression in expressions:
        if not isinstance(expression, dict) or expression.get("operator") not in OPERATORS:
            return NOTHING
        operator, values = expression["operator"], expression.get("values") or []
        if not isinstance(expression.get("key"), str) or not isinstance(values, list):
            return NOTHING
        texts = [label_text(v) for v in values]
        if any(t is None for t in texts) or (operator in ("In", "NotIn")) != bool(texts):
            return NOTHING  # In/NotIn need values, Exists/DoesNotExist take none (the API server refuses it)
        requirements.append(Requirement(expression["key"], operator, tuple(str(t) for t in texts)))
    return Selector(tuple(pairs), tuple(requirements))
