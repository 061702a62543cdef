"""pulumi_aws's service packages loaded resource by resource: the same objects as a plain import, from any thread.

Each test runs in a fresh interpreter: once a service package is loaded, this process cannot
see it unloaded again.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from ecsp.aws_imports import _module_of


def run_fresh(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_names_are_looked_up_in_the_module_pulumi_generates_them_in() -> None:
    assert _module_of("Vpc") == "vpc"
    assert _module_of("SecurityGroupArgs") == "security_group"
    assert _module_of("VpcIpv4CidrBlockAssociationArgsDict") == "vpc_ipv4_cidr_block_association"
    assert _module_of("get_subnets_output") == "get_subnets"
    assert _module_of("get_vpc") == "get_vpc"


def test_only_the_resources_used_are_imported_and_they_are_the_plain_imports_classes() -> None:
    out = run_fresh("""
        import sys
        import pulumi_aws as aws
        from ecsp.aws_imports import ServicePackage, load_on_demand
        load_on_demand(["ec2", "s3"])
        assert type(aws.ec2) is ServicePackage and sys.modules["pulumi_aws.ec2"] is aws.ec2
        first_vpc, first_ingress = aws.ec2.Vpc, aws.ec2.SecurityGroupIngressArgs
        first_subnets = aws.ec2.get_subnets_output
        loaded = sorted(m for m in sys.modules if m.startswith("pulumi_aws.ec2."))
        assert "pulumi_aws.ec2.fleet" not in loaded, loaded
        print(len(loaded))
        import pulumi_aws.ec2.vpc, pulumi_aws.ec2._inputs, pulumi_aws.ec2.get_subnets
        assert first_vpc is pulumi_aws.ec2.vpc.Vpc and first_ingress is pulumi_aws.ec2._inputs.SecurityGroupIngressArgs
        assert first_subnets is pulumi_aws.ec2.get_subnets.get_subnets_output
        assert aws.ec2.outputs is sys.modules["pulumi_aws.ec2.outputs"]
        # A name it cannot place, or a tool's question, runs the package's own __init__: all is there.
        star = {}
        exec("from pulumi_aws.ec2 import *", star)
        assert "pulumi_aws.ec2.fleet" in sys.modules and star["Fleet"] is aws.ec2.Fleet
        assert aws.ec2.Vpc is first_vpc
        try:
            aws.s3.NoSuchThing
        except AttributeError as e:
            print(e)
    """).split("\n")
    assert 0 < int(out[0]) < 10
    assert out[1] == "module 'pulumi_aws.s3' has no attribute 'NoSuchThing'"


def test_threads_loading_the_same_packages_at_once_all_find_their_classes() -> None:
    out = run_fresh("""
        import threading
        import pulumi_aws as aws
        from ecsp.aws_imports import load_on_demand
        load_on_demand(["ec2", "s3", "ecs", "lb"])
        names = [("ec2", "Vpc"), ("ec2", "Subnet"), ("s3", "BucketV2"), ("s3", "BucketPolicy"), ("ecs", "Service"),
                 ("ecs", "TaskDefinition"), ("lb", "LoadBalancer"), ("lb", "ListenerRuleActionArgs")] * 4
        start, found, errors = threading.Barrier(len(names)), [], []
        def use(service, name):
            start.wait()
            try:
                found.append(getattr(getattr(aws, service), name).__name__)
            except Exception as e:
                errors.append(repr(e))
        threads = [threading.Thread(target=use, args=n) for n in names]
        for t in threads: t.start()
        for t in threads: t.join()
        print(len(found), errors)
    """)
    assert out.strip() == "32 []"


def test_a_package_already_loaded_is_left_as_it_is() -> None:
    out = run_fresh("""
        import pulumi_aws as aws
        aws.sqs.Queue
        before = aws.sqs
        from ecsp.aws_imports import load_on_demand
        load_on_demand(["sqs"])
        print(aws.sqs is before, type(aws.sqs).__name__)
    """)
    assert out.strip() == "True module"
