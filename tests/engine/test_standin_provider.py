"""The stand-in provider plugin of the real-engine tests, spoken to over gRPC as the engine does.

Runs without the pulumi CLI: it starts the installed plugin executable, reads the port it
prints, and checks the answers ``tests/engine/test_real_engine.py`` relies on (configured region and
account, computed ARNs and DNS names, diffs, invokes, the failure knob).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from tests import standin_provider

LB = "urn:pulumi:test::shop-environment::ecsp:environment:LoadBalancer$aws:lb/loadBalancer:LoadBalancer::shop-test"


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(value)
    return out


@pytest.fixture
def stub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    monkeypatch.setenv("ECSP_STANDIN_FAIL", "broken")
    [executable] = standin_provider.install(tmp_path, [("aws", "v7.51.1")])
    assert executable == tmp_path / "plugins" / "resource-aws-v7.51.1" / "pulumi-resource-aws"
    process = subprocess.Popen([str(executable), "127.0.0.1:1"], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield provider_pb2_grpc.ResourceProviderStub(channel)
    finally:
        process.kill()
        process.wait()


def test_it_answers_as_the_configured_aws_provider(stub: provider_pb2_grpc.ResourceProviderStub) -> None:
    assert stub.GetPluginInfo(empty_pb2.Empty()).version == "7.51.1"
    stub.Configure(provider_pb2.ConfigureRequest(args=_struct({"region": "eu-west-1",
                                                               "allowedAccountIds": ["222222222222"]})))
    created = stub.Create(provider_pb2.CreateRequest(urn=LB, properties=_struct({"name": "shop-test-1"})))
    outputs = json_format.MessageToDict(created.properties)
    assert created.id.startswith("arn:aws:elasticloadbalancing:eu-west-1:222222222222:loadbalancer/app/shop-test-1/")
    assert outputs["name"] == "shop-test-1" and outputs["dnsName"].endswith(".eu-west-1.elb.amazonaws.com")
    preview = stub.Create(provider_pb2.CreateRequest(urn=LB, properties=_struct({"name": "x"}), preview=True))
    assert json_format.MessageToDict(preview.properties) == {"name": "x"}  # computed values unknown yet

    zones = stub.Invoke(provider_pb2.InvokeRequest(tok="aws:index/getAvailabilityZones:getAvailabilityZones",
                                                   args=_struct({})))
    assert json_format.MessageToDict(getattr(zones, "return"))["names"] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]


def test_diffs_name_the_changed_inputs(stub: provider_pb2_grpc.ResourceProviderStub) -> None:
    same = stub.Diff(provider_pb2.DiffRequest(urn=LB, old_inputs=_struct({"a": 1}), news=_struct({"a": 1})))
    assert same.changes == provider_pb2.DiffResponse.DIFF_NONE
    changed = stub.Diff(provider_pb2.DiffRequest(urn=LB, old_inputs=_struct({"a": 1, "b": 2}),
                                                 news=_struct({"a": 2, "c": 3})))
    assert changed.changes == provider_pb2.DiffResponse.DIFF_SOME and list(changed.diffs) == ["a", "b", "c"]
    kinds = {k: v.kind for k, v in changed.detailedDiff.items()}
    assert kinds == {"a": provider_pb2.PropertyDiff.UPDATE, "b": provider_pb2.PropertyDiff.DELETE,
                     "c": provider_pb2.PropertyDiff.ADD}


def test_the_failure_knob_fails_create_of_that_resource(stub: provider_pb2_grpc.ResourceProviderStub) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        stub.Create(provider_pb2.CreateRequest(urn=LB.rsplit("::", 1)[0] + "::broken", properties=_struct({})))
    assert "creating broken fails, as the test asked" in str(caught.value.details())
