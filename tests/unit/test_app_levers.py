"""The what-if page's levers: read from the schema and the loaded file, turned back into the
``--set`` overrides the command line takes, with the command line's one-line errors; and the
``app`` command's bad-input paths."""

from __future__ import annotations

import re
import socket
import typing

import pytest
from support import BASELINE, TINY, assert_bad_input, call

from sim.app.levers import (
    LeverKind,
    advanced_lines,
    input_ids,
    overrides,
    scenario_levers,
    toml_value,
)
from sim.app.server import page_settings
from sim.config.loading import ScenarioError, load_scenario
from sim.config.schema import Agency, Rules


@pytest.fixture(scope="module")
def loaded():
    return load_scenario(BASELINE)


def _value(scenario, path):
    node = scenario.model_dump(mode="json")
    for part in path.split("."):
        node = next(a for a in node if a["name"] == part) if isinstance(node, list) \
            else node[part]
    return node


def test_levers_carry_the_loaded_values_and_the_schemas_types(loaded) -> None:
    levers = scenario_levers(loaded)
    paths = [lever.path for lever in levers]
    assert paths[0] == "portfolio.accounts"
    for agency in loaded.agencies:
        for field in ("share", "collectors", "commission", "tone"):
            assert f"agencies.{agency.name}.{field}" in paths
    caps = [f for f in Rules.model_fields if f.startswith("max_")]
    assert caps and all(f"rules.{f}" in paths for f in caps)
    for lever in levers:
        assert lever.value == _value(loaded, lever.path), lever.path
    by_path = {lever.path: lever for lever in levers}
    regime = by_path["rules.regime"]
    assert regime.kind is LeverKind.CHOICE
    assert regime.choices == typing.get_args(Rules.model_fields["regime"].annotation)
    assert by_path["agencies.alpha.collectors"].kind is LeverKind.INTEGER
    share = by_path["agencies.alpha.share"]
    assert (share.kind, share.low, share.high, share.step) == (LeverKind.NUMBER, 0, 1, 0.01)
    assert by_path["rules.window_start"].kind is LeverKind.TEXT
    assert all(lever.help for lever in levers)


def test_a_dialler_lever_exactly_when_agencies_have_one(loaded) -> None:
    paths = [lever.path for lever in scenario_levers(loaded)]
    has = "dialler" in Agency.model_fields
    assert any(".dialler" in p for p in paths) == has


def test_input_ids_are_unique_shiny_ids_even_for_look_alike_agency_names(tmp_path) -> None:
    text = BASELINE.read_text().replace('name = "alpha"', 'name = "a-b"') \
        .replace('name = "beta"', 'name = "a_b"')
    path = tmp_path / "names.toml"
    path.write_text(text, encoding="utf-8")
    scenario = load_scenario(path)
    ids = input_ids(scenario_levers(scenario))
    assert len(ids) == len(scenario_levers(scenario))
    assert all(re.fullmatch(r"\w+", name) for name in ids)


def test_only_moved_levers_become_overrides_that_load_as_set_does(loaded) -> None:
    ids = input_ids(scenario_levers(loaded))
    unchanged = {name: lever.value for name, lever in ids.items()}
    assert overrides(ids, unchanged) == []
    moved = dict(unchanged, lever_agencies__alpha__collectors=7.0,
                 lever_rules__window_start="09:30", lever_rules__regime="china",
                 lever_agencies__beta__commission=0.25)
    texts = overrides(ids, moved)
    expected = {"lever_agencies__alpha__collectors": "agencies.alpha.collectors=7",
                "lever_agencies__beta__commission": "agencies.beta.commission=0.25",
                "lever_rules__regime": 'rules.regime="china"',
                "lever_rules__window_start": 'rules.window_start="09:30"'}
    assert texts == [expected[name] for name in ids if name in expected]  # in lever order
    scenario = load_scenario(BASELINE, texts)
    assert scenario.agencies[0].collectors == 7
    assert scenario.agencies[1].commission == 0.25
    assert scenario.rules.window_start == "09:30"
    assert scenario.rules.max_conversations_per_day == 3  # the china preset's cap


def test_a_bad_combination_is_the_command_lines_one_line_error(loaded) -> None:
    ids = input_ids(scenario_levers(loaded))
    values = {name: lever.value for name, lever in ids.items()}
    values["lever_agencies__alpha__share"] = 0.7
    texts = overrides(ids, values)
    with pytest.raises(ScenarioError) as page_error:
        load_scenario(BASELINE, texts)
    flags = [part for text in texts for part in ("--set", text)]
    status, out, err = call(["validate", BASELINE, *flags])
    line = assert_bad_input(status, out, err)
    assert page_error.value.lines() == [line.removeprefix("error: ")]


def test_values_are_written_as_toml() -> None:
    assert [toml_value(v) for v in (True, 3, 0.25, 'say "hi"')] == \
        ["true", "3", "0.25", '"say \\"hi\\""']


def test_advanced_lines_are_set_texts() -> None:
    text = "\n bank.control_share=0.2 \n# a note\n\nagencies.alpha.skill=0.6\n"
    assert advanced_lines(text) == ["bank.control_share=0.2", "agencies.alpha.skill=0.6"]
    assert advanced_lines(None) == []
    with pytest.raises(ScenarioError, match="expected KEY=VALUE"):
        load_scenario(BASELINE, advanced_lines("bank.control_share"))


@pytest.mark.parametrize(("reps", "seed", "field"), [(0, 1, "replications"),
                                                     (2.5, 1, "replications"),
                                                     (None, 1, "replications"),
                                                     (3, -1, "seed"), (3, None, "seed")])
def test_replications_and_seed_from_the_page_are_checked(reps, seed, field) -> None:
    with pytest.raises(ScenarioError) as error:
        page_settings(reps, seed)
    assert str(error.value).startswith(field)
    assert page_settings(3.0, 7) == (3, 7)


def test_app_with_a_bad_scenario_is_one_line(tmp_path) -> None:
    assert_bad_input(*call(["app", tmp_path / "missing.toml", "--port", "0"]), "--port")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert_bad_input(*call(["app", tmp_path / "missing.toml", "--port", str(port)]),
                     "missing.toml")
    assert_bad_input(*call(["app", BASELINE, "--port", str(port), *TINY,
                            "--set", "agencies.alpha.share=0.7"]), "agencies")
    assert_bad_input(*call(["app", BASELINE, "--reps", "0"]), "--reps")


def test_app_on_a_port_in_use_is_one_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = assert_bad_input(*call(["app", BASELINE, "--port", str(port)]), "--port")
    assert "cannot listen" in line
