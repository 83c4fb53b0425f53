"""``collectsim select`` end to end on two small scenarios: the JSON contract, the results
folder and the choice itself (the dearer of two otherwise identical programs nets less)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from support import BASELINE, run_process

from sim.config.loading import load_scenario, scenario_hash
from sim.experiment.marker import FolderKind, read_marker


@pytest.mark.slow
def test_select_two_scenarios_end_to_end(tmp_path: Path) -> None:
    dear = tmp_path / "dear.toml"
    dear.write_text(f'extends = "{BASELINE}"\n\n[scenario]\nname = "dear"\n\n'
                    '[[agencies]]\nname = "alpha"\ncommission = 0.4\n\n'
                    '[[agencies]]\nname = "beta"\ncommission = 0.4\n')
    out = tmp_path / "chosen"
    # 300 accounts with collectors scaled from 20 per 20,000 (1 each), a horizon of 20 days
    small = ["--set", "portfolio.accounts=300", "--set", "scenario.horizon_days=20",
             "--scale-collectors"]
    done = run_process(["select", BASELINE, dear, "--kpi", "netback_rate", "--delta", "0.002",
                        "--pcs", "0.9", "--n0", "5", "--workers", "1", *small,
                        "--format", "json", "--out", out], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == {"best", "replications", "equal_allocation_replications", "pcs",
                           "delta", "intervals"}
    assert result["best"] == "baseline"
    assert (result["pcs"], result["delta"]) == (0.9, 0.002)
    assert set(result["replications"]) == set(result["intervals"]) == {"baseline", "dear"}
    assert all(n >= 5 for n in result["replications"].values())
    assert sum(result["replications"].values()) <= result["equal_allocation_replications"]
    low, high = result["intervals"]["dear"]
    assert low < high <= 0  # dear is worse than the best, by an interval that excludes 0

    assert read_marker(out) is FolderKind.SELECT
    runs = pd.read_csv(out / "runs.csv")
    used = runs[runs["used"]].groupby("scenario").size().to_dict()
    assert used == result["replications"]
    assert (runs.groupby("scenario")["replication"].min() == 0).all()
    summary = pd.read_csv(out / "summary.csv").set_index("scenario")
    assert bool(summary.loc["baseline", "selected"]) and not bool(summary.loc["dear", "selected"])
    for name in ("baseline", "dear"):
        mean = runs[(runs["scenario"] == name) & runs["used"]]["netback_rate"].mean()
        assert summary.loc[name, "mean"] == pytest.approx(mean)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["method"] == "kn" and manifest["direction"] == "higher is better"
    hashes = {entry["label"]: entry["hash"] for entry in manifest["scenarios"]}
    scaled = load_scenario(BASELINE, ["portfolio.accounts=300", "scenario.horizon_days=20"],
                           scale_collectors=True)
    assert [a.collectors for a in scaled.agencies] == [1, 1]
    assert hashes["baseline"] == scenario_hash(scaled)
