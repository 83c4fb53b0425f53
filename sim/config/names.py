"""Helping a user who wrote a name that does not exist: the closest valid name, and the list.

An unknown key, a misspelt agency or segment, a KPI that is not in the registry: each error
line says which names would have been valid, and the closest one when a typo is likely
(:func:`difflib.get_close_matches`, the ratio of matching characters, at least
:data:`CLOSE_ENOUGH`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

CLOSE_ENOUGH = 0.6
"""Least similarity (difflib's ratio, 0–1) for a valid name to be offered as a correction."""


def closest(name: str, valid: Iterable[str]) -> str | None:
    """The valid name most like ``name``, if one is close enough to be a likely typo."""
    matches = difflib.get_close_matches(name, list(valid), n=1, cutoff=CLOSE_ENOUGH)
    return matches[0] if matches else None


def did_you_mean(name: object, valid: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for a close valid name, else the empty string."""
    if not isinstance(name, str):
        return ""
    match = closest(name, valid)
    return f"; did you mean {match!r}?" if match is not None else ""


def unknown_name(kind: str, plural: str, name: object, valid: Iterable[str], *,
                 echo: bool = True) -> str:
    """The problem text for a name that names nothing: ``no agency named 'gama'; did you mean
    'gamma'? (agencies: alpha, gamma)``; without ``echo``, ``no agency of that name; …`` (for
    a caller that shows the name in its ``(got …)``, or not at all)."""
    names = list(valid)
    listed = ", ".join(names) if names else "none"
    named = f"named {name!r}" if echo else "of that name"
    return f"no {kind} {named}{did_you_mean(name, names)} ({plural}: {listed})"
