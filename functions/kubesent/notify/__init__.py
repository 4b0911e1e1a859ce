"""Notifications: what a person sees of an incident, in their own channel (DESIGN.md principle 10).

One module per sink (``webhook``, ``slack``, ``google_chat``, ``teams``, ``pagerduty``), each turning a
``message.Message`` into its service's documented payload; ``transport`` is the one HTTP path with
bounded retries; ``notifier`` fans a record out to every configured sink, once per incident and state.
Sinks import this package's base, ``message`` and ``transport`` only. Never writes to the cluster.

    SinkError (an errors.KubeSentError)
    ├── SinkUnavailable   5xx, 429, timeout after bounded retries: the notifier raises TransientError
    └── SinkRefused       4xx: the payload or the address is wrong; retrying cannot help
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from kubesent import errors
from kubesent.notify.message import Message


class SinkUnavailable(errors.TransientError):
    """The sink did not take the message after bounded retries (5xx, 429, timeout, connection)."""


class SinkRefused(errors.PermanentError):
    """The sink refused the message (4xx): a wrong address, key or payload. Never retried."""


@dataclass(frozen=True)
class Delivery:
    """What a sink remembers of its first message for an incident, to thread or update later ones."""

    ref: str = ""
    """A Slack message ``ts``; empty where the sink threads by the incident id alone."""


class Sink(Protocol):
    name: str
    """Short and stable: part of the ledger markers that make sends idempotent."""

    def wants(self, message: Message) -> bool:
        """Whether this state of the incident is for this sink (PagerDuty pages on escalations only)."""
        ...

    def send(self, message: Message, *, first: Delivery | None) -> Delivery:
        """Post the message; ``first`` is the incident's first delivery on this sink, if any."""
        ...
