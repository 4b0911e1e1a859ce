"""A missing Secret that an operator makes is escalated to the operator's object; any other keeps its proposal."""

from __future__ import annotations

import pytest

from kubesent.diagnosis import prompt
from kubesent.diagnosis.rules import registry
from kubesent.diagnosis.schema import RemedyKind
from kubesent.evidence.category import Category
from kubesent.evidence.model import Evidence, SecretSource
from kubesent.settings import Settings
from tests.diagnosis.test_rules import CONTEXT
from tests.fakes.evidence_builder import container, evidence

ENV_MESSAGE = 'Error: secret "db-creds" not found'
MOUNT_MESSAGE = 'MountVolume.SetUp failed for volume "creds" : secret "db-creds" not found'
EXTERNAL = SecretSource(kind="ExternalSecret", namespace="shop", name="db-creds", secret_name="db-creds",
                        store="vault-backend",
                        conditions=("Ready=False SecretSyncedError: could not get secret data from provider",))
SEALED = SecretSource(kind="SealedSecret", namespace="shop", name="db-creds", secret_name="db-creds", store="",
                      conditions=("Synced=False: no key could decrypt secret (password)",))


def _missing(message: str = ENV_MESSAGE, *, source: SecretSource | None = None,
             category: Category = Category.CONFIG_MISSING) -> Evidence:
    facts = container(waiting_reason="CreateContainerConfigError", waiting_message=message, last_terminated=None)
    return evidence(containers=(facts,), category=category, event_message=message, events=(), secret_source=source)


@pytest.mark.parametrize(("message", "category"), [(ENV_MESSAGE, Category.CONFIG_MISSING),
                                                   (MOUNT_MESSAGE, Category.MOUNT_FAILURE)])
def test_a_secret_an_external_secret_makes_is_escalated_to_it(message: str, category: Category) -> None:
    found = registry.diagnose(_missing(message, source=EXTERNAL, category=category), CONTEXT)

    assert found.remedy.kind is RemedyKind.ESCALATE and found.category is category
    assert found.root_cause.startswith("Secret db-creds is managed by ExternalSecret shop/db-creds "
                                       "(store: vault-backend); its status says: Ready=False SecretSyncedError: "
                                       "could not get secret data from provider.")
    assert "do not create the Secret by hand" in found.root_cause and "store or the provider" in found.root_cause
    assert found.evidence[1] == EXTERNAL.conditions[0], "the operator's own word is quoted"


def test_a_secret_a_sealed_secret_makes_is_escalated_to_resealing() -> None:
    found = registry.diagnose(_missing(source=SEALED), CONTEXT)

    assert found.remedy.kind is RemedyKind.ESCALATE
    assert "SealedSecret shop/db-creds; its status says: Synced=False: no key could decrypt" in found.root_cause
    assert "Reseal it" in found.root_cause and "store:" not in found.root_cause


def test_an_operator_object_without_status_asks_whether_its_controller_runs() -> None:
    source = SecretSource(kind="SealedSecret", namespace="shop", name="db-creds", secret_name="db-creds", store="",
                          conditions=())

    found = registry.diagnose(_missing(source=source), CONTEXT)

    assert found.remedy.kind is RemedyKind.ESCALATE and "is its controller running?" in found.root_cause


def test_without_an_operator_object_the_secret_is_proposed_as_before() -> None:
    found = registry.diagnose(_missing(), CONTEXT)

    assert found.remedy.kind is RemedyKind.ADD_MISSING_CONFIG
    assert (found.remedy.config_kind, found.remedy.config_name) == ("Secret", "db-creds")


def test_an_operator_object_for_another_secret_changes_nothing() -> None:
    other = SecretSource(kind="ExternalSecret", namespace="shop", name="api-key", secret_name="api-key", store="",
                         conditions=())

    found = registry.diagnose(_missing(source=other), CONTEXT)

    assert found.remedy.kind is RemedyKind.ADD_MISSING_CONFIG and found.remedy.config_name == "db-creds"


def test_a_missing_key_is_not_the_operators_case() -> None:
    """The Secret exists; which keys it holds is the workload's reference or the ExternalSecret's data: proposed."""
    message = "Error: couldn't find key password in Secret shop/db-creds"

    found = registry.diagnose(_missing(message, source=EXTERNAL), CONTEXT)

    assert found.remedy.kind is RemedyKind.ADD_MISSING_CONFIG and found.remedy.config_key == "password"


def test_the_model_is_told_who_makes_the_secret() -> None:
    """With rules off (KUBESENT_RULES=none) the model sees the same fact the rule acts on, and is told to escalate."""
    system, user, _ = prompt.render(_missing(source=EXTERNAL), Settings())

    assert ("missing Secret db-creds is made by ExternalSecret shop/db-creds (store vault-backend); its status: "
            "Ready=False SecretSyncedError: could not get secret data from provider") in user
    assert "an operator's object makes the missing Secret, choose escalate" in system
