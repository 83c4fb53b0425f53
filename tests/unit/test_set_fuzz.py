"""``--set`` fuzzed through ``validate`` and ``run``: exit 0 or 2, never a traceback, and a
refusal is exactly one ``error:`` line."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import BASELINE, call

import sim.cli.run
from sim.config.loading import ScenarioError

KNOWN = ["portfolio", "portfolio.accounts", "portfolio.balance.median", "agencies.alpha",
         "agencies.alpha.collectors", "agencies.beta.shift.days", "scenario.start_date",
         "rules.window_start", "bank.allocation.routes", "behaviour.hawkes.lambda0"]
PART = st.one_of(st.text(min_size=0, max_size=12),
                 st.from_regex(r"[a-z_]{1,10}", fullmatch=True))
PATHS = st.one_of(
    st.sampled_from(KNOWN),
    st.builds(lambda known, extra: ".".join([known, *extra]), st.sampled_from(KNOWN),
              st.lists(PART, max_size=4)),
    st.lists(PART, min_size=1, max_size=40).map(".".join),
    st.integers(1, 3000).map(lambda n: ".".join(["a"] * n)),
)
NESTED = st.integers(1, 800).flatmap(lambda n: st.sampled_from(
    ["[" * n + "]" * n, "[" * n, "{a=" * n + "1" + "}" * n, "[" * n + "1" + "]" * n]))
VALUES = st.one_of(
    st.text(max_size=40),
    NESTED,
    st.sampled_from(["1e15", "1e300", "-1e999", "inf", "nan", "9" * 400, "0x7fffffffffffffff",
                     "9999-12-01", "0001-01-01", "true", '"\u202e\u0000"', "[1, 2", "{}"]),
    st.integers().map(str),
    st.floats().map(repr),
)


def _check(status: int, out: str, err: str) -> None:
    assert "Traceback" not in err and "Traceback" not in out
    assert status in (0, 2), (status, err)
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    if status == 2:
        assert len(errors) == 1, err
        assert len(err.splitlines()) == 1 or all(
            line.startswith(("error:", "note:")) for line in err.splitlines()), err
    else:
        assert errors == []


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(path=PATHS, value=VALUES)
def test_validate_with_fuzzed_set(path: str, value: str) -> None:
    _check(*call(["validate", BASELINE, "--set", f"{path}={value}"]))


def _stop(*args: object, **kwargs: object) -> None:
    raise ScenarioError("fuzz", None, "stopped before running")


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(path=PATHS, value=VALUES)
def test_run_with_fuzzed_set_refuses_in_one_line(path: str, value: str) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sim.cli.run, "replicate", _stop)  # accepted input stops here
        status, out, err = call(["run", BASELINE, "--set", f"{path}={value}",
                                 "--out", "/nonexistent/collectsim-fuzz/out"])
    _check(status, out, err)
