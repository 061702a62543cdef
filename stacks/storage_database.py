"""A managed database: Aurora Serverless v2 (PostgreSQL or MySQL) or one RDS instance, in the private subnets.

Secure defaults: storage encrypted, TLS required (a parameter group forcing it), automated
backups, a final snapshot when it is ever deleted, no public access, its own security group
that only linked applications are let into (:mod:`stacks.storage_network`). Credentials never
reach Pulumi's state in plain text:

* by default RDS generates and rotates the master password in a Secrets Manager secret of its
  own (``manage_master_user_password``): the state holds only the secret's ARN;
* with ``copilot_name`` (an application written for Copilot reads ``<NAME>_SECRET``, a JSON of
  host, port, dbname, username, password and engine) ecsp writes such a secret, with a password
  Secrets Manager generates (``GetRandomPassword``); Pulumi keeps it only encrypted, as a secret,
  and later runs neither regenerate nor rewrite it.

Every resource here is kept when the entry leaves ecsp.yaml or the stack is destroyed
(``retain_on_delete``), the security group and subnet group too, which the database uses.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from ecsp import naming
from ecsp.config.data import DATA_KINDS, Data
from stacks import _aws
from stacks.storage_network import security_group

MASTER_USERS = {"postgres": "postgres", "mysql": "admin"}  # Copilot's, so its applications' code keeps working
# What makes the engine refuse connections without TLS.
TLS_PARAMETERS = {"postgres": ("rds.force_ssl", "1"), "mysql": ("require_secure_transport", "ON")}


def parameter_group_family(kind: str, version: str, *, aurora: bool) -> str:
    """The parameter group family of an engine version: aurora-postgresql16, postgres16, aurora-mysql8.0, mysql8.4."""
    if kind == "postgres":
        return f"{'aurora-' if aurora else ''}postgres{'ql' if aurora else ''}{version.split('.')[0]}"
    return "aurora-mysql8.0" if aurora else f"mysql{'.'.join(version.split('.')[:2])}"


def engine_name(kind: str, *, aurora: bool) -> str:
    return {"postgres": "aurora-postgresql", "mysql": "aurora-mysql"}[kind] if aurora else kind


def copilot_secret(*, username: str, password: str, engine: str, host: str, port: int, dbname: str,
                   identifier: str) -> str:
    """The JSON Copilot's Aurora addon kept in its secret (its SecretTargetAttachment added the endpoint)."""
    return json.dumps({"username": username, "password": password, "engine": engine, "host": host, "port": port,
                       "dbname": dbname, "dbClusterIdentifier": identifier}, sort_keys=True)


def _secret(value: pulumi.Output[str]) -> pulumi.Output[str]:
    """``value``, marked secret: Pulumi keeps it encrypted in the state and hides it in every display."""
    return pulumi.Output.secret(value)


def _parts(*values: pulumi.Input[Any]) -> pulumi.Output[list[Any]]:
    return pulumi.Output.all(*values)


def _first_secret(secrets: Sequence[Any]) -> str:
    """The ARN of the secret RDS manages for the master user."""
    return str(secrets[0].secret_arn) if secrets else ""


class Database(pulumi.ComponentResource):
    """One data entry of kind postgres or mysql."""

    facts: dict[str, pulumi.Input[Any]]

    def __init__(self, name: str, *, names: naming.DataNames, settings: Data, vpc_id: pulumi.Input[str],
                 private_subnet_ids: pulumi.Input[list[str]], provider: aws.Provider,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsp:storage:Database", name, None, opts)

        def child(**kwargs: Any) -> pulumi.ResourceOptions:
            return _aws.opts(provider, self, retain_on_delete=True, **kwargs)

        kind, aurora = settings.kind, settings.aurora
        version = settings.engine_version
        engine = engine_name(kind, aurora=aurora)
        port = DATA_KINDS[kind].port
        username = MASTER_USERS[kind]
        dbname = settings.database_name(names.data)
        group = security_group(name, names=names, what="database", vpc_id=vpc_id, provider=provider, parent=self,
                               retain_on_delete=True)
        subnets = aws.rds.SubnetGroup(name, name=names.database, subnet_ids=private_subnet_ids,
                                      description=f"{names.base}: the environment's private subnets",
                                      tags={"Name": names.tag()}, opts=child())
        key, value = TLS_PARAMETERS[kind]
        family = parameter_group_family(kind, version, aurora=aurora)
        tls_cluster = [aws.rds.ClusterParameterGroupParameterArgs(name=key, value=value, apply_method="immediate")]
        tls_instance = [aws.rds.ParameterGroupParameterArgs(name=key, value=value, apply_method="immediate")]
        # Copilot's applications read a JSON secret with the endpoint in it; others use RDS's own.
        generated = settings.copilot_name is not None
        password: pulumi.Output[str] | None = None
        if generated:
            invoke = pulumi.InvokeOutputOptions(provider=provider)
            generated_password: pulumi.Output[str] = aws.secretsmanager.get_random_password_output(
                password_length=16, exclude_punctuation=True, include_space=False, opts=invoke).random_password
            password = _secret(generated_password)
        # Set once, at creation: a later run's newly generated password must not replace the one in use.
        managed: dict[str, Any] = {"manage_master_user_password": True}
        common: dict[str, Any] = dict(
            engine=engine, engine_version=version, port=port, vpc_security_group_ids=[group.id],
            db_subnet_group_name=subnets.name, storage_encrypted=True,
            backup_retention_period=settings.backup_retention or DATA_KINDS[kind].defaults["backup_retention"],
            skip_final_snapshot=False, final_snapshot_identifier=names.final_snapshot, copy_tags_to_snapshot=True,
            deletion_protection=False,  # what keeps it is retain_on_delete: `--delete-data` must be able to delete it
            allow_major_version_upgrade=True, apply_immediately=True, tags={"Name": names.tag()})
        endpoint: pulumi.Output[str]
        identifier: pulumi.Output[str]
        secret_arn: pulumi.Input[str] | None
        if aurora:
            parameters = aws.rds.ClusterParameterGroup(
                name, family=family, description=f"{names.base}: TLS only", parameters=tls_cluster, opts=child())
            scaling = settings.scaling
            cluster = aws.rds.Cluster(
                name, cluster_identifier=names.database, engine_mode="provisioned", database_name=dbname,
                master_username=username, db_cluster_parameter_group_name=parameters.name,
                serverlessv2_scaling_configuration=aws.rds.ClusterServerlessv2ScalingConfigurationArgs(
                    min_capacity=scaling.min, max_capacity=scaling.max,
                    seconds_until_auto_pause=(settings.pause_after or 300) if scaling.min == 0 else None),
                **({"master_password": password} if password is not None else managed), **common,
                opts=child(ignore_changes=["masterPassword"] if generated else []))
            aws.rds.ClusterInstance(
                name, identifier=names.cluster_instance, cluster_identifier=cluster.id,
                instance_class="db.serverless", engine=aws.rds.EngineType(engine),
                engine_version=cluster.engine_version,
                db_subnet_group_name=subnets.name, publicly_accessible=False, apply_immediately=True,
                tags={"Name": names.tag()}, opts=child())
            endpoint, identifier = cluster.endpoint, cluster.cluster_identifier
            secret_arn = None if generated else cluster.master_user_secrets.apply(_first_secret)
        else:
            parameters_ = aws.rds.ParameterGroup(
                name, family=family, description=f"{names.base}: TLS only", parameters=tls_instance,
                opts=child())
            instance = aws.rds.Instance(
                name, identifier=names.database, instance_class=settings.instance, db_name=dbname,
                username=username, parameter_group_name=parameters_.name,
                allocated_storage=settings.storage or DATA_KINDS[kind].defaults["storage"],
                max_allocated_storage=10 * (settings.storage or DATA_KINDS[kind].defaults["storage"]),
                storage_type="gp3", publicly_accessible=False, auto_minor_version_upgrade=True,
                **({"password": password} if password is not None else managed), **common,
                opts=child(ignore_changes=["password"] if generated else []))
            endpoint, identifier = instance.address, instance.identifier
            secret_arn = None if generated else instance.master_user_secrets.apply(_first_secret)
        if password is not None:
            secret = aws.secretsmanager.Secret(
                name, name_prefix=f"{names.secret}-", recovery_window_in_days=30,
                description=f"{names.base}: host, port, dbname, username and password (Copilot's layout)",
                opts=child())
            aws.secretsmanager.SecretVersion(
                name, secret_id=secret.id,
                secret_string=_secret(_parts(password, endpoint, identifier).apply(
                    lambda v: copilot_secret(username=username, password=v[0], engine=kind, host=v[1],
                                             port=int(port or 0), dbname=dbname, identifier=v[2]))),
                opts=child(ignore_changes=["secretString"]))
            secret_arn = secret.arn
        self.facts = {
            "kind": kind, "managed": True, "host": endpoint, "port": port, "dbname": dbname, "engine": kind,
            "identifier": identifier, "aurora": aurora, "secret_arn": secret_arn,
            # The generated secret holds the endpoint too (read from it as Copilot's was); RDS's own does not.
            "endpoint_in_secret": generated, "security_group_id": group.id,
        }
        self.register_outputs({"endpoint": endpoint})
