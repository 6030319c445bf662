"""docker-compose.yml is a topology that could run on several hosts (no Docker engine here: the file is read as
YAML): Temporal's server with its schema set up by the admin tools, not `auto-setup`, and its port unpublished;
SeaweedFS as the object store; workers and the API scaled independently, sharing no volume; every setting and
command it names exists in the code; docs/deployment.md describes it."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import yaml

from settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]


def _command_text(service: dict[str, Any]) -> str:
    command = service.get("command", [])
    return " ".join(command) if isinstance(command, list) else str(command)


def test_temporal_runs_the_server_image_on_a_schema_the_admin_tools_set_up() -> None:
    assert not [name for name, service in SERVICES.items() if "auto-setup" in service.get("image", "")]
    temporal = SERVICES["temporal"]
    assert temporal["image"].startswith("temporalio/server:")
    assert temporal["depends_on"]["temporal-schema"] == {"condition": "service_completed_successfully"}
    schema = SERVICES["temporal-schema"]
    assert schema["image"].startswith("temporalio/admin-tools:")
    script = _command_text(schema)
    for database in ("temporal", "temporal_visibility"):
        assert f"--db {database} update-schema -d /etc/temporal/schema/postgresql/v12/" in script
    assert script.count("setup-schema -v 0.0") == 1 and '--db "$$db"' in script  # once per database, in a loop
    namespace = SERVICES["temporal-namespace"]
    assert "temporal operator namespace create --namespace default" in _command_text(namespace)


def test_no_temporal_or_object_store_port_is_published() -> None:
    for name in ("temporal", "seaweedfs", "postgres", "worker"):
        assert "ports" not in SERVICES[name], f"{name} publishes a port"
    assert SERVICES["temporal"]["expose"] == ["7233"]
    assert SERVICES["temporal-ui"]["ports"] == ["127.0.0.1:8233:8080"]


def test_seaweedfs_serves_s3_with_identities_from_a_secret() -> None:
    seaweedfs = SERVICES["seaweedfs"]
    command = seaweedfs["command"]
    assert command[0] == "server" and "-s3" in command
    assert "-s3.config=/run/secrets/seaweedfs_s3_config" in command
    assert "seaweedfs_s3_config" in seaweedfs["secrets"]
    assert "s3.bucket.create -name wattledger" in _command_text(SERVICES["seaweedfs-bucket"])


def test_workers_and_api_scale_apart_and_share_only_the_servers() -> None:
    worker, api = SERVICES["worker"], SERVICES["api"]
    assert worker["deploy"]["replicas"] >= 2 and api["deploy"]["replicas"] >= 1
    for service in (worker, api):
        assert "volumes" not in service, "a volume is on one host only: the files go to the object store"
        environment = service["environment"]
        assert environment["WATTLEDGER_DATA_URI"].startswith("s3://wattledger/")
        assert environment["WATTLEDGER_OUTBOX_URI"].startswith("s3://wattledger/")
        assert environment["WATTLEDGER_S3_ENDPOINT_URL"] == "http://seaweedfs:8333"
        assert "WATTLEDGER_S3_SECRET_ACCESS_KEY" not in environment, "the S3 secret comes from a file"
        assert set(service["depends_on"]) == {"postgres", "temporal-namespace", "seaweedfs-bucket"}


def test_every_setting_and_secret_the_applications_get_exists() -> None:
    fields = set(Settings.model_fields)
    defined_secrets = set(COMPOSE["secrets"])
    for name in ("worker", "api"):
        service = SERVICES[name]
        for variable, value in service["environment"].items():
            if variable.startswith("WATTLEDGER_"):
                assert variable.removeprefix("WATTLEDGER_").lower() in fields, f"{name}: {variable} is no setting"
            if str(value).startswith("/run/secrets/"):
                assert str(value).removeprefix("/run/secrets/") in service["secrets"], f"{name}: {variable}"
        assert set(service["secrets"]) <= defined_secrets


def test_every_command_names_code_that_exists() -> None:
    assert SERVICES["worker"]["command"] == ["python", "worker.py"]
    assert (ROOT / "worker.py").is_file()
    module, _, attribute = SERVICES["api"]["command"][1].partition(":")
    source = ast.parse((ROOT / Path(*module.split("."))).with_suffix(".py").read_text())
    assigned = {target.id for node in source.body if isinstance(node, ast.Assign) for target in node.targets
                if isinstance(target, ast.Name)}
    assert attribute in assigned, f"{module} defines no {attribute}"


def test_the_servers_and_the_api_have_health_checks() -> None:
    for name in ("postgres", "seaweedfs", "api"):
        assert SERVICES[name]["healthcheck"]["test"], name
    assert "/metrics" in " ".join(SERVICES["api"]["healthcheck"]["test"])  # a route the API serves


def test_the_deployment_guide_describes_this_topology() -> None:
    guide = (ROOT / "docs" / "deployment.md").read_text()
    for subject in ("--scale worker=", "temporal-schema", "seaweedfs", "WATTLEDGER_S3_ENDPOINT_URL", "Backup",
                    "Key rotation", "Upgrades", "worker versioning", "Sizing"):
        assert subject in guide, f"docs/deployment.md says nothing of {subject}"
