"""Pod facts: what is kept from a pod for diagnosis, and what never is."""

from __future__ import annotations

import json

from kubesent.evidence import podfacts
from tests.support.scenarios import load_scenario


def _pod():
    bundle, _ = load_scenario("oom-memory-hog")
    pod = next(o for o in bundle["objects"] if o["kind"] == "Pod")
    pod["spec"]["tolerations"] = [{"key": "dedicated", "operator": "Equal", "value": "batch", "effect": "NoSchedule"}]
    pod["spec"]["volumes"].append({"name": "tls", "secret": {"secretName": "web-tls", "defaultMode": 420}})
    pod["spec"]["containers"][0]["env"] = [{"name": "DB_PASSWORD", "value": "hunter2-literal"}]
    return pod


def test_the_pruned_spec_keeps_scheduling_and_volumes_but_no_containers_or_token():
    pruned = podfacts.pruned_pod_spec(_pod())
    assert pruned["tolerations"][0]["key"] == "dedicated"
    assert pruned["volumes"] == [{"name": "tls", "secret": {"secretName": "web-tls"}}]
    assert "containers" not in pruned
    assert "hunter2-literal" not in json.dumps(pruned)


def test_container_facts_keep_env_names_never_values():
    facts = podfacts.containers(_pod())
    assert facts[0].env_names == ("DB_PASSWORD",)
    assert "hunter2-literal" not in repr(facts)


def test_heap_flags_are_the_only_thing_taken_from_option_variables():
    pod = _pod()
    pod["spec"]["containers"][0]["env"] = [{"name": "JAVA_TOOL_OPTIONS",
                                            "value": "-Xmx512m -Djavax.net.ssl.trustStorePassword=changeit"}]
    facts = podfacts.containers(pod)
    assert facts[0].heap_flags == ("-Xmx512m",) and "changeit" not in repr(facts)


def test_a_password_in_args_is_masked_by_the_command_it_follows():
    pod = {"metadata": {"name": "db-client"}, "spec": {"containers": [
        {"name": "client", "image": "mysql:8", "command": ["mysql"],
         "args": ["-uroot", "-pS3cretPw", "-e", "select 1"]}]}}

    facts = podfacts.containers(pod)[0]

    assert facts.command == ("mysql",) and "S3cretPw" not in " ".join(facts.args) and "-e" in facts.args


def test_heap_flags_follow_the_order_the_runtime_reads_them():
    """HotSpot reads JAVA_TOOL_OPTIONS, then its command line, then _JAVA_OPTIONS; a later flag wins."""
    pod = _pod()
    pod["spec"]["containers"][0]["env"] = [
        {"name": "_JAVA_OPTIONS", "value": "-Xmx900m"},
        {"name": "JAVA_TOOL_OPTIONS", "value": "-Xms64m -XX:InitialRAMPercentage=50"},
        {"name": "JDK_JAVA_OPTIONS", "value": "-XX:MaxRAMPercentage=60"}]
    pod["spec"]["containers"][0]["args"] = ["-Xmx256m", "-jar", "app.jar"]

    flags = podfacts.containers(pod)[0].heap_flags

    assert flags == ("-Xms64m", "-XX:InitialRAMPercentage=50", "-XX:MaxRAMPercentage=60", "-Xmx256m", "-Xmx900m")


def test_go_memory_settings_are_kept_only_in_the_runtimes_own_syntax():
    pod = _pod()
    pod["spec"]["containers"][0]["env"] = [{"name": "GOMEMLIMIT", "value": "900MiB"}, {"name": "GOGC", "value": "off"}]
    assert podfacts.containers(pod)[0].heap_flags == ("GOGC=off", "GOMEMLIMIT=900MiB")

    pod["spec"]["containers"][0]["env"] = [{"name": "GOMEMLIMIT", "value": "s3cr3t-value"}]
    assert podfacts.containers(pod)[0].heap_flags == ()
