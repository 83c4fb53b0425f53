"""The what-if page: ``collectsim app`` serves a scenario's levers and answers in a browser.

- :mod:`sim.app.levers` — which fields are levers, read from the schema and the loaded file,
  and the ``--set`` overrides a page's values make;
- :mod:`sim.app.runs` — replications in the background on the experiment backends, cached by
  scenario hash, streamed and cancellable;
- :mod:`sim.app.views` — the KPI cards, figures and tables of a set of replications, as HTML;
- :mod:`sim.app.exports` — the downloads: results folder (zip), HTML report, workbook;
- :mod:`sim.app.page` and :mod:`sim.app.server` — the Shiny page and what it does;
- :mod:`sim.app.serve` — serving it on one address of this machine.

It sits between the reports it reuses and the command line that starts it; it is a local tool
for one user, not a multi-user server.
"""
