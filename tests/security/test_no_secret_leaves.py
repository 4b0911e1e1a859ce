"""No secret of the redaction corpus reaches a model request or the audit record (issue 14, item 6).

The whole path, not the redaction module alone: each secret line goes into a failing container's log and
into the forwarded event's message, every incident goes to the model (``KUBESENT_RULES=none``) through
google-genai against the local fake, and the function's audit record is checked as it would be logged.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubesent import replay
from kubesent.settings import Settings
from tests.fakes.fake_gemini import FakeGemini
from tests.security.attack import bundle_of, obj

CORPUS = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "redaction" / "secrets.json").read_text())
# Lines per incident: few enough that every line stays inside the prompt's log budget.
CHUNK = 12
ANSWER = {"category": "crash_loop", "root_cause": "The worker exits with an error after start.",
          "remedy": "fix_command_or_args", "container": "worker", "confidence": 70, "evidence": []}


@pytest.fixture()
def fake() -> Iterator[FakeGemini]:
    with FakeGemini() as server:
        yield server


def _chunks() -> list[list[dict]]:
    return [CORPUS[i:i + CHUNK] for i in range(0, len(CORPUS), CHUNK)]


@pytest.mark.parametrize("chunk", _chunks(), ids=lambda chunk: chunk[0]["name"][:40])
def test_no_corpus_secret_reaches_the_model_or_the_audit_record(fake, chunk):
    bundle = bundle_of("crashloop-command")
    pod = obj(bundle, "Pod")
    key = f"demo/{pod['metadata']['name']}/worker"
    bundle["logs"][key]["previous"] = "\n".join(case["text"] for case in chunk) + "\nexiting with status 1\n"
    bundle["event"]["message"] += " " + " ".join(case["text"] for case in chunk[:3])
    fake.answer_json(ANSWER)
    settings = Settings(GEMINI_API_KEY="test-key", llm="gemini", gemini_base_url=fake.url, rules="none",
                        ledger="memory", gemini_timeout_seconds=5.0)

    _, record = replay.replay_record(json.dumps(bundle), settings=settings,
                                     diagnoser=replay.wiring.build_diagnoser(settings), index=1)

    assert fake.requests and "exiting with status 1" in json.dumps(fake.requests[0].body), "the log reached the model"
    sent = json.dumps([request.body for request in fake.requests])
    logged = record.log_line()
    for case in chunk:
        for secret in case["must_not_contain"]:
            assert secret not in sent, (case["name"], "model request")
            assert secret not in logged, (case["name"], "audit record")
