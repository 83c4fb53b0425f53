"""The progress line keeps counting while a run is under way: on a terminal it is redrawn every
tick with the time elapsed, even before the first run finishes, and never after it is closed;
off a terminal, or with ``--quiet``, nothing is written and no thread is started."""

from __future__ import annotations

import io
import re
import threading
import time

from sim.experiment.progress import Progress

TICK = 0.02


def wait_for(condition: object, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(TICK)


def test_the_line_is_redrawn_while_nothing_finishes() -> None:
    stream = io.StringIO()
    progress = Progress(1, label="replications", stream=stream, enabled=True, tick=TICK)
    wait_for(lambda: stream.getvalue().count("\r") >= 3)
    assert stream.getvalue().count("\rreplications 0/1, ") >= 3  # before the run ends
    progress.update(1)
    progress.close()
    text = stream.getvalue()
    assert re.search(r"\rreplications 1/1, \d+s elapsed\x1b\[K\n$", text)
    time.sleep(5 * TICK)
    assert stream.getvalue() == text  # nothing after close
    assert not any(t.name == "progress" for t in threading.enumerate())


def test_the_elapsed_time_counts_up_between_runs() -> None:
    stream = io.StringIO()
    progress = Progress(2, stream=stream, enabled=True, tick=TICK)
    progress.started -= 61  # as if the first run had been going for a minute
    wait_for(lambda: "1m01s elapsed" in stream.getvalue() or "1m02s" in stream.getvalue())
    progress.close()
    assert "runs 0/2, 1m0" in stream.getvalue()


def test_nothing_is_drawn_before_the_total_is_known() -> None:
    stream = io.StringIO()
    progress = Progress(0, stream=stream, enabled=True, tick=TICK)
    time.sleep(5 * TICK)
    assert stream.getvalue() == ""
    progress.update(0, total=3)
    progress.close()
    assert stream.getvalue().startswith("\rruns 0/3")


def test_off_a_terminal_or_quiet_no_thread_and_no_output() -> None:
    before = threading.active_count()
    for progress in (Progress(1, stream=io.StringIO(), tick=TICK),  # StringIO: not a tty
                     Progress(1, stream=io.StringIO(), quiet=True, tick=TICK)):
        assert progress._ticker is None
        time.sleep(3 * TICK)
        progress.update(1)
        progress.close()
        assert progress.stream.getvalue() == ""  # type: ignore[attr-defined]
    assert threading.active_count() == before


def test_tick_zero_redraws_only_on_update() -> None:
    stream = io.StringIO()
    progress = Progress(1, stream=stream, enabled=True, tick=0)
    time.sleep(3 * TICK)
    assert stream.getvalue() == ""
    progress.update(1)
    progress.close()
    assert stream.getvalue().count("\r") == 2
