"""Facts: derived values that rules read by name. Importing this package registers every fact module in
FACTS (facts/registry.py); each module holds the facts of one topic.
"""

from . import capabilities, ipv6, listening, ports, security_context, services, sysctls
from .registry import FACTS, Fact, fact_of

__all__ = [
    "FACTS",
    "Fact",
    "capabilities",
    "fact_of",
    "ipv6",
    "listening",
    "ports",
    "security_context",
    "services",
    "sysctls",
]
