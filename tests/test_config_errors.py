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
        BASE + "    sidecars: {}\n",
        "ecsp.yaml:16: applications.web.sidecars: unknown key 'sidecars'; valid keys: count, cpu, deregistration_delay, environments, exec, healthcheck, image, log_retention, memory, path, placement, platform, port, secrets, variables",
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
        "ecsp.yaml:19: applications.api.path: only one application may use the root path '/', and 'web' already does; give 'api' its own path, e.g. /api",
    ),
    case(
        "second-app-without-path",
        BASE + API,
        "ecsp.yaml:16: applications.api.path: 'api' has no path, so it gets the root path '/', which 'web' already uses; set path, e.g. path: /api",
    ),
    case(
        "path-override-collides",
        BASE + API + "    path: /api\n    environments:\n      prod: {path: /}\n",
        "ecsp.yaml:21: applications.api.environments.prod.path: only one application may use the root path '/', and 'web' already does in environment 'prod'; give 'api' its own path, e.g. /api",
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
        "ecsp.yaml:20: applications.api.path: only one application may use the root path '/', and 'web' already does; give 'api' its own path, e.g. /api",
        "ecsp.yaml:21: applications.api.placement: private placement needs a NAT gateway, and environments 'test' and 'prod' have network.nat: none; set network.nat to single or per-az in each, or use placement: public",
        "ecsp.yaml:23: applications.api.environments.staging: there is no environment 'staging' (environments: test, prod); add it under environments, or remove this override",
    ),
    case(
        "field-error-hides-no-cross-field-problem",
        edit("port: 80", "port: http") + "    placement: private\n" + API + "    path: /\n",
        "ecsp.yaml:12: applications.web.port: 'http' is not a whole number; use e.g. port: 80",
        "ecsp.yaml:16: applications.web.placement: private placement needs a NAT gateway, and environments 'test' and 'prod' have network.nat: none; set network.nat to single or per-az in each, or use placement: public",
        "ecsp.yaml:20: applications.api.path: only one application may use the root path '/', and 'web' already does; give 'api' its own path, e.g. /api",
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


@pytest.mark.parametrize(("text", "expected"), CASES)
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
