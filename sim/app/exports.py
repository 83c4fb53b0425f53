"""The page's downloads: a run's results folder (as a zip), its HTML report and its workbook.

The folder is exactly what ``collectsim run`` writes for the same replications
(:func:`sim.experiment.output.write_results_folder`, with the summary, bands and figures), the
report is ``collectsim report``'s (:func:`sim.report.html.write_report`) and the workbook
``collectsim export``'s (:func:`sim.report.workbook.write_workbook`). Each is built once per
scenario, seed and set of replications, inside a private folder of the running app that
:meth:`Exports.close` removes.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from sim.config.loading import scenario_hash
from sim.config.schema import Scenario
from sim.experiment.kpi_rows import write_run_outputs
from sim.experiment.output import write_results_folder
from sim.model.results import Results
from sim.report.figures import write_run_figures
from sim.report.html import write_report
from sim.report.workbook import write_workbook


def _outputs(folder: Path, results: Sequence[Results]) -> None:
    """A run folder's summary and bands, then its figures (a figure that fails only warns)."""
    write_run_outputs(folder, results)
    write_run_figures(folder, results)


class Exports:
    """Results folders built for downloads, under one private temporary folder."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.root = Path(tempfile.mkdtemp(prefix="collectsim-app-"))
        self._lock = threading.Lock()

    def folder(self, scenario: Scenario, overrides: Sequence[str],
               results: Sequence[Results], seed: int, seconds: float) -> Path:
        """The results folder of ``results`` (built on first use)."""
        reps = ",".join(str(r.replication) for r in results)
        which = hashlib.sha256(f"{scenario_hash(scenario)}:{seed}:{reps}".encode()).hexdigest()
        key = f"{which[:20]}-{len(results)}"
        out = self.root / key / scenario.scenario.name
        with self._lock:
            if not out.is_dir():
                write_results_folder(out, scenario, self.source, list(overrides), results,
                                     seed, seconds, figures=_outputs)
        return out

    def archive(self, folder: Path) -> Path:
        """``folder`` as a zip file beside it (its own name at the top of the archive)."""
        target = folder.parent / f"{folder.name}.zip"
        with self._lock:
            if not target.is_file():
                staging = Path(shutil.make_archive(str(folder.parent / f".{folder.name}"),
                                                   "zip", root_dir=folder.parent,
                                                   base_dir=folder.name))
                staging.replace(target)
        return target

    def report(self, folder: Path) -> Path:
        """The folder's ``report.html`` (written on first use)."""
        with self._lock:
            found = folder / "report.html"
            return found if found.is_file() else write_report(folder)

    def workbook(self, folder: Path) -> Path:
        """The folder's ``results.xlsx`` (written on first use)."""
        with self._lock:
            found = folder / "results.xlsx"
            return found if found.is_file() else write_workbook(folder)

    def close(self) -> None:
        """Remove every folder built."""
        shutil.rmtree(self.root, ignore_errors=True)
