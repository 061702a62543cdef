"""Every kind of bad ecsp.yaml gets one exact, helpful message: FILE:LINE: FIELD: what is wrong; how to fix it.

Messages are kept whole, one per line, so they read (and grep) as the user sees them; hence
the long lines.

A table of bad inputs, each with the complete list of problems ecsp must report. The base
document is valid; each case edits it. Line numbers in the expectations refer to the edited
document (the base's lines are numbered below).
"""

# ruff: noqa: E501
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ecsp import loader
from ecsp.cli import main
from ecsp.errors import ConfigError

# Lines: 1 project, 2 name, 3 region, 4 environments, 5 test, 6 region, 7 prod, 8 region,
# 9 applications, 10 web, 11 image, 12 port, 13 path, 14 cpu, 15 memory.
BASE = """\
project:
  name: shop
  region: us-west-2
environments:
  test:
    region: us-west-2
  prod:
    region: eu-west-1
applications:
  web:
    image: {location: nginx}
    port: 80
    path: /
    cpu: 256
    memory: 512
"""
# A release pipeline, appended after line 15 (state on 16, pipelines on 18, stages from 24).
PIPELINE = """\
state:
  backend: s3://shop-state
pipelines:
  release:
    source: github
    repository: acme/shop
    connection: create
    secrets: {PULUMI_CONFIG_PASSPHRASE: /shop/pass}
    stages:
      - environment: test
      - environment: prod
        deploy: [web]
"""
# A second application, appended after line 15 (so its key is on line 16).
API = """\
  api:
    image: {location: httpd}
    port: 8080
"""
# A worker and a job, appended after line 15 (so their keys are on line 16).
WORKER = "  orders:\n    kind: worker\n    image: {location: busybox}\n"
JOB = "  nightly:\n    kind: job\n    image: {location: busybox}\n"


def edit(old: str, new: str, text: str = BASE) -> str:
    """``text`` with the one occurrence of ``old`` replaced (fails loudly if the base changed)."""
    assert text.count(old) == 1, old
    return text.replace(old, new)


def case(name: str, text: str, *expected: str) -> object:
    return pytest.param(text, list(expected), id=name)


CASES = [
    case(
        "yaml-unclosed-bracket",
        "project: {name: shop\n",
        "ecsp.yaml:1: invalid YAML (column 10): this '{' is never closed; add the matching '}'",
    ),
    case(
        "yaml-bracket-not-closed-on-its-line",
        edit("    image: {location: nginx}\n", "    image: {location: nginx\n"),
        "ecsp.yaml:11: invalid YAML (column 12): this '{' is not closed on its line (YAML read on to line 12); add the matching '}'",
    ),
    case(
        "yaml-brackets-crossed",
        edit("    image: {location: nginx}\n", "    image: {location: [nginx}\n"),
        "ecsp.yaml:11: invalid YAML (column 29): '}' closes the '[' of column 23; use ']' (or close the inner bracket first)",
    ),
    case(
        "yaml-flow-mapping-missing-comma",
        edit("    image: {location: nginx}\n", "    image: {location: nginx build: ./web}\n"),
        "ecsp.yaml:11: invalid YAML (column 34): a ',' is missing between two entries of a {...} or [...]; write {a: 1, b: 2}",
    ),
    case(
        "yaml-tab",
        "project:\n\tname: shop\n",
        'ecsp.yaml:2: invalid YAML (column 1): a tab; YAML indents with spaces only, so replace the tab with spaces',
    ),
    case(
        "yaml-colon-in-value",
        edit("    path: /\n", "    path: /a: b: c\n"),
        "ecsp.yaml:13: invalid YAML (column 13): a ':' where no key may start; fix the indentation, or quote a value that contains ': '",
    ),
    case(
        "yaml-bad-indent",
        edit("    port: 80\n", "      port: 80\n"),
        "ecsp.yaml:12: invalid YAML (column 7): this line is indented 6 spaces, but the mapping it is in (from line 11) indents its keys 4; indent keys of the same mapping equally, here or on the lines above",
    ),
    case(
        # The dedented key is valid YAML on its own (a sibling of web); the parser stops on the next line.
        "yaml-key-dedented-stops-on-the-next-line",
        edit("    port: 80\n", "  port: 80  # a comment ends the value here\n"),
        "ecsp.yaml:13: invalid YAML (column 5): this line is indented 4 spaces, but the mapping it is in (from line 10) indents its keys 2; indent keys of the same mapping equally, here or on the lines above",
    ),
    case(
        "yaml-duplicate-key",
        BASE + "    port: 81\n",
        "ecsp.yaml:16: applications.web.port: duplicate key 'port' (first on line 12); YAML keeps only the last one, so remove one of them",
    ),
    case(
        "empty-file",
        "# nothing yet\n",
        'ecsp.yaml:1: the file is empty; start from `ecsp init`',
    ),
    case(
        "top-level-list",
        "- project\n",
        'ecsp.yaml:1: the top level must be a mapping with project, environments and applications',
    ),
    case(
        "unknown-top-level",
        BASE + "aplications: {}\n",
        "ecsp.yaml:16: aplications: unknown key 'aplications'; did you mean 'applications'?",
    ),
    case(
        "unknown-in-project",
        edit("  region: us-west-2\nenv", "  regin: us-west-2\nenv"),
        "ecsp.yaml:3: project.regin: unknown key 'regin'; did you mean 'region'?",
    ),
    case(
        "unknown-in-environment",
        edit("  test:\n    region: us-west-2", "  test:\n    regoin: us-west-2"),
        "ecsp.yaml:6: environments.test.regoin: unknown key 'regoin'; did you mean 'region'?",
    ),
    case(
        "unknown-in-network",
        edit("  test:\n    region: us-west-2", "  test:\n    region: us-west-2\n    network: {cidr: 10.0.0.0/16, nt: none}"),
        "ecsp.yaml:7: environments.test.network.nt: unknown key 'nt'; did you mean 'nat'?",
    ),
    case(
        "misplaced-key",
        edit("  test:\n    region: us-west-2", "  test:\n    region: us-west-2\n    cidr: 10.0.0.0/16"),
        "ecsp.yaml:7: environments.test.cidr: unknown key 'cidr'; it belongs under 'network' (network: {cidr: ...})",
    ),
    case(
        "unknown-in-application",
        edit("    port: 80", "    prot: 80"),
        "ecsp.yaml:12: applications.web.prot: unknown key 'prot'; did you mean 'port'?",
    ),
    case(
        "unknown-in-healthcheck",
        BASE + "    healthcheck: {path: /health, intervall: 10}\n",
        "ecsp.yaml:16: applications.web.healthcheck.intervall: unknown key 'intervall'; did you mean 'interval'?",
    ),
    case(
        "unknown-in-override",
        BASE + "    environments:\n      prod: {cuont: 2}\n",
        "ecsp.yaml:17: applications.web.environments.prod.cuont: unknown key 'cuont'; did you mean 'count'?",
    ),
    case(
        "unknown-in-override-healthcheck",
        BASE + "    environments:\n      prod:\n        healthcheck: {timout: 3}\n",
        "ecsp.yaml:18: applications.web.environments.prod.healthcheck.timout: unknown key 'timout'; did you mean 'timeout'?",
    ),
    case(
        "unknown-in-count",
        BASE + "    count: {min: 1, max: 4, cpu: 70}\n",
        "ecsp.yaml:16: applications.web.count.cpu: unknown key 'cpu'; did you mean 'cpu_percentage'?",
    ),
    case(
        "unknown-far-from-any",
        BASE + "    tracing: {}\n",
        "ecsp.yaml:16: applications.web.tracing: unknown key 'tracing'; valid keys: addons, aliases, capacity, command, connect, container_healthcheck, count, cpu, depends_on, deployment, deregistration_delay, entrypoint, environments, exec, healthcheck, image, kind, link, log_retention, logging, managed_policies, memory, path, placement, platform, port, publish, queue, release, retries, routes, schedule, secrets, security_groups, sidecars, storage, subscribe, target_container, timeout, variables",
    ),
    case(
        "missing-project",
        "environments:\n  test: {region: us-west-2}\n",
        "ecsp.yaml:1: project: 'project' is required; add it, e.g. project: {name: shop, region: us-west-2}",
    ),
    case(
        "missing-environment-region",
        edit("  prod:\n    region: eu-west-1\n", "  prod:\n    account: '111111111111'\n"),
        "ecsp.yaml:7: environments.prod.region: 'region' is required; add it, e.g. region: us-west-2",
    ),
    case(
        "missing-image",
        edit("    image: {location: nginx}\n", ""),
        "ecsp.yaml:10: applications.web.image: 'image' is required; add it, e.g. image: {location: public.ecr.aws/nginx/nginx:stable}",
    ),
    case(
        "no-environments",
        edit("  test:\n    region: us-west-2\n  prod:\n    region: eu-west-1\n", "  {}\n").replace("environments:\n  {}", "environments: {}"),
        'ecsp.yaml:4: environments: define at least one environment, e.g. test: {region: us-west-2}',
    ),
    case(
        "project-name-uppercase",
        edit("name: shop", "name: My_Shop"),
        "ecsp.yaml:2: project.name: 'My_Shop' is not a valid project name; use lowercase letters, digits and single hyphens, starting with a letter, e.g. 'my-shop'",
    ),
    case(
        "project-name-too-long",
        edit("name: shop", "name: the-very-best-shop-in-town"),
        "ecsp.yaml:2: project.name: 'the-very-best-shop-in-town' is 26 characters; project names are at most 20 so that the AWS names derived from them fit AWS limits; use a shorter name",
    ),
    case(
        "environment-name-invalid",
        edit("  prod:\n", "  Prod:\n"),
        "ecsp.yaml:7: environments.Prod: 'Prod' is not a valid environment name; use lowercase letters, digits and single hyphens, starting with a letter, e.g. 'prod'",
    ),
    case(
        "environment-name-too-long",
        edit("  prod:\n", "  production-eu-west-1:\n"),
        "ecsp.yaml:7: environments.production-eu-west-1: 'production-eu-west-1' is 20 characters; environment names are at most 16 so that the AWS names derived from them fit AWS limits; use a shorter name",
    ),
    case(
        "application-name-invalid",
        edit("  web:\n", "  web_app:\n"),
        "ecsp.yaml:10: applications.web_app: 'web_app' is not a valid application name; use lowercase letters, digits and single hyphens, starting with a letter, e.g. 'web-app'",
    ),
    case(
        "application-name-too-long",
        edit("  web:\n", "  storefront-web-frontend-v2:\n"),
        "ecsp.yaml:10: applications.storefront-web-frontend-v2: 'storefront-web-frontend-v2' is 26 characters; application names are at most 24 so that the AWS names derived from them fit AWS limits; use a shorter name",
    ),
    case(
        "application-name-reserved",
        edit("  web:\n", "  project:\n"),
        "ecsp.yaml:10: applications.project: 'project' is reserved for ecsp's own stacks; choose another application name",
    ),
    case(
        "certificate-name-too-long",
        edit("  region: us-west-2\nenv", "  region: us-west-2\n  domain: the-longest-domain-name-anyone-has-registered.example.com\nenv"),
        "ecsp.yaml:6: environments.test: the certificate name 'test.shop.the-longest-domain-name-anyone-has-registered.example.com' is 67 characters; ACM allows 64: shorten the environment, project or domain name",
        "ecsp.yaml:8: environments.prod: the certificate name 'prod.shop.the-longest-domain-name-anyone-has-registered.example.com' is 67 characters; ACM allows 64: shorten the environment, project or domain name",
    ),
    case(
        "cpu-not-fargate",
        edit("cpu: 256", "cpu: 300"),
        'ecsp.yaml:14: applications.web.cpu: 300 is not a Fargate cpu size; use 256, 512, 1024, 2048, 4096, 8192 or 16384 (1024 units = 1 vCPU; the nearest is 256)',
    ),
    case(
        "memory-not-valid-with-cpu",
        edit("memory: 512", "memory: 300"),
        'ecsp.yaml:15: applications.web.memory: 300 MiB is not valid with cpu 256; use 512, 1024 or 2048',
    ),
    case(
        "memory-8-vcpu",
        edit("cpu: 256\n    memory: 512", "cpu: 8192\n    memory: 8192"),
        'ecsp.yaml:15: applications.web.memory: 8192 MiB is not valid with cpu 8192; use 16384 to 61440 in steps of 4096',
    ),
    case(
        "memory-16-vcpu",
        edit("cpu: 256\n    memory: 512", "cpu: 16384\n    memory: 32000"),
        'ecsp.yaml:15: applications.web.memory: 32000 MiB is not valid with cpu 16384; use 32768 to 122880 in steps of 8192',
    ),
    case(
        "cpu-override-breaks-base-memory",
        BASE + "    environments:\n      prod:\n        cpu: 512\n",
        "ecsp.yaml:18: applications.web.environments.prod.cpu: cpu 512 in environment 'prod' does not fit memory 512 MiB (from applications.web.memory); override memory in environment 'prod' too, with 1024, 2048, 3072 or 4096",
    ),
    case(
        "memory-override-breaks-base-cpu",
        BASE + "    environments:\n      prod: {memory: 4096}\n",
        "ecsp.yaml:17: applications.web.environments.prod.memory: 4096 MiB in environment 'prod' is not valid with cpu 256 (from applications.web.cpu); use 512, 1024 or 2048, or override cpu in environment 'prod' too",
    ),
    case(
        "cpu-without-memory",
        edit("    memory: 512\n", "").replace("cpu: 256", "cpu: 1024"),
        'ecsp.yaml:14: applications.web.cpu: cpu 1024 needs more than the default 512 MiB of memory; add memory: 2048 to 8192 in steps of 1024',
    ),
    case(
        "memory-without-cpu",
        edit("    cpu: 256\n", "").replace("memory: 512", "memory: 8192"),
        'ecsp.yaml:14: applications.web.memory: 8192 MiB is not valid with the default cpu 256; use 512, 1024 or 2048, or set cpu to 1024, 2048 or 4096',
    ),
    case(
        "port-too-large",
        edit("port: 80", "port: 70000"),
        'ecsp.yaml:12: applications.web.port: 70000 is out of range; use 1 to 65535',
    ),
    case(
        "port-zero",
        edit("port: 80", "port: 0"),
        'ecsp.yaml:12: applications.web.port: 0 is out of range; use 1 to 65535',
    ),
    case(
        "port-quoted",
        edit("port: 80", "port: '80'"),
        "ecsp.yaml:12: applications.web.port: '80' is quoted, so it is text; remove the quotes to make it a number",
    ),
    case(
        "port-yes",
        edit("port: 80", "port: yes"),
        'ecsp.yaml:12: applications.web.port: YAML reads yes as true; use e.g. port: 80',
    ),
    case(
        "path-without-slash",
        edit("path: /", "path: api"),
        "ecsp.yaml:13: applications.web.path: 'api' must start with '/'; use '/api'",
    ),
    case(
        "path-trailing-slash",
        edit("path: /", "path: /api/"),
        "ecsp.yaml:13: applications.web.path: '/api/' must not end with '/'; use '/api'",
    ),
    case(
        "path-wildcard",
        edit("path: /", "path: /api/*"),
        "ecsp.yaml:13: applications.web.path: '/api/*' may only use letters, digits and . _ ~ - between slashes; ecsp adds the wildcard itself ('/api' matches /api and /api/*)",
    ),
    case(
        "path-shared",
        edit("path: /", "path: /shop") + API + "    path: /shop\n",
        "ecsp.yaml:19: applications.api.path: '/shop' is already the path of application 'web'; give 'api' its own path",
    ),
    case(
        "two-root-paths",
        BASE + API + "    path: /\n",
        "ecsp.yaml:19: applications.api.path: only one application without host names may use the root path '/', and 'web' already does; give 'api' its own path, e.g. /api, or aliases (the host names that reach it)",
    ),
    case(
        "second-app-without-path",
        BASE + API,
        "ecsp.yaml:16: applications.api.path: 'api' has no path, so it gets the root path '/', which 'web' already uses; set path, e.g. path: /api, or aliases (the host names that reach it)",
    ),
    case(
        "path-override-collides",
        BASE + API + "    path: /api\n    environments:\n      prod: {path: /}\n",
        "ecsp.yaml:21: applications.api.environments.prod.path: only one application without host names may use the root path '/', and 'web' already does in environment 'prod'; give 'api' its own path, e.g. /api, or aliases (the host names that reach it)",
    ),
    case(
        "cidr-not-a-cidr",
        edit("  test:\n    region: us-west-2", "  test:\n    region: us-west-2\n    network: {cidr: 10.0.0/16}"),
        "ecsp.yaml:7: environments.test.network.cidr: '10.0.0/16' is not an IPv4 CIDR block; use e.g. 10.0.0.0/16",
    ),
    case(
        "cidr-host-bits",
        edit("  test:\n    region: us-west-2", "  test:\n    region: us-west-2\n    network: {cidr: 10.1.2.3/16}"),
        "ecsp.yaml:7: environments.test.network.cidr: '10.1.2.3/16' has host bits set; use the network address: 10.1.0.0/16",
    ),
    case(
        "cidr-too-small",
        edit("  test:\n    region: us-west-2", "  test:\n    region: us-west-2\n    network: {cidr: 10.0.0.0/23}"),
        "ecsp.yaml:7: environments.test.network.cidr: '10.0.0.0/23' has room for 2 /24 subnet(s), and ecsp needs four (two public, two private); use a /22 or larger, e.g. 10.0.0.0/16",
    ),
    case(
        "cidr-too-large",
        edit("  test:\n    region: us-west-2", "  test:\n    region: us-west-2\n    network: {cidr: 10.0.0.0/8}"),
        "ecsp.yaml:7: environments.test.network.cidr: '10.0.0.0/8' is larger than AWS allows for a VPC (/16 at most); use e.g. 10.0.0.0/16",
    ),
    case(
        "private-without-nat",
        BASE + "    placement: private\n",
        "ecsp.yaml:16: applications.web.placement: private placement needs a NAT gateway, and environments 'test' and 'prod' have network.nat: none; set network.nat to single or per-az in each, or use placement: public",
    ),
    case(
        "private-override-without-nat",
        edit("  prod:\n    region: eu-west-1", "  prod:\n    region: eu-west-1\n    network: {nat: single}") + "    environments:\n      test: {placement: private}\n",
        "ecsp.yaml:18: applications.web.environments.test.placement: private placement needs a NAT gateway, and environment 'test' has network.nat: none; set environments.test.network.nat to single or per-az, or use placement: public",
    ),
    case(
        "nat-yes",
        edit("  test:\n    region: us-west-2", "  test:\n    region: us-west-2\n    network: {nat: yes}"),
        "ecsp.yaml:7: environments.test.network.nat: YAML reads yes as true; use 'none', 'single' or 'per-az'",
    ),
    case(
        "nat-unknown",
        edit("  test:\n    region: us-west-2", "  test:\n    region: us-west-2\n    network: {nat: shared}"),
        "ecsp.yaml:7: environments.test.network.nat: 'shared' is not allowed; use 'none', 'single' or 'per-az'",
    ),
    case(
        "region-format",
        edit("  region: us-west-2\nenv", "  region: US West 2\nenv"),
        "ecsp.yaml:3: project.region: 'US West 2' is not an AWS region; use e.g. us-west-2",
    ),
    case(
        "region-typo",
        edit("    region: eu-west-1", "    region: eu-wset-1"),
        "ecsp.yaml:8: environments.prod.region: 'eu-wset-1' is not an AWS region; did you mean eu-west-1?",
    ),
    case(
        "applications-key-without-applications",
        BASE.split("applications:")[0] + "applications:\n",
        "ecsp.yaml:9: applications: is empty; use e.g. applications: {web: {image: {location: public.ecr.aws/nginx/nginx:stable}, port: 80}}",
    ),
    case(
        "overrides-as-a-list",
        BASE + "    environments:\n      - prod\n",
        "ecsp.yaml:16: applications.web.environments: must be a mapping (key: value), not a list; use e.g. environments: {prod: {count: 3, memory: 1024}}",
    ),
    case(
        "region-typo-equally-near-two",
        edit("  test:\n    region: us-west-2", "  test:\n    region: us-est-1"),
        "ecsp.yaml:6: environments.test.region: 'us-est-1' is not an AWS region; did you mean us-west-1 or us-east-1?",
    ),
    case(
        "account-unquoted",
        edit("  region: us-west-2\nenv", "  region: us-west-2\n  account: 123456789012\nenv"),
        'ecsp.yaml:4: project.account: YAML reads unquoted digits as a number; put the account id in quotes: "123456789012"',
    ),
    case(
        "account-unquoted-octal",
        edit("    region: eu-west-1", "    region: eu-west-1\n    account: 012345670123"),
        'ecsp.yaml:9: environments.prod.account: YAML reads unquoted digits as a number; put the account id in quotes: "012345670123"',
    ),
    case(
        "account-wrong-length",
        edit("  region: us-west-2\nenv", "  region: us-west-2\n  account: '12345678901'\nenv"),
        'ecsp.yaml:4: project.account: \'12345678901\' is not an AWS account id; use the 12 digits in quotes, e.g. "111111111111"',
    ),
    case(
        "role-arn",
        edit("    region: eu-west-1", "    region: eu-west-1\n    role_arn: arn:aws:iam::222222222222:user/deployer"),
        "ecsp.yaml:9: environments.prod.role_arn: 'arn:aws:iam::222222222222:user/deployer' is not an IAM role ARN; use arn:aws:iam::ACCOUNT:role/NAME",
    ),
    case(
        "override-unknown-environment-typo",
        BASE + "    environments:\n      prd: {count: 2}\n",
        "ecsp.yaml:17: applications.web.environments.prd: there is no environment 'prd' (environments: test, prod); did you mean 'prod'?",
    ),
    case(
        "override-unknown-environment",
        BASE + "    environments:\n      staging: {count: 2}\n",
        "ecsp.yaml:17: applications.web.environments.staging: there is no environment 'staging' (environments: test, prod); add it under environments, or remove this override",
    ),
    case(
        "autoscaling-min-above-max",
        BASE + "    count: {min: 5, max: 2}\n",
        'ecsp.yaml:16: applications.web.count.min: 5 is greater than max (2); lower min or raise max',
    ),
    case(
        "autoscaling-min-above-max-override",
        BASE + "    count: {min: 1, max: 4}\n    environments:\n      prod:\n        count: {min: 6, max: 4}\n",
        'ecsp.yaml:19: applications.web.environments.prod.count.min: 6 is greater than max (4); lower min or raise max',
    ),
    case(
        "count-not-a-number",
        BASE + "    count: many\n",
        "ecsp.yaml:16: applications.web.count: 'many' is not a whole number; use a number of tasks, or {min: 1, max: 4} to autoscale",
    ),
    case(
        "secret-s3-arn",
        BASE + "    secrets:\n      DB_PASSWORD: arn:aws:s3:::shop-secrets/db\n",
        "ecsp.yaml:17: applications.web.secrets.DB_PASSWORD: 'arn:aws:s3:::shop-secrets/db' is not an SSM parameter name or an SSM/Secrets Manager ARN; use e.g. /shop/db-password or arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME",
    ),
    case(
        "secret-with-spaces",
        BASE + "    secrets:\n      DB_PASSWORD: my db password\n",
        "ecsp.yaml:17: applications.web.secrets.DB_PASSWORD: 'my db password' is not an SSM parameter name or an SSM/Secrets Manager ARN; use e.g. /shop/db-password or arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME",
    ),
    case(
        "secret-reserved-name",
        BASE + "    secrets:\n      ECSP_TOKEN: /shop/token\n",
        'ecsp.yaml:17: applications.web.secrets.ECSP_TOKEN: names starting with ECSP_ are reserved for the variables ecsp sets; rename it',
    ),
    case(
        "secret-also-a-variable",
        BASE + "    variables: {DB_PASSWORD: hunter2}\n    secrets: {DB_PASSWORD: /shop/db-password}\n",
        "ecsp.yaml:17: applications.web.secrets.DB_PASSWORD: 'DB_PASSWORD' is also in variables; a container gets each name once: keep it in variables or in secrets, not both",
    ),
    case(
        "image-location-with-spaces",
        edit("{location: nginx}", "{location: nginx latest}"),
        "ecsp.yaml:11: applications.web.image.location: 'nginx latest' is not an image reference (it contains spaces); use e.g. nginx:1.27 or public.ecr.aws/nginx/nginx:stable",
    ),
    case(
        "image-both-sources",
        edit("{location: nginx}", "{location: nginx, build: ./web}"),
        'ecsp.yaml:11: applications.web.image: set only one of location (use an existing image) or build (build a Dockerfile directory), not both',
    ),
    case(
        "image-no-source",
        edit("{location: nginx}", "{dockerfile: Dockerfile}"),
        'ecsp.yaml:11: applications.web.image: add location (an image URI, e.g. public.ecr.aws/nginx/nginx:stable) or build (a directory with a Dockerfile, e.g. ./web)',
    ),
    case(
        "image-as-string",
        edit("{location: nginx}", "nginx:latest"),
        'ecsp.yaml:11: applications.web.image: must be a mapping; for an existing image write image: {location: nginx:latest}',
    ),
    case(
        "healthcheck-timeout",
        BASE + "    healthcheck: {interval: 5, timeout: 5}\n",
        'ecsp.yaml:16: applications.web.healthcheck.timeout: 5s must be less than the interval (5s); lower timeout or raise interval',
    ),
    case(
        "healthcheck-override-merged-with-base",
        BASE + "    healthcheck: {interval: 15}\n    environments:\n      prod:\n        healthcheck: {timeout: 20}\n",
        "ecsp.yaml:19: applications.web.environments.prod.healthcheck.timeout: in environment 'prod', merged with the base settings: 20s must be less than the interval (15s); lower timeout or raise interval",
    ),
    case(
        "log-retention",
        BASE + "    log_retention: 10\n",
        'ecsp.yaml:16: applications.web.log_retention: 10 days is not a CloudWatch Logs retention; use 7 or 14 (allowed: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)',
    ),
    case(
        "variable-without-value",
        BASE + "    variables:\n      LOG_LEVEL:\n",
        "ecsp.yaml:17: applications.web.variables.LOG_LEVEL: has no value; give it one (write '' for an empty string)",
    ),
    case(
        "several-at-once",
        edit("    region: eu-west-1", "    region: eu-west-1\n    network: {cidr: 10.0.0.0/8}") + API + "    path: /\n    placement: private\n    environments:\n      staging: {count: 2}\n",
        "ecsp.yaml:9: environments.prod.network.cidr: '10.0.0.0/8' is larger than AWS allows for a VPC (/16 at most); use e.g. 10.0.0.0/16",
        "ecsp.yaml:20: applications.api.path: only one application without host names may use the root path '/', and 'web' already does; give 'api' its own path, e.g. /api, or aliases (the host names that reach it)",
        "ecsp.yaml:21: applications.api.placement: private placement needs a NAT gateway, and environments 'test' and 'prod' have network.nat: none; set network.nat to single or per-az in each, or use placement: public",
        "ecsp.yaml:23: applications.api.environments.staging: there is no environment 'staging' (environments: test, prod); add it under environments, or remove this override",
    ),
    case(
        "field-error-hides-no-cross-field-problem",
        edit("port: 80", "port: http") + "    placement: private\n" + API + "    path: /\n",
        "ecsp.yaml:12: applications.web.port: 'http' is not a whole number; use e.g. port: 80",
        "ecsp.yaml:16: applications.web.placement: private placement needs a NAT gateway, and environments 'test' and 'prod' have network.nat: none; set network.nat to single or per-az in each, or use placement: public",
        "ecsp.yaml:20: applications.api.path: only one application without host names may use the root path '/', and 'web' already does; give 'api' its own path, e.g. /api, or aliases (the host names that reach it)",
    ),
    case(
        "unreadable-memory-is-not-blamed-on-cpu",
        edit("cpu: 256\n    memory: 512", "cpu: 4096\n    memory: lots"),
        "ecsp.yaml:15: applications.web.memory: 'lots' is not a whole number; expected: task memory (MiB); must suit the cpu (Fargate's table)",
    ),
    case(
        "unreadable-nat-is-not-blamed-on-placement",
        edit("  test:\n    region: us-west-2", "  test:\n    region: us-west-2\n    network: {nat: maybe}") + "    placement: private\n",
        "ecsp.yaml:7: environments.test.network.nat: 'maybe' is not allowed; use 'none', 'single' or 'per-az'",
        "ecsp.yaml:17: applications.web.placement: private placement needs a NAT gateway, and environment 'prod' has network.nat: none; set environments.prod.network.nat to single or per-az, or use placement: public",
    ),    case(
        "pipeline-stage-unknown-environment",
        BASE + PIPELINE.replace("environment: prod", "environment: prd"),
        "ecsp.yaml:26: pipelines.release.stages[1].environment: there is no environment 'prd' (environments: test, prod); did you mean 'prod'?",
    ),
    case(
        "pipeline-two-stages-one-environment",
        BASE + PIPELINE.replace("environment: prod", "environment: test"),
        "ecsp.yaml:26: pipelines.release.stages[1].environment: stages[0] already deploys 'test'; a pipeline deploys each environment once: remove this stage or name another environment",
    ),
    case(
        "pipeline-source-without-connection",
        BASE + PIPELINE.replace("    connection: create\n", ""),
        "ecsp.yaml:19: pipelines.release: a github source needs a CodeStar connection; add connection: create (ecsp creates it, and a person completes the handshake in the console once) or connection_arn: ARN of an existing one",
    ),
    case(
        "pipeline-deploys-unknown-application",
        BASE + PIPELINE.replace("deploy: [web]", "deploy: [wbe]"),
        "ecsp.yaml:27: pipelines.release.stages[1].deploy[0]: there is no application 'wbe' (applications: web); did you mean 'web'?",
    ),
    case(
        "pipeline-file-backend",
        BASE + PIPELINE.replace("s3://shop-state", "file:///srv/state"),
        "ecsp.yaml:17: state.backend: the pipeline's build runs in CodeBuild, which cannot reach 'file:///srv/state'; set state.backend to s3://BUCKET/prefix or https://api.pulumi.com (and move the state there first: `pulumi stack export`/`import`)",
    ),
    case(
        "pipeline-default-backend",
        BASE + PIPELINE.replace("state:\n  backend: s3://shop-state\n", ""),
        "ecsp.yaml:17: pipelines.release: the pipeline's build runs in CodeBuild, which cannot reach the default file backend (.ecsp/state on this machine); set state.backend to s3://BUCKET/prefix or https://api.pulumi.com (and move the state there first: `pulumi stack export`/`import`)",
    ),
    case(
        "pipeline-passphrase-not-given",
        BASE + PIPELINE.replace("    secrets: {PULUMI_CONFIG_PASSPHRASE: /shop/pass}\n", ""),
        "ecsp.yaml:19: pipelines.release: the stacks' secrets use a passphrase, which the build must have; add secrets: {PULUMI_CONFIG_PASSPHRASE: /shop/pulumi-passphrase} (an SSM SecureString or Secrets Manager ARN), or use state.secrets_provider: awskms://alias/NAME?region=R",
    ),
    case(
        "pipeline-codecommit-with-connection",
        BASE + PIPELINE.replace("source: github", "source: codecommit").replace("acme/shop", "shop"),
        "ecsp.yaml:22: pipelines.release.connection: codecommit needs no connection; remove connection",
    ),
    case(
        "pipeline-repository-not-owner-name",
        BASE + PIPELINE.replace("acme/shop", "shop"),
        "ecsp.yaml:21: pipelines.release.repository: 'shop' is not owner/name; use e.g. acme/shop",
    ),
    case(
        "pipeline-environment-in-unnamed-project-account",
        edit("    region: eu-west-1", "    region: eu-west-1\n    account: \"222222222222\"") + PIPELINE,
        "ecsp.yaml:27: pipelines.release.stages[1].environment: environment 'prod' is in account 222222222222, and the pipeline's build role lives in the project account, which ecsp.yaml does not name; set project.account so the deploy role can trust it",
    ),
    # Application kinds (issue 11): each field that does not suit the kind, and each cross-application rule.
    case(
        'worker-with-load-balancer-healthcheck',
        BASE + WORKER + "    healthcheck: {path: /health}\n",
        'ecsp.yaml:19: applications.orders.healthcheck: the load balancer checks only web applications (container_healthcheck checks any kind from inside its container), and this is a worker; remove healthcheck, or set kind: web',
    ),
    case(
        'queue-delay-from-zero',
        BASE + WORKER + "    count: {min: 0, max: 5, queue_delay: {latency: 600, processing_time: 1}}\n",
        'ecsp.yaml:19: applications.orders.count.min: queue_delay scales on the backlog per running task, which is undefined with none running, so the worker would stay at 0; set min: 1 or more',
    ),
    case(
        'backend-with-aliases',
        BASE + "  api:\n    kind: backend\n    image: {location: httpd}\n    port: 8080\n    aliases: [api.example.com]\n",
        'ecsp.yaml:20: applications.api.aliases: only web applications have host names on the load balancer, and this is a backend; remove aliases, or set kind: web',
    ),
    case(
        'job-with-deployment-and-capacity',
        BASE + JOB + '    schedule: "rate(1 day)"\n    deployment: {rolling: recreate}\n    capacity: spot\n',
        "ecsp.yaml:20: applications.nightly.deployment: only services roll out deployments; a job's runs are tasks, and this is a job; remove deployment, or set kind: web",
        "ecsp.yaml:21: applications.nightly.capacity: a job's runs are started by its state machine on FARGATE, and this is a job; remove capacity, or set kind: web",
    ),
    case(
        'backend-with-path',
        BASE + "  api:\n    kind: backend\n    image: {location: httpd}\n    port: 8080\n    path: /api\n",
        'ecsp.yaml:20: applications.api.path: the load balancer routes a path only to web applications, and this is a backend; remove path, or set kind: web',
    ),
    case(
        'subscribe-unpublished-topic',
        edit("    path: /\n", "    path: /\n    publish: [created]\n") + WORKER + "    subscribe: [{app: web, topic: cancelled}]\n",
        "ecsp.yaml:20: applications.orders.subscribe.0.topic: 'web' publishes no topic 'cancelled' (it publishes 'created'); add 'cancelled' to applications.web.publish, or subscribe to one it publishes",
    ),
    case(
        'subscribe-unknown-app',
        BASE + WORKER + "    subscribe: [{app: wbe, topic: created}]\n",
        "ecsp.yaml:19: applications.orders.subscribe.0.app: there is no application 'wbe'; did you mean 'web'?",
    ),
    case(
        'cron-five-fields',
        BASE + JOB + '    schedule: "cron(0 3 * * *)"\n',
        "ecsp.yaml:19: applications.nightly.schedule: 'cron(0 3 * * *)' has 5 fields; EventBridge cron has 6: minutes hours day-of-month month day-of-week year, e.g. cron(0 3 * * ? *)",
    ),
    case(
        'cron-no-question-mark',
        BASE + JOB + '    schedule: "cron(0 3 * * MON *)"\n',
        "ecsp.yaml:19: applications.nightly.schedule: 'cron(0 3 * * MON *)': exactly one of day-of-month ('*') and day-of-week ('MON') must be '?'; e.g. cron(0 3 * * ? *) for every day",
    ),
    case(
        'cron-hour-out-of-range',
        BASE + JOB + '    schedule: "cron(0 25 * * ? *)"\n',
        "ecsp.yaml:19: applications.nightly.schedule: 'cron(0 25 * * ? *)': the hours field '25' is out of range; use 0-23",
    ),
    case(
        'rate-plural',
        BASE + JOB + '    schedule: "rate(1 hours)"\n',
        "ecsp.yaml:19: applications.nightly.schedule: 'rate(1 hours)': write rate(1 hour) (singular only for 1)",
    ),
    case(
        'schedule-typo',
        BASE + JOB + '    schedule: "every day"\n',
        'ecsp.yaml:19: applications.nightly.schedule: \'every day\' is not a schedule; use e.g. "rate(1 hour)", "cron(0 3 * * ? *)" (03:00 UTC daily) or none',
    ),
    case(
        'job-without-schedule',
        BASE + JOB,
        'ecsp.yaml:16: applications.nightly.schedule: a job needs a schedule; add e.g. schedule: "rate(1 day)", schedule: "cron(0 3 * * ? *)" or schedule: none (run it with `ecsp run`)',
    ),
    case(
        'connect-on-job',
        BASE + JOB + "    schedule: none\n    connect: true\n",
        'ecsp.yaml:20: applications.nightly.connect: a job runs to completion, so Service Connect (which serves and calls through a long-running proxy) does not apply; remove connect',
    ),
    case(
        'worker-requests',
        BASE + WORKER + "    count: {min: 1, max: 3, requests: 100}\n",
        'ecsp.yaml:19: applications.orders.count.requests: a worker is not behind the load balancer, so there are no requests to count; scale on cpu_percentage or memory_percentage, or queue_delay',
    ),
    case(
        'queue-delay-without-insights',
        BASE + WORKER + "    count: {min: 1, max: 3, queue_delay: {latency: 60, processing_time: 1s}}\n",
        "ecsp.yaml:19: applications.orders.count.queue_delay: queue_delay scaling divides the queue's backlog by the running task count, which ECS publishes only with Container Insights; set environments.test.container_insights: true and environments.prod.container_insights: true, or scale on cpu_percentage",
    ),
    case(
        'queue-on-web',
        BASE + "    queue: {visibility_timeout: 30}\n",
        'ecsp.yaml:16: applications.web.queue: only a worker has a queue, and this is a web application; remove queue, or set kind: worker',
    ),
    case(
        'schedule-on-web-in-override',
        BASE + "    environments:\n      prod: {schedule: \"rate(1 day)\"}\n",
        "ecsp.yaml:17: applications.web.environments.prod.schedule: in environment 'prod', merged with the base settings: only a job runs on a schedule, and this is a web application; remove schedule, or set kind: job",
    ),
    case(
        'web-without-port',
        edit("    port: 80\n", ""),
        "ecsp.yaml:10: applications.web.port: 'port' is required for a web application (the load balancer forwards to it); add it, e.g. port: 80",
    ),
    case(
        'subscription-loop',
        BASE + "  a:\n    kind: worker\n    image: {location: x}\n    publish: [t]\n    subscribe: [{app: b, topic: t}]\n  b:\n    kind: worker\n    image: {location: x}\n    publish: [t]\n    subscribe: [{app: a, topic: t}]\n",
        'ecsp.yaml:20: applications.a.subscribe: subscriptions form a loop (a -> b -> a), and each worker deploys after the applications it subscribes to; break the loop (e.g. publish the topic from a third application)',
    ),
    case(
        'queue-retention-too-long',
        BASE + WORKER + "    queue: {retention: 15d}\n",
        'ecsp.yaml:19: applications.orders.queue.retention: 15d is outside what SQS message retention allows (1m to 14d); pick a value in that range',
    ),
]


# Issue 12: environment settings (network.vpc, flow_logs, certificates, access_logs) and aliases.
T = "  test:\n    region: us-west-2"
V = "{id: vpc-0123456789abcdef0, public_subnets: [subnet-0123456789abcdef0, subnet-0123456789abcdef1], private_subnets: [subnet-0123456789abcdef2, subnet-0123456789abcdef3]}"
C = "arn:aws:acm:us-west-2:111111111111:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
CASES += [
    case(
        "vpc-bad-id",
        edit(T, T + "\n    network: {vpc: {id: vpc-123, public_subnets: [subnet-0123456789abcdef0, subnet-0123456789abcdef1], private_subnets: [subnet-0123456789abcdef2, subnet-0123456789abcdef3]}}"),
        "ecsp.yaml:7: environments.test.network.vpc.id: 'vpc-123' is not a VPC id; use the id AWS shows, e.g. vpc-0123456789abcdef0",
    ),
    case(
        "vpc-one-subnet",
        edit(T, T + "\n    network:\n      vpc: {id: vpc-0123456789abcdef0, public_subnets: [subnet-0123456789abcdef0], private_subnets: [subnet-0123456789abcdef2, subnet-0123456789abcdef3]}"),
        "ecsp.yaml:8: environments.test.network.vpc.public_subnets: 1 subnet(s) given; list at least two, in different availability zones (the load balancer spreads over two)",
    ),
    case(
        "vpc-bad-subnet",
        edit(T, T + "\n    network:\n      vpc: {id: vpc-0123456789abcdef0, public_subnets: [subnet-0123456789abcdef0, sn-1], private_subnets: [subnet-0123456789abcdef2, subnet-0123456789abcdef3]}"),
        "ecsp.yaml:8: environments.test.network.vpc.public_subnets.1: 'sn-1' is not a subnet id; use the id AWS shows, e.g. subnet-0123456789abcdef0",
    ),
    case(
        "vpc-dup-subnet",
        edit(T, T + "\n    network:\n      vpc:\n        id: vpc-0123456789abcdef0\n        public_subnets: [subnet-0123456789abcdef0, subnet-0123456789abcdef1]\n        private_subnets: [subnet-0123456789abcdef1, subnet-0123456789abcdef3]"),
        "ecsp.yaml:11: environments.test.network.vpc.private_subnets.0: 'subnet-0123456789abcdef1' is also in public_subnets; a subnet is public or private, not both",
    ),
    case(
        "vpc-with-cidr",
        edit(T, T + "\n    network:\n      cidr: 10.1.0.0/16\n      nat: single\n      vpc: " + V),
        "ecsp.yaml:8: environments.test.network.cidr: cidr only applies to a VPC ecsp creates, and network.vpc uses an existing one (its own subnets and routes); remove cidr",
        "ecsp.yaml:9: environments.test.network.nat: nat only applies to a VPC ecsp creates, and network.vpc uses an existing one (its own subnets and routes); remove nat",
    ),
    case(
        "flow-retention",
        edit(T, T + "\n    network:\n      flow_logs: {retention: 10}"),
        "ecsp.yaml:8: environments.test.network.flow_logs.retention: 10 days is not a CloudWatch Logs retention; use 7 or 14 (allowed: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)",
    ),
    case(
        "flow-bad",
        edit(T, T + "\n    network:\n      flow_logs: yes-please"),
        "ecsp.yaml:8: environments.test.network.flow_logs: must be a mapping (key: value), not text; use e.g. flow_logs: {retention: 30}",
    ),
    case(
        "cert-bad",
        edit(T, T + "\n    certificates: [arn:aws:acm:us-west-2:111111111111:cert/abc]"),
        "ecsp.yaml:7: environments.test.certificates.0: 'arn:aws:acm:us-west-2:111111111111:cert/abc' is not an ACM certificate ARN; use arn:aws:acm:REGION:ACCOUNT:certificate/ID (aws acm list-certificates shows them)",
    ),
    case(
        "cert-region",
        edit(T, T + "\n    certificates: [" + C.replace("us-west-2", "us-east-1") + "]"),
        "ecsp.yaml:7: environments.test.certificates.0: the certificate is in us-east-1 and the environment in us-west-2; a load balancer uses certificates of its own region: import or request it in us-west-2",
    ),
    case(
        "cert-account-project",
        edit("  region: us-west-2\nenvironments", "  region: us-west-2\n  account: \"222222222222\"\nenvironments", edit(T, T + "\n    certificates: [" + C + "]")),
        "ecsp.yaml:8: environments.test.certificates.0: the certificate is in account 111111111111 and the environment in the project account 222222222222; a load balancer uses certificates of its own account: import it there",
    ),
    case(
        "cert-twice",
        edit(T, T + "\n    certificates:\n      - " + C + "\n      - " + C),
        "ecsp.yaml:9: environments.test.certificates.1: 'arn:aws:acm:us-west-2:111111111111:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d' is listed twice; list each certificate once",
    ),
    case(
        "logs-bucket",
        edit(T, T + "\n    access_logs: {bucket: My_Bucket}"),
        "ecsp.yaml:7: environments.test.access_logs.bucket: 'My_Bucket' is not an S3 bucket name; use 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit",
    ),
    case(
        "logs-prefix",
        edit(T, T + "\n    access_logs: {bucket: shop-logs, prefix: /alb/}"),
        "ecsp.yaml:7: environments.test.access_logs.prefix: '/alb/' must not start or end with '/' (ELB refuses it); use 'alb'",
    ),
    case(
        "logs-prefix-awslogs",
        edit(T, T + "\n    access_logs: {bucket: shop-logs, prefix: x/AWSLogs}"),
        "ecsp.yaml:7: environments.test.access_logs.prefix: 'x/AWSLogs' contains AWSLogs, which ELB adds itself and refuses in a prefix; remove it",
    ),
    case(
        "logs-str",
        edit(T, T + "\n    access_logs: shop-logs"),
        "ecsp.yaml:7: environments.test.access_logs: must be a mapping (key: value), not text; use e.g. access_logs: {bucket: shop-logs, prefix: alb/prod}",
    ),
    case(
        "alias-bad",
        BASE + "    aliases: [WWW.example.com, '*.example.com', 'a b']\n",
        "ecsp.yaml:16: applications.web.aliases.0: 'WWW.example.com' has uppercase letters; DNS names are case-insensitive: use 'www.example.com'",
        "ecsp.yaml:16: applications.web.aliases.1: '*.example.com' is a wildcard; aliases are exact host names (a listener rule and a DNS record per name), e.g. www.example.com",
        "ecsp.yaml:16: applications.web.aliases.2: 'a b' is not a host name; use lowercase labels without a trailing dot, e.g. www.example.com",
    ),
    case(
        "alias-no-cert",
        BASE + "    aliases: [www.example.com]\n",
        "ecsp.yaml:16: applications.web.aliases.0: 'www.example.com' has no certificate in environments 'test' and 'prod'; add a certificate that covers it to each environment's certificates, or set project.domain",
    ),
    case(
        "alias-no-cert-domain",
        edit("  region: us-west-2\nenvironments", "  region: us-west-2\n  domain: example.com\nenvironments") + "    aliases: [www.example.com, web.test.shop.example.com]\n",
        "ecsp.yaml:17: applications.web.aliases.0: 'www.example.com' has no certificate in environments 'test' and 'prod'; use a name under <env>.shop.example.com (the environment zone ecsp writes records in), or add a certificate that covers it to each environment's certificates",
        "ecsp.yaml:17: applications.web.aliases.1: 'web.test.shop.example.com' has no certificate in environment 'prod'; use a name under <env>.shop.example.com (the environment zone ecsp writes records in), or add a certificate that covers it to environments.prod.certificates",
    ),
    case(
        "alias-dup-apps",
        edit("  region: us-west-2\nenvironments", "  region: us-west-2\n  domain: example.com\nenvironments") + "    aliases: [shop.test.shop.example.com]\n" + API + "    path: /api\n    aliases: [shop.test.shop.example.com, web.test.shop.example.com]\n",
        "ecsp.yaml:17: applications.web.aliases.0: 'shop.test.shop.example.com' has no certificate in environment 'prod'; use a name under <env>.shop.example.com (the environment zone ecsp writes records in), or add a certificate that covers it to environments.prod.certificates",
        "ecsp.yaml:22: applications.api.aliases.0: 'shop.test.shop.example.com' is already an alias of application 'web' in environments 'test' and 'prod'; a host name routes to one application",
        "ecsp.yaml:22: applications.api.aliases.1: 'web.test.shop.example.com' has no certificate in environment 'prod'; use a name under <env>.shop.example.com (the environment zone ecsp writes records in), or add a certificate that covers it to environments.prod.certificates",
        "ecsp.yaml:22: applications.api.aliases.1: 'web.test.shop.example.com' is already the host name of application 'web' in environment 'test'; a host name routes to one application",
    ),
    case(
        "alias-twice",
        BASE + "    aliases: [a.example.com, a.example.com]\n",
        "ecsp.yaml:16: applications.web.aliases.1: 'a.example.com' is listed twice; list each alias once",
    ),
    case(
        "alias-override",
        BASE + "    environments:\n      prod: {aliases: [www.example.com]}\n",
        "ecsp.yaml:17: applications.web.environments.prod.aliases.0: 'www.example.com' has no certificate in environment 'prod'; add a certificate that covers it to environments.prod.certificates, or set project.domain",
    ),
    # ---- issue 12: container settings (appended after line 15, so the first added line is 16)
    case(
        "sidecar-named-like-the-app",
        BASE + '    sidecars:\n      web: {image: busybox}\n',
        "ecsp.yaml:17: applications.web.sidecars.web: 'web' is the application's own container; give the sidecar another name",
    ),
    case(
        "sidecar-bad-name",
        BASE + '    sidecars:\n      dd.agent: {image: busybox}\n',
        "ecsp.yaml:17: applications.web.sidecars.dd.agent: 'dd.agent' is not a valid container name; use up to 255 letters, digits, - and _",
    ),
    case(
        "sidecar-log-router-name",
        BASE + '    sidecars:\n      log_router: {image: busybox}\n',
        "ecsp.yaml:17: applications.web.sidecars.log_router: 'log_router' is the FireLens log router's name; use logging: {firelens: ...} for it, or name this sidecar differently",
    ),
    case(
        "sidecar-port-taken",
        BASE + '    sidecars:\n      proxy: {image: envoyproxy/envoy, port: 80}\n',
        "ecsp.yaml:17: applications.web.sidecars.proxy.port: 80 is already the application's port; containers of a task share one network, give each its own port",
    ),
    case(
        "sidecar-ports-clash",
        BASE + '    sidecars:\n      a: {image: busybox, port: 9000}\n      b: {image: busybox, port: 9000}\n',
        "ecsp.yaml:18: applications.web.sidecars.b.port: 9000 is already the port of sidecar 'a'; containers of a task share one network, give each its own port",
    ),
    case(
        "sidecar-image-spaces",
        BASE + "    sidecars:\n      a: {image: 'busy box'}\n",
        "ecsp.yaml:17: applications.web.sidecars.a.image: 'busy box' is not an image reference (it contains spaces); use e.g. public.ecr.aws/datadog/agent:7",
    ),
    case(
        "sidecar-secret-bad",
        BASE + "    sidecars:\n      a: {image: busybox, secrets: {KEY: 'not a ref'}}\n",
        "ecsp.yaml:17: applications.web.sidecars.a.secrets.KEY: 'not a ref' is not an SSM parameter name or an SSM/Secrets Manager ARN; use e.g. /shop/db-password or arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME",
    ),
    case(
        "sidecar-variable-and-secret",
        BASE + '    sidecars:\n      a: {image: busybox, variables: {KEY: x}, secrets: {KEY: /shop/key}}\n',
        "ecsp.yaml:17: applications.web.sidecars.a.secrets.KEY: 'KEY' is also in variables; a container gets each name once: keep it in variables or in secrets, not both",
    ),
    case(
        "sidecar-reserved-variable",
        BASE + '    sidecars:\n      a: {image: busybox, variables: {ECSP_X: x}}\n',
        'ecsp.yaml:17: applications.web.sidecars.a.variables.ECSP_X: names starting with ECSP_ are reserved for the variables ecsp sets; rename it',
    ),
    case(
        "depends-on-unknown",
        BASE + '    depends_on: {datadgo: start}\n    sidecars:\n      datadog: {image: busybox}\n',
        "ecsp.yaml:16: applications.web.depends_on.datadgo: there is no container 'datadgo' in this task; did you mean 'datadog'?",
    ),
    case(
        "depends-on-bad-condition",
        BASE + '    sidecars:\n      a: {image: busybox, depends_on: {web: ready}}\n',
        "ecsp.yaml:17: applications.web.sidecars.a.depends_on.web: 'ready' is not allowed; use 'start', 'complete', 'success' or 'healthy'",
    ),
    case(
        "depends-on-complete-essential",
        BASE + '    depends_on: {init: complete}\n    sidecars:\n      init: {image: busybox}\n',
        "ecsp.yaml:16: applications.web.depends_on.init: 'init' is essential, and ECS lets containers wait for complete only of containers that may exit; set essential: false on 'init', or wait for start",
    ),
    case(
        "depends-on-healthy-without-check",
        BASE + '    depends_on: {a: healthy}\n    sidecars:\n      a: {image: busybox}\n',
        "ecsp.yaml:16: applications.web.depends_on.a: 'a' has no container health check to become healthy; add a healthcheck to it, or wait for start",
    ),
    case(
        "depends-on-itself",
        BASE + '    sidecars:\n      a: {image: busybox, depends_on: {a: start}}\n',
        'ecsp.yaml:17: applications.web.sidecars.a.depends_on.a: a container cannot wait for itself; remove this entry',
    ),
    case(
        "depends-on-cycle",
        BASE + '    depends_on: {a: start}\n    sidecars:\n      a: {image: busybox, depends_on: {b: start}}\n      b: {image: busybox, depends_on: {web: start}}\n',
        'ecsp.yaml:16: applications.web.depends_on.a: containers wait for each other in a circle (web -> a -> b -> web); ECS could start none of them: remove one of these dependencies',
    ),
    case(
        "healthcheck-bad-command",
        BASE + '    sidecars:\n      a: {image: busybox, healthcheck: {command: [curl, localhost]}}\n',
        'ecsp.yaml:17: applications.web.sidecars.a.healthcheck.command: start with CMD (an executable and its arguments) or CMD-SHELL (one shell command), e.g. ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]',
    ),
    case(
        "firelens-without-plugin",
        BASE + '    logging: {firelens: {options: {region: us-west-2}}}\n',
        "ecsp.yaml:16: applications.web.logging.firelens.options: name Fluent Bit's output plugin, e.g. Name: cloudwatch (or Name: firehose, Name: s3)",
    ),
    case(
        "volume-relative-path",
        BASE + '    storage:\n      volumes:\n        data: {path: data, efs: true}\n',
        "ecsp.yaml:18: applications.web.storage.volumes.data.path: 'data' is not an absolute path; use e.g. /data",
    ),
    case(
        "volume-paths-clash",
        BASE + '    storage:\n      volumes:\n        a: {path: /data, efs: true}\n        b: {path: /data, efs: {id: fs-0123456789abcdef0}}\n',
        "ecsp.yaml:19: applications.web.storage.volumes.b.path: '/data' is already where volume 'a' is mounted; give each volume its own path",
    ),
    case(
        "volume-bad-fs-id",
        BASE + '    storage:\n      volumes:\n        data: {path: /data, efs: {id: fs-xyz}}\n',
        "ecsp.yaml:18: applications.web.storage.volumes.data.efs.id: 'fs-xyz' is not an EFS file system id; use fs- and 8 or 17 hex digits, e.g. fs-0123456789abcdef0",
    ),
    case(
        "volume-bad-access-point",
        BASE + '    storage:\n      volumes:\n        data: {path: /data, efs: {id: fs-0123456789abcdef0, access_point: ap-1}}\n',
        "ecsp.yaml:18: applications.web.storage.volumes.data.efs.access_point: 'ap-1' is not an EFS access point id; use fsap- and 8 or 17 hex digits, e.g. fsap-0123456789abcdef0",
    ),
    case(
        "volume-root-with-access-point",
        BASE + '    storage:\n      volumes:\n        data: {path: /data, efs: {id: fs-0123456789abcdef0, access_point: fsap-0123456789abcdef0, root_directory: /x}}\n',
        'ecsp.yaml:18: applications.web.storage.volumes.data.efs.root_directory: an access point sets its own root directory; remove root_directory, or remove access_point',
    ),
    case(
        "volume-efs-false",
        BASE + '    storage:\n      volumes:\n        data: {path: /data, efs: false}\n',
        "ecsp.yaml:18: applications.web.storage.volumes.data.efs: use efs: true (the environment's managed file system) or efs: {id: fs-...}; to drop the volume, remove it",
    ),
    case(
        "volume-two-managed",
        BASE + '    storage:\n      volumes:\n        a: {path: /a, efs: true}\n        b: {path: /b, efs: true}\n',
        "ecsp.yaml:19: applications.web.storage.volumes.b.efs: only one volume per application may use the managed file system ('a' does); mount it once",
    ),
    case(
        "volume-uid-on-existing",
        BASE + '    storage:\n      volumes:\n        data: {path: /data, uid: 1000, efs: {id: fs-0123456789abcdef0}}\n',
        "ecsp.yaml:18: applications.web.storage.volumes.data.uid: uid applies to the managed file system (efs: true); an existing file system's access point sets its own user",
    ),
    case(
        "sidecar-mounts-unknown-volume",
        BASE + '    sidecars:\n      a: {image: busybox, mount_points: {data: /data}}\n',
        "ecsp.yaml:17: applications.web.sidecars.a.mount_points.data: there is no volume 'data'; add it under storage.volumes",
    ),
    case(
        "deployment-recreate-and-percent",
        BASE + '    deployment: {rolling: recreate, max_percent: 150}\n',
        'ecsp.yaml:16: applications.web.deployment.max_percent: rolling: recreate sets the percentages itself; remove max_percent, or remove rolling',
    ),
    case(
        "deployment-min-not-below-max",
        BASE + '    deployment: {min_healthy_percent: 100, max_percent: 100}\n',
        'ecsp.yaml:16: applications.web.deployment.min_healthy_percent: 100% must be below max_percent (100%), or ECS can neither stop nor start a task; lower it',
    ),
    case(
        "deployment-max-too-high",
        BASE + '    deployment: {max_percent: 300}\n',
        'ecsp.yaml:16: applications.web.deployment.max_percent: 300 is out of range; use 100 to 200',
    ),
    case(
        "capacity-unknown",
        BASE + '    capacity: spots\n',
        "ecsp.yaml:16: applications.web.capacity: 'spots' is not allowed; use 'spot' or 'on-demand'",
    ),
    case(
        "capacity-spread-zero-spot",
        BASE + '    capacity: {spot: 0, base: 1}\n',
        'ecsp.yaml:16: applications.web.capacity.spot: 0 is out of range; use 1 to 1000',
    ),
    case(
        "command-unclosed-quote",
        BASE + '    command: "nginx -g \'daemon off;"\n',
        'ecsp.yaml:16: applications.web.command: "nginx -g \'daemon off;" cannot be split into words: a quote is not closed; fix it, or write the words as a list, e.g. [sh, -c, "echo hello"]',
    ),
    case(
        "command-trailing-backslash-in-override",
        BASE + '    environments:\n      prod: {command: "run \\\\"}\n',
        "ecsp.yaml:17: applications.web.environments.prod.command: 'run \\' cannot be split into words: it ends with a backslash, which escapes nothing; fix it, or write the words as a list, e.g. [sh, -c, \"echo hello\"]",
    ),
    case(
        "entrypoint-empty",
        BASE + "    entrypoint: []\n",
        "ecsp.yaml:16: applications.web.entrypoint: must not be empty; give it a value or remove the key",
    ),
    case(
        "sidecar-command-number",
        BASE + "    sidecars:\n      a: {image: busybox, command: 5}\n",
        "ecsp.yaml:17: applications.web.sidecars.a.command: must be a list, not a number; use e.g. command: [npm, run, start]",
    ),
    case(
        "override-sidecar-port-taken",
        BASE + '    environments:\n      prod:\n        sidecars:\n          proxy: {image: envoyproxy/envoy, port: 80}\n',
        "ecsp.yaml:19: applications.web.environments.prod.sidecars.proxy.port: in environment 'prod', merged with the base settings: 80 is already the application's port; containers of a task share one network, give each its own port",
    ),
]


def test_base_document_is_valid() -> None:
    config = loader.loads(BASE)
    assert list(config.environments) == ["test", "prod"]
    assert list(loader.loads(BASE + PIPELINE).pipelines) == ["release"]


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_bad_input_is_explained(text: str, expected: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        loader.loads(text, "ecsp.yaml")
    assert [str(p) for p in caught.value.problems] == expected


# The CLI prints what the loader says: a handful of cases (YAML, a field, several problems at once,
# an override, a cross-field rule) prove the path; the loader test above covers every message.
CLI_CASE_IDS = {"yaml-unclosed-bracket", "empty-file", "memory-override-breaks-base-cpu", "image-location-with-spaces",
                "alias-dup-apps", "several-at-once"}
CLI_CASES = [c for c in CASES if c.id in CLI_CASE_IDS]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("text", "expected"), CLI_CASES)
def test_cli_prints_the_problems_and_exits_2(
    text: str, expected: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("ecsp.yaml").write_text(text, encoding="utf-8")
    assert main(["validate"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert lines[: len(expected)] == [f"error: {e}" for e in expected]
    assert "Traceback" not in captured.err


def test_plan_refuses_a_bad_file_with_status_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "ecsp.yaml"
    bad.write_text(edit("memory: 512", "memory: 300"), encoding="utf-8")
    assert main(["plan", "-f", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {bad}:15: applications.web.memory: 300 MiB is not valid with cpu 256; use 512, 1024 or 2048\n"


def test_real_process_exits_2_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "ecsp.yaml"
    bad.write_text(BASE + "    placement: private\n    count: {min: 3, max: 1}\n", encoding="utf-8")
    for command in (["validate"], ["plan"]):
        run = subprocess.run([sys.executable, "-m", "ecsp", *command, "-f", str(bad)], capture_output=True,
                             text=True, timeout=60)
        assert run.returncode == 2, run.stderr
        assert "Traceback" not in run.stderr
        assert run.stderr.splitlines() == [
            f"error: {bad}:16: applications.web.placement: private placement needs a NAT gateway, and environments "
            "'test' and 'prod' have network.nat: none; set network.nat to single or per-az in each, or use "
            "placement: public",
            f"error: {bad}:17: applications.web.count.min: 3 is greater than max (1); lower min or raise max",
            "2 problems; fix them and run `ecsp validate` again",
        ]
