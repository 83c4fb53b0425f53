"""An agency's response to its standing at the bank's last review (``[agencies.response]``).

The bank's allocator gives each agency its :class:`Standing` after every review; the call list
reads it at the start of each day and applies :func:`respond`: the compliance its controls
work at, the daily attempts per account its dialler may make, and the number of its collectors
working this client (what the dialler staffs each pacing interval with), which for an agency
that staffs to its book also follows the accounts it holds. The response curves,
their parameters and sources are in :mod:`sim.config.schema.response`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.schema import Agency


@dataclass(frozen=True)
class Standing:
    """An agency's place at the last review: ``rank`` from 0 (last) to 1 (first), its
    ``share`` of future vintages after the review, and the ``step`` of share the next review
    can move."""

    rank: float
    share: float
    step: float

    @property
    def behind(self) -> float:
        """1 for the last-ranked agency, falling to 0 at the middle of the ranking."""
        return max(0.0, 1.0 - 2.0 * self.rank)

    @property
    def lead(self) -> float:
        """1 for the first-ranked agency, falling to 0 at the middle of the ranking."""
        return max(0.0, 2.0 * self.rank - 1.0)

    @property
    def at_stake(self) -> float:
        """The part of its future volume the next review can take: ``step / share``, at most
        1."""
        return min(1.0, self.step / self.share) if self.share > 0 else 1.0

    @property
    def pressure(self) -> float:
        """How far behind, times the share at stake (0–1)."""
        return self.behind * self.at_stake


@dataclass(frozen=True)
class Effort:
    """What an agency works with on a day: its controls' ``compliance``, the most call
    ``attempts`` per account, and the ``collectors`` working this client."""

    compliance: float
    attempts: int
    collectors: int


def respond(profile: Agency, compliance: float, standing: Standing | None,
            book: float | None = None) -> Effort:
    """The day's effort of agency ``profile`` whose controls would work at ``compliance``,
    given its ``standing`` at the last review (``None``: no review yet, nothing to respond
    to) and, for an agency that staffs to its book, ``book``: the accounts it holds over those
    its ``collectors`` were planned for (``None``: not known, the team as planned)."""
    response = profile.response
    team = float(profile.collectors)
    if response.staff_to_book and book is not None:
        team = max(1.0, team * book) if book > 0 else 0.0
    if standing is None or not response.active:
        return Effort(compliance, profile.max_attempts_per_day, round(team))
    pressure = standing.pressure
    return Effort(
        compliance=min(1.0, max(0.0, compliance - response.corner_cutting * pressure)),
        attempts=profile.max_attempts_per_day + round(response.extra_attempts * pressure),
        collectors=round(team * min(1.0, max(0.0, 1.0 - response.coasting * standing.lead))))
