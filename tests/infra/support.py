"""Helpers of the offline infra checks: paths, parsed Terraform, the exporter config of a build."""

from __future__ import annotations

import pathlib
import shutil
from typing import Any

import hcl2
import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
EXPORTER_CONFIG = ROOT / "exporter-config"
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
KUSTOMIZATIONS = ("base", "overlays/gke", "overlays/minikube", "kubesent-rbac", "kubesent-rbac-cluster-wide")


def unquote(value: Any) -> Any:
    """python-hcl2 keeps string literals quoted ('"gke"') and expressions as '${...}'."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def block(value: Any) -> dict[str, Any]:
    """A nested block as one dict (python-hcl2 gives a list of them)."""
    if isinstance(value, list):
        assert len(value) == 1, value
        value = value[0]
    assert isinstance(value, dict), value
    return value


class Terraform:
    """All *.tf files of infra/, parsed; resources indexed by (type, name)."""

    def __init__(self, directory: pathlib.Path) -> None:
        self.resources: dict[tuple[str, str], dict[str, Any]] = {}
        self.variables: dict[str, dict[str, Any]] = {}
        self.outputs: dict[str, dict[str, Any]] = {}
        self.text = ""
        for path in sorted(directory.glob("*.tf")):
            self.text += path.read_text()
            with path.open() as handle:
                parsed = hcl2.load(handle)
            for entry in parsed.get("resource", []):
                for rtype, named in entry.items():
                    for name, body in named.items():
                        self.resources[(unquote(rtype), unquote(name))] = body
            for entry in parsed.get("variable", []):
                for name, body in entry.items():
                    self.variables[unquote(name)] = body
            for entry in parsed.get("output", []):
                for name, body in entry.items():
                    self.outputs[unquote(name)] = body

    def of_type(self, rtype: str) -> dict[str, dict[str, Any]]:
        return {name: body for (kind, name), body in self.resources.items() if kind == rtype}

    def default(self, variable: str) -> Any:
        return unquote(self.variables[variable]["default"])


def kubectl() -> str:
    path = shutil.which("kubectl")
    if path is None:
        pytest.fail("kubectl (with kustomize) is needed for the manifest checks and is not on PATH")
    return path



def exporter_config(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """The exporter's config.yaml from a built overlay's generated ConfigMap."""
    maps = [d for d in documents if d["kind"] == "ConfigMap"
            and d["metadata"]["name"].startswith("kubernetes-event-exporter-config")]
    assert len(maps) == 1, [d["metadata"]["name"] for d in maps]
    config = yaml.safe_load(maps[0]["data"]["config.yaml"])
    assert isinstance(config, dict)
    return config
