"""Who delivers a load balancer's access logs to S3 in each region, and the bucket policy that lets it.

Pure: the program turns the document into JSON. ELB writes with a regional AWS account in
the regions that existed before August 2022, and as the service principal
``logdelivery.elasticloadbalancing.amazonaws.com`` in regions opened since (AWS's
"Enable access logs for your Application Load Balancer", step 2). Those older regions keep
their account; any region not listed is taken as a newer one.
"""

from __future__ import annotations

from typing import Any

SERVICE_PRINCIPAL = "logdelivery.elasticloadbalancing.amazonaws.com"

# The regional Elastic Load Balancing accounts of the regions opened before August 2022 (AWS docs;
# the same table as the Terraform provider's aws_elb_service_account).
ELB_ACCOUNTS: dict[str, str] = {
    "us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980",
    "us-west-2": "797873946194", "af-south-1": "098369216593", "ap-east-1": "754344448648",
    "ap-south-1": "718504428378", "ap-northeast-1": "582318560864", "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331", "ap-southeast-1": "114774131450", "ap-southeast-2": "783225319266",
    "ca-central-1": "985666609251", "eu-central-1": "054676820928", "eu-west-1": "156460612806",
    "eu-west-2": "652711504416", "eu-west-3": "009996457667", "eu-south-1": "635631232127",
    "eu-north-1": "897822967062", "me-south-1": "076674570225", "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584", "us-gov-east-1": "190560391635",
    "cn-north-1": "638102146993", "cn-northwest-1": "037604701340",
}  # fmt: skip


def delivery_principal(region: str, partition: str = "aws") -> dict[str, str]:
    """The policy ``Principal`` that writes ELB access logs in ``region``."""
    account = ELB_ACCOUNTS.get(region)
    if account is None:
        return {"Service": SERVICE_PRINCIPAL}
    return {"AWS": f"arn:{partition}:iam::{account}:root"}


def log_key_arn(partition: str, bucket: str, prefix: str | None, account: str) -> str:
    """The objects ELB writes: ``<prefix>/AWSLogs/<account>/...`` (no prefix: ``AWSLogs/<account>/...``)."""
    head = f"{prefix}/" if prefix else ""
    return f"arn:{partition}:s3:::{bucket}/{head}AWSLogs/{account}/*"


def bucket_policy(*, partition: str, bucket: str, region: str, account: str,
                  prefix: str | None = None) -> dict[str, Any]:
    """Let ELB put this account's logs under the prefix, and refuse every request that is not TLS."""
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "ElbLogDelivery", "Effect": "Allow", "Principal": delivery_principal(region, partition),
         "Action": "s3:PutObject", "Resource": log_key_arn(partition, bucket, prefix, account)},
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [bucket_arn, f"{bucket_arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    ]}
