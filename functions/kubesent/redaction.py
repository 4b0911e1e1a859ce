"""Mask secrets, strip invisible characters and cap sizes in text before it leaves the cluster.

Container logs, event messages, env-like text, labels and annotations pass through here before they
reach the model, the ledger or a proposal. Pure: never does I/O. The evidence pipeline calls
``redact_log`` for logs, ``redact`` for any other text and ``redact_mapping`` for labels and annotations.

Hostile input stays linear (FACTS.md §8): every pattern runs in RE2, compiled once into two combined
regexes (PEM markers; everything else). No rule can stay undecided for more than a few hundred bytes
before it matches, so one search never reads far past its match. Values after a key are read by an
anchored match only once the key is known, so a key that turns out harmless costs nothing more. The
same holds for what a rule cannot see in one pattern: a YAML value on the lines below its key, and a
short flag that is a password only after its command ("mysql -p", "redis-cli -a", "curl -u").
A masked secret becomes ``[REDACTED:<kind>]``; masks already present are left as they are, so
``redact(redact(text)) == redact(text)``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

import re2

MASK_PREFIX: Final = "[REDACTED"

# A 2000-character line holds any real stack-trace frame or JSON log record; longer ones are blobs.
DEFAULT_MAX_LINE_CHARS: Final = 2000
# The truncation notices are ~40 characters; budgets below these would leave no room for text.
_MIN_MAX_CHARS: Final = 100
_MIN_LINE_CHARS: Final = 40
# Cuts back off to one of these so they never leave half a token (a secret's prefix) behind.
_BOUNDARY_CHARS: Final = " \t,;\"'"

# RE2's default 8 MiB per regex also feeds its DFA cache; more room keeps adversarial text on the
# DFA instead of the slower NFA fallback.
_RE2_MAX_MEM: Final = 64 << 20
# Pattern bounds. Each caps how long a rule can stay undecided, which is what keeps scanning linear.
_KEY_SUFFIX_MAX: Final = 40  # "password" + "_for_the_primary_replica"
_URL_USER_MAX: Final = 128
_URL_PASSWORD_MAX: Final = 256
_JWT_HEADER_MAX: Final = 400  # {"alg","kid","typ"} is ~100 base64 chars; x5c chains are not caught
_QUOTED_VALUE_MAX: Final = 1000  # RE2's largest count; longer quoted values are masked up to a space
_GENERIC_BLOB_MIN: Final = 32  # 128-bit hex; shorter runs after "token" are usually words or ids
# Key characters read back before a keyword ("DB_" in "DB_PASSWORD"); longer keys are rare.
_KEY_BACKSCAN: Final = 64
# A 16384-bit RSA key is ~12.7 KB of PEM; an END farther than this belongs to something else.
_PEM_MAX_BYTES: Final = 64 << 10
# Pure digits under a token/auth key are counts or TTLs ("max_tokens=512"), not secrets.
_NUMERIC_VALUE_MAX: Final = 12


def _invisible_table() -> dict[int, None]:
    """Code points deleted by ``redact``: format (Cf) and control (Cc) characters except newline and
    tab, lone surrogates (they cannot be encoded), and Hangul fillers, which render as blank letters.
    Format characters exist only in planes 0, 1 and 14, so only those are scanned (15 ms, not 400)."""
    planes = (*range(0x20000), *range(0xE0000, 0xE1000))
    table: dict[int, None] = {cp: None for cp in planes if unicodedata.category(chr(cp)) in ("Cf", "Cc")}
    table.update(dict.fromkeys(range(0xD800, 0xE000)))
    table.update(dict.fromkeys((0x115F, 0x1160, 0x3164, 0xFFA0)))
    del table[ord("\n")], table[ord("\t")]
    return table


_INVISIBLE: Final = _invisible_table()


class _Match(Protocol):
    def start(self, group: int = 0) -> int: ...
    def end(self, group: int = 0) -> int: ...
    def span(self, group: int = 0) -> tuple[int, int]: ...


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    replacement: bytes


@dataclass(frozen=True)
class _Rule:
    """One alternative of the combined regex. ``pattern`` has exactly one capturing group;
    ``mask`` gets the text, the match and that group's number, and says what to replace (or None)."""

    pattern: str
    mask: Callable[[bytes, _Match, int], _Edit | None]


def _compile(pattern: str) -> re2._Regexp:
    options = re2.Options()
    options.max_mem = _RE2_MAX_MEM
    return re2.compile(pattern, options)


def _marker(kind: str) -> bytes:
    return f"{MASK_PREFIX}:{kind}]".encode()


_EXISTING_MASK: Final = _compile(r"\[REDACTED:[a-z0-9-]{1,40}\]")


def _edit(data: bytes, start: int, end: int, kind: str) -> _Edit:
    secret = data[start:end]
    already = secret.startswith(b"[REDACTED:") and _EXISTING_MASK.fullmatch(secret) is not None
    return _Edit(start, end, secret if already else _marker(kind))


# --- judging keys and values ---------------------------------------------------------------------

_WORDS: Final = _compile(r"[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
# (fragment of the lower-cased key without separators, kind); first hit wins, specific before generic.
_KEY_FRAGMENTS: Final = (
    ("privatekeyid", "gcp-sa"),
    ("privatekey", "private-key"),
    ("secretaccesskey", "aws-secret"),
    ("awssecret", "aws-secret"),
    ("clientsecret", "client-secret"),
    ("password", "password"),
    ("passwd", "password"),
    ("passphrase", "password"),
    ("apikey", "api-key"),
    ("accesskey", "api-key"),
    ("accountkey", "api-key"),
    ("secret", "secret"),
    ("credential", "credential"),
    ("authorization", "authorization"),
)
# Whole words that make a key secret on their own ("db_pass", "DB_PWD", "id_token", "basic_auth").
_KEY_WORDS: Final = {"pass": "password", "pwd": "password", "token": "token", "auth": "auth",
                     "cred": "credential", "creds": "credential"}
# Last words that make the value a name, a path, a setting or a source line, not the secret
# ("secretName", "tokenTTL", "TOKEN_URL", "TokenService.java:42").
_NOT_SECRET_LAST_WORDS: Final = frozenset({
    "name", "names", "ref", "file", "path", "dir", "namespace", "type", "kind", "length", "count", "ttl", "expiry",
    "expires", "enabled", "required", "mode", "url", "uri", "endpoint", "header", "algorithm", "prefix",
    "java", "kt", "scala", "py", "go", "js", "ts", "rb", "rs", "cs", "cpp", "php",
})
# $PWD and $OLDPWD in env dumps are the shell's working directories, but ODBC's "Pwd=" and a JSON "pwd"
# key are passwords: under these names only a path is harmless.
_PATH_OR_SECRET_KEYS: Final = frozenset({"pwd", "oldpwd"})
# Words that make a "...KEY" name public or structural ("PUBLIC_KEY", "PRIMARY_KEY"), not a secret.
_NOT_SECRET_KEY_QUALIFIERS: Final = frozenset({"public", "primary", "foreign", "sort", "partition", "routing"})
# Values that say something about a secret without being one.
_BENIGN_VALUES: Final = frozenset({"true", "false", "yes", "no", "on", "off", "null", "nil", "none", "undefined",
                                   "enabled", "disabled", "required", "optional", "redacted", "hidden", "masked"})


@functools.lru_cache(maxsize=4096)  # logs repeat the same few keys; splitting them is the costly part
def _key_kind(key: str, *, bare_key_word: bool = False) -> str | None:
    """Kind of secret a key name holds, or None. ``bare_key_word`` also counts a plain "key" word
    (annotation names such as "ssh-key"), which in free text would match too much."""
    words = [word.lower() for word in _WORDS.findall(key)]
    joined = "".join(words)
    if not words or words[-1] in _NOT_SECRET_LAST_WORDS:
        return None
    for fragment, kind in _KEY_FRAGMENTS:
        if fragment in joined:
            return kind
    for word in words:
        if word in _KEY_WORDS:
            return _KEY_WORDS[word]
    if joined.endswith("token"):  # "accesstoken", "authtoken"; "tokenizer" is not one
        return "token"
    if joined.endswith("pass") and joined not in ("bypass", "compass"):  # redis "requirepass", "masterpass"
        return "password"
    if bare_key_word and words[-1] in ("key", "keys") and _NOT_SECRET_KEY_QUALIFIERS.isdisjoint(words):
        return "key"
    return None


def _is_benign(value: str) -> bool:
    stripped = value.strip("<>*[]() ")
    return (not stripped or stripped.lower() in _BENIGN_VALUES
            or value.startswith(("${", "$(", "{{", "%(", "<")))  # references and placeholders ("<set to the key...>")


def _looks_random(value: str) -> bool:
    """A digit or mixed case: true of real tokens, false of prose ("token: unexpected EOF")."""
    return any(c.isdigit() for c in value) or (value.lower() != value and value.upper() != value)


def _key_column(data: bytes, position: int) -> int | None:
    """Column of ``position`` when only indentation (or a YAML list dash) comes before it on its line,
    else None: "key: value" at the start of a line is config, not prose."""
    window = data[max(0, position - _KEY_BACKSCAN):position]
    newline = window.rfind(b"\n")
    if newline == -1 and position > _KEY_BACKSCAN:
        return None
    before = window[newline + 1:]
    return None if before.strip(b" \t-") else len(before)


# --- rules ---------------------------------------------------------------------------------------

def _token(kind: str, check: Callable[[str], bool] | None = None) -> Callable[[bytes, _Match, int], _Edit | None]:
    """Mask a self-contained secret: the whole group, if ``check`` (when given) accepts it."""
    def mask(data: bytes, match: _Match, group: int) -> _Edit | None:
        start, end = match.span(group)
        if check is not None and not check(data[start:end].decode(errors="replace")):
            return None
        return _edit(data, start, end, kind)
    return mask


def _mixed_case_with_digit(value: str) -> bool:
    """Generated keys mix case and digits; Kubernetes names are lower case ("sk-payments-7d9f8-x2x9z")."""
    return value.lower() != value and value.upper() != value and any(c.isdigit() for c in value)


def _is_basic_credential(value: str) -> bool:
    try:
        return b":" in base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False


# A bare value longer than this is masked only up to here. Unbounded, a value judged benign ("${...")
# would be scanned again from each following key, which is quadratic on a crafted line.
_BARE_VALUE_MAX: Final = 512
_KEY_CHARS: Final = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"
# Groups: double-quoted (also JSON-escaped \"...\"), single-quoted, ODBC-braced ("Pwd={a;b}", which
# may hold ";"; a JSON object has quotes, so it is not taken for one), bare.
_PLAIN_VALUE: Final = _compile(
    rf'\\?"((?:[^"\\\n]|\\[^"\n]){{1,{_QUOTED_VALUE_MAX}}})\\?"'
    rf"|'([^'\n]{{1,{_QUOTED_VALUE_MAX}}})'"
    rf"|\{{([^{{}}\"\n]{{1,{_QUOTED_VALUE_MAX}}})\}}"
    rf"""|\\?["']?([^\s"'\\,;&]{{1,{_BARE_VALUE_MAX}}})""")
_BARE_GROUP: Final = 4
_BARE_TAIL: Final = _compile(r"""[^\s"'\\,;&]*""")
# Group 1: the scheme word, 2: the credential after it.
_AUTH_VALUE: Final = _compile(
    r"""(?:\\?["'\[])?(?:((?i:bearer|basic|token|digest|negotiate|ntlm|apikey|aws4-hmac-sha256))[ \t]+)?"""
    rf"""(\[REDACTED:[a-z0-9-]{{1,40}}\]|[^\s"'\\,;&\]]{{1,{_BARE_VALUE_MAX}}})""")
_SCHEME_KINDS: Final = {"bearer": "bearer", "basic": "basic-auth"}


def _keyed(*, bare_key_word: bool) -> Callable[[bytes, _Match, int], _Edit | None]:
    """``key = value``, ``key: value``, ``"key": "value"``, ``--key value``: judge the key, then the value.
    The group starts at the keyword; the rest of the key ("DB_" in "DB_PASSWORD") is read back here.
    "key: word" in the middle of a line may be prose ("failed to fetch token: unexpected EOF").
    ``bare_key_word`` lets a name ending in "KEY" count, for env-style names ("SIGNING_KEY")."""
    def mask(data: bytes, match: _Match, group: int) -> _Edit | None:
        key_start, key_end = match.span(group)
        window = data[max(0, key_start - _KEY_BACKSCAN):key_start]
        key_head = window[len(window.rstrip(_KEY_CHARS)):]
        key = (key_head + data[key_start:key_end]).decode()
        kind = _key_kind(key, bare_key_word=bare_key_word)
        if kind is None:
            return None
        separator = data[key_end:match.end()]
        if b"=" in separator or b":" not in separator:
            return _mask_value_of(data, match.end(), key=key, kind=kind, may_be_prose=False)
        column = _key_column(data, key_start - len(key_head))
        head = _YAML_BLOCK_HEAD.match(data, match.end()) if column is not None else None
        if column is not None and head is not None:  # nothing but a comment or "|" left on the key's line
            return _mask_yaml_block(data, match.end(), head.end(), column=column, kind=kind)
        return _mask_value_of(data, match.end(), key=key, kind=kind, may_be_prose=column is None)
    return mask


_mask_keyed_value: Final = _keyed(bare_key_word=False)


def _mask_named_value(data: bytes, match: _Match, group: int) -> _Edit | None:
    """Kubernetes env entries: ``{"name": "DB_PASSWORD", "value": "..."}`` and ``name: X`` / ``value: ...``."""
    key = data[match.start(group):match.end(group)].decode()
    kind = _key_kind(key, bare_key_word=True)
    return None if kind is None else _mask_value_of(data, match.end(), key=key, kind=kind, may_be_prose=False)


# What may follow "key:" when its value starts on the next line: a block scalar header ("|", ">-",
# "|2") or nothing, then an optional comment.
_YAML_BLOCK_HEAD: Final = _compile(r"(?:[|>][0-9+-]{0,2})?[ \t]*(?:#[^\n]*)?\n")
# A first value line that opens a nested mapping, a list or a comment: the value is structure, and
# its own keys are judged one by one. 253: the longest Kubernetes key (a DNS subdomain).
_YAML_NESTED: Final = _compile(r"""[ \t]*(?:-[ \t\n]|#|["']?[A-Za-z0-9_./-]{1,253}["']?[ \t]*:(?:[ \t\n]|$))""")
# The largest value worth reading under one key is a PEM key; longer blocks are masked this far.
_YAML_BLOCK_MAX_BYTES: Final = _PEM_MAX_BYTES


def _mask_yaml_block(data: bytes, value_start: int, head_end: int, *, column: int, kind: str) -> _Edit | None:
    """A YAML value on the lines below its key (``password: |`` then indented lines, or ``password:``
    then the value on the next line): mask every line indented deeper than the key."""
    is_block_scalar = data[value_start:value_start + 1] in (b"|", b">")
    position, limit = head_end, min(len(data), head_end + _YAML_BLOCK_MAX_BYTES)
    start = end = -1
    while position < limit:
        line_end = data.find(b"\n", position, limit)
        line_end = limit if line_end == -1 else line_end
        content_start = line_end - len(data[position:line_end].lstrip(b" \t"))
        if content_start < line_end:  # blank lines may sit inside a block
            if content_start - position <= column:
                break
            if start == -1:
                if not is_block_scalar and _YAML_NESTED.match(data, position) is not None:
                    return None
                if _is_benign(data[content_start:line_end].decode(errors="replace")):
                    return None
                start = content_start
            end = line_end
        position = line_end + 1
    return None if start == -1 else _edit(data, start, end, kind)


def _mask_value_of(data: bytes, value_start: int, *, key: str, kind: str, may_be_prose: bool) -> _Edit | None:
    if kind == "authorization":
        auth = _AUTH_VALUE.match(data, value_start)
        if auth is None:
            return None
        scheme = data[auth.start(1):auth.end(1)].decode().lower() if auth.start(1) != -1 else ""
        credential = data[auth.start(2):auth.end(2)].decode(errors="replace")
        if not scheme and (_is_benign(credential) or (may_be_prose and not _looks_random(credential))):
            return None
        return _edit(data, auth.start(2), auth.end(2), _SCHEME_KINDS.get(scheme, "authorization"))
    value = _PLAIN_VALUE.match(data, value_start)
    if value is None:
        return None
    index: int = value.lastindex  # 1: double-quoted, 2: single-quoted, 3: braced, 4: bare
    start, end = value.span(index)
    text = data[start:end].decode(errors="replace")
    if _is_benign(text) or _is_harmless_for(key=key, kind=kind, value=text):
        return None
    if may_be_prose and index == _BARE_GROUP and not _looks_random(text) and kind != "password":
        return None
    if index == _BARE_GROUP and end - start == _BARE_VALUE_MAX:
        # A value this long is masked whole: scanning its tail once here keeps the whole pass linear.
        tail = _BARE_TAIL.match(data, end)
        end = tail.end() if tail is not None else end
    return _edit(data, start, end, kind)


def _is_harmless_for(*, key: str, kind: str, value: str) -> bool:
    """Values that a secret-looking key can hold without holding a secret."""
    if key.lower() in _PATH_OR_SECRET_KEYS:
        return value.startswith(("/", "~"))  # $PWD is a directory; "Pwd=" anything else is a password
    if kind == "password":
        return False
    if value.isdigit() and len(value) <= _NUMERIC_VALUE_MAX:  # "max_tokens=512", "TOKEN_TTL=300"
        return True
    # Generated keys have digits or mixed case; "SORT_KEY=created_at" or "CACHE_KEY=orders.v" do not.
    return kind == "key" and not _looks_random(value)


_BEARER_VALUE: Final = _compile(r"[A-Za-z0-9._~+/=-]{8,}")


def _mask_scheme_credential(data: bytes, match: _Match, group: int) -> _Edit | None:
    """``Bearer <token>`` / ``Basic <base64 user:pass>`` outside an Authorization header."""
    value = _BEARER_VALUE.match(data, match.end())
    if value is None:
        return None
    text = data[value.start():value.end()].decode()
    if data[match.start(group):match.end(group)].lower() == b"basic":
        return _edit(data, value.start(), value.end(), "basic-auth") if _is_basic_credential(text) else None
    return _edit(data, value.start(), value.end(), "bearer") if _looks_random(text) else None


_GENERIC_BLOB: Final = _compile(rf"[A-Za-z0-9+/_=-]{{{_GENERIC_BLOB_MIN},}}")


def _mask_generic_blob(data: bytes, match: _Match, group: int) -> _Edit | None:
    """A long random run right after a secret word, with no separator ("using token 9f86d0...")."""
    value = _GENERIC_BLOB.match(data, match.end())
    if value is None:
        return None
    text = data[value.start():value.end()].decode()
    if not (any(c.isdigit() for c in text) and any(c.isalpha() for c in text)):
        return None
    if _COMBINED.match(data, value.start()) is not None:  # a known token ("key AIza..."): let its rule name it
        return None
    return _edit(data, value.start(), value.end(), "generic-secret")


# Query parameters that carry a credential in a URL: presigned S3 and GCS URLs, Azure SAS ("sig"),
# OAuth redirects and API keys passed as "?key=".
_QUERY_SECRET_NAMES: Final = (r"x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature"
                              r"|x-goog-credential|sig|signature|key|api[_-]?key|access[_-]?token|refresh[_-]?token"
                              r"|id[_-]?token|auth[_-]?token|token|client[_-]?secret|secret|password|passwd|pwd")
# A query value ends at the next parameter, fragment or query; credentials are percent-encoded.
_QUERY_VALUE: Final = _compile(rf"""[^&#?\s"'<>\\;,]{{1,{_BARE_VALUE_MAX}}}""")
_QUERY_TAIL: Final = _compile(r"""[^&#?\s"'<>\\;,]*""")


def _mask_query_value(data: bytes, match: _Match, group: int) -> _Edit | None:
    """``?key=...`` / ``&X-Amz-Signature=...``: the name alone says the value is a credential."""
    value = _QUERY_VALUE.match(data, match.end())
    if value is None:
        return None
    name = data[match.start(group):match.end(group)].decode()
    kind = "signature" if "sig" in name.lower() else _key_kind(name, bare_key_word=True) or "secret"
    text = data[value.start():value.end()].decode(errors="replace")
    if _is_benign(text) or _is_harmless_for(key=name, kind=kind, value=text):  # "&key=reports/index.html"
        return None
    tail = _QUERY_TAIL.match(data, value.end())  # masked whole, so its tail is read only once
    return _edit(data, value.start(), tail.end() if tail is not None else value.end(), kind)


# A cookie header's value is "name=value" pairs; "failed to set cookie: quota exceeded" is not one.
# Browsers cap a whole cookie at 4096 bytes; names are short, so 256 bounds the undecided part.
_COOKIE_NAME_MAX: Final = 256
_COOKIE_VALUE: Final = _compile(
    rf"""(?:\\?["'\[]){{0,2}}([^\s=;,"'\[\]\\]{{1,{_COOKIE_NAME_MAX}}}=[^\n"'\]\\]{{0,{_QUOTED_VALUE_MAX}}})""")
_COOKIE_TAIL: Final = _compile(r"""[^\n"'\]\\]*""")


def _mask_cookie(data: bytes, match: _Match, group: int) -> _Edit | None:
    """``Cookie:`` and ``Set-Cookie:`` values are session credentials: mask the whole header value."""
    value = _COOKIE_VALUE.match(data, match.end())
    if value is None:
        return None
    tail = _COOKIE_TAIL.match(data, value.end(1))
    return _edit(data, value.start(1), tail.end() if tail is not None else value.end(1), "cookie")


# Flags before a command's password flag ("mysql -h db -P 3306 -u root -p...") fit in this many bytes.
_COMMAND_BACKSCAN: Final = 256
# A flag's value: one word, optionally quoted, not the next flag. Group 1 is the secret; the bounds
# are the URL credential's, the same user and password in another place.
_FLAG_VALUE: Final = rf"""["']?([^\s"'-][^\s"']{{0,{_URL_PASSWORD_MAX - 1}}})"""
# curl's "-u user:password": only the password part is the secret.
_USER_PASSWORD_VALUE: Final = (rf"""["']?[^\s:"'-][^\s:"']{{0,{_URL_USER_MAX - 1}}}"""
                               rf""":([^\s"']{{1,{_URL_PASSWORD_MAX}}})""")


def _after_command(commands: tuple[str, ...], value: str, kind: str) -> Callable[[bytes, _Match, int], _Edit | None]:
    """A credential given to a short flag whose meaning depends on the command ("-p" is mysql's
    password but a port elsewhere, "-u user:pass" is curl's credential but docker's uid:gid): masked
    only when one of ``commands`` comes earlier on the same line, and never when it is only digits.
    The value is read after the flag only then, so a rejected flag leaves what follows to other rules."""
    command = _compile(rf"""(?:^|[\s/"'])(?:{"|".join(commands)})(?:[\s"']|$)""")
    value_pattern = _compile(value)

    def mask(data: bytes, match: _Match, group: int) -> _Edit | None:
        window = data[max(0, match.start() - _COMMAND_BACKSCAN):match.start()]
        if command.search(window[window.rfind(b"\n") + 1:]) is None:
            return None
        found = value_pattern.match(data, match.end())
        # Digits are a uid:gid or a port; "$PW" is the shell's reference, not the secret.
        if found is None or data[found.start(1):found.end(1)].isdigit() or data[found.start(1)] == ord("$"):
            return None
        return _edit(data, found.start(1), found.end(1), kind)
    return mask


_KEYWORDS: Final = (r"pass|pwd|secret|token|api[_.-]?key|access[_.-]?key|private[_.-]?key|account[_.-]?key"
                    r"|cred|auth")
# Ordered: at one start position the first rule that matches wins, so self-contained tokens come
# before the keyed rules, and "key: value" before the looser "key value".
_RULES: Final = (
    # Vendor tokens whose prefix and length say what they are (shapes as gitleaks documents them).
    _Rule(r"\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})\b", _token("aws-key")),
    _Rule(r"\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})", _token("github-token")),
    _Rule(r"\b((?:glpat|gldt|glrt|glptt|glft|glimt|glagent|glsoat|gloas|glcbt)-[A-Za-z0-9_-]{20,}"
          r"|GR1348941[A-Za-z0-9_-]{20,})", _token("gitlab-token")),
    _Rule(r"\b(npm_[A-Za-z0-9]{36,})", _token("npm-token")),
    _Rule(r"\b(xox[abposre]-[A-Za-z0-9-]{10,}|xapp-[0-9]-[A-Za-z0-9-]{10,})", _token("slack-token")),
    _Rule(r"\b(SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64})", _token("sendgrid-key")),
    # Twilio: API key SIDs ("SK") and account SIDs ("AC"), each 32 hex digits.
    _Rule(r"\b((?:SK|AC)[0-9a-f]{32})\b", _token("twilio-sid")),
    _Rule(r"\b(key-[0-9a-f]{32})\b", _token("mailgun-key")),
    _Rule(r"\b([0-9a-f]{32}-us[0-9]{1,2})\b", _token("mailchimp-key")),
    _Rule(r"\b(shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})\b", _token("shopify-token")),
    _Rule(r"\b(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,})", _token("pypi-token")),
    _Rule(r"\b(do[opr]_v1_[a-f0-9]{64})\b", _token("digitalocean-token")),
    _Rule(r"\b(hv[sbr]\.[A-Za-z0-9_-]{24,})", _token("vault-token")),
    _Rule(r"\b(GOCSPX-[A-Za-z0-9_-]{28})", _token("google-client-secret")),
    _Rule(r"\b([A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34})", _token("azure-client-secret")),
    _Rule(r"\b([0-9]{8,10}:AA[A-Za-z0-9_-]{33})\b", _token("telegram-token")),
    _Rule(r"discord(?:app)?\.com/api/webhooks/[0-9]{5,20}/([A-Za-z0-9_-]{60,})", _token("discord-webhook")),
    _Rule(r"\b(PMAK-[a-f0-9]{24}-[a-f0-9]{34})\b", _token("postman-key")),
    _Rule(r"\b(dapi[a-f0-9]{32})\b", _token("databricks-token")),
    _Rule(r"\b(hf_[A-Za-z0-9]{34,})", _token("huggingface-token")),
    _Rule(r"\b(dckr_pat_[A-Za-z0-9_-]{27,})", _token("docker-token")),
    _Rule(r"\b(glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,}={0,2})", _token("grafana-token")),
    _Rule(r"\b(NRAK-[A-Z0-9]{27})\b", _token("newrelic-key")),
    _Rule(r"\b(sq0(?:atp|csp)-[0-9A-Za-z_-]{22,43})", _token("square-token")),
    _Rule(r"\b(lin_api_[A-Za-z0-9]{40})\b", _token("linear-key")),
    _Rule(r"\b(AGE-SECRET-KEY-1[0-9A-Z]{58})\b", _token("age-key")),
    _Rule(r"hooks\.slack\.com/services/(T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{16,})", _token("slack-webhook")),
    _Rule(r"\b(AIza[0-9A-Za-z_-]{35})", _token("google-api-key")),
    _Rule(r"\b(ya29\.[0-9A-Za-z_-]{20,})", _token("gcp-token")),
    _Rule(r"\b((?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}|whsec_[0-9A-Za-z]{24,})", _token("stripe-key")),
    _Rule(r"\b(sk-[A-Za-z0-9_-]{32,})", _token("api-key", _mixed_case_with_digit)),
    _Rule(rf"(eyJ[A-Za-z0-9_-]{{5,{_JWT_HEADER_MAX}}}\.eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*)?)", _token("jwt")),
    # Oracle's thin driver: jdbc:oracle:thin:user/password@host.
    _Rule(rf"""\bjdbc:oracle:[a-z]{{1,10}}:[^\s/@:"']{{1,{_URL_USER_MAX}}}/([^\s@"']{{1,{_URL_PASSWORD_MAX}}})@""",
          _token("url-credentials")),
    # scheme://user:password@host; the password runs to the last "@" before the path. The user part
    # holds no "[", so a mask already in it ("https://[REDACTED:...]@") is not re-read as user:password.
    _Rule(rf"""\b[A-Za-z][A-Za-z0-9+.-]{{0,30}}://[^\s:/@"'<>\[]{{0,{_URL_USER_MAX}}}:"""
          rf"""([^\s/"'<>]{{1,{_URL_PASSWORD_MAX}}})@""", _token("url-credentials")),
    _Rule(rf"[?&]((?i:{_QUERY_SECRET_NAMES}))=", _mask_query_value),
    _Rule(r"""\b((?i:set-cookie|cookie))\\?["']?[ \t]{0,8}:[ \t]{0,8}""", _mask_cookie),
    # Env-style names ("STRIPE_SIGNING_KEY", "export GH_TOKEN="); upper case only, so "monkey=" is not one.
    _Rule(r"""\b([A-Z][A-Z0-9_]{0,62}_(?:KEYS?|SECRET|TOKEN|PASSWORD|PASSWD|PASS|PWD|CREDENTIALS?))\b"""
          r"""\\?["']?[ \t]{0,8}[:=][ \t]{0,8}""", _keyed(bare_key_word=True)),
    _Rule(rf"""(?i:((?:{_KEYWORDS})[A-Za-z0-9_.-]{{0,{_KEY_SUFFIX_MAX}}}))"""
          r"""\\?["']?[ \t]{0,8}(?:=>|[:=])[ \t]{0,8}""",
          _mask_keyed_value),
    _Rule(r"(--[A-Za-z0-9-]{0,30}(?i:password|passwd|pass|token|secret|api-?key))[ \t]+", _mask_keyed_value),
    _Rule(r"[ \t](-u|--user)(?:[ \t]{1,8}|=)?", _after_command(("curl",), _USER_PASSWORD_VALUE, "basic-auth")),
    _Rule(r"[ \t](-p)[ \t]{0,8}",
          _after_command(("mysql", "mysqldump", "mysqladmin", "mysqlsh", "mysqlimport", "mysqlcheck", "mariadb",
                          "mariadb-dump", "mongo", "mongosh", "mongodump", "mongorestore", "sshpass"),
                         _FLAG_VALUE, "password")),
    _Rule(r"[ \t](-a)[ \t]{1,8}", _after_command(("redis-cli", "keydb-cli"), _FLAG_VALUE, "password")),
    _Rule(r"""(?i:"name"[ \t]{0,8}:[ \t]{0,8}"([A-Za-z0-9_.-]{1,64})"[ \t]{0,8},"""
          r"""[ \t]{0,8}"value"[ \t]{0,8}:[ \t]{0,8})""",
          _mask_named_value),
    _Rule(r"(?i:\bname:[ \t]{0,8}([A-Za-z0-9_.-]{1,64})[ \t]{0,8}\n[ \t]{0,32}value:[ \t]{0,8})", _mask_named_value),
    _Rule(r"\b((?i:bearer|basic))[ \t]+", _mask_scheme_credential),
    _Rule(r"(?:\b|_)((?i:secret|token|key|password|passwd|apikey|api-key))[ \t]{1,4}(?:(?i:is|was)[ \t]{1,4})?",
          _mask_generic_blob),
)
_COMBINED: Final = _compile("|".join(f"(?:{rule.pattern})" for rule in _RULES))
assert _COMBINED.groups == len(_RULES), "every rule needs exactly one capturing group"


def _mask_rules(data: bytes) -> bytes:
    pieces: list[bytes] = []
    emitted = position = 0
    while (match := _COMBINED.search(data, position)) is not None:
        group: int = match.lastindex  # the one rule group that took part
        edit = _RULES[group - 1].mask(data, match, group)
        if edit is None:
            position = match.end()
            continue
        pieces += (data[emitted:edit.start], edit.replacement)
        emitted = position = edit.end
    pieces.append(data[emitted:])
    return b"".join(pieces)


# --- PEM private keys (multi-line, so paired in code rather than matched in one pattern) ----------

_PEM_MARKER: Final = _compile(r"-----(BEGIN|END)[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
# Key material after a BEGIN with no END: the rest of its line (base64, JSON "\n" escapes), then
# whole base64 lines.
_PEM_BODY_AFTER: Final = _compile(r"[A-Za-z0-9+/=\\ \t]*(?:\n[ \t]*[A-Za-z0-9+/=]{16,}[ \t]*)*")
_PEM_BODY_LINE: Final = _compile(r"[ \t]*[A-Za-z0-9+/=]{16,}[ \t]*")
_PEM_LINE_CHARS: Final = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\\ \t"


def _pem_body_start(data: bytes, end_marker: int, floor: int) -> int:
    """Start of the key material before an END whose BEGIN was cut off (log truncation)."""
    line_start = max(floor, data.rfind(b"\n", floor, end_marker) + 1)
    before = data[line_start:end_marker]
    start = end_marker - (len(before) - len(before.rstrip(_PEM_LINE_CHARS)))
    while start == line_start > floor:
        previous = max(floor, data.rfind(b"\n", floor, line_start - 1) + 1)
        if _PEM_BODY_LINE.fullmatch(data, previous, line_start - 1) is None:
            break
        start = line_start = previous
    return start


def _mask_private_keys(data: bytes) -> bytes:
    markers = [(match.start(), match.end(), match.start(1) != -1 and data[match.start(1)] == ord("B"))
               for match in _PEM_MARKER.finditer(data)]
    pieces: list[bytes] = []
    emitted = 0
    for index, (start, end, is_begin) in enumerate(markers):
        if start < emitted:
            continue
        following = markers[index + 1] if index + 1 < len(markers) else None
        if is_begin and following is not None and not following[2] and following[1] - start <= _PEM_MAX_BYTES:
            span = (start, following[1])
        elif is_begin:
            body = _PEM_BODY_AFTER.match(data, end)
            span = (start, body.end() if body is not None else end)
        else:
            span = (_pem_body_start(data, start, emitted), end)
        pieces += (data[emitted:span[0]], _marker("private-key"))
        emitted = span[1]
    pieces.append(data[emitted:])
    return b"".join(pieces)


# --- public API ----------------------------------------------------------------------------------

# argv is read from pod specs written by anyone who can create a pod: bound it before any regex runs.
MAX_ARGV_ITEMS: Final = 64
MAX_ARGV_ITEM_CHARS: Final = 4096
MAX_ARGV_CHARS: Final = 16384
_FLAG: Final = _compile(r"^--?([A-Za-z][A-Za-z0-9_.-]{0,63})$")


def is_secret_key(name: str) -> bool:
    """True when a key or flag name says its value is a secret (``--password``, ``DB_TOKEN``, ``requirepass``)."""
    return _key_kind(name) is not None


def redact_argv(parts: Sequence[str]) -> tuple[str, ...]:
    """Redact a command line item by item, also masking the item that follows a secret-named flag
    (``["--password", "hunter2"]``), which no single item shows. Each item is judged after the command
    name and the item before it, as a shell line would read, so ``["mysql", "-p", "pw"]`` and
    ``["curl", "-u", "user:pw"]`` are caught too."""
    result: list[str] = []
    mask_next = False
    budget = MAX_ARGV_CHARS
    items = [str(item)[:MAX_ARGV_ITEM_CHARS] for item in list(parts)[:MAX_ARGV_ITEMS]]
    command = items[0].rsplit("/", 1)[-1] if items and not items[0].startswith("-") else ""
    previous = ""
    for part in items:
        part, budget = part[:budget], budget - len(part[:budget])
        if mask_next and not part.startswith("-"):
            result.append(f"{MASK_PREFIX}:argument]")
            mask_next = False
            previous = part
            continue
        flag = _FLAG.match(part.encode())
        mask_next = flag is not None and is_secret_key(flag.group(1).decode())
        result.append(_redact_after(part, context=f"{command} {previous}"))
        previous = part
    if len(parts) > MAX_ARGV_ITEMS:
        result.append(f"[… {len(parts) - MAX_ARGV_ITEMS} more arguments dropped …]")
    return tuple(result)


def _redact_after(item: str, *, context: str) -> str:
    """Redact ``item`` as it reads after ``context`` on one line. If a mask crosses from the context
    into the item, the item is masked whole rather than guessed at."""
    masked_context = redact(context + " ")
    combined = redact(f"{context} {item}")
    if combined.startswith(masked_context):
        return combined[len(masked_context):]
    return f"{MASK_PREFIX}:argument]"


def redact(text: str) -> str:
    """Strip invisible and bidi characters, then mask every secret in ``text``."""
    data = text.translate(_INVISIBLE).encode()
    return _mask_rules(_mask_private_keys(data)).decode()


def redact_mapping(values: Mapping[str, str]) -> dict[str, str]:
    """Redact labels or annotations. A value under a secret-looking key is masked whole; keys pass
    through ``redact`` too (two keys differing only by invisible characters collapse, the later wins)."""
    result: dict[str, str] = {}
    for key, value in values.items():
        clean_key = redact(key)
        kind = _key_kind(clean_key, bare_key_word=True)
        masked = kind is not None and not _is_benign(value)
        result[clean_key] = _marker(kind).decode() if masked and kind is not None else redact(value)
    return result


def redact_log(text: str, *, max_chars: int, max_line_chars: int = DEFAULT_MAX_LINE_CHARS) -> str:
    """Keep the end of a log (where the crash is) within ``max_chars``, cut lines longer than
    ``max_line_chars``, then redact. Cuts never leave half a token behind, and the result, marks
    included, is at most ``max_chars`` long."""
    if max_chars < _MIN_MAX_CHARS or max_line_chars < _MIN_LINE_CHARS:
        raise ValueError(f"max_chars must be >= {_MIN_MAX_CHARS} and max_line_chars >= {_MIN_LINE_CHARS}")
    budget = max_chars - len(_drop_notice(len(text)))
    body, dropped = _keep_tail(text, budget)
    lines = body.split("\n")
    if any(len(line) > max_line_chars for line in lines):
        body = "\n".join(_cut_line(line, max_line_chars) for line in lines)
    body = redact(body)
    if dropped or len(body) > max_chars:  # masks can be longer than what they hide
        budget = max_chars - len(_drop_notice(dropped + len(body)))  # room for the largest count it can say
        body, dropped_after = _keep_tail(body, budget)
        body = _drop_notice(dropped + dropped_after) + body
    return body


def _drop_notice(dropped: int) -> str:
    return f"[… {dropped} earlier characters dropped …]\n"


def _keep_tail(text: str, budget: int) -> tuple[str, int]:
    """The last ``budget`` characters without their partial first line (or token), and how many went."""
    if len(text) <= budget:
        return text, 0
    tail = text[len(text) - budget:]
    newline = tail.find("\n")
    if newline != -1:
        tail = tail[newline + 1:]
    else:
        boundaries = [found for found in (tail.find(char) for char in _BOUNDARY_CHARS) if found != -1]
        tail = tail[min(boundaries):] if boundaries else ""
    return tail, len(text) - len(tail)


def _cut_line(line: str, limit: int) -> str:
    if len(line) <= limit:
        return line
    head = line[:limit]
    head = head[:max(head.rfind(char) for char in _BOUNDARY_CHARS) + 1]
    return f"{head}[… {len(line) - len(head)} more characters cut …]"
