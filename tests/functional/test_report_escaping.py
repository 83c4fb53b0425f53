"""``collectsim report`` escapes every value it reads from a results folder.

A results folder may come from anyone: its ``manifest.json`` and CSV files can hold any text.
Reports are rendered from real ``run``, ``compare`` and ``sweep`` folders whose manifests (every
value, or a random choice of them, hypothesis-drawn) and CSV text cells are replaced by markup —
``<script src=…>``, ``<iframe>``, ``<svg onload=…>``, ``javascript:`` URLs, stray quotes — and
parsed with :mod:`html.parser`: no element or attribute may appear that the report of the
untouched folder does not have, no ``on…`` handler, and every link stays inside the page (``#…``)
or is an embedded PNG (``data:image/png;base64,…``).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import BASELINE, GOOD_EXPERIMENT, TINY, call

from sim.report.folder import open_folder
from sim.report.html import build_report

ROOT = BASELINE.parents[1]
PAYLOADS = (
    '<script src="https://evil.example/x.js"></script>',
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<svg onload=alert(1)>",
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='alert(1)' x='",
    "javascript:alert(document.cookie)",
    '</code></pre><a href="javascript:alert(1)">click</a>',
    "<style>body{background:url(https://evil.example/)}</style>",
    "&lt;script&gt; & \" ' < >",
)
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "srcset", "poster", "background",
                  "xlink:href", "data"}
SAFE_URL_PREFIXES = ("#", "data:image/png;base64,")

markup = st.one_of(st.sampled_from(PAYLOADS),
                   st.builds(lambda a, p, b: a + p + b, st.text(max_size=4),
                             st.sampled_from(PAYLOADS), st.text(max_size=4)))


class Shape(HTMLParser):
    """The elements, attribute names and URLs of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            self.attributes.add(name)
            if name in URL_ATTRIBUTES:
                self.urls.append(value or "")

    handle_startendtag = handle_starttag


def shape(html: str) -> Shape:
    parser = Shape()
    parser.feed(html)
    parser.close()
    return parser


# --------------------------------------------------------------------------- folders


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("report-escaping")
    made = {"run": base / "run", "compare": base / "compare", "sweep": base / "sweep"}
    runs = [
        ["run", BASELINE, *TINY, "--reps", "2", "--workers", "1", "--out", made["run"],
         "--quiet"],
        ["compare", BASELINE, ROOT / "scenarios" / "aggressive_tone.toml", *TINY, "--reps",
         "2", "--backend", "serial", "--out", made["compare"], "--quiet"],
    ]
    experiment = base / "exp.toml"
    experiment.write_text(GOOD_EXPERIMENT)
    runs.append(["sweep", experiment, "--backend", "serial", "--out", made["sweep"],
                 "--quiet"])
    for argv in runs:
        status, _, err = call(argv)
        assert status == 0, (argv, err)
    return made


@pytest.fixture(scope="module")
def references(folders: dict[str, Path]) -> dict[str, Shape]:
    return {kind: shape(build_report(open_folder(path))) for kind, path in folders.items()}


def leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The paths of every scalar in a JSON value."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from leaves(value, (*path, index))
    else:
        yield path


def replace(node: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


def text_cells(folder: Path) -> list[tuple[str, str, int]]:
    """(file, column, row) of every text cell of the folder's CSV files."""
    cells = []
    for csv in sorted(folder.glob("*.csv")):
        table = pd.read_csv(csv)
        for column in table.columns:
            if table[column].dtype == object:
                cells.extend((csv.name, column, row) for row in range(len(table)))
    return cells


def fuzzed_copy(source: Path, target: Path, manifest_values: dict[int, str],
                csv_values: dict[int, str]) -> Path:
    """A copy of ``source`` with the chosen manifest leaves and CSV text cells replaced."""
    shutil.copytree(source, target)
    manifest = json.loads((target / "manifest.json").read_text())
    paths = list(leaves(manifest))
    for index, value in manifest_values.items():
        replace(manifest, paths[index % len(paths)], value)
    (target / "manifest.json").write_text(json.dumps(manifest))
    cells = text_cells(target)
    tables: dict[str, pd.DataFrame] = {}
    for index, value in csv_values.items():
        if not cells:
            break
        name, column, row = cells[index % len(cells)]
        table = tables.setdefault(name, pd.read_csv(target / name))
        table.loc[row, column] = value
    for name, table in tables.items():
        table.to_csv(target / name, index=False)
    return target


def assert_nothing_injected(html: str, reference: Shape) -> None:
    page = shape(html)
    assert page.tags <= reference.tags, page.tags - reference.tags
    assert page.attributes <= reference.attributes, page.attributes - reference.attributes
    assert not any(name.startswith("on") for name in page.attributes)
    unsafe = [url for url in page.urls if not url.startswith(SAFE_URL_PREFIXES)]
    assert not unsafe, unsafe
    lowered = html.lower()
    for tag in ("<script", "<iframe", "<svg", "<a href=\"javascript"):
        assert tag not in lowered


# --------------------------------------------------------------------------- tests


def test_reference_reports_have_no_scripts_or_outside_links(references: dict[str, Shape]
                                                            ) -> None:
    for reference in references.values():
        assert "script" not in reference.tags and "iframe" not in reference.tags
        assert all(url.startswith(SAFE_URL_PREFIXES) for url in reference.urls)
        assert "img" in reference.tags  # the figures are there to be compared


@pytest.mark.parametrize("payload", PAYLOADS[:5])
def test_values_the_method_section_reads_are_escaped(folders: dict[str, Path],
                                                     references: dict[str, Shape],
                                                     tmp_path: Path, payload: str) -> None:
    """The values a crafted folder used to pass into "How these numbers were made" raw."""
    folder = tmp_path / "run"
    shutil.copytree(folders["run"], folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["seed"] = payload
    scenario = manifest["scenario"]
    scenario["rules"]["window_start"] = payload
    scenario["bank"]["transfer_delay_days"] = payload
    scenario["agencies"][0]["tone"] = payload
    scenario["agencies"][1]["collectors"] = payload
    scenario["portfolio"]["days_past_due"]["low"] = payload
    (folder / "manifest.json").write_text(json.dumps(manifest))
    html = build_report(open_folder(folder))
    assert_nothing_injected(html, references["run"])
    assert html.count(escape(payload)) >= 6


@pytest.mark.parametrize("kind", ["run", "compare", "sweep"])
@pytest.mark.parametrize("payload", PAYLOADS[:5])
def test_every_manifest_value_and_csv_text_as_markup(folders: dict[str, Path],
                                                     references: dict[str, Shape],
                                                     tmp_path: Path, kind: str,
                                                     payload: str) -> None:
    manifest = json.loads((folders[kind] / "manifest.json").read_text())
    every_leaf = dict.fromkeys(range(len(list(leaves(manifest)))), payload)
    every_cell = dict.fromkeys(range(len(text_cells(folders[kind]))), payload)
    folder = fuzzed_copy(folders[kind], tmp_path / kind, every_leaf, every_cell)
    assert_nothing_injected(build_report(open_folder(folder)), references[kind])


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(["run", "compare", "sweep"]),
       manifest_values=st.dictionaries(st.integers(0, 10_000), markup, min_size=1,
                                       max_size=12),
       csv_values=st.dictionaries(st.integers(0, 10_000), markup, max_size=6),
       number=st.integers(0, 10**9))
def test_random_manifest_values_and_csv_cells_as_markup(folders: dict[str, Path],
                                                        references: dict[str, Shape],
                                                        tmp_path: Path, kind: str,
                                                        manifest_values: dict[int, str],
                                                        csv_values: dict[int, str],
                                                        number: int) -> None:
    folder = fuzzed_copy(folders[kind], tmp_path / f"{kind}-{number}", manifest_values,
                         csv_values)
    try:
        assert_nothing_injected(build_report(open_folder(folder)), references[kind])
    finally:
        shutil.rmtree(folder)
