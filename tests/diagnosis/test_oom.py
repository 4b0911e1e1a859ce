"""The OOM rule raises on its own only when the evidence says the limit is too small (issue 14).

Each test is a general fact about how containers use memory, not a copy of one incident.
"""

from __future__ import annotations

import dataclasses

import pytest

from kubesent.diagnosis.context import RuleContext
from kubesent.diagnosis.rules import oom
from kubesent.diagnosis.schema import RemedyKind
from kubesent.evidence import trend
from kubesent.evidence.category import Category
from kubesent.evidence.model import Termination
from kubesent.evidence.rollout import Revision, Rollout
from tests.fakes.evidence_builder import container, evidence

CONTEXT = RuleContext(memory_ceiling_bytes=4 * 2**30, cpu_ceiling_millicores=4000, max_increase_factor=2.0,
                      max_total_increase_factor=4.0)
STARTED = "2025-01-01T00:00:00Z"  # the builder's event happens at this instant plus an hour below


def _killed_after(seconds: int) -> Termination:
    minutes, rest = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return Termination(reason="OOMKilled", exit_code=137, message="", started_at="2024-12-31T23:00:00Z",
                       finished_at=f"2024-12-31T{23 + hours:02d}:{minutes:02d}:{rest:02d}Z")


def _oom(run_seconds: int = 30, *, pod_started: str | None = "2024-12-31T22:58:00Z", restarts: int = 3,
         **changes):
    facts = container(last_terminated=_killed_after(run_seconds), restart_count=restarts,
                      logs_previous="serving requests\n", **changes)
    return evidence(containers=(facts,), category=Category.OOM_KILLED, pod_started_at=pod_started)


def _diagnose(found_evidence, context: RuleContext = CONTEXT):
    return oom.oom_killed(found_evidence, context)


def test_a_kill_within_minutes_of_starting_is_raised_on_its_own():
    found = _diagnose(_oom(run_seconds=40, pod_started="2024-12-31T23:55:00Z", restarts=2))

    assert found.remedy.kind is RemedyKind.RAISE_MEMORY_LIMIT and found.propose_only is None


@pytest.mark.parametrize("run_seconds", [45 * 60, 3 * 3600])
def test_a_kill_after_a_long_run_is_growth_and_only_proposed(run_seconds):
    found = _diagnose(_oom(run_seconds=run_seconds, pod_started="2024-12-31T20:00:00Z"))

    assert found.remedy.kind is RemedyKind.RAISE_MEMORY_LIMIT and "before the kill" in found.propose_only


def test_short_last_run_but_long_earlier_runs_is_not_start_up():
    """Three restarts in a pod that is eight hours old: the earlier runs lasted hours."""
    found = _diagnose(_oom(run_seconds=60, pod_started="2024-12-31T16:00:00Z", restarts=3))

    assert found.propose_only and "on average" in found.propose_only


def test_an_unknown_run_length_is_no_evidence_for_a_raise():
    facts = container(last_terminated=Termination(reason="OOMKilled", exit_code=137, message="", started_at=None,
                                                  finished_at=None))
    found = _diagnose(evidence(containers=(facts,), category=Category.OOM_KILLED))

    assert found.propose_only and "unknown" in found.propose_only


def test_a_limit_raised_before_is_not_raised_again_on_its_own():
    context = dataclasses.replace(CONTEXT, memory_raises={"app": ("7c9d",)})  # this pod predates the raise

    found = _diagnose(_oom(run_seconds=40, pod_started="2024-12-31T23:55:00Z", restarts=1), context)

    assert found.remedy.kind is RemedyKind.RAISE_MEMORY_LIMIT and "already raised" in found.propose_only


def test_a_kill_on_the_template_a_raise_produced_escalates_even_after_other_remediations():
    context = dataclasses.replace(CONTEXT, memory_raises={"app": ("5b1a",)})  # raised on an older template

    found = _diagnose(_oom(run_seconds=40, pod_started="2024-12-31T23:55:00Z"), context)

    assert found.remedy.kind is RemedyKind.ESCALATE and "does not repeat a failed fix" in found.root_cause


def test_the_total_cap_counts_from_the_ledgers_original_whatever_came_between():
    context = dataclasses.replace(CONTEXT, original_memory_limits={"app": "64Mi"})  # 256Mi = 64Mi × 4

    found = _diagnose(_oom(run_seconds=40, pod_started="2024-12-31T23:55:00Z"), context)

    assert found.remedy.kind is RemedyKind.ESCALATE and "in total" in found.root_cause


@pytest.mark.parametrize(("flags", "fragment"), [
    (("-XX:MaxRAMPercentage=80",), "80% of the memory limit"),
    (("-Xmx1g",), "sets a heap of 1Gi"),
    (("--max-old-space-size=300",), "sets a heap of 300Mi"),
])
def test_a_heap_that_ignores_or_follows_the_limit_gets_its_flag_fixed(flags, fragment):
    found = _diagnose(_oom(run_seconds=3600, heap_flags=flags))

    assert found.remedy.kind is RemedyKind.FIX_COMMAND_OR_ARGS and fragment in found.root_cause


@pytest.mark.parametrize(("flags", "fragment"), [
    (("-Xms960m",), "sets a heap of 960Mi (-Xms960m)"),  # the heap never shrinks below -Xms, which raises the max
    (("-XX:InitialHeapSize=1g", "-Xmx1g"), "sets a heap of 1Gi"),
    (("-XX:InitialRAMPercentage=80", "-XX:MaxRAMPercentage=80"), "behaves like a fixed heap"),
])
def test_a_fixed_floor_or_a_starting_share_at_the_max_is_a_fixed_heap(flags, fragment):
    found = _diagnose(_oom(run_seconds=40, pod_started="2024-12-31T23:55:00Z", restarts=1, heap_flags=flags,
                           limits={"memory": "1Gi"}))

    assert found.remedy.kind is RemedyKind.FIX_COMMAND_OR_ARGS and fragment in found.root_cause


@pytest.mark.parametrize("flags", [
    ("-XX:InitialRAMPercentage=80",),  # capped at the default maximum share (25%): a small heap
    ("-XX:MaxRAMPercentage=80", "-Xmx256m"),  # an explicit maximum overrides the percentage
    ("-Xms64m",),
])
def test_heap_flags_the_jvm_caps_or_overrides_do_not_decide(flags):
    found = _diagnose(_oom(run_seconds=40, pod_started="2024-12-31T23:55:00Z", restarts=1, heap_flags=flags,
                           limits={"memory": "1Gi"}))

    assert found.remedy.kind is RemedyKind.RAISE_MEMORY_LIMIT and found.propose_only is None


@pytest.mark.parametrize(("flags", "fragment"), [
    (("GOMEMLIMIT=1GiB",), "at or above the memory limit"),
    (("GOGC=off",), "collector is off"),
])
def test_a_go_collector_that_cannot_act_before_the_kill_gets_its_setting_fixed(flags, fragment):
    found = _diagnose(_oom(run_seconds=40, pod_started="2024-12-31T23:55:00Z", restarts=1, heap_flags=flags,
                           limits={"memory": "1Gi"}))

    assert found.remedy.kind is RemedyKind.FIX_COMMAND_OR_ARGS and fragment in found.root_cause


@pytest.mark.parametrize("flags", [("GOMEMLIMIT=900MiB",), ("GOGC=off", "GOMEMLIMIT=900MiB"), ("GOGC=200",)])
def test_a_go_soft_limit_under_the_limit_leaves_the_decision_to_the_run(flags):
    found = _diagnose(_oom(run_seconds=40, pod_started="2024-12-31T23:55:00Z", restarts=1, heap_flags=flags,
                           limits={"memory": "1Gi"}))

    assert found.remedy.kind is RemedyKind.RAISE_MEMORY_LIMIT


@pytest.mark.parametrize("image", ["openjdk:8u151-jre", "java:8", "registry.example.com/base/jdk:7u80",
                                   "docker.io/library/openjdk:8u181-jdk-alpine"])
def test_a_jvm_that_cannot_see_the_limit_is_not_given_more(image):
    found = _diagnose(_oom(run_seconds=20, image=image))

    assert found.remedy.kind is RemedyKind.FIX_COMMAND_OR_ARGS and "node's memory" in found.root_cause


@pytest.mark.parametrize("image", ["openjdk:8u392-jre", "eclipse-temurin:21-jre", "openjdk:11", "nginx:1.27"])
def test_a_container_aware_or_non_jvm_image_is_judged_by_its_run(image):
    found = _diagnose(_oom(run_seconds=40, pod_started="2024-12-31T23:55:00Z", restarts=1, image=image))

    assert found.remedy.kind is RemedyKind.RAISE_MEMORY_LIMIT and found.propose_only is None


@pytest.mark.parametrize("command", [
    ("sh", "-c", 'x=a; while true; do x="$x$x"; done'),
    ("/bin/sh", "-c", "while :; do cat /var/log/app.log >> /tmp/all.log; done"),
    ("bash", "-c", "tail /dev/zero"),
    ("python", "-c", "b = []\nwhile True: b.append(bytearray(2**20))"),
])
def test_a_command_that_writes_without_bound_gets_a_person(command):
    found = _diagnose(_oom(run_seconds=40, pod_started="2024-12-31T23:55:00Z", command=command, args=()))

    assert found.remedy.kind is RemedyKind.FIX_COMMAND_OR_ARGS and "without bound" in found.root_cause


@pytest.mark.parametrize("command", [
    ("stress", "--vm", "1", "--vm-bytes", "50M", "--vm-hang", "1"),
    ("sh", "-c", "while true; do curl -s http://localhost:8080/healthz; sleep 5; done"),
    ("sh", "-c", "head -c 1048576 /dev/zero > /tmp/block"),
])
def test_a_bounded_command_is_no_unbounded_writer(command):
    found = _diagnose(_oom(run_seconds=40, pod_started="2024-12-31T23:55:00Z", command=command, args=()))

    assert found.remedy.kind is RemedyKind.RAISE_MEMORY_LIMIT


def _trend(kind: trend.TrendKind) -> trend.MemoryTrend:
    return trend.MemoryTrend(kind=kind, samples=30, peak_bytes=256 * 2**20, slope_bytes_per_minute=2**20,
                             source="prometheus")


def test_a_leaking_trend_is_proposed_with_its_slope():
    found = _diagnose(dataclasses.replace(_oom(run_seconds=40, pod_started="2024-12-31T23:55:00Z"),
                                          memory_trend=_trend(trend.TrendKind.LEAK)))

    assert found.propose_only and "+1.0Mi/min" in found.propose_only


def test_a_plateau_at_the_limit_is_raised_even_after_a_long_run():
    found = _diagnose(dataclasses.replace(_oom(run_seconds=3 * 3600, pod_started="2024-12-31T20:00:00Z"),
                                          memory_trend=_trend(trend.TrendKind.UNDERSIZED)))

    assert found.remedy.kind is RemedyKind.RAISE_MEMORY_LIMIT and found.propose_only is None


def _revision(number: int, limit: str | None, *, container_name: str = "app") -> Revision:
    resources = {"limits": {"memory": limit}} if limit is not None else {}
    return Revision(name=f"web-{number:05d}", number=number, replicas=0, available=0, created="",
                    template={"spec": {"containers": [{"name": container_name, "resources": resources}]}})


def _with_history(*older: Revision) -> Rollout:
    return Rollout(current=_revision(9, "256Mi"), newest=True, previous=older[0] if older else None, older=older)


def _started_and_killed(rollout_found: Rollout | None):
    return dataclasses.replace(_oom(run_seconds=40, pod_started="2024-12-31T23:55:00Z", restarts=1),
                               rollout=rollout_found)


def test_an_older_revision_with_a_lower_limit_is_an_earlier_raise_whoever_made_it():
    """A Deployment keeps its older ReplicaSets' templates: a lower limit there means the limit was raised."""
    found = _diagnose(_started_and_killed(_with_history(_revision(8, "256Mi"), _revision(7, "128Mi"))))

    assert found.remedy.kind is RemedyKind.RAISE_MEMORY_LIMIT
    assert found.propose_only and "revision 7 (web-00007) had 128Mi" in found.propose_only
    assert "revision 9, this pod's, has 256Mi" in found.propose_only


@pytest.mark.parametrize("older", [
    (_revision(8, "256Mi"),),  # the same limit: another change rolled out
    (_revision(8, "512Mi"),),  # a higher limit: lowered since, not raised
    (_revision(8, None),),  # no limit then: a limit was added, not raised
    (_revision(8, "128Mi", container_name="sidecar"),),  # another container's limit
    (_revision(8, "a lot"),),  # unreadable: no evidence either way
])
def test_revisions_without_a_lower_limit_for_this_container_are_no_earlier_raise(older):
    found = _diagnose(_started_and_killed(_with_history(*older)))

    assert found.remedy.kind is RemedyKind.RAISE_MEMORY_LIMIT and found.propose_only is None


def test_without_the_deployments_revisions_the_start_up_shape_still_raises():
    found = _diagnose(_started_and_killed(None))

    assert found.propose_only is None
