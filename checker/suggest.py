"""'Did you mean' for a mistyped name: the closest known names, as a phrase to append to an error message.

A leaf module: any layer may use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches


def close_to(word: str, choices: Iterable[str], limit: int = 1) -> list[str]:
    """The known names closest to word (difflib ratio 0.6 or more), best first."""
    return get_close_matches(word, sorted(set(choices)), n=limit, cutoff=0.6)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest known name, or an empty string when none is close."""
    close = close_to(word, choices)
    return f" (did you mean '{close[0]}'?)" if close else ""
