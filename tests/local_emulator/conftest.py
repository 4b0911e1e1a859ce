"""Fixtures for the Kubernetes API sandbox tests: a running sandbox, real clients, kubectl."""
from __future__ import annotations

from collections.abc import Iterator

import kubernetes.client
import pytest

from local_emulator.kube_sandbox import KubeSandbox


@pytest.fixture()
def sandbox() -> Iterator[KubeSandbox]:
    with KubeSandbox() as running:
        yield running


@pytest.fixture()
def api_client(sandbox: KubeSandbox) -> Iterator[kubernetes.client.ApiClient]:
    configuration = kubernetes.client.Configuration()
    configuration.host = sandbox.url
    client = kubernetes.client.ApiClient(configuration)
    yield client
    client.rest_client.pool_manager.clear()
    client.close()


@pytest.fixture()
def core(api_client: kubernetes.client.ApiClient) -> kubernetes.client.CoreV1Api:
    return kubernetes.client.CoreV1Api(api_client)


@pytest.fixture()
def apps(api_client: kubernetes.client.ApiClient) -> kubernetes.client.AppsV1Api:
    return kubernetes.client.AppsV1Api(api_client)


