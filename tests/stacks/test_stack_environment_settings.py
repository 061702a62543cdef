"""Issue 12's environment settings and aliases under Pulumi mocks: an existing VPC, existing
certificates, access logs, flow logs, and applications' aliases.

Each stack runs with its real upstream stacks (tests.harness.run_stack), so the assertions
also cover the outputs the environment hands to its applications. Argument names and rules
follow the Terraform AWS provider (aws_lb access_logs, aws_lb_listener_certificate,
aws_flow_log, aws_acm_certificate) and Copilot's environment template.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecsp import access_logs, mocks, priorities
from ecsp import graph as graphs
from ecsp.config import ImportedVpc, ProjectConfig
from ecsp.context import StackContext
from stacks import PROGRAMS
from stacks.environment_network import MissingNetwork, check_imported
from tests import harness

VPC = "vpc-0123456789abcdef0"
PUBLIC = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
PRIVATE = ["subnet-0123456789abcdef2", "subnet-0123456789abcdef3"]
CERT_A = "arn:aws:acm:us-west-2:111111111111:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
CERT_B = "arn:aws:acm:us-west-2:111111111111:certificate/1a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
CREATED_NETWORK = ("aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/internetGateway:InternetGateway",
                   "aws:ec2/routeTable:RouteTable", "aws:ec2/route:Route", "aws:ec2/natGateway:NatGateway",
                   "aws:ec2/eip:Eip", "aws:ec2/routeTableAssociation:RouteTableAssociation")


def project(env: str, *, apps: str = "  web: {image: {location: nginx}, port: 80}", domain: bool = False,
            region: str = "us-west-2") -> ProjectConfig:
    extra = ", domain: example.com" if domain else ""
    head = f'project: {{name: shop, region: us-west-2, account: "111111111111"{extra}}}'
    return harness.config(f"{head}\nenvironments:\n  test:\n    region: {region}\n{env}\napplications:\n{apps}\n")


IMPORTED = f"""    network:
      vpc: {{id: {VPC}, public_subnets: [{", ".join(PUBLIC)}], private_subnets: [{", ".join(PRIVATE)}]}}"""


def env_stack(cfg: ProjectConfig) -> mocks.Recording:
    return harness.run_stack(cfg, "shop-environment/test")


def policy(node: mocks.Node, key: str = "policy") -> Any:
    return json.loads(node.inputs[key])


# --------------------------------------------------------------------------- existing VPC


def test_an_existing_vpc_creates_no_network_and_places_everything_in_it() -> None:
    cfg = project(IMPORTED, apps="  web: {image: {location: nginx}, port: 80, placement: private}")
    rec = env_stack(cfg)
    assert not [n.name for n in rec.nodes if n.type in CREATED_NETWORK]
    groups = rec.of_type("aws:ec2/securityGroup:SecurityGroup")
    assert {g.name for g in groups} == {"environment", "load-balancer"}
    assert all(g.inputs["vpcId"] == VPC for g in groups)
    alb = rec.one("aws:lb/loadBalancer:LoadBalancer")
    assert alb.inputs["subnets"] == PUBLIC
    assert rec.one("aws:lb/targetGroup:TargetGroup").inputs["vpcId"] == VPC
    assert (rec.outputs["vpcId"], rec.outputs["publicSubnetIds"], rec.outputs["privateSubnetIds"]) == (
        VPC, PUBLIC, PRIVATE)
    # Private placement needs no ecsp NAT here: the VPC's own routes decide, and the service uses its subnets.
    app = harness.run_stack(cfg, "shop-web/test")
    service = app.one("aws:ecs/service:Service")
    assert service.inputs["networkConfiguration"]["subnets"] == PRIVATE
    assert app.one("aws:lb/targetGroup:TargetGroup").inputs["vpcId"] == VPC


def run_env(cfg: ProjectConfig, absent: frozenset[str]) -> mocks.Recording:
    spec = graphs.build(cfg)["shop-environment/test"]
    ctx = StackContext(config=cfg, stack=spec, organization=None)
    aws = mocks.AwsMocks(account="111111111111", region="us-west-2", absent=absent)
    return mocks.run(PROGRAMS.program_for(ctx), aws, project=spec.pulumi_project, stack=spec.stack)


@pytest.mark.parametrize(("absent", "message"), [
    ({VPC}, f"environments.test.network.vpc.id: {VPC} does not exist in this account and region"),
    ({PRIVATE[1]}, f"environments.test.network.vpc.private_subnets: {PRIVATE[1]} not found in {VPC}"),
])
def test_a_missing_vpc_or_subnet_fails_the_program_naming_the_field(absent: set[str], message: str) -> None:
    with pytest.raises(Exception, match=message):
        run_env(project(IMPORTED), frozenset(absent))


def test_the_lookups_ask_ec2_for_exactly_the_configured_ids() -> None:
    cfg = project(IMPORTED)
    spec = graphs.build(cfg)["shop-environment/test"]
    aws = mocks.AwsMocks(account="111111111111", region="us-west-2")
    mocks.run(PROGRAMS.program_for(StackContext(config=cfg, stack=spec, organization=None)), aws,
              project=spec.pulumi_project, stack=spec.stack)
    calls = {c.token: c.args for c in aws.calls}
    assert calls["aws:ec2/getVpcs:getVpcs"]["filters"] == [{"name": "vpc-id", "values": [VPC]}]
    assert calls["aws:ec2/getSubnets:getSubnets"]["filters"] == [
        {"name": "subnet-id", "values": PUBLIC + PRIVATE}, {"name": "vpc-id", "values": [VPC]}]
    assert "aws:index/getAvailabilityZones:getAvailabilityZones" not in calls  # the subnets fix the zones


def test_public_subnets_in_one_zone_are_refused() -> None:
    vpc = ImportedVpc.model_validate({"id": VPC, "public_subnets": PUBLIC, "private_subnets": PRIVATE})
    with pytest.raises(MissingNetwork, match="at least two availability zones"):
        check_imported(vpc, found_vpcs=[VPC], found_subnets=PUBLIC + PRIVATE,
                       public_zones=["us-west-2a", "us-west-2a"], where="test")
    check_imported(vpc, found_vpcs=[VPC], found_subnets=PUBLIC + PRIVATE, public_zones=["us-west-2a", "us-west-2b"],
                   where="test")


# --------------------------------------------------------------------------- certificates


def listeners(rec: mocks.Recording) -> dict[str, mocks.Node]:
    return {n.name: n for n in rec.of_type("aws:lb/listener:Listener")}


def test_certificates_without_a_domain_give_https_and_redirect_http() -> None:
    cfg = project(f"    certificates: [{CERT_A}, {CERT_B}]",
                  apps="  web: {image: {location: nginx}, port: 80, aliases: [www.shop.com]}")
    rec = env_stack(cfg)
    https = listeners(rec)["https"]
    assert (https.inputs["port"], https.inputs["protocol"], https.inputs["certificateArn"]) == (443, "HTTPS", CERT_A)
    assert listeners(rec)["http"].inputs["defaultActions"][0]["type"] == "redirect"
    extra = rec.one("aws:lb/listenerCertificate:ListenerCertificate")
    assert extra.inputs["certificateArn"] == CERT_B
    assert extra.inputs["listenerArn"] == rec.outputs["httpsListenerArn"]
    assert {r.name for r in rec.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")} >= {
        "load-balancer-http", "load-balancer-https"}

    app = harness.run_stack(cfg, "shop-web/test")
    rules = {r.name: r for r in app.of_type("aws:lb/listenerRule:ListenerRule")}
    assert rules["web-https"].inputs["listenerArn"] == rec.outputs["httpsListenerArn"]
    hosts = [c["hostHeader"]["values"] for c in rules["web-https"].inputs["conditions"] if "hostHeader" in c]
    assert hosts == [["www.shop.com"]]
    assert rules["web-http"].inputs["actions"][0]["type"] == "redirect"
    assert app.outputs["url"] == "https://www.shop.com/"
    assert not app.of_type("aws:route53/record:Record")  # the alias's DNS is the user's


def test_with_a_domain_ecsps_certificate_stays_the_default() -> None:
    rec = env_stack(project(f"    certificates: [{CERT_A}, {CERT_B}]", domain=True))
    validation = rec.one("aws:acm/certificateValidation:CertificateValidation")
    assert listeners(rec)["https"].inputs["certificateArn"] != CERT_A
    assert listeners(rec)["https"].inputs["certificateArn"] == validation.inputs["certificateArn"]
    assert sorted(n.inputs["certificateArn"] for n in rec.of_type(
        "aws:lb/listenerCertificate:ListenerCertificate")) == [CERT_A, CERT_B]


def test_without_a_domain_or_alias_the_url_is_the_load_balancers_over_https() -> None:
    cfg = project(f"    certificates: [{CERT_A}]")
    app = harness.run_stack(cfg, "shop-web/test")
    dns = env_stack(cfg).outputs["loadBalancerDnsName"]
    assert app.outputs["url"] == f"https://{dns}/"


# --------------------------------------------------------------------------- access logs


def test_access_logs_true_creates_a_bucket_elb_may_write() -> None:
    rec = env_stack(project("    access_logs: true"))
    bucket = rec.one("aws:s3/bucket:Bucket")
    assert bucket.retain_on_delete
    sse = rec.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    block = rec.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(block.inputs[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                         "restrictPublicBuckets"))
    node = rec.one("aws:s3/bucketPolicy:BucketPolicy")
    name = rec.outputs["accessLogsBucket"]
    allow, deny = policy(node)["Statement"]
    assert allow["Principal"] == {"AWS": "arn:aws:iam::797873946194:root"}  # us-west-2's ELB account
    assert allow["Resource"] == f"arn:aws:s3:::{name}/AWSLogs/111111111111/*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    alb = rec.one("aws:lb/loadBalancer:LoadBalancer")
    assert alb.inputs["accessLogs"] == {"bucket": name, "enabled": True}
    assert node.urn in alb.depends_on  # ELB tests its write access when logging is enabled


def test_regions_opened_since_august_2022_use_the_log_delivery_service() -> None:
    assert access_logs.delivery_principal("ap-southeast-5") == {
        "Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
    assert access_logs.delivery_principal("us-gov-west-1", "aws-us-gov") == {
        "AWS": "arn:aws-us-gov:iam::048591011584:root"}
    rec = env_stack(project("    access_logs: true", region="me-central-1"))
    allow = policy(rec.one("aws:s3/bucketPolicy:BucketPolicy"))["Statement"][0]
    assert allow["Principal"] == {"Service": access_logs.SERVICE_PRINCIPAL}


def test_access_logs_to_an_existing_bucket_create_no_bucket() -> None:
    rec = env_stack(project("    access_logs: {bucket: shop-logs, prefix: alb/test}"))
    assert not rec.of_type("aws:s3/bucket:Bucket")
    assert rec.one("aws:lb/loadBalancer:LoadBalancer").inputs["accessLogs"] == {
        "bucket": "shop-logs", "prefix": "alb/test", "enabled": True}
    assert rec.outputs["accessLogsBucket"] == "shop-logs"


# --------------------------------------------------------------------------- flow logs


@pytest.mark.parametrize(("network", "retention"), [
    ("    network: {flow_logs: true}", 14),
    ("    network: {nat: single, flow_logs: {retention: 90}}", 90),
    (IMPORTED + "\n      flow_logs: {retention: 30}", 30),
])
def test_flow_logs_to_cloudwatch_with_a_least_privilege_role(network: str, retention: int) -> None:
    rec = env_stack(project(network))
    group = rec.one("aws:cloudwatch/logGroup:LogGroup")
    assert (group.inputs["name"], group.inputs["retentionInDays"]) == ("/ecsp/shop-test/flow-logs", retention)
    role = rec.one("aws:iam/role:Role")
    trust = policy(role, "assumeRolePolicy")["Statement"][0]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "111111111111"}}
    permissions = policy(rec.one("aws:iam/rolePolicy:RolePolicy"))["Statement"]
    group_arn = f"arn:aws:logs:us-west-2:111111111111:log-group:{group.inputs['name']}"
    assert permissions == [{"Sid": "WriteFlowLogs", "Effect": "Allow",
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                            "Resource": [group_arn, f"{group_arn}:*"]}]
    flow = rec.one("aws:ec2/flowLog:FlowLog")
    assert flow.inputs["vpcId"] == rec.outputs["vpcId"]
    assert (flow.inputs["trafficType"], flow.inputs["logDestinationType"], flow.inputs["logDestination"]) == (
        "ALL", "cloud-watch-logs", group_arn)
    assert flow.inputs["iamRoleArn"].startswith(f"arn:aws:iam::111111111111:role/{role.name}-")
    assert rec.outputs["flowLogGroupName"] == "/ecsp/shop-test/flow-logs"


# --------------------------------------------------------------------------- aliases


ALIASES = """  web:
    image: {location: nginx}
    port: 80
    aliases:
      - www.test.shop.example.com
      - shop.test.shop.example.com
      - deep.www.test.shop.example.com
      - a.b.test.shop.example.com
  api:
    image: {location: httpd}
    port: 8080
    path: /api"""


def test_managed_aliases_join_the_certificate_and_get_records() -> None:
    cfg = project("", apps=ALIASES, domain=True)
    rec = env_stack(cfg)
    certificate = rec.one("aws:acm/certificate:Certificate")
    # One label below the zone is the wildcard's; deeper names are added, sorted.
    assert certificate.inputs["subjectAlternativeNames"] == [
        "*.test.shop.example.com", "a.b.test.shop.example.com", "deep.www.test.shop.example.com"]
    records = {r.name for r in rec.of_type("aws:route53/record:Record")}
    assert {"certificate-validation-a.b.test.shop.example.com",
            "certificate-validation-deep.www.test.shop.example.com"} <= records
    validation = rec.one("aws:acm/certificateValidation:CertificateValidation")
    assert len(validation.inputs["validationRecordFqdns"]) == 3

    app = harness.run_stack(cfg, "shop-web/test")
    rules = {r.name: r for r in app.of_type("aws:lb/listenerRule:ListenerRule")}
    assert set(rules) == {"web-https", "web-https-1", "web-http"}

    def hosts(rule: mocks.Node) -> list[str]:
        return next(c["hostHeader"]["values"] for c in rule.inputs["conditions"] if "hostHeader" in c)

    # At most 3 host names per rule (ALB: 3 values per condition, 5 per rule).
    assert hosts(rules["web-https"]) == ["web.test.shop.example.com", "www.test.shop.example.com",
                                         "shop.test.shop.example.com"]
    assert hosts(rules["web-https-1"]) == ["deep.www.test.shop.example.com", "a.b.test.shop.example.com"]
    assert hosts(rules["web-http"]) == hosts(rules["web-https"])
    numbers = [rules[n].inputs["priority"] for n in ("web-https", "web-https-1")]
    assert numbers[0] == priorities.ROOT_PRIORITY and numbers[1] == priorities.ROOT_PRIORITY - 1
    api = harness.run_stack(cfg, "shop-api/test")
    assert api.one("aws:lb/listenerRule:ListenerRule", "api-https").inputs["priority"] < numbers[1]
    zone = env_stack(cfg).outputs["hostedZoneId"]
    aliases = {r.inputs["name"]: r for r in app.of_type("aws:route53/record:Record")}
    assert set(aliases) == {"web.test.shop.example.com", "www.test.shop.example.com", "shop.test.shop.example.com",
                            "deep.www.test.shop.example.com", "a.b.test.shop.example.com"}
    assert all(r.inputs["zoneId"] == zone and r.inputs["type"] == "A" for r in aliases.values())


def test_an_alias_outside_ecsps_zones_uses_the_environments_certificates() -> None:
    cfg = project(f"    certificates: [{CERT_A}]", domain=True,
                  apps="  web: {image: {location: nginx}, port: 80, aliases: [www.shop.com]}")
    assert env_stack(cfg).one("aws:acm/certificate:Certificate").inputs["subjectAlternativeNames"] == [
        "*.test.shop.example.com"]
    app = harness.run_stack(cfg, "shop-web/test")
    assert {r.inputs["name"] for r in app.of_type("aws:route53/record:Record")} == {"web.test.shop.example.com"}
    assert app.outputs["url"] == "https://web.test.shop.example.com/"


def test_host_chunks_and_rule_keys() -> None:
    assert priorities.host_chunks([]) == []
    assert priorities.host_chunks(list("abcdefg")) == [["a", "b", "c"], ["d", "e", "f"], ["g"]]
    assert priorities.rule_count([]) == 1 and priorities.rule_count(list("abcd")) == 2
    assert priorities.rule_keys("/api", 3) == ["/api", "/api#1", "/api#2"]
    found = priorities.priorities(["/", "/#1", "/#2", "/api", "/api#1", "/a/b", "/a/b#1"])
    assert len(set(found.values())) == len(found)
    # The root's extra rules sit just below 50000, after every other band; extra keys keep their depth's band.
    top = priorities.BAND_STARTS[0] + priorities.BAND_SIZES[0]
    assert found["/#1"] == 49999 and found["/#2"] == 49998 and all(v < top for k, v in found.items()
                                                                   if not k.startswith("/#") and k != "/")
    assert found["/api#1"] in priorities.band("/api") and found["/a/b#1"] in priorities.band("/a/b")


# --------------------------------------------------------------------------- plan and the example


def test_plan_warns_that_switching_vpcs_replaces_the_load_balancer(capsys: pytest.CaptureFixture[str]) -> None:
    from ecsp.cli import main
    from tests.paths import EXAMPLE_FILES

    example = next(p for p in EXAMPLE_FILES if p.parent.name == "imported")
    assert main(["plan", "-f", str(example)]) == 0
    out = " ".join(capsys.readouterr().out.split())  # notes wrap at the console's width
    assert "note: environment 'prod' uses the existing VPC vpc-0a1b2c3d4e5f60718: changing network.vpc" in out
    assert "environment 'staging' uses" not in out  # staging has ecsp's own VPC: nothing to warn about
    assert main(["plan", "-f", str(example), "--env", "staging", "--json"]) == 0
    stacks = json.loads(capsys.readouterr().out)["stacks"]
    assert not any("network.vpc" in note for stack in stacks for note in stack.get("notes", []))


def test_the_imported_example_uses_every_setting() -> None:
    from ecsp import api
    from tests.paths import EXAMPLE_FILES

    config = api.load(next(p for p in EXAMPLE_FILES if p.parent.name == "imported")).config
    prod, staging = config.environments["prod"], config.environments["staging"]
    assert prod.network.vpc is not None and prod.access_logs is True and prod.network.flow_log_retention == 30
    assert staging.network.flow_log_retention == 14 and prod.certificates and staging.certificates
    assert config.application("prod", "web").aliases == ["www.shop.example.org"]
