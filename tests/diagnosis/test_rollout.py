"""The rollback remedy: offered only for a failing newest revision over a serving one, for rules and model alike."""

from __future__ import annotations

import json

import pytest

from kubesent.diagnosis import validate
from kubesent.diagnosis.context import RuleContext
from kubesent.diagnosis.rules.rollout import bad_rollout
from kubesent.evidence.category import Category
from kubesent.evidence.rollout import ENV_VALUE_PLACEHOLDER, Revision, Rollout, earlier_limits, from_replicasets
from kubesent.settings import Settings
from tests.fakes.evidence_builder import container, evidence


def _revision(name: str, number: int, available: int) -> Revision:
    return Revision(name=name, number=number, replicas=3, available=available, created="", template={})


def _replica_set(name: str, revision: str, *, image: str, available: int, env_value: str = "") -> dict:
    container = {"name": "app", "image": image}
    if env_value:
        container["env"] = [{"name": "DB_PASSWORD", "value": env_value}]
    return {"kind": "ReplicaSet", "metadata": {"name": name, "annotations": {"deployment.kubernetes.io/revision":
                                                                          revision},
                                              "labels": {"app": "web", "pod-template-hash": name[-5:]}},
            "spec": {"replicas": 3, "template": {"metadata": {"labels": {"app": "web", "pod-template-hash": name[-5:]}},
                                                 "spec": {"containers": [container]}}},
            "status": {"availableReplicas": available}}


def test_revisions_come_from_the_controllers_annotation_and_lose_the_hash_label_and_env_values():
    found = from_replicasets([_replica_set("web-aaaaa", "1", image="web:1", available=3, env_value="hunter2"),
                              _replica_set("web-bbbbb", "2", image="web:2", available=0)], failing="web-bbbbb")

    assert found is not None and found.newest and found.previous is not None
    assert found.previous.number == 1 and found.previous.images() == ("web:1",)
    assert "pod-template-hash" not in found.previous.template["metadata"]["labels"]
    assert "hunter2" not in json.dumps(found.previous.template)
    assert found.previous.template["spec"]["containers"][0]["env"][0]["value"] == ENV_VALUE_PLACEHOLDER


ANSWER = {"category": "image_pull", "root_cause": "The new revision's image does not exist.",
          "remedy": "rollback_rollout", "confidence": 80}


@pytest.mark.parametrize(("rollout", "fragment"), [
    (None, "cannot be read"),
    (Rollout(current=_revision("web-bbbbb", 2, 0), newest=True, previous=_revision("web-aaaaa", 1, 0)),
     "no available pod"),
    (Rollout(current=_revision("web-bbbbb", 2, 0), newest=False, previous=_revision("web-aaaaa", 1, 3)),
     "predates"),
    (Rollout(current=_revision("web-bbbbb", 2, 0), newest=True, previous=None), "no earlier revision"),
])
def test_a_model_cannot_roll_back_without_a_serving_previous_revision(rollout, fragment):
    facts = evidence(category=Category.IMAGE_PULL, rollout=rollout)

    with pytest.raises(validate.Refused, match=fragment):
        validate.check(validate.ModelAnswer.model_validate(ANSWER), evidence=facts, settings=Settings(),
                       prompt_text=None, source="model:test")


def test_a_model_may_propose_a_rollback_the_facts_support():
    rollout = Rollout(current=_revision("web-bbbbb", 2, 0), newest=True, previous=_revision("web-aaaaa", 1, 3))
    facts = evidence(category=Category.IMAGE_PULL, rollout=rollout)

    found = validate.check(validate.ModelAnswer.model_validate(ANSWER), evidence=facts, settings=Settings(),
                           prompt_text=None, source="model:test")

    assert found.remedy.kind.value == "rollback_rollout"


def test_every_older_revision_is_kept_newest_first_with_its_limits():
    older = _replica_set("web-aaaaa", "1", image="web:1", available=0)
    older["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"memory": "128Mi"}}
    middle = _replica_set("web-ccccc", "2", image="web:1", available=0)
    current = _replica_set("web-bbbbb", "3", image="web:1", available=1)

    found = from_replicasets([current, older, middle], failing="web-bbbbb")

    assert found is not None and [r.number for r in found.older] == [2, 1]
    assert [(r.number, limit) for r, limit in earlier_limits(found, container="app", resource="memory")] == [
        (2, None), (1, "128Mi")]
    assert earlier_limits(found, container="other", resource="memory") == ()


def _bad_tag_rollout(*, new_image: str, env_value: str = "") -> Rollout:
    found = from_replicasets([_replica_set("web-aaaaa", "1", image="registry.example.com/shop/web:1.4.2",
                                           available=3),
                              _replica_set("web-bbbbb", "2", image=new_image, available=0, env_value=env_value)],
                             failing="web-bbbbb")
    assert found is not None
    return found


@pytest.mark.parametrize(("new_image", "env_value", "remedy"), [
    # Only the tag changed: the rollback is that very change undone.
    ("registry.example.com/shop/web:1.4.3-typo", "", "rollback_rollout"),
    # The tag and an env var changed: only the tag is pinned, by the revision that still serves.
    ("registry.example.com/shop/web:1.4.3-typo", "on", "fix_image_reference"),
    # Another repository is not a tag typo: the evidence pins nothing but the whole previous revision.
    ("registry.example.com/other/web:1.4.3", "on", "rollback_rollout"),
])
def test_a_pull_failure_after_a_rollout_pins_the_previous_tag_only_when_more_than_the_image_changed(
        new_image: str, env_value: str, remedy: str) -> None:
    facts = evidence(category=Category.IMAGE_PULL, rollout=_bad_tag_rollout(new_image=new_image, env_value=env_value),
                     containers=(container(image=new_image, waiting_reason="ImagePullBackOff"),))

    found = bad_rollout(facts, RuleContext(memory_ceiling_bytes=2**32, cpu_ceiling_millicores=4000,
                                           max_increase_factor=2.0, max_total_increase_factor=4.0))

    assert found is not None and found.remedy.kind.value == remedy
    if remedy == "fix_image_reference":
        assert found.remedy.image == "registry.example.com/shop/web:1.4.2" and found.remedy.container == "app"
