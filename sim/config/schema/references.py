"""Names a scenario uses to point at its own parts: agencies named by the allocation and the
second placement, segments named by routes.

:func:`reference_problems` is the one statement of which names must exist, and
:func:`reserved_name_problems` of which names an agency or segment may not take. The
:class:`~sim.config.schema.Scenario` model applies it to a valid scenario; loading applies it
to a file that has other problems too (:mod:`sim.config.loading`), so a misspelt agency is
reported in the same run as a wrong type elsewhere. Values that are not text are left to the
type checks.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sim.config.names import unknown_name


def reference_problems(agencies: Sequence[str], segments: Collection[str] | None, method: str,
                       champion: object, challenger: object,
                       routes: Sequence[tuple[object, object]],
                       second_placement: object) -> list[str]:
    """Every name that names nothing, as ``"dotted.field: problem (got 'name')"`` lines.

    ``segments`` is ``None`` when the segments are unknown (not checked then).
    """
    problems: list[str] = []

    def check(field: str, name: object, kind: str, plural: str,
              valid: Collection[str] | None) -> None:
        if isinstance(name, str) and valid is not None and name not in valid:
            problem = unknown_name(kind, plural, name, valid, echo=False)
            problems.append(f"{field}: {problem} (got {name!r})")

    check("bank.second_placement", second_placement, "agency", "agencies", agencies)
    if method == "champion_challenger":
        check("bank.allocation.champion", champion, "agency", "agencies", agencies)
        check("bank.allocation.challenger", challenger, "agency", "agencies", agencies)
        return problems
    for k, (agency, segment) in enumerate(routes):
        check(f"bank.allocation.routes.{k}.agency", agency, "agency", "agencies", agencies)
        check(f"bank.allocation.routes.{k}.segment", segment, "segment", "segments", segments)
    return problems


RESERVED_NAMES = ("total", "control")
"""Row names of the results (the whole program; the bank's control group), which an agency or
a segment named the same would be mistaken for."""


def reserved_name_problems(agencies: Sequence[str], segments: Collection[str]) -> list[str]:
    """Every agency or segment named like a row of the results (:data:`RESERVED_NAMES`)."""
    what = dict(zip(RESERVED_NAMES, ("the whole program", "the bank's control group"),
                    strict=True))
    problems = [f"agencies.{name}.name: {name!r} names {what[name]} in the results; choose "
                f"another name (got {name!r})" for name in agencies if name in what]
    problems += [f"portfolio.segments.{name}: {name!r} names {what[name]} in the results; "
                 f"choose another name (got {name!r})" for name in segments if name in what]
    return problems
