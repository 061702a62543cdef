"""The project stack's resource and IAM policy documents, as pure functions of plain values.

Kept apart from the resources so the exact principals and actions can be read and tested
without Pulumi: the components resolve partitions, account ids and ARNs (Outputs) and
call these builders inside ``apply``. Account lists are de-duplicated and sorted here, so
a document only changes when the set of accounts changes, never with config order.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stacks._iam import VERSION

Document = dict[str, Any]

# Pulling an image: what an environment account's task execution role does.
ECR_PULL_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)
# Pushing an image additionally uploads layers and writes the manifest.
ECR_PUSH_ACTIONS = (
    *ECR_PULL_ACTIONS,
    "ecr:CompleteLayerUpload",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
)
# Key administration without use (Copilot's list, plus UntagResource so tag updates work).
KMS_ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:Create*",
    "kms:Delete*",
    "kms:Describe*",
    "kms:Disable*",
    "kms:Enable*",
    "kms:Get*",
    "kms:List*",
    "kms:Put*",
    "kms:Revoke*",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:Update*",
)
KMS_USE_ACTIONS = (
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
)


def accounts(values: Iterable[str]) -> list[str]:
    """Distinct account ids in a stable order."""
    return sorted(set(values))


def root(partition: str, account: str) -> str:
    """The principal that delegates to the account's own IAM policies."""
    return f"arn:{partition}:iam::{account}:root"


def _roots(partition: str, account_ids: Iterable[str]) -> dict[str, list[str]]:
    return {"AWS": [root(partition, a) for a in accounts(account_ids)]}


def ecr_repository_policy(partition: str, project_account: str, environment_accounts: Iterable[str]) -> Document:
    """Environment accounts pull; the project account pushes (and pulls)."""
    pullers = accounts(environment_accounts)
    statements: list[Document] = []
    if pullers:  # AWS rejects a statement without principals
        statements.append({"Sid": "AllowPull", "Effect": "Allow", "Principal": _roots(partition, pullers),
                           "Action": list(ECR_PULL_ACTIONS)})
    statements.append({"Sid": "AllowPush", "Effect": "Allow", "Principal": _roots(partition, [project_account]),
                       "Action": list(ECR_PUSH_ACTIONS)})
    return {"Version": VERSION, "Statement": statements}


def ecr_lifecycle_policy(keep_images: int) -> Document:
    """Expire every image beyond the newest ``keep_images`` (tagged or not)."""
    return {"rules": [{
        "rulePriority": 1,
        "description": f"Keep the last {keep_images} images",
        "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep_images},
        "action": {"type": "expire"},
    }]}


def kms_key_policy(partition: str, project_account: str, environment_accounts: Iterable[str]) -> Document:
    """The project account administers the key; it and the environment accounts use it.

    The administering statement includes ``kms:PutKeyPolicy``, which KMS's lockout safety
    check requires of the account that sets the policy.
    """
    return {"Version": VERSION, "Statement": [
        {"Sid": "AdministerKey", "Effect": "Allow", "Principal": _roots(partition, [project_account]),
         "Action": list(KMS_ADMIN_ACTIONS), "Resource": "*"},
        {"Sid": "UseKey", "Effect": "Allow",
         "Principal": _roots(partition, [project_account, *environment_accounts]),
         "Action": list(KMS_USE_ACTIONS), "Resource": "*"},
    ]}


def artifact_bucket_policy(partition: str, bucket_arn: str, environment_accounts: Iterable[str]) -> Document:
    """Deny plain-HTTP requests from anyone; let environment accounts list and read objects."""
    readers = accounts(environment_accounts)
    statements: list[Document] = [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [bucket_arn, f"{bucket_arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    ]
    if readers:
        statements += [
            {"Sid": "AllowEnvironmentList", "Effect": "Allow", "Principal": _roots(partition, readers),
             "Action": ["s3:GetBucketLocation", "s3:ListBucket"], "Resource": bucket_arn},
            {"Sid": "AllowEnvironmentRead", "Effect": "Allow", "Principal": _roots(partition, readers),
             "Action": ["s3:GetObject", "s3:GetObjectVersion"], "Resource": f"{bucket_arn}/*"},
        ]
    return {"Version": VERSION, "Statement": statements}


def dns_delegation_trust(partition: str, environment_accounts: Iterable[str]) -> Document:
    """Who may assume the DNS delegation role: every environment account."""
    return {"Version": VERSION, "Statement": [
        {"Sid": "EnvironmentAccounts", "Effect": "Allow", "Principal": _roots(partition, environment_accounts),
         "Action": "sts:AssumeRole"},
    ]}


def record_names_condition(names: Iterable[str]) -> Document:
    """Every record a ChangeResourceRecordSets request changes is named like one of ``names`` (normalised).

    ``Null: false`` too: ForAllValues over a request without names would be true.
    """
    key = "route53:ChangeResourceRecordSetsNormalizedRecordNames"
    return {"ForAllValues:StringLike": {key: list(names)}, "Null": {key: "false"}}


def dns_delegation_permissions(partition: str, zone_id: str, zone_name: str) -> Document:
    """Write NS delegation records below the project zone, and nothing else.

    The record-type and record-name conditions stop an environment account from
    replacing the project zone's own apex records (its NS/SOA) or adding other types;
    GetHostedZone/ListResourceRecordSets/GetChange are what a record's create, refresh
    and wait-for-INSYNC need.
    """
    zone_arn = f"arn:{partition}:route53:::hostedzone/{zone_id}"
    return {"Version": VERSION, "Statement": [
        {"Sid": "ChangeDelegationRecords", "Effect": "Allow", "Action": "route53:ChangeResourceRecordSets",
         "Resource": zone_arn, "Condition": {
             "ForAllValues:StringEquals": {"route53:ChangeResourceRecordSetsRecordTypes": ["NS"]},
             **record_names_condition([f"*.{zone_name.rstrip('.').lower()}"]),
         }},
        {"Sid": "ReadProjectZone", "Effect": "Allow",
         "Action": ["route53:GetHostedZone", "route53:ListResourceRecordSets"], "Resource": zone_arn},
        {"Sid": "TrackChanges", "Effect": "Allow", "Action": "route53:GetChange",
         "Resource": f"arn:{partition}:route53:::change/*"},
    ]}
