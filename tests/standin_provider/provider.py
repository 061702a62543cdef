"""A stand-in ``aws`` / ``docker-build`` resource provider plugin, for tests with the real engine only.

The real pulumi CLI starts this script as the provider plugin (it is installed under the
plugin name and version the SDK asks for, see ``tests/standin_provider/__init__.py``) and
talks to it over Pulumi's gRPC provider protocol. It makes no AWS or Docker call at all:
every resource's outputs are its inputs plus the ids, ARNs and DNS names that
``ecsp.mocks.fake_state`` computes for ``ecsp plan``, and invokes are answered by
``ecsp.mocks.AwsMocks``. So tests using it check ecsp against the real engine (diffs,
state, locks, cancellation, stack references, events), never against AWS.

Knobs, read from the environment the engine passes on to its plugins:

* ``ECSP_STANDIN_FAIL``: comma-separated logical resource names whose Create fails;
* ``ECSP_STANDIN_SLOW``: ``name=seconds``, comma-separated: Create of that resource takes
  that long (ended early by the engine's Cancel), so a test can interrupt mid-run;
* ``ECSP_STANDIN_MARKS``: a folder where each slow Create writes ``<name>.started`` first;
* ``ECSP_STANDIN_REPLACE``: comma-separated input names whose change the provider cannot make in
  place (a real provider's ForceNew properties: a table's key, a database's engine), so Diff asks
  the engine to replace the resource;
* ``ECSP_STANDIN_DELETED``: a folder where each Delete writes ``<type>.<name>.deleted``, so a test
  can tell which resources the engine really deleted (and which it only forgot).
* ``ECSP_STANDIN_DRIFT``: ``[Kind:]name.property=value``, comma-separated: Read (a refresh) finds
  that property of that resource changed outside Pulumi (the value is JSON, or else a string;
  ``Kind``, the type's last part such as ``Service``, picks one of several resources named alike);
* ``ECSP_STANDIN_GONE``: comma-separated ``[Kind:]name`` items that Read finds deleted outside Pulumi.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
import zlib
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.mocks import MockCallArgs
from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc

from ecsp.mocks import DEFAULT_ACCOUNT, DEFAULT_REGION, AwsMocks, fake_state

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
IN_PLACE = frozenset({"tags", "tagsAll", "skipDestroy", "__defaults"})  # what changes without a new revision
# What the engine sends for a value not known yet (a preview of a resource not created).
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def _plain(struct: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(struct)


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(json.loads(json.dumps(value, default=str)))
    return out


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _type(urn: str) -> str:
    return urn.rsplit("::", 2)[-2].rsplit("$", 1)[-1]


def _knob(variable: str) -> dict[str, str]:
    pairs = [item.strip() for item in os.environ.get(variable, "").split(",") if item.strip()]
    return {k.strip(): v.strip() for k, _, v in (p.partition("=") for p in pairs)}


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


class StandInProvider(provider_pb2_grpc.ResourceProviderServicer):
    """Echoes inputs as outputs, adding the computed values ecsp's programs read."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.region = DEFAULT_REGION
        self.account = DEFAULT_ACCOUNT
        self.cancelled = threading.Event()
        # Subnet lookups hand the region's zones out in turn, as under ecsp.mocks: one record of
        # which subnet got which zone for the provider's life, so an existing VPC's subnets are
        # in different zones (a new AwsMocks per call would put every subnet in the first zone).
        self.subnet_zones: dict[str, str] = {}
        self.invoke_lock = threading.Lock()

    # -- the provider's own configuration (one plugin process per provider resource)

    def GetPluginInfo(self, request: empty_pb2.Empty, context: grpc.ServicerContext) -> plugin_pb2.PluginInfo:
        return plugin_pb2.PluginInfo(version=self.version)

    def CheckConfig(self, request: provider_pb2.CheckRequest, context: grpc.ServicerContext
                    ) -> provider_pb2.CheckResponse:
        return provider_pb2.CheckResponse(inputs=request.news)

    def DiffConfig(self, request: provider_pb2.DiffRequest, context: grpc.ServicerContext
                   ) -> provider_pb2.DiffResponse:
        return self._diff(request)

    def Configure(self, request: provider_pb2.ConfigureRequest, context: grpc.ServicerContext
                  ) -> provider_pb2.ConfigureResponse:
        args = _plain(request.args) if request.HasField("args") else {}
        region = args.get("region") or request.variables.get("aws:config:region")
        if isinstance(region, str) and region and region != UNKNOWN:
            self.region = region
        allowed = args.get("allowedAccountIds") or request.variables.get("aws:config:allowedAccountIds")
        if isinstance(allowed, str):
            try:
                allowed = json.loads(allowed)
            except ValueError:
                allowed = [allowed]
        if isinstance(allowed, list) and allowed and isinstance(allowed[0], str) and allowed[0] != UNKNOWN:
            self.account = allowed[0]
        # Plain values only: the engine strips secrets before calling us and marks the
        # outputs of secret inputs secret again itself.
        return provider_pb2.ConfigureResponse(acceptSecrets=False, supportsPreview=True, acceptResources=False)

    def Cancel(self, request: empty_pb2.Empty, context: grpc.ServicerContext) -> empty_pb2.Empty:
        self.cancelled.set()
        return empty_pb2.Empty()

    # -- resources

    def Check(self, request: provider_pb2.CheckRequest, context: grpc.ServicerContext) -> provider_pb2.CheckResponse:
        return provider_pb2.CheckResponse(inputs=request.news)

    def Diff(self, request: provider_pb2.DiffRequest, context: grpc.ServicerContext) -> provider_pb2.DiffResponse:
        return self._diff(request)

    def _diff(self, request: provider_pb2.DiffRequest) -> provider_pb2.DiffResponse:
        olds = _plain(request.old_inputs) if request.HasField("old_inputs") else _plain(request.olds)
        news = _plain(request.news)
        changed = sorted(k for k in set(olds) | set(news) if olds.get(k) != news.get(k))
        if not changed:
            return provider_pb2.DiffResponse(changes=provider_pb2.DiffResponse.DIFF_NONE)
        # As the aws provider: a task definition is immutable, any change registers a new revision; and
        # the inputs a test names (ECSP_STANDIN_REPLACE) cannot change in place either.
        forcing = set(_knob("ECSP_STANDIN_REPLACE"))
        replaces = [k for k in changed if k not in IN_PLACE] if _type(request.urn) == TASK_DEFINITION else []
        replaces += [k for k in changed if k in forcing and k not in replaces]
        detailed = {}
        for key in changed:
            kind = provider_pb2.PropertyDiff.ADD if key not in olds else (
                provider_pb2.PropertyDiff.DELETE if key not in news else provider_pb2.PropertyDiff.UPDATE)
            if key in replaces:
                kind = {provider_pb2.PropertyDiff.ADD: provider_pb2.PropertyDiff.ADD_REPLACE,
                        provider_pb2.PropertyDiff.DELETE: provider_pb2.PropertyDiff.DELETE_REPLACE,
                        provider_pb2.PropertyDiff.UPDATE: provider_pb2.PropertyDiff.UPDATE_REPLACE}[kind]
            detailed[key] = provider_pb2.PropertyDiff(kind=kind, inputDiff=True)
        return provider_pb2.DiffResponse(changes=provider_pb2.DiffResponse.DIFF_SOME, diffs=changed, replaces=replaces,
                                         detailedDiff=detailed, hasDetailedDiff=True)

    def _state(self, urn: str, inputs: dict[str, Any]) -> dict[str, Any]:
        state = fake_state(_type(urn), _name(urn), inputs, self.region, self.account)
        if _type(urn) == TASK_DEFINITION:
            # Each content its own revision, as ECS numbers what it registers (here: from the content).
            content = json.dumps({k: v for k, v in inputs.items() if k not in IN_PLACE}, sort_keys=True)
            revision = 1 + zlib.crc32(content.encode()) % 99_999
            state["arn"] = f"{state['arnWithoutRevision']}:{revision}"
            state["revision"] = revision
        return state

    def Create(self, request: provider_pb2.CreateRequest, context: grpc.ServicerContext
               ) -> provider_pb2.CreateResponse:
        name, inputs = _name(request.urn), _plain(request.properties)
        if request.preview:
            # Like a real provider: the computed outputs are not known before the resource exists.
            return provider_pb2.CreateResponse(properties=_struct(inputs))
        seconds = _knob("ECSP_STANDIN_SLOW").get(name)
        if seconds:
            marks = os.environ.get("ECSP_STANDIN_MARKS")
            if marks:
                Path(marks, f"{name}.started").write_text(str(os.getpid()), encoding="utf-8")
            if self.cancelled.wait(float(seconds)):
                # As the AWS provider answers an in-flight call that pulumi cancels: its context is cancelled.
                context.abort(grpc.StatusCode.UNKNOWN, f"creating {name}: operation error EC2: CreateVpc, "
                              "context canceled")
        if name in _knob("ECSP_STANDIN_FAIL"):
            context.abort(grpc.StatusCode.UNKNOWN, f"stand-in provider: creating {name} fails, as the test asked")
        state = self._state(request.urn, inputs)
        return provider_pb2.CreateResponse(id=str(state.pop("id")), properties=_struct(state))

    def Update(self, request: provider_pb2.UpdateRequest, context: grpc.ServicerContext
               ) -> provider_pb2.UpdateResponse:
        inputs = _plain(request.news)
        if request.preview:
            return provider_pb2.UpdateResponse(properties=_struct({**_plain(request.olds), **inputs}))
        state = self._state(request.urn, inputs)
        state.pop("id")
        return provider_pb2.UpdateResponse(properties=_struct(state))

    def Read(self, request: provider_pb2.ReadRequest, context: grpc.ServicerContext) -> provider_pb2.ReadResponse:
        # What the engine has is what there is, unless a test changed it behind the engine's back.
        names = {_name(request.urn), f"{_type(request.urn).rsplit(':', 1)[-1]}:{_name(request.urn)}"}
        if names & set(_knob("ECSP_STANDIN_GONE")):
            return provider_pb2.ReadResponse()  # no id: the resource no longer exists
        drift = {key.rpartition(".")[2]: _value(value) for key, value in _knob("ECSP_STANDIN_DRIFT").items()
                 if key.rpartition(".")[0] in names}
        if not drift:
            return provider_pb2.ReadResponse(id=request.id, properties=request.properties, inputs=request.inputs)
        properties = {**_plain(request.properties), **drift}
        inputs = {**_plain(request.inputs), **drift}
        return provider_pb2.ReadResponse(id=request.id, properties=_struct(properties), inputs=_struct(inputs))

    def Delete(self, request: provider_pb2.DeleteRequest, context: grpc.ServicerContext) -> empty_pb2.Empty:
        marks = os.environ.get("ECSP_STANDIN_DELETED")
        if marks:
            Path(marks).mkdir(parents=True, exist_ok=True)
            Path(marks, f"{_type(request.urn)}.{_name(request.urn)}.deleted".replace("/", "_")).write_text(
                request.id, encoding="utf-8")
        return empty_pb2.Empty()

    def Invoke(self, request: provider_pb2.InvokeRequest, context: grpc.ServicerContext
               ) -> provider_pb2.InvokeResponse:
        mocks = AwsMocks(account=self.account, region=self.region)
        with self.invoke_lock:
            mocks.subnet_zones = self.subnet_zones
            answer = mocks._answer(MockCallArgs(request.tok, _plain(request.args), ""))
        return provider_pb2.InvokeResponse(**{"return": _struct(answer)})


def main(argv: list[str]) -> None:
    """Serve on a free loopback port and tell the engine which one (its plugin start-up protocol)."""
    del argv  # the engine's address and log flags: this stand-in neither logs to nor calls the engine
    version = os.environ.get("ECSP_STANDIN_VERSION", "0.0.0")
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(StandInProvider(version), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    parent = os.getppid()

    def watch_engine() -> None:
        # Real plugins end when the engine does; a killed engine (a test SIGKILLs one) must
        # not leave this process behind, reparented and serving nobody.
        while os.getppid() == parent:
            time.sleep(1)
        server.stop(0)

    threading.Thread(target=watch_engine, daemon=True).start()
    # A Ctrl-C reaches the whole process group; the engine ends us itself.
    with contextlib.suppress(KeyboardInterrupt):
        server.wait_for_termination()


if __name__ == "__main__":
    main(sys.argv[1:])
