"""A live Copilot application in moto's server, shaped like what `copilot deploy` leaves behind.

Written from aws/copilot-cli's templates (internal/pkg/template/templates/environment/cf.yml,
partials/vpc-resources.yml, workloads/partials/cf/addons.yml, addons/ddb and s3) and its SSM
layout (internal/pkg/config/store.go), cut down to what moto deploys: per environment the
stack ``<app>-<env>`` with the managed VPC, its hosted zone and the outputs and exports of the
real template; the public load balancer and its HTTPS listener (made beside the stack, as
moto's CloudFormation cannot make listeners with certificates); per service the stack
``<app>-<env>-<svc>`` with its log group and, for ``api``, a nested addon stack holding a
DynamoDB table and an S3 bucket with Copilot's output names and an export.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from tests.ops_support import client

ACCOUNT = "123456789012"  # moto's
DOMAIN = "example.com"

ENVIRONMENT = """\
AWSTemplateFormatVersion: '2010-09-09'
Description: CloudFormation environment template for infrastructure shared among Copilot workloads.
Parameters:
  AppName: {Type: String}
  EnvironmentName: {Type: String}
  AppDNSName: {Type: String}
  LoadBalancerDNS: {Type: String}
  LoadBalancerZone: {Type: String}
  LoadBalancerFullName: {Type: String}
  HTTPSListener: {Type: String}
Resources:
  VPC:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.0.0.0/16
      EnableDnsHostnames: true
      EnableDnsSupport: true
      Tags: [{Key: Name, Value: !Sub 'copilot-${AppName}-${EnvironmentName}'}]
  InternetGateway:
    Type: AWS::EC2::InternetGateway
  InternetGatewayAttachment:
    Type: AWS::EC2::VPCGatewayAttachment
    Properties: {InternetGatewayId: !Ref InternetGateway, VpcId: !Ref VPC}
  PublicRouteTable:
    Type: AWS::EC2::RouteTable
    Properties: {VpcId: !Ref VPC}
  DefaultPublicRoute:
    Type: AWS::EC2::Route
    DependsOn: InternetGatewayAttachment
    Properties: {RouteTableId: !Ref PublicRouteTable, DestinationCidrBlock: 0.0.0.0/0, GatewayId: !Ref InternetGateway}
  PublicSubnet1:
    Type: AWS::EC2::Subnet
    Properties: {CidrBlock: 10.0.0.0/24, VpcId: !Ref VPC, AvailabilityZone: {REGION}a, MapPublicIpOnLaunch: true}
  PublicSubnet2:
    Type: AWS::EC2::Subnet
    Properties: {CidrBlock: 10.0.1.0/24, VpcId: !Ref VPC, AvailabilityZone: {REGION}b, MapPublicIpOnLaunch: true}
  PrivateSubnet1:
    Type: AWS::EC2::Subnet
    Properties: {CidrBlock: 10.0.2.0/24, VpcId: !Ref VPC, AvailabilityZone: {REGION}a}
  PrivateSubnet2:
    Type: AWS::EC2::Subnet
    Properties: {CidrBlock: 10.0.3.0/24, VpcId: !Ref VPC, AvailabilityZone: {REGION}b}
  PublicSubnet1RouteTableAssociation:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {RouteTableId: !Ref PublicRouteTable, SubnetId: !Ref PublicSubnet1}
  PublicSubnet2RouteTableAssociation:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {RouteTableId: !Ref PublicRouteTable, SubnetId: !Ref PublicSubnet2}
  EnvironmentSecurityGroup:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: !Sub '${AppName}-${EnvironmentName}EnvironmentSecurityGroup'
      VpcId: !Ref VPC
  Cluster:
    Type: AWS::ECS::Cluster
  EnvironmentHostedZone:
    Type: AWS::Route53::HostedZone
    Properties:
      Name: !Sub ${EnvironmentName}.${AppName}.${AppDNSName}
Outputs:
  VpcId:
    Value: !Ref VPC
    Export: {Name: !Sub '${AWS::StackName}-VpcId'}
  PublicSubnets:
    Value: !Join [',', [!Ref PublicSubnet1, !Ref PublicSubnet2]]
    Export: {Name: !Sub '${AWS::StackName}-PublicSubnets'}
  PrivateSubnets:
    Value: !Join [',', [!Ref PrivateSubnet1, !Ref PrivateSubnet2]]
    Export: {Name: !Sub '${AWS::StackName}-PrivateSubnets'}
  EnvironmentSecurityGroup:
    Value: !Ref EnvironmentSecurityGroup
    Export: {Name: !Sub '${AWS::StackName}-EnvironmentSecurityGroup'}
  ClusterId:
    Value: !Ref Cluster
    Export: {Name: !Sub '${AWS::StackName}-ClusterId'}
  PublicLoadBalancerDNSName:
    Value: !Ref LoadBalancerDNS
    Export: {Name: !Sub '${AWS::StackName}-PublicLoadBalancerDNS'}
  PublicLoadBalancerFullName:
    Value: !Ref LoadBalancerFullName
    Export: {Name: !Sub '${AWS::StackName}-PublicLoadBalancerFullName'}
  PublicLoadBalancerHostedZone:
    Value: !Ref LoadBalancerZone
    Export: {Name: !Sub '${AWS::StackName}-CanonicalHostedZoneID'}
  HTTPSListenerArn:
    Value: !Ref HTTPSListener
    Export: {Name: !Sub '${AWS::StackName}-HTTPSListenerArn'}
  EnvironmentHostedZone:
    Value: !Ref EnvironmentHostedZone
    Export: {Name: !Sub '${AWS::StackName}-HostedZone'}
  EnvironmentSubdomain:
    Value: !Sub ${EnvironmentName}.${AppName}.${AppDNSName}
    Export: {Name: !Sub '${AWS::StackName}-SubDomain'}
"""

# `copilot storage init -t DynamoDB -n orders` and `-t S3 -n uploads` (addons/ddb/cf.yml, addons/s3/cf.yml),
# merged as Copilot merges a service's addons.
ADDONS = """\
Parameters:
  App: {Type: String}
  Env: {Type: String}
  Name: {Type: String}
Resources:
  orders:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub ${App}-${Env}-${Name}-orders
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      BillingMode: PAY_PER_REQUEST
      KeySchema: [{AttributeName: id, KeyType: HASH}]
  uploadsBucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub ${App}-${Env}-${Name}-uploads
Outputs:
  ordersName:
    Value: !Ref orders
    Export: {Name: !Sub '${App}-${Env}-ordersTableName'}
  uploadsName:
    Value: !Ref uploadsBucket
"""

WORKLOAD = """\
Parameters:
  AppName: {Type: String}
  EnvName: {Type: String}
  WorkloadName: {Type: String}
  AddonsTemplateURL: {Type: String, Default: ''}
Conditions:
  HasAddons: !Not [!Equals [!Ref AddonsTemplateURL, '']]
Resources:
  LogGroup:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Join ['', [/copilot/, !Ref AppName, '-', !Ref EnvName, '-', !Ref WorkloadName]]
      RetentionInDays: 30
  AddonsStack:
    Type: AWS::CloudFormation::Stack
    Condition: HasAddons
    Properties:
      Parameters: {App: !Ref AppName, Env: !Ref EnvName, Name: !Ref WorkloadName}
      TemplateURL: !Ref AddonsTemplateURL
"""


@dataclass
class Environment:
    """What the environment stack made, as the tests check it."""

    name: str
    region: str
    stack: str
    vpc: str = ""
    public_subnets: list[str] = field(default_factory=list)
    private_subnets: list[str] = field(default_factory=list)
    certificate: str = ""
    load_balancer_dns: str = ""
    load_balancer_zone: str = ""


def tags(app: str, env: str | None = None, service: str | None = None) -> list[dict[str, str]]:
    found = {"copilot-application": app, **({"copilot-environment": env} if env else {}),
             **({"copilot-service": service} if service else {})}
    return [{"Key": k, "Value": v} for k, v in found.items()]


def create(endpoint: str, app: str = "shop", environments: dict[str, str] | None = None,
           services: tuple[str, ...] = ("api", "web"), addons: tuple[str, ...] = ("api",)) -> dict[str, Environment]:
    """Copilot's SSM parameters and stacks for ``app`` (environments: name -> region); returns the environments."""
    environments = environments or {"test": "us-west-2"}
    home = next(iter(environments.values()))
    ssm = client(endpoint, "ssm", home)
    ssm.put_parameter(Name=f"/copilot/applications/{app}", Type="String", Value=json.dumps(
        {"name": app, "account": ACCOUNT, "domain": DOMAIN, "version": "1.0"}))
    route53 = client(endpoint, "route53", home)
    route53.create_hosted_zone(Name=DOMAIN, CallerReference="root")
    route53.create_hosted_zone(Name=f"{app}.{DOMAIN}", CallerReference=f"{app}-zone")
    out = {}
    for env, region in environments.items():
        ssm.put_parameter(Name=f"/copilot/applications/{app}/environments/{env}", Type="String", Value=json.dumps(
            {"app": app, "name": env, "region": region, "accountID": ACCOUNT}))
        out[env] = _environment(endpoint, app, env, region)
        for service in services:
            _workload(endpoint, app, env, region, service, with_addons=service in addons)
    return out


def _environment(endpoint: str, app: str, env: str, region: str) -> Environment:
    ec2, elbv2, acm = (client(endpoint, s, region) for s in ("ec2", "elbv2", "acm"))
    # The load balancer lives in a VPC of its own here (moto cannot put it into the stack's before the stack).
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"{region}{z}")
               ["Subnet"]["SubnetId"] for i, z in ((0, "a"), (1, "b"))]
    balancer = elbv2.create_load_balancer(Name=f"{app}-{env}-Publi-1D328E3B", Subnets=subnets,
                                          Tags=tags(app, env))["LoadBalancers"][0]
    certificate = acm.request_certificate(DomainName=f"{env}.{app}.{DOMAIN}",
                                          SubjectAlternativeNames=[f"*.{env}.{app}.{DOMAIN}"])["CertificateArn"]
    listener = elbv2.create_listener(
        LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTPS", Port=443,
        Certificates=[{"CertificateArn": certificate}],
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503"}}])["Listeners"][0]
    cfn = client(endpoint, "cloudformation", region)
    stack = f"{app}-{env}"
    cfn.create_stack(StackName=stack, TemplateBody=ENVIRONMENT.replace("{REGION}", region), Tags=tags(app, env),
                     Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"], Parameters=_parameters({
                         "AppName": app, "EnvironmentName": env, "AppDNSName": DOMAIN,
                         "LoadBalancerDNS": balancer["DNSName"], "LoadBalancerZone": balancer["CanonicalHostedZoneId"],
                         # What CloudWatch calls the load balancer: app/<name>/<id>, the end of its ARN.
                         "LoadBalancerFullName": balancer["LoadBalancerArn"].split(":loadbalancer/", 1)[1],
                         "HTTPSListener": listener["ListenerArn"]}))
    outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]}
    return Environment(env, region, stack, outputs["VpcId"], outputs["PublicSubnets"].split(","),
                       outputs["PrivateSubnets"].split(","), certificate, balancer["DNSName"],
                       balancer["CanonicalHostedZoneId"])


def _workload(endpoint: str, app: str, env: str, region: str, service: str, *, with_addons: bool) -> None:
    parameters = {"AppName": app, "EnvName": env, "WorkloadName": service}
    if with_addons:
        s3 = client(endpoint, "s3", region)
        bucket = f"stackset-{app}-infrastru-pipelinebuiltartifactbuc-{region}"
        with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):  # one bucket per region
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
        key = f"manual/addons/{service}/{env}.yml"
        s3.put_object(Bucket=bucket, Key=key, Body=ADDONS.encode())
        parameters["AddonsTemplateURL"] = f"https://{bucket}.s3.{region}.amazonaws.com/{key}"
    client(endpoint, "cloudformation", region).create_stack(
        StackName=f"{app}-{env}-{service}", TemplateBody=WORKLOAD, Tags=tags(app, env, service),
        Parameters=_parameters(parameters), Capabilities=["CAPABILITY_IAM"])


def _parameters(values: dict[str, Any]) -> list[dict[str, str]]:
    return [{"ParameterKey": k, "ParameterValue": str(v)} for k, v in values.items()]
