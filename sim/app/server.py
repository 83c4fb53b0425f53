"""The what-if page's behaviour: read the levers, run in the background, stream the answer.

A click on ``Run`` loads the scenario file again with the moved levers and the advanced lines
as ``--set`` overrides (:func:`sim.config.loading.load_scenario`: the same one-line errors as
the command line, shown on the page, and nothing run) and starts a :class:`sim.app.runs.RunJob`.
While it runs the page polls it a few times a second and redraws what changed after each
replication: the KPI cards (the interval narrows as replications land), the figures, the
tables and, with "compare with the file as loaded", the paired differences. ``Cancel`` stops at
the next replication boundary. A scenario seen before (same hash, seed and replications) is
answered from the cache at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shiny import App, Inputs, Outputs, Session, reactive, render, ui

from sim.app import views
from sim.app.exports import Exports
from sim.app.levers import advanced_lines, input_ids, overrides, scenario_levers
from sim.app.page import MAX_REPS, page
from sim.app.runs import ResultCache, RunJob, RunRequest, RunStatus
from sim.config.loading import ScenarioError, load_scenario, scenario_hash
from sim.config.schema import Scenario
from sim.config.starter import starter_scenario
from sim.experiment import preflight
from sim.experiment.backends import resolve
from sim.model.results import Results

POLL_SECONDS = 0.3
DRAW_SECONDS = 2.0
"""While a run goes on, figures and tables are redrawn at most this often (cards every poll)."""
DEFAULT_REPS = 10


@dataclass(frozen=True)
class AppSettings:
    """What ``collectsim app`` was started with."""

    path: Path | None
    """The scenario file; ``None``: the starter scenario ``collectsim init`` writes."""
    overrides: tuple[str, ...] = ()
    scale_collectors: bool = False
    reps: int = DEFAULT_REPS
    workers: int | None = None
    backend: str | None = None


def _error_lines(exc: ScenarioError) -> list[str]:
    return [f"error: {line}" for line in exc.lines()]


def page_settings(reps: Any, seed: Any) -> tuple[int, int]:
    """Replications and seed from the page, or the one-line input error."""
    if not isinstance(reps, int | float) or not float(reps).is_integer() \
            or not 1 <= reps <= MAX_REPS:
        raise ScenarioError("replications", None, f"must be a whole number from 1 to {MAX_REPS}",
                            reps)
    if not isinstance(seed, int | float) or not float(seed).is_integer() \
            or not 0 <= seed < 2**63:
        raise ScenarioError("seed", None, "must be a non-negative whole number", seed)
    return int(reps), int(seed)


def make_app(settings: AppSettings) -> App:
    """The Shiny app for the scenario file ``settings.path`` (raises its one-line error if the
    file is bad); without one, for the starter scenario, written into the app's private folder
    (removed when the app stops)."""
    exports = Exports(str(settings.path) if settings.path is not None else "starter.toml")
    path = settings.path
    if path is None:
        path = exports.root / "starter.toml"
        path.write_text(starter_scenario("starter"), encoding="utf-8")
    loaded = load_scenario(path, settings.overrides, scale_collectors=settings.scale_collectors)
    levers = input_ids(scenario_levers(loaded))
    cache = ResultCache()
    backend, workers = resolve(settings.backend, settings.workers, parallel_default=True)

    def server(input: Inputs, output: Outputs, session: Session) -> None:
        job: reactive.Value[RunJob | None] = reactive.value(None)
        problems: reactive.Value[list[str]] = reactive.value([])
        seen: reactive.Value[tuple[int, int, str]] = reactive.value((0, -1, ""))
        drawn: reactive.Value[tuple[int, int, str]] = reactive.value((0, -1, ""))
        last_drawn = [0.0]

        def build() -> RunRequest:
            values = {name: input[name]() for name in levers}
            changed = [*settings.overrides, *overrides(levers, values),
                       *advanced_lines(input.advanced())]
            scenario = load_scenario(path, changed,
                                     scale_collectors=bool(input.scale_collectors()))
            reps, seed = page_settings(input.reps(), input.seed())
            base: Scenario | None = None
            if input.compare() and scenario_hash(scenario) != scenario_hash(loaded):
                base = loaded
            runs = [(str(path), s) for s in ((scenario,) if base is None
                                                       else (scenario, base))]
            preflight.check_replications(runs, reps, workers, backend, reps_flag="replications",
                                         keep_results=True)
            return RunRequest(scenario, reps, seed, base, backend, workers, tuple(changed))

        @reactive.effect
        @reactive.event(input.run)
        def _run() -> None:
            try:
                request = build()
            except ScenarioError as exc:
                problems.set(_error_lines(exc))
                return
            problems.set([])
            previous = job.get()
            if previous is not None:
                previous.cancel()
            started = RunJob(request, cache)
            started.start()
            job.set(started)

        @reactive.effect
        @reactive.event(input.cancel)
        def _cancel() -> None:
            current = job.get()
            if current is not None:
                current.cancel()

        @reactive.effect
        def _poll() -> None:
            current = job.get()
            if current is None:
                return
            progress = current.progress()
            running = progress.status is RunStatus.RUNNING
            if running:
                reactive.invalidate_later(POLL_SECONDS)
            state = (id(current), progress.version, str(progress.status))
            seen.set(state)
            if not running or time.monotonic() - last_drawn[0] >= DRAW_SECONDS:
                last_drawn[0] = time.monotonic()
                drawn.set(state)

        session.on_ended(lambda: _cancel_quietly(job))

        def results(which: int = 0, signal: reactive.Value[Any] = drawn) -> list[Results]:
            signal.get()
            current = job.get()
            if current is None or (which == 1 and current.request.base is None):
                return []
            return current.results(which)

        @render.ui
        def status() -> Any:
            seen.get()
            current = job.get()
            if current is None:
                return ui.div("Move a lever, then Run.", class_="run-status text-muted")
            p = current.progress()
            reps = current.request.reps
            done = len(current.results(0))
            text = f"{p.status}: {done} of {reps} replications"
            compared = {}
            if current.request.base is not None:  # the cards fill before the comparison's
                base_done = len(current.results(1))  # own replications are in
                text += f", the file as loaded {base_done} of {reps}"
                compared["data-compared"] = str(base_done)
            text += f", {p.seconds:.1f} s"
            if p.total == 0:
                text += " (from the cache)"
            if p.error:
                text += f" — error: {p.error}"
            return ui.div(text, class_="run-status", **{"data-status": str(p.status),
                                                        "data-done": str(done), **compared})

        @render.ui
        def errors() -> Any:
            lines = problems.get()
            return ui.tags.pre("\n".join(lines), class_="input-errors") if lines else ""

        @render.ui
        def kpi_cards() -> Any:
            return ui.HTML(views.kpi_cards(results(signal=seen)))

        @render.ui
        def liquidation() -> Any:
            return ui.HTML(views.liquidation_figure(results()))

        @render.ui
        def funnel() -> Any:
            return ui.HTML(views.funnel_figure(results()))

        @render.ui
        def agencies() -> Any:
            return ui.HTML(views.agency_table(results()))

        @render.ui
        def segments() -> Any:
            return ui.HTML(views.segment_kpi_table(results()))

        @render.ui
        def comparison() -> Any:
            base = results(1)
            if not base:
                return ui.p("Tick \"compare with the file as loaded\" and Run, with at least "
                            "one lever moved.", class_="note")
            return ui.HTML(views.comparison_table(results(0), base))

        def folder() -> Path:
            current = job.get()
            found = results()
            if current is None or not found:
                raise ScenarioError("download", None, "run first")
            return exports.folder(current.request.scenario, current.request.overrides, found,
                                  current.request.seed, current.progress().seconds)

        def name() -> str:
            current = job.get()
            return current.request.scenario.scenario.name if current else loaded.scenario.name

        @render.download_button(filename=lambda: f"{name()}-results.zip")
        def download_zip() -> str:
            return str(exports.archive(folder()))

        @render.download_button(filename=lambda: f"{name()}-report.html")
        def download_report() -> str:
            return str(exports.report(folder()))

        @render.download_button(filename=lambda: f"{name()}-results.xlsx")
        def download_workbook() -> str:
            return str(exports.workbook(folder()))

        @render.ui
        def downloads() -> Any:
            if not results():
                return ui.p("After a run: the results folder, its report and workbook.",
                            class_="note")
            return ui.div(ui.download_button("download_zip", "Results folder (zip)"),
                          ui.download_button("download_report", "HTML report"),
                          ui.download_button("download_workbook", "Excel workbook"),
                          class_="d-flex gap-2")

    app = App(page(loaded, exports.source, levers, settings.reps,
                   settings.scale_collectors), server)
    app.on_shutdown(exports.close)
    return app


def _cancel_quietly(job: reactive.Value[RunJob | None]) -> None:
    """Cancel the job of a page that closed (its replications stay cached)."""
    with reactive.isolate():
        current = job.get()
    if current is not None:
        current.cancel()
