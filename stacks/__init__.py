"""The Pulumi programs ecsp runs: one module per stack kind, each a pure function of a
:class:`ecsp.context.StackContext`, handed to the driver as one bundle, :data:`PROGRAMS`.

The bundle declares the provider plugins and ``pulumi_aws`` submodules the programs use
(see :mod:`ecsp.programs`); ``tests/stacks/test_programs.py`` fails when a program starts using
one that is not declared here. It also declares what of ecsp.yaml each program reads, for
the plan cache (the pipeline program: all of it); ``tests/engine/test_plan_cache.py`` checks them.
"""

from __future__ import annotations

from ecsp.programs import Plugin, Programs
from stacks import application, environment, pipeline, project, storage

PROGRAMS = Programs(
    by_kind={
        "project": project.program,
        "environment": environment.program,
        "storage": storage.program,
        "application": application.program,
        "pipeline": pipeline.program,
    },
    plugins=(Plugin("aws", "pulumi-aws"), Plugin("docker-build", "pulumi-docker-build")),
    reads={"project": project.reads, "environment": environment.reads, "storage": storage.reads,
           "application": application.reads},
    aws_modules=("acm", "appautoscaling", "cloudformation", "cloudwatch", "codebuild", "codepipeline",
                 "codestarconnections", "dynamodb", "ec2", "ecr", "ecs", "efs", "elasticache", "iam", "kms", "lb",
                 "rds", "route53", "s3", "scheduler", "secretsmanager", "servicediscovery", "sfn", "sns", "sqs", "vpc"),
)
