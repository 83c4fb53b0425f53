"""An agency's conduct: the slips by which its work breaks contact rules, and its controls.

Breaches are not drawn as a daily coin: each comes from something that happens
(``[agencies.conduct]``, :class:`~sim.config.schema.conduct.Conduct`), stopped by the agency's
controls with chance ``compliance`` (``compliance_when_behind`` while the agency is behind its
target pace, for the slips drawn that day):

* a wrong **time zone** on file, drawn once per account at hand-over: the number belongs to
  another state, and the agency reads the contact window on the zone of a cardholder drawn
  from the portfolio (often the same zone), so it may call or message outside the real one;
* a **manual redial**, drawn per account and day: a call a frequency rule has stopped (calls
  in 7 days, quiet days, daily caps) goes out anyway;
* a **late posting**, drawn per account at hand-over: a written cease request or dispute lies
  ``posting_days`` in the mailroom before the agency's system knows of it;
* a **disclosure** to a wrong party who picks up, and a **voicemail that says too much**,
  drawn per dial (:meth:`disclosures`).

What the law makes of each contact is not decided here: the dialler and the messenger record
every contact against the agency's rule book and the reference standard.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sim.config.schema import Agency
from sim.model.codes import Rule
from sim.model.portfolio.accounts import Accounts
from sim.model.rng import counter_uniforms
from sim.model.rules.book import RuleBook
from sim.model.rules.table import Contact, Times

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

FREQUENCY_RULES = np.array([int(Rule.CALLS_PER_7_DAYS), int(Rule.QUIET_AFTER_CONVERSATION),
                            int(Rule.CONVERSATIONS_PER_DAY), int(Rule.UNANSWERED_PER_DAY)])
"""The rules a manual redial breaks: those that stop calls for a while because of how many
there were."""
IS_FREQUENCY_RULE = np.zeros(max(int(rule) for rule in Rule) + 1, dtype=np.bool_)
IS_FREQUENCY_RULE[FREQUENCY_RULES] = True
"""Whether each rule code is one of :data:`FREQUENCY_RULES` (read by code)."""
CEASED, DISPUTE_HOLD = int(Rule.CEASED), int(Rule.DISPUTE_HOLD)


class Conduct:
    """The slips of one agency (``profile``) over ``accounts``, and what its ``book`` says."""

    def __init__(self, profile: Agency, accounts: Accounts, book: RuleBook,
                 rng: np.random.Generator, key: int) -> None:
        self.profile = profile
        self.slips = profile.conduct
        self.acc = accounts
        self.book = book
        self.history = book.history
        self.rng = rng
        self.key = key
        self.compliance = profile.compliance
        """Today's chance that a slip is caught (lower while the agency is behind target)."""
        self.believed_offset = accounts.local_offset.copy()
        """The cardholder's clock's lead on the agency's, as the agency's records have it."""
        self.late_posting = np.zeros(accounts.n, dtype=np.bool_)
        self.redial_today = np.zeros(accounts.n, dtype=np.bool_)

    def slipped(self, n: int, rate: float) -> BoolArray:
        """Which of ``n`` chances of a slip at ``rate`` get past today's controls."""
        chance = rate * (1.0 - self.compliance)
        if chance <= 0.0:
            return np.zeros(n, dtype=np.bool_)
        return self.rng.random(n) < chance

    def take_on(self, idx: IntArray) -> None:
        """Draw the records of newly placed accounts ``idx``: a number from another state (the
        zone of a cardholder drawn from the portfolio), and whether a letter from them will be
        posted late."""
        zone = self.slipped(len(idx), self.slips.wrong_time_zone)
        if zone.any():
            others = self.rng.integers(0, self.acc.n, int(zone.sum()))
            self.believed_offset[idx[zone]] = self.acc.local_offset[others]
        self.late_posting[idx] = self.slipped(len(idx), 1.0)

    def new_day(self, members: IntArray, compliance: float) -> None:
        """Start a day with controls that catch slips with chance ``compliance``."""
        self.compliance = compliance
        self.redial_today[members] = self.slipped(len(members), self.slips.manual_redial)

    def overlooked(self, idx: IntArray, blocks: IntArray, now: Times,
                   contact: Contact) -> BoolArray:
        """Which of the contacts to ``idx`` that ``blocks`` forbid the agency makes anyway: a
        manual redial past a frequency rule, or a written request not posted yet."""
        h, limits = self.history, self.book.limits
        through = np.zeros(len(idx), dtype=np.bool_)
        if contact is Contact.CALL:
            through |= self.redial_today[idx] & IS_FREQUENCY_RULE[blocks]
        late = self.late_posting[idx]
        if not late.any():
            return through
        unposted = now < h.cease_written_at[idx] + self.slips.posting_days
        if limits.cease_needs_writing:  # a spoken request binds from the call, no letter
            spoken_binds = (contact is Contact.CALL) & (h.cease_spoken_at[idx] <= now)
            through |= late & (blocks == CEASED) & unposted & ~spoken_binds
        if limits.dispute_needs_writing:
            unposted = now < h.dispute_written_at[idx] + self.slips.posting_days
            through |= late & (blocks == DISPUTE_HOLD) & unposted
        return through

    def disclosures(self, idx: IntArray, attempts: IntArray, wrong_party: BoolArray,
                    unanswered: BoolArray) -> BoolArray:
        """Which of the dials to ``idx`` (their ``attempts``-th) told a third party about the
        debt: a wrong party who picked up, or a voicemail left on an unanswered one."""
        catch = 1.0 - self.compliance
        if catch <= 0.0 or len(idx) == 0:
            return np.zeros(len(idx), dtype=np.bool_)
        slips = self.slips
        u = counter_uniforms(self.key, idx, attempts * 4)
        v = counter_uniforms(self.key, idx, attempts * 4 + 1)
        told = wrong_party & (u < slips.wrong_party_disclosure * catch)
        voicemail = unanswered & (u < slips.voicemail_share) \
            & (v < slips.voicemail_disclosure * catch)
        return told | voicemail
