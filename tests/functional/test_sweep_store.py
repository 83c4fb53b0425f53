"""The results folder of a sweep: who may write into it, and resuming or extending it.

A folder holding one experiment's results is refused to another experiment and, without
``--resume``, to the same one; resuming with more replications runs only the new ones; a fresh
start replaces what was there.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import GOOD_EXPERIMENT as GOOD
from support import write

from sim.config.loading import ScenarioError
from sim.experiment.experiment_file import load_experiment
from sim.experiment.sweep import prepare_out, sweep

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "scenarios" / "baseline.toml"



def test_out_folder_rules(tmp_path):
    experiment = load_experiment(write(tmp_path, GOOD))
    out = tmp_path / "out"
    sweep(experiment, out, backend="serial")
    with pytest.raises(ScenarioError, match="add --resume"):
        prepare_out(out, experiment, resume=False, fresh=False)
    prepare_out(out, experiment, resume=True, fresh=False)  # allowed, nothing to do
    more = load_experiment(write(tmp_path, GOOD.replace("replications = 2",
                                                        "replications = 3"), "more.toml"))
    assert more.key == experiment.key  # more replications: the same store, extended
    extended = sweep(more, out, backend="serial", resume=True)
    assert (extended.ran, extended.resumed) == (2, 4)
    assert sorted(extended.runs["replication"].unique()) == [0, 1, 2]
    other = load_experiment(write(tmp_path, GOOD.replace("[0.2, 0.8]", "[0.3]"), "b.toml"))
    with pytest.raises(ScenarioError, match=r"holds results of 'tiny' for another scenario"):
        prepare_out(out, other, resume=True, fresh=False)
    renamed = load_experiment(write(tmp_path, GOOD.replace('"tiny"', '"other"')
                                         .replace("[0.2, 0.8]", "[0.3]"), "c.toml"))
    with pytest.raises(ScenarioError, match=r"different experiment \('tiny'\)"):
        prepare_out(out, renamed, resume=True, fresh=False)
    again = sweep(other, out, backend="serial", fresh=True)
    assert again.ran == 2 and again.resumed == 0
    assert sorted(p.name for p in (out / "daily").iterdir()) == [
        "p000000_r00000.parquet", "p000000_r00001.parquet"]


def test_a_sweep_without_a_folder_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    experiment = load_experiment(write(tmp_path, GOOD))
    memory = sweep(experiment, backend="serial")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.toml"]
    assert (memory.ran, memory.resumed) == (4, 0)
    assert sorted(memory.runs["replication"].unique()) == [0, 1]
    stored = sweep(experiment, tmp_path / "out", backend="serial")
    assert memory.runs["recovery_rate"].tolist() == stored.runs["recovery_rate"].tolist()
