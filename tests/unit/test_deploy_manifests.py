"""The deploy files (deploy/) stay in step with the code: every topic of schemas/topics.py has a
KafkaTopic, every service is in docker-compose.yml and in the Kubernetes manifests, with the
ports of rxsim/messaging/settings.py.

The files are read as plain text: nothing here needs more than the lines the manifests are
written with (that each parses as YAML, and the opt-in SASL_SSL files, are checked in
tests/unit/test_deploy_kafka_security.py).
"""

import importlib
import re
from pathlib import Path

import pytest

from rxsim.messaging.settings import SERVICES, Settings
from schemas.topics import ALL_TOPICS

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE = DEPLOY / "docker-compose.yml"
KUSTOMIZATION = K8S / "kustomization.yaml"


def default_port(service: str) -> int:
    return int(Settings.model_fields[f"{service}_port"].default)


def documents(path: Path) -> list[str]:
    """The YAML documents of a file that hold more than comments."""
    docs = re.split(r"^---\s*$", path.read_text(), flags=re.MULTILINE)
    return [doc for doc in docs if any(_content(line) for line in doc.splitlines())]


def _content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def kafka_topics() -> list[str]:
    return [
        doc for doc in documents(K8S / "topics.yaml") if re.search(r"^kind: KafkaTopic$", doc, re.M)
    ]


def field(doc: str, name: str) -> list[str]:
    return re.findall(rf"^\s*{re.escape(name)}:\s*(\S+)\s*$", doc, flags=re.MULTILINE)


def kustomize_literal(name: str) -> str:
    found = re.findall(rf"^\s*-\s*{re.escape(name)}=(\S+)\s*$", KUSTOMIZATION.read_text(), re.M)
    assert len(found) == 1, f"{name} should be set once in {KUSTOMIZATION}"
    return found[0]


def k8s_manifest_of(service: str) -> Path:
    runs = [
        path
        for path in sorted(K8S.glob("*.yaml"))
        if f'command: ["python", "-m", "services.{service}"]' in path.read_text()
    ]
    assert len(runs) == 1, f"exactly one manifest in {K8S} should run services.{service}: {runs}"
    return runs[0]


def compose_service(service: str) -> str:
    """The block of docker-compose.yml under `services:` that defines this service."""
    services = COMPOSE.read_text().partition("\nservices:\n")[2]
    match = re.search(rf"^  {re.escape(service)}:\n((?:    .*\n|\s*\n)+)", services, flags=re.M)
    assert match, f"{COMPOSE} has no service {service!r}"
    return match.group(1)


def test_every_yaml_file_under_deploy_is_well_formed_text() -> None:
    files = sorted([*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml")])
    assert COMPOSE in files and KUSTOMIZATION in files
    for path in files:
        text = path.read_text()
        assert documents(path), f"{path} holds no YAML document"
        assert "\t" not in text, f"{path} has a tab (YAML indents with spaces only)"
        assert text.endswith("\n"), f"{path} does not end with a newline"
    for path in sorted(K8S.glob("*.yaml")):
        for doc in documents(path):
            assert field(doc, "apiVersion"), f"a document in {path} has no apiVersion"
            assert re.search(r"^kind: \w+$", doc, re.M), f"a document in {path} has no kind"


def test_every_topic_has_exactly_one_kafka_topic() -> None:
    declared = [name for doc in kafka_topics() for name in field(doc, "topicName")]
    assert sorted(declared) == sorted(t.name for t in ALL_TOPICS), (
        "deploy/k8s/topics.yaml must hold one KafkaTopic per topic of schemas/topics.py"
    )
    assert len(kafka_topics()) == len(ALL_TOPICS)


def test_every_topic_has_the_partition_count_the_services_use() -> None:
    # The coordinator joins several topics by prescription id: they must be co-partitioned.
    counts = {
        name: field(doc, "partitions") for doc in kafka_topics() for name in field(doc, "topicName")
    }
    assert all(len(found) == 1 for found in counts.values()), counts
    assert {found[0] for found in counts.values()} == {kustomize_literal("RXSIM_PARTITIONS")}


def test_every_k8s_manifest_is_in_the_kustomization() -> None:
    listed = re.findall(r"^\s*-\s*(\S+\.yaml)\s*$", KUSTOMIZATION.read_text(), flags=re.M)
    present = sorted(path.name for path in K8S.glob("*.yaml") if path != KUSTOMIZATION)
    assert sorted(listed) == present
    assert "topics.yaml" in listed


@pytest.mark.parametrize("service", SERVICES)
def test_service_runs_in_kubernetes(service: str) -> None:
    manifest = k8s_manifest_of(service)
    text = manifest.read_text()
    port = default_port(service)
    assert re.search(r"^kind: Deployment$", text, re.M) and re.search(
        r"^kind: Service$", text, re.M
    )
    assert f"containerPort: {port}" in text and f"port: {port}" in text
    assert re.search(r"readinessProbe:\n\s+httpGet:\n\s+path: /readyz", text)
    assert re.search(r"livenessProbe:\n\s+httpGet:\n\s+path: /healthz", text)
    assert "requests:" in text
    assert kustomize_literal(f"RXSIM_{service.upper()}_PORT") == str(port)


@pytest.mark.parametrize("service", SERVICES)
def test_service_runs_in_compose(service: str) -> None:
    block = compose_service(service)
    port = default_port(service)
    assert f'command: ["python", "-m", "services.{service}"]' in block
    assert f'"{port}:{port}"' in block
    assert f"127.0.0.1:{port}/readyz" in block
    assert "depends_on: *after-topics" in block
    assert re.search(rf'^  RXSIM_{service.upper()}_PORT: "{port}"$', COMPOSE.read_text(), re.M)


def test_compose_creates_the_topics_before_the_services_start() -> None:
    text = COMPOSE.read_text()
    assert "ensure_topics(" in compose_service("topics")
    assert "KAFKA_BOOTSTRAP_SERVERS: kafka:9092" in text
    assert re.search(r"topics:\n\s+condition: service_completed_successfully", text)
    assert re.search(r"kafka:\n\s+condition: service_healthy", text)


def test_image_installs_the_pinned_set_and_runs_as_a_user() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.M)
    assert "pip install -c constraints.txt ." in dockerfile
    users = re.findall(r"^USER (\S+)$", dockerfile, re.M)
    assert users and users[-1].split(":")[0] not in ("root", "0")


@pytest.mark.parametrize("service", SERVICES)
def test_service_gets_the_tokens_key_from_outside_git(service: str) -> None:
    # Without the key a service does not start; a key written here would be everyone's.
    required = re.compile(r'^  RXSIM_AUTH_SECRET: "\$\{RXSIM_AUTH_SECRET:\?', re.M)
    assert required.search(COMPOSE.read_text())
    assert re.search(r"- secretRef:\n\s+name: rxsim-auth", k8s_manifest_of(service).read_text())
    assert "RXSIM_AUTH_SECRET" not in KUSTOMIZATION.read_text()


@pytest.mark.parametrize("path", [COMPOSE, *sorted(K8S.glob("*.yaml"))], ids=lambda p: p.name)
def test_every_python_import_in_a_deployment_names_what_rxsim_has(path: Path) -> None:
    """The init containers and the topic job run Python from the manifests: an import of a
    module that moved fails only once deployed (rxsim.settings did, to rxsim.messaging)."""
    for module, names in re.findall(r"from ([\w.]+) import ([\w, ]+)", path.read_text()):
        if module.split(".")[0] not in ("rxsim", "schemas", "services"):
            continue
        imported = importlib.import_module(module)
        for name in (n.strip() for n in names.split(",")):
            assert hasattr(imported, name), f"{path.name}: {module} has no {name}"
