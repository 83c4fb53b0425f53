"""The what-if page driven in Chromium: move a lever, run, watch the KPI cards fill with
numbers and intervals, see a bad lever answered with the command line's one-line error, cancel
a long run, and never reach anything but the app."""

from __future__ import annotations

import json
import re
import zipfile
from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

INTERVAL = re.compile(r"^-?[\d,]+\.\d% ±\d+\.\d$")


def _card(page: Any, name: str) -> Any:
    return page.locator(f"#kpi-{name}")


def _set_lever(page: Any, group: str, input_id: str, value: str) -> None:
    page.get_by_role("button", name=group).click()
    field = page.locator(f"#{input_id}")
    field.wait_for(state="visible")
    field.fill(value)
    field.press("Tab")
    page.wait_for_timeout(400)  # let Shiny send the new value before the click


def _set_reps(page: Any, reps: int) -> None:
    page.locator("#reps").fill(str(reps))
    page.locator("#reps").press("Tab")
    page.wait_for_timeout(400)


def _only_the_app(recorder: Any, app_url: str) -> None:
    own = urlsplit(app_url)
    assert recorder.urls, "the page requested nothing"
    for url in recorder.urls:
        parts = urlsplit(url)
        if parts.scheme == "data":
            continue
        assert (parts.hostname, parts.port) == (own.hostname, own.port), url


def test_a_run_fills_the_kpi_cards_with_values_and_intervals(
        browser_page: tuple[Any, Any], app_url: str) -> None:
    page, recorder = browser_page
    card = _card(page, "recovery_rate")
    assert card.locator(".kpi-value").inner_text() == "–"
    _set_lever(page, "Agency alpha", "lever_agencies__alpha__collectors", "3")
    _set_reps(page, 4)
    page.locator("#compare").check()
    page.wait_for_timeout(300)
    page.locator("#run").click()
    page.wait_for_function(
        "() => document.querySelector('#kpi-recovery_rate')?.dataset.n === '4'",
        timeout=60_000)
    text = card.locator(".kpi-value").inner_text()
    assert INTERVAL.match(text), text
    mean = float(card.get_attribute("data-mean") or "nan")
    half = float(card.get_attribute("data-ci95") or "nan")
    assert 0 < mean < 1 and 0 <= half < mean
    assert f"{100 * mean:.1f}%" in text
    # the cards fill as soon as the moved scenario's replications are in; the file as loaded
    # is still running for the comparison, so the run finishes after
    page.wait_for_function(
        "() => document.querySelector('.run-status')?.dataset.status === 'finished'",
        timeout=60_000)
    status = page.locator(".run-status")
    assert status.get_attribute("data-done") == "4"
    assert status.get_attribute("data-compared") == "4"
    assert "the file as loaded 4 of 4" in status.inner_text()
    # every headline card filled, the figures drawn, the per-agency table has both agencies;
    # the figures and tables are redrawn from the finished run just after its status
    for selector in ("#liquidation img.figure", "#funnel img.figure",
                     "#agencies td[data-agency='alpha']", "#segments td[data-segment]",
                     "#comparison tr[data-metric='recovery_rate']"):
        page.locator(selector).first.wait_for(timeout=30_000)
    for name in ("netback_rate", "cure_rate", "complaints_per_1000"):
        assert _card(page, name).locator(".kpi-value").inner_text() != "–"
    assert page.locator("#liquidation img.figure").count() == 1
    assert page.locator("#funnel img.figure").count() == 1
    agencies = page.locator("#agencies td[data-agency='alpha']")
    assert agencies.count() > 0
    assert page.locator("#segments td[data-segment]").count() > 0
    # the lever reached the model: paired differences with the file as loaded
    rows = page.locator("#comparison tr[data-metric]")
    assert rows.count() > 0
    assert page.locator("#comparison tr[data-metric='recovery_rate']").count() == 1
    assert page.locator("#downloads a, #downloads button").count() == 3
    with page.expect_download() as download:
        page.locator("#download_zip").click()
    with zipfile.ZipFile(download.value.path()) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("baseline/manifest.json"))
    assert "baseline/kpis.csv" in names and "baseline/collectsim.json" in names
    assert manifest["replications"] == [0, 1, 2, 3]
    assert "agencies.alpha.collectors=3" in manifest["overrides"]
    # the same levers again: answered from the cache, nothing run
    page.locator("#run").click()
    page.wait_for_function("() => document.querySelector('.run-status')"
                           "?.textContent.includes('from the cache')", timeout=10_000)
    assert INTERVAL.match(card.locator(".kpi-value").inner_text())
    _only_the_app(recorder, app_url)


def test_a_bad_lever_gets_the_one_line_error_and_runs_nothing(
        browser_page: tuple[Any, Any], app_url: str) -> None:
    page, recorder = browser_page
    _set_lever(page, "Agency alpha", "lever_agencies__alpha__share", "0.7")
    page.locator("#run").click()
    errors = page.locator("pre.input-errors")
    errors.wait_for()
    lines = errors.inner_text().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ") and "agencies" in lines[0], lines
    assert "Traceback" not in page.content()
    assert _card(page, "recovery_rate").locator(".kpi-value").inner_text() == "–"
    _only_the_app(recorder, app_url)


def test_cancel_stops_a_long_run_at_a_replication_boundary(
        browser_page: tuple[Any, Any], app_url: str) -> None:
    page, recorder = browser_page
    _set_lever(page, "Portfolio", "lever_portfolio__accounts", "301")
    _set_reps(page, 1000)
    page.locator("#run").click()
    page.wait_for_function(
        "() => Number(document.querySelector('#kpi-recovery_rate')?.dataset.n) >= 2",
        timeout=60_000)
    page.locator("#cancel").click()
    page.wait_for_function(
        "() => document.querySelector('.run-status')?.dataset.status === 'cancelled'",
        timeout=30_000)
    done = int(page.locator(".run-status").get_attribute("data-done") or "0")
    assert 2 <= done < 1000
    page.wait_for_timeout(1_500)  # nothing lands after the cancel
    assert int(page.locator(".run-status").get_attribute("data-done") or "0") == done
    assert INTERVAL.match(_card(page, "recovery_rate").locator(".kpi-value").inner_text())
    _only_the_app(recorder, app_url)
