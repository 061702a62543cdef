"""`up` and `preview` look up every name ecsp would give before anything starts (moto's server).

A Copilot application "shop" is live in the account: its resources are created here with
Copilot's names and tags (aws/copilot-cli's templates). An ecsp project imported from it
keeps the name "shop"; ecsp's own names never meet Copilot's, so the run goes ahead, except
where a name is the same on purpose (hosted zones with Copilot's domain, a table named as
Copilot's environment addon names it) or something else holds one of ecsp's names: then
nothing starts, and the error names the resource, its owner's tags and the fix (for data:
link the live one as existing).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ecsp import api, cli, naming, preflight
from ecsp.engine.fake import FakeEngine
from tests import ops_support
from tests.ops_support import client

REGION = "us-west-2"
PROJECT = """\
project: {{name: shop, region: us-west-2{domain}}}
environments:
  test: {{region: us-west-2}}
applications:
  web: {{image: {{location: nginx}}, port: 80, publish: [created]}}
  api: {{kind: backend, image: {{location: nginx}}, port: 8080, connect: true}}
  orders: {{kind: worker, image: {{location: busybox}}, subscribe: [{{app: web, topic: created}}]}}
  nightly: {{kind: job, image: {{location: busybox}}, schedule: "rate(1 day)"}}
"""
COPILOT = {"copilot-application": "shop", "copilot-environment": "test"}

moto, aws_is_moto = ops_support.moto, ops_support.aws_is_moto  # fixtures


@pytest.fixture
def aws(aws_is_moto: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """moto's server as the account every boto3 client reaches (not --local: the path real runs take)."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setattr(api, "NAME_CHECK", api._check_names)  # the real look-up (conftest records it otherwise)
    return aws_is_moto


def _project(tmp_path: Path, domain: str = "") -> api.Project:
    (tmp_path / "ecsp.yaml").write_text(PROJECT.format(domain=f", domain: {domain}" if domain else ""))
    return api.load(tmp_path / "ecsp.yaml")


def _copilot_application(endpoint: str) -> None:
    """What `copilot deploy` left for application shop, environment test (names from Copilot's templates)."""
    def tags(service: str | None = None, key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
        found = {**COPILOT, **({"copilot-service": service} if service else {})}
        return [{key: k, value: v} for k, v in found.items()]

    ecr = client(endpoint, "ecr", REGION)
    for svc in ("web", "api", "orders", "nightly"):
        ecr.create_repository(repositoryName=f"shop/{svc}", tags=tags(svc))
    client(endpoint, "sns", REGION).create_topic(Name="shop-test-web-created", Tags=tags("web"))
    client(endpoint, "sqs", REGION).create_queue(QueueName="shop-test-orders-EventsQueue-1ABC2DEF3GH4I",
                                                 tags={**COPILOT, "copilot-service": "orders"})
    role = client(endpoint, "iam").create_role(
        RoleName="shop-test-nightly-StateMachineRole-1R2ZQ6H6LGY2V", AssumeRolePolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": []}), Tags=tags("nightly"))["Role"]["Arn"]
    client(endpoint, "stepfunctions", REGION).create_state_machine(
        name="shop-test-nightly", definition=json.dumps({"StartAt": "Run", "States": {"Run": {"Type": "Succeed"}}}),
        roleArn=role, tags=tags("nightly", "key", "value"))
    logs = client(endpoint, "logs", REGION)
    for svc in ("web", "api", "orders", "nightly"):
        logs.create_log_group(logGroupName=f"/copilot/shop-test-{svc}", tags={**COPILOT, "copilot-service": svc})
    ecs = client(endpoint, "ecs", REGION)
    container = {"name": "web", "image": "nginx", "memory": 512}
    ecs.register_task_definition(family="shop-test-web", containerDefinitions=[container],
                                 tags=tags("web", "key", "value"))
    vpc = client(endpoint, "ec2", REGION).create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    client(endpoint, "servicediscovery", REGION).create_private_dns_namespace(
        Name="test.shop.local", Vpc=vpc, Tags=tags())


def _table(endpoint: str, name: str, tags: dict[str, str]) -> None:
    client(endpoint, "dynamodb", REGION).create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST", Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])


def _subnet(endpoint: str) -> str:
    """A subnet of a new VPC (what an RDS subnet group needs)."""
    ec2 = client(endpoint, "ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24", AvailabilityZone=f"{REGION}a")["Subnet"]
    return str(subnet["SubnetId"])


def test_copilots_live_application_holds_none_of_ecsps_names(aws: str, tmp_path: Path) -> None:
    _copilot_application(aws)
    project = _project(tmp_path)
    engine = FakeEngine()
    result = project.up(engine=engine, progress=False)
    assert result.ok and set(engine.state) == set(project.stacks().names())


def test_a_name_held_outside_ecsps_stacks_stops_the_run_before_anything_starts(aws: str, tmp_path: Path) -> None:
    _copilot_application(aws)
    project = _project(tmp_path)
    # Someone created the repository ecsp would create (no tags), and an ecsp stack of the same project
    # created the topic (its own tags): the first stops the run, the second is ecsp's to update.
    client(aws, "ecr", REGION).create_repository(repositoryName=naming.ecr_repository("shop", "web"))
    names = naming.AppNames("shop", "test", "web")
    client(aws, "sns", REGION).create_topic(Name=names.topic("created"), Tags=[
        {"Key": "ecsp:project", "Value": "shop"}, {"Key": "ecsp:environment", "Value": "test"},
        {"Key": "ecsp:application", "Value": "web"}])
    engine = FakeEngine()
    with pytest.raises(preflight.NameTakenError) as e:
        project.up(engine=engine, progress=False)
    assert engine.calls == [] and engine.state == {}  # nothing started
    assert [str(c) for c in e.value.collisions] == [
        "ECR repository ecsp/shop/web (shop-project/global, us-west-2) exists and is not ecsp's (no tags)"]
    assert "delete or rename it" in (e.value.fix or "")


def test_copilots_hosted_zone_stops_a_project_that_keeps_its_name_and_domain(aws: str, tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture[str],
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    route53 = client(aws, "route53", REGION)
    route53.create_hosted_zone(Name="example.com", CallerReference="root")
    # Copilot's application zone <app>.<domain> (aws/copilot-cli templates/app/app.yml), with its tags.
    zone = route53.create_hosted_zone(Name="shop.example.com", CallerReference="copilot")["HostedZone"]["Id"]
    route53.change_tags_for_resource(ResourceType="hostedzone", ResourceId=zone.rsplit("/", 1)[-1],
                                     AddTags=[{"Key": "copilot-application", "Value": "shop"}])
    _project(tmp_path, domain="example.com")
    fake = FakeEngine()
    monkeypatch.setattr(api, "ENGINE_FACTORY", lambda project, **kwargs: fake)
    assert cli.main(["up", "-f", str(tmp_path / "ecsp.yaml"), "--progress", "none"]) == 1
    err = capsys.readouterr().err
    assert "Route 53 hosted zone shop.example.com (shop-project/global, us-west-2) exists and is Copilot's " \
           "(copilot-application=shop)" in err
    assert "remove project.domain" in err and "--runbook" in err
    assert fake.calls == []
    # preview checks too; --skip-name-check is the way past it.
    assert cli.main(["preview", "-f", str(tmp_path / "ecsp.yaml"), "--progress", "none"]) == 1
    assert cli.main(["up", "-f", str(tmp_path / "ecsp.yaml"), "--progress", "none", "--skip-name-check"]) == 0


def test_every_named_kind_has_a_lookup_that_finds_and_misses(aws: str) -> None:
    assert set(preflight.LOOKUPS) == {k.resource_type for k in naming.NAMED_KINDS}
    sessions = preflight.Sessions()
    placement = preflight.Placement(REGION)

    def look(kind: str, name: str) -> Any:
        return preflight.LOOKUPS[kind](lambda service: sessions.client(placement, service), name)

    made = _every_kind(aws)
    assert set(made) | {CACHE} == set(preflight.LOOKUPS)  # the cache's: test_the_serverless_cache_lookup_...
    for kind, name in made.items():
        found = look(kind, name)
        assert found is not None, kind
        assert found.tags.get("owner") == "someone", (kind, found.tags)
        assert look(kind, name + "x" if not name.endswith(".") else "x" + name) is None, kind


def _every_kind(endpoint: str) -> dict[str, str]:
    """One resource of every named kind, tagged owner=someone; by Pulumi type."""
    tag = [{"Key": "owner", "Value": "someone"}]
    low = [{"key": "owner", "value": "someone"}]
    assume = {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "codepipeline.amazonaws.com"}}
    trust = json.dumps({"Version": "2012-10-17", "Statement": [assume]})
    role = client(endpoint, "iam").create_role(RoleName="someones-role", AssumeRolePolicyDocument=trust,
                                               Tags=tag)["Role"]["Arn"]
    client(endpoint, "ecr", REGION).create_repository(repositoryName="team/repo", tags=tag)
    client(endpoint, "sns", REGION).create_topic(Name="team-topic", Tags=tag)
    client(endpoint, "sqs", REGION).create_queue(QueueName="team-queue", tags={"owner": "someone"})
    client(endpoint, "stepfunctions", REGION).create_state_machine(
        name="team-machine", definition=json.dumps({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}),
        roleArn=role, tags=low)
    client(endpoint, "logs", REGION).create_log_group(logGroupName="/team/logs", tags={"owner": "someone"})
    ecs = client(endpoint, "ecs", REGION)
    ecs.register_task_definition(family="team-family", tags=low,
                                 containerDefinitions=[{"name": "a", "image": "nginx", "memory": 512}])
    ecs.create_cluster(clusterName="team-cluster", tags=low)
    client(endpoint, "servicediscovery", REGION).create_http_namespace(Name="team.local", Tags=tag)
    route53 = client(endpoint, "route53", REGION)
    zone = route53.create_hosted_zone(Name="team.example.org", CallerReference="z")["HostedZone"]["Id"]
    route53.change_tags_for_resource(ResourceType="hostedzone", ResourceId=zone.rsplit("/", 1)[-1], AddTags=tag)
    client(endpoint, "scheduler", REGION).create_schedule(
        Name="team-schedule", ScheduleExpression="rate(1 day)", FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": "arn:aws:sqs:us-west-2:123456789012:team-queue", "RoleArn": role})
    scheduler = client(endpoint, "scheduler", REGION)
    arn = scheduler.get_schedule(Name="team-schedule")["Arn"]
    scheduler.tag_resource(ResourceArn=arn, Tags=tag)
    kms = client(endpoint, "kms", REGION)
    key = kms.create_key(Tags=[{"TagKey": "owner", "TagValue": "someone"}])["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/team", TargetKeyId=key)
    client(endpoint, "codepipeline", REGION).create_pipeline(pipeline={
        "name": "team-pipeline", "roleArn": role, "artifactStore": {"type": "S3", "location": "bucket"},
        "stages": [{"name": "Source", "actions": [{"name": "S", "actionTypeId": {
            "category": "Source", "owner": "AWS", "provider": "S3", "version": "1"}, "configuration": {}}]},
            {"name": "Build", "actions": [{"name": "B", "actionTypeId": {
                "category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"}, "configuration": {}}]}]},
        tags=low)
    client(endpoint, "codebuild", REGION).create_project(
        name="team-build", source={"type": "S3", "location": "bucket/source.zip"}, artifacts={"type": "NO_ARTIFACTS"},
        environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType":
                     "BUILD_GENERAL1_SMALL"}, serviceRole=role, tags=low)
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    client(endpoint, "iam").create_policy(PolicyName="team-boundary", Path="/team/", Tags=tag,
                                          PolicyDocument=json.dumps(document))
    client(endpoint, "cloudwatch", REGION).put_metric_alarm(
        AlarmName="team-alarm", MetricName="CPUUtilization", Namespace="AWS/ECS", Statistic="Average", Period=60,
        EvaluationPeriods=1, Threshold=90, ComparisonOperator="GreaterThanThreshold", Tags=tag)
    _table(endpoint, "team-table", {"owner": "someone"})
    rds = client(endpoint, "rds", REGION)
    rds.create_db_subnet_group(DBSubnetGroupName="team-subnets", DBSubnetGroupDescription="team",
                               SubnetIds=[_subnet(endpoint)], Tags=tag)
    rds.create_db_cluster(DBClusterIdentifier="team-cluster", Engine="aurora-postgresql", MasterUsername="postgres",
                          MasterUserPassword="not-a-real-one", Tags=tag)
    rds.create_db_instance(DBInstanceIdentifier="team-database", Engine="mysql", DBInstanceClass="db.t4g.micro",
                           MasterUsername="admin", MasterUserPassword="not-real-1", AllocatedStorage=20, Tags=tag)
    client(endpoint, "cloudformation", REGION).create_stack(
        StackName="team-stack", TemplateBody=json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}),
        Tags=tag)
    return {
        "aws:iam/policy:Policy": "team-boundary", "aws:cloudwatch/metricAlarm:MetricAlarm": "team-alarm",
        "aws:ecr/repository:Repository": "team/repo", "aws:sns/topic:Topic": "team-topic",
        "aws:sqs/queue:Queue": "team-queue", "aws:sfn/stateMachine:StateMachine": "team-machine",
        "aws:cloudwatch/logGroup:LogGroup": "/team/logs", "aws:ecs/taskDefinition:TaskDefinition": "team-family",
        "aws:ecs/cluster:Cluster": "team-cluster", "aws:iam/role:Role": "someones-role",
        "aws:servicediscovery/httpNamespace:HttpNamespace": "team.local",
        "aws:route53/zone:Zone": "team.example.org", "aws:scheduler/schedule:Schedule": "team-schedule",
        "aws:kms/alias:Alias": "alias/team", "aws:codepipeline/pipeline:Pipeline": "team-pipeline",
        "aws:codebuild/project:Project": "team-build", "aws:dynamodb/table:Table": "team-table",
        "aws:rds/cluster:Cluster": "team-cluster", "aws:rds/clusterInstance:ClusterInstance": "team-database",
        "aws:rds/instance:Instance": "team-database", "aws:rds/subnetGroup:SubnetGroup": "team-subnets",
        "aws:cloudformation/stack:Stack": "team-stack",
    }


# --------------------------------------------------------------------------- storage

DATA_PROJECT = """\
project: {name: shop, region: us-west-2}
environments:
  test: {region: us-west-2}
data:
  orders: {kind: table, partition_key: "id:S"}
  ledger: {kind: postgres}
applications:
  web: {image: {location: nginx}, port: 80, link: [orders, ledger], addons: addons}
"""
ADDON = """\
Parameters: {App: {Type: String}, Env: {Type: String}, Name: {Type: String}}
Resources: {notesBucket: {Type: AWS::S3::Bucket}}
Outputs: {notesName: {Value: !Ref notesBucket}}
"""
# What the storage stack's provider tags everything with (its own ecsp:* tags).
STORAGE_TAGS = {"ecsp:project": "shop", "ecsp:environment": "test"}


def _data_project(tmp_path: Path) -> api.Project:
    (tmp_path / "addons").mkdir()
    (tmp_path / "addons" / "notes.yml").write_text(ADDON)
    (tmp_path / "ecsp.yaml").write_text(DATA_PROJECT)
    return api.load(tmp_path / "ecsp.yaml")


def _copilot_storage(endpoint: str) -> None:
    """What `copilot storage init` left for application shop, environment test, service web, and Copilot's stacks.

    A workload addon's table is ``${App}-${Env}-${Name}-<name>``; CloudFormation names the Aurora
    cluster, its instance and subnet group (RDS keeps them lowercase) and the nested addon stack.
    """
    service = {**COPILOT, "copilot-service": "web"}
    tags = [{"Key": k, "Value": v} for k, v in service.items()]
    _table(endpoint, "shop-test-web-orders", service)
    rds = client(endpoint, "rds", REGION)
    addons = "shop-test-web-addonsstack-1x2y3z4a5b6c"
    rds.create_db_subnet_group(DBSubnetGroupName=f"{addons}-ledgersubnetgroup-1a2b3c4d5e6f",
                               DBSubnetGroupDescription="Copilot's", SubnetIds=[_subnet(endpoint)], Tags=tags)
    rds.create_db_cluster(DBClusterIdentifier=f"{addons}-ledgercluster-7g8h9i0j1k2l", Engine="aurora-postgresql",
                          MasterUsername="postgres", MasterUserPassword="not-a-real-one", Tags=tags)
    cloudformation = client(endpoint, "cloudformation", REGION)
    template = json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}})
    for stack, service in (("shop-test", None), ("shop-test-web", "web"),
                           ("shop-test-web-AddonsStack-1X2Y3Z4A5B6C", "web")):
        stack_tags = {**COPILOT, **({"copilot-service": service} if service else {})}
        cloudformation.create_stack(StackName=stack, TemplateBody=template,
                                    Tags=[{"Key": k, "Value": v} for k, v in stack_tags.items()])


def test_copilots_live_storage_holds_none_of_ecsps_data_names(aws: str, tmp_path: Path) -> None:
    _copilot_storage(aws)
    project = _data_project(tmp_path)
    engine = FakeEngine()
    result = project.up(engine=engine, progress=False)
    assert result.ok and "shop-storage/test" in engine.state


def test_live_data_of_ecsps_names_stops_the_run_and_the_fix_links_it(aws: str, tmp_path: Path) -> None:
    project = _data_project(tmp_path)
    # Copilot's environment addon named its table as ecsp names data 'orders'; someone made a cluster
    # of the ledger's name; the addon stack is the storage stack's own (its ecsp:* tags): ecsp's to update.
    _table(aws, "shop-test-orders", COPILOT)
    client(aws, "rds", REGION).create_db_cluster(
        DBClusterIdentifier="shop-test-ledger", Engine="aurora-postgresql", MasterUsername="postgres",
        MasterUserPassword="not-a-real-one", Tags=[{"Key": "team", "Value": "billing"}])
    client(aws, "cloudformation", REGION).create_stack(
        StackName=naming.addon_stack("shop", "test", "web"), TemplateBody=json.dumps(
            {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}),
        Tags=[{"Key": k, "Value": v} for k, v in STORAGE_TAGS.items()])
    engine = FakeEngine()
    with pytest.raises(preflight.NameTakenError) as e:
        project.up(engine=engine, progress=False)
    assert engine.calls == [] and engine.state == {}  # nothing started
    assert [str(c) for c in e.value.collisions] == [
        "DynamoDB table shop-test-orders (shop-storage/test, us-west-2) exists and is Copilot's "
        "(copilot-application=shop, copilot-environment=test)",
        "RDS cluster shop-test-ledger (shop-storage/test, us-west-2) exists and is not ecsp's (team=billing)"]
    fix = e.value.fix or ""
    assert "link the live one as existing storage instead of creating it" in fix
    assert "data.orders.environments.test.existing: {name: shop-test-orders}" in fix
    assert "data.ledger.environments.test.existing: {secret: SECRET_ARN, security_group: sg-...}" in fix
    assert "--from-aws" in fix and "give the data entry another name" in fix
    # Neither retiring Copilot's stacks (its runbook keeps the data) nor deleting data is the way.
    assert "--runbook" not in fix and "delete" not in fix


def test_a_data_collision_reads_as_one_error_on_the_command_line(aws: str, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    _data_project(tmp_path)
    fake = FakeEngine()
    monkeypatch.setattr(api, "ENGINE_FACTORY", lambda project, **kwargs: fake)
    _table(aws, "shop-test-orders", COPILOT)
    assert cli.main(["up", "-f", str(tmp_path / "ecsp.yaml"), "--env", "test", "--progress", "none"]) == 1
    err = capsys.readouterr().err
    assert "DynamoDB table shop-test-orders (shop-storage/test, us-west-2) exists and is Copilot's" in err
    assert "data.orders.environments.test.existing: {name: shop-test-orders}" in err
    assert "Traceback" not in err and fake.calls == []


def _stubbed_cache(found: bool) -> Any:
    """An ElastiCache client answering one DescribeServerlessCaches (and its tags when ``found``).

    botocore's Stubber, not moto: moto (5.2) does not implement ElastiCache Serverless.
    """
    import boto3
    from botocore.stub import Stubber

    elasticache = boto3.client("elasticache", region_name=REGION, aws_access_key_id="test",
                               aws_secret_access_key="test")
    stub = Stubber(elasticache)
    arn = f"arn:aws:elasticache:{REGION}:123456789012:serverlesscache:shop-test-sessions"
    if found:
        stub.add_response("describe_serverless_caches",
                          {"ServerlessCaches": [{"ServerlessCacheName": "shop-test-sessions", "ARN": arn}]},
                          {"ServerlessCacheName": "shop-test-sessions"})
        stub.add_response("list_tags_for_resource", {"TagList": [{"Key": "owner", "Value": "someone"}]},
                          {"ResourceName": arn})
    else:
        stub.add_client_error("describe_serverless_caches", "ServerlessCacheNotFoundFault", http_status_code=404,
                              expected_params={"ServerlessCacheName": "shop-test-sessions"})
    stub.activate()
    return elasticache


CACHE = "aws:elasticache/serverlessCache:ServerlessCache"


@pytest.mark.parametrize("found", [True, False])
def test_the_serverless_cache_lookup_finds_and_misses(found: bool) -> None:
    elasticache = _stubbed_cache(found)
    got = preflight.LOOKUPS[CACHE](lambda service: elasticache, "shop-test-sessions")
    if found:
        assert got == preflight.Found(
            f"arn:aws:elasticache:{REGION}:123456789012:serverlesscache:shop-test-sessions", {"owner": "someone"})
    else:
        assert got is None


def test_a_live_cache_of_a_redis_entrys_name_is_a_collision_whose_fix_links_it(tmp_path: Path) -> None:
    (tmp_path / "ecsp.yaml").write_text(
        "project: {name: shop, region: us-west-2}\nenvironments: {test: {region: us-west-2}}\n"
        "data: {sessions: {kind: redis}}\n")
    plan = api.load(tmp_path / "ecsp.yaml").plan("test")
    named = [r for r in preflight.named_resources(plan, ["shop-storage/test"]) if r.kind.resource_type == CACHE]
    assert [(r.name, r.data) for r in named] == [("shop-test-sessions", preflight.DataEntry("sessions", "redis",
                                                                                           "test"))]

    class Stubbed(preflight.Sessions):
        def client(self, placement: preflight.Placement, service: str) -> Any:
            assert service == "elasticache"
            return elasticache

    elasticache = _stubbed_cache(found=True)
    found = preflight.collisions(named, Stubbed())
    error = preflight.NameTakenError(found)
    assert [str(c) for c in found] == ["ElastiCache serverless cache shop-test-sessions (shop-storage/test, us-west-2) "
                                       "exists and is not ecsp's (owner=someone)"]
    assert "data.sessions.environments.test.existing: {host: HOST, port: PORT, security_group: sg-...}" in (
        error.fix or "")
