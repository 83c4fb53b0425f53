"""Scenario levers: regulation regimes, UK breathing space, fee tiers, cherry-picking, cutting
corners when behind target, legal and reputation costs, re-default follow-up, shipped scenarios.

Each lever is checked twice where it can be: on the schema or a hand-built state (exact), and
in a small replication (event log and KPIs), where the check is shown to have teeth by a
contrasting run in which the same measurement does find what it looks for.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from rule_replay import run_recording_messages

from sim.config.loading import ScenarioError, load_scenario
from sim.config.schema import REGIMES, Bank, Portfolio, Rules, Segment
from sim.model.agency.fees import commission_rate, expected_fee
from sim.model.bank.follow_up import follow_up
from sim.model.bank.placement import agency_scores
from sim.model.codes import Rule, Status
from sim.model.payments import accrue_interest
from sim.model.portfolio.accounts import Accounts, draw_portfolio
from sim.model.replication import run_replication
from sim.model.results import TOTAL
from sim.model.rng import Streams
from sim.model.rules.book import RuleBooks
from sim.model.rules.history import ContactHistory
from sim.validation.anchors import POST_CHARGE_OFF

REPO = Path(__file__).resolve().parents[2]
SCENARIO_FILES = sorted((REPO / "scenarios").glob("*.toml"))
UNANSWERED = ("no_answer", "wrong_number", "voicemail_disclosed")
# picked up, but no conversation with the cardholder: neither unanswered nor a conversation
NO_CONVERSATION = ("wrong_party", "wrong_party_disclosed", "abandoned")
SEGMENTS = ("money_management", "income_shock", "misunderstanding")
# Collectors who would dial an account many times a day, from the top of a static list, from
# before the window opens until after it closes, if the rules let them.
PUSHY = {"max_attempts_per_day": 20, "retry_hours": 0.25, "shift.start": "06:00",
         "shift.end": "23:30", "pacing_minutes": 15, "strategy": "static"}
BREATHING_REQUEST = "portfolio.segments.income_shock.breathing_space_request=0.5"
SLIPS = {"conduct.wrong_time_zone": 0.3, "conduct.manual_redial": 0.5}


def minutes_of_day(t) -> np.ndarray:
    """Clock minutes of times ``t`` (days), rounded to a microsecond-ish: ``day + 08:00`` in
    floating point lands a hair before 08:00 and must read as 08:00."""
    t = np.asarray(t, dtype=np.float64)
    return np.round((t - np.floor(t)) * 1440.0, 3)


def outbound_calls(events: pd.DataFrame) -> pd.DataFrame:
    """Outbound calls with the cardholder's local calendar day and whether they reached the
    cardholder."""
    calls = events[events.kind == "call"].copy()
    calls["day"] = np.floor(calls.local_time).astype(int)
    calls["conversation"] = ~calls.outcome.isin(UNANSWERED + NO_CONVERSATION)
    calls["unanswered"] = calls.outcome.isin(UNANSWERED)
    return calls


def single_segment(name: str) -> list[str]:
    """Overrides giving segment ``name`` the whole portfolio."""
    return [f"portfolio.segments.{s}.share={1.0 if s == name else 0.0}" for s in SEGMENTS]


def tiny(n: int, **segment) -> Accounts:
    """``n`` accounts of one segment, $1,000.00 each, placed at day 0 and workable."""
    spec = Portfolio(accounts=n, segments={"only": Segment(share=1.0, **segment)})
    acc = draw_portfolio(spec, Bank(), Streams(1, 0))
    acc.balance[:] = acc.placed[:] = acc.outstanding[:] = 100_000
    acc.status[:] = Status.ACTIVE
    acc.is_placed[:] = True
    acc.placed_day[:] = 0.0
    acc.recall_day[:] = 90.0
    return acc


def binomial_ok(successes: int, n: int, p: float, k: float = 4.0) -> tuple[bool, str]:
    se = np.sqrt(p * (1.0 - p) / n)
    share = successes / n
    return abs(share - p) <= k * se, f"share {share:.4f} vs {p:.4f} ± {k}·{se:.4f} (n={n})"


# =========================================================================== 1. regimes


def test_china_preset(small_scenario):
    rules = small_scenario('rules.regime="china"').rules
    assert rules.regime == "china"
    assert (rules.window_start, rules.window_end) == ("08:00", "22:00")
    assert rules.max_conversations_per_day == 3
    assert rules.max_unanswered_per_day == 6
    assert rules.max_calls_per_7_days == 0  # no weekly cap
    assert rules.quiet_days_after_conversation == 0.0  # no quiet days
    assert rules.breathing_space_days == 0.0
    assert rules.honour_cease_requests
    # the shipped China scenario is the same preset
    shipped = load_scenario(REPO / "scenarios" / "china_rules.toml").rules
    assert shipped == rules


def test_explicit_rule_fields_beat_the_preset(small_scenario):
    rules = small_scenario('rules.regime="china"', "rules.max_conversations_per_day=2",
                           'rules.window_end="21:30"', "rules.max_calls_per_7_days=7").rules
    assert rules.max_conversations_per_day == 2
    assert rules.window_end == "21:30"
    # stated explicitly, even a value equal to the schema default beats the preset's 0
    assert rules.max_calls_per_7_days == 7
    # what was not stated still comes from the preset
    assert rules.window_start == "08:00"
    assert rules.max_unanswered_per_day == 6
    assert rules.quiet_days_after_conversation == 0.0
    # the same through the schema directly
    direct = Rules(regime="uk", breathing_space_days=30, window_start="09:00")
    assert direct.breathing_space_days == 30.0
    assert direct.window_start == "09:00"
    assert direct.window_end == "21:00"


def test_default_regime_is_regulation_f():
    rules = Rules()
    for key, value in REGIMES["us_reg_f"].items():
        assert getattr(rules, key) == value, key


def test_none_regime_has_no_caps_and_nothing_blocks():
    rules = Rules(regime="none")
    assert rules.max_calls_per_7_days == 0
    assert rules.quiet_days_after_conversation == 0.0
    assert rules.max_conversations_per_day == rules.max_unanswered_per_day == 0
    assert rules.max_messages_per_7_days == 0
    assert not rules.honour_cease_requests
    assert rules.dispute_hold_days == 0.0
    assert rules.breathing_space_days == 0.0

    books = RuleBooks(rules, local_offset=np.zeros(4), placed_day=np.zeros(4))
    reg_f_books = RuleBooks(Rules(regime="us_reg_f"), local_offset=np.zeros(4),
                            placed_day=np.zeros(4))
    now = 10.0 + 3.0 / 24.0  # 03:00
    for history in (books.history, reg_f_books.history):
        history.record_cease(0, now - 1.0, received=None)  # said on the phone yesterday
        history.record_dispute(1, now - 2.0, received=10.0)  # in writing, received today
        for k in range(30):  # a barrage: 30 calls, 10 conversations today
            t = now - 0.1 + k / 1000.0
            history.record_attempts(np.array([2]), np.array([t]), np.array([k % 3 == 0]))
            if k % 3 == 0:
                history.record_conversation(2, t)
    idx = np.arange(4)
    for book in (books.third_party, books.first_party):
        assert [book.call_block(int(i), now) for i in idx] == [Rule.ALLOWED] * 4
        assert (book.call_block_reasons(idx, now) == Rule.ALLOWED).all()
        assert (book.message_block_reasons(idx, now) == Rule.ALLOWED).all()
        for clock in (0.0, 3.0, 7.99, 21.5, 23.99):  # any hour of the day
            assert book.call_block(3, 10.0 + clock / 24.0) == Rule.ALLOWED
    # the same history under Regulation F is blocked: the check above has teeth
    reg_f = reg_f_books.third_party
    noon = 10.5
    assert reg_f.call_block(0, noon) == Rule.CEASED
    assert reg_f.call_block(1, noon) == Rule.DISPUTE_HOLD
    assert reg_f.call_block(2, noon) != Rule.ALLOWED
    assert reg_f.call_block(3, now) == Rule.CONTACT_WINDOW


def test_uk_preset_offers_a_sixty_day_breathing_space(small_scenario):
    rules = small_scenario('rules.regime="uk"').rules
    assert rules.breathing_space_days == 60.0
    assert (rules.window_start, rules.window_end) == ("08:00", "21:00")
    assert rules.max_calls_per_7_days == 0
    assert rules.max_conversations_per_day == rules.max_unanswered_per_day == 0
    assert rules.honour_cease_requests
    for regime in ("us_reg_f", "china", "none"):
        assert Rules(regime=regime).breathing_space_days == 0.0, regime


@pytest.mark.parametrize("value", ['"mars"', '"UK"', '"us-reg-f"', "3", "true"])
def test_unknown_regime_is_a_scenario_error(small_scenario, value):
    with pytest.raises(ScenarioError) as caught:
        small_scenario(f"rules.regime={value}")
    assert caught.value.field == "rules.regime"
    assert "rules.regime" in str(caught.value)


def test_unknown_regime_rejected_by_the_schema():
    with pytest.raises(ValidationError):
        Rules(regime="mars")


@pytest.fixture(scope="module")
def china_runs(small_scenario):
    """China rules, pushy collectors on a 06:00-23:30 shift; full compliance, and half with
    frequent slips (wrong time zones on file, manual redials past the daily caps)."""
    runs = {}
    for compliance in (1.0, 0.5):
        scenario = small_scenario('rules.regime="china"', accounts=600, collectors=3,
                                  horizon=20, each={**PUSHY, **SLIPS, "compliance": compliance})
        results = run_replication(scenario, seed=3, record_events=True)
        runs[compliance] = (scenario, results, outbound_calls(results.events))
    return runs


def _daily_counts(calls: pd.DataFrame) -> pd.DataFrame:
    per_day = calls.groupby(["account", "day"])[["conversation", "unanswered"]].sum()
    return pd.DataFrame({"conversations": per_day["conversation"],
                         "unanswered": per_day["unanswered"]})


def test_china_caps_and_window_hold_under_full_compliance(china_runs):
    _, results, calls = china_runs[1.0]
    assert len(calls) > 5000
    counts = _daily_counts(calls)
    assert counts.conversations.max() <= 3
    assert counts.unanswered.max() <= 6
    # the caps bind: without them this run would show nothing
    assert (counts.conversations == 3).any()
    assert (counts.unanswered == 6).any()
    minutes = minutes_of_day(calls.local_time)
    assert (minutes >= 8 * 60).all(), calls[minutes < 8 * 60].head()
    assert (minutes < 22 * 60).all(), calls[minutes >= 22 * 60].head()
    # collectors on shift from 06:00 to 23:30 dial right up to the window's edges
    assert minutes.min() < 8.5 * 60
    assert minutes.max() > 21.5 * 60
    assert results.kpi("rule_violations") == 0
    assert (calls.rule_broken == "").all()


def test_china_breaches_at_half_compliance_are_all_flagged(china_runs):
    """The same measurements find breaches when the agency ignores the rules — all flagged."""
    _, results, calls = china_runs[0.5]
    calls = calls.sort_values("time", kind="stable")
    group = calls.groupby(["account", "day"])
    conversations_before = group.conversation.cumsum() - calls.conversation
    unanswered_before = group.unanswered.cumsum() - calls.unanswered
    minutes = minutes_of_day(calls.local_time)
    outside = (minutes < 8 * 60) | (minutes >= 22 * 60)
    too_many_conversations = conversations_before >= 3
    too_many_unanswered = unanswered_before >= 6
    assert too_many_conversations.any()
    assert too_many_unanswered.any()
    assert outside.any()
    breach = outside | too_many_conversations | too_many_unanswered
    assert (calls.rule_broken[breach] != "").all()
    assert (calls.rule_broken[outside] == "contact_window").all()
    assert results.kpi("rule_violations") >= int(breach.sum())


def test_none_regime_contacts_after_cease_and_dispute_without_violation(small_scenario):
    """Under ``none`` a fully compliant agency still calls after a request to stop or during a
    dispute's verification: nothing blocks it, so nothing is a violation; under Regulation F it
    does neither (every request here is put in writing too: a spoken request stops the calls at
    once, a written dispute received within the validation period holds them 30 days)."""
    reg_f = Rules(regime="us_reg_f")
    found = {}
    for regime in ("none", "us_reg_f"):
        scenario = small_scenario(f'rules.regime="{regime}"', "rules.written_request_share=1.0",
                                  accounts=800, collectors=3, horizon=30,
                                  each={"compliance": 1.0, "max_attempts_per_day": 4,
                                        "retry_hours": 1.0})
        results = run_replication(scenario, seed=4, record_events=True, keep_accounts=True)
        events = results.events
        calls = events[events.kind == "call"]
        ceased = events[events.outcome == "cease_request"].groupby("account").time.min()
        later = calls.merge(ceased.rename("since"), left_on="account", right_index=True)
        after_cease = int((later.time > later.since).sum())
        disputes = events[events.outcome == "dispute"]
        received = np.ceil(disputes.time + reg_f.mail_days)
        placed = results.accounts.set_index("account").placed_day
        holds = pd.DataFrame({"account": disputes.account, "since": received,
                              "until": np.ceil(received + reg_f.dispute_hold_days)})
        holds = holds[received <= disputes.account.map(placed) + reg_f.validation_days]
        held = calls.merge(holds, on="account")
        during_hold = int(((held.time >= held.since) & (held.time < held.until)).sum())
        assert results.kpi("rule_violations") == 0, regime
        found[regime] = (after_cease, during_hold)
    assert found["none"][0] > 0 and found["none"][1] > 0
    assert found["us_reg_f"] == (0, 0)


# =========================================================================== 2. breathing space


def breathing_windows(events: pd.DataFrame,
                      rules: Rules) -> dict[int, list[tuple[float, float]]]:
    """Per account, the (start, end) of each breathing space the event log's requests led to:
    the debt adviser's application takes effect at the first midnight
    ``breathing_space_referral_days`` after the request, for ``breathing_space_days``; a
    request for a space that would start within 12 months of the last one's start starts none
    (SI 2020/1311: one standard breathing space in 12 months), so a space pending or running
    always runs its course."""
    windows: dict[int, list[tuple[float, float]]] = defaultdict(list)
    granted = events[events.outcome == "breathing_space"]
    for account, t in zip(granted.account, granted.time, strict=True):
        start = float(np.ceil(t + rules.breathing_space_referral_days))
        spans = windows[int(account)]
        if spans and start < spans[-1][0] + 365.0:
            continue
        spans.append((start, start + rules.breathing_space_days))
    return windows


def inside(frame: pd.DataFrame, windows, time_column: str = "time") -> np.ndarray:
    """Rows of ``frame`` (account, time) strictly inside one of their account's windows."""
    mask = np.zeros(len(frame), dtype=np.bool_)
    accounts = frame.account.to_numpy()
    times = frame[time_column].to_numpy()
    for account, spans in windows.items():
        rows = np.flatnonzero(accounts == account)
        for start, end in spans:
            mask[rows] |= (times[rows] > start) & (times[rows] < end - 1e-9)
    return mask


UK_EACH = {"max_attempts_per_day": 6, "retry_hours": 1.0, "sms.every_days": 1,
           "sms.first_day": 0}
# The bank's own team (beta) under a policy that ignores breathing space, measured against the
# UK's rules as the reference standard.
BANK_IGNORES_BREATHING_SPACE = ['agencies.beta.kind="in_house"',
                                "rules.first_party.breathing_space_days=0",
                                'rules.reference="uk"']


@pytest.fixture(scope="module")
def uk_runs(small_scenario):
    runs = {}
    for label, extra in (("uk", []), ("uk_short", ["rules.breathing_space_days=12"]),
                         ("uk_bank_policy", BANK_IGNORES_BREATHING_SPACE)):
        scenario = small_scenario('rules.regime="uk"', BREATHING_REQUEST, *extra,
                                  accounts=1000, collectors=3, horizon=60,
                                  each={**UK_EACH, "compliance": 1.0})
        runs[label] = (scenario, *run_recording_messages(scenario, seed=3))
    return runs


def test_breathing_space_is_granted_and_counted(uk_runs):
    scenario, results, _ = uk_runs["uk"]
    events = results.events
    granted = events[events.outcome == "breathing_space"]
    assert results.kpi("breathing_space_share") > 0
    assert len(granted) > 50
    accounts = results.accounts.set_index("account")
    names = [a.name for a in scenario.agencies]
    for index, name in enumerate(names):
        members = accounts[accounts.agency == name]
        with_space = granted[granted.agency == index].account.nunique()
        assert results.kpi("breathing_space_share", name) == pytest.approx(
            with_space / len(members), abs=1e-12)
        assert results.kpi("breathing_space_share", name) > 0
    assert results.kpi("breathing_space_share") == pytest.approx(
        granted.account.nunique() / len(accounts), abs=1e-12)
    # only the income-shock segment asks for it (the others' request probability is 0)
    assert set(accounts.segment[granted.account.unique()].astype(str)) == {"income_shock"}


@pytest.mark.parametrize("label", ["uk", "uk_short"])
def test_no_contact_during_breathing_space_under_full_compliance(uk_runs, label):
    scenario, results, messages = uk_runs[label]
    windows = breathing_windows(results.events, scenario.rules)
    assert len(windows) > 50
    calls = results.events[results.events.kind == "call"]
    called_inside = calls[inside(calls, windows)]
    assert called_inside.empty, called_inside.head()
    assert results.kpi("rule_violations") == 0
    # daily SMS is due for every live account: without the pause these accounts would get one
    assert len(messages) > 10_000
    messaged_inside = messages[inside(messages, windows)]
    assert messaged_inside.empty, messaged_inside.head()
    # the same accounts were messaged before their breathing space began
    first_start = {a: min(s for s, _ in spans) for a, spans in windows.items()}
    before = messages[messages.account.isin(list(first_start))]
    before = before[before.time < before.account.map(first_start)]
    assert before.account.nunique() > 0.9 * len(windows)


def test_contact_resumes_when_a_short_breathing_space_ends(uk_runs):
    scenario, results, messages = uk_runs["uk_short"]
    windows = breathing_windows(results.events, scenario.rules)
    last_end = {a: max(e for _, e in spans) for a, spans in windows.items()}
    calls = results.events[results.events.kind == "call"]
    after = calls[calls.account.isin(list(last_end))]
    after = after[after.time >= after.account.map(last_end)]
    assert after.account.nunique() > 0
    resumed = messages[messages.account.isin(list(last_end))]
    resumed = resumed[resumed.time >= resumed.account.map(last_end)]
    assert resumed.account.nunique() > 0


def test_calls_through_a_breathing_space_are_conduct_breaches(uk_runs):
    """No slip of an agency reaches a breathing space, so only a desk whose own rules leave it
    out calls through one: the bank's team under a policy that ignores it breaks none of its
    rules, but each such contact breaches the reference standard (here the UK's)."""
    scenario, results, messages = uk_runs["uk_bank_policy"]
    windows = breathing_windows(results.events, scenario.rules)
    calls = results.events[results.events.kind == "call"]
    during = calls[inside(calls, windows)]
    messaged = messages[inside(messages, windows)]
    bank_team = [a.name for a in scenario.agencies].index("beta")
    assert len(during) > 0 and (during.agency == bank_team).all()
    assert (messaged.agency == bank_team).all()
    assert (during.rule_broken == "").all()
    assert results.kpi("rule_violations") == 0
    through = pd.concat([during.account, messaged.account]).value_counts()
    breaches = results.accounts.set_index("account").breaches
    assert (breaches[through.index] >= through).all()
    assert results.kpi("conduct_breaches") >= len(during) + len(messaged)


def test_breathing_space_pauses_interest():
    """Interest is not charged on accounts in breathing space while it lasts, and resumes."""
    acc = tiny(6)
    acc.status[5] = Status.PENDING  # pending accounts accrue too (they are placed)
    rules = Rules(regime="uk")
    history = ContactHistory([rules.limits()], np.zeros(acc.n), np.zeros(acc.n))
    paused = np.array([0, 2, 5])
    for i in paused:  # from day 1 (the adviser's application) to the end of day 60
        history.record_breathing_space(int(i), 1.0, rules.breathing_space_days)
    apr = 0.2499
    accrued = []
    for day in range(1, 71):
        accrue_interest(acc, apr, day, paused=history.in_breathing_space(float(day)))
        accrued.append(acc.accrued.copy())
    others = np.setdiff1d(np.arange(acc.n), paused)
    at_day = {day: accrued[day - 1] for day in (1, 60, 61, 70)}
    assert (at_day[60][paused] == 0).all()
    assert (at_day[60][others] > 0).all()
    assert (at_day[1][others] == round(100_000 * apr / 365)).all()
    # from day 61 the paused accounts accrue exactly as the others did from day 1
    np.testing.assert_array_equal(at_day[70][paused],
                                  np.full(len(paused), accrued[9][others[0]]))
    acc.check_ledger()


def test_no_breathing_space_under_regulation_f(small_scenario):
    scenario = small_scenario('rules.regime="us_reg_f"', BREATHING_REQUEST, accounts=1000,
                              collectors=3, horizon=60, each={**UK_EACH, "compliance": 1.0})
    assert scenario.rules.breathing_space_days == 0
    results = run_replication(scenario, seed=3, record_events=True)
    for row in results.kpis.index:
        assert results.kpi("breathing_space_share", row) == 0.0, row
    assert not (results.events.outcome == "breathing_space").any()
    assert (results.events.kind == "call").sum() > 5000  # plenty of conversations happened


# =========================================================================== 3. fee tiers


@pytest.fixture(scope="module")
def fee_runs(small_scenario):
    """The same replication without and with commission tiers (fees do not change effort)."""
    flat = run_replication(small_scenario(accounts=1500, collectors=3, horizon=45), seed=8)
    recovery = flat.kpi("recovery_rate", "alpha")
    assert 0.01 < recovery < 0.45
    alpha_tiers = [(recovery / 2, 0.25), (recovery * 0.9, 0.3), (min(0.99, recovery * 2), 0.45)]
    text = ", ".join(f"{{recovery_at_least = {r!r}, rate = {q!r}}}" for r, q in alpha_tiers)
    tiered = small_scenario(f"agencies.alpha.commission_tiers=[{text}]",
                            "agencies.beta.commission_tiers=[{recovery_at_least = 0.95, "
                            "rate = 0.5}]", accounts=1500, collectors=3, horizon=45)
    return flat, tiered, run_replication(tiered, seed=8)


def test_tiered_commission_kpi_is_rate_times_collected(fee_runs):
    flat, scenario, tiered = fee_runs
    for row in ("alpha", "beta", TOTAL):
        assert tiered.kpi("collected", row) == flat.kpi("collected", row)
    alpha = next(a for a in scenario.agencies if a.name == "alpha")
    beta = next(a for a in scenario.agencies if a.name == "beta")
    collected = tiered.kpi("collected", "alpha")
    recovery = tiered.kpi("recovery_rate", "alpha")
    # alpha's recovery reaches its second tier (30%), not its third
    assert commission_rate(alpha, recovery) == 0.3
    assert tiered.kpi("commission", "alpha") == pytest.approx(0.3 * collected, rel=1e-12,
                                                              abs=1e-9)
    # beta's only tier (95%) is out of reach: its base 18%
    assert tiered.kpi("commission", "beta") == pytest.approx(
        beta.commission * tiered.kpi("collected", "beta"), rel=1e-12, abs=1e-9)
    assert tiered.kpi("commission") == pytest.approx(
        tiered.kpi("commission", "alpha") + tiered.kpi("commission", "beta"), abs=1e-9)
    assert tiered.kpi("commission", "alpha") > flat.kpi("commission", "alpha")
    for row in ("alpha", "beta", TOTAL):
        assert tiered.kpi("net_recovery", row) == pytest.approx(
            tiered.kpi("collected", row) - tiered.kpi("commission", row)
            - tiered.kpi("contact_cost", row), abs=1e-6)


# =========================================================================== 4. cherry-picking


def beta_expected_fees(scenario, seed: int) -> np.ndarray:
    """What beta expects to earn on every account of replication 0, recomputed from scratch."""
    accounts = draw_portfolio(scenario.portfolio, scenario.bank, Streams(seed, 0))
    scores = agency_scores(scenario, accounts, Streams(seed, 0))
    index = [a.name for a in scenario.agencies].index("beta")
    prior = float(accounts.propensity.mean())
    return expected_fee(scenario.agencies[index], accounts.balance / 100.0, scores[index], prior)


@pytest.fixture(scope="module")
def cherry_runs(small_scenario):
    runs = {}
    for threshold in (150.0, 0.0):
        scenario = small_scenario(f"agencies.beta.min_expected_fee={threshold}",
                                  accounts=1500, collectors=3, horizon=60)
        results = run_replication(scenario, seed=5, keep_accounts=True)
        runs[threshold] = (scenario, results, beta_expected_fees(scenario, 5))
    return runs


def test_cherry_picking_leaves_accounts_with_the_one_contractual_call(cherry_runs):
    _, results, fee = cherry_runs[150.0]
    accounts = results.accounts
    beta = (accounts.agency == "beta").to_numpy()
    low = fee < 150.0
    attempts = accounts.attempts.to_numpy()
    # the placement contract's first call, then nothing for accounts not worth the fee
    assert attempts[beta & low].max() <= 1
    assert attempts[beta & ~low].mean() > 2 * attempts[beta & low].mean()
    assert results.kpi("never_attempted_share", "beta") < 0.05
    assert results.kpi("never_attempted_share", "alpha") < 0.05


def test_accounts_screened_out_are_exactly_those_below_the_threshold(cherry_runs):
    scenario, results, fee = cherry_runs[150.0]
    accounts = results.accounts
    beta = (accounts.agency == "beta").to_numpy()
    attempts = accounts.attempts.to_numpy()
    never = attempts == 0
    low = fee < 150.0
    assert (beta & low).sum() > 100 and (beta & ~low).sum() > 100
    # every beta account worth less than the threshold gets one call at most ...
    assert (attempts[beta & low] <= 1).all()
    # ... while most of those worth it are called again
    assert (attempts[beta & ~low] > 1).mean() > 0.5
    # the KPI counts accounts never called that were still open at the agency's SLA deadline
    deadline = accounts.workable_day + scenario.agencies[1].first_attempt_sla_days
    closed = np.fmin(accounts.closed_day, accounts.cured_day)
    still_open = ~(closed < deadline).to_numpy()
    assert results.kpi("never_attempted_share", "beta") == pytest.approx(
        never[beta & still_open].mean(), abs=1e-12)
    # alpha, which does not screen, calls its low-fee accounts again too
    alpha = (accounts.agency == "alpha").to_numpy()
    assert (attempts[alpha & low] > 1).mean() > 0.5


def test_no_threshold_every_account_is_eligible(cherry_runs):
    _, results, fee = cherry_runs[0.0]
    accounts = results.accounts
    beta = (accounts.agency == "beta").to_numpy()
    attempts = accounts.attempts.to_numpy()
    low = fee < 150.0
    assert (attempts[beta & low] > 1).mean() > 0.5
    assert results.kpi("never_attempted_share", "beta") < 0.05


# =========================================================================== 5. cutting corners


def pressured(small_scenario, *overrides, seed=5):
    scenario = small_scenario(*overrides, accounts=1500, collectors=3, horizon=45,
                              each={"compliance": 1.0})
    return run_replication(scenario, seed=seed)


def test_behind_target_the_agency_cuts_corners(small_scenario):
    behind = pressured(small_scenario, "agencies.alpha.target_recovery=0.9",
                       "agencies.alpha.compliance_when_behind=0.8")
    assert behind.kpi("days_behind_target", "alpha") > 0
    assert behind.kpi("rule_violations", "alpha") > 0
    assert behind.kpi("days_behind_target", "beta") == 0
    assert behind.kpi("rule_violations", "beta") == 0
    # an unreachable target: behind on every day but the first (nothing is due on day 0)
    assert behind.kpi("days_behind_target", "alpha") == 44


def test_without_compliance_when_behind_nothing_changes(small_scenario):
    target_only = pressured(small_scenario, "agencies.alpha.target_recovery=0.9")
    assert target_only.kpi("rule_violations") == 0


def test_no_target_never_behind(small_scenario):
    results = pressured(small_scenario, "agencies.alpha.target_recovery=0.0",
                        "agencies.alpha.compliance_when_behind=0.8")
    assert results.kpi("days_behind_target", "alpha") == 0
    assert results.kpi("rule_violations") == 0


def test_corners_are_cut_only_on_days_behind_target(small_scenario):
    """An agency that catches up with its target goes back to its own discipline (1.0 here):
    rules are broken on at most as many days as it spent behind."""
    results = pressured(small_scenario, "agencies.alpha.target_recovery=0.02",
                        "agencies.alpha.compliance_when_behind=0.0")
    behind = results.kpi("days_behind_target", "alpha")
    assert 0 < behind < 20  # behind at first, then caught up
    daily = results.daily[results.daily.agency == "alpha"]
    violation_days = int((daily.violations > 0).sum())
    assert violation_days > 0
    assert violation_days <= behind, (
        f"violations on {violation_days} days, behind target on only {behind}")


# =========================================================================== 6. legal costs


def test_legal_and_reputation_cost_arithmetic(small_scenario):
    scenario = small_scenario("rules.lawsuit_per_violation=0.05",
                              "rules.lawsuit_per_complaint=0.2", "rules.fine_per_violation=250.0",
                              "rules.lawsuit_cost=4000.0", "rules.complaint_cost=75.0",
                              accounts=1500, collectors=3, horizon=45,
                              each={"compliance": 0.7, "tone": 0.9})
    results = run_replication(scenario, seed=6)
    rules = scenario.rules
    assert results.kpi("rule_violations") > 0
    assert results.kpi("lawsuits") > 0
    assert results.kpi("complaints_per_1000") > 0
    for row in ("alpha", "beta", TOTAL):
        violations = results.kpi("rule_violations", row)
        lawsuits = results.kpi("lawsuits", row)
        complaints = results.kpi("complaints_per_1000", row) * results.kpi("accounts", row) / 1000
        legal = rules.fine_per_violation * violations + rules.lawsuit_cost * lawsuits
        assert results.kpi("legal_cost", row) == pytest.approx(legal, abs=1e-6), row
        assert results.kpi("reputation_cost", row) == pytest.approx(
            legal + rules.complaint_cost * complaints, abs=1e-6), row
    for kpi in ("legal_cost", "reputation_cost", "lawsuits", "rule_violations"):
        assert results.kpi(kpi) == pytest.approx(
            results.kpi(kpi, "alpha") + results.kpi(kpi, "beta"), abs=1e-6), kpi


# =========================================================================== 7. follow-up


@pytest.fixture(scope="module")
def follow_runs(small_scenario):
    with_follow = run_replication(small_scenario("bank.follow_up_days=180", accounts=1500,
                                                 collectors=3, horizon=60), seed=5)
    without = run_replication(small_scenario(accounts=1500, collectors=3, horizon=60), seed=5)
    return with_follow, without


def test_follow_up_kpis(follow_runs):
    results, without = follow_runs
    for row in ("alpha", "beta", TOTAL):
        rate = results.kpi("redefault_rate", row)
        assert 0.0 <= rate <= 1.0, row
        assert results.kpi("delinquent_share_follow_up", row) >= results.kpi(
            "delinquent_share_end", row), row
        assert np.isnan(without.kpi("delinquent_share_follow_up", row)), row
        # following up adds re-defaults; it never removes the program's own
        assert rate >= without.kpi("redefault_rate", row), row
        # the program itself is the same
        assert results.kpi("delinquent_share_end", row) == without.kpi(
            "delinquent_share_end", row)
    assert results.kpi("delinquent_share_follow_up") > results.kpi("delinquent_share_end")
    assert without.follow_up.empty


def test_follow_up_table(follow_runs):
    results, _ = follow_runs
    table = results.follow_up
    assert list(table.day_after_recall) == list(range(181))
    share = table.delinquent_share.to_numpy()
    assert np.all(np.diff(share) >= 0)
    end = results.kpi("delinquent_share_end")
    # day 0: the accounts not cured at recall, plus any plan whose instalment fell due on the
    # recall day itself and was missed
    assert end <= share[0] <= end + results.kpi("on_plan_at_recall") / results.kpi("accounts")
    assert share[-1] == pytest.approx(results.kpi("delinquent_share_follow_up"), abs=1e-12)


@pytest.fixture(scope="module")
def cured_everyone(small_scenario, no_messages):
    """One segment whose accounts all self-cure within days; nobody contacts anyone."""
    risk = 0.3
    scenario = small_scenario(*single_segment("money_management"),
                              "portfolio.segments.money_management.self_cure_rate=1.0",
                              f"portfolio.segments.money_management.redefault_risk={risk}",
                              "bank.follow_up_days=180", *POST_CHARGE_OFF, accounts=3000,
                              collectors=0, horizon=30, each=no_messages)
    return risk, run_replication(scenario, seed=17, keep_accounts=True)


def test_redefault_share_matches_the_segment_risk(cured_everyone):
    risk, results = cured_everyone
    accounts = results.accounts
    paid = int((accounts.status == "paid").sum())
    assert paid >= 0.99 * len(accounts)
    table = results.follow_up.set_index("day_after_recall").delinquent_share
    n = len(accounts)
    not_cured = n - paid
    assert table[0] == pytest.approx(not_cured / n, abs=1e-12)
    redefaulted = round((table[180] - table[0]) * n)
    ok, text = binomial_ok(redefaulted, paid, risk)
    assert ok, text
    assert results.kpi("redefault_rate") == pytest.approx(redefaulted / paid, abs=1e-12)
    # exponential timing: half the window carries 1 - sqrt(1 - r) of the risk
    halfway = round((table[90] - table[0]) * n)
    ok, text = binomial_ok(halfway, paid, 1.0 - np.sqrt(1.0 - risk))
    assert ok, f"by day 90: {text}"


@pytest.mark.parametrize("risk", [0.05, 0.5])
def test_follow_up_draws_paid_redefaults_at_the_risk(risk):
    acc = tiny(4000, redefault_risk=risk)
    acc.status[:] = Status.PAID
    acc.outstanding[:] = 0
    when, table = follow_up(acc, 120, 0.5, Streams(9, 0))
    ok, text = binomial_ok(int(np.isfinite(when).sum()), acc.n, risk)
    assert ok, text
    assert (when[np.isfinite(when)] <= 120).all()
    assert (when[np.isfinite(when)] > 0).all()
    assert table.delinquent_share.iloc[0] == 0.0
    assert table.delinquent_share.iloc[-1] == pytest.approx(np.isfinite(when).mean())


def test_settled_accounts_never_redefault():
    acc = tiny(12, redefault_risk=1.0)  # paid accounts re-default for certain
    acc.status[:] = ([Status.SETTLED] * 4 + [Status.PAID] * 4
                     + [Status.ACTIVE, Status.PLAN, Status.PLAN, Status.PLAN])
    acc.ever_paid_instalment[9:12] = [False, True, True]
    acc.keep_probability[9:12] = [0.0, 0.0, 1.0]  # plan 10 misses, plan 11 keeps paying
    acc.plan_left[9:12] = 3
    acc.promise_due[9:12] = acc.recall_day[9:12] + np.array([5.0, 5.0, 5.0])
    acc.is_placed[:] = True
    acc.delinquent_at_recall[[8, 9]] = True  # still active; a plan with nothing paid yet
    when, table = follow_up(acc, 180, 1.0, Streams(3, 0))
    assert np.isinf(when[:4]).all()  # settled: the card is closed
    assert np.isfinite(when[4:8]).all() and (when[4:8] <= 180).all()
    assert np.isinf(when[8])  # never cured: nothing to re-default from
    assert np.isinf(when[9])  # a plan with no instalment paid was not cured
    assert when[10] == 5.0  # misses its first instalment in the window
    assert np.isinf(when[11])
    # day 0: the active account and the unpaid plan are delinquent; at the end, the paid
    # accounts and the broken plan too
    assert table.delinquent_share.iloc[0] == pytest.approx(2 / 12)
    assert table.delinquent_share.iloc[-1] == pytest.approx(7 / 12)


def test_no_follow_up_window_no_redefaults():
    acc = tiny(5, redefault_risk=1.0)
    acc.status[:] = Status.PAID
    when, table = follow_up(acc, 0, 0.5, Streams(3, 0))
    assert np.isinf(when).all()
    assert table.empty


# =========================================================================== 8. shipped scenarios


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_scenario_file_validates(path):
    scenario = load_scenario(path)
    assert scenario.scenario.name == path.stem
    assert len({a.name for a in scenario.agencies}) == len(scenario.agencies) >= 1


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_scenario_file_runs_small_with_money_conserved(path):
    full = load_scenario(path)
    overrides = ["portfolio.accounts=400", "scenario.horizon_days=10"]
    overrides += [f"agencies.{a.name}.collectors={min(a.collectors, 2)}"
                  for a in full.agencies]
    scenario = load_scenario(path, overrides)
    assert scenario.portfolio.accounts == 400
    assert all(a.collectors <= 2 for a in scenario.agencies)
    results = run_replication(scenario, seed=1, audit=True, keep_accounts=True)
    accounts = results.accounts
    held_out = 0 if results.control.empty else results.control.loc["control", "accounts"]
    assert results.kpi("accounts") + held_out == 400
    assert (held_out > 0) == (scenario.bank.control_share > 0)
    assert set(results.kpis.index) == {a.name for a in scenario.agencies} | {TOTAL}
    assert (accounts.balance_placed + accounts.accrued).sum() == pytest.approx(
        (accounts.collected + accounts.waived + accounts.outstanding).sum(), abs=0.005)
    assert results.kpi("collected") == pytest.approx(accounts.collected.sum(), abs=0.005)
    assert 0.0 <= results.kpi("recovery_rate") <= 1.0



def test_a_second_request_for_breathing_space_leaves_the_first_to_run(uk_runs):
    scenario, results, _ = uk_runs["uk_short"]
    windows = breathing_windows(results.events, scenario.rules)
    calls = results.events[results.events.kind == "call"]
    called_inside = calls[inside(calls, windows)]
    assert called_inside.empty, f"{len(called_inside)} calls inside a breathing space"
