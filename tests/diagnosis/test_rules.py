"""The deterministic rules on realistic evidence: the wording kubelet, runtimes and apps really print."""

from __future__ import annotations

import dataclasses

import pytest

from kubesent.diagnosis.context import RuleContext
from kubesent.diagnosis.rules import registry
from kubesent.diagnosis.schema import RemedyKind
from kubesent.evidence.annotation import RemediationNote
from kubesent.evidence.category import Category
from kubesent.evidence.model import ConfigRef, EventFacts, ProbeFacts, Termination
from kubesent.evidence.pullsecrets import PullSecretWitness
from kubesent.evidence.rollout import Revision, Rollout
from tests.fakes.evidence_builder import container, evidence

CONTEXT = RuleContext(memory_ceiling_bytes=4 * 2**30, cpu_ceiling_millicores=4000, max_increase_factor=2.0,
                      max_total_increase_factor=4.0)


def _oom(**changes):
    base = container(last_terminated=Termination(reason="OOMKilled", exit_code=137, message="",
                                                 started_at="2026-01-01T00:00:00Z", finished_at="2026-01-01T00:00:30Z"),
                     logs_previous="serving requests\n")
    return evidence(containers=(dataclasses.replace(base, **changes),), category=Category.OOM_KILLED)


def test_oom_raises_the_limit_by_the_vpa_rule():
    found = registry.diagnose(_oom(), CONTEXT)
    assert found.remedy.kind is RemedyKind.RAISE_MEMORY_LIMIT
    # used = max(request 128Mi, limit 256Mi) = 256Mi → max(356Mi, 307.2Mi) = 356Mi
    assert found.remedy.memory_limit == "356Mi" and found.propose_only is None and found.confidence >= 90


def test_oom_on_a_large_limit_uses_the_proportional_margin():
    found = registry.diagnose(_oom(limits={"memory": "2Gi"}, requests={"memory": "1Gi"}), CONTEXT)
    assert found.remedy.memory_limit == "2458Mi"  # 2048Mi × 1.2, rounded up to a whole Mi


def test_oom_without_a_limit_escalates():
    found = registry.diagnose(_oom(limits={}), CONTEXT)
    assert found.remedy.kind is RemedyKind.ESCALATE and "no memory limit" in found.root_cause


def test_oom_at_the_ceiling_escalates():
    found = registry.diagnose(_oom(limits={"memory": "4Gi"}), CONTEXT)
    assert found.remedy.kind is RemedyKind.ESCALATE and "ceiling" in found.root_cause


def test_oom_near_the_ceiling_is_capped_at_it():
    found = registry.diagnose(_oom(limits={"memory": "3900Mi"}), CONTEXT)
    assert found.remedy.memory_limit == "4Gi" and "Capped" in found.root_cause


def test_oom_after_hours_of_uptime_is_growth_and_only_proposed():
    last = Termination(reason="OOMKilled", exit_code=137, message="", started_at="2026-01-01T00:00:00Z",
                       finished_at="2026-01-01T05:30:00Z")
    found = registry.diagnose(_oom(last_terminated=last), CONTEXT)
    assert found.remedy.kind is RemedyKind.RAISE_MEMORY_LIMIT and found.propose_only
    assert "ran 5.5 h before the kill" in found.propose_only


def test_oom_with_steadily_growing_memory_in_the_logs_is_a_leak():
    log = "\n".join(f"2026-01-01T00:00:{i:02d}Z cache stats: heap used {100 + 30 * i} MB" for i in range(8))
    found = registry.diagnose(_oom(logs_previous=log), CONTEXT)
    assert found.propose_only and "growing" in found.propose_only


def test_oom_with_a_heap_flag_above_the_limit_is_a_command_fix():
    found = registry.diagnose(_oom(heap_flags=("-Xmx512m",)), CONTEXT)
    assert found.remedy.kind is RemedyKind.FIX_COMMAND_OR_ARGS and "-Xmx512m" in found.root_cause


def test_oom_again_after_a_raise_on_the_new_template_escalates():
    context = dataclasses.replace(CONTEXT, last_remediation=RemediationNote(
        remedy="raise_memory_limit", container="app", template_hash="old-hash", previous={"memory_limit": "128Mi"}))
    found = registry.diagnose(_oom(), context)
    assert found.remedy.kind is RemedyKind.ESCALATE and "did not help" in found.root_cause


def test_oom_total_increase_is_capped_by_the_original_limit():
    context = dataclasses.replace(CONTEXT, last_remediation=RemediationNote(
        remedy="raise_memory_limit", container="app", template_hash="7c9d", original={"memory_limit/app": "64Mi"}))
    found = registry.diagnose(_oom(), context)  # 256Mi = 64Mi × 4: the total cap is reached
    assert found.remedy.kind is RemedyKind.ESCALATE


def _pull(message: str, waiting: str = "ErrImagePull"):
    image = message.split('"')[1] if message.count('"') >= 2 else "nginx:1.27"
    facts = container(image=image, waiting_reason=waiting, waiting_message=message, last_terminated=None,
                      restart_count=0)
    return evidence(containers=(facts,), category=Category.IMAGE_PULL, event_message=message)


@pytest.mark.parametrize("message, kind", [
    ('Failed to pull image "nginx:1.99": rpc error: code = NotFound desc = failed to pull and unpack image '
     '"docker.io/library/nginx:1.99": failed to resolve reference "docker.io/library/nginx:1.99": '
     'docker.io/library/nginx:1.99: not found', RemedyKind.FIX_IMAGE_REFERENCE),
    ('Failed to pull image "gcr.io/acme/api:v2": rpc error: code = Unknown desc = failed to pull and unpack image '
     '"gcr.io/acme/api:v2": failed to resolve reference "gcr.io/acme/api:v2": failed to authorize: failed to fetch '
     'oauth token: unexpected status: 401 Unauthorized', RemedyKind.ADD_IMAGE_PULL_SECRET),
    ('Failed to pull image "redis:7": rpc error: code = Unknown desc = failed to pull and unpack image '
     '"docker.io/library/redis:7": failed to copy: httpReadSeeker: failed open: unexpected status code '
     'https://registry-1.docker.io/v2/library/redis/manifests/sha256:abc: 429 Too Many Requests - Server message: '
     'toomanyrequests: You have reached your pull rate limit.', RemedyKind.ESCALATE),
    ('Failed to apply default image tag "Nginx:Latest": couldn\'t parse image reference "Nginx:Latest": '
     'invalid reference format: repository name must be lowercase', RemedyKind.FIX_IMAGE_REFERENCE),
    ('Failed to pull image "private/app:1": Error response from daemon: pull access denied for private/app, '
     "repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
     RemedyKind.FIX_IMAGE_REFERENCE),  # Docker Hub, no pull secret: a wrong name is the likelier cause
    ('Failed to pull image "registry.corp.example/team/app:1": pull access denied, repository does not exist or '
     'may require authorization: server message: insufficient_scope: authorization failed',
     RemedyKind.ADD_IMAGE_PULL_SECRET),  # a private registry: credentials
    ('Failed to pull image "quay.io/x/y:1": rpc error: code = Unknown desc = dial tcp: lookup quay.io on '
     '10.0.0.10:53: no such host', RemedyKind.ESCALATE),
])
def test_image_pull_failures_are_told_apart(message, kind):
    found = registry.diagnose(_pull(message), CONTEXT)
    assert found is not None and found.remedy.kind is kind, found


HARBOR_401 = ('Failed to pull image "harbor.example.com/ledger/api:3.1.0": rpc error: code = Unknown desc = failed '
              'to resolve reference "harbor.example.com/ledger/api:3.1.0": pulling from host harbor.example.com '
              'failed with status code [manifests 3.1.0]: 401 Unauthorized')
WORKER_PROVES_IT = PullSecretWitness(secret="harbor-pull", registry="harbor.example.com", pods=("ledger-worker-q7m2n",))


def test_an_auth_failure_with_a_pull_secret_proven_by_a_ready_pod_pins_the_remedy():
    found = registry.diagnose(dataclasses.replace(_pull(HARBOR_401), pull_secret=WORKER_PROVES_IT), CONTEXT)

    assert found.remedy.kind is RemedyKind.ADD_IMAGE_PULL_SECRET and found.remedy.image_pull_secret == "harbor-pull"
    assert "pod ledger-worker-q7m2n" in found.root_cause and WORKER_PROVES_IT.describe() in found.evidence


def test_an_auth_failure_without_a_witness_names_no_secret():
    found = registry.diagnose(_pull(HARBOR_401), CONTEXT)

    assert found.remedy.kind is RemedyKind.ADD_IMAGE_PULL_SECRET and found.remedy.image_pull_secret is None


def test_a_witness_does_not_turn_docker_hubs_ambiguous_denial_into_a_credential_fix():
    message = ('Failed to pull image "private/app:1": Error response from daemon: pull access denied for private/app, '
               "repository does not exist or may require 'docker login': denied: requested access to the resource "
               "is denied")
    hub = PullSecretWitness(secret="hub-pull", registry="docker.io", pods=("other",))

    found = registry.diagnose(dataclasses.replace(_pull(message), pull_secret=hub), CONTEXT)

    assert found.remedy.kind is RemedyKind.FIX_IMAGE_REFERENCE  # a wrong name is still the likelier cause


def test_missing_config_key_names_the_secret_and_key():
    message = "Error: couldn't find key password in Secret shop/db-credentials"
    facts = container(waiting_reason="CreateContainerConfigError", waiting_message=message[7:], last_terminated=None)
    found = registry.diagnose(
        evidence(containers=(facts,), category=Category.CONFIG_MISSING, event_message=message), CONTEXT)
    assert found.remedy.kind is RemedyKind.ADD_MISSING_CONFIG
    assert (found.remedy.config_kind, found.remedy.config_name, found.remedy.config_key) == ("Secret", "db-credentials",
                                                                                            "password")


def test_failed_mount_of_a_missing_configmap_names_it():
    message = 'MountVolume.SetUp failed for volume "config" : configmap "nginx-conf" not found'
    found = registry.diagnose(evidence(category=Category.MOUNT_FAILURE, event_message=message), CONTEXT)
    assert found.remedy.kind is RemedyKind.ADD_MISSING_CONFIG and found.remedy.config_name == "nginx-conf"


def test_run_as_non_root_against_a_root_image_is_a_security_context_fix():
    message = "Error: container has runAsNonRoot and image will run as root (pod: \"web_shop(1)\", container: app)"
    facts = container(waiting_reason="CreateContainerConfigError", waiting_message=message, last_terminated=None)
    found = registry.diagnose(
        evidence(containers=(facts,), category=Category.CONFIG_MISSING, event_message=message), CONTEXT)
    assert found.remedy.kind is RemedyKind.FIX_SECURITY_CONTEXT


@pytest.mark.parametrize("log, kind", [
    ("flag provided but not defined: -prot\nUsage of /app/server:\n", RemedyKind.FIX_COMMAND_OR_ARGS),
    ("exec /app/server: exec format error\n", RemedyKind.FIX_IMAGE_REFERENCE),
    ("Error: environment variable DATABASE_URL is not set\n", RemedyKind.ADD_MISSING_CONFIG),
    ("Traceback (most recent call last):\n  File \"app.py\", line 3\nKeyError: 'DATABASE_URL'\n",
     RemedyKind.ADD_MISSING_CONFIG),
    ("nginx: [emerg] mkdir() \"/var/cache/nginx/client_temp\" failed (13: Permission denied)\n",
     RemedyKind.FIX_SECURITY_CONTEXT),
    ("panic: open /etc/app/config.yaml: no such file or directory\n", RemedyKind.ADD_MISSING_CONFIG),
    ("psql: error: connection to server at \"db\" (10.0.0.5), port 5432 failed: Connection refused\n",
     RemedyKind.ESCALATE),
])
def test_crash_loops_are_classified_from_their_logs(log, kind):
    found = registry.diagnose(evidence(containers=(container(logs_previous=log),)), CONTEXT)
    assert found is not None and found.remedy.kind is kind, found


def test_a_one_shot_command_exiting_zero_under_a_deployment_is_a_command_fix():
    last = Termination(reason="Completed", exit_code=0, message="", started_at=None, finished_at=None)
    found = registry.diagnose(evidence(containers=(container(last_terminated=last, logs_previous="done\n"),)), CONTEXT)
    assert found.remedy.kind is RemedyKind.FIX_COMMAND_OR_ARGS and "Job" in found.root_cause


def test_an_unexplained_crash_is_left_to_the_model():
    log = "Traceback (most recent call last):\n  File \"app.py\", line 9, in main\nValueError: bad shard map\n"
    assert registry.diagnose(evidence(containers=(container(logs_previous=log, command=(), args=()),)), CONTEXT) is None


def _probe(message, **changes):
    facts = container(**changes)
    return evidence(containers=(facts,), category=Category.PROBE_FAILURE, event_message=message)


def test_probe_on_an_undeclared_port_is_a_probe_fix_proposal():
    probe = ProbeFacts("liveness", "httpGet", 8081, "/healthz", 0, 1, 10, 3)
    found = registry.diagnose(_probe('Liveness probe failed: Get "http://10.8.0.12:8081/healthz": dial tcp '
                                  '10.8.0.12:8081: connect: connection refused', probes=(probe,)), CONTEXT)
    assert found.remedy.kind is RemedyKind.FIX_PROBE and found.remedy.probe_port == 8080
    assert not found.remedy.touches_only_probe_timing()


def test_probe_answered_with_404_is_a_wrong_path():
    found = registry.diagnose(_probe("Liveness probe failed: HTTP probe failed with statuscode: 404"), CONTEXT)
    assert found.remedy.kind is RemedyKind.FIX_PROBE


def test_probe_answered_with_500_means_the_app_is_failing():
    found = registry.diagnose(_probe("Readiness probe failed: HTTP probe failed with statuscode: 503"), CONTEXT)
    assert found.remedy.kind is RemedyKind.ESCALATE


_LIVENESS_REFUSED = ('Liveness probe failed: Get "http://10.8.0.12:8080/actuator/health": dial tcp 10.8.0.12:8080: '
                     'connect: connection refused')
_SLOW_PROBE = ProbeFacts("liveness", "httpGet", 8080, "/actuator/health", 10, 1, 10, 3)  # a dead app: 41 s


def _killed_while_starting(log: str = "", run_seconds: int = 45):
    killed = Termination(reason="Error", exit_code=137, message="", started_at="2025-01-01T00:00:00Z",
                         finished_at=f"2025-01-01T00:00:{run_seconds:02d}Z")
    return _probe(_LIVENESS_REFUSED, probes=(_SLOW_PROBE,), logs_previous=log, last_terminated=killed)


def test_slow_start_killed_by_liveness_takes_one_step_from_the_kubelets_facts():
    found = registry.diagnose(_killed_while_starting(), CONTEXT)

    assert found.remedy.kind is RemedyKind.FIX_PROBE and found.remedy.touches_only_probe_timing()
    # initialDelaySeconds 10 + the 41 s detection time: detection doubles, no more.
    assert found.remedy.probe_initial_delay_seconds == 51 and found.confidence >= 90 and found.propose_only is None


def test_the_apps_own_log_never_sets_the_number_only_makes_it_a_proposal():
    log = "Started OrderServiceApplication in 150.2 seconds (process running for 151.0)\n"

    found = registry.diagnose(_killed_while_starting(log), CONTEXT)

    assert found.remedy.probe_initial_delay_seconds == 51 and "150 s" in found.propose_only


def test_a_log_that_says_start_up_fits_the_probe_is_no_slow_start():
    log = "Started OrderServiceApplication in 4.1 seconds (process running for 4.6)\n"

    found = registry.diagnose(_killed_while_starting(log), CONTEXT)

    assert found is None or found.remedy.probe_initial_delay_seconds is None


def test_a_container_that_ran_well_past_the_probe_was_not_killed_while_starting():
    ran_two_hours = Termination(reason="Error", exit_code=137, message="", started_at="2025-01-01T00:00:00Z",
                                finished_at="2025-01-01T02:00:00Z")

    found = registry.diagnose(_probe(_LIVENESS_REFUSED, probes=(_SLOW_PROBE,), last_terminated=ran_two_hours),
                              CONTEXT)

    assert found is None or found.remedy.probe_initial_delay_seconds is None


@pytest.mark.parametrize("message, kind", [
    ("0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption "
     "victims found for incoming pod.", RemedyKind.FIX_SCHEDULING),
    ("0/5 nodes are available: 2 node(s) had untolerated taint {dedicated: gpu}, 3 node(s) didn't match Pod's node "
     "affinity/selector. preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.",
     RemedyKind.FIX_SCHEDULING),
    ("0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are "
     "available: 3 Preemption is not helpful for scheduling.", RemedyKind.ESCALATE),
])
def test_unschedulable_reasons_are_parsed(message, kind):
    found = registry.diagnose(evidence(category=Category.UNSCHEDULABLE, event_message=message), CONTEXT)
    assert found.remedy.kind is kind
    if kind is RemedyKind.FIX_SCHEDULING:
        assert "scheduler" in found.root_cause


def test_eviction_of_a_container_over_its_request_proposes_a_bigger_request():
    message = ("The node was low on resource: memory. Threshold quantity: 100Mi, available: 92Mi. Container app was "
               "using 900Mi, request is 128Mi, has larger consumption of memory. ")
    found = registry.diagnose(evidence(category=Category.EVICTED, event_message=message), CONTEXT)
    assert found.remedy.kind is RemedyKind.RAISE_MEMORY_LIMIT and found.remedy.memory_request == "1080Mi"
    assert found.propose_only


def test_eviction_for_disk_pressure_escalates():
    message = "The node was low on resource: ephemeral-storage. Threshold quantity: 10Gi, available: 2Gi. "
    found = registry.diagnose(evidence(category=Category.EVICTED, event_message=message), CONTEXT)
    assert found.remedy.kind is RemedyKind.ESCALATE and "ephemeral-storage" in found.root_cause


def test_config_missing_falls_back_to_the_referenced_objects_that_do_not_exist():
    facts = container(config_refs=(ConfigRef("ConfigMap", "feature-flags", None, False, "envFrom"),),
                      waiting_reason="CreateContainerConfigError", waiting_message="", last_terminated=None)
    found = registry.diagnose(evidence(containers=(facts,), category=Category.CONFIG_MISSING, event_message="",
                                    config_objects={"ConfigMap/feature-flags": False}), CONTEXT)
    assert found.remedy.config_name == "feature-flags"


@pytest.mark.parametrize("log, kind", [
    ("Traceback (most recent call last):\nModuleNotFoundError: No module named 'flask'\n",
     RemedyKind.FIX_IMAGE_REFERENCE),
    ("node:internal/modules/cjs/loader:1080\nError: Cannot find module '/app/server.js'\n",
     RemedyKind.FIX_COMMAND_OR_ARGS),
    ("Error: listen EACCES: permission denied 0.0.0.0:80\n", RemedyKind.FIX_SECURITY_CONTEXT),
    ("panic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV]\n",
     RemedyKind.ESCALATE),
])
def test_more_crash_signatures(log, kind):
    found = registry.diagnose(evidence(containers=(container(logs_previous=log),)), CONTEXT)
    assert found is not None and found.remedy.kind is kind, found


def test_the_fatal_line_wins_over_an_earlier_warning():
    log = ("/docker-entrypoint.sh: can not modify /etc/nginx/conf.d/default.conf (read-only file system?)\n"
           "nginx: [emerg] mkdir() \"/var/cache/nginx/client_temp\" failed (13: Permission denied)\n")
    found = registry.diagnose(evidence(containers=(container(logs_previous=log),)), CONTEXT)
    assert found.remedy.kind is RemedyKind.FIX_SECURITY_CONTEXT and "permission" in found.root_cause


def test_eviction_for_the_pods_own_storage_limit_escalates_with_the_reason():
    message = "Pod ephemeral local storage usage exceeds the total limit of containers 1Gi. "
    found = registry.diagnose(evidence(category=Category.EVICTED, event_message=message), CONTEXT)
    assert found.remedy.kind is RemedyKind.ESCALATE and "ephemeral-storage limit" in found.root_cause


def test_sandbox_creation_failures_are_node_faults():
    message = ('Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox '
               '"abc": plugin type="calico" failed (add): error getting ClusterInformation: connection refused')
    event = evidence().event.model_copy(update={"reason": "FailedCreatePodSandBox", "message": message})
    found = registry.diagnose(evidence(category=Category.OTHER, event=event, event_message=message), CONTEXT)
    assert found.remedy.kind is RemedyKind.ESCALATE and "network plugin" in found.root_cause


_NOT_FOUND_PULL = ('Failed to pull image "registry.example.com/shop/web:1.4.2": rpc error: code = NotFound desc = '
                   'failed to pull and unpack image "registry.example.com/shop/web:1.4.2": '
                   "registry.example.com/shop/web:1.4.2: not found")


def _revision_running(image: str, *, available: int, number: int = 4):
    return Revision(name=f"web-{number}", number=number, replicas=2, available=available, created="",
                    template={"spec": {"containers": [{"name": "app", "image": image}]}})


def _pull_failing(**changes):
    facts = container(waiting_reason="ErrImagePull", waiting_message=_NOT_FOUND_PULL, restart_count=0,
                      last_terminated=None)
    return evidence(containers=(facts,), category=Category.IMAGE_PULL, event_message=_NOT_FOUND_PULL, **changes)


def test_a_reference_that_never_resolved_is_a_reference_fix():
    found = registry.diagnose(_pull_failing(), CONTEXT)

    assert found.remedy.kind is RemedyKind.FIX_IMAGE_REFERENCE


@pytest.mark.parametrize("proof", ["same revision available", "older revision available", "kubelet pulled it"])
def test_a_reference_this_workload_ran_before_was_removed_from_the_registry_and_goes_to_a_person(proof):
    image = "registry.example.com/shop/web:1.4.2"
    changes = {}
    if proof == "same revision available":
        changes["rollout"] = Rollout(current=_revision_running(image, available=1), newest=True, previous=None)
    elif proof == "older revision available":
        older = _revision_running(image, available=2, number=3)
        changes["rollout"] = Rollout(current=_revision_running(image, available=0), newest=False, previous=older,
                                     older=(older,))
    else:
        changes["events"] = (EventFacts(reason="Pulled", type="Normal", count=1, field_path="spec.containers{app}",
                                        message=f'Successfully pulled image "{image}" in 1.2s', annotations={},
                                        reporter="kubelet"),)

    found = registry.diagnose(_pull_failing(**changes), CONTEXT)

    assert found.remedy.kind is RemedyKind.ESCALATE and "not a typo" in found.root_cause


def test_an_older_revision_with_another_image_proves_nothing_about_this_one():
    older = _revision_running("registry.example.com/shop/web:1.4.1", available=2, number=3)
    rollout = Rollout(current=_revision_running("registry.example.com/shop/web:1.4.2", available=0), newest=False,
                      previous=older, older=(older,))

    found = registry.diagnose(_pull_failing(rollout=rollout), CONTEXT)

    assert found.remedy.kind is RemedyKind.FIX_IMAGE_REFERENCE
