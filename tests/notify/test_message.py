from __future__ import annotations

from kubesent.notify import message
from kubesent.notify.message import Links
from tests.notify.records import INCIDENT_ID, proposal


def test_a_proposal_renders_every_part_a_person_needs() -> None:
    note = message.render(proposal(), links=Links(logs="https://logs", approve="https://a", reject="https://r"))

    text = message.as_text(note)

    assert note.title == "Fix proposed: Deployment shop/api"
    assert "oom_killed in pod shop/api-6d4f-x1" in note.what_failed
    assert "confidence 95" in note.diagnosis
    assert note.decision.startswith("proposed: raise_memory_limit is never applied")
    assert "-containers[api]: resources.limits.memory: 64Mi" in note.diff
    assert "+containers[api]: resources.limits.memory: 128Mi" in note.diff
    assert "Approve:   https://a" in text and "Reject:    https://r" in text
    assert note.approvable


def test_evidence_is_redacted_again_before_it_leaves() -> None:
    note = message.render(proposal(), links=Links(logs="x"))

    assert not any("hunter2" in line for line in note.evidence)


def test_the_logging_link_queries_the_incident_id() -> None:
    url = message.logging_url("https://console.cloud.google.com/logs/query", project="p1", incident_id=INCIDENT_ID)

    assert url == ("https://console.cloud.google.com/logs/query;query=jsonPayload.incident_id%3D%22"
                   f"{INCIDENT_ID}%22?project=p1")


def test_an_image_fix_and_a_pull_secret_render_readable_diffs() -> None:
    image = proposal(patch={"spec": {"template": {"spec": {"containers": [{"name": "api", "image": "shop:1.2.3"}]}}}},
                     previous={"image": "shop:1.2.3x"})
    secret = proposal(patch={"spec": {"template": {"spec": {"imagePullSecrets": [{"name": "regcred"}]}}}},
                      previous={"imagePullSecrets": []})

    assert "+containers[api]: image: shop:1.2.3" in message.patch_diff(image)
    assert "+imagePullSecrets: regcred" in message.patch_diff(secret)


def test_no_patch_no_diff() -> None:
    assert message.patch_diff(proposal(patch=None)) == ""
