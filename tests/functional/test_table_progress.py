"""``collectsim table`` shows its progress on a terminal, as the other long commands do:
replications counted over every scenario, the line finished once at the end; nothing when
stderr is not a terminal or with ``--quiet``."""

from __future__ import annotations

import pytest
from support import BASELINE, ROOT, call

from sim.cli import files
from sim.experiment.progress import Progress
from sim.experiment.table import scenario_table

SINGLE = ROOT / "scenarios" / "single_agency.toml"
SIZE = ["portfolio.accounts=60", "scenario.horizon_days=5"]
TINY = ["--set", SIZE[0], "--set", SIZE[1], "--scale-collectors"]


def test_scenario_table_counts_replications_over_every_scenario() -> None:
    from sim.config.loading import load_scenario

    scenarios = [load_scenario(path, SIZE, scale_collectors=True)
                 for path in (BASELINE, SINGLE)]
    seen: list[tuple[int, int]] = []
    scenario_table(scenarios, reps=2, metrics=["recovery_rate"], files=[BASELINE, SINGLE],
                   progress=lambda done, total: seen.append((done, total)))
    assert {total for _, total in seen} == {4}
    done = [d for d, _ in seen]
    assert done == sorted(done) and done[-1] == 4 and 2 in done


@pytest.mark.parametrize("quiet", [False, True])
def test_table_prints_progress_on_a_terminal_unless_quiet(monkeypatch: pytest.MonkeyPatch,
                                                          quiet: bool) -> None:
    class Terminal(Progress):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            self.enabled = not kwargs.get("quiet")  # stderr is taken to be a terminal

    monkeypatch.setattr(files, "Progress", Terminal)
    status, out, err = call(["table", BASELINE, SINGLE, *TINY, "--reps", "2", "--workers", "1",
                             "--metric", "recovery_rate", *(["--quiet"] if quiet else [])])
    assert status == 0 and "| baseline |" in out and "| single_agency |" in out
    if quiet:
        assert err == ""
    else:
        assert err.startswith("\rreplications ") and err.endswith("\x1b[K\n")
        assert err.count("\n") == 1
        assert "replications 4/4" in err.splitlines()[-1].split("\r")[-1]


def test_table_without_a_terminal_prints_no_progress() -> None:
    status, out, err = call(["table", BASELINE, *TINY, "--reps", "1", "--metric",
                             "recovery_rate"])
    assert status == 0 and err == "" and "| baseline |" in out
