"""Approval tokens: signed, expiring, and nothing in an unsigned one is ever read."""

from __future__ import annotations

import base64
import json

import pytest

from kubesent import errors, tokens

KEY = b"k" * 32


def test_a_minted_token_checks_out() -> None:
    token = tokens.mint(KEY, incident_id="abc", decision="reject", expires_at=200, nonce="n1")

    assert tokens.check(KEY, token, now=199) == tokens.Claims("abc", "reject", 200, "n1")


def test_expiry_is_410_material() -> None:
    token = tokens.mint(KEY, incident_id="abc", decision="approve", expires_at=200)

    with pytest.raises(tokens.ExpiredToken):
        tokens.check(KEY, token, now=200)


@pytest.mark.parametrize("mangle", [
    lambda t: t + "x",
    lambda t: t.split(".")[0] + "." + t.split(".")[1][::-1],
    lambda t: "",
    lambda t: "." * 3,
    lambda t: "a" * 600,
])
def test_forgeries_are_refused(mangle) -> None:  # type: ignore[no-untyped-def]
    token = tokens.mint(KEY, incident_id="abc", decision="approve", expires_at=200)

    with pytest.raises(tokens.ForgedToken):
        tokens.check(KEY, mangle(token), now=100)


def test_changed_claims_break_the_signature() -> None:
    token = tokens.mint(KEY, incident_id="abc", decision="reject", expires_at=200)
    body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["d"] = "approve"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode() + "." + signature

    with pytest.raises(tokens.ForgedToken):
        tokens.check(KEY, forged, now=100)


def test_a_short_key_is_a_configuration_error() -> None:
    with pytest.raises(errors.ConfigurationError):
        tokens.mint(b"short", incident_id="abc", decision="approve", expires_at=200)
