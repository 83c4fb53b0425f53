"""What a pacing interval's dials leave behind, recorded at once (see
:mod:`sim.model.agency.dialler`): attempts, the call history, wrong numbers found and sent for
tracing, right-party contacts, the day's counts, and conduct — each dial read against the
agency's rule book (a **violation**) and the reference standard (a **conduct breach**), the
contact window at the moment of the dial on the cardholder's own clock, and a wrong party or a
voicemail told about the debt counted as a disclosure to a third party."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.agency.batch import Batch, log_dials
from sim.model.codes import Rule
from sim.model.rules.table import outside_window

if TYPE_CHECKING:
    from sim.model.agency.dialler import Dialler

ALLOWED, CONTACT_WINDOW = int(Rule.ALLOWED), int(Rule.CONTACT_WINDOW)
THIRD_PARTY_DISCLOSURE = int(Rule.THIRD_PARTY_DISCLOSURE)


def record_dials(dialler: Dialler, batch: Batch, placed: int, times: np.ndarray) -> None:
    """Record the first ``placed`` dials of ``dialler``'s ``batch``, made at ``times``."""
    if placed == 0:
        return
    acc, day = dialler.acc, batch.day
    idx = batch.accounts[:placed]
    connected, greeted = batch.reached()
    talked = np.zeros(placed, dtype=np.bool_)
    talked[connected] = True
    local = times + acc.local_offset[idx]
    blocks = np.where(outside_window(dialler.book.limits, local), CONTACT_WINDOW,
                      batch.blocks[:placed])
    breaches = np.where(outside_window(dialler.reference.limits, local), CONTACT_WINDOW,
                        batch.breaches[:placed])
    wrong = ~acc.phone_valid[idx]
    answered = batch.answered[:placed] | batch.wrong_party[:placed]  # somebody picked up
    dropped = np.zeros(placed, dtype=np.bool_)
    dropped[batch.abandoned] = True
    told = batch.wrong_party[:placed] & ~dropped
    disclosed = dialler.conduct.disclosures(idx, acc.attempts[idx], told, ~answered & ~wrong)
    if dialler.book.forbids_disclosure:
        blocks[disclosed & (blocks == ALLOWED)] = THIRD_PARTY_DISCLOSURE
    if dialler.reference.forbids_disclosure:
        breaches[disclosed & (breaches == ALLOWED)] = THIRD_PARTY_DISCLOSURE
    for k in np.flatnonzero(blocks != ALLOWED).tolist():
        dialler.legal.violation(int(idx[k]), int(blocks[k]), day)
    for k in np.flatnonzero(breaches != ALLOWED).tolist():
        dialler.legal.breach(int(idx[k]), int(breaches[k]), day)
    first = np.isnan(acc.first_attempt[idx])  # never called in this placement
    acc.first_attempt[idx[first]] = times[first]
    acc.attempts[idx] += 1
    acc.attempts_today[idx] += 1
    acc.last_attempt[idx] = times
    acc.max_pressure[idx] = np.maximum(acc.max_pressure[idx], batch.pressure[:placed] + 1)
    dialler.book.history.record_attempts(idx, times, answered, batch.asked_for[:placed])
    found = idx[wrong]
    acc.phone_known_bad[found] = True
    if dialler.profile.skip_trace_success > 0 and len(found):  # sent for tracing
        acc.trace_due[found] = times[wrong] + dialler.profile.skip_trace_days
        acc.traces[found] += 1
        dialler.counters.trace_cost += dialler.profile.skip_trace_cost * len(found)
    acc.unanswered_since_talk[idx[~talked]] += 1
    abandoned = np.array(batch.abandoned, dtype=np.int64)
    acc.answered_parts[idx[abandoned]] |= batch.bits[abandoned]
    if len(connected):
        reached = idx[connected]
        acc.rpcs[reached] += 1
        fresh = np.isnan(acc.first_rpc[reached])
        acc.first_rpc[reached[fresh]] = greeted[fresh]
    daily = dialler.counters.daily
    daily["calls"][day] += placed
    daily["rpcs"][day] += len(connected)
    daily["answered_calls"][day] += int(answered.sum())
    daily["abandoned_calls"][day] += len(batch.abandoned)
    if dialler.world.record_events:
        log_dials(dialler.world, dialler.index, batch, idx, times, wrong, answered, blocks,
                  disclosed)
