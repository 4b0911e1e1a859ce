"""API errors shaped like the Kubernetes apiserver's Status objects.

Pure: no I/O. Raised by the store, patch code and router; turned into HTTP by server.py.
"""
from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """One failed API call; `body()` is the Status object the real apiserver would send."""

    def __init__(self, code: int, reason: str, message: str, *, kind: str = "", name: str = "",
                 group: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.kind = kind
        self.name = name
        self.group = group

    def body(self) -> dict[str, Any]:
        details: dict[str, Any] = {}
        if self.name:
            details["name"] = self.name
        if self.kind:
            details["kind"] = self.kind
        if self.group:
            details["group"] = self.group
        status: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                  "status": "Failure", "message": self.message,
                                  "reason": self.reason, "code": self.code}
        if details:
            status["details"] = details
        return status


def not_found(*, resource: str, name: str, group: str = "") -> ApiError:
    qualified = f"{resource}.{group}" if group else resource
    return ApiError(404, "NotFound", f'{qualified} "{name}" not found', kind=resource, name=name,
                    group=group)


def already_exists(*, resource: str, name: str, group: str = "") -> ApiError:
    qualified = f"{resource}.{group}" if group else resource
    return ApiError(409, "AlreadyExists", f'{qualified} "{name}" already exists', kind=resource,
                    name=name, group=group)


def conflict(*, resource: str, name: str, group: str = "") -> ApiError:
    qualified = f"{resource}.{group}" if group else resource
    return ApiError(409, "Conflict",
                    f'Operation cannot be fulfilled on {qualified} "{name}": the object has been '
                    "modified; please apply your changes to the latest version and try again",
                    kind=resource, name=name, group=group)


def invalid(*, kind: str, name: str, detail: str, group: str = "") -> ApiError:
    return ApiError(422, "Invalid", f'{kind} "{name}" is invalid: {detail}', kind=kind, name=name,
                    group=group)


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)
