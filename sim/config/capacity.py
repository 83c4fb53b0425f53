"""Capacity that follows size: each agency's collectors scaled with ``portfolio.accounts``.

``--set portfolio.accounts=2000`` on a file written for 20,000 accounts keeps its collectors,
so each collector has a tenth of the accounts and utilisation falls: the run answers another
question. With ``--scale-collectors`` every agency's collectors are multiplied by the new
number of accounts over the file's, rounded to the nearest whole collector and at least 1 (an
agency the file gives no collectors keeps none), and so is its ``fixed_monthly_cost``, so that
a scaled-down run keeps the economics of the full program (each collector's and each account's
share of the fixed cost). A head-count or fixed cost set explicitly (``--set
agencies.alpha.collectors=…``, or in an experiment's ``[overrides]``) is kept as given.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any

from sim.config.schema import Agency, Portfolio

DEFAULT_ACCOUNTS = Portfolio.model_fields["accounts"].default
DEFAULT_COLLECTORS = Agency.model_fields["collectors"].default
DEFAULT_FIXED_COST = Agency.model_fields["fixed_monthly_cost"].default
MAX_COLLECTORS: int = next(m.le for m in Agency.model_fields["collectors"].metadata
                           if hasattr(m, "le"))
"""The most collectors an agency may have (the schema's bound on ``collectors``)."""


def accounts_of(data: Mapping[str, Any]) -> Any:
    """``portfolio.accounts`` of scenario data as written (the schema default if unset)."""
    portfolio = data.get("portfolio")
    if not isinstance(portfolio, Mapping):
        return DEFAULT_ACCOUNTS
    return portfolio.get("accounts", DEFAULT_ACCOUNTS)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def scaled_collectors(collectors: int, ratio: float) -> int:
    """``collectors × ratio`` rounded half up, at least 1 (0 stays 0)."""
    if collectors == 0:
        return 0
    return max(1, math.floor(collectors * ratio + 0.5))


def scale_collectors(data: dict[str, Any], file_accounts: Any,
                     explicit: Collection[str] = (),
                     explicit_cost: Collection[str] = ()) -> None:
    """Scale, in place, the collectors and the fixed monthly cost of every agency in ``data``
    (a scenario after its overrides) by ``portfolio.accounts`` over ``file_accounts``, except
    the collectors of the agencies named in ``explicit`` and the fixed cost of those in
    ``explicit_cost``. Values of the wrong type are left for validation to report."""
    accounts = accounts_of(data)
    agencies = data.get("agencies")
    if not (_whole(accounts) and _whole(file_accounts) and file_accounts > 0 and accounts > 0
            and isinstance(agencies, list)):
        return
    ratio = accounts / file_accounts
    for agency in agencies:
        if not isinstance(agency, dict):
            continue
        cost = agency.get("fixed_monthly_cost", DEFAULT_FIXED_COST)
        if agency.get("name") not in explicit_cost and isinstance(cost, float | int) \
                and not isinstance(cost, bool):
            agency["fixed_monthly_cost"] = float(cost) * ratio
        if agency.get("name") in explicit:
            continue
        collectors = agency.get("collectors", DEFAULT_COLLECTORS)
        if _whole(collectors) and collectors >= 0:
            agency["collectors"] = scaled_collectors(collectors, ratio)


def explicit_collectors(paths: Collection[tuple[str, ...]],
                        field: str = "collectors") -> set[str]:
    """The agencies whose ``field`` (their collectors by default) a set of dotted override
    paths sets."""
    return {parts[1] for parts in paths
            if len(parts) == 3 and parts[0] == "agencies" and parts[2] == field}
