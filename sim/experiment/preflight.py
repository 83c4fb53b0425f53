"""Pre-flight estimate of memory and time: what cannot fit is refused before any work.

Every command that runs the model or a check first adds up what it will hold in memory and how
long it will compute, from the sizes it is given — accounts, collectors × days, replications,
design points, queue customers and servers, expected Hawkes repayments — and refuses, with the
estimate and the machine's memory in one ``error:`` line (exit 2), a job that needs more memory
than the machine has available (:func:`available_memory`: ``MemAvailable`` in
``/proc/meminfo``, capped by a cgroup memory limit; else physical memory from ``os.sysconf``)
or more than :data:`MAX_SECONDS` (30 days) of computing on the workers it will use.

The costs are measured on the project's machines (Python 3.11, numpy 2, SimPy 4.1) and rounded
up, so the estimate errs on the large side:

* a replication holds about 1.6 kB per account (``collectsim bench``: peak resident memory over
  accounts, baseline scenario), 3 kB per collector (a SimPy process and its shift state), 3 kB
  per agency-day of daily series while it runs (1 kB per vintage, agency and day with vintages)
  and 1 kB per agency-day once finished; ``run --write-accounts`` keeps 0.5 kB per account more;
* every worker process costs 200 MiB (the interpreter with numpy, pandas and SimPy);
* a replication computes for 0.3 µs per account-day, 2 ms per collector-day (every collector
  busy all day: about 200 events of 10 µs), and 0.5 µs per Hawkes repayment;
* a sweep or comparison keeps 8 kB per run and reported agency, and a design 200 bytes per
  factor value;
* ``check queue`` holds 400 bytes and computes 8 µs per customer, 1 kB and 10 µs per server;
  ``bench --queue`` (with Ciw) 1.2 kB and 40 µs per customer.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.config.loading import ScenarioError
from sim.config.schema import HawkesParameters, Scenario
from sim.model.bank.placement import program_days

KB = 1024
MIB = 1024**2
BYTES_PER_ACCOUNT = 1_600
BYTES_PER_COLLECTOR = 3_000
BYTES_PER_AGENCY_DAY = 3_000
BYTES_PER_VINTAGE_DAY = 1_000
BYTES_KEPT_PER_AGENCY_DAY = 1_000
BYTES_PER_KEPT_ACCOUNT = 500
BYTES_PER_WORKER = 200 * MIB
BYTES_PER_RUN_ROW = 8_000
BYTES_PER_DESIGN_VALUE = 200
BYTES_PER_CUSTOMER = 400
BYTES_PER_SERVER = 1_000
BYTES_PER_BENCH_CUSTOMER = 1_200
SECONDS_PER_REPLICATION = 0.5
SECONDS_PER_ACCOUNT_DAY = 0.3e-6
SECONDS_PER_COLLECTOR_DAY = 2e-3
SECONDS_PER_REPAYMENT = 0.5e-6
SECONDS_PER_CUSTOMER = 8e-6
SECONDS_PER_SERVER = 1e-5
SECONDS_PER_BENCH_CUSTOMER = 40e-6
MAX_SECONDS = 30 * 86_400.0
"""Longest computation accepted: 30 days on the workers the command will use."""


@dataclass(frozen=True)
class Term:
    """One part of an estimate, named by the input that sets its size."""

    file: str
    field: str | None
    got: Any
    bytes: float = 0.0
    seconds: float = 0.0


def available_memory() -> int:
    """Bytes of memory this machine can give a new job now."""
    available = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                available = int(line.split()[1]) * KB
    except (OSError, ValueError, IndexError):
        available = 0
    if not available:
        try:
            available = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (OSError, ValueError, AttributeError):
            available = 2**62
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = int(Path("/sys/fs/cgroup/memory.current").read_text().strip())
        if limit.isdigit():
            available = min(available, max(0, int(limit) - used))
    except (OSError, ValueError):
        pass
    return available


def size_text(value: float) -> str:
    """Bytes as ``12.3 GB`` (powers of 1,000)."""
    if not math.isfinite(value):
        return "more than can be counted"
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if value < 1000 or unit == "PB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1000
    return f"{value:.3g} PB"  # pragma: no cover - the loop returns


def duration_text(seconds: float) -> str:
    """Seconds as ``3.2 hours``, ``41 days`` or ``12,000 years``."""
    if not math.isfinite(seconds):
        return "for ever"
    for unit, length in (("years", 365 * 86_400.0), ("days", 86_400.0), ("hours", 3_600.0),
                         ("minutes", 60.0)):
        if seconds >= length:
            amount = seconds / length
            return f"{amount:,.1f} {unit}" if amount < 1e6 else f"{amount:.2g} {unit}"
    return f"{seconds:.1f} seconds"


def check(terms: Sequence[Term], workers: int = 1, *, timed: bool = True) -> None:
    """Refuse (raise :class:`ScenarioError`) what needs more memory than is available, or
    (when ``timed``) more than :data:`MAX_SECONDS` of computing on ``workers``."""
    need = sum(t.bytes for t in terms)
    have = available_memory()
    if need > have:
        worst = max(terms, key=lambda t: t.bytes)
        raise ScenarioError(worst.file, worst.field,
                            f"needs about {size_text(need)} of memory, more than the "
                            f"{size_text(have)} available on this machine", worst.got)
    seconds = sum(t.seconds for t in terms) / max(1, workers)
    if timed and not seconds <= MAX_SECONDS:
        worst = max(terms, key=lambda t: t.seconds)
        raise ScenarioError(worst.file, worst.field,
                            f"would compute for about {duration_text(seconds)} on {workers} "
                            f"worker{'s' if workers != 1 else ''}, more than the "
                            f"{duration_text(MAX_SECONDS)} limit", worst.got)


# --------------------------------------------------------------------------- the model


def expected_repayments(hawkes: HawkesParameters, days: float, contacts_per_day: float = 0.0
                        ) -> float:
    """Expected Hawkes repayments of one account over ``days`` if it never paid off.

    The mean intensity ``m`` obeys ``m′ = κλ∞ + δ2·c + (J − κ)·m`` with ``J = δ10 + δ11·E[R]``
    the mean jump per repayment and ``c`` the contacts a day; the count is its integral.
    """
    jump = hawkes.delta10 + hawkes.delta11 * (hawkes.r_min + hawkes.r_max) / 2
    growth = jump - hawkes.kappa
    source = hawkes.kappa * hawkes.lambda_inf + hawkes.delta2 * contacts_per_day
    start = hawkes.lambda0
    if abs(growth) * days < 1e-9:
        return start * days + source * days**2 / 2
    if growth * days > 700:
        return math.inf
    shifted = start + source / growth
    return shifted * math.expm1(growth * days) / growth - source * days / growth


def replication_terms(scenario: Scenario, label: str, *, keep_accounts: bool = False
                      ) -> list[Term]:
    """Peak memory and time of one replication of ``scenario``, by the input that sets each."""
    accounts = scenario.portfolio.accounts
    days = program_days(scenario)
    agencies = len(scenario.agencies) + 1
    vintages = scenario.bank.vintages if scenario.bank.vintages > 1 else 0
    collectors = sum(a.collectors for a in scenario.agencies)
    repayments = 0.0
    if scenario.behaviour.model == "hawkes":
        contacts = max((a.max_attempts_per_day for a in scenario.agencies), default=0)
        repayments = accounts * expected_repayments(scenario.behaviour.hawkes, days, contacts)
    return [
        Term(label, "portfolio.accounts", accounts,
             accounts * (BYTES_PER_ACCOUNT + keep_accounts * BYTES_PER_KEPT_ACCOUNT),
             SECONDS_PER_REPLICATION + accounts * days * SECONDS_PER_ACCOUNT_DAY),
        Term(label, "agencies.collectors", collectors, collectors * BYTES_PER_COLLECTOR,
             collectors * days * SECONDS_PER_COLLECTOR_DAY),
        Term(label, "scenario.horizon_days", scenario.scenario.horizon_days,
             days * agencies * (BYTES_PER_AGENCY_DAY + vintages * BYTES_PER_VINTAGE_DAY)),
        Term(label, "behaviour.hawkes.lambda0", scenario.behaviour.hawkes.lambda0, 0.0,
             repayments * SECONDS_PER_REPAYMENT),
    ]


def kept_bytes(scenario: Scenario, *, keep_accounts: bool = False) -> float:
    """Memory a finished replication holds in the caller: its daily series, KPIs and (with
    ``keep_accounts``) its per-account table."""
    days = program_days(scenario)
    return days * (len(scenario.agencies) + 1) * BYTES_KEPT_PER_AGENCY_DAY \
        + keep_accounts * scenario.portfolio.accounts * BYTES_PER_KEPT_ACCOUNT


def run_terms(scenarios: Sequence[tuple[str, Scenario]], runs_each: int, workers: int,
              backend: str | None, *, runs_flag: str, runs_got: Any,
              kept_each: float | None = None, remote: bool = False) -> tuple[list[Term], int]:
    """Terms of ``runs_each`` runs of every scenario on ``workers``, and the runs computing at
    once. Each finished run keeps ``kept_each`` bytes in the caller (default: its KPI rows);
    ``remote`` runs compute on a dask cluster elsewhere, so their peak memory is not here."""
    total = runs_each * len(scenarios)
    at_once = max(1, min(total, workers))
    processes = 0 if backend == "serial" or remote or at_once == 1 else at_once
    terms = [Term(runs_flag, None, runs_got, processes * BYTES_PER_WORKER)]
    peaks = []
    for label, scenario in scenarios:
        own = replication_terms(scenario, label)
        peaks.append(own)
        terms += [Term(t.file, t.field, t.got, 0.0, t.seconds * runs_each) for t in own]
        rows = (len(scenario.agencies) + 1) * BYTES_PER_RUN_ROW
        terms.append(Term(runs_flag, None, runs_got,
                          runs_each * (rows if kept_each is None else kept_each)))
    if not remote:
        largest = max(peaks, key=lambda own: sum(t.bytes for t in own))
        terms += [Term(t.file, t.field, t.got, t.bytes * at_once) for t in largest]
    return terms, at_once


def check_replications(scenarios: Sequence[tuple[str, Scenario]], reps: int, workers: int,
                       backend: str | None, *, reps_flag: str = "--reps",
                       keep_accounts: bool = False, keep_results: bool = False,
                       remote: bool = False) -> None:
    """Refuse ``reps`` replications of each scenario that cannot fit (see the module
    docstring). ``keep_results``: every finished replication is held in full (``run``);
    otherwise only its KPI rows (``compare``, ``table``)."""
    kept = kept_bytes(scenarios[0][1], keep_accounts=keep_accounts) if keep_results else None
    terms, at_once = run_terms(scenarios, reps, workers, backend, runs_flag=reps_flag,
                               runs_got=reps, kept_each=kept, remote=remote)
    check(terms, at_once, timed=not remote)


# --------------------------------------------------------------------------- designs and sweeps


def design_size(design: Any, factors: Sequence[Any]) -> int:
    """Number of points a design will have, counted without drawing them."""
    dims = len(factors)
    if design.kind == "grid":
        count = 1
        for factor in factors:
            count *= len(factor.levels) if factor.levels is not None else int(factor.steps or 1)
        return count
    samples = int(design.samples or 0)
    if design.kind == "sobol":
        return samples * (2 * dims + 2 if design.second_order else dims + 2)
    if design.kind == "morris":
        return samples * (dims + 1)
    return samples


def check_design(design: Any, factors: Sequence[Any], label: str) -> None:
    """Refuse a design whose points alone cannot fit in memory (before they are drawn)."""
    points = design_size(design, factors)
    check([Term(label, "design", f"{points:,} points",
                float(points) * max(1, len(factors)) * BYTES_PER_DESIGN_VALUE)], timed=False)


def check_sweep(experiment: Any, workers: int, backend: str | None, *,
                remote: bool = False) -> None:
    """Refuse a sweep that cannot fit: every point × replication, estimated as if every point
    were the base scenario with one factor at its largest value (the worst of these)."""
    from sim.experiment.tasks import point_scenario  # the sweep's own way to build a point

    points = len(experiment.assignments)
    label = experiment.source
    candidates: list[Scenario] = [experiment.base]
    for factor in experiment.factors:
        numbers = [v for v in (factor.levels or factor.bounds or ())
                   if isinstance(v, int | float) and not isinstance(v, bool)]
        if numbers:
            value: Any = max(numbers)
            if factor.integer or all(isinstance(v, int) for v in numbers):
                value = int(value)
            try:
                candidates.append(point_scenario(experiment.base, ((factor.path, value),),
                                                 label))
            except ScenarioError:
                continue
    runs = experiment.replications * len(experiment.agencies)
    for scenario in candidates:
        terms, at_once = run_terms([(label, scenario)], points * experiment.replications,
                                   workers, backend, runs_flag=label, runs_got=None,
                                   kept_each=runs * BYTES_PER_RUN_ROW / experiment.replications,
                                   remote=remote)
        runs_text = f"{points:,} points × {experiment.replications} replications"
        renamed = [Term(label, "design" if t.field is None else t.field,
                        runs_text if t.field is None else t.got, t.bytes) for t in terms]
        renamed.append(Term(label, "design", runs_text, 0.0, sum(t.seconds for t in terms)))
        check(renamed, at_once, timed=not remote)


# --------------------------------------------------------------------------- checks and benches


def check_queue_size(servers: int, customers: float, *, horizon_flag: str,
                     horizon_got: float) -> None:
    """Refuse a ``check queue`` whose customers or servers cannot fit or would take too long."""
    check([Term(horizon_flag, None, horizon_got, customers * BYTES_PER_CUSTOMER,
                customers * SECONDS_PER_CUSTOMER),
           Term("--servers", None, servers, servers * BYTES_PER_SERVER,
                servers * SECONDS_PER_SERVER)])


def check_bench_queue(customers: int) -> None:
    """Refuse a ``bench --queue`` whose customers cannot fit."""
    check([Term("--customers", None, customers, customers * BYTES_PER_BENCH_CUSTOMER,
                customers * SECONDS_PER_BENCH_CUSTOMER)])


def check_single(scenario: Scenario, flags: dict[str, str], *, copies: int = 1) -> None:
    """Refuse one replication (``copies`` in turn) of ``scenario``, naming command-line flags
    instead of scenario fields where ``flags`` maps them (``check hawkes``, ``bench``)."""
    terms = [Term(flags.get(str(t.field), t.file), None if str(t.field) in flags else t.field,
                  t.got, t.bytes, t.seconds * copies)
             for t in replication_terms(scenario, flags.get("", "scenario"))]
    check(terms)
