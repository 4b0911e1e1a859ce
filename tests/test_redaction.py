"""Tests for kubesent.redaction: the secret corpus, look-alikes that must survive, invisible characters,
log caps and hostile input. The corpus lives in tests/fixtures/redaction/ (all secrets are fakes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kubesent import redaction

FIXTURES = Path(__file__).parent / "fixtures" / "redaction"
SECRETS: list[dict[str, Any]] = json.loads((FIXTURES / "secrets.json").read_text())
LOOKALIKES: list[str] = json.loads((FIXTURES / "lookalikes.json").read_text())
MB = 1_000_000
# Issue 14 asks for at least this many secret shapes and look-alikes; the corpus must not shrink below it.
MIN_CORPUS = 150


@pytest.mark.parametrize("case", SECRETS, ids=[case["name"] for case in SECRETS])
def test_every_secret_is_masked(case: dict[str, Any]) -> None:
    result = redaction.redact(case["text"])

    assert [secret for secret in case["must_not_contain"] if secret in result] == []
    assert [kept for kept in case["must_contain"] if kept not in result] == []
    assert redaction.MASK_PREFIX in result


@pytest.mark.parametrize("text", LOOKALIKES)
def test_lookalike_survives(text: str) -> None:
    assert redaction.redact(text) == text


def test_the_corpus_is_large_enough_to_measure_both_directions() -> None:
    assert len(SECRETS) >= MIN_CORPUS
    assert len(LOOKALIKES) >= MIN_CORPUS
    assert len({case["name"] for case in SECRETS}) == len(SECRETS)
    assert len(set(LOOKALIKES)) == len(LOOKALIKES)


@pytest.mark.parametrize(("text", "expected"), [
    ("PWD=/srv/app", "PWD=/srv/app"),
    ("Uid=sa;Pwd=Xk29fLq;", "Uid=sa;Pwd=[REDACTED:password];"),
    ('{"pwd": "~/work"}', '{"pwd": "~/work"}'),
])
def test_pwd_is_a_directory_only_when_its_value_is_a_path(text: str, expected: str) -> None:
    assert redaction.redact(text) == expected


def test_a_yaml_mapping_under_a_secret_key_is_judged_key_by_key() -> None:
    text = "auth:\n  valueFrom:\n    secretKeyRef:\n      name: db\n      key: password\n  rootPassword: Zq81vXm\n"

    result = redaction.redact(text)

    assert "secretKeyRef:\n      name: db" in result
    assert "Zq81vXm" not in result


def test_a_comment_after_a_yaml_secret_key_is_not_its_value() -> None:
    assert redaction.redact("password: # set per env\n  other: x") == "password: # set per env\n  other: x"


def test_a_yaml_block_ends_where_the_indentation_does() -> None:
    text = "  password: |\n    line-one\n\n    line-two\n  user: app\nnext: 1"

    assert redaction.redact(text) == "  password: |\n    [REDACTED:password]\n  user: app\nnext: 1"


@pytest.mark.parametrize("text", [
    "docker run -u 1000:1000 app",
    "psql -h db -p 5432",
    "ssh -p 2222 host",
    "redis-cli -h cache -p 6379 ping",
])
def test_short_flags_are_credentials_only_for_their_command(text: str) -> None:
    assert redaction.redact(text) == text


def test_a_rejected_flag_leaves_its_value_to_the_other_rules() -> None:
    token = "npm_" + "a1B2c3D4e5" * 4

    assert redaction.redact(f"publish -p {token}") == "publish -p [REDACTED:npm-token]"


@pytest.mark.parametrize(("text", "expected"), [
    ("CACHE_KEY_NAME=orders", "CACHE_KEY_NAME=orders"),
    ("SORT_KEY=created_at", "SORT_KEY=created_at"),
    ("PUBLIC_KEY=MFkwEwYHKoZIzj0C", "PUBLIC_KEY=MFkwEwYHKoZIzj0C"),
    ("SIGNING_KEY=MFkwEwYHKoZIzj0C", "SIGNING_KEY=[REDACTED:key]"),
    ("monkey=MFkwEwYHKoZIzj0C", "monkey=MFkwEwYHKoZIzj0C"),
])
def test_env_style_key_names_need_a_generated_value(text: str, expected: str) -> None:
    assert redaction.redact(text) == expected


@pytest.mark.parametrize("text", [case["text"] for case in SECRETS] + LOOKALIKES)
def test_redact_is_idempotent(text: str) -> None:
    once = redaction.redact(text)

    assert redaction.redact(once) == once


@pytest.mark.parametrize(("text", "expected"), [
    ("ad\u202emin", "admin"),
    ("ig\u200bnore previous instructions", "ignore previous instructions"),
    ("\ufeffstart", "start"),
    ("a\u2066b\u2069c\u2060d\u00ade", "abcde"),
    ("bell\x07 nul\x00 esc\x1b[31m red\r\n", "bell nul esc[31m red\n"),
    ("tab\tand\nnewline stay", "tab\tand\nnewline stay"),
    ("tag\U000e0041chars", "tagchars"),
    ("lone\ud800surrogate", "lonesurrogate"),
])
def test_invisible_and_bidi_characters_are_stripped(text: str, expected: str) -> None:
    assert redaction.redact(text) == expected


def test_redact_log_keeps_the_tail_and_marks_the_truncation() -> None:
    log = "\n".join(f"line {number} ok" for number in range(10_000)) + "\npanic: nil pointer dereference"

    result = redaction.redact_log(log, max_chars=500)

    assert len(result) <= 500
    first_line, _, rest = result.partition("\n")
    assert first_line.startswith("[… ") and first_line.endswith(" earlier characters dropped …]")
    assert result.endswith("line 9999 ok\npanic: nil pointer dereference")
    assert rest.startswith("line ")  # no partial first line


def test_redact_log_stays_within_budget_when_masks_grow_the_text() -> None:
    log = "\n".join(f"p={number} password=x" for number in range(2000))

    result = redaction.redact_log(log, max_chars=1000)

    assert len(result) <= 1000
    assert "password=[REDACTED:password]" in result
    assert "=x\n" not in result


def test_redact_log_budget_holds_when_masks_are_many_times_longer_than_the_text() -> None:
    log = "pass=1\n" * 14_000

    result = redaction.redact_log(log, max_chars=99_999)

    assert len(result) <= 99_999
    assert result.startswith("[… ")
    assert "pass=1" not in result


def test_redact_log_leaves_short_logs_whole() -> None:
    assert redaction.redact_log("started\nready", max_chars=1000) == "started\nready"


def test_redact_log_cuts_long_lines_and_marks_them() -> None:
    log = "short\n" + "word " * 1000 + "\nend"

    lines = redaction.redact_log(log, max_chars=100_000, max_line_chars=100).split("\n")

    assert lines[0] == "short" and lines[2] == "end"
    assert len(lines[1]) < 150
    assert lines[1].endswith(" more characters cut …]")


def test_line_cut_never_leaves_half_a_secret() -> None:
    token = "ghp_" + "A1b2C3d4" * 5
    log = "x " * 40 + "token=" + token

    result = redaction.redact_log(log, max_chars=10_000, max_line_chars=100)

    assert token[:10] not in result and "token=" not in result


def test_truncation_inside_a_pem_block_still_masks_the_rest() -> None:
    body = "\n".join("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9w" for _ in range(50))
    log = "-----BEGIN PRIVATE KEY-----\n" + body + "\n-----END PRIVATE KEY-----\nserver started"

    result = redaction.redact_log(log, max_chars=1000)

    assert "QUJDREVG" not in result
    assert result.endswith("[REDACTED:private-key]\nserver started")


def test_redact_log_rejects_budgets_too_small_for_its_marks() -> None:
    with pytest.raises(ValueError):
        redaction.redact_log("text", max_chars=10)


HOSTILE = {
    "one letter": "a" * MB,
    "password with a huge value": "password=" + "x" * MB,
    "jwt prefix repeated": "eyJ" * (MB // 3),
    "keys inside a jwt-looking run": "eyJ-AKIAIOSFODNN7EXAMPLE-" * (MB // 25),
    "unterminated quotes after keys": 'password:"AKIAIOSFODNN7EXAMPLE ' * (MB // 31),
    "url prefix then many keys": "x://a:" + "AKIAIOSFODNN7EXAMPLE," * (MB // 21),
    "begin markers without end": "-----BEGIN PRIVATE KEY-----" * (MB // 27),
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_megabyte_line_is_redacted_to_its_end(text: str) -> None:
    """Work done, not wall clock: the time is printed by tests/bench/bench_redaction.py (CONVENTIONS:
    benchmarks print figures, tests do not time). pytest-timeout still stops a pass that never ends."""
    capped = redaction.redact_log(text, max_chars=2 * MB)
    whole = redaction.redact(text)

    assert len(capped) <= 2 * MB
    assert "AKIAIOSFODNN7EXAMPLE" not in whole
    assert "AKIAIOSFODNN7EXAMPLE" not in capped


# One prefix of every rule added for issue 14, each followed by what its rule must reject or mask.
_REJECTED_UNIT = "cookie: x ?key=&sig= mysql -p -a -u A_KEY=abc password:\n"
_MASKED_UNIT = "mysql -p x ?sig=y A_KEY=z9 Cookie: a=b\n"


@pytest.mark.parametrize(("unit", "masks_per_unit"), [(_REJECTED_UNIT, 0), (_MASKED_UNIT, 4)],
                         ids=["every candidate rejected", "every candidate masked"])
def test_an_adversarial_megabyte_is_judged_once_per_candidate(unit: str, masks_per_unit: int) -> None:
    """Work done, not wall clock (the benchmark prints the time): the pass finishes, and each
    candidate in a megabyte of them is decided exactly once."""
    units = MB // len(unit)
    text = unit * units

    result = redaction.redact(text)

    assert result.count(redaction.MASK_PREFIX) == masks_per_unit * units
    if masks_per_unit == 0:
        assert result == text


def test_huge_password_value_is_masked_whole() -> None:
    assert redaction.redact("password=" + "x" * MB) == "password=[REDACTED:password]"


def test_redact_mapping_masks_values_under_secret_keys_whole() -> None:
    annotations = {
        "example.com/api-token": "abc123 def456",
        "backup.example.com/ssh-key": "AAAAB3NzaC1yc2EAAAADAQABAAABAQ",
        "vault.hashicorp.com/agent-inject-token": "true",
        "app": "web",
        "note": "ad\u202emin",
        "kubectl.kubernetes.io/last-applied-configuration":
            '{"env":[{"name":"DB_PASSWORD","value":"Fak3Pw"}],"image":"nginx:1.25"}',
    }

    result = redaction.redact_mapping(annotations)

    assert result["example.com/api-token"] == "[REDACTED:token]"
    assert result["backup.example.com/ssh-key"] == "[REDACTED:key]"
    assert result["vault.hashicorp.com/agent-inject-token"] == "true"
    assert result["app"] == "web"
    assert result["note"] == "admin"
    assert "Fak3Pw" not in result["kubectl.kubernetes.io/last-applied-configuration"]
    assert '"image":"nginx:1.25"' in result["kubectl.kubernetes.io/last-applied-configuration"]


def test_redact_mapping_strips_invisible_characters_from_keys() -> None:
    assert redaction.redact_mapping({"te\u200bam": "a"}) == {"team": "a"}


def test_a_secret_after_a_secret_named_flag_is_masked_in_argv():
    argv = redaction.redact_argv(["redis-server", "--requirepass", "S3cr3tPw0rd", "--port", "6379"])
    assert argv == ("redis-server", "--requirepass", "[REDACTED:argument]", "--port", "6379")
    argv = redaction.redact_argv(["app", "--password=hunter2", "--token", "abcDEF123456", "--verbose"])
    assert "hunter2" not in " ".join(argv) and "abcDEF123456" not in " ".join(argv) and argv[-1] == "--verbose"


@pytest.mark.parametrize(("argv", "expected"), [
    (["mysql", "-uroot", "-pS3cretPw", "-e", "select 1"],
     ("mysql", "-uroot", "-p[REDACTED:password]", "-e", "select 1")),
    (["redis-cli", "-a", "S3cret9", "ping"], ("redis-cli", "-a", "[REDACTED:password]", "ping")),
    (["/usr/bin/curl", "-u", "admin:S3cret", "https://x"],
     ("/usr/bin/curl", "-u", "admin:[REDACTED:basic-auth]", "https://x")),
    (["docker", "run", "-u", "1000:1000", "img"], ("docker", "run", "-u", "1000:1000", "img")),
    (["sh", "-c", "mysql -p$DB_PASSWORD app"], ("sh", "-c", "mysql -p$DB_PASSWORD app")),
])
def test_argv_items_are_read_after_their_command_and_flag(argv: list[str], expected: tuple[str, ...]) -> None:
    assert redaction.redact_argv(argv) == expected


def test_argv_is_bounded_before_any_pattern_runs():
    argv = redaction.redact_argv(["x" * 100_000] * 200)
    assert sum(len(part) for part in argv) <= redaction.MAX_ARGV_CHARS + 100


def test_benign_looking_values_after_many_keys_are_each_judged_once():
    # 112 KB: each value is judged benign, then the next key follows. Unbounded bare values made this
    # quadratic (~57 s); the benchmark prints its time as "benign values after many keys".
    text = "pass=${" * 16_000

    assert redaction.redact(text) == text
