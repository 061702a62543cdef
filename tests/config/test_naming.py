"""Name shortening and derived names: never over a limit, stable, distinct, untouched when they fit."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecsp import naming
from ecsp.config import NAME_PATTERN

ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyz0123456789"
names = st.text(alphabet=ALPHANUMERIC + "-", min_size=1, max_size=120)
limits = st.integers(min_value=8, max_value=128)


@st.composite
def user_names(draw: st.DrawFn, max_size: int) -> str:
    """Names ecsp.yaml accepts (NAME_PATTERN), up to ``max_size`` characters, longest ones likely."""
    first = draw(st.sampled_from("abcdefghijklmnopqrstuvwxyz"))
    segments = draw(st.lists(st.text(alphabet=ALPHANUMERIC, min_size=1, max_size=10), max_size=6))
    name = "-".join([first + (segments[0] if segments else ""), *segments[1:]])[:max_size].rstrip("-")
    assert re.match(NAME_PATTERN, name), name
    return name


@given(names, limits)
def test_never_longer_than_the_limit(name: str, limit: int) -> None:
    assert len(naming.shorten(name, limit)) <= limit


@given(names, limits)
def test_unchanged_when_it_fits(name: str, limit: int) -> None:
    if len(name) <= limit:
        assert naming.shorten(name, limit) == name
    else:
        assert naming.shorten(name, limit) != name


@given(names, limits)
def test_deterministic_and_keeps_a_readable_prefix(name: str, limit: int) -> None:
    short = naming.shorten(name, limit)
    assert short == naming.shorten(name, limit)
    if len(name) > limit:
        prefix = name[: limit - 7].rstrip("-")
        assert short.startswith(prefix)
        assert short[len(prefix)] == "-"


@given(names, names, limits)
def test_distinct_long_names_stay_distinct(a: str, b: str, limit: int) -> None:
    if a != b and len(a) > limit and len(b) > limit:
        assert naming.shorten(a, limit) != naming.shorten(b, limit)


def test_no_collisions_among_many_similar_names() -> None:
    # Names that share a long prefix differ only in the hash: the realistic worst case.
    long = [f"shop-production-{i:05d}-frontend" for i in range(20000)]
    assert len({naming.shorten(n, 24) for n in long}) == len(long)


@pytest.mark.parametrize("limit", [-1, 0, 7])
def test_a_limit_without_room_for_the_hash_is_refused(limit: int) -> None:
    with pytest.raises(ValueError):
        naming.shorten("anything-long-enough", limit)


@given(user_names(naming.MAX_PROJECT), user_names(naming.MAX_ENVIRONMENT), user_names(naming.MAX_APPLICATION))
def test_derived_aws_names_fit_their_limits(project: str, env: str, app: str) -> None:
    # Auto-named resources get 8 more characters from Pulumi: the base must leave room.
    suffix = naming.AUTONAME_SUFFIX
    app_names = naming.AppNames(project, env, app)
    env_names = naming.EnvNames(project, env)
    assert len(app_names.target_group) + suffix <= naming.TARGET_GROUP_NAME_LIMIT
    assert len(app_names.execution_role) + suffix <= naming.IAM_ROLE_NAME_LIMIT
    assert len(app_names.task_role) + suffix <= naming.IAM_ROLE_NAME_LIMIT
    assert len(env_names.load_balancer) + suffix <= naming.ALB_NAME_LIMIT
    assert len(env_names.default_target_group) + suffix <= naming.TARGET_GROUP_NAME_LIMIT
    assert len(naming.artifact_bucket(project, "ap-southeast-7")) + suffix <= naming.S3_BUCKET_NAME_LIMIT
    assert len(naming.dns_delegation_role(project)) <= naming.IAM_ROLE_NAME_LIMIT


def test_name_limit_problems_point_at_the_environment() -> None:
    domain = "a-rather-long-domain-name-for-a-certificate.example.com"
    problems = naming.name_limit_problems("shop", domain, ["test", "qa"], ["web"])
    assert problems == [(("environments", "test"),
                         f"the certificate name 'test.shop.{domain}' is 65 characters; ACM allows 64: shorten the "
                         "environment, project or domain name")]
    assert naming.name_limit_problems("shop", None, ["a" * 16], ["b" * 24]) == []


# --------------------------------------------------------------------------- beside Copilot

topics = st.from_regex(r"[a-z][a-z0-9_-]{0,20}", fullmatch=True)
PULUMI_SUFFIX = "-0a1b2c3"  # what Pulumi's auto-naming appends to a logical name


def _every_name(project: str, env: str, app: str, topic: str, pipeline: str,
                data: str = "orders") -> dict[str, list[str]]:
    """Every physical name ecsp gives, by the label of its kind in naming.NAMED_KINDS."""
    names = naming.AppNames(project, env, app)
    envs = naming.EnvNames(project, env)
    pipe = naming.PipelineNames(project, pipeline)
    stored = naming.DataNames(project, env, data)
    return {
        "ECR repository": [naming.ecr_repository(project, app)],
        "SNS topic": [names.topic(topic)],
        "SQS queue": [names.queue, names.dead_letter_queue],
        "Step Functions state machine": [names.state_machine],
        "CloudWatch log group": [names.log_group, naming.flow_log_group(project, env), pipe.log_group(env)],
        "ECS task definition family": [names.family],
        "ECS cluster": [envs.cluster],
        "IAM role": [naming.dns_delegation_role(project), naming.deploy_role(project, env), pipe.build_role,
                     pipe.pipeline_role, pipe.events_role,
                     *(logical + PULUMI_SUFFIX for logical in (names.execution_role, names.task_role,
                                                                names.state_machine_role, names.scheduler_role))],
        "Cloud Map namespace": [envs.service_connect_namespace],
        "Route 53 hosted zone": [naming.project_zone(project, "example.com"),
                                 naming.environment_zone(project, env, "example.com")],
        "EventBridge Scheduler schedule": [names.schedule],
        "KMS alias": [naming.kms_alias(project)],
        "CodePipeline pipeline": [pipe.pipeline_name],
        "CodeBuild project": [pipe.build_project(env)],
        "IAM managed policy": [naming.permissions_boundary(project), naming.permissions_boundary(project, env),
                               *(naming.permissions_boundary(project, env, w)
                                 for w in (naming.DEPLOYERS, naming.PREVIEWS, naming.PREVIEW_DEPLOYERS))],
        "CloudWatch alarm": [names.rollback_alarm("errors"), names.rollback_alarm("response-time")],
        "DynamoDB table": [stored.table],
        "ElastiCache serverless cache": [stored.cache],
        "RDS cluster": [stored.database],
        "RDS cluster instance": [stored.cluster_instance],
        "RDS instance": [stored.database],
        "RDS subnet group": [stored.database],
        "CloudFormation stack": [naming.addon_stack(project, env, None), naming.addon_stack(project, env, app)],
    }


# The kinds whose names may be Copilot's on purpose, and why; `up` looks each up in the account
# first (ecsp.preflight), so a name that is taken stops the run instead of meeting Copilot's.
SAME_SHAPE = {
    "Route 53 hosted zone": "host names: people type them, so they keep their shape",
    "DynamoDB table": "data, never renamed (a new name replaces the table); and an imported project's table is "
                      "named exactly as Copilot's environment addon named it",
    "CloudFormation stack": "an addon stack may hold data, never renamed; CloudFormation refuses '_', and "
                            "<project>-<env>-<app>-addons has the shape of Copilot's <app>-<env>-<svc>",
    "RDS cluster": "data, never renamed; RDS refuses '_', and a data entry whose last word has 12 or 13 "
                   "characters gives CloudFormation's generated shape",
    "RDS instance": "data, never renamed; as the RDS cluster",
    "RDS subnet group": "the database's, never renamed (a new one replaces the database); as the RDS cluster",
    "RDS cluster instance": "the database's, never renamed; as the RDS cluster",
    "ElastiCache serverless cache": "data, never renamed; ElastiCache refuses '_' (Copilot makes no cache)",
}


def test_the_kinds_of_copilots_shape_are_the_ones_that_cannot_be_marked() -> None:
    assert set(SAME_SHAPE) == {k.label for k in naming.NAMED_KINDS if k.user_facing or k.holds_data}
    # None of them was ever marked, so none keeps an earlier name either.
    assert [k.label for k in naming.NAMED_KINDS if k.holds_data and k.kept] == []
    # Why RDS's are excepted: a data entry's last word of CloudFormation's random length.
    rds = next(k for k in naming.NAMED_KINDS if k.label == "RDS cluster")
    assert rds.copilot_pattern(naming.DataNames("shop", "test", "orders-archive2024ab").database)


def test_every_named_kind_has_names_to_check() -> None:
    assert set(_every_name("shop", "test", "api", "created", "release")) == {k.label for k in naming.NAMED_KINDS}


@given(user_names(naming.MAX_PROJECT), user_names(naming.MAX_ENVIRONMENT), user_names(naming.MAX_APPLICATION),
       topics, user_names(naming.MAX_PIPELINE), user_names(naming.MAX_DATA))
def test_no_name_ecsp_gives_is_one_copilot_gives(project: str, env: str, app: str, topic: str,
                                                pipeline: str, data: str) -> None:
    kinds = {k.label: k for k in naming.NAMED_KINDS}
    for label, names in _every_name(project, env, app, topic, pipeline, data).items():
        kind = kinds[label]
        if label in SAME_SHAPE:
            continue  # Copilot's shape on purpose, or a name that cannot carry a mark: why, in SAME_SHAPE
        for name in names:
            assert kind.copilot_pattern(name) is None, (label, name, kind.copilot_pattern(name))


@pytest.mark.parametrize(("label", "copilots"), [
    # What a Copilot application "shop" with environment "test" and service "api" names (read from
    # aws/copilot-cli's templates); the patterns must see them, or the property above proves nothing.
    ("ECR repository", ["shop/api", "copilot-migrate"]),
    ("SNS topic", ["shop-test-api-orders", "shop-test-api-Order_Events"]),
    ("SQS queue", ["shop-test-worker-EventsQueue-1ABC2DEF3GH4I"]),
    ("Step Functions state machine", ["shop-test-nightly"]),
    ("CloudWatch log group", ["/copilot/shop-test-api", "shop-test-FlowLogs"]),
    ("ECS task definition family", ["shop-test-api", "copilot-migrate"]),
    ("IAM role", ["shop-test-CFNExecutionRole", "shop-test-envmanagerrole", "shop-DNSDelegationRole",
                  "shop-test-api-TaskRole-1R2ZQ6H6LGY2V"]),
    ("Cloud Map namespace", ["test.shop.local", "shop.local"]),
    ("CodePipeline pipeline", ["pipeline-shop-release", "release"]),
    ("CodeBuild project", ["pipeline-shop-release-BuildProject"]),
    ("DynamoDB table", ["shop-test-orders", "shop-test-api-orders", "shop-test-api-Orders.v2_archive"]),
    ("RDS cluster", ["shop-test-api-addonsstack-1x2y3z4a5b6c-ledgercluster-7g8h9i0j1k2l",
                     "shop-test-AddonsStack-1X2Y3Z4A5B6C-ledgerDBCluster-7G8H9I0J1K2L"]),
    ("RDS cluster instance", ["shop-test-api-addonsstack-1x2y3z-ledgerdbwriterinstance-7g8h9i0j1k2l"]),
    ("RDS subnet group", ["shop-test-addonsstack-1x2y3z4a5b6c-ledgerdbsubnetgroup-7g8h9i0j1k2l"]),
    ("CloudFormation stack", ["shop-test", "shop-test-api", "shop-infrastructure-roles", "pipeline-shop-release",
                              "release", "task-migrate", "shop-test-api-AddonsStack-1X2Y3Z4A5B6C",
                              "StackSet-shop-infrastructure-0c2b1f5e-8a4d-4e55-9d1b-3f2e6a7b8c9d"]),
])
def test_copilots_own_names_match_its_patterns(label: str, copilots: list[str]) -> None:
    kind = next(k for k in naming.NAMED_KINDS if k.label == label)
    assert [name for name in copilots if kind.copilot_pattern(name) is None] == []
    # ... and the ecsp names of the same application are not among them (a data name of this
    # application, "orders", has no word of CloudFormation's random length).
    ours = _every_name("shop", "test", "api", "orders", "release")[label]
    shaped = {"DynamoDB table": ["shop-test-orders"],
              "CloudFormation stack": ["shop-test-addons", "shop-test-api-addons"]}.get(label, [])
    assert [name for name in ours if kind.copilot_pattern(name)] == shaped


def test_an_imported_projects_table_is_copilots_environment_addon_table() -> None:
    # `copilot storage init -n orders -l environment`: TableName ${App}-${Env}-orders. Data named as the storage,
    # in a project that kept Copilot's application name, is that table's name: `up` stops on it (the fix links
    # Copilot's live table as existing) rather than creating a second table under its name.
    assert naming.DataNames("shop", "test", "orders").table == "shop-test-orders"


@given(user_names(naming.MAX_PROJECT), user_names(naming.MAX_ENVIRONMENT), user_names(naming.MAX_DATA))
def test_data_names_fit_rds_and_elasticache(project: str, env: str, data: str) -> None:
    names = naming.DataNames(project, env, data)
    for name, limit in ((names.database, naming.RDS_IDENTIFIER_LIMIT),
                        (names.cluster_instance, naming.RDS_IDENTIFIER_LIMIT),
                        (names.final_snapshot, naming.RDS_IDENTIFIER_LIMIT),
                        (names.cache, naming.SERVERLESS_CACHE_NAME_LIMIT)):
        # RDS and ElastiCache: a letter first, letters, digits and single hyphens, no hyphen last.
        assert len(name) <= limit and re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", name), (name, limit)
    if len(names.database) + 2 <= naming.RDS_IDENTIFIER_LIMIT:
        assert names.cluster_instance == f"{names.database}-1"  # every instance deployed so far keeps its name


def test_the_longest_names_cluster_instance_ends_without_a_hyphen() -> None:
    names = naming.DataNames("p" * naming.MAX_PROJECT, "e" * naming.MAX_ENVIRONMENT, "d" * naming.MAX_DATA)
    assert len(names.database) == 62
    assert len(names.cluster_instance) == 63 and not names.cluster_instance.endswith("-")


PIPELINE_PROJECT = """\
project: {name: shop, region: us-east-1, account: "111111111111", domain: example.com}
environments:
  test: {region: us-east-1}
applications:
  web: {image: {location: nginx}, port: 80, publish: [created], connect: true}
  orders: {kind: worker, image: {location: busybox}, subscribe: [{app: web, topic: created}]}
  nightly: {kind: job, image: {location: busybox}, schedule: "rate(1 day)"}
state: {backend: "s3://shop-state/pulumi", secrets_provider: "awskms://alias/shop-pulumi?region=us-east-1"}
pipelines:
  release: {source: github, repository: acme/shop, connection: create, stages: [{environment: test}]}
data:
  events: {kind: table, partition_key: "id:S"}
  ledger: {kind: postgres}
  legacy: {kind: mysql, instance: db.t4g.micro}
  sessions: {kind: redis}
  uploads: {kind: bucket}
"""
ADDON = """\
Parameters: {App: {Type: String}, Env: {Type: String}, Name: {Type: String}}
Resources: {notesBucket: {Type: AWS::S3::Bucket}}
Outputs: {notesName: {Value: !Ref notesBucket}}
"""
# Resources whose name input is scoped inside another resource ecsp owns (a record in its zone, a
# policy in its role, a service in its cluster), so no other tool's name can meet it.
SCOPED = {"aws:route53/record:Record", "aws:iam/rolePolicy:RolePolicy", "aws:ecs/service:Service",
          "pulumi:pulumi:StackReference", "pulumi:providers:aws",
          "aws:codestarconnections/connection:Connection"}  # connection names are not unique in AWS


# Inputs that hold a name but not the resource's own: the engine family of a parameter group, and
# the cluster a cluster instance joins.
NOT_OWN_NAMES = {("aws:rds/clusterParameterGroup:ClusterParameterGroup", "family"),
                 ("aws:rds/parameterGroup:ParameterGroup", "family"),
                 ("aws:rds/clusterInstance:ClusterInstance", "clusterIdentifier")}


def test_every_name_the_stacks_set_is_a_named_kind(tmp_path: Any) -> None:
    import ecsp

    (tmp_path / "addons").mkdir()
    (tmp_path / "addons" / "notes.yml").write_text(ADDON)
    (tmp_path / "ecsp.yaml").write_text(PIPELINE_PROJECT.replace("publish: [created], connect: true}",
                                                                 "publish: [created], connect: true, addons: addons}"))
    plan = ecsp.load(str(tmp_path / "ecsp.yaml")).plan(with_pipeline=True)
    keys = {"name", "family", "identifier", "clusterIdentifier"} | {k.name_input for k in naming.NAMED_KINDS}
    named = {(r.type, key) for s in plan.stacks for r in s.resources for key in keys
             if isinstance(r.inputs.get(key), str) and r.type not in SCOPED and (r.type, key) not in NOT_OWN_NAMES}
    kinds = {(k.resource_type, k.name_input) for k in naming.NAMED_KINDS}
    assert named - kinds == set()
    assert {t for t, _ in named} >= {"aws:ecr/repository:Repository", "aws:sns/topic:Topic", "aws:sqs/queue:Queue",
                                    "aws:sfn/stateMachine:StateMachine", "aws:codepipeline/pipeline:Pipeline",
                                    "aws:dynamodb/table:Table", "aws:rds/cluster:Cluster",
                                    "aws:rds/clusterInstance:ClusterInstance", "aws:rds/instance:Instance",
                                    "aws:rds/subnetGroup:SubnetGroup",
                                    "aws:elasticache/serverlessCache:ServerlessCache",
                                    "aws:cloudformation/stack:Stack"}
