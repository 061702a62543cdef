"""The environment's domain: its hosted zone, the NS delegation in the project zone, and a DNS-validated certificate.

Replaces Copilot's two Lambda-backed custom resources (DNS delegation and certificate
validation) with plain resources: a Route 53 NS record written into the project zone
(through a provider that can reach the project account) and ``aws.acm.CertificateValidation``,
which waits until ACM has issued the certificate.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from stacks import _aws

# Short TTLs, as Copilot uses: a re-created environment zone has new name servers.
DNS_TTL = 60


def _validation_option(options: Sequence[aws.acm.outputs.CertificateDomainValidationOption],
                       domain: str) -> aws.acm.outputs.CertificateDomainValidationOption:
    for option in options:
        if option.domain_name == domain:
            return option
    raise ValueError(f"ACM returned no DNS validation record for {domain}")


def _lookup(domain: str, options: Sequence[aws.acm.outputs.CertificateDomainValidationOption],
            ) -> aws.acm.outputs.CertificateDomainValidationOption:
    return _validation_option(options, domain)


class Domain(pulumi.ComponentResource):
    """Hosted zone ``<env>.<project>.<domain>``, its delegation, and a certificate for it and its wildcard."""

    zone_id: pulumi.Output[str]
    certificate_arn: pulumi.Output[str]

    def __init__(self, name: str, *, subdomain: str, project_zone_id: pulumi.Input[str], provider: aws.Provider,
                 delegation_provider: aws.Provider, alternative_names: Sequence[str] = (),
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsp:environment:Domain", name, None, opts)
        zone = aws.route53.Zone("zone", name=subdomain, comment=f"ecsp environment zone {subdomain}",
                                opts=_aws.opts(provider, self))
        # The project zone lives in the project account: the delegation provider is either the
        # environment's own (same account) or one that assumes the project's DNS delegation role.
        # Overwrite: a re-created environment must replace the NS record its predecessor left.
        delegation = aws.route53.Record("delegation", zone_id=project_zone_id, name=subdomain, type="NS",
                                        ttl=DNS_TTL, records=zone.name_servers, allow_overwrite=True,
                                        opts=_aws.opts(delegation_provider, self))

        certificate = aws.acm.Certificate("certificate", domain_name=subdomain,
                                          subject_alternative_names=[f"*.{subdomain}", *alternative_names],
                                          validation_method="DNS", opts=_aws.opts(provider, self))
        # ACM validates a name and its wildcard with the same CNAME, so one record covers both;
        # two records of the same name would fight over it.
        option = certificate.domain_validation_options.apply(lambda o: _validation_option(o, subdomain))
        record = aws.route53.Record("certificate-validation", zone_id=zone.zone_id,
                                    name=option.resource_record_name, type=option.resource_record_type,
                                    records=[option.resource_record_value], ttl=DNS_TTL, allow_overwrite=True,
                                    opts=_aws.opts(provider, self))
        records = [record]
        # Aliases below the zone that its wildcard does not cover (a.b.<zone>): one CNAME each, in
        # this zone too, since every such name lies inside it.
        for alias in alternative_names:
            extra = certificate.domain_validation_options.apply(functools.partial(_lookup, alias))
            records.append(aws.route53.Record(
                f"certificate-validation-{alias}", zone_id=zone.zone_id, name=extra.resource_record_name,
                type=extra.resource_record_type, records=[extra.resource_record_value], ttl=DNS_TTL,
                allow_overwrite=True, opts=_aws.opts(provider, self)))
        # ACM resolves the record through public DNS, which reaches the environment zone only
        # once the delegation exists.
        validation = aws.acm.CertificateValidation("certificate", certificate_arn=certificate.arn,
                                                   validation_record_fqdns=[r.fqdn for r in records],
                                                   opts=_aws.opts(provider, self, depends_on=[delegation]))

        self.zone_id = zone.zone_id
        # The validation's ARN, not the certificate's: a listener using it waits for issuance.
        self.certificate_arn = validation.certificate_arn
        self.register_outputs({"zoneId": self.zone_id, "certificateArn": self.certificate_arn})
