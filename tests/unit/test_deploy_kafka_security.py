"""The deploy files parse as YAML, and their opt-in SASL_SSL variants (docker-compose.sasl.yml,
k8s-sasl/) give every rxsim container Kafka security settings that rxsim reads and accepts.
Nothing here runs Docker or Kubernetes: there are neither on this project's machines."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from rxsim.messaging.kafka_security import PREFIX, KafkaSecurity, check, env_name
from rxsim.messaging.settings import SERVICES

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
COMPOSE_SASL = DEPLOY / "docker-compose.sasl.yml"
K8S_SASL = DEPLOY / "k8s-sasl"
KNOWN = {env_name(field) for field in KafkaSecurity.model_fields}


def load_all(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


@pytest.mark.parametrize(
    "path",
    sorted([*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml")]),
    ids=lambda p: str(p.relative_to(DEPLOY)),
)
def test_every_deploy_file_parses_as_yaml(path: Path) -> None:
    assert load_all(path), f"{path} holds no YAML document"


def accepted(settings: dict[str, str], tmp_path: Path) -> KafkaSecurity:
    """The settings as rxsim reads them, with the CA a container mounts made here."""
    assert set(settings) <= KNOWN, f"rxsim reads no {sorted(set(settings) - KNOWN)}"
    ca = tmp_path / "ca.pem"
    ca.write_text("a CA\n")
    given: dict[str, Any] = {k.removeprefix(PREFIX).lower(): v for k, v in settings.items()}
    return check(KafkaSecurity(**(given | {"ssl_cafile": ca})))


def test_compose_sasl_gives_every_rxsim_container_settings_rxsim_accepts(tmp_path: Path) -> None:
    compose = load_all(COMPOSE_SASL)[0]
    services = compose["services"]
    assert set(services) == {"kafka", "topics", *SERVICES}
    for name in ("topics", *SERVICES):
        service = services[name]
        settings = {k: str(v) for k, v in service["environment"].items() if k.startswith(PREFIX)}
        password_file = "RXSIM_KAFKA_SASL_PASSWORD=…, from ./secrets/rxsim.env"
        security = accepted(settings | {f"{PREFIX}SASL_PASSWORD": password_file}, tmp_path)
        assert security.protocol == "SASL_SSL", name
        assert service["env_file"] == ["./secrets/rxsim.env"]
        ca_in_container = settings[env_name("ssl_cafile")]
        assert f"./secrets/ca.pem:{ca_in_container}:ro" in service["volumes"], name


def test_compose_sasl_broker_offers_no_listener_in_clear() -> None:
    kafka = load_all(COMPOSE_SASL)[0]["services"]["kafka"]["environment"]
    protocols = dict(
        pair.split(":") for pair in kafka["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    for listener in kafka["KAFKA_LISTENERS"].split(","):
        name, address = listener.split("://")
        if protocols[name] != "SASL_SSL":  # the controller's, on the loopback only
            assert name == "CONTROLLER" and address.startswith("localhost:"), listener
    mechanism = kafka["KAFKA_SASL_ENABLED_MECHANISMS"]
    services = load_all(COMPOSE_SASL)[0]["services"]
    assert {services[s]["environment"]["RXSIM_KAFKA_SASL_MECHANISM"] for s in SERVICES} == {
        mechanism
    }


def overlay_config_map() -> list[dict[str, Any]]:
    """The overlay's ConfigMap merge, once every file the overlay names is there."""
    kustomization = load_all(K8S_SASL / "kustomization.yaml")[0]
    for resource in kustomization["resources"]:
        assert (K8S_SASL / resource).exists(), resource
    for patch in kustomization["patches"]:
        assert (K8S_SASL / patch["path"]).is_file(), patch
    generated: list[dict[str, Any]] = kustomization["configMapGenerator"]
    return generated


def test_the_kubernetes_overlay_gives_settings_rxsim_accepts(tmp_path: Path) -> None:
    [config] = overlay_config_map()
    assert config["name"] == "rxsim-config" and config["behavior"] == "merge"
    literals = dict(literal.split("=", 1) for literal in config["literals"])
    settings = {k: v for k, v in literals.items() if k.startswith(PREFIX)}
    patch = load_all(K8S_SASL / "deployment-kafka-credentials.yaml")[0]
    env = [op["value"][0] for op in patch if op["path"].endswith("/env")]
    assert [e["name"] for e in env] == [env_name("sasl_password")] * 2  # service and init
    assert {e["valueFrom"]["secretKeyRef"]["name"] for e in env} == {"rxsim"}  # the KafkaUser
    password = {env_name("sasl_password"): "from the Secret rxsim"}
    security = accepted(settings | password, tmp_path)
    assert (security.protocol, security.mechanism) == ("SASL_SSL", "SCRAM-SHA-512")
    # One mount appended to the service's list, one list made for the init container.
    mounts = [op["value"] for op in patch if "volumeMounts" in op["path"]]
    mount_paths = [mounts[0]["mountPath"], mounts[1][0]["mountPath"]]
    ca_folder = str(Path(settings[env_name("ssl_cafile")]).parent)
    assert mount_paths == [ca_folder, ca_folder], "the CA file must be where the CA is mounted"


def test_the_kubernetes_overlay_listener_asks_for_the_users_mechanism() -> None:
    [replace] = load_all(K8S_SASL / "kafka-listener.yaml")[0]
    [listener] = replace["value"]
    user = load_all(K8S_SASL / "kafka-user.yaml")[0]
    assert listener["tls"] is True
    assert listener["authentication"]["type"] == user["spec"]["authentication"]["type"]
    [config] = overlay_config_map()
    assert f"KAFKA_BOOTSTRAP_SERVERS=rxsim-kafka-bootstrap:{listener['port']}" in config["literals"]
