"""Typed settings from the environment: the only reader of ``os.environ`` in KubeSent.

Read once per instance (``Settings()``) and passed down; no module reads the environment on import.
Names are ``KUBESENT_*`` except ``GEMINI_API_KEY`` (DESIGN.md contract). Lists are comma-separated.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from kubesent import quantity

# The remedies that may ever be applied without a person (DESIGN.md contract).
DEFAULT_AUTO_APPLY = ("raise_memory_limit", "raise_cpu_limit", "fix_probe")
# Control-plane namespaces: never touched, even in a proposal's patch.
DEFAULT_NAMESPACE_DENY = ("kube-system", "kube-public", "kube-node-lease", "gke-*")

CommaList = Annotated[tuple[str, ...], NoDecode]


class Settings(BaseSettings):
    """Every knob of KubeSent, with the reason for its default."""

    model_config = SettingsConfigDict(env_prefix="KUBESENT_", extra="ignore", frozen=True)

    # --- safety -----------------------------------------------------------------------------------
    dry_run: bool = True
    """Never write to the cluster; decisions that would apply end as ``dry_run``. Opt out explicitly."""
    confidence_threshold: int = Field(90, ge=0, le=100)
    """Below this a diagnosis is only proposed: a wrong automatic patch costs more than a late one."""
    auto_apply_remedies: CommaList = DEFAULT_AUTO_APPLY
    """Remedy kinds that may be applied; anything else is a proposal at most."""
    namespaces_allow: CommaList = ("*",)
    """Namespaces (fnmatch patterns) KubeSent may patch; ``*`` means all that the deny-list leaves."""
    namespaces_deny: CommaList = DEFAULT_NAMESPACE_DENY
    """Namespaces never patched, even if allowed: the control plane is not ours to heal."""
    memory_ceiling: str = "4Gi"
    """Hard ceiling for any memory limit KubeSent writes; beyond it a person decides."""
    cpu_ceiling: str = "4"
    """Hard ceiling for any CPU limit KubeSent writes."""
    max_increase_factor: float = Field(2.0, gt=1.0, le=10.0)
    """A single bump may at most multiply a limit by this (or add the VPA's 100Mi margin, if larger)."""
    max_total_increase_factor: float = Field(4.0, gt=1.0, le=50.0)
    """Across repeated remediations, a limit never grows past original × this."""

    # --- events -----------------------------------------------------------------------------------
    max_event_age_seconds: int = Field(900, ge=10)
    """Older events are dropped: after 15 minutes the pod has moved on, and redeliveries of a backlog
    must not patch a workload on stale facts. The exporter itself drops events older than 5 s at send."""
    cluster_name: str = ""
    """Cluster name used when the exporter's ``clusterName`` is empty; part of every incident key."""

    # --- cluster access ---------------------------------------------------------------------------
    kube_mode: Literal["auto", "kubeconfig", "incluster", "explicit", "gke"] = "auto"
    """How to reach the API: ``auto`` tries in-cluster, then kubeconfig."""
    kube_context: str = ""
    """kubeconfig context for ``kubeconfig`` mode; empty means the current context."""
    kube_config_file: str = ""
    """kubeconfig file for ``kubeconfig`` mode (``kubesent diagnose --kubeconfig``); empty means the client's
    default (``$KUBECONFIG``, then ``~/.kube/config``)."""
    kube_host: str = ""
    """API server URL for ``explicit`` mode (and the sandbox)."""
    kube_ca_file: str = ""
    """CA bundle for ``explicit`` mode; empty with an https host means the system store."""
    kube_token_file: str = ""
    """Bearer token file for ``explicit`` mode (never the token itself: it would land in logs)."""
    kube_timeout_seconds: float = Field(10.0, gt=0)
    """Per-request timeout to the API server, well inside the function's deadline."""
    memory_metrics: Literal["none", "prometheus", "cloud_monitoring"] = "none"
    """Where to read a container's memory over its life after an OOM kill: with a trend, a raise can rest
    on a plateau at the limit and a leak is told apart; without one, only the start-up shape is raised."""
    prometheus_url: str = ""
    """A Prometheus-compatible query API (``http://prometheus.monitoring:9090``) for ``prometheus``."""
    prometheus_cluster_label: str = ""
    """The label that names the cluster in a Prometheus shared by several (``cluster``); empty: none."""
    monitoring_project: str = ""
    """The project whose Cloud Monitoring holds the cluster's metrics; default: the GKE cluster's project."""
    monitoring_endpoint: str = ""
    """Send Cloud Monitoring calls elsewhere (a proxy, a local fake); default: the SDK's endpoint."""
    gke_cluster: str = ""
    """``projects/P/locations/L/clusters/C`` for ``gke`` mode."""
    gke_endpoint: Literal["dns", "ip"] = "dns"
    """GKE control-plane endpoint: DNS-based (works for private clusters) or the IP endpoint with its CA."""
    container_api_endpoint: str = "https://container.googleapis.com"
    """The GKE ``container`` API; overridden in tests to a local fake."""
    log_tail_lines: int = Field(200, ge=1, le=5000)
    """Lines of each container log read; the end of a log holds the crash."""
    log_limit_bytes: int = Field(65536, ge=1024)
    """Byte cap on each log read, so one chatty container cannot blow the function's memory."""

    # --- diagnosis --------------------------------------------------------------------------------
    rules: Literal["on", "none"] = "on"
    """``none`` sends every incident to the model, to evaluate the model path alone (DESIGN.md contract);
    the policy still judges its answers exactly as a rule's."""
    llm: Literal["none", "gemini", ""] = ""
    """``gemini`` or ``none``; empty means gemini when a key or Vertex is configured, else none."""
    gemini_api_key: SecretStr | None = Field(None, validation_alias="GEMINI_API_KEY")
    """Key for local runs. In the cloud the key comes from Secret Manager instead."""
    gemini_api_key_secret: str = ""
    """Secret Manager resource name of the key: ``projects/P/secrets/S/versions/V``."""
    gemini_vertex: bool = False
    """Use Vertex AI with the service account's credentials instead of an API key."""
    gemini_vertex_project: str = ""
    """Vertex AI project (defaults to the function's project)."""
    gemini_vertex_location: str = "us-central1"
    """Vertex AI region."""
    gemini_base_url: str = ""
    """Another Gemini endpoint: a proxy or a local fake. Empty means the SDK's default."""
    gemini_model: str = "gemini-2.5-flash"
    """A current Flash model: cheap and fast enough for a per-incident call."""
    gemini_timeout_seconds: float = Field(20.0, gt=0)
    """Per-attempt model timeout; attempts × timeout stays inside the function's deadline."""
    gemini_max_attempts: int = Field(3, ge=1, le=6)
    """Attempts on 429/5xx/timeout before giving up (raise if fresh, else escalate)."""
    prompt_log_chars: int = Field(8000, ge=500)
    """Token budget for logs in the prompt (~2k tokens)."""
    model_calls_per_hour: int = Field(50, ge=0)
    """Model calls allowed per UTC hour across all instances (the ledger counts them). One incident costs at
    most one call and rules decide most (97 % of the corpus), so 50 lets a bad rollout across many workloads be
    diagnosed while stopping a runaway loop within the hour. Past it, what only the model could decide escalates."""
    model_calls_per_day: int = Field(300, ge=0)
    """Model calls allowed per UTC day across all instances: at ~2k prompt tokens a call, Flash costs well under
    a dollar a day at this cap, and it stops the failure seen elsewhere (3,100 calls a day for a few results)
    at a tenth of that."""
    secret_manager_endpoint: str = ""
    """Secret Manager REST endpoint override for tests; empty means Google's."""

    # --- ledger -----------------------------------------------------------------------------------
    ledger: Literal["memory", "firestore"] = "firestore"
    """``firestore`` in production (shared across instances); ``memory`` only for a single process."""
    gcp_project: str = Field("", validation_alias="GOOGLE_CLOUD_PROJECT")
    """Google Cloud project of Firestore, Vertex and Secret Manager."""
    firestore_database: str = "(default)"
    """Firestore database id."""
    firestore_collection: str = "kubesent-incidents"
    """Collection prefix of the ledger; Terraform sets the TTL policy on it."""
    ledger_ttl_days: int = Field(30, ge=1)
    """Audit and incident documents expire after this many days (Firestore TTL on ``expireAt``)."""
    claim_lease_seconds: int = Field(300, ge=30)
    """A claim left by a crashed handler expires after this: longer than the function's 120 s timeout."""
    cooldown_seconds: int = Field(1800, ge=0)
    """After a remediation, same-failure incidents from pre-patch pods are ignored this long: a
    Deployment rollout (progressDeadlineSeconds defaults to 600 s) needs time to replace them."""
    recurrence_window_seconds: int = Field(86400, ge=60)
    """The same failure on the patched template within this window means the fix did not work."""
    breaker_namespace_workloads: int = Field(5, ge=1)
    """More failing workloads than this in one namespace within the window is systemic."""
    breaker_cluster_namespaces: int = Field(5, ge=1)
    """More namespaces with failing workloads than this in the cluster within the window is systemic
    (a bad node pool, a registry outage). Namespaces, not workloads: one tenant's storm must not pause
    everyone; it holds its own namespace."""
    breaker_window_seconds: int = Field(300, ge=10)
    """Window of the circuit breaker."""

    # --- storms -----------------------------------------------------------------------------------
    duplicate_ttl_seconds: int = Field(60, ge=0)
    """How long an instance answers repeats of a decided incident's events from memory, without a cluster read
    or a ledger call. Short: it only has to outlast a storm's burst, and a pod whose failure changes under the
    same event reason is looked at again after it. 0 turns the fast path off."""
    duplicate_cache_entries: int = Field(10000, ge=1)
    """Event keys the fast path remembers per instance (LRU); ~200 bytes each, so about 2 MB at most."""
    duplicate_flush_seconds: int = Field(30, ge=1)
    """Duplicates answered in memory are added to the incident's ``duplicates`` counter in the ledger at most
    once per incident and this interval: one write per storm and interval instead of one per event."""

    # --- verification (``verify``, the ``kubesent_verify`` function) --------------------------------
    verify_settle_seconds: int = Field(300, ge=0)
    """The patched workload's new pods must stay Ready, without a restart, this long before the fix counts as
    verified: an OOM that needs a few minutes of traffic shows up inside it."""
    verify_deadline_seconds: int = Field(600, ge=30)
    """For a StatefulSet or DaemonSet (no ``progressDeadlineSeconds``): past this, an unfinished rollout is
    stalled. A Deployment uses its own ``progressDeadlineSeconds`` (600 s by default, as here)."""
    verify_interval_seconds: int = Field(60, ge=1)
    """How long after a check a rollout that is still moving is looked at again (the trigger's period)."""
    verify_batch: int = Field(50, ge=1, le=500)
    """Checks per verifier run; the rest wait for the next tick."""
    verify_undo: bool = True
    """Restore the pre-patch values when a fix made things worse or stalled the rollout, and KubeSent's
    change is still the last one. False: only escalate."""

    # --- reporting --------------------------------------------------------------------------------
    report_topic: str = ""
    """Optional Pub/Sub topic (``projects/P/topics/T``) that receives every audit record."""

    apply_managers_allowed: CommaList = ("kubectl", "kubectl-client-side-apply", "helm", "kubesent")
    """Server-side-apply field managers that are people's tools, not reconcilers: a template they applied
    may still be patched. Any other Apply manager of the template makes the workload GitOps-managed."""

    @field_validator("memory_ceiling", "cpu_ceiling")
    @classmethod
    def _a_quantity(cls, value: str) -> str:
        try:
            if quantity.parse(value) > 0:
                return value
        except quantity.QuantityError:
            pass
        raise ValueError(f"{value!r} is not a positive Kubernetes quantity (e.g. 4Gi, 2500m)")

    @field_validator("auto_apply_remedies", "namespaces_allow", "namespaces_deny", "apply_managers_allowed",
                     mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("auto_apply_remedies")
    @classmethod
    def _only_contract_kinds(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        extra = set(value) - set(DEFAULT_AUTO_APPLY)
        if extra:
            raise ValueError(f"only {', '.join(DEFAULT_AUTO_APPLY)} may ever be applied automatically; "
                             f"remove {', '.join(sorted(extra))}")
        return value

    @model_validator(mode="after")
    def _resolve_llm(self) -> Settings:
        if self.llm == "":
            keyed = self.gemini_api_key is not None or bool(self.gemini_api_key_secret)
            object.__setattr__(self, "llm", "gemini" if keyed or self.gemini_vertex else "none")
        return self


class NotifySettings(BaseSettings):
    """The notifier's and the approval endpoint's knobs (``kubesent_notify``, ``kubesent_approve``).

    Every sink is off until its address is set. A secret (a webhook URL is one: whoever holds it can
    post) comes from Secret Manager (``*_SECRET``: ``projects/P/secrets/S``) in the cloud, or from the
    plain variable for local runs; the Secret Manager name wins when both are set.
    """

    model_config = SettingsConfigDict(env_prefix="KUBESENT_", extra="ignore", frozen=True)

    gcp_project: str = Field("", validation_alias="GOOGLE_CLOUD_PROJECT")
    """The project whose Cloud Logging holds the audit lines: the incident link opens a query there."""
    logging_console_url: str = "https://console.cloud.google.com/logs/query"
    """The Logs Explorer; the incident link adds a query on the incident id."""
    approval_url: str = ""
    """The public URL of ``kubesent_approve``; empty: messages carry no Approve/Reject links."""
    approval_key: SecretStr | None = None
    """HMAC key of approval links (local runs); at least 32 random bytes."""
    approval_key_secret: str = ""
    """Secret Manager name of the approval key."""
    approval_ttl_seconds: int = Field(6 * 3600, ge=60, le=7 * 86400)
    """An approval link expires after this: a proposal older than a working day rests on old facts."""
    notify_timeout_seconds: float = Field(5.0, gt=0)
    """Per-request timeout to a sink; attempts × timeout stays well inside the function's deadline."""
    notify_attempts: int = Field(3, ge=1, le=5)
    """Tries per sink on a 5xx, 429 or timeout before the message is left to Pub/Sub's redelivery."""
    notify_actions: Annotated[tuple[str, ...], NoDecode] = ("proposed", "escalated", "applied", "dry_run")
    """The actions that reach people; ``ignored`` is noise."""

    webhook_url: str = ""
    """A generic webhook receiving signed JSON."""
    webhook_signing_key: SecretStr | None = None
    webhook_signing_key_secret: str = ""
    """HMAC-SHA256 key of ``X-KubeSent-Signature`` (plain / Secret Manager name)."""

    slack_webhook_url: SecretStr | None = None
    slack_webhook_url_secret: str = ""
    """A Slack incoming webhook: notices only (no threading, no interactive buttons)."""
    slack_bot_token: SecretStr | None = None
    slack_bot_token_secret: str = ""
    """A Slack bot token (``chat:write``): one message per incident, updated in place as the incident moves."""
    slack_channel: str = ""
    """The channel id the bot posts in."""
    slack_api_url: str = "https://slack.com/api/"
    """Slack's Web API; tests point it at a local fake."""
    slack_signing_secret: SecretStr | None = None
    slack_signing_secret_secret: str = ""
    """Verifies Slack's interactivity requests to ``kubesent_approve``."""
    slack_click_topic: str = ""
    """``projects/P/topics/T``: ``kubesent_approve`` answers a Slack click at once and queues it here for
    ``kubesent_approve_click`` (Slack wants an answer within 3 s; an approval re-reads and writes the
    cluster). Empty (local runs): the click is carried out before the answer."""
    slack_response_url_base: str = "https://hooks.slack.com/actions/"
    """A click's result is posted to its ``response_url`` only under this base (defence against SSRF);
    tests point it at a local fake."""

    google_chat_webhook_url: SecretStr | None = None
    google_chat_webhook_url_secret: str = ""
    """A Google Chat space's incoming webhook."""
    teams_webhook_url: SecretStr | None = None
    teams_webhook_url_secret: str = ""
    """A Microsoft Teams Workflows webhook ("When a Teams webhook request is received")."""
    pagerduty_routing_key: SecretStr | None = None
    pagerduty_routing_key_secret: str = ""
    """A PagerDuty Events API v2 integration key: escalations page, healed incidents resolve."""
    pagerduty_url: str = "https://events.pagerduty.com/v2/enqueue"
    """The Events API v2 endpoint (a regional one, or a local fake)."""
    secret_manager_endpoint: str = ""
    """Secret Manager REST endpoint override for tests; empty means Google's."""

    @field_validator("notify_actions", mode="before")
    @classmethod
    def _split_actions(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value
