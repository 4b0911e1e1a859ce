"""After a 409 the write path decides again with every check, on the workload as it now is.

The real cluster client against the sandbox; someone edits the Deployment between KubeSent's read and
its write, so the first patch meets a stale resourceVersion.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def _deployment(sandbox: Any, name: str) -> dict[str, Any]:
    found = sandbox.get_object(api_version="apps/v1", kind="Deployment", namespace="demo", name=name)
    assert found is not None
    return found


def _memory_limit(deployment: dict[str, Any], container: str) -> str:
    return next(c["resources"]["limits"]["memory"] for c in deployment["spec"]["template"]["spec"]["containers"]
                if c["name"] == container)


class EditingCluster:
    """The cluster client, but ``edit`` changes the Deployment just before KubeSent's first real patch."""

    def __init__(self, inner: Any, sandbox: Any, edit: Callable[[dict[str, Any]], None]) -> None:
        self.inner, self.sandbox, self.edit, self.raced = inner, sandbox, edit, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def patch(self, **kwargs: Any) -> dict[str, Any]:
        if not kwargs["dry_run"] and not self.raced:
            self.raced = True
            deployment = self.sandbox.get_object(api_version="apps/v1", kind="Deployment", namespace="demo",
                                                 name="memory-hog")
            self.edit(deployment["spec"]["template"]["spec"]["containers"][0])
            deployment["metadata"]["resourceVersion"] = str(int(deployment["metadata"]["resourceVersion"]) + 1000)
            self.sandbox.load_objects([deployment])
        return self.inner.patch(**kwargs)


def _new_image_and_command(container: dict[str, Any]) -> None:
    container.update(image="ghcr.io/acme/memory-hog:2.0.0", command=["/app/new-entrypoint"])


def _new_env(container: dict[str, Any]) -> None:
    container.setdefault("env", []).append({"name": "CACHE_SIZE", "value": "4g"})


@pytest.mark.parametrize("edit", [_new_image_and_command, _new_env])
def test_a_raise_never_lands_on_a_template_the_failing_pod_no_longer_matches(sandbox, scenario, make_pipeline, edit):
    event, _ = scenario("oom-memory-hog")
    pipeline = make_pipeline(dry_run=False)
    pipeline.cluster = EditingCluster(pipeline.cluster, sandbox, edit)

    record = pipeline.handle(event)

    assert record.action == "proposed" and record.reason.startswith("after a conflict"), record.reason
    assert _memory_limit(_deployment(sandbox, "memory-hog"), "memory-hog") == "10Mi"


def test_an_unrelated_edit_elsewhere_still_lets_the_raise_through(sandbox, scenario, make_pipeline):
    event, _ = scenario("oom-memory-hog")
    pipeline = make_pipeline(dry_run=False)

    def annotate_only(container: dict[str, Any]) -> None:
        del container  # the race bumps the resourceVersion only, as a label or replica change would

    pipeline.cluster = EditingCluster(pipeline.cluster, sandbox, annotate_only)

    record = pipeline.handle(event)

    assert record.action == "applied", record.reason
    assert _memory_limit(_deployment(sandbox, "memory-hog"), "memory-hog") == "110Mi"
