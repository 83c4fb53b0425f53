"""The ``collectsim`` command (also ``python -m sim``): parser, dispatch and error handling.

Sub-commands, by module:

- :mod:`sim.cli.run` — ``run`` a scenario (replications, results folder, table or JSON);
- :mod:`sim.cli.experiments` — ``compare`` scenarios, ``sweep`` an experiment file, compute
  its ``sensitivity`` indices;
- :mod:`sim.cli.choose` — ``select`` the best of several scenarios on a KPI with a
  guaranteed probability of correct selection, and ``optimise`` a scenario's levers;
- :mod:`sim.cli.calibrate` — ``calibrate`` scenario parameters to a bank's own figures by
  approximate Bayesian computation;
- :mod:`sim.cli.robust` — ``robust``: how far a finding holds across the plausible range
  of its uncertain parameters (Latin hypercube, paired scenarios, PRIM);
- :mod:`sim.cli.checks` — ``check`` model components against analytic results (``check
  queue``: Erlang C/A; ``check hawkes``: Chehrazi & Weber's closed form; ``check lifecycle``:
  the delinquency lifecycle's Markov chain);
- :mod:`sim.cli.bench` — ``bench`` the model (account-days per second, scaling with size,
  side by side with another revision) and the inbound queue against Ciw;
- :mod:`sim.cli.files` — ``init`` a commented starter scenario, ``validate`` scenario files,
  print the JSON ``schema`` of scenario files, list the ``kpis``, ``table`` scenarios side by
  side, ``report`` a results folder as one self-contained HTML file and ``export`` it as an
  Excel workbook;
- :mod:`sim.cli.app` — ``app``: the what-if page in a browser (:mod:`sim.app`).

Bad input never produces a traceback: it prints one line per problem, ``error: <file>: <field>:
<problem> (got <value>)``, on stderr (every problem of a scenario file at once) and exits with
status 2 without writing anything. A file that cannot
be written (a full disk, say) is one line and status 2 too; Ctrl-C is one line and status 130.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from sim.cli import app, bench, calibrate, checks, choose, experiments, files, robust, run
from sim.cli.options import EXIT_BAD_INPUT, Parser
from sim.config.loading import ScenarioError

EXIT_INTERRUPTED = 130
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    **run.COMMANDS, **files.COMMANDS, **checks.COMMANDS, **experiments.COMMANDS,
    **choose.COMMANDS, **calibrate.COMMANDS, **app.COMMANDS, **robust.COMMANDS,
    **bench.COMMANDS}


def parser() -> argparse.ArgumentParser:
    """The command's argument parser, every sub-command included."""
    top = Parser(prog="collectsim",
                 description="Simulate outsourced credit-card collection programs.")
    sub = top.add_subparsers(dest="command", required=True, parser_class=Parser)
    for module in (run, files, checks, experiments, choose, calibrate, app, robust, bench):
        module.add_parsers(sub)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ScenarioError as exc:
        for line in exc.lines():
            print(f"error: {line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:  # a full disk, a folder that went away, a permission lost
        where = str(exc.filename) if exc.filename is not None else "output"
        problem = f"cannot write: {exc.strerror or exc}"
        print(f"error: {ScenarioError(where, None, problem)}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    raise SystemExit(main())
