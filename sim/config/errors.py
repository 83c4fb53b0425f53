"""The input error: one line per problem, ``<file>: <dotted.field>: <what is wrong> (got <value>)``.

A :class:`ScenarioError` describes one problem. A file with several problems raises one
error that carries them all in :attr:`ScenarioError.problems` (:meth:`ScenarioError.several`):
its own text is the first problem's line, and the command line prints every line, so a user
fixes a file in one round instead of one round per mistake.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class ScenarioError(ValueError):
    """Bad input, described in one line: file, dotted field, problem and offending value.

    ``problems`` holds every problem found in the same input, this one first (just this one
    unless the error was made by :meth:`several`).
    """

    def __init__(self, file: str, field: str | None, problem: str, got: Any = None,
                 *, show_got: bool = False, unopenable: bool = False) -> None:
        self.file = file
        self.unopenable = unopenable  # the file itself could not be opened
        self.field = field
        self.problem = problem
        self.got = got
        self.problems: tuple[ScenarioError, ...] = (self,)
        parts = [_one_line(file)]
        if field:
            parts.append(_one_line(field))
        text = problem
        if show_got or got is not None:
            text += f" (got {_short(got)})"
        parts.append(text)
        super().__init__(": ".join(parts))

    @classmethod
    def several(cls, errors: Sequence[ScenarioError]) -> ScenarioError:
        """One error standing for every problem in ``errors`` (each error's own problems
        included, in order, a line repeated only once): the first, carrying them all."""
        unique: dict[str, ScenarioError] = {}
        for error in errors:
            for problem in error.problems:
                unique.setdefault(str(problem), problem)
        if not unique:
            raise ValueError("no problems to report")
        found = list(unique.values())
        first = found[0]
        first.problems = tuple(found)
        return first

    def lines(self) -> list[str]:
        """Every problem's line, as printed after ``error: ``."""
        return [str(problem) for problem in self.problems]


def _one_line(text: str) -> str:
    """``text`` with every character that is not printable escaped (``\\n``, ``\\x1e``,
    ``\\u2028``...), so that no line break or terminal control hides in an error line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 3] + "..."
