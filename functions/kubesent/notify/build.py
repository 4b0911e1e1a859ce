"""Builds the configured sinks and the notifier from ``NotifySettings``; secrets through Secret Manager.

Called once per instance by ``main`` (``kubesent_notify``, ``kubesent_approve``) and by the demo.
"""

from __future__ import annotations

from pydantic import SecretStr

from kubesent import secrets
from kubesent.ledger import Ledger
from kubesent.notify import Sink, transport
from kubesent.notify.google_chat import GoogleChatSink
from kubesent.notify.notifier import LinkMaker, Notifier
from kubesent.notify.pagerduty import PagerDutySink
from kubesent.notify.slack import SlackBotSink, SlackWebhookSink
from kubesent.notify.teams import TeamsSink
from kubesent.notify.webhook import WebhookSink
from kubesent.settings import NotifySettings


class Secrets:
    """A setting's secret: the Secret Manager name wins, else the plain variable (local runs), else empty."""

    def __init__(self, settings: NotifySettings, *, reader: secrets.SecretReader | None = None) -> None:
        self._reader = reader or secrets.SecretReader(endpoint=settings.secret_manager_endpoint)

    def get(self, plain: SecretStr | None, secret_name: str) -> str:
        if secret_name:
            return self._reader.read(secret_name)
        return plain.get_secret_value() if plain is not None else ""


def sinks(settings: NotifySettings, found: Secrets) -> list[Sink]:
    policy = transport.Policy(timeout_seconds=settings.notify_timeout_seconds, attempts=settings.notify_attempts)
    built: list[Sink] = []
    if settings.webhook_url:
        key = found.get(settings.webhook_signing_key, settings.webhook_signing_key_secret)
        built.append(WebhookSink(settings.webhook_url, signing_key=key.encode(), policy=policy))
    bot_token = found.get(settings.slack_bot_token, settings.slack_bot_token_secret)
    slack_webhook = found.get(settings.slack_webhook_url, settings.slack_webhook_url_secret)
    if bot_token and settings.slack_channel:
        built.append(SlackBotSink(bot_token, channel=settings.slack_channel, base_url=settings.slack_api_url,
                                  policy=policy))
    elif slack_webhook:
        built.append(SlackWebhookSink(slack_webhook, policy=policy))
    if chat := found.get(settings.google_chat_webhook_url, settings.google_chat_webhook_url_secret):
        built.append(GoogleChatSink(chat, policy=policy))
    if teams := found.get(settings.teams_webhook_url, settings.teams_webhook_url_secret):
        built.append(TeamsSink(teams, policy=policy))
    if routing_key := found.get(settings.pagerduty_routing_key, settings.pagerduty_routing_key_secret):
        built.append(PagerDutySink(settings.pagerduty_url, routing_key=routing_key, policy=policy))
    return built


def link_maker(settings: NotifySettings, found: Secrets) -> LinkMaker:
    key = found.get(settings.approval_key, settings.approval_key_secret) if settings.approval_url else ""
    return LinkMaker(logging_console_url=settings.logging_console_url, project=settings.gcp_project,
                     approval_url=settings.approval_url, approval_key=key.encode(),
                     ttl_seconds=settings.approval_ttl_seconds)


def notifier(settings: NotifySettings, *, ledger: Ledger, reader: secrets.SecretReader | None = None) -> Notifier:
    found = Secrets(settings, reader=reader)
    return Notifier(sinks(settings, found), ledger=ledger, links=link_maker(settings, found),
                    actions=settings.notify_actions)
