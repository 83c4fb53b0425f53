"""Borrower-response models behind one protocol (:class:`BehaviourModel`).

``make_behaviour`` picks the model named in ``[behaviour] model``.
"""

from __future__ import annotations

from sim.behaviour.base import AgencyStyle, BehaviourModel, Conversation, Offer
from sim.behaviour.hawkes import HawkesModel
from sim.behaviour.stage import StageModel
from sim.portfolio import Accounts
from sim.rng import Streams
from sim.schema import Behaviour


def make_behaviour(spec: Behaviour, accounts: Accounts, streams: Streams) -> BehaviourModel:
    """Build the behaviour model a scenario asks for."""
    if spec.model == "stage":
        return StageModel(accounts, spec.stage, streams)
    if spec.model == "hawkes":
        return HawkesModel(accounts, spec.stage, spec.hawkes, streams)
    raise ValueError(f"unknown behaviour model {spec.model!r}")


__all__ = ["AgencyStyle", "BehaviourModel", "Conversation", "HawkesModel", "Offer", "StageModel",
           "make_behaviour"]
