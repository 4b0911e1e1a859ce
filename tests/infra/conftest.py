"""Session fixtures of the offline infra checks: parsed Terraform and every kustomization, built."""

from __future__ import annotations

import pathlib
import subprocess
from typing import Any

import pytest
import yaml

from tests.infra.support import EXPORTER_CONFIG, INFRA, KUSTOMIZATIONS, Terraform, kubectl


@pytest.fixture(scope="session")
def terraform() -> Terraform:
    return Terraform(INFRA)


@pytest.fixture(scope="session")
def built_dir(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """`kubectl kustomize` of every kustomization, one YAML file each, in a temp dir (checkov scans it)."""
    out_dir = tmp_path_factory.mktemp("kustomize")
    for name in KUSTOMIZATIONS:
        result = subprocess.run([kubectl(), "kustomize", str(EXPORTER_CONFIG / name)],
                                capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 0, f"kubectl kustomize {name} failed:\n{result.stderr}"
        (out_dir / (name.replace("/", "-") + ".yaml")).write_text(result.stdout)
    return out_dir


@pytest.fixture(scope="session")
def built_manifests(built_dir: pathlib.Path) -> dict[str, list[dict[str, Any]]]:
    """The built documents of each kustomization, by its directory name."""
    return {name: [doc for doc in yaml.safe_load_all((built_dir / (name.replace("/", "-") + ".yaml")).read_text())
                   if doc]
            for name in KUSTOMIZATIONS}
