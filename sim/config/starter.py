"""The starter scenario ``collectsim init FILE`` writes: short, commented, and valid.

:func:`starter_scenario` returns the text of a scenario file that states only what a planner
must decide — the portfolio's size, why its cardholders fell behind (one segment per reason,
each stating only its share: the behaviour comes from the reason's sourced profile in
:mod:`sim.config.schema.reasons`), a control group, the rules and two agencies — with a
comment on each table saying what it is and where to look for the rest
(``docs/scenario-reference.md``, ``docs/sources.md``). The profiles' figures quoted in the
comments are read from :data:`~sim.config.schema.reasons.PROFILES`, so they stay true.
"""

from __future__ import annotations

import re

from sim.config.schema.reasons import PROFILES, REASONS

# Shares of the reasons in a starter portfolio (the baseline's assumption).
STARTER_SHARES = {"money_management": 0.45, "income_shock": 0.35, "misunderstanding": 0.20}
# Profile fields quoted in each segment's comment: what a planner recognises first.
QUOTED = ("answer_rate", "willingness", "lump_sum_share", "monthly_capacity")


def scenario_name(stem: str) -> str:
    """A valid scenario name from a file name: characters outside letters, digits, ``_`` and
    ``-`` become ``_`` (``"my first"`` → ``"my_first"``)."""
    name = re.sub(r"[^A-Za-z0-9_\-]+", "_", stem).strip("_")
    return name or "my_scenario"


def _profile_note(reason: str) -> str:
    profile = PROFILES[reason]
    quoted = ", ".join(f"{key} {profile[key]:g}" for key in QUOTED[:2] if key in profile)
    return (f"# Behaviour from the '{reason}' profile — {quoted}, … —\n"
            "# set any field of the profile here to override it.")


def starter_scenario(name: str) -> str:
    """The text of a commented starter scenario called ``name`` (a valid scenario name)."""
    segments = []
    for reason in REASONS:
        if reason not in STARTER_SHARES:
            continue
        segments.append(f"{_profile_note(reason)}\n[portfolio.segments.{reason}]\n"
                        f"share = {STARTER_SHARES[reason]:.2f}                   "
                        "# assumption: your own portfolio's mix\n")
    return f'''# A starter scenario written by `collectsim init`. Check it with
# `collectsim validate`, run it with `collectsim run`. Every table and key, with its default,
# bounds and meaning, is in docs/scenario-reference.md; the sources of the default figures are
# in docs/sources.md; the shipped scenarios in scenarios/ (start with baseline.toml) show the
# other options.

# [scenario]: the question this file answers, and the run's length and seed.
[scenario]
name = "{name}"
description = "Two contingency agencies, 50/50, on three reasons for falling behind"
horizon_days = 90              # a 90-day placement: industry practice for contingency agencies
seed = 1

# [portfolio]: the accounts placed — how many, their balances and days past due (defaults in
# docs/scenario-reference.md under [portfolio]) — and why the cardholders fell behind.
[portfolio]
accounts = 20000

# [portfolio.segments.<reason>]: one table per reason (money_management, income_shock,
# misunderstanding; or "other" with reason = "other" for generic defaults). A segment named
# after a reason takes that reason's sourced behaviour (sim/config/schema/reasons.py); the
# shares must sum to 1.
{chr(10).join(segments)}
# [bank]: how the bank places accounts and what it keeps back. A control group (statements
# only, no agency) is the counterfactual every KPI is measured against.
[bank]
control_share = 0.1            # assumption: the bank keeps 10% of the accounts as a control group

# [rules]: the contact rules. A preset — "us_reg_f" (US Regulation F, 12 CFR 1006.14), "china",
# "uk", "none" — that any [rules] key stated here overrides (sim/config/schema/rules.py).
[rules]
regime = "us_reg_f"

# [[agencies]]: one table per agency (name and share of the accounts are required; everything
# else has a default listed in docs/scenario-reference.md under [[agencies]]). The shares must
# sum to 1.
[[agencies]]
name = "alpha"
share = 0.5
collectors = 20                # full-time collectors on shift
commission = 0.20              # 15-25% for early placements (NCLC; EY for ACA International)
# fee_per_account = 5.0        # or, or as well: a fee per account placed (early-stage work)
# cure_bonus = 25.0            # and a bonus per account brought current (before charge-off)

[[agencies]]
name = "beta"
share = 0.5
collectors = 20
commission = 0.18              # 18-19% average 2010-2013 (NCLC)
'''
