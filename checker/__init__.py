"""kubecheck: policy-as-code compliance checks for Kubernetes manifests.

The public API is scan(paths, packs=..., rules=..., skip_rules=..., policy_dirs=..., settings=...) -> Report.
"""

from .api import UsageError, plan, run_plan, scan
from .findings import Finding, Report, Severity
from .version import __version__

__all__ = ["Finding", "Report", "Severity", "UsageError", "__version__", "plan", "run_plan", "scan"]
