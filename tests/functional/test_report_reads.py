"""``collectsim report`` reads only a results folder's own files, and embeds only its PNGs.

``manifest.json`` and the data files must be the folder's own regular files: a symbolic link
(which could point at a secrets file the user can read) is not followed.

A figure is embedded only if it is a regular file in the folder (never a symbolic link, which
could point at any file the user can read), at most ``MAX_FIGURE_BYTES``, starting with the PNG
signature. Anything else named ``*.png`` is left out with a note under "What is missing"; a
standard figure that is left out is drawn from the folder's data instead. A ``*.png`` that is a
FIFO never blocks the report (a link to ``/dev/zero`` is tested in a child process with a memory
limit, in ``test_bounded_reads_cli.py``).
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from support import BASELINE, PNG_MAGIC, TINY, call

from sim.report.folder import open_folder
from sim.report.html import MAX_FIGURE_BYTES, build_report

SECRET = b"AKIA-very-secret-key"


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report-figures") / "run"
    status, _, err = call(["run", BASELINE, *TINY, "--reps", "2", "--workers", "1", "--out", out,
                           "--quiet"])
    assert status == 0, err
    return out


@pytest.fixture
def folder(run_folder: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(run_folder, copy)
    return copy


def _embedded(html: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([^"]*)"',
                                                    html)]


def _report(folder: Path) -> str:
    return build_report(open_folder(folder))


def _secrets_file(tmp_path: Path) -> Path:
    secrets = tmp_path / "credentials"
    secrets.write_bytes(PNG_MAGIC + SECRET)  # even disguised as a PNG
    return secrets


def test_extra_png_symlink_to_a_secrets_file_is_not_embedded(folder: Path,
                                                             tmp_path: Path) -> None:
    (folder / "extra.png").symlink_to(_secrets_file(tmp_path))
    html = _report(folder)
    assert not any(SECRET in png for png in _embedded(html))
    assert "extra.png is not embedded (is a symbolic link" in html


def test_standard_figure_replaced_by_a_symlink_is_drawn_instead(folder: Path,
                                                                tmp_path: Path) -> None:
    figure = folder / "liquidation_curve.png"
    figure.unlink()
    figure.symlink_to(_secrets_file(tmp_path))
    html = _report(folder)
    pngs = _embedded(html)
    assert not any(SECRET in png for png in pngs)
    assert all(png.startswith(PNG_MAGIC) for png in pngs)
    assert "liquidation_curve.png is not embedded" in html
    assert "drawn for this report" in html


def test_file_that_is_not_a_png_is_not_embedded(folder: Path) -> None:
    (folder / "notes.png").write_bytes(b"<svg onload=alert(1)>" + SECRET)
    html = _report(folder)
    assert not any(SECRET in png for png in _embedded(html))
    assert "notes.png is not embedded: it is not a PNG image." in html


def test_oversized_png_is_not_embedded(folder: Path) -> None:
    huge = folder / "huge.png"
    with huge.open("wb") as handle:
        handle.write(PNG_MAGIC)
        handle.truncate(MAX_FIGURE_BYTES + 1)  # sparse: nothing written past the signature
    html = _report(folder)
    assert "huge.png is not embedded (file is larger than" in html
    assert all(len(png) <= MAX_FIGURE_BYTES for png in _embedded(html))


def test_folder_with_a_png_fifo_is_reported_without_blocking(folder: Path) -> None:
    pipe = folder / "pipe.png"
    os.mkfifo(pipe)
    pages: list[str] = []
    thread = threading.Thread(target=lambda: pages.append(_report(folder)), daemon=True)
    thread.start()
    thread.join(30)
    if thread.is_alive():
        os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))  # release the blocked reader
        thread.join(30)
        pytest.fail("the report blocked on a FIFO named pipe.png")
    assert "pipe.png is not embedded (is a FIFO" in pages[0]


def test_the_folders_own_figures_are_still_embedded(folder: Path) -> None:
    figures = sorted(p.read_bytes() for p in folder.glob("*.png"))
    assert figures
    assert sorted(_embedded(_report(folder))) == figures


def test_data_file_that_is_a_symlink_is_not_read(folder: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret.csv"
    outside.write_text("replication,agency,recovery_rate\n0,AKIA-secret-agency,0.5\n")
    (folder / "kpis.csv").unlink()
    (folder / "kpis.csv").symlink_to(outside)
    html = _report(folder)
    assert "AKIA-secret-agency" not in html
    assert "kpis.csv is not read (a symbolic link" in html


def test_manifest_that_is_a_symlink_is_refused(folder: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret.json"
    outside.write_text((folder / "manifest.json").read_text())
    (folder / "manifest.json").unlink()
    (folder / "manifest.json").symlink_to(outside)
    status, out, err = call(["report", folder])
    assert (status, out) == (2, "")
    assert err == (f"error: {folder}: manifest.json: cannot be read: is a symbolic link, "
                   "not a regular file\n")
    assert not (folder / "report.html").exists()
