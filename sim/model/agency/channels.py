"""Message channels, as data: which cadence each reads and whom it reaches.

:data:`CHANNELS` lists every channel in the order the day's batches go out. A channel's
cadence and cost per message are the agency's field of the same name
(``[agencies.<name>]``, a :class:`~sim.config.schema.Channel`); its ``deliverable`` says which
accounts a message reaches (a valid phone number for SMS, a valid address for e-mail; ``None``:
every account, as letters). Sending, the rules and the callbacks a delivered message triggers
are the same for every channel (see :mod:`sim.model.agency.messenger`).

To add a channel: a :class:`~sim.config.schema.Channel` field on
:class:`~sim.config.schema.Agency`, and an entry here (with, if it needs one, a per-account
deliverability array drawn in :mod:`sim.model.portfolio.accounts`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sim.config.schema import Agency, Channel
from sim.model.portfolio.accounts import Accounts, BoolArray


@dataclass(frozen=True)
class MessageChannel:
    """One message channel: its name (also its agency field) and whom it reaches."""

    name: str
    deliverable: Callable[[Accounts], BoolArray] | None
    """The accounts a message reaches (``None``: all of them)."""

    def cadence(self, profile: Agency) -> Channel:
        """The agency's cadence and cost on this channel."""
        cadence = getattr(profile, self.name)
        assert isinstance(cadence, Channel), self.name
        return cadence


CHANNELS: tuple[MessageChannel, ...] = (
    MessageChannel("sms", lambda acc: acc.phone_valid),
    MessageChannel("email", lambda acc: acc.email_valid),
    MessageChannel("letter", None),
)
