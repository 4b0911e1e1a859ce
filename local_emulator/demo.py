"""``make demo``: the whole KubeSent loop on one machine, with no cloud and no cluster.

    .venv/bin/python -m local_emulator.demo                      # the Kubernetes API sandbox
    .venv/bin/python -m local_emulator.demo --kubeconfig [--context minikube] [--wait 600]
    .venv/bin/python -m local_emulator.demo --controlplane          # a real kube-apiserver (make demo-controlplane)

Sandbox mode starts the Pub/Sub and Firestore emulators, the Kubernetes API sandbox and the
function under functions-framework; seeds the scenarios of ``local_emulator/scenarios/`` as a
node would report them; publishes each exporter event; waits for the function's audit lines and
prints what failed, the evidence, the diagnosis, the decision, the patch and whether the pod
recovered; then ticks the verifier (kubesent_verify) until the OOM fix is verified. Part two: a
proposal approved through its signed link, and a bad rollout rolled back after approval and verified.
Kubeconfig mode runs the same emulators and function against the current kubeconfig context and
waits for events from a real kubernetes-event-exporter (it applies nothing itself).

Everything started is stopped on exit, on failure and on Ctrl-C or SIGTERM. The exit status is 0
only when every expected outcome was reached (or, against a cluster, when an incident arrived).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from local_emulator import auditlog, exporter_event, incidents, report
from local_emulator.stack import PROJECT, TOPIC, Stack, StackOptions

# Every incident is judged within a second or two; generous for a loaded machine and for the
# transient faults that Pub/Sub redelivers after its 1 s minimum backoff.
OUTCOME_TIMEOUT_SECONDS = 45.0
# The sandbox's controller rolls out the patched template synchronously; the wait covers the
# function's reply reaching the log after the write.
RECOVERY_TIMEOUT_SECONDS = 10.0
# The verifier in the demo: a short settle window (the cloud's default is 5 minutes) and a tick every two seconds
# (Cloud Scheduler's is a minute), so the OOM fix is verified within seconds.
VERIFY_ENV = {"KUBESENT_VERIFY_SETTLE_SECONDS": "5", "KUBESENT_VERIFY_INTERVAL_SECONDS": "2"}
VERIFY_TICK_SECONDS = 2.0
VERIFY_TIMEOUT_SECONDS = 60.0
# Part two (a proposal approved over HTTP) starts its own sandbox: seconds, generous for a loaded machine.
PEOPLE_TIMEOUT_SECONDS = 120.0
# Against a real cluster: how long to wait for the exporter's events by default (Ctrl-C ends sooner).
CLUSTER_WAIT_SECONDS = 600.0
# The minikube exporter overlay publishes to host.minikube.internal:8085 (exporter-config/overlays/minikube).
MINIKUBE_PUBSUB_PORT = 8085
ALL_INTERFACES = "0.0.0.0"
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130  # the shell's convention for SIGINT

SANDBOX_BANNER = """\
KubeSent demo against the Kubernetes API SANDBOX: a fake API server inside this process, not a real
cluster. Pod status, logs and events are written the way a node reports them; nothing runs.
Real services: the gcloud Pub/Sub and Firestore emulators, and the function under functions-framework."""


def _terminate_as_interrupt(signum: int, frame: FrameType | None) -> None:
    del signum, frame
    raise KeyboardInterrupt


def _outcome(stack: Stack, seeded: incidents.Seeded, record: auditlog.LogRecord | None) -> tuple[bool, str]:
    """Whether the expected outcome was reached, and what happened to the workload afterwards."""
    assert stack.sandbox is not None
    expected = seeded.incident.expected
    if record is None:
        return False, "the function never judged this event"
    ok = record.action == expected.action and record.fields.get("remedy") == expected.remedy
    kind = "Pod" if seeded.incident.bare else "Deployment"
    path = f"/pods/{seeded.pod_name}" if seeded.incident.bare else f"/deployments/{seeded.deployment_name}"
    writes = [write for write in stack.sandbox.writes() if path in write["path"]]
    if not expected.recovers:
        if writes:
            return False, f"unexpected: {len(writes)} write(s) to {kind} {seeded.deployment_name}"
        return ok, "nothing was written to the cluster (a proposal: a person decides)"
    deadline = time.monotonic() + RECOVERY_TIMEOUT_SECONDS
    pod = incidents.recovered_pod(stack.sandbox, seeded)
    while pod is None and time.monotonic() < deadline:
        time.sleep(0.2)
        pod = incidents.recovered_pod(stack.sandbox, seeded)
    limits = ((pod or {}).get("spec", {}).get("containers", [{}])[0].get("resources") or {}).get("limits") or {}
    if seeded.incident.bare:
        if pod is None:
            return False, "the resized pod is not Running and Ready (did not recover)"
        return ok, (f"the pod was resized in place (pods/{seeded.pod_name}/resize) and the sandbox's kubelet "
                    f"restarted its container: Running and Ready with limits {limits}, QoS "
                    f"{(pod.get('status') or {}).get('qosClass')}")
    if pod is None:
        return False, "the patched Deployment has no Running and Ready pod (did not recover)"
    return ok, (f"the sandbox's deployment controller rolled out the patched template: new pod "
                f"{pod['metadata']['name']} is Running and Ready with limits {limits}; old pod "
                f"{seeded.pod_name} is Terminating")


def _people_in_the_loop() -> bool:
    """Part two: a proposal's notification and its approval over HTTP (local_emulator/people_demo.py).

    Its own process with ``functions/`` on the path, as the function's code runs."""
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root / "functions")}
    result = subprocess.run([sys.executable, "-m", "local_emulator.people_demo"], cwd=root, env=env, check=False,
                            timeout=PEOPLE_TIMEOUT_SECONDS)
    return result.returncode == 0


def _verified(stack: Stack, records: list[auditlog.LogRecord]) -> bool:
    """Tick the verifier (Cloud Scheduler's job) until every fix written to a workload has its outcome."""
    assert stack.verifier is not None
    written = {str(r.fields.get("incident_id")): r for r in records if r.message == auditlog.INCIDENT
               and r.fields.get("action") == "applied" and (r.fields.get("target") or {}).get("kind") != "Pod"}
    print(f"{report.RULE}\nVerifying {len(written)} fix(es) written to a workload: the verifier "
          f"(kubesent_verify, pushed from {PROJECT}/topics/kubesent-verify-ticks) waits for the rollout and a "
          f"{VERIFY_ENV['KUBESENT_VERIFY_SETTLE_SECONDS']} s settle window...", flush=True)
    outcomes: dict[str, auditlog.LogRecord] = {}
    deadline = time.monotonic() + VERIFY_TIMEOUT_SECONDS
    while written and len(outcomes) < len(written) and time.monotonic() < deadline:
        stack.tick()
        time.sleep(VERIFY_TICK_SECONDS)
        outcomes = {str(r.fields.get("incident_id")): r for r in stack.verifier.records()
                    if r.message == auditlog.INCIDENT and str(r.fields.get("incident_id")) in written}
    for incident_id, record in written.items():
        checked = outcomes.get(incident_id)
        print(report.verification(record, checked))
    return bool(written) and all(((r.fields.get("verification") or {}).get("outcome")) == "verified"
                                 for r in outcomes.values()) and len(outcomes) == len(written)


def run_sandbox() -> int:
    print(SANDBOX_BANNER, flush=True)
    started = time.monotonic()
    stack = Stack(StackOptions(log_name="demo-function", verifier=True, extra_env=dict(VERIFY_ENV)))
    try:
        stack.start()
        assert stack.sandbox is not None and stack.admin is not None and stack.function is not None
        print(f"\nsandbox {stack.sandbox.url} · Pub/Sub {stack.pubsub.host_port if stack.pubsub else '?'} · "
              f"Firestore {stack.firestore.host_port if stack.firestore else '?'} · function {stack.function.url}"
              f"  (ready in {time.monotonic() - started:.1f} s)", flush=True)
        seeded = incidents.seed(stack.sandbox, incidents.ALL_INCIDENTS)
        stack.admin.publish(TOPIC, [exporter_event.message_data(item.event) for item in seeded])
        print(f"published {len(seeded)} exporter events to projects/{PROJECT}/topics/{TOPIC}; waiting for the "
              "function...", flush=True)
        pods = [item.pod_name for item in seeded]
        records = stack.wait_for(lambda found: all(auditlog.for_pod(found, pod) for pod in pods),
                                 timeout=OUTCOME_TIMEOUT_SECONDS)
        results: list[tuple[str, bool]] = []
        for item in seeded:
            matching = auditlog.for_pod(records, item.pod_name)
            record = matching[-1] if matching else None
            ok, recovery = _outcome(stack, item, record)
            expected = item.incident.expected
            print(report.incident(item.incident.title, record, recovery=recovery, ok=ok,
                                  expected=f"{expected.action} {expected.remedy}"))
            results.append((item.incident.name, ok))
        verified = _verified(stack, records)
        problems = [record for record in records if record.message != auditlog.INCIDENT]
        for problem in problems:
            print(f"  note: {problem.message}: {problem.fields.get('detail', '')}")
        merged = auditlog.merged_lines(stack.function.output())
        if merged:
            print(f"  note: {len(merged)} function log line(s) hold more than one JSON object (concurrent "
                  "handlers' lines ran together)")
        print(report.summary(results, seconds=time.monotonic() - started, log_path=str(stack.function.log_path)))
        people = _people_in_the_loop()
        return 0 if all(ok for _, ok in results) and verified and people else EXIT_FAILED
    except KeyboardInterrupt:
        print("\ninterrupted: stopping everything", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        stack.stop()


CLUSTER_INSTRUCTIONS = """\
KubeSent against the kubeconfig context {context}: the emulators and the function run here; the
cluster is real. KubeSent applies nothing to set it up. In another terminal:

  kubectl apply -f local_emulator/scenarios/
  kubectl apply -k exporter-config/overlays/minikube

The exporter publishes to Pub/Sub at host.minikube.internal:{port} (this machine). Waiting up to
{wait:.0f} s for incidents (Ctrl-C to stop). Dry-run: {dry_run}."""


def _kubeconfig_problem(context: str) -> str | None:
    """Why the function could not reach the cluster through kubeconfig, checked before starting anything."""
    import kubernetes  # only this path needs it, and only to read the kubeconfig

    try:
        contexts, active = kubernetes.config.list_kube_config_contexts()  # type: ignore[no-untyped-call]
    except (kubernetes.config.ConfigException, OSError) as exc:
        return f"no usable kubeconfig ({exc}); start minikube first (minikube start)"
    names = [entry["name"] for entry in contexts]
    if context and context not in names:
        return f"kubeconfig has no context {context!r} (it has: {', '.join(names)})"
    if not context and not active:
        return "kubeconfig has no current context; pass --context"
    return None


def run_cluster(*, context: str, wait: float, dry_run: bool) -> int:
    problem = _kubeconfig_problem(context)
    if problem is not None:
        print(f"cannot run against a cluster: {problem}", file=sys.stderr)
        return EXIT_FAILED
    stack = Stack(StackOptions(kube_mode="kubeconfig", kube_context=context, pubsub_host=ALL_INTERFACES,
                               pubsub_port=MINIKUBE_PUBSUB_PORT, dry_run=dry_run, log_name="cluster-function"))
    seen = 0
    try:
        stack.start()
        print(CLUSTER_INSTRUCTIONS.format(context=context or "(current)", port=MINIKUBE_PUBSUB_PORT, wait=wait,
                                          dry_run=dry_run), flush=True)
        deadline = time.monotonic() + wait
        printed = 0
        while time.monotonic() < deadline:
            assert stack.function is not None
            records = stack.function.records()
            for record in records[printed:]:
                if record.message == auditlog.INCIDENT:
                    seen += 1
                    print(report.incident(f"incident {seen}", record, ok=record.action != "escalated", expected="",
                                          recovery="check the workload: kubectl get pods -n demo -w"), flush=True)
                else:
                    print(f"{record.message}: {record.fields.get('detail', '')}", flush=True)
            printed = len(records)
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping everything", file=sys.stderr)
    finally:
        stack.stop()
    print(f"{seen} incident(s) judged.")
    return 0 if seen else EXIT_FAILED


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_emulator.demo", description=__doc__.split("\n")[0])
    parser.add_argument("--kubeconfig", action="store_true",
                        help="use the current kubeconfig context (a real cluster, e.g. minikube) instead of the "
                             "sandbox")
    parser.add_argument("--context", default="", help="kubeconfig context (with --kubeconfig)")
    parser.add_argument("--controlplane", action="store_true",
                        help="run the OOM incident on a real kube-apiserver built from source (make controlplane)")
    parser.add_argument("--wait", type=float, default=CLUSTER_WAIT_SECONDS,
                        help="seconds to wait for events from a real cluster (with --kubeconfig)")
    parser.add_argument("--dry-run", action="store_true", help="with --kubeconfig: propose only, never patch")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate_as_interrupt)  # run the finally blocks on `kill` too
    try:
        if args.controlplane:
            from local_emulator import controlplane_demo

            return controlplane_demo.run()
        if args.kubeconfig:
            return run_cluster(context=args.context, wait=args.wait, dry_run=args.dry_run)
        return run_sandbox()
    except Exception as exc:  # everything started is stopped by now; say what failed, briefly
        print(f"demo failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
