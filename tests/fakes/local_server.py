"""The lifecycle every local fake HTTP server shares: bind on port 0, serve in a thread, stop cleanly.

Subclasses set ``self._server`` (a ``ThreadingHTTPServer``) in their ``__init__`` and call ``super().__init__``.
"""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Self

# How often serve_forever checks for shutdown; the default 0.5 s would slow every test's teardown.
POLL_SECONDS = 0.05


class LocalServer:
    def __init__(self, server: ThreadingHTTPServer, *, name: str) -> None:
        self._server = server
        self._server.daemon_threads = True
        self._name = name
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._server.serve_forever, args=(POLL_SECONDS,), name=self._name,
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()
