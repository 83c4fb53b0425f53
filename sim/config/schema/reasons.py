"""The three reasons cardholders fall behind, each a profile of segment behaviour.

A segment of ``[portfolio.segments.<name>]`` names its ``reason`` (by default its own name,
when that is a reason). Every behaviour field the segment does not set comes from its reason's
profile here, so a scenario that states only shares and reasons runs on these values; a field
set in the file (or with ``--set``) overrides the profile. A segment whose reason is
``"other"`` gets the schema's generic defaults.

Each reason is a mechanism, not only a set of numbers (:mod:`sim.model.portfolio.reasons`,
:mod:`sim.model.behaviour.stage`, :mod:`sim.model.portfolio.lifecycle`):

* **money management** — the cardholder can pay but forgets: reminders work (``reminder_lift``),
  self-cure is high early and falls with time delinquent, and a cured account is the likeliest
  to miss a later minimum (``minimum_miss``);
* **income shock** — the cardholder wants to pay but cannot: capacity is low until income
  returns, after a spell drawn to match US unemployment durations (median about two months,
  mean about five: US Bureau of Labor Statistics, duration of unemployment), when it rises to
  ``recovered_capacity``; a minimum beyond capacity is usually missed
  (``unaffordable_minimum_miss``), so a hardship programme that lowers the payment can succeed,
  and its step-up fails if income has not returned;
* **misunderstanding** — a billing or terms question: the cardholder disputes until a
  conversation explains it, complains more if pressed before that (``misunderstood_complaint``),
  and once it is explained cures quickly (``cleared_cure_rate``).

Figures marked "assumption" have no public source; their plausible ranges are in
docs/sources.md, for sweeps and robustness checks.
"""

from __future__ import annotations

from typing import Any, Literal

Reason = Literal["money_management", "income_shock", "misunderstanding", "other"]
REASONS: tuple[str, ...] = ("money_management", "income_shock", "misunderstanding", "other")

_COMMON: dict[str, Any] = {
    "promise_keep": 0.65,  # 50-70% is the common assumption; no credible public figure
    "concentration": 4.0,  # assumption: spread of cardholders around the segment means
    "dispute_rate": 0.005,  # assumption; 27% of consumers disputed a debt (CFPB 2017 survey)
}

# Calibrated to the public targets of experiments/targets/industry.toml (right-party contact on 25%
# of dials; 0.8 complaints to a regulator per 1,000 accounts in 90 days) by
#   collectsim calibrate scenarios/baseline.toml --targets experiments/targets/industry.toml \
#     --scale 'portfolio.segments.*.answer_rate=0.8:2.2' \
#     --scale 'portfolio.segments.*.complaint_sensitivity=0.2:4' \
#     --budget 1500 --set portfolio.accounts=3000 --scale-collectors --workers 2
# (ABC-SMC, 1,802 simulations, 24 minutes on two cores). Each is a common factor on the three
# reasons' values, so the ratios between reasons stay the assumptions they were; the values below
# are the earlier ones times the posterior median factor:
# - answer rates x 1.339 (90% interval 1.271-1.400; identified by the contact rate);
# - complaint sensitivities x 1.735 (90% interval 0.35-3.47: NOT identified; the regulator's
#   figure is a count of a few events per 3,000 accounts, and any factor in that range agrees
#   with it; the median is used). The earlier values came from the same figure by another road:
#   0.8 per 1,000 to a regulator (CFPB FDCPA Annual Report 2025: about 207,800 debt-collection
#   complaints in 2024; Urban Institute: some 64 million consumers with debt in collections) and
#   7.6% of complaints to firms reaching a regulator or ombudsman (FCA complaints data and
#   Financial Ombudsman Service figures, 2024: 274,865 of 3.64 million), so about 11 per 1,000
#   (range 5-25) made to firms.
# `collectsim check targets scenarios/baseline.toml --targets experiments/targets/industry.toml`
# shows the baseline against both figures (README, "Calibrating to your figures").

PROFILES: dict[str, dict[str, Any]] = {
    "money_management": {
        **_COMMON,
        "balance_scale": 0.7,  # assumption: smaller balances
        # picked up by someone; calibrated (see above): right-party contact on 25% of dials with
        # the others and the wrong parties
        "answer_rate": 0.475,
        "evening_answer_factor": 1.6,  # assumption: at work in the day (1.3-2.0)
        "weekend_answer_factor": 1.4,  # assumption (1.1-1.8)
        "willingness": 0.6,
        "lump_sum_share": 0.45,  # can pay: the cause is forgetting
        "monthly_capacity": 0.1,
        "self_cure_rate": 0.0015,  # per day; assumption
        "reminder_lift": 1.5,  # small effect of reminders (Saulitis 2023)
        # can pay and forgets: the link removes the friction left (+30% on a reminded day;
        # assumption, 0.25-1.25)
        "payment_link_lift": 0.75,
        "misunderstanding": 0.05,
        "complaint_sensitivity": 0.000625,  # calibrated (see above)
        "cease_rate": 0.02,
        "callback_rate": 0.03,
        "minimum_miss": 0.15,  # assumption: the likeliest to fall behind again (0.05-0.3)
    },
    "income_shock": {
        **_COMMON,
        "balance_scale": 1.3,  # assumption: larger balances
        "answer_rate": 0.415,  # calibrated (see above)
        "evening_answer_factor": 1.1,  # assumption: often out of work, home in the day (1-1.4)
        "weekend_answer_factor": 1.1,  # assumption (1-1.4)
        "willingness": 0.65,  # wants to pay
        "lump_sum_share": 0.12,  # but cannot, until income returns
        "monthly_capacity": 0.04,
        "self_cure_rate": 0.0004,
        "reminder_lift": 0.3,
        "payment_link_lift": 0.13,  # cannot pay: a link helps little (+10%; assumption, 0-0.4)
        "misunderstanding": 0.02,
        "complaint_sensitivity": 0.000937,  # calibrated (see above)
        "cease_rate": 0.03,
        "callback_rate": 0.04,
        "hardship_response": 1.0,  # assumption: responds to hardship terms (logit lift)
        "breathing_space_request": 0.08,  # assumption: asks where the rules offer it (UK)
        "minimum_miss": 0.05,
        "income_shocked": 1.0,
        "income_recovery_median_days": 60.0,  # BLS: median unemployment spell about 2 months
        "income_recovery_mean_days": 150.0,  # BLS: mean about 5 months
        "recovered_capacity": 0.1,  # assumption: capacity once income returns (0.06-0.15)
    },
    "misunderstanding": {
        **_COMMON,
        "balance_scale": 0.9,
        "answer_rate": 0.522,  # calibrated (see above)
        "evening_answer_factor": 1.6,  # assumption: at work in the day (1.3-2.0)
        "weekend_answer_factor": 1.4,  # assumption (1.1-1.8)
        "willingness": 0.5,
        "lump_sum_share": 0.45,
        "monthly_capacity": 0.08,
        "self_cure_rate": 0.0006,
        "reminder_lift": 0.2,
        "payment_link_lift": 0.24,  # +20% on a reminded day (assumption, 0-0.6)
        "misunderstanding": 0.85,  # disputes the amount until it is explained
        "dispute_rate": 0.015,
        "complaint_sensitivity": 0.00312,  # complains easily; calibrated (see above)
        "cease_rate": 0.04,
        "callback_rate": 0.05,
        "minimum_miss": 0.05,
        "cleared_cure_rate": 0.05,  # assumption: once explained, cures within weeks (0.02-0.2)
        "misunderstood_complaint": 1.0,  # assumption: pressed before the explanation (0-2)
    },
    "other": {},
}


def with_reason_profile(name: str, segment: Any) -> Any:
    """The segment table ``segment`` (as read, a dict) with its reason resolved and every
    behaviour field it leaves unset taken from that reason's profile. Anything but a dict is
    returned unchanged for validation to report."""
    if not isinstance(segment, dict):
        return segment
    reason = segment.get("reason", name if name in PROFILES else "other")
    profile = PROFILES.get(reason) if isinstance(reason, str) else None
    if profile is None:
        return segment  # an unknown reason: the schema reports it
    return {**profile, **segment, "reason": reason}
