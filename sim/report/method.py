""""How these numbers were made": the report's method section, from ``manifest.json``.

Laid out after the STRESS-DES reporting guideline for discrete-event simulation (Monks et al.
2019, *Journal of Simulation* 13(1):55-67): objectives, logic, data, experimentation,
implementation, code access. Each item is filled from the manifest the command wrote (and the
resolved scenario in it); anything the manifest does not hold is said to be unknown rather
than guessed. :func:`toml_text` prints a resolved scenario or experiment as TOML-style text a
user can copy into a scenario file.

Everything here returns HTML fragments with every value escaped.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from html import escape
from typing import Any

from sim.report.scope import MODELLED, NOT_MODELLED

Rows = list[tuple[str, str]]

# --------------------------------------------------------------------------- TOML-style text

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(name: Any) -> str:
    text = str(name)
    return text if _BARE.match(text) else json.dumps(text)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()
                                if v is not None) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return json.dumps(str(value))


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def toml_text(data: dict[str, Any]) -> str:
    """``data`` (a resolved scenario or experiment) as TOML-style text; unset values are
    comments."""
    lines: list[str] = []

    def table(prefix: str, values: dict[str, Any], header: str) -> None:
        scalars = any(not (isinstance(v, dict) or _is_table_array(v))
                      for v in values.values())
        if header and (scalars or header.startswith("[[")):  # super-tables stay implicit
            lines.append("")
            lines.append(header)
        for key, value in values.items():
            if isinstance(value, dict) or _is_table_array(value):
                continue
            if value is None:
                lines.append(f"# {_key(key)}: not set")
            else:
                lines.append(f"{_key(key)} = {_value(value)}")
        for key, value in values.items():
            path = f"{prefix}.{_key(key)}" if prefix else _key(key)
            if isinstance(value, dict):
                table(path, value, f"[{path}]")
            elif _is_table_array(value):
                for item in value:
                    table(path, item, f"[[{path}]]")

    table("", data, "")
    return "\n".join(lines).strip() + "\n"


# --------------------------------------------------------------------------- facts


def _text(value: Any) -> str:
    """Any value read from a manifest, as HTML text (escaped, quotes included)."""
    return escape(str(value))


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _percent(value: Any) -> str:
    return f"{100 * float(value):g}%" if _number(value) else "?"


def _money(value: Any) -> str:
    return f"{float(value):,.0f}" if _number(value) else "?"


def _count(value: Any) -> str:
    """A whole number with thousands separators; anything else escaped as it is."""
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) \
        else _text(value)


def _days(value: Any) -> str:
    """A number of days as ``%g``; anything else escaped as it is."""
    return f"{value:g}" if _number(value) else _text(value)


def _table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def scenario_logic(scenario: dict[str, Any]) -> Rows:
    """What a resolved scenario sets up, in a few plain lines."""
    rows: Rows = []
    portfolio = _table(scenario.get("portfolio"))
    segments = _table(portfolio.get("segments"))
    if portfolio:
        parts = ", ".join(f"{_text(name)} {_percent(_table(seg).get('share'))}"
                          for name, seg in segments.items())
        balance = _table(portfolio.get("balance"))
        dpd = _table(portfolio.get("days_past_due"))
        rows.append(("Portfolio",
                     f"{_count(portfolio.get('accounts', 0))} accounts; segments: {parts}; "
                     f"balance lognormal, median {_money(balance.get('median'))} (currency "
                     f"units); {_text(dpd.get('low', '?'))}–{_text(dpd.get('high', '?'))} days "
                     f"past due; APR {_percent(portfolio.get('apr'))}."))
    bank = _table(scenario.get("bank"))
    info = _table(scenario.get("scenario"))
    if bank:
        horizon = _text(info.get("horizon_days", "?"))
        if bank.get("placement") == "flow":
            placement = (f"a flow of {_text(bank.get('vintages'))} vintages, one every "
                         f"{_text(bank.get('vintage_every_days'))} days")
        else:
            placement = "one batch at day 0"
        allocation = _table(bank.get("allocation"))
        rows.append(("Placement",
                     f"{placement}; each account is placed for {horizon} days, then recalled; "
                     f"data handed over after {_text(bank.get('transfer_delay_days', '?'))} "
                     "days "
                     f"(valid phone {_percent(bank.get('phone_valid'))}, e-mail "
                     f"{_percent(bank.get('email_valid'))}); allocation "
                     f"{escape(str(allocation.get('method', '?')))}."))
    agencies = scenario.get("agencies", [])
    if isinstance(agencies, list) and agencies:
        items = []
        for agency in map(_table, agencies):
            fee = ("salaried in-house team" if agency.get("kind") == "in_house"
                   else f"commission {_percent(agency.get('commission'))}"
                   + (" (tiered)" if agency.get("commission_tiers") else "")
                   + "".join(f" + {_money(agency.get(key))} {what}"
                             for key, what in (("fee_per_account", "per account"),
                                               ("cure_bonus", "per cure"))
                             if _number(agency.get(key)) and float(agency[key]) > 0))
            share = agency.get("share")
            items.append(f"<b>{_text(agency.get('name'))}</b>"
                         + (f" ({_percent(share)} of accounts)" if share is not None else "")
                         + f": {_text(agency.get('collectors', '?'))} collectors, {fee}, tone "
                           f"{_text(agency.get('tone', '?'))}, compliance "
                           f"{_percent(agency.get('compliance'))}, analytics AUC "
                           f"{_text(agency.get('analytics_auc', '?'))}")
        rows.append(("Agencies", "; ".join(items) + "."))
    rules = _table(scenario.get("rules"))
    if rules:
        caps = []
        if rules.get("max_calls_per_7_days"):
            caps.append(f"at most {_text(rules['max_calls_per_7_days'])} calls in 7 days")
        if rules.get("quiet_days_after_conversation"):
            caps.append(f"{_days(rules['quiet_days_after_conversation'])} quiet days after a "
                        "conversation")
        if rules.get("max_conversations_per_day"):
            caps.append(f"at most {_text(rules['max_conversations_per_day'])} conversations "
                        "a day")
        if rules.get("max_unanswered_per_day"):
            caps.append(f"at most {_text(rules['max_unanswered_per_day'])} unanswered dials "
                        "a day")
        if rules.get("breathing_space_days"):
            caps.append(f"{_days(rules['breathing_space_days'])}-day breathing space on "
                        "request")
        window = (f"contact {_text(rules.get('window_start', '?'))}–"
                  f"{_text(rules.get('window_end', '?'))}")
        rows.append(("Contact rules",
                     f"regime {_text(rules.get('regime', '?'))}: {window}"
                     + ("; " + "; ".join(caps) if caps else "") + "."))
    behaviour = _table(scenario.get("behaviour"))
    if behaviour:
        model = behaviour.get("model", "stage")
        rows.append(("Borrower behaviour",
                     "stage model (answer → conversation → outcome; promises kept or broken)"
                     if model == "stage" else
                     "Hawkes repayment model (Chehrazi & Weber 2015)"))
    return rows


def scope_html() -> str:
    """The modelled / not modelled lists (:mod:`sim.report.scope`)."""
    modelled = "".join(f"<li>{escape(line)}</li>" for line in MODELLED)
    missing = "".join(f"<li>{escape(line)}</li>" for line in NOT_MODELLED)
    return (f"<div class='scope'><div><h4>Modelled</h4><ul>{modelled}</ul></div>"
            f"<div><h4>Not modelled</h4><ul>{missing}</ul></div></div>")


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _joined(values: Any) -> str:
    """A list of values read from a manifest, comma-separated and escaped."""
    if not isinstance(values, list):
        return _text(values)
    return _text(", ".join(str(v) for v in values))


def _versions(versions: dict[str, Any]) -> str:
    if not versions:
        return "unknown (not in manifest.json)"
    return ", ".join(f"{escape(str(k))} {escape(str(v))}" for k, v in versions.items())


def _seconds(value: Any) -> str:
    if not isinstance(value, int | float) or not math.isfinite(value):
        return "unknown"
    return f"{value:,.1f} s" if value < 600 else f"{value / 60:,.1f} min"


def _streams(manifest: dict[str, Any]) -> str:
    streams = _table(manifest.get("random_streams"))
    scheme = streams.get("seeding") or manifest.get("seed_scheme") \
        or manifest.get("common_random_numbers")
    names = streams.get("streams", {})
    text = escape(str(scheme)) if scheme else "numpy SeedSequence streams (see sim.model.rng)"
    if names:
        text += "; named streams: " + ", ".join(escape(str(n)) for n in names)
    return text


def method_rows(kind: str, manifest: dict[str, Any], question: str,
                scenario: dict[str, Any] | None, extra: Rows) -> list[tuple[str, Rows]]:
    """The STRESS-DES sections as (heading, [(item, HTML)]) lists."""
    objectives: Rows = [("Question", escape(question) if question
                         else "not stated (the scenario or experiment has no description)")]
    objectives.append(("Outputs", "the KPIs in the tables above, defined in the KPI "
                       "definitions below; 95% Student-t confidence intervals over "
                       "independent replications"))
    logic = scenario_logic(scenario) if scenario else []
    logic.append(("Scope", scope_html()))
    data: Rows = []
    if kind == "run":
        data.append(("Scenario file", escape(str(manifest.get("scenario_file", "?")))))
        overrides = manifest.get("overrides") or []
        data.append(("Overrides (--set)", _joined(overrides) if overrides else "none"))
        data.append(("Scenario hash", f"<code>{escape(str(manifest.get('scenario_hash')))}"
                                      "</code> (SHA-256 of the resolved scenario)"))
    elif kind == "compare":
        for item in map(_table, _list(manifest.get("scenarios"))):
            data.append((f"Scenario '{item.get('label')}'",
                         f"{escape(str(item.get('file')))}; hash <code>"
                         f"{escape(str(item.get('hash')))}</code>"))
        overrides = manifest.get("overrides") or []
        data.append(("Overrides (--set, every scenario)",
                     _joined(overrides) if overrides else "none"))
    else:
        resolved = _table(manifest.get("experiment"))
        data.append(("Experiment file", escape(str(resolved.get("file", "unknown")))))
        data.append(("Base scenario", escape(str(resolved.get("scenario_file", "unknown")))
                     + (f"; hash <code>{escape(str(resolved.get('base_scenario_hash')))}"
                        "</code>" if resolved.get("base_scenario_hash") else "")))
        if resolved.get("key"):
            data.append(("Experiment key", f"<code>{escape(str(resolved['key']))}</code> "
                                           "(hash of base scenario, design points, seed and "
                                           "collectsim version)"))
    data.append(("Calibration", "the figures behind the defaults are cited in the scenario "
                                "files' comments and listed in docs/sources.md; behaviour "
                                "parameters without a public figure are marked as assumptions"))
    notes = manifest.get("notes") or []
    if notes:
        data.append(("Settings without effect", "<br>".join(_text(n) for n in _list(notes))))
    experimentation: Rows = list(extra)
    if scenario:
        info = _table(scenario.get("scenario"))
        bank = _table(scenario.get("bank"))
        horizon = info.get("horizon_days", "?")
        length = horizon
        vintages, every = bank.get("vintages", 1), bank.get("vintage_every_days", 0)
        if bank.get("placement") == "flow" and all(isinstance(v, int)
                                                   for v in (horizon, vintages, every)):
            length = (vintages - 1) * every + horizon
        experimentation.append(("Run length", f"{_text(horizon)} days of placement per "
                                f"account ({_text(length)} days from the first placement to "
                                f"the last recall), starting "
                                f"{_text(info.get('start_date', '?'))}"))
    experimentation.append(("Warm-up", "none: a terminating simulation — every placement "
                                       "starts with no account worked and ends at recall"))
    experimentation.append(("Random numbers", _streams(manifest)))
    implementation: Rows = [
        ("Software", "collectsim (Python; SimPy for collectors and queues, numpy arrays for "
                     "accounts, integer cents for money)"),
        ("Versions", _versions(_table(manifest.get("versions")))),
        ("Command", f"<code>{escape(str(manifest.get('command', 'unknown')))}</code>"),
    ]
    timings = _table(manifest.get("timings"))
    timing = f"total {_seconds(timings.get('total_seconds'))}"
    per = [t for t in _list(timings.get("replication_seconds")) if _number(t)]
    if per:
        timing += f"; {_seconds(sum(per) / len(per))} per replication on average"
    implementation.append(("Timings", timing))
    if manifest.get("backend"):
        implementation.append(("Backend", escape(str(manifest["backend"]))))
    version = _table(manifest.get("versions")).get("collectsim", "unknown")
    access: Rows = [("Code", f"collectsim {escape(str(version))}, open source; the command "
                              "above on the same version reproduces these numbers exactly "
                              "(results do not depend on the backend or number of workers)")]
    return [("1. Objectives", objectives), ("2. Logic", logic), ("3. Data", data),
            ("4. Experimentation", experimentation), ("5. Implementation", implementation),
            ("6. Code access", access)]


def design_rows(manifest: dict[str, Any]) -> Rows:
    """Experimentation facts of a sweep or sensitivity analysis."""
    resolved = _table(manifest.get("experiment"))
    spec = _table(resolved.get("experiment"))
    info = _table(spec.get("experiment"))
    design = _table(spec.get("design"))
    runs = _table(manifest.get("runs"))
    rows: Rows = []
    kind = design.get("kind", "?")
    relevant = {"lhs": ("samples", "seed"),
                "sobol": ("samples", "second_order", "seed", "resamples", "confidence"),
                "morris": ("samples", "levels", "seed", "resamples", "confidence")}
    detail = [f"{key} {design[key]}" for key in relevant.get(kind, ())
              if design.get(key) is not None]
    rows.append(("Design", f"{_text(kind)}" + (f" ({_text(', '.join(detail))})"
                                                if detail and kind != "grid" else "")
                 + f"; {_text(resolved.get('points', '?'))} design points"))
    factors = []
    for factor in map(_table, _list(spec.get("factors"))):
        what = factor.get("levels") if factor.get("levels") is not None \
            else f"bounds {factor.get('bounds')}"
        factors.append(f"<code>{escape(str(factor.get('name') or factor.get('path')))}</code>"
                       f" = {escape(str(factor.get('path')))}: {escape(str(what))}")
    rows.append(("Factors", "<br>".join(factors) or "unknown"))
    rows.append(("Replications", f"{_text(manifest.get('replications', '?'))} per design "
                                 f"point (runs: {_text(runs.get('total', '?'))} in the design, "
                                 f"{_text(runs.get('failed', '?'))} failed)"))
    rows.append(("Seed", f"{_text(resolved.get('seed', '?'))}, the same for every point "
                         "(common random numbers: points differ only by their factors)"))
    metrics = info.get("metrics", [])
    agency = info.get("agency", "total")
    rows.append(("Reported", f"{_joined(metrics)} for "
                             f"{_text(agency) if isinstance(agency, str) else _joined(agency)}"))
    return rows


def run_rows(manifest: dict[str, Any]) -> Rows:
    """Experimentation facts of a ``run``."""
    replications = manifest.get("replications", [])
    count = len(replications) if isinstance(replications, list) else replications
    return [("Replications", f"{_text(count)} (replications {_text(_span(replications))} of "
                             f"seed {_text(manifest.get('seed', '?'))}); each replication "
                             "draws its own portfolio and random streams")]


def compare_rows(manifest: dict[str, Any]) -> Rows:
    """Experimentation facts of a ``compare``."""
    return [("Replications", f"{_text(manifest.get('reps', '?'))} per scenario, seed "
                             f"{_text(manifest.get('seed', '?'))} for every scenario"),
            ("Pairing", "common random numbers: replication r of every scenario uses the same "
                        "streams, so differences are estimated replication by replication "
                        "(paired t intervals), beside the Welch intervals independent runs "
                        "would give"),
            ("Agency compared", escape(str(manifest.get("agency", "total"))))]


def _span(values: Sequence[Any] | Any) -> str:
    if not isinstance(values, list) or not values:
        return "?"
    if isinstance(values[0], int) and values == list(range(values[0],
                                                           values[0] + len(values))):
        return f"{values[0]}–{values[-1]}" if len(values) > 1 else str(values[0])
    return ", ".join(map(str, values))
