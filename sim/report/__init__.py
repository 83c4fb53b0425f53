"""Figures and the HTML report drawn from results folders (matplotlib, colour-blind-safe).

- :mod:`sim.report.style` — the house look: Okabe–Ito palette, sizes, KPI labels and formats;
- :mod:`sim.report.figures_run` — time series of one scenario's replications (``run``);
- :mod:`sim.report.figures_kpi` — funnel, scorecard and trade-off per agency or scenario;
- :mod:`sim.report.figures_experiment` — figures of ``compare``, ``sweep``, ``sensitivity``;
- :mod:`sim.report.figures` — which figures a folder gets; writers that never lose results;
- :mod:`sim.report.folder` — reading a results folder back, and saying what is missing;
- :mod:`sim.report.html` — ``collectsim report``: one self-contained ``report.html``;
- :mod:`sim.report.summary` — its executive summary: the answer in plain sentences;
- :mod:`sim.report.tables` — its KPI tables; :mod:`sim.report.tables_run` — a run's
  per-segment and roll-rate tables;
- :mod:`sim.report.method` — its "How these numbers were made" section (after STRESS-DES);
- :mod:`sim.report.scope` — what the model covers and what it leaves out (one list);
- :mod:`sim.experiment.table` — ``collectsim table``: scenarios side by side.
"""
