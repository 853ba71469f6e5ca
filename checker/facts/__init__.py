"""Facts: derived values that rules read by name. Importing this package registers every fact module in
FACTS (facts/registry.py); each module holds the facts of one topic.
"""

from . import (
    capabilities,
    containers,
    images,
    ipv6,
    listening,
    ports,
    security_context,
    service_accounts,
    services,
    sysctls,
)
from .registry import FACTS, Fact, fact_of

__all__ = [
    "FACTS",
    "Fact",
    "capabilities",
    "containers",
    "fact_of",
    "images",
    "ipv6",
    "listening",
    "ports",
    "security_context",
    "service_accounts",
    "services",
    "sysctls",
]
