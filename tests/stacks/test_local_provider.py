"""What --local does to the stack programs, under Pulumi's mocks: every aws provider points at the
emulator for every service its stack uses, with fake credentials and the skip flags, and
ECS services do not wait for a steady state that an emulator never reaches.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecsp import graph as graphs
from ecsp import mocks
from ecsp.config import ProjectConfig
from ecsp.context import LocalEmulator
from tests import harness
from tests.paths import ROOT

URL = "http://127.0.0.1:4566"

# The endpoint key (pulumi-aws ProviderEndpointArgs) each resource module calls.
ENDPOINT_OF_MODULE = {
    "acm": "acm", "appautoscaling": "appautoscaling", "ec2": "ec2", "vpc": "ec2", "ecs": "ecs", "ecr": "ecr",
    "lb": "elbv2", "alb": "elbv2", "iam": "iam", "kms": "kms", "route53": "route53", "s3": "s3",
    "secretsmanager": "secretsmanager", "ssm": "ssm", "cloudwatch": "cloudwatch",
    "servicediscovery": "servicediscovery",
}
ENDPOINT_OF_TYPE = {"aws:cloudwatch/logGroup:LogGroup": "cloudwatchlogs"}  # CloudWatch Logs, not CloudWatch


def endpoints_needed(recording: mocks.Recording) -> set[str]:
    needed = {"sts"}  # account lookups and the provider's own identity calls
    for node in recording.nodes:
        if not node.type.startswith("aws:"):
            continue
        module = node.type.split(":")[1].split("/")[0]
        assert module in ENDPOINT_OF_MODULE, f"{node.type}: which endpoint does it call? add it to this test"
        needed.add(ENDPOINT_OF_TYPE.get(node.type, ENDPOINT_OF_MODULE[module]))
    return needed


def decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value


def run_all(config: ProjectConfig, selection: graphs.StackGraph,
            local: LocalEmulator | None) -> dict[str, mocks.Recording]:
    """Each selected stack under mocks, in dependency order, once (upstream outputs passed along)."""
    outputs: dict[str, dict[str, Any]] = {}
    recordings = {}
    for spec in selection.order():
        recording, stack = harness.plan_stack(config, spec, outputs, local=local)
        outputs[spec.fully_qualified(config.state.organization)] = stack.outputs
        recordings[spec.name] = recording
    return recordings


@pytest.fixture(scope="module")
def multi() -> tuple[dict[str, mocks.Recording], dict[str, mocks.Recording]]:
    """examples/multi (two accounts, a role, a domain): every stack in local mode, and prod's for real."""
    config = harness.config((ROOT / "examples" / "multi" / "ecsp.yaml").read_text())
    graph = graphs.build(config)
    real = graphs.select(graph, environments=["prod"], applications=["frontend"], include_upstream=True)
    return run_all(config, graph, LocalEmulator(URL)), run_all(config, real, None)


def test_every_local_provider_targets_the_emulator_for_every_service_used(
        multi: tuple[dict[str, mocks.Recording], dict[str, mocks.Recording]]) -> None:
    recordings, _ = multi
    assert len(recordings) == 9  # project, two environments, three applications in each
    for name, local in recordings.items():
        providers = local.of_type("pulumi:providers:aws")
        assert providers, name
        needed = endpoints_needed(local)
        for provider in providers:
            inputs = provider.inputs
            (endpoints,) = decoded(inputs["endpoints"])
            missing = needed - set(endpoints)
            assert not missing, f"{name} provider {provider.name}: no emulator endpoint for {sorted(missing)}"
            assert set(endpoints.values()) == {URL}, (name, provider.name)
            assert inputs["accessKey"] == {"secret": "test"} and inputs["secretKey"] == {"secret": "test"}
            for flag in ("skipCredentialsValidation", "skipRequestingAccountId", "skipMetadataApiCheck",
                         "skipRegionValidation", "s3UsePathStyle"):
                assert inputs[flag] == "true", (name, provider.name, flag)
            # Nothing that would reach real AWS or real credentials.
            for key in ("profile", "assumeRoles", "allowedAccountIds"):
                assert key not in inputs, (name, provider.name, key)


def test_real_providers_keep_role_account_and_no_endpoints(
        multi: tuple[dict[str, mocks.Recording], dict[str, mocks.Recording]]) -> None:
    # The counterpart: without --local the same stack assumes the role and pins the account.
    inputs = multi[1]["shop-environment/prod"].one("pulumi:providers:aws", "aws").inputs
    assert decoded(inputs["assumeRoles"]) == [
        {"roleArn": "arn:aws:iam::222222222222:role/ecsp-deployer", "sessionName": "ecsp"}]
    assert decoded(inputs["allowedAccountIds"]) == ["222222222222"]
    assert "endpoints" not in inputs and "accessKey" not in inputs


def test_services_skip_steady_state_waits_only_in_local_mode(
        multi: tuple[dict[str, mocks.Recording], dict[str, mocks.Recording]]) -> None:
    local, real = multi
    waits = [service.inputs["waitForSteadyState"] for recording in local.values()
             for service in recording.of_type("aws:ecs/service:Service")]
    assert waits == [False] * 6  # three applications in two environments
    (service,) = real["shop-frontend/prod"].of_type("aws:ecs/service:Service")
    assert service.inputs["waitForSteadyState"] is True
