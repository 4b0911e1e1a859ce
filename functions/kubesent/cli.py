"""``python -m kubesent diagnose``: ask KubeSent about a failing pod from a terminal (DESIGN.md, on-demand).

``diagnose NAMESPACE/POD`` reads the pod with the function's cluster settings and prints a report (or, with
``--json``, the replay contract's keys). ``--namespace NS`` or ``--all-namespaces`` scans the pods failing
now, diagnoses each (progress on stderr) and ends with a summary table. Read-only unless ``--apply``, which
runs the event pipeline's policy and safe write path (``KUBESENT_DRY_RUN`` still honoured). Exit status: 0
when nothing needs a person, 1 when something does (or the cluster could not be read), 2 on usage errors.
"""

from __future__ import annotations

import argparse
import json
import textwrap
from typing import Any, TextIO

import yaml

from kubesent import errors, ondemand, triage, wiring
from kubesent.cluster.api import Cluster
from kubesent.settings import Settings

EXIT_OK, EXIT_NEEDS_PERSON, EXIT_USAGE = 0, 1, 2
WIDTH = 100  # a terminal's width for wrapped root causes and reasons
RULE = "─" * WIDTH
# Summary table columns: (heading, width); the pod column takes what is left.
COLUMNS = (("FAILURE", 26), ("CATEGORY", 16), ("REMEDY", 22), ("ACTION", 10), ("CONF", 4))


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("diagnose", help="diagnose a failing pod (or scan a namespace) in a live cluster")
    parser.add_argument("pod", nargs="?", help="NAMESPACE/POD")
    parser.add_argument("--container", help="the container to diagnose (default: the failing one)")
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--namespace", "-n", help="scan the pods failing now in this namespace")
    scope.add_argument("--all-namespaces", "-A", action="store_true", help="scan the pods failing now everywhere")
    parser.add_argument("--json", action="store_true", help="print the replay contract's keys, one line per pod")
    parser.add_argument("--kubeconfig", help="kubeconfig file (sets KUBESENT_KUBE_MODE=kubeconfig)")
    parser.add_argument("--context", help="kubeconfig context")
    parser.add_argument("--apply", action="store_true",
                        help="carry out the decision through the policy and the safe write path "
                             "(KUBESENT_DRY_RUN still applies)")


def settings_for(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if args.kubeconfig:
        overrides |= {"kube_mode": "kubeconfig", "kube_config_file": args.kubeconfig}
    if args.context:
        overrides["kube_context"] = args.context
        if not args.kubeconfig:
            overrides["kube_mode"] = "kubeconfig"
    if not args.apply:
        overrides["ledger"] = "memory"  # read-only: nothing is claimed, so no Firestore is needed
    return Settings(**overrides)


def run(args: argparse.Namespace, *, out: TextIO, err: TextIO) -> int:
    scan = args.namespace is not None or args.all_namespaces
    if scan == bool(args.pod) or (args.pod and args.pod.count("/") != 1):
        print("kubesent diagnose: give NAMESPACE/POD, or --namespace NS, or --all-namespaces", file=err)
        return EXIT_USAGE
    try:
        settings = settings_for(args)
        cluster = wiring.build_cluster(settings)
        diagnoser = wiring.build_diagnoser(settings)
        ledger = wiring.build_ledger(settings) if args.apply else None
        if scan:
            return _scan(cluster, settings=settings, diagnoser=diagnoser, ledger=ledger, args=args, out=out, err=err)
        namespace, name = args.pod.split("/")
        pod = cluster.read(api_version="v1", kind="Pod", namespace=namespace, name=name)
        analysis = ondemand.analyze(pod, cluster=cluster, settings=settings, diagnoser=diagnoser, ledger=ledger,
                                    container=args.container, apply=args.apply)
    except errors.NotFound as exc:
        print(f"kubesent diagnose: {exc}", file=err)
        return EXIT_USAGE
    except errors.KubeSentError as exc:
        print(f"kubesent diagnose: {type(exc).__name__}: {exc}", file=err)
        return EXIT_NEEDS_PERSON
    out.write((json.dumps(analysis.replay_keys(), separators=(",", ":")) if args.json else report(analysis)) + "\n")
    return EXIT_NEEDS_PERSON if analysis.needs_person else EXIT_OK


def _scan(cluster: Cluster, *, settings: Settings, diagnoser: Any, ledger: Any, args: argparse.Namespace,
          out: TextIO, err: TextIO) -> int:
    pods = cluster.list_pods(namespace=None if args.all_namespaces else args.namespace)
    failing = [pod for pod in pods if triage.failure(pod, container=args.container) is not None]
    print(f"{len(failing)} of {len(pods)} pods are failing now", file=err)
    analyses: list[ondemand.Analysis] = []
    for index, pod in enumerate(failing, start=1):
        meta = pod.get("metadata") or {}
        print(f"[{index}/{len(failing)}] {meta.get('namespace')}/{meta.get('name')}", file=err, flush=True)
        try:
            analysis = ondemand.analyze(pod, cluster=cluster, settings=settings, diagnoser=diagnoser, ledger=ledger,
                                        container=args.container, apply=args.apply)
        except errors.TransientError as exc:
            print(f"  skipped: {exc}", file=err)
            continue
        analyses.append(analysis)
        out.write((json.dumps(analysis.replay_keys(), separators=(",", ":")) if args.json
                   else report(analysis)) + "\n")
    if not args.json:
        out.write(table(analyses) + "\n")
    skipped = len(failing) - len(analyses)
    return EXIT_NEEDS_PERSON if skipped or any(a.needs_person for a in analyses) else EXIT_OK


def _wrap(label: str, text: str) -> str:
    return textwrap.fill(text, width=WIDTH, initial_indent=f"  {label:<12} ", subsequent_indent=" " * 15,
                         break_on_hyphens=False, break_long_words=False)


def report(analysis: ondemand.Analysis) -> str:
    """One pod's block, in the demo's shape: what failed, the evidence, the diagnosis, the decision, the patch."""
    record = analysis.record
    lines = [RULE, f"{analysis.pod}: {analysis.failure or 'not failing'}"]
    lines += [_wrap("evidence:", item) for item in record.evidence]
    if record.remedy:
        lines.append(_wrap("diagnosis:", f"{record.category} → {record.remedy} (confidence {record.confidence}, "
                                         f"by {record.diagnosed_by})"))
    if record.root_cause:
        lines.append(_wrap("root cause:", record.root_cause))
    lines.append(_wrap("decision:", f"{record.action.upper()}: {record.reason}"))
    if record.target:
        lines.append(f"  {'target:':<12} {record.target.kind} {record.target.namespace}/{record.target.name}")
    if record.patch:
        lines.append(f"  {'patch:':<12}")
        lines += ["    " + line for line in yaml.safe_dump(record.patch, sort_keys=False).splitlines()]
    return "\n".join(lines)


def table(analyses: list[ondemand.Analysis]) -> str:
    pod_width = max([len("POD")] + [len(a.pod) for a in analyses])
    heading = "  ".join([f"{'POD':<{pod_width}}", *(f"{name:<{width}}" for name, width in COLUMNS)])
    rows = [RULE, heading.rstrip()]
    for analysis in analyses:
        keys = analysis.replay_keys()
        cells = (analysis.failure or "-", keys["category"], keys["remedy"], keys["action"], str(keys["confidence"]))
        rows.append("  ".join([f"{analysis.pod:<{pod_width}}",
                               *(f"{cell[:width]:<{width}}" for cell, (_, width) in zip(cells, COLUMNS, strict=True))
                               ]).rstrip())
    needs = sum(1 for a in analyses if a.needs_person)
    rows.append(f"{len(analyses)} diagnosed; {needs} need a person")
    return "\n".join(rows)
