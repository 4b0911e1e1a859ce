"""Gemini behind the Diagnoser protocol: the only module that imports ``google.genai``.

The SDK (about 490 ms to import, FACTS.md §6) is imported and its client built on the first call,
once per instance. One call per new incident: the prompt from ``diagnosis.prompt``, a flat typed
answer (``validate.ModelAnswer``) in JSON mode, then ``validate.check`` against the evidence.
The model never returns YAML or patches; an answer that fails validation ends in ``escalate``.

Faults: 429, 408, 5xx and timeouts are retried with exponential backoff and jitter, within a
deadline; after that a fresh event raises ``ModelUnavailable`` (Pub/Sub redelivers) and a stale one
escalates. Other 4xx (bad key, unknown model) escalate at once with the reason.
"""

from __future__ import annotations

import importlib
import random
import time
from collections.abc import Callable
from typing import Any

from kubesent import errors, secrets
from kubesent.diagnosis import prompt, validate
from kubesent.diagnosis.base import ModelReport, Outcome
from kubesent.diagnosis.schema import ESCALATE, Diagnosis, RemedyKind
from kubesent.evidence.model import Evidence
from kubesent.settings import Settings

# First backoff; doubled per attempt with full jitter. One second lets a per-minute 429 quota drain a little.
DEFAULT_BASE_DELAY_SECONDS = 1.0
# No single wait longer than this: the whole call lives inside a 120 s function timeout.
MAX_DELAY_SECONDS = 10.0
# Total budget for all attempts and waits: the function's 120 s timeout minus ~30 s for cluster
# reads, policy, patch and ledger.
DEFAULT_DEADLINE_SECONDS = 90.0
# 408 Request Timeout and 429 Too Many Requests are the 4xx worth retrying.
_RETRYABLE_CLIENT_CODES = frozenset({408, 429})
_NO_CREDENTIALS = ("KUBESENT_GEMINI_VERTEX=true needs Application Default Credentials (the function's service "
                   "account with roles/aiplatform.user, or `gcloud auth application-default login` locally)")
# Version of the cached-answer layout; a ledger entry of another version is ignored.
CACHE_VERSION = 1


class _AttemptsExhausted(Exception):
    """Internal: every allowed attempt (or the deadline) ran out on transient faults."""

    def __init__(self, message: str, *, attempts: int) -> None:
        super().__init__(message)
        self.attempts = attempts


def _transport_errors() -> tuple[type[BaseException], ...]:
    """Timeouts and connection failures of whichever HTTP stack the SDK uses.

    The API-key route uses httpx (or its fork httpx2 in google-genai 3.x); the Vertex route uses
    requests through google-auth. ``TimeoutError`` and ``ConnectionError`` cover the rest.
    """
    found: list[type[BaseException]] = [TimeoutError, ConnectionError]
    for module_name in ("httpx", "httpx2"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        found.extend([module.TimeoutException, module.NetworkError])
    try:
        requests_exceptions = importlib.import_module("requests.exceptions")
    except ImportError:
        pass
    else:
        found.extend([requests_exceptions.Timeout, requests_exceptions.ConnectionError])
    return tuple(found)


class GeminiDiagnoser:
    """Diagnoses with Gemini (API key or Vertex AI), validating every answer."""

    def __init__(self, settings: Settings, *, client: Any = None, api_key_source: secrets.SecretReader | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 base_delay_seconds: float = DEFAULT_BASE_DELAY_SECONDS,
                 deadline_seconds: float = DEFAULT_DEADLINE_SECONDS) -> None:
        self._settings = settings
        self._client = client
        self._api_key_source = api_key_source
        self._clock = clock
        self._sleep = sleep
        self._base_delay_seconds = base_delay_seconds
        self._deadline_seconds = deadline_seconds
        self._source = f"model:{settings.gemini_model}"

    # --- the protocol ----------------------------------------------------------------------------
    def diagnose(self, evidence: Evidence, *, cached: dict[str, Any] | None, fresh: bool) -> Outcome:
        if cached is not None:
            outcome = self._from_cache(evidence, cached)
            if outcome is not None:
                return outcome
        system_text, user_text, _nonce = prompt.render(evidence, self._settings)
        prompt_chars = len(system_text) + len(user_text)
        started = self._clock()
        try:
            response, attempts = self._call(system_text=system_text, user_text=user_text)
        except _AttemptsExhausted as exc:
            reason = f"diagnosis unavailable: {exc}"
            if fresh:
                raise errors.ModelUnavailable(reason) from exc.__cause__
            return self._escalate(evidence, reason, prompt_chars=prompt_chars, attempts=exc.attempts,
                                  latency_ms=self._elapsed_ms(started), refusal=reason)
        except _Rejected as exc:
            reason = f"diagnosis unavailable: {exc}"
            return self._escalate(evidence, reason, prompt_chars=prompt_chars, attempts=exc.attempts,
                                  latency_ms=self._elapsed_ms(started), refusal=reason)
        latency_ms = self._elapsed_ms(started)
        proposed: str | None = None
        try:
            answer = validate.parse(_answer_text(response))
            proposed = answer.remedy.value
            diagnosis = validate.check(answer, evidence=evidence, settings=self._settings, prompt_text=user_text,
                                       source=self._source)
        except validate.Refused as exc:
            return self._escalate(evidence, f"model answer refused: {exc}", prompt_chars=prompt_chars,
                                  attempts=attempts, latency_ms=latency_ms, refusal=str(exc), proposed=proposed)
        report = ModelReport(model=self._settings.gemini_model, prompt_chars=prompt_chars, latency_ms=latency_ms,
                             attempts=attempts, remedy_proposed=proposed, remedy_final=diagnosis.remedy.kind.value)
        to_cache = {"version": CACHE_VERSION, "model": self._settings.gemini_model,
                    "answer": answer.model_dump(mode="json", exclude_none=True)}
        return Outcome(diagnosis=diagnosis, report=report, to_cache=to_cache)

    # --- cache -----------------------------------------------------------------------------------
    def _from_cache(self, evidence: Evidence, cached: dict[str, Any]) -> Outcome | None:
        """The cached answer re-checked against today's evidence; None if the entry is unusable."""
        if cached.get("version") != CACHE_VERSION or not isinstance(cached.get("answer"), dict):
            return None
        model = str(cached.get("model") or self._settings.gemini_model)
        try:
            answer = validate.parse_cached(cached["answer"])
        except validate.Refused:
            return None
        report_base: dict[str, Any] = {"model": model, "cached": True, "remedy_proposed": answer.remedy.value}
        try:
            # Quotes were checked against the prompt of the original call; bounds are checked again
            # because the limits may have changed since (a previous bump).
            diagnosis = validate.check(answer, evidence=evidence, settings=self._settings, prompt_text=None,
                                       source=f"model:{model}")
        except validate.Refused as exc:
            diagnosis = self._refusal_diagnosis(evidence, f"cached model answer refused: {exc}")
            return Outcome(diagnosis=diagnosis, report=ModelReport(
                **report_base, remedy_final=RemedyKind.ESCALATE.value, refusal=str(exc)))
        return Outcome(diagnosis=diagnosis, report=ModelReport(**report_base, remedy_final=diagnosis.remedy.kind.value),
                       to_cache=cached)

    # --- the call --------------------------------------------------------------------------------
    def _call(self, *, system_text: str, user_text: str) -> tuple[Any, int]:
        """The response and the number of attempts it took; raises _AttemptsExhausted or _Rejected."""
        from google.auth import exceptions as auth_exceptions
        from google.genai import errors as genai_errors
        from google.genai import types

        try:
            client = self._get_client()
        except auth_exceptions.DefaultCredentialsError as exc:
            raise errors.ConfigurationError(_NO_CREDENTIALS) from exc
        config = types.GenerateContentConfig(
            response_mime_type="application/json", response_schema=validate.ModelAnswer, temperature=0,
            system_instruction=system_text)
        transient: tuple[type[BaseException], ...] = (auth_exceptions.TransportError, *_transport_errors())
        deadline = self._clock() + self._deadline_seconds
        max_attempts = self._settings.gemini_max_attempts
        attempt = 0
        while True:
            attempt += 1
            try:
                return client.models.generate_content(
                    model=self._settings.gemini_model, contents=user_text, config=config), attempt
            except genai_errors.APIError as exc:
                retryable = isinstance(exc, genai_errors.ServerError) or exc.code in _RETRYABLE_CLIENT_CODES
                detail = f"Gemini answered {exc.code} {exc.status or ''}".rstrip()
                if not retryable:
                    raise _Rejected(f"{detail}: {errors.truncate(str(exc.message or ''), 200)}{_hint(exc.code)}",
                                    attempts=attempt) from exc
                failure: BaseException = exc
            except auth_exceptions.DefaultCredentialsError as exc:
                raise errors.ConfigurationError(_NO_CREDENTIALS) from exc
            except auth_exceptions.RefreshError as exc:
                if not getattr(exc, "retryable", False):
                    raise _Rejected(f"Vertex AI credentials could not be refreshed: "
                                    f"{errors.truncate(str(exc), 200)}", attempts=attempt) from exc
                detail, failure = "Vertex AI credentials could not be refreshed (retryable)", exc
            except transient as exc:
                detail = f"Gemini did not answer in time ({type(exc).__name__})"
                failure = exc
            delay = min(MAX_DELAY_SECONDS, self._base_delay_seconds * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
            out_of_time = self._clock() + delay + self._settings.gemini_timeout_seconds > deadline
            if attempt >= max_attempts or out_of_time:
                raise _AttemptsExhausted(f"{detail} after {attempt} attempt(s)", attempts=attempt) from failure
            self._sleep(delay)

    def _get_client(self) -> Any:
        if self._client is None:
            self._client = self._build_client()
        return self._client

    def _build_client(self) -> Any:
        from google import genai
        from google.genai import types

        settings = self._settings
        http_options = types.HttpOptions(base_url=settings.gemini_base_url or None,
                                         timeout=int(settings.gemini_timeout_seconds * 1000))
        if settings.gemini_vertex:
            return genai.Client(vertexai=True, project=settings.gemini_vertex_project or settings.gcp_project or None,
                                location=settings.gemini_vertex_location, http_options=http_options)
        return genai.Client(api_key=self._api_key(), http_options=http_options)

    def _api_key(self) -> str:
        settings = self._settings
        if settings.gemini_api_key is not None and settings.gemini_api_key.get_secret_value():
            return settings.gemini_api_key.get_secret_value()
        if settings.gemini_api_key_secret:
            reader = self._api_key_source or secrets.SecretReader(endpoint=settings.secret_manager_endpoint)
            return reader.read(settings.gemini_api_key_secret)
        raise errors.ConfigurationError(
            "KUBESENT_LLM=gemini needs GEMINI_API_KEY, KUBESENT_GEMINI_API_KEY_SECRET or KUBESENT_GEMINI_VERTEX=true")

    # --- outcomes --------------------------------------------------------------------------------
    def _refusal_diagnosis(self, evidence: Evidence, root_cause: str) -> Diagnosis:
        return Diagnosis(category=evidence.category, root_cause=errors.truncate(root_cause, 1000), remedy=ESCALATE,
                         confidence=0, source=self._source)

    def _escalate(self, evidence: Evidence, root_cause: str, *, prompt_chars: int, attempts: int, latency_ms: int,
                  refusal: str, proposed: str | None = None) -> Outcome:
        report = ModelReport(model=self._settings.gemini_model, prompt_chars=prompt_chars, latency_ms=latency_ms,
                             attempts=attempts, remedy_proposed=proposed, remedy_final=RemedyKind.ESCALATE.value,
                             refusal=errors.truncate(refusal))
        return Outcome(diagnosis=self._refusal_diagnosis(evidence, root_cause), report=report)

    def _elapsed_ms(self, started: float) -> int:
        return int((self._clock() - started) * 1000)


class _Rejected(Exception):
    """Internal: the API refused the request (a 4xx other than 408/429); retrying cannot help."""

    def __init__(self, message: str, *, attempts: int) -> None:
        super().__init__(message)
        self.attempts = attempts


def _hint(code: int) -> str:
    hints = {400: " (check the API key and the request)", 401: " (check the API key)",
             403: " (the key or service account may not use this model or API)",
             404: " (check KUBESENT_GEMINI_MODEL and KUBESENT_GEMINI_BASE_URL)"}
    return hints.get(code, "")


def _answer_text(response: Any) -> str | None:
    """The answer's text, or ``Refused`` when there is no candidate (blocked, empty)."""
    feedback = getattr(response, "prompt_feedback", None)
    if feedback is not None and getattr(feedback, "block_reason", None):
        raise validate.Refused(f"the prompt was blocked ({feedback.block_reason})")
    if not getattr(response, "candidates", None):
        raise validate.Refused("the model returned no candidates")
    parts = getattr(getattr(response.candidates[0], "content", None), "parts", None) or []
    texts = [part.text for part in parts if getattr(part, "text", None) and not getattr(part, "thought", False)]
    return "".join(texts) or None
