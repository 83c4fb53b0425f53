"""Experiment machinery: replications, summaries and (later) comparisons, sweeps, sensitivity.

Everything here sits on the far side of the model seam: it calls
:func:`sim.model.run_replication` and reads the :class:`~sim.results.Results` it returns, and
never reaches inside the model.
"""
