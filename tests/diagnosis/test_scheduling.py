"""The scheduling rule tells the pod's fault from the nodes': the scheduler's per-node reasons decide (issue 14).

Each message is in the scheduler's own format (kubernetes pkg/scheduler/framework/plugins), not one incident's.
"""

from __future__ import annotations

import pytest

from kubesent.diagnosis.context import RuleContext
from kubesent.diagnosis.rules import scheduling
from kubesent.diagnosis.schema import RemedyKind
from kubesent.evidence.category import Category
from tests.fakes.evidence_builder import evidence

CONTEXT = RuleContext(memory_ceiling_bytes=4 * 2**30, cpu_ceiling_millicores=4000, max_increase_factor=2.0,
                      max_total_increase_factor=4.0)
PREEMPTION = " preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling."


def _diagnose(message: str):
    return scheduling.unschedulable(evidence(category=Category.UNSCHEDULABLE, event_message=message), CONTEXT)


@pytest.mark.parametrize(("details", "fragment"), [
    ("2 node(s) had untolerated taint {node.kubernetes.io/disk-pressure: }, 3 Insufficient memory",
     "2 carry the taint node.kubernetes.io/disk-pressure"),
    ("5 node(s) were unschedulable", "5 cordoned"),
    ("3 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 2 node(s) had untolerated taint "
     "{node.kubernetes.io/not-ready: }", "node.kubernetes.io/not-ready"),
    ("5 node(s) had volume node affinity conflict", "outside the zone its PersistentVolume is bound to"),
    ("5 node(s) didn't match PersistentVolume's node affinity", "outside the zone"),  # the 1.33 wording
    ("4 Too many pods, 1 Insufficient cpu", "4 at their pod count limit"),
    ("3 node(s) had taint {node.kubernetes.io/memory-pressure: }, that the pod didn't tolerate, 2 Insufficient cpu",
     "node.kubernetes.io/memory-pressure"),  # the wording before 1.25
])
def test_nodes_refused_for_their_own_state_go_to_the_clusters_owner(details, fragment):
    found = _diagnose(f"0/5 nodes are available: {details}.{PREEMPTION}")

    assert found.remedy.kind is RemedyKind.ESCALATE and fragment in found.root_cause
    assert "nodes are the fault" in found.root_cause


def test_when_most_nodes_exclude_the_pod_for_its_own_spec_the_spec_is_proposed_with_the_node_share_named():
    found = _diagnose("0/5 nodes are available: 1 node(s) were unschedulable, 4 node(s) didn't match Pod's node "
                      "affinity/selector." + PREEMPTION)

    assert found.remedy.kind is RemedyKind.FIX_SCHEDULING
    assert "nodeSelector" in found.root_cause and "1 more node(s)" in found.root_cause


@pytest.mark.parametrize(("details", "fragment"), [
    ("5 Insufficient cpu", "requests more cpu"),
    ("5 node(s) had untolerated taint {dedicated: gpu}", "add a toleration"),
    ("5 node(s) didn't match Pod's node affinity/selector", "nodeSelector"),
    ("5 node(s) had untolerated taint(s)", "the message does not name"),  # newer schedulers hide the key
])
def test_the_pods_own_spec_is_a_scheduling_proposal(details, fragment):
    found = _diagnose(f"0/5 nodes are available: {details}.{PREEMPTION}")

    assert found.remedy.kind is RemedyKind.FIX_SCHEDULING and fragment in found.root_cause


def test_dynamic_resource_allocations_clause_is_not_read_as_a_reason():
    found = _diagnose("0/5 nodes are available: 5 node(s) had untolerated taint {node.kubernetes.io/not-ready: }. "
                      "no new claims to deallocate, preemption: 0/5 nodes are available: 5 Preemption is not helpful "
                      "for scheduling.")

    assert found.remedy.kind is RemedyKind.ESCALATE and "Preemption" not in found.root_cause
