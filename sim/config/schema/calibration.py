"""``[calibration]``: where a scenario's calibrated values came from (provenance, not input).

``collectsim calibrate --out DIR`` writes ``DIR/calibrated.toml``, a scenario that ``extends``
the one it calibrated and sets each calibrated field to its posterior median. It also records,
per field, the targets file the value was fitted to and the posterior 90% interval, so that a
run of that scenario — or of any scenario that extends it — can say which of its values were
calibrated, and to what. The model never reads this table.
"""

from __future__ import annotations

from pydantic import Field

from sim.config.schema.common import Finite, Strict


class CalibratedValue(Strict):
    """One calibrated field: its posterior and the figures it was fitted to."""

    targets: str = Field(min_length=1)
    """The targets file the value was fitted to, relative to the file that sets this entry."""
    source: str = ""
    """Where the targets' figures come from (the targets file's ``source``)."""
    median: Finite
    """Posterior median: the value the calibrated scenario sets."""
    q05: Finite
    """5% quantile of the posterior."""
    q95: Finite
    """95% quantile of the posterior."""
    identified: bool = True
    """Whether the targets identify the value (its 90% interval under half the prior range)."""


class Calibration(Strict):
    """``[calibration]``: which fields were calibrated, to which targets (provenance only)."""

    parameters: dict[str, CalibratedValue] = Field(default_factory=dict)
    """Calibrated fields by dotted path (as ``--set`` addresses them), e.g.
    ``[calibration.parameters."portfolio.segments.money_management.answer_rate"]``."""
