"""The model: one replication of a validated scenario.

Its one entry point is :func:`sim.model.replication.run_replication` (re-exported as
:func:`sim.run_replication`); it knows nothing of experiments, reports or the command line.
"""
