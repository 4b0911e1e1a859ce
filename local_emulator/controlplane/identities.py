"""Who may call the control plane: an admin and one static token per KubeSent identity.

KubeSent's user names (the function's and the approval endpoint's) are read from
``exporter-config/kubesent-rbac/kubesent.env``, the one file the RBAC bindings and the admission policies
are generated from, so the tests authenticate as exactly the users those manifests name.
Pure: reads one file, never starts anything.
"""
from __future__ import annotations

import dataclasses
import pathlib
import secrets

ROOT = pathlib.Path(__file__).resolve().parents[2]
KUBESENT_ENV = ROOT / "exporter-config" / "kubesent-rbac" / "kubesent.env"
ADMIN = "admin"
KUBESENT = "kubesent"
APPROVER = "approver"
CONTROLLER_MANAGER = "controller-manager"


@dataclasses.dataclass(frozen=True)
class Identity:
    """One static-token user of the API server."""

    key: str
    username: str
    groups: tuple[str, ...]
    token: str

    def csv_line(self) -> str:
        """The line of kube-apiserver's ``--token-auth-file``: token,user,uid,"group1,group2"."""
        return f'{self.token},{self.username},{self.username},"{",".join(self.groups)}"'


def read_env(path: pathlib.Path = KUBESENT_ENV) -> dict[str, str]:
    """``key=value`` lines of a kustomize env file (comments and blank lines skipped)."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def kubesent_username(path: pathlib.Path = KUBESENT_ENV) -> str:
    """The user name GKE gives the function's service account, as the manifests bind it."""
    return read_env(path)["username"]


def approver_username(path: pathlib.Path = KUBESENT_ENV) -> str:
    """The user name of the approval endpoint's own identity (its Google service account on GKE)."""
    return read_env(path)["approverUsername"]


def make() -> dict[str, Identity]:
    """Fresh random tokens for the admin, the controller manager, KubeSent and its approval endpoint."""
    return {
        ADMIN: Identity(ADMIN, "kubesent-test-admin", ("system:masters",), secrets.token_hex(16)),
        # Simplest working grant for the controllers: they run as one user with full rights.
        CONTROLLER_MANAGER: Identity(CONTROLLER_MANAGER, "system:kube-controller-manager",
                                     ("system:masters",), secrets.token_hex(16)),
        KUBESENT: Identity(KUBESENT, kubesent_username(), ("system:authenticated",), secrets.token_hex(16)),
        APPROVER: Identity(APPROVER, approver_username(), ("system:authenticated",), secrets.token_hex(16)),
    }
