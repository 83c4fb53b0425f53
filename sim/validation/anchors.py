"""Two more analytic anchors, run through the full model: self-cure and the promise chain; and
the table of every analytic check (:func:`validation_rows`), which `collectsim check all` prints.

* **Self-cure** — with no collectors and no messages, an account with self-cure hazard h pays
  in full by day T with probability ``1 − exp(−h·T)``.
* **Promise chain** — when every conversation ends in a promise to pay in full and every
  promise is kept with the same probability k, the j-th promise of an account is kept with
  probability k whatever came before, so the share paid within n promises is
  ``1 − (1 − k)^n``.

Both build their scenario as data from the shipped baseline's structure and run
:func:`sim.model.run_replication`, so the code under test is the code every scenario runs.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from sim.config.loading import load_scenario
from sim.model.replication import run_replication
from sim.validation.hawkes import check_hawkes
from sim.validation.lifecycle import CHAIN_LABELS, check_lifecycle
from sim.validation.queue import check_queue

# Promises to pay in full are made on charged-off accounts (before charge-off the agency asks
# for the past-due amount instead).
POST_CHARGE_OFF = ("bank.stage=post_charge_off", "portfolio.days_past_due.low=180",
                   "portfolio.days_past_due.high=210")
# The lifecycle case of `check all`: cure and roll chances falling and rising with the bucket,
# long enough that every state is reached.
LIFECYCLE_CASE = ((0.30, 0.20, 0.15, 0.10, 0.05), (0.40, 0.50, 0.60, 0.70, 0.80), 1, 6, 20_000)
BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml"
SILENT = {"collectors": 0, "sms.every_days": 0, "email.every_days": 0, "letter.every_days": 0}


def _single_segment(**segment: Any) -> list[str]:
    sets = ["portfolio.segments.money_management.share=1.0",
            "portfolio.segments.income_shock.share=0.0",
            "portfolio.segments.misunderstanding.share=0.0"]
    return sets + [f"portfolio.segments.money_management.{k}={v}" for k, v in segment.items()]


def check_self_cure(rate: float = 0.01, horizon: int = 60, accounts: int = 20_000,
                    seed: int = 0) -> dict[str, dict[str, float]]:
    """Share self-cured by ``horizon`` with no contact at all, against 1 − exp(−h·T)."""
    sets = [f"portfolio.accounts={accounts}", f"scenario.horizon_days={horizon}",
            f"scenario.seed={seed}", "portfolio.segments.money_management.reminder_lift=0.0",
            "behaviour.stage.cure_decay_per_week=0.0"]
    sets += _single_segment(self_cure_rate=rate)
    for agency in ("alpha", "beta"):
        sets += [f"agencies.{agency}.{k}={v}" for k, v in SILENT.items()]
    result = run_replication(load_scenario(BASELINE, sets))
    share = result.kpi("self_cure_share")
    exact = 1.0 - math.exp(-rate * horizon)
    return {"simulated": {"share": share, "se": math.sqrt(exact * (1 - exact) / accounts)},
            "analytic": {"share": exact}}


def check_promise_chain(keep: float = 0.4, accounts: int = 8_000, seed: int = 0,
                        promises: int = 3) -> dict[str, dict[str, float]]:
    """Share paid within the first n promises, against 1 − (1 − k)^n, for n = 1..promises."""
    sets = [f"portfolio.accounts={accounts}", f"scenario.seed={seed}", "bank.phone_valid=1.0",
            *POST_CHARGE_OFF, "behaviour.stage.payer_effect=0.0",
            "behaviour.stage.willingness_keep=0.0", "behaviour.stage.tone_keep=0.0"]
    sets += _single_segment(answer_rate=1.0, willingness=1.0, lump_sum_share=1.0,
                            misunderstanding=0.0, dispute_rate=0.0, cease_rate=0.0,
                            complaint_sensitivity=0.0, self_cure_rate=0.0, callback_rate=0.0,
                            promise_keep=keep, concentration=1e7)
    for agency in ("alpha", "beta"):
        sets += [f"agencies.{agency}.collectors=24", f"agencies.{agency}.tone=0.0",
                 f"agencies.{agency}.compliance=1.0", f"agencies.{agency}.discovery_error=0.0"]
    result = run_replication(load_scenario(BASELINE, sets), keep_accounts=True)
    table = result.accounts
    assert table is not None
    made = table["promises"].to_numpy()
    status = table["status"].astype(str).to_numpy()
    paid = status == "paid"
    simulated: dict[str, float] = {}
    analytic: dict[str, float] = {}
    for n in range(1, promises + 1):
        broken_n = (made > n) | ((made == n) & (status == "active"))
        known = (paid & (made <= n)) | broken_n
        share = float((paid & (made <= n))[known].mean())
        exact = 1.0 - (1.0 - keep) ** n
        simulated[f"paid_within_{n}"] = share
        simulated[f"se_{n}"] = math.sqrt(exact * (1 - exact) / max(1, int(known.sum())))
        analytic[f"paid_within_{n}"] = exact
    return {"simulated": simulated, "analytic": analytic}


def _row(name: str, setting: str, simulated: float, analytic: float,
         se: float) -> dict[str, Any]:
    deviation = (simulated - analytic) / se if se > 0 else float("nan")
    return {"check": name, "setting": setting, "simulated": simulated, "analytic": analytic,
            "se": se, "deviation_se": deviation}


def validation_rows(seed: int = 0) -> list[dict[str, Any]]:
    """Every analytic check at its standard settings, one row per figure."""
    rows = []
    queue_cases = ((1, 0.8, 1.0, None), (5, 4.5, 1.0, None), (20, 19.0, 1.0, None),
                   (5, 6.0, 1.0, 0.5), (20, 22.0, 1.0, 1.0))
    for case, (servers, arrival, service, patience) in enumerate(queue_cases):
        report = check_queue(servers, arrival, service, patience_rate=patience,
                             seed=seed + case)  # independent cases: their own seeds
        model = "Erlang A" if patience else "Erlang C"
        setting = f"c={servers}, λ={arrival:g}, μ={service:g}" + \
            (f", θ={patience:g}" if patience else "")
        for figure in ("p_wait", "mean_wait", "p_abandon", "utilization"):
            if not patience and figure == "p_abandon":
                continue
            rows.append(_row(f"queue vs {model}: {figure}", setting,
                             report["simulated"][figure], report["analytic"][figure],
                             report["simulated"]["se"][figure]))
    hawkes_cases: tuple[tuple[float, float, float, float, float, float, float, int], ...] = (
        (0.03, 0.002, 0.05, 0.01, 0.02, 0.1, 1.0, 90),
        (0.2, 0.01, 0.5, 0.3, 0.5, 0.05, 0.5, 60),
        (0.1, 0.02, 0.2, 0.15, 0.1, 0.3, 0.9, 120))
    for case, (l0, linf, kappa, d10, d11, rmin, rmax, horizon) in enumerate(hawkes_cases):
        report = check_hawkes(l0, linf, kappa, d10, d11, rmin, rmax, horizon=horizon,
                              accounts=20_000, seed=seed + case)
        setting = (f"λ0={l0}, λ∞={linf}, κ={kappa}, δ10={d10}, δ11={d11}, "
                   f"R~U({rmin}, {rmax}), T={horizon}")
        rows.append(_row("Hawkes vs Chehrazi & Weber: share collected", setting,
                         report["simulated"]["collected_share"],
                         report["analytic"]["collected_share"], report["simulated"]["se"]))
    cure = check_self_cure(seed=seed)
    rows.append(_row("self-cure vs 1 − exp(−hT)", "h=0.01/day, T=60", cure["simulated"]["share"],
                     cure["analytic"]["share"], cure["simulated"]["se"]))
    chain = check_promise_chain(seed=seed)
    for n in (1, 2, 3):
        rows.append(_row(f"promise chain vs 1 − (1 − k)^{n}", "k=0.4",
                         chain["simulated"][f"paid_within_{n}"],
                         chain["analytic"][f"paid_within_{n}"], chain["simulated"][f"se_{n}"]))
    cures, rolls, start, cycles, accounts = LIFECYCLE_CASE
    report = check_lifecycle(cures, rolls, start, cycles, accounts, seed=seed)
    setting = (f"c={'/'.join(f'{c:g}' for c in cures)}, r={'/'.join(f'{r:g}' for r in rolls)}, "
               f"from {CHAIN_LABELS[start]}, K={cycles}")
    for state, label in enumerate(CHAIN_LABELS):
        rows.append(_row(f"lifecycle vs Markov chain: {label}", setting,
                         report["simulated"]["shares"][state],
                         report["analytic"]["shares"][state], report["simulated"]["se"][state]))
    return rows


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """The validation rows as a Markdown table."""
    lines = ["| check | setting | simulated | analytic | SE | deviation (SE) |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['check']} | {r['setting']} | {r['simulated']:.4f} | "
                     f"{r['analytic']:.4f} | {r['se']:.4f} | {r['deviation_se']:+.2f} |")
    largest = max((abs(r["deviation_se"]) for r in rows
                   if np.isfinite(r["deviation_se"])), default=float("nan"))
    lines.append("")
    lines.append(f"Largest deviation: {largest:.2f} standard errors.")
    return "\n".join(lines)
