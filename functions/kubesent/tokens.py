"""Signed, expiring approval tokens: ``base64url(claims).base64url(HMAC-SHA256)``.

The claims name the incident, the action (approve, reject, snooze), the expiry and a random nonce
(the single-use marker's key). Pure: no I/O, no clock of its own. Called by the notifier (to mint the
links) and ``approval`` (to check them).

    TokenError (an errors.PermanentError)
    ├── ForgedToken    malformed, or the signature does not match: HTTP 401
    └── ExpiredToken   past its expiry: HTTP 410
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Literal

from kubesent import errors

Decision = Literal["approve", "reject", "snooze"]
DECISIONS: tuple[Decision, ...] = ("approve", "reject", "snooze")
# Short keys are guessable offline from one captured link; 32 bytes is SHA-256's own strength.
MIN_KEY_BYTES = 32
# Incident ids are 40 hex characters; a token longer than this is not ours.
MAX_TOKEN_CHARS = 512


class TokenError(errors.PermanentError):
    """The approval token cannot be used."""


class ForgedToken(TokenError):
    """Malformed or wrongly signed."""


class ExpiredToken(TokenError):
    """Correctly signed, but past its expiry."""


@dataclass(frozen=True)
class Claims:
    incident_id: str
    decision: Decision
    expires_at: int
    nonce: str


def mint(key: bytes, *, incident_id: str, decision: Decision, expires_at: int, nonce: str | None = None) -> str:
    if len(key) < MIN_KEY_BYTES:
        raise errors.ConfigurationError(f"the approval key must have at least {MIN_KEY_BYTES} bytes")
    claims = {"i": incident_id, "d": decision, "e": expires_at, "n": nonce or secrets.token_hex(8)}
    body = _encode(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_encode(_mac(key, body))}"


def check(key: bytes, token: str, *, now: int) -> Claims:
    """The token's claims; ``ForgedToken`` or ``ExpiredToken`` otherwise. The signature is checked first,
    in constant time, so nothing in an unsigned token is ever read."""
    body, _, signature = token.strip().partition(".")
    if not body or not signature or len(token) > MAX_TOKEN_CHARS:
        raise ForgedToken("not an approval token")
    try:
        given = _decode(signature)
    except (binascii.Error, ValueError):
        raise ForgedToken("not an approval token") from None
    if not hmac.compare_digest(given, _mac(key, body)):
        raise ForgedToken("the approval link's signature does not match")
    try:
        raw = json.loads(_decode(body))
        claims = Claims(incident_id=str(raw["i"]), decision=raw["d"], expires_at=int(raw["e"]), nonce=str(raw["n"]))
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise ForgedToken("the approval token's claims are malformed") from None
    if claims.decision not in DECISIONS:
        raise ForgedToken("unknown decision")
    if now >= claims.expires_at:
        raise ExpiredToken("the approval link has expired")
    return claims


def _mac(key: bytes, body: str) -> bytes:
    return hmac.new(key, body.encode(), hashlib.sha256).digest()


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
