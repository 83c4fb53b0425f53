"""Analytic oracles used by tests and `collectsim check`.

:mod:`sim.validation.erlang` holds the Erlang C (M/M/c) and Erlang A (M/M/c+M) formulas;
:mod:`sim.validation.queue` drives the model's own
:class:`sim.model.agency.inbound_queue.InboundQueue` as an
M/M/c(+M) queue and sets what it measures beside those formulas; :mod:`sim.validation.hawkes`
holds the Hawkes repayment behaviour against Chehrazi & Weber's closed form;
:mod:`sim.validation.lifecycle` runs the model's delinquency lifecycle and sets the shares of
accounts current, in each bucket and charged off beside its absorbing Markov chain.
"""
