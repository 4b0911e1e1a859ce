"""secrets.SecretReader: the real Secret Manager client over REST against a local fake."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kubesent import errors, secrets
from tests.fakes.fake_secret_manager import FakeSecretManager

SECRET = "projects/p/secrets/gemini-key"
VALUE = "AIza-test-value-0123456789"


@pytest.fixture
def fake() -> Iterator[FakeSecretManager]:
    with FakeSecretManager() as server:
        server.add(SECRET, VALUE + "\n")
        yield server


def test_reads_and_caches_a_good_payload(fake: FakeSecretManager) -> None:
    reader = secrets.SecretReader(endpoint=fake.url)

    first = reader.read(f"{SECRET}/versions/3")
    second = reader.read(f"{SECRET}/versions/3")

    assert first == second == VALUE
    assert len(fake.paths) == 1 and fake.paths[0].startswith(f"/v1/{SECRET}/versions/3:access")


def test_bare_secret_name_reads_latest(fake: FakeSecretManager) -> None:
    assert secrets.SecretReader(endpoint=fake.url).read(SECRET) == VALUE
    assert fake.paths[0].startswith(f"/v1/{SECRET}/versions/latest:access")


def test_bad_checksum_is_refused_without_the_value(fake: FakeSecretManager) -> None:
    fake.bad_crc = True

    with pytest.raises(errors.SecretUnavailable, match="CRC32C") as caught:
        secrets.SecretReader(endpoint=fake.url).read(SECRET)

    assert VALUE not in str(caught.value)


def test_missing_secret(fake: FakeSecretManager) -> None:
    with pytest.raises(errors.SecretUnavailable, match="not found"):
        secrets.SecretReader(endpoint=fake.url).read("projects/p/secrets/absent/versions/1")


def test_permission_denied_says_which_role(fake: FakeSecretManager) -> None:
    fake.fail(403)

    with pytest.raises(errors.SecretUnavailable, match="roles/secretmanager.secretAccessor"):
        secrets.SecretReader(endpoint=fake.url).read(SECRET)


def test_server_error_is_transient(fake: FakeSecretManager) -> None:
    fake.fail(503)

    with pytest.raises(errors.TransientError):
        secrets.SecretReader(endpoint=fake.url).read(SECRET)


def test_malformed_name_is_a_configuration_error() -> None:
    with pytest.raises(errors.ConfigurationError):
        secrets.SecretReader(endpoint="http://127.0.0.1:9").read("gemini-key")


def test_crc32c_known_vector() -> None:
    assert secrets.crc32c(b"123456789") == 0xE3069283
