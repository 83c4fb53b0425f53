"""A one-line progress report on stderr: runs done, failures, time elapsed and time left.

Shown only when stderr is a terminal and the user did not ask for ``--quiet``; redrawn in place
with a carriage return at most a few times a second, and finished with a newline. Between
finished runs a background thread redraws it every :data:`TICK_SECONDS`, so the elapsed time
keeps counting while a long run is under way — one replication of a large scenario, which
reports nothing until it ends, shows ``replications 0/1, 42s elapsed`` rather than a still
terminal.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

MIN_INTERVAL = 0.2
TICK_SECONDS = 1.0


def _clock(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class Progress:
    """Progress of ``total`` runs; call :meth:`update` as they finish and :meth:`close` once.

    ``already`` runs done before this session (a resumed sweep) count as done but do not enter
    the time-left estimate. When shown, the line is also redrawn every ``tick`` seconds (once
    the total is known) until :meth:`close`; ``tick=0`` redraws only on :meth:`update`.
    """

    def __init__(self, total: int, *, label: str = "runs", quiet: bool = False,
                 stream: TextIO | None = None, enabled: bool | None = None,
                 already: int = 0, tick: float = TICK_SECONDS) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            enabled = not quiet and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.enabled = enabled
        self.total = total
        self.label = label
        self.already = already
        self.done = already
        self.failed = 0
        self.started = time.perf_counter()
        self._last = 0.0
        self._shown = False
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._ticker: threading.Thread | None = None
        if self.enabled and tick > 0:
            self._ticker = threading.Thread(target=self._tick, args=(tick,), daemon=True,
                                            name="progress")
            self._ticker.start()

    def _tick(self, every: float) -> None:
        """Redraw the line every ``every`` seconds until :meth:`close`."""
        while not self._stopped.wait(every):
            if self.total:
                self._draw()

    def _draw(self, end: str = "") -> None:
        with self._lock:
            self.stream.write("\r" + self.line() + "\x1b[K" + end)
            self.stream.flush()
            self._shown = not end

    def line(self) -> str:
        """The text of the progress line as it stands."""
        elapsed = time.perf_counter() - self.started
        fresh = self.done - self.already
        remaining = self.total - self.done
        text = f"{self.label} {self.done}/{self.total}"
        if self.failed:
            text += f", {self.failed} failed"
        text += f", {_clock(elapsed)} elapsed"
        if fresh > 0 and remaining > 0:
            text += f", ~{_clock(elapsed / fresh * remaining)} left"
        return text

    def update(self, done: int | None = None, failed: int | None = None,
               total: int | None = None) -> None:
        """Record progress (absolute counts; ``done`` defaults to one more than before)."""
        self.done = self.done + 1 if done is None else done
        if failed is not None:
            self.failed = failed
        if total is not None:
            self.total = total
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self._last < MIN_INTERVAL and self.done < self.total:
            return
        self._last = now
        self._draw()

    def close(self) -> None:
        """Stop redrawing and end the line (if anything was shown)."""
        self._stopped.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
        if self.enabled and self._shown:
            self._draw("\n")
