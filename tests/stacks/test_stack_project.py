"""The project stack under Pulumi mocks: per-region artifacts, exact policy principals,
DNS with and without a domain, stability when regions or applications are added, and
golden graphs.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi.runtime.mocks import MockCallArgs

from ecsp import graph as graphs
from ecsp import mocks, naming
from ecsp.context import StackContext
from stacks import PROGRAMS
from stacks import project_policies as policies
from tests import harness

PROJECT, TEST, PROD, STAGE = "111111111111", "222222222222", "333333333333", "444444444444"

APPS = """
applications:
  web: {image: {location: public.ecr.aws/nginx/nginx:stable}, port: 80}
  api: {image: {location: public.ecr.aws/docker/library/httpd:2.4}, port: 8080, path: /api}
"""

SINGLE = f"""
project: {{name: shop, region: us-west-2, account: "{PROJECT}"}}
environments:
  test: {{region: us-west-2}}
{APPS}
"""

MULTI = f"""
project: {{name: shop, region: us-west-2, account: "{PROJECT}", domain: example.com}}
environments:
  test: {{region: us-west-2, account: "{TEST}"}}
  prod: {{region: eu-west-1, account: "{PROD}"}}
{APPS}
"""

STACK = "shop-project/global"


def run(text: str) -> mocks.Recording:
    return harness.run_stack(harness.config(text), STACK)


def parse(node: mocks.Node, field: str = "policy") -> dict[str, Any]:
    document = node.inputs[field]
    assert isinstance(document, str), f"{node.name}.{field} should be a JSON string"
    parsed: dict[str, Any] = json.loads(document)
    return parsed


def statement(document: dict[str, Any], sid: str) -> dict[str, Any]:
    found = [s for s in document["Statement"] if s.get("Sid") == sid]
    assert len(found) == 1, f"expected one statement {sid}, got {document['Statement']}"
    return found[0]


def principals(stmt: dict[str, Any]) -> list[str]:
    """Account ids of a statement's ``arn:aws:iam::<id>:root`` principals, in document order."""
    out = []
    for arn in stmt["Principal"]["AWS"]:
        assert arn.startswith("arn:aws:iam::") and arn.endswith(":root"), arn
        out.append(arn.split(":")[4])
    return out


def sids(document: dict[str, Any]) -> list[str]:
    return [s["Sid"] for s in document["Statement"]]


def provider_of(rec: mocks.Recording, node: mocks.Node) -> str:
    """The logical name of the explicit provider a resource uses."""
    return rec.by_urn(node.provider.rsplit("::", 1)[0]).name


# --------------------------------------------------------------------------- one region, one account


def test_single_region_single_account() -> None:
    rec = run(SINGLE)
    assert [p.name for p in rec.of_type("pulumi:providers:aws")] == ["aws-us-west-2"]
    provider = rec.one("pulumi:providers:aws")
    assert provider.inputs["region"] == "us-west-2"
    assert json.loads(provider.inputs["allowedAccountIds"]) == [PROJECT]

    repos = {n.inputs["name"]: n for n in rec.of_type("aws:ecr/repository:Repository")}
    assert set(repos) == {"ecsp/shop/web", "ecsp/shop/api"}
    for repo in repos.values():
        assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repo.inputs["imageTagMutability"] == "MUTABLE"
    lifecycle = parse(rec.one("aws:ecr/lifecyclePolicy:LifecyclePolicy", "web-us-west-2"))
    assert lifecycle["rules"][0]["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan",
                                                  "countNumber": 50}
    assert lifecycle["rules"][0]["action"] == {"type": "expire"}

    # The only environment has no account of its own: it lives in the project account.
    repo_policy = parse(rec.one("aws:ecr/repositoryPolicy:RepositoryPolicy", "api-us-west-2"))
    assert principals(statement(repo_policy, "AllowPull")) == [PROJECT]
    push = statement(repo_policy, "AllowPush")
    assert principals(push) == [PROJECT]
    assert "ecr:PutImage" in push["Action"] and "ecr:PutImage" not in statement(repo_policy, "AllowPull")["Action"]

    key = rec.one("aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    key_policy = parse(key)
    assert principals(statement(key_policy, "AdministerKey")) == [PROJECT]
    assert principals(statement(key_policy, "UseKey")) == [PROJECT]
    assert rec.one("aws:kms/alias:Alias").inputs["name"] == "alias/ecsp/shop"

    assert rec.of_type("aws:route53/zone:Zone") == [] and rec.of_type("aws:iam/role:Role") == []
    assert rec.outputs["projectZoneId"] is None and rec.outputs["dnsDelegationRoleArn"] is None


def test_artifact_bucket_is_private_versioned_and_encrypted_with_the_regions_key() -> None:
    rec = run(SINGLE)
    bucket = rec.one("aws:s3/bucket:Bucket")
    assert bucket.name.startswith("shop-artifacts-us-west-2")
    assert "bucket" not in bucket.inputs  # auto-named: the logical name is the prefix
    name = "shop-artifacts-us-west-2"
    assert rec.one("aws:s3/bucketVersioning:BucketVersioning", name).inputs["versioningConfiguration"] == \
        {"status": "Enabled"}
    assert rec.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls", name).inputs["rule"] == \
        {"objectOwnership": "BucketOwnerEnforced"}
    block = rec.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", name).inputs
    assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                          "restrictPublicBuckets"))
    key_arn = rec.outputs["regions"]["us-west-2"]["kmsKeyArn"]
    [rule] = rec.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                     name).inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn}
    assert rule["bucketKeyEnabled"] is True

    policy_node = rec.one("aws:s3/bucketPolicy:BucketPolicy", name)
    policy = parse(policy_node)
    arn = f"arn:aws:s3:::{rec.outputs['regions']['us-west-2']['bucketName']}"
    deny = statement(policy, "DenyInsecureTransport")
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*"
    assert deny["Resource"] == [arn, f"{arn}/*"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    read = statement(policy, "AllowEnvironmentRead")
    assert principals(read) == [PROJECT] and read["Resource"] == f"{arn}/*"
    assert read["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    # The policy waits for the public access block: S3 rejects concurrent changes to both.
    block_urn = rec.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", name).urn
    assert block_urn in policy_node.depends_on


def test_ecr_settings_come_from_config() -> None:
    rec = run(SINGLE.replace('account: "111111111111"}',
                             'account: "111111111111", ecr: {keep_images: 7, immutable_tags: true}}'))
    for repo in rec.of_type("aws:ecr/repository:Repository"):
        assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
    for node in rec.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy"):
        assert parse(node)["rules"][0]["selection"]["countNumber"] == 7


# --------------------------------------------------------------------------- two regions, three accounts


def test_two_regions_three_accounts_policies_name_exactly_the_right_principals() -> None:
    rec = run(MULTI)
    assert sorted(p.name for p in rec.of_type("pulumi:providers:aws")) == ["aws-eu-west-1", "aws-us-west-2"]
    for p in rec.of_type("pulumi:providers:aws"):
        assert json.loads(p.inputs["allowedAccountIds"]) == [PROJECT]  # everything lives in the project account

    # Each region lets only its own environments' accounts in.
    for region, env_account in (("us-west-2", TEST), ("eu-west-1", PROD)):
        for app in ("web", "api"):
            repo = rec.one("aws:ecr/repository:Repository", f"{app}-{region}")
            assert provider_of(rec, repo) == f"aws-{region}"
            doc = parse(rec.one("aws:ecr/repositoryPolicy:RepositoryPolicy", f"{app}-{region}"))
            assert sids(doc) == ["AllowPull", "AllowPush"]
            assert principals(statement(doc, "AllowPull")) == [env_account]
            assert principals(statement(doc, "AllowPush")) == [PROJECT]
        key = parse(rec.one("aws:kms/key:Key", f"artifacts-{region}"))
        assert sids(key) == ["AdministerKey", "UseKey"]
        assert principals(statement(key, "AdministerKey")) == [PROJECT]
        assert principals(statement(key, "UseKey")) == [PROJECT, env_account]
        bucket = parse(rec.one("aws:s3/bucketPolicy:BucketPolicy", f"shop-artifacts-{region}"))
        assert sids(bucket) == ["DenyInsecureTransport", "AllowEnvironmentList", "AllowEnvironmentRead"]
        assert principals(statement(bucket, "AllowEnvironmentList")) == [env_account]
        assert principals(statement(bucket, "AllowEnvironmentRead")) == [env_account]

    # The delegation role is global: every environment account, and not the project
    # account, which has no environment here.
    trust = parse(rec.one("aws:iam/role:Role", "dns-delegation"), "assumeRolePolicy")
    assert principals(statement(trust, "EnvironmentAccounts")) == [TEST, PROD]
    assert statement(trust, "EnvironmentAccounts")["Action"] == "sts:AssumeRole"


def test_environment_without_account_uses_the_project_account_once() -> None:
    text = MULTI.replace("environments:\n", "environments:\n  stage: {region: us-west-2}\n"
                                            f"  stage2: {{region: eu-west-1, account: \"{PROJECT}\"}}\n")
    rec = run(text)
    doc = parse(rec.one("aws:ecr/repositoryPolicy:RepositoryPolicy", "web-us-west-2"))
    assert principals(statement(doc, "AllowPull")) == [PROJECT, TEST]
    key = parse(rec.one("aws:kms/key:Key", "artifacts-eu-west-1"))
    assert principals(statement(key, "UseKey")) == [PROJECT, PROD]  # de-duplicated
    trust = parse(rec.one("aws:iam/role:Role", "dns-delegation"), "assumeRolePolicy")
    assert principals(statement(trust, "EnvironmentAccounts")) == [PROJECT, TEST, PROD]


def test_without_project_account_principals_come_from_the_callers_identity() -> None:
    cfg = harness.config(f"""
project: {{name: shop, region: us-east-1, domain: example.com}}
environments:
  test: {{region: us-east-1}}
  prod: {{region: us-east-1, account: "{PROD}"}}
{APPS}
""")
    ctx = StackContext(config=cfg, stack=graphs.build(cfg)[STACK])
    caller = "999999999999"  # what the credentials reach; appears nowhere in the config
    aws_mocks = mocks.AwsMocks(account=caller, region="us-east-1")
    rec = mocks.run(PROGRAMS.program_for(ctx), aws_mocks, project="shop-project", stack="global")

    assert "allowedAccountIds" not in rec.one("pulumi:providers:aws").inputs
    doc = parse(rec.one("aws:ecr/repositoryPolicy:RepositoryPolicy", "web-us-east-1"))
    assert principals(statement(doc, "AllowPull")) == [PROD, caller]  # sorted
    assert principals(statement(doc, "AllowPush")) == [caller]
    key = parse(rec.one("aws:kms/key:Key", "artifacts-us-east-1"))
    assert principals(statement(key, "AdministerKey")) == [caller]
    trust = parse(rec.one("aws:iam/role:Role", "dns-delegation"), "assumeRolePolicy")
    assert principals(statement(trust, "EnvironmentAccounts")) == [PROD, caller]
    identity_calls = [c for c in aws_mocks.calls if c.token == "aws:index/getCallerIdentity:getCallerIdentity"]
    assert identity_calls and all(c.provider for c in identity_calls)  # asked through the explicit provider


# --------------------------------------------------------------------------- DNS


def test_domain_creates_the_delegated_project_zone_and_the_delegation_role() -> None:
    rec = run(MULTI)
    zone = rec.one("aws:route53/zone:Zone", "project-zone")
    assert zone.inputs["name"] == "shop.example.com"
    record = rec.one("aws:route53/record:Record", "project-zone-delegation")
    root_zone, _ = mocks.AwsMocks().call(MockCallArgs("aws:route53/getZone:getZone", {"name": "example.com"}, ""))
    assert record.inputs["zoneId"] == root_zone["zoneId"]  # the looked-up root zone, not the new one
    assert record.inputs["type"] == "NS" and record.inputs["name"] == "shop.example.com"
    assert record.inputs["records"] == [f"ns-{i}.awsdns-{i:02d}.org" for i in range(4)]  # the new zone's servers

    role = rec.one("aws:iam/role:Role", "dns-delegation")
    assert role.inputs["name"] == "shop-dns-delegation"
    permissions = parse(rec.one("aws:iam/rolePolicy:RolePolicy", "dns-delegation"))
    zone_id = rec.outputs["projectZoneId"]
    change = statement(permissions, "ChangeDelegationRecords")
    assert change["Resource"] == f"arn:aws:route53:::hostedzone/{zone_id}"
    assert change["Action"] == "route53:ChangeResourceRecordSets"
    assert change["Condition"]["ForAllValues:StringEquals"] == {"route53:ChangeResourceRecordSetsRecordTypes": ["NS"]}
    assert change["Condition"]["ForAllValues:StringLike"] == \
        {"route53:ChangeResourceRecordSetsNormalizedRecordNames": ["*.shop.example.com"]}
    # No statement reaches any other zone.
    for stmt in permissions["Statement"]:
        resources = stmt["Resource"] if isinstance(stmt["Resource"], list) else [stmt["Resource"]]
        assert all(r.endswith(f"hostedzone/{zone_id}") or r.endswith(":change/*") for r in resources)

    assert zone_id == mocks.fake_state(zone.type, zone.name, zone.inputs, "us-west-2", PROJECT)["zoneId"]
    assert zone_id != record.inputs["zoneId"]
    assert rec.outputs["dnsDelegationRoleArn"] == f"arn:aws:iam::{PROJECT}:role/shop-dns-delegation"
    for node in (zone, record, role):
        assert provider_of(rec, node) == "aws-us-west-2"


def test_dns_uses_the_home_region_even_without_an_environment_there() -> None:
    rec = run(MULTI.replace("region: us-west-2, account: \"111111111111\"", "region: us-east-1, account: "
                                                                           "\"111111111111\""))
    assert sorted(p.name for p in rec.of_type("pulumi:providers:aws")) == \
        ["aws-eu-west-1", "aws-us-east-1", "aws-us-west-2"]
    assert provider_of(rec, rec.one("aws:route53/zone:Zone")) == "aws-us-east-1"
    assert set(rec.outputs["regions"]) == {"us-west-2", "eu-west-1"}  # no artifacts in the home region
    assert not [n for n in rec.nodes if n.name.endswith("us-east-1") and n.type != "pulumi:providers:aws"]


# --------------------------------------------------------------------------- outputs and structure


def test_outputs_follow_the_contract() -> None:
    cfg = harness.config(MULTI)
    rec = harness.run_stack(cfg, STACK)
    assert set(rec.outputs) == {"regions", "permissionsBoundaryArn", "projectZoneId", "dnsDelegationRoleArn"}
    assert rec.outputs["permissionsBoundaryArn"] == f"arn:aws:iam::{PROJECT}:policy/ecsp-boundary/shop-boundary"
    assert list(rec.outputs["regions"]) == cfg.regions()
    for region, out in rec.outputs["regions"].items():
        assert set(out) == {"repositories", "kmsKeyArn", "bucketName"}
        assert out["repositories"] == {app: f"{PROJECT}.dkr.ecr.{region}.amazonaws.com/ecsp/shop/{app}"
                                       for app in cfg.applications}
        assert out["kmsKeyArn"].startswith(f"arn:aws:kms:{region}:{PROJECT}:key/")
        assert out["bucketName"].startswith(f"shop-artifacts-{region}-")
    zone = rec.one("aws:route53/zone:Zone")
    assert rec.outputs["projectZoneId"] == mocks.fake_state(zone.type, zone.name, zone.inputs, "us-west-2",
                                                            PROJECT)["zoneId"]
    assert rec.outputs["dnsDelegationRoleArn"] == f"arn:aws:iam::{PROJECT}:role/shop-dns-delegation"


def test_every_resource_is_parented_to_its_component() -> None:
    rec = run(MULTI)
    by_urn = {n.urn: n for n in rec.nodes}
    expected_parent = {
        "aws:ecr/repository:Repository": "ecsp:project:ImageRepository",
        "aws:ecr/lifecyclePolicy:LifecyclePolicy": "ecsp:project:ImageRepository",
        "aws:ecr/repositoryPolicy:RepositoryPolicy": "ecsp:project:ImageRepository",
        "ecsp:project:ImageRepository": "ecsp:project:RegionalArtifacts",
        "aws:route53/zone:Zone": "ecsp:project:ProjectDns",
        "aws:route53/record:Record": "ecsp:project:ProjectDns",
        "aws:iam/role:Role": "ecsp:project:ProjectDns",
        "aws:iam/rolePolicy:RolePolicy": "ecsp:project:ProjectDns",
        "aws:iam/policy:Policy": "ecsp:iam:PermissionsBoundary",
    }
    for node in rec.nodes:
        parent = by_urn.get(node.parent or "")
        if node.type == "pulumi:providers:aws" or node.type in ("ecsp:project:RegionalArtifacts",
                                                                 "ecsp:project:ProjectDns",
                                                                 "ecsp:iam:PermissionsBoundary"):
            assert parent is None, node.name
            continue
        assert parent is not None, f"{node.type} {node.name} has no component parent"
        assert parent.type == expected_parent.get(node.type, "ecsp:project:RegionalArtifacts"), node.name
        if parent.type == "ecsp:project:RegionalArtifacts":
            region = parent.name.removeprefix("artifacts-")
            assert node.name.endswith(region), node.name
        if node.custom:
            assert provider_of(rec, node) == f"aws-{region_of(node, by_urn)}", node.name


def region_of(node: mocks.Node, by_urn: dict[str, mocks.Node]) -> str:
    """The region a resource belongs to: its RegionalArtifacts ancestor's, else the home region."""
    while node.parent in by_urn:
        node = by_urn[node.parent]
        if node.type == "ecsp:project:RegionalArtifacts":
            return node.name.removeprefix("artifacts-")
    return "us-west-2"


# --------------------------------------------------------------------------- stability


def snapshot(rec: mocks.Recording) -> dict[tuple[str, str], tuple[Any, ...]]:
    """Each resource's identity mapped to what Pulumi would diff: inputs, parent, provider, dependencies."""
    by_urn = {n.urn: n for n in rec.nodes}

    def ref(urn: str) -> str | None:
        # Parents and dependencies are URNs; providers are references, "<urn>::<id>".
        node = by_urn.get(urn) or by_urn.get(urn.rsplit("::", 1)[0])
        return f"{node.type}::{node.name}" if node else None

    out: dict[tuple[str, str], tuple[Any, ...]] = {}
    for n in rec.nodes:
        key = (n.type, n.name)
        assert key not in out, f"duplicate logical name {key}"
        out[key] = (json.dumps(n.inputs, sort_keys=True), ref(n.parent or ""), ref(n.provider or ""),
                    sorted(filter(None, (ref(d) for d in n.depends_on))))
    return out


def changes(before: str, after: str) -> tuple[set[tuple[str, str]], set[tuple[str, str]], set[tuple[str, str]]]:
    """(added, removed, changed) resources between two configs' recordings."""
    old, new = snapshot(run(before)), snapshot(run(after))
    return (set(new) - set(old), set(old) - set(new), {k for k in set(old) & set(new) if old[k] != new[k]})


def test_adding_a_region_only_adds_that_regions_resources() -> None:
    after = MULTI.replace("environments:\n", f"environments:\n  eu: {{region: eu-central-1, account: \"{TEST}\"}}\n")
    added, removed, changed = changes(MULTI, after)
    assert not removed and not changed
    assert added, "the new region should get resources"
    assert all(name.endswith("eu-central-1") for _, name in added), sorted(added)
    assert ("aws:ecr/repository:Repository", "web-eu-central-1") in added
    assert ("pulumi:providers:aws", "aws-eu-central-1") in added


def test_a_new_account_in_a_new_region_changes_only_the_delegation_trust() -> None:
    after = MULTI.replace("environments:\n",
                          f"environments:\n  eu: {{region: eu-central-1, account: \"{STAGE}\"}}\n")
    added, removed, changed = changes(MULTI, after)
    assert not removed
    assert all(name.endswith("eu-central-1") for _, name in added)
    # The new account must be able to delegate its zone; nothing regional changes.
    assert changed == {("aws:iam/role:Role", "dns-delegation")}


def test_adding_an_application_only_adds_its_repositories() -> None:
    after = MULTI + "  worker: {image: {location: public.ecr.aws/docker/library/busybox:1}, port: 3000, " \
                    "path: /worker}\n"
    added, removed, changed = changes(MULTI, after)
    assert not removed and not changed
    assert {name for _, name in added} == {"worker-us-west-2", "worker-eu-west-1"}
    assert {t for t, _ in added} == {"ecsp:project:ImageRepository", "aws:ecr/repository:Repository",
                                     "aws:ecr/lifecyclePolicy:LifecyclePolicy",
                                     "aws:ecr/repositoryPolicy:RepositoryPolicy"}


# --------------------------------------------------------------------------- policy builders


def test_policy_builders_sort_and_deduplicate_accounts() -> None:
    doc = policies.kms_key_policy("aws-cn", "2", ["3", "1", "2", "3"])
    assert statement(doc, "UseKey")["Principal"]["AWS"] == [f"arn:aws-cn:iam::{a}:root" for a in "123"]
    assert policies.ecr_repository_policy("aws", "1", [])["Statement"][0]["Sid"] == "AllowPush"
    assert sids(policies.artifact_bucket_policy("aws", "arn:aws:s3:::b", [])) == ["DenyInsecureTransport"]


# --------------------------------------------------------------------------- golden graphs


@pytest.mark.parametrize("name, text", [("project-single", SINGLE), ("project-multi", MULTI)])
def test_golden_graph(name: str, text: str) -> None:
    harness.assert_golden(name, harness.graph_document(run(text)))



@pytest.mark.parametrize("project", ["sthree", "amzn-s3-demo"])
def test_artifact_bucket_name_avoids_prefixes_s3_reserves(project: str) -> None:
    cfg = harness.config(f"""
        project: {{name: {project}, region: us-west-2, account: "111111111111"}}
        environments: {{test: {{region: us-west-2}}}}
        applications: {{web: {{image: {{location: nginx}}, port: 80}}}}
        """)
    rec = harness.plan_stack(cfg, graphs.build(cfg)[f"{project}-project/global"], {})[0]
    (bucket,) = rec.of_type("aws:s3/bucket:Bucket")
    assert not bucket.name.startswith(naming.S3_RESERVED_PREFIXES)
    assert len(bucket.name) + naming.AUTONAME_SUFFIX <= naming.S3_BUCKET_NAME_LIMIT
    assert naming.artifact_bucket("shop", "us-west-2") == "shop-artifacts-us-west-2"  # other names are unchanged
