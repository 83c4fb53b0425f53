"""``collectsim app``: the what-if page in a browser, served from this machine.

It loads SCENARIO (by default the starter scenario ``init`` writes) as ``run`` would — a bad
file is the same one-line error, exit status 2 — checks that the address can be listened on,
and serves the page (:mod:`sim.app`) until Ctrl-C. The page's levers, runs, downloads and
cache live in this process; nothing is written outside a private temporary folder, which is
removed when it stops (Ctrl-C, or a plain ``kill``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sim.cli.options import add_backend_options, add_override_options, cap_workers, require
from sim.config.loading import load_scenario

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8050
DEFAULT_REPS = 10


def add_parsers(sub: Any) -> None:
    """Add ``app`` to the command's sub-parsers."""
    app = sub.add_parser("app", help="serve the what-if page: levers, a Run button and the "
                                     "KPIs with their intervals as replications land")
    app.add_argument("scenario", type=Path, nargs="?", default=None, metavar="SCENARIO",
                     help="scenario file (default: the starter scenario of `init`)")
    app.add_argument("--host", default=DEFAULT_HOST,
                     help=f"address to listen on (default {DEFAULT_HOST}: this machine only)")
    app.add_argument("--port", type=int, default=DEFAULT_PORT,
                     help=f"port (default {DEFAULT_PORT})")
    add_override_options(app, " in the file the page starts from")
    app.add_argument("--reps", type=int, default=DEFAULT_REPS,
                     help=f"replications a Run starts with (default {DEFAULT_REPS})")
    add_backend_options(app, scheduler=False)


def app_command(args: argparse.Namespace) -> int:
    """``collectsim app``."""
    require(1 <= args.reps <= 1000, "--reps", "must be from 1 to 1000", args.reps)
    cap_workers(args)
    # Shiny and its web server are imported only when the page is served.
    from sim.app.serve import check_address, serve
    from sim.app.server import AppSettings

    check_address(args.host, args.port)
    if args.scenario is not None:
        load_scenario(args.scenario, args.overrides, scale_collectors=args.scale_collectors)
    settings = AppSettings(path=args.scenario, overrides=tuple(args.overrides),
                           scale_collectors=args.scale_collectors, reps=args.reps,
                           workers=args.workers, backend=args.backend)
    serve(settings, args.host, args.port)
    return 0


COMMANDS = {"app": app_command}
