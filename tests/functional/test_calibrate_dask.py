"""Calibration on pyabc's dask sampler: the same posterior, in distribution, as the serial
sampler, and ``calibrate --backend dask`` end to end."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import cloudpickle
import numpy as np
import pytest
from support import BASELINE, TINY, call, write

from sim.experiment.backends import DaskBackend
from sim.experiment.calibrate import Prior, calibrate
from sim.experiment.targets import Targets, sampling_sd
from sim.model.kpis import Unit

pytest.importorskip("pyabc")
pytestmark = pytest.mark.slow

TRUTH = 0.4
NOISE = 0.004
ACCOUNTS = 10_000

# The dask workers cannot import this test module: send its functions by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def toy(params: dict[str, float], replication: int) -> dict[str, float]:
    """rpc_rate rises with ``a``; one noise draw per replication (common random numbers)."""
    noise = np.random.default_rng([7, replication]).normal(0.0, NOISE)
    return {"rpc_rate": 0.1 + 0.3 * params["a"] + noise}


def targets() -> Targets:
    observed = {"rpc_rate": 0.1 + 0.3 * TRUTH}
    sd = {k: sampling_sd(Unit.SHARE, v, ACCOUNTS) for k, v in observed.items()}
    return Targets("toy", ACCOUNTS, "toy", observed, sd, ())


def test_dask_sampler_agrees_with_serial_in_distribution(tmp_path: Path) -> None:
    """Both fits of the same toy, population and seed, four generations each: their medians
    differ by less than four Monte Carlo standard errors (a weighted median's is about
    1.25 sd / sqrt(ESS)), and their 90% intervals are of like width. The dask workers draw
    their own seeds, so the draws themselves differ."""
    priors = [Prior("a", 0.0, 1.0)]
    settings = {"budget": 100_000, "population": 60, "seed": 3, "max_generations": 4}
    serial = calibrate(toy, priors, targets(), database=tmp_path / "s.db", **settings)
    with DaskBackend(2) as engine:
        engine.start_workers(2)
        dask = calibrate(toy, priors, targets(), database=tmp_path / "d.db", workers=2,
                         sampler="dask", dask_client=engine.client, **settings)
    assert len(serial.epsilons) == len(dask.epsilons) == 4
    a, b = serial.posterior()["a"], dask.posterior()["a"]
    error = 1.25 * math.sqrt(a["sd"] ** 2 / serial.ess() + b["sd"] ** 2 / dask.ess())
    assert abs(a["median"] - b["median"]) < 4 * error, (a, b)
    width = (a["q95"] - a["q05"]) / (b["q95"] - b["q05"])
    assert 0.5 < width < 2.0, (a, b)
    assert serial.identifiable() == dask.identifiable() == {"a": True}
    assert not serial.draws.equals(dask.draws)


def test_calibrate_command_on_dask(tmp_path: Path) -> None:
    target_file = write(tmp_path, '[targets]\naccounts = 2000\nsource = "t"\n'
                        "[targets.kpis]\nrpc_rate = 0.2\n", "t.toml")
    status, stdout, stderr = call([
        "calibrate", BASELINE, *TINY, "--targets", target_file, "--param",
        "portfolio.segments.money_management.answer_rate=0.1:0.6", "--budget", "30",
        "--predictive", "3", "--backend", "dask", "--workers", "2", "--format", "json",
        "--quiet", "--out", tmp_path / "out"])
    assert status == 0, stderr
    result = json.loads(stdout)
    assert result["simulations"] >= 10  # the prior sample and one generation at least
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["sampler"] == "dask" and manifest["backend"].startswith("dask")
