"""Small helpers for reading untrusted text in rules: RE2 search, quoting evidence lines. Pure.

RE2 keeps every pattern linear-time on hostile logs (FACTS.md §8).
"""

from __future__ import annotations

from collections.abc import Iterable

import re2

# A quoted evidence line is enough to recognise the failure; more is noise in a report.
MAX_QUOTE_CHARS = 300
# A command line or a log line quoted inside a sentence: enough to recognise it.
INLINE_QUOTE_CHARS = 120
# A whole command shown to a person (command and args joined).
COMMAND_SHOWN_CHARS = 200


def quote(text: str) -> str:
    """An evidence line as rules quote it: stripped and capped."""
    return text.strip()[:MAX_QUOTE_CHARS]


def compile_pattern(pattern: str) -> re2._Regexp:
    return re2.compile(pattern)


def find_line(pattern: re2._Regexp, *texts: str) -> str | None:
    """The last line (the newest) across ``texts`` that matches ``pattern``, stripped and capped."""
    found = None
    for text in texts:
        for line in text.splitlines():
            if pattern.search(line):
                found = quote(line)
    return found


def first_match(pattern: re2._Regexp, texts: Iterable[str]) -> re2._Match | None:
    for text in texts:
        match = pattern.search(text)
        if match:
            return match
    return None
