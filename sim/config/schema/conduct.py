"""``[agencies.conduct]``: the slips by which an agency breaks contact rules.

Breaches arise from things that happen on a collection floor, each at the agency's own rate,
and each is stopped by the agency's controls with chance ``compliance`` (``[[agencies]]``):

* a **wrong time zone** on file (a mobile number keeps its area code when its owner moves), so
  a call or message the agency's clock places inside the window may reach the cardholder
  outside it (the control: checking the address's time zone as well, 12 CFR 1006.6(b)(1)
  commentary);
* a **manual redial** of an account whose calls a frequency rule has stopped for the day (the
  control: a dialler that locks capped accounts);
* a **written request posted late** (a cease letter or written dispute left in the mailroom for
  ``posting_days``), so contact goes on after the law says it must stop; every letter is at
  risk, and the control (same-day posting) is the only thing that stops it;
* a **disclosure to a wrong party** who picks up (the control: verifying identity before saying
  what the call is about, 12 CFR 1006.6(d));
* a **voicemail that says too much** (the control: a limited-content message script, 12 CFR
  1006.2(j)).

With ``compliance = 1`` no slip gets through, whatever the rates here. Every rate but the first
is an assumption with the range given, for the ``robust`` command to sweep.
"""

from __future__ import annotations

from pydantic import Field

from sim.config.schema.common import Probability, Strict


class Conduct(Strict):
    """How often an agency's work would break a contact rule if its controls did not stop it."""

    wrong_time_zone: Probability = 0.1
    """Share 0–1 of accounts whose phone number on file belongs to another state than the one
    the cardholder lives in, so the agency reads the window on the number's time zone (drawn
    from the portfolio's zones: often the cardholder's own). 10% of US adults keep a number
    from another state (Pew Research Center, 2016); range 0.05–0.15."""
    manual_redial: Probability = 0.05
    """Chance 0–1, per account and day, that a collector redials by hand an account whose calls
    a frequency rule has stopped (assumption, 0–0.2)."""
    posting_days: float = Field(default=5.0, ge=0.0, le=60.0)
    """Days a written cease request or dispute waits in the mailroom when it is not posted the
    day it arrives (assumption, 1–10)."""
    wrong_party_disclosure: Probability = 0.2
    """Chance 0–1 that a collector who reaches someone other than the cardholder says what the
    call is about before verifying who they are (assumption, 0.05–0.5)."""
    voicemail_share: Probability = 0.3
    """Share 0–1 of unanswered dials on which the collector leaves a voicemail (assumption,
    0.1–0.6)."""
    voicemail_disclosure: Probability = 0.1
    """Chance 0–1 that a voicemail says more than a limited-content message (assumption,
    0–0.3)."""
