"""Label and field selectors with the apiserver's grammar.

Pure: parses query strings and matches plain dicts. Called by the store's list and watch.
Label grammar: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, comma-joined.
Field selectors: `path=v`, `path==v`, `path!=v` on dotted paths such as `involvedObject.name`.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from local_emulator.kube_sandbox.errors import bad_request

Matcher = Callable[[dict[str, Any]], bool]

_SET_RE = re.compile(r"^\s*(!?)([A-Za-z0-9_./-]+)\s*(?:(in|notin)\s*\(([^)]*)\))?\s*$")
_EQ_RE = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|=|!=)\s*([A-Za-z0-9_.-]*)\s*$")


def _split_terms(selector: str) -> list[str]:
    """Split on commas that are not inside `( )`."""
    terms: list[str] = []
    depth = 0
    current = ""
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    terms.append(current)
    return [term for term in terms if term.strip()]


def _label_term(term: str) -> Callable[[Mapping[str, str]], bool]:
    equality = _EQ_RE.match(term)
    if equality:
        key, operator, value = equality.groups()
        if operator == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: key in labels and labels[key] == value
    set_based = _SET_RE.match(term)
    if not set_based:
        raise bad_request(f"unable to parse requirement: {term!r}")
    negated, key, operator, values_text = set_based.groups()
    if negated and operator:
        raise bad_request(f"unable to parse requirement: {term!r}")
    if negated:
        return lambda labels: key not in labels
    if operator is None:
        return lambda labels: key in labels
    values = {value.strip() for value in values_text.split(",") if value.strip()}
    if operator == "in":
        return lambda labels: labels.get(key) in values
    return lambda labels: labels.get(key) not in values


def label_matcher(selector: str | None) -> Matcher:
    if not selector:
        return lambda obj: True
    terms = [_label_term(term) for term in _split_terms(selector)]

    def matches(obj: dict[str, Any]) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return all(term(labels) for term in terms)

    return matches


def _field_value(obj: dict[str, Any], path: str) -> str:
    current: Any = obj
    for part in path.split("."):
        if not isinstance(current, dict):
            return ""
        current = current.get(part)
    if current is None:
        return ""
    if isinstance(current, bool):
        return "true" if current else "false"
    return str(current)


def field_matcher(selector: str | None) -> Matcher:
    if not selector:
        return lambda obj: True
    terms: list[tuple[str, bool, str]] = []
    for term in _split_terms(selector):
        match = re.match(r"^\s*([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*?)\s*$", term)
        if not match:
            raise bad_request(f"invalid field selector: {term!r}")
        path, operator, value = match.groups()
        terms.append((path, operator == "!=", value))

    def matches(obj: dict[str, Any]) -> bool:
        return all((_field_value(obj, path) != value) if negated else (_field_value(obj, path) == value)
                   for path, negated, value in terms)

    return matches
