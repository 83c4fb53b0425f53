"""Borrower-response models behind one protocol (:class:`BehaviourModel`).

:data:`MODELS` is the registry of models by the name ``[behaviour] model`` gives (the names
the scenario schema accepts, :data:`sim.config.schema.BEHAVIOUR_MODELS`); each model class
builds itself from the ``[behaviour]`` table with ``from_spec``. :func:`make_behaviour` picks
the one a scenario names.

To add a model: its module here (a class with ``from_spec`` that follows
:class:`BehaviourModel`), an entry in :data:`MODELS`, and its name (and parameters table) in
:mod:`sim.config.schema.behaviour`.
"""

from __future__ import annotations

from sim.config.schema import Behaviour
from sim.model.behaviour.base import (
    AgencyStyle,
    BehaviourModel,
    BehaviourModelClass,
    Conversation,
    Offer,
)
from sim.model.behaviour.hawkes import HawkesModel
from sim.model.behaviour.stage import StageModel
from sim.model.portfolio.accounts import Accounts
from sim.model.rng import Streams

MODELS: dict[str, BehaviourModelClass] = {
    "stage": StageModel,
    "hawkes": HawkesModel,
}


def make_behaviour(spec: Behaviour, accounts: Accounts, streams: Streams,
                   breathing_space_offered: bool = False) -> BehaviourModel:
    """Build the behaviour model a scenario asks for; cardholders ask for breathing space
    only where the rules offer it."""
    model = MODELS.get(spec.model)
    if model is None:
        raise ValueError(f"unknown behaviour model {spec.model!r}")
    return model.from_spec(spec, accounts, streams, breathing_space_offered)


__all__ = ["MODELS", "AgencyStyle", "BehaviourModel", "Conversation", "HawkesModel", "Offer",
           "StageModel", "make_behaviour"]
