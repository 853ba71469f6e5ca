"""Print docs/writing-rules.md's table of condition operators from the operator registry:
``python -m checker.policy.operator_table`` (tests/test_operators.py checks the page holds it).
"""

from __future__ import annotations

from .operators import operators_markdown

if __name__ == "__main__":
    print(operators_markdown(), end="")
