"""Borrower-response models behind one protocol (:class:`BehaviourModel`).

``make_behaviour`` picks the model named in ``[behaviour] model``.
"""

from __future__ import annotations

from sim.config.schema import Behaviour
from sim.model.behaviour.base import AgencyStyle, BehaviourModel, Conversation, Offer
from sim.model.behaviour.hawkes import HawkesModel
from sim.model.behaviour.stage import StageModel
from sim.model.portfolio.accounts import Accounts
from sim.model.rng import Streams


def make_behaviour(spec: Behaviour, accounts: Accounts, streams: Streams,
                   breathing_space_offered: bool = False) -> BehaviourModel:
    """Build the behaviour model a scenario asks for; cardholders ask for breathing space
    only where the rules offer it."""
    model: StageModel
    if spec.model == "stage":
        model = StageModel(accounts, spec.stage, streams)
    elif spec.model == "hawkes":
        model = HawkesModel(accounts, spec.stage, spec.hawkes, streams)
    else:
        raise ValueError(f"unknown behaviour model {spec.model!r}")
    model.breathing_space_offered = breathing_space_offered
    return model


__all__ = ["AgencyStyle", "BehaviourModel", "Conversation", "HawkesModel", "Offer", "StageModel",
           "make_behaviour"]
