"""Serving the what-if page on one address of this machine (uvicorn, as Shiny apps are served).

:func:`check_address` refuses an address that cannot be bound before anything starts, with the
one-line input error; :func:`serve` then runs until Ctrl-C. The page is meant for the person at
this machine: an address other than the loopback interface only gets a ``note:`` line, since
anyone who can reach it can run the model on this machine and read the scenario.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import sys

from sim.app.server import AppSettings, make_app
from sim.config.loading import ScenarioError

LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine's loopback interface."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_address(host: str, port: int) -> None:
    """Raise the one-line error unless ``host:port`` can be listened on now."""
    if not 1 <= port <= 65535:
        raise ScenarioError("--port", None, "must be from 1 to 65535", port)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ScenarioError("--host", None, f"unknown address: {exc.strerror}", host) \
            from None
    family, kind, proto, _, address = infos[0]
    with contextlib.closing(socket.socket(family, kind, proto)) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise ScenarioError("--port", None, f"cannot listen on {host}:{port}: "
                                f"{exc.strerror or exc}", port) from None


def serve(settings: AppSettings, host: str, port: int) -> None:
    """Build the page for ``settings`` and serve it on ``host:port`` until interrupted."""
    import uvicorn  # the web server comes with Shiny; only this command needs it

    check_address(host, port)
    app = make_app(settings)
    if not is_loopback(host):
        print(f"note: --host {host}: the page is reachable from other machines; it is a "
              "local tool with no log-in", file=sys.stderr)
    what = settings.path if settings.path is not None else "the starter scenario"
    print(f"collectsim app: serving {what} at http://{host}:{port}/ (Ctrl-C to stop)",
          file=sys.stderr, flush=True)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how the page is stopped
        uvicorn.run(app, host=host, port=port, log_level="warning")
