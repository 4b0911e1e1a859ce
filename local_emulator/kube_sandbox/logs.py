"""Container log texts and the `pods/{name}/log` query semantics.

Thread-safe dict of texts; never touches the store itself (the router passes the pod in).
Errors mirror the kubelet/apiserver wording so client code sees what production sends.
"""
from __future__ import annotations

import threading
from typing import Any

from local_emulator.kube_sandbox.errors import bad_request

LogKey = tuple[str, str, str]  # namespace, pod, container


class LogBook:
    """Current and previous log text per container."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._texts: dict[LogKey, dict[str, str | None]] = {}

    def set(self, *, namespace: str, pod: str, container: str, current: str = "",
            previous: str | None = None) -> None:
        with self._lock:
            self._texts[(namespace, pod, container)] = {"current": current, "previous": previous}

    def read(self, *, pod: dict[str, Any], container: str | None, previous: bool,
             tail_lines: int | None, limit_bytes: int | None) -> str:
        meta = pod["metadata"]
        spec = pod.get("spec") or {}
        names = [entry.get("name") for entry in spec.get("containers") or []]
        other_names = [entry.get("name") for key in ("initContainers", "ephemeralContainers")
                       for entry in spec.get(key) or []]
        if not container:
            if len(names) != 1:
                raise bad_request(f"a container name must be specified for pod {meta['name']}, "
                                  f"choose one of: [{' '.join(str(name) for name in names)}]")
            container = str(names[0])
        if container not in names + other_names:
            raise bad_request(f"container {container} is not valid for pod {meta['name']}")
        with self._lock:
            texts = self._texts.get((meta.get("namespace", ""), meta["name"], container), {})
        if previous:
            text = texts.get("previous")
            if text is None:
                raise bad_request(f'previous terminated container "{container}" in pod '
                                  f'"{meta["name"]}" not found')
        else:
            text = texts.get("current") or ""
        if tail_lines is not None:
            lines = text.splitlines(keepends=True)
            text = "".join(lines[-tail_lines:]) if tail_lines > 0 else ""
        if limit_bytes is not None:
            text = text.encode()[:limit_bytes].decode(errors="ignore")
        return text
