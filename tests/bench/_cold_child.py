"""Child process of the cold-start benchmark: import, handle one event, print one BENCH line. Never imported.

    python tests/bench/_cold_child.py function|baseline|bare   (event JSON on stdin)

``function`` imports ``main`` only; ``baseline`` first imports every SDK the function uses, as a
``main.py`` with top-level imports would; ``bare`` handles nothing (interpreter start-up alone).
"""

import time

STARTED = time.perf_counter()

import base64  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402

mode = sys.argv[1]
payload = sys.stdin.read()
figures = {}
if mode == "baseline":
    import functions_framework  # noqa: F401
    import google.cloud.firestore  # noqa: F401
    import google.cloud.pubsub_v1  # noqa: F401
    import google.cloud.secretmanager  # noqa: F401
    import google.genai  # noqa: F401
    import google.genai.types  # noqa: F401
    import kubernetes  # noqa: F401
    import pydantic  # noqa: F401
figures["sdk_import_s"] = time.perf_counter() - STARTED
if mode != "bare":
    before = time.perf_counter()
    import main  # noqa: E402
    from cloudevents.http.event import CloudEvent  # noqa: E402  (main imported it already)

    figures["main_import_s"] = time.perf_counter() - before
    before = time.perf_counter()
    event = CloudEvent({"type": "google.cloud.pubsub.topic.v1.messagePublished",
                        "source": "//pubsub.googleapis.com/projects/kubesent-local/topics/kubesent-events",
                        "id": "1", "specversion": "1.0"},
                       {"message": {"data": base64.b64encode(payload.encode()).decode(), "messageId": "1",
                                    "publishTime": "2026-01-01T00:00:00.000Z", "attributes": {}}})
    main.on_pod_event(event)
    figures["first_event_s"] = time.perf_counter() - before
figures["in_process_s"] = time.perf_counter() - STARTED
figures["maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
figures["modules"] = len(sys.modules)
figures["sdks_loaded"] = sorted(name for name in ("google.genai", "kubernetes", "google.cloud.pubsub_v1",
                                                  "google.cloud.firestore", "google.cloud.secretmanager",
                                                  "functions_framework", "pydantic", "grpc", "flask")
                                if name in sys.modules)
print("BENCH " + json.dumps(figures), flush=True)
