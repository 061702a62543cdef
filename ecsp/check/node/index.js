// AWSGuard (@pulumi/awsguard) as a Pulumi policy pack over ecsp's resources, every policy at
// its own default enforcement level, except the three that read live AWS with the AWS SDK
// (an ACM certificate's expiry, IAM users' access keys and MFA): an offline run cannot make
// those calls, and would fail on them. ecsp creates no IAM users, and its certificates are
// ACM's own, which ACM renews.
//
// AWSGuard 0.3.1 was written against @pulumi/aws 4, whose load balancer policies match the
// legacy type tokens (aws:elasticloadbalancingv2/...). ecsp's programs use the canonical
// aws:lb tokens of @pulumi/aws 7, the same resources under their current name, so each
// AWSGuard validation sees an aws:lb resource under its legacy token too. Without this,
// AWSGuard would pass every load balancer and listener without looking at them.
"use strict";
const awsguard = require("@pulumi/awsguard");

const LEGACY = {
    "aws:lb/loadBalancer:LoadBalancer": "aws:elasticloadbalancingv2/loadBalancer:LoadBalancer",
    "aws:lb/listener:Listener": "aws:elasticloadbalancingv2/listener:Listener",
    "aws:lb/targetGroup:TargetGroup": "aws:elasticloadbalancingv2/targetGroup:TargetGroup",
    "aws:lb/listenerRule:ListenerRule": "aws:elasticloadbalancingv2/listenerRule:ListenerRule",
};

function underLegacyName(validate) {
    return (args, reportViolation) => {
        const legacy = LEGACY[args.type];
        if (legacy === undefined) {
            return validate(args, reportViolation);
        }
        const isType = (resourceClass) => resourceClass.__pulumiType === legacy || args.isType(resourceClass);
        return validate({ ...args, type: legacy, isType,
                          asType: (resourceClass) => (isType(resourceClass) ? args.props : undefined) },
                        reportViolation);
    };
}

// The policy objects AWSGuard registered when it was required: its area modules export them.
for (const area of ["apiGateway", "compute", "database", "elasticsearch", "network", "security", "storage"]) {
    for (const policy of Object.values(require(`@pulumi/awsguard/${area}`))) {
        if (policy && policy.validateResource) {
            const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
            policy.validateResource = validations.map(underLegacyName);
        }
    }
}

new awsguard.AwsGuard("ecsp-awsguard", {
    acmCertificateExpiration: "disabled",
    iamAccessKeysRotated: "disabled",
    iamMfaEnabledForConsoleAccess: "disabled",
});
