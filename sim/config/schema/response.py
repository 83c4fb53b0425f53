"""``[agencies.response]``: how an agency responds to its standing at the bank's reviews.

Under performance-based allocation every review ranks the agencies and moves ``step`` of future
share from the last to the first: a rank-order tournament whose prize is volume. Tournament
theory (Lazear & Rosen, 1981, *Journal of Political Economy* 89(5)) has effort rise with what
the contest puts at stake; practitioners report that collectors under pressure to make their
numbers push the legal limits (TrueAccord, "What's the problem with quotas for debt
collectors?", 2014). After each review an agency reads two figures:

* its **pressure**: how far behind it stands (1 for the last-ranked agency, falling to 0 at the
  middle of the ranking) times the share at stake, ``step / share`` (at most 1: the part of
  its future volume the next review can take);
* its **lead**: how far ahead it stands (1 for the first-ranked agency, falling to 0 at the
  middle).

and responds along straight lines, clipped to their ranges:

* **compliance** falls by ``corner_cutting × pressure`` (controls relaxed to catch up: slips
  get through more often);
* **dialler intensity**: the daily attempts per account rise by
  ``extra_attempts × pressure`` (rounded to whole attempts);
* **effort**: the share of its collectors working this client falls by ``coasting × lead``
  (collectors moved to other clients).

An agency may also **staff the client to its book** (``staff_to_book``): its ``collectors`` are
the team for its starting share of every account the program places, and each day the team
working the client keeps that many accounts per collector on the accounts it holds — a team
that grows and shrinks with the vintages in placement and the share the reviews give it, as
agencies size client teams to placement volume, instead of keeping a team sized for volume it
does not hold.

Before the first review, under any other allocation, and with every parameter 0 (the defaults)
an agency behaves as if the table were absent. The sizes are assumptions with the ranges given
(for the ``robust`` command); only the directions have sources.
"""

from __future__ import annotations

from pydantic import Field

from sim.config.schema.common import Probability, Strict


class Response(Strict):
    """How an agency's compliance, dialler intensity and effort follow its standing."""

    corner_cutting: float = Field(default=0.0, ge=0.0, le=5.0)
    """Fall in ``compliance`` per unit of pressure (behind × share at stake); compliance stops
    at 0 (assumption, 0–2; direction: pressure to make the numbers leads collectors to push
    the legal limits, TrueAccord 2014)."""
    extra_attempts: float = Field(default=0.0, ge=0.0, le=20.0)
    """Extra daily call attempts per account per unit of pressure, added to
    ``max_attempts_per_day`` and rounded (assumption, 0–5; direction: effort rises with the
    prize at stake, Lazear & Rosen 1981)."""
    coasting: Probability = 0.0
    """Fall 0–1 in the share of collectors working this client per unit of lead: a leader
    moves collectors to other work (assumption, 0–0.3; direction: a contestant far ahead
    gains little from more effort, Lazear & Rosen 1981)."""

    staff_to_book: bool = False
    """Size the team working this client to the accounts it holds, each day: ``collectors`` ×
    the accounts it holds / its starting ``share`` of every account the program places (at
    least one collector while it holds any); ``false`` = the same ``collectors`` whatever it
    holds. Needs a starting ``share``."""

    @property
    def active(self) -> bool:
        """Whether the agency responds to its standing at all."""
        return self.corner_cutting > 0 or self.extra_attempts > 0 or self.coasting > 0
