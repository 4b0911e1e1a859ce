# KubeSent: `make demo` and `make test` are the Quick start; both set up everything they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHECKOV_VENV := .venv-checkov
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo demo-controlplane test test-fast test-controlplane controlplane kubesent-rbac bench lint typecheck corpus clean sandbox .venv-checkov

# The control-plane tier's binaries (etcd, kube-apiserver, kube-controller-manager), built from the Go modules
# pinned in local_emulator/controlplane; rebuilt only when a pin or the build script changes.
CONTROLPLANE_BIN := .controlplane/bin
CONTROLPLANE_SRC := $(addprefix local_emulator/controlplane/,go.mod go.sum etcd/go.mod etcd/go.sum build.sh)

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# checkov pins bc-python-hcl2, which overwrites python-hcl2: it lives in its own virtualenv (FACTS.md §7).
$(CHECKOV_VENV)/.installed:
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet checkov==3.3.30
	touch $@

$(CHECKOV_VENV): $(CHECKOV_VENV)/.installed

demo: $(VENV)/.installed
	$(PY) -m local_emulator.demo

# The demo's OOM incident on a real kube-apiserver, etcd and controller manager built from source.
demo-controlplane: $(VENV)/.installed $(CONTROLPLANE_BIN)/.built
	$(PY) -m local_emulator.demo --controlplane

test: $(VENV)/.installed $(CHECKOV_VENV)/.installed $(CONTROLPLANE_BIN)/.built
	$(PY) -m pytest

$(CONTROLPLANE_BIN)/.built: $(CONTROLPLANE_SRC)
	local_emulator/controlplane/build.sh $(CONTROLPLANE_BIN)
	touch $@

controlplane: $(CONTROLPLANE_BIN)/.built

test-controlplane: $(VENV)/.installed $(CONTROLPLANE_BIN)/.built
	$(PY) -m pytest tests/controlplane

# Regenerate KubeSent's per-namespace RoleBindings after editing exporter-config/kubesent-rbac/kubesent.env.
kubesent-rbac: $(VENV)/.installed
	$(PY) -m local_emulator.kubesent_rbac

test-fast: $(VENV)/.installed
	$(PY) -m pytest -m "not emulator and not controlplane" --ignore=tests/infra

bench: $(VENV)/.installed
	$(PY) -m tests.bench.suite --json bench-results.json

lint: $(VENV)/.installed
	$(PY) -m ruff check functions local_emulator tests
	cd functions && ../$(VENV)/bin/lint-imports --no-cache ../pyproject.toml

typecheck: $(VENV)/.installed
	$(PY) -m mypy functions

corpus: $(VENV)/.installed
	$(PY) -m tests.scenarios.corpus

sandbox: $(VENV)/.installed
	$(PY) -m local_emulator.kube_sandbox --host 127.0.0.1 --port 8001

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .run bench-results.json .controlplane
