"""GitHub Actions deploys: the ci.github config and its errors, the generated workflows (checked by the real
actionlint), ``ecsp ci github``, and the OIDC roles of the project and environment stacks under Pulumi's mocks,
walked for least privilege and for trust that names one repository subject with both claims pinned.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecsp import ci, loader
from ecsp.cli import main
from ecsp.errors import ConfigError
from tests import harness
from tests.stacks.test_stack_pipeline import least_privilege_problems, policy_documents

ACTIONLINT_VERSION = "1.7.12"  # what .ci/build-actionlint.sh builds
GITHUB_HOST = "token.actions.githubusercontent.com"

YAML = """\
project: {name: shop, region: us-east-1, account: "111111111111"}
environments:
  test: {region: us-east-1}
  staging: {region: us-east-1}
  prod: {region: eu-west-1, account: "222222222222"}
applications:
  web: {image: {location: nginx}, port: 80}
  api: {image: {location: nginx}, port: 8080, path: /api}
state:
  backend: s3://shop-state/pulumi
  secrets_provider: awskms://alias/shop-pulumi?region=us-east-1
ci:
  github:
    repository: acme/shop
    environments: [test, prod]
    previews: {like: test, ttl: 2d}
"""
CLOUD = """\
project: {name: shop, region: us-west-2, account: "111111111111"}
environments:
  test: {region: us-west-2}
applications:
  web: {image: {location: nginx}, port: 80}
state: {backend: "https://api.pulumi.com", organization: acme, secrets_provider: default}
ci:
  github: {repository: acme/shop, branch: release, oidc_provider: existing}
"""


def actionlint() -> str | None:
    """The actionlint .ci/build-actionlint.sh builds, else one on PATH."""
    home = Path(os.environ.get("ECSP_HOME", Path.home() / ".ecsp"))
    built = home / "actionlint" / ACTIONLINT_VERSION / "bin" / "actionlint"
    return str(built) if built.is_file() else shutil.which("actionlint")


@pytest.fixture(scope="module")
def linter() -> str:
    found = actionlint()
    if found is None:
        if os.environ.get("ECSP_REQUIRE_ACTIONLINT"):  # .ci/run built it: missing now is a failure
            pytest.fail("actionlint is not built: run bash .ci/build-actionlint.sh")
        pytest.skip("actionlint is not installed: bash .ci/build-actionlint.sh builds it (needs Go)")
    return found


def lint(linter: str, folder: Path) -> subprocess.CompletedProcess[str]:
    files = sorted(str(p) for p in (folder / ".github" / "workflows").glob("*.yml"))
    assert files
    return subprocess.run([linter, "-no-color", *files], capture_output=True, text=True, cwd=folder, timeout=120)


def workflow(text: str) -> dict[Any, Any]:
    """A workflow as GitHub reads it: YAML 1.1 loaders read the bare key ``on`` as True."""
    document: dict[Any, Any] = yaml.safe_load(text)
    document["on"] = document.pop(True)
    return document


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ecsp.yaml"
    path.write_text(text)
    return path


# ------------------------------------------------------------------ config


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        loader.loads(text, "ecsp.yaml")
    return [str(p) for p in raised.value.problems]


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("repository: acme/shop", "repository: shop",
     "ecsp.yaml:14: ci.github.repository: 'shop' is not a GitHub repository; use owner/name, e.g. acme/shop (as in "
     "https://github.com/acme/shop)"),
    ("repository: acme/shop", "repository: https://github.com/acme/shop",
     "ecsp.yaml:14: ci.github.repository: 'https://github.com/acme/shop' is not a GitHub repository; use owner/name"),
    ("environments: [test, prod]", "environments: [test, prd]",
     "ecsp.yaml:15: ci.github.environments.1: there is no environment 'prd' (environments: test, staging, prod); "
     "did you mean 'prod'?"),
    ("environments: [test, prod]", "environments: [test, test]",
     "ecsp.yaml:15: ci.github.environments.1: environments[0] already deploys 'test'"),
    ("like: test", "like: tset",
     "ecsp.yaml:16: ci.github.previews.like: there is no environment 'tset' (environments: test, staging, prod); "
     "did you mean 'test'?"),
    ("ttl: 2d", "ttl: 200d", "ecsp.yaml:16: ci.github.previews.ttl: 200d is outside what a preview's time to live "
     "allows (1m to 90d)"),
    ('account: "111111111111"}', "}",
     "ecsp.yaml:1: project: the workflows name the GitHub roles by ARN, in the project account"),
    ("  backend: s3://shop-state/pulumi\n", "",
     "ecsp.yaml:12: ci.github: GitHub Actions cannot reach the default file backend (.ecsp/state on this machine); "
     "set state.backend to s3://BUCKET/prefix or https://api.pulumi.com"),
    ("backend: s3://shop-state/pulumi", "backend: file:///srv/state",
     "ecsp.yaml:10: state.backend: GitHub Actions cannot reach 'file:///srv/state'; set state.backend to "
     "s3://BUCKET/prefix or https://api.pulumi.com (and move the state there first"),
])
def test_bad_ci_config_is_explained_at_its_line(old: str, new: str, expected: str) -> None:
    assert old in YAML
    found = problems(YAML.replace(old, new))
    assert any(p.startswith(expected) for p in found), found


def test_the_deploy_order_and_subjects() -> None:
    m = ci.model(harness.config(YAML))
    assert [(d.environment, d.github_environment, d.subject) for d in m.deploys] == [
        ("test", None, "repo:acme/shop:ref:refs/heads/main"),
        ("prod", "prod", "repo:acme/shop:environment:prod")]
    assert m.pull_request_subject == "repo:acme/shop:pull_request"
    assert m.deploys[1].deploy_role_arn == "arn:aws:iam::222222222222:role/ecsp-pipeline/shop-prod-deploy"
    assert m.deploys[1].role_arn == "arn:aws:iam::111111111111:role/ecsp-pipeline/shop-prod-github"
    # Without environments: every environment of ecsp.yaml, in order.
    assert [d.environment for d in ci.model(harness.config(YAML.replace("    environments: [test, prod]\n", "")))
            .deploys] == ["test", "staging", "prod"]


# ------------------------------------------------------------------ workflows


@pytest.mark.parametrize("text", [YAML, CLOUD], ids=["previews-kms", "cloud-existing-provider"])
def test_generated_workflows_pass_actionlint(text: str, linter: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, text)
    assert main(["ci", "github", "-f", str(path)]) == 0
    result = lint(linter, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "wrote" in capsys.readouterr().out


def test_actionlint_rejects_what_github_would(linter: str, tmp_path: Path) -> None:
    # The check can fail: a job permission GitHub does not know, an unknown input of the AWS action.
    path = write(tmp_path, YAML)
    assert main(["ci", "github", "-f", str(path)]) == 0
    workflow = tmp_path / ".github" / "workflows" / ci.DEPLOY_WORKFLOW
    workflow.write_text(workflow.read_text().replace("id-token: write", "id-tokens: write", 1)
                        .replace("role-to-assume:", "role-to-asume:", 1))
    result = lint(linter, tmp_path)
    assert result.returncode == 1
    assert "id-tokens" in result.stdout and "role-to-asume" in result.stdout


def test_jobs_have_minimal_permissions_pinned_actions_and_oidc_roles() -> None:
    config = harness.config(YAML)
    deploy = workflow(ci.workflows(config)[ci.DEPLOY_WORKFLOW])
    assert deploy["on"]["push"] == {"branches": ["main"]}
    assert deploy["permissions"] == {}
    assert list(deploy["jobs"]) == ["deploy-test", "deploy-prod"]
    test, prod = deploy["jobs"]["deploy-test"], deploy["jobs"]["deploy-prod"]
    assert "environment" not in test and prod["environment"] == "prod" and prod["needs"] == "deploy-test"
    for job in (test, prod):
        assert job["permissions"] == {"id-token": "write", "contents": "read"}
        uses = [s["uses"] for s in job["steps"] if "uses" in s]
        assert all(u.rsplit("@", 1)[1].startswith("v") for u in uses), uses
        assert not any("aws-access-key-id" in json.dumps(s) for s in job["steps"])  # OIDC only
    credentials = next(s for s in prod["steps"] if s.get("uses", "").startswith("aws-actions/"))
    assert credentials["with"] == {"role-to-assume": "arn:aws:iam::111111111111:role/ecsp-pipeline/shop-prod-github",
                                   "aws-region": "eu-west-1", "role-session-name": "ecsp"}
    assert ("ecsp up -f ecsp.yaml --env prod --progress plain --deploy-role "
            "arn:aws:iam::222222222222:role/ecsp-pipeline/shop-prod-deploy") in prod["steps"][-1]["run"]
    assert "PULUMI_CONFIG_PASSPHRASE" not in prod["env"]  # awskms: the role decrypts, no passphrase

    pulls = workflow(ci.workflows(config)[ci.PULL_REQUEST_WORKFLOW])
    assert set(pulls["on"]["pull_request"]["types"]) == {"opened", "synchronize", "reopened", "closed"}
    jobs = pulls["jobs"]
    assert jobs["preview"]["if"] == jobs["preview-environment"]["if"] == "github.event.action != 'closed'"
    assert jobs["destroy-preview-environment"]["if"] == "github.event.action == 'closed'"
    assert "$GITHUB_STEP_SUMMARY" in jobs["preview"]["steps"][-1]["run"]
    up = jobs["preview-environment"]["steps"][-2]["run"]
    assert ("--env 'pr-${{ github.event.pull_request.number }}' --like test --ttl 2d" in up
            and "shop-test-preview-deploy" in up)
    expire = workflow(ci.workflows(config)[ci.EXPIRE_WORKFLOW])
    assert "ecsp destroy -f ecsp.yaml --expired --yes" in expire["jobs"]["expire"]["steps"][-1]["run"]


def test_pulumi_cloud_jobs_get_the_token_and_no_previews_workflow() -> None:
    files = ci.workflows(harness.config(CLOUD))
    assert set(files) == {ci.DEPLOY_WORKFLOW, ci.PULL_REQUEST_WORKFLOW}
    deploy = workflow(files[ci.DEPLOY_WORKFLOW])
    assert deploy["on"]["push"] == {"branches": ["release"]}
    assert deploy["jobs"]["deploy-test"]["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"
    pulls = workflow(files[ci.PULL_REQUEST_WORKFLOW])
    assert list(pulls["jobs"]) == ["preview"] and "closed" not in pulls["on"]["pull_request"]["types"]


def test_check_finds_stale_workflows_and_the_repository_root(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "deploy"
    folder.mkdir()
    path = write(folder, YAML.replace("    repository: acme/shop\n", "    repository: acme/shop\n"
                                      "    file: deploy/ecsp.yaml\n"))
    assert main(["ci", "github", "-f", str(path), "--check"]) == 1  # nothing written yet
    assert main(["ci", "github", "-f", str(path)]) == 0
    workflows = tmp_path / ".github" / "workflows"  # the repository's, one level up from deploy/ecsp.yaml
    assert sorted(p.name for p in workflows.iterdir()) == sorted(ci.workflows(loader.load(path)))
    assert "-f deploy/ecsp.yaml" in (workflows / ci.DEPLOY_WORKFLOW).read_text()
    assert main(["ci", "github", "-f", str(path), "--check"]) == 0
    path.write_text(path.read_text().replace("ttl: 2d", "ttl: 1d"))
    capsys.readouterr()
    assert main(["ci", "github", "-f", str(path), "--check"]) == 1
    assert f"{workflows / ci.PULL_REQUEST_WORKFLOW}: differs" in capsys.readouterr().err


def test_without_a_ci_section_the_command_says_how_to_add_one(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, YAML.split("ci:\n")[0])
    assert main(["ci", "github", "-f", str(path)]) == 2
    err = capsys.readouterr().err
    assert "ecsp.yaml has no ci.github section" in err and "repository: acme/shop" in err


def test_ci_github_help_teaches_within_80_columns(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["ci", "github", "--help"]) == 0
    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if len(line) > 80] == []
    examples = [line.split()[:3] for line in out.split("examples:", 1)[1].splitlines()
                if line.strip().startswith("ecsp ")]
    assert examples and all(words == ["ecsp", "ci", "github"] for words in examples)


# ------------------------------------------------------------------ IAM


def trust_problems(name: str, document: dict[str, Any], subjects: set[str]) -> list[str]:
    """A web-identity trust must name GitHub's provider, pin ``aud`` to STS and ``sub`` to one known subject."""
    found = []
    for statement in document["Statement"]:
        federated = statement.get("Principal", {}).get("Federated")
        if federated is None:
            continue
        condition = statement.get("Condition", {})
        equals = condition.get("StringEquals", {})
        if not str(federated).endswith(f":oidc-provider/{GITHUB_HOST}"):
            found.append(f"{name}: trusts {federated}")
        if statement["Action"] != "sts:AssumeRoleWithWebIdentity":
            found.append(f"{name}: {statement['Action']}")
        if set(condition) != {"StringEquals"}:
            found.append(f"{name}: conditions {sorted(condition)} (only exact matches)")
        if equals.get(f"{GITHUB_HOST}:aud") != "sts.amazonaws.com":
            found.append(f"{name}: aud is not pinned")
        sub = equals.get(f"{GITHUB_HOST}:sub")
        if not isinstance(sub, str) or "*" in sub or sub not in subjects:
            found.append(f"{name}: sub {sub!r}")
    return found


def test_trust_walker_catches_loose_trust() -> None:
    loose = {"Statement": [
        {"Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::1:oidc-provider/{GITHUB_HOST}"},
         "Action": "sts:AssumeRoleWithWebIdentity",
         "Condition": {"StringLike": {f"{GITHUB_HOST}:sub": "repo:acme/*"}}}]}
    assert len(trust_problems("x", loose, {"repo:acme/shop:pull_request"})) == 3


@pytest.fixture(scope="module")
def cfg() -> Any:
    return harness.config(YAML)


@pytest.fixture(scope="module")
def project(cfg: Any) -> Any:
    return harness.run_stack(cfg, "shop-project/global")


def test_the_whole_graphs(cfg: Any, project: Any) -> None:
    harness.assert_golden("project-github", harness.graph_document(project))
    harness.assert_golden("environment-github-previews", harness.graph_document(
        harness.run_stack(cfg, "shop-environment/test")))


def test_the_project_stack_creates_the_provider_and_a_role_per_subject(cfg: Any, project: Any) -> None:
    oidc = project.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert oidc.inputs["url"] == f"https://{GITHUB_HOST}" and oidc.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    roles = {r.inputs["name"]: r for r in project.of_type("aws:iam/role:Role")}
    assert set(roles) == {"shop-test-github", "shop-prod-github", "shop-github-pull-requests"}
    assert {r.inputs["path"] for r in roles.values()} == {"/ecsp-pipeline/"}
    subjects = {"repo:acme/shop:ref:refs/heads/main", "repo:acme/shop:environment:prod",
                "repo:acme/shop:pull_request"}
    documents = list(policy_documents(project))
    problems = [p for name, doc in documents for p in least_privilege_problems(name, doc)]
    problems += [p for name, doc in documents for p in trust_problems(name, doc, subjects)]
    assert problems == []
    trusted = {name: json.loads(r.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
               [f"{GITHUB_HOST}:sub"] for name, r in roles.items()}
    assert trusted == {"shop-test-github": "repo:acme/shop:ref:refs/heads/main",
                       "shop-prod-github": "repo:acme/shop:environment:prod",
                       "shop-github-pull-requests": "repo:acme/shop:pull_request"}
    assert project.outputs["githubRoleArns"]["shop-prod-github"] == \
        "arn:aws:iam::111111111111:role/ecsp-pipeline/shop-prod-github"


def test_each_github_role_may_assume_only_its_deploy_roles(project: Any) -> None:
    def statements(role: str) -> dict[str, Any]:
        policy = json.loads(project.one("aws:iam/rolePolicy:RolePolicy", f"github-{role}").inputs["policy"])
        return {s["Sid"]: s for s in policy["Statement"]}

    base = "arn:aws:iam::{}:role/ecsp-pipeline/shop-{}"
    assert statements("prod")["AssumeDeployRoles"]["Resource"] == [base.format("222222222222", "prod-deploy")]
    # The branch job also expires previews; the pull request job previews test and deploys its previews.
    assert statements("test")["AssumeDeployRoles"]["Resource"] == [
        base.format("111111111111", "test-deploy"), base.format("111111111111", "test-preview-deploy")]
    assert statements("pull-requests")["AssumeDeployRoles"]["Resource"] == [
        base.format("111111111111", "test-deploy"), base.format("111111111111", "test-preview-deploy")]
    assert statements("prod")["StateObjects"]["Resource"] == ["arn:aws:s3:::shop-state/pulumi/*"]
    assert statements("prod")["SecretsKey"]["Condition"] == {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": ["alias/shop-pulumi"]}}


def test_deploy_roles_trust_their_github_roles_with_the_pipelines_policy(cfg: Any) -> None:
    prod = harness.run_stack(cfg, "shop-environment/prod")
    role = prod.one("aws:iam/role:Role", "deploy")
    assert role.inputs["name"] == "shop-prod-deploy"
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust == [{"Sid": "Deployers", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                      "Action": "sts:AssumeRole", "Condition": {"ArnEquals": {"aws:PrincipalArn": [
                          "arn:aws:iam::111111111111:role/ecsp-pipeline/shop-prod-github"]}}}]
    from stacks import pipeline_policies

    policy = json.loads(prod.one("aws:iam/rolePolicy:RolePolicy", "deploy").inputs["policy"])
    assert policy == pipeline_policies.deploy_role_policy(
        partition="aws", account="222222222222", region="eu-west-1", project="shop", environment="prod", zone=None,
        boundary="arn:aws:iam::222222222222:policy/ecsp-boundary/shop-prod-boundary")

    test = harness.run_stack(cfg, "shop-environment/test")
    documents = list(policy_documents(test))
    assert [p for name, doc in documents for p in least_privilege_problems(name, doc)] == []
    preview = {s["Sid"]: s for s in json.loads(
        test.one("aws:iam/rolePolicy:RolePolicy", "preview-deploy").inputs["policy"])["Statement"]}
    assert preview["Cluster"]["Resource"] == ["arn:aws:ecs:us-east-1:111111111111:cluster/shop-pr-*-???????"]
    assert preview["ApplicationRoles"]["Resource"] == ["arn:aws:iam::111111111111:role/shop-pr-*-*"]
    preview_trust = json.loads(test.one("aws:iam/role:Role", "preview-deploy").inputs["assumeRolePolicy"])
    assert preview_trust["Statement"][0]["Condition"]["ArnEquals"]["aws:PrincipalArn"] == [
        "arn:aws:iam::111111111111:role/ecsp-pipeline/shop-github-pull-requests",
        "arn:aws:iam::111111111111:role/ecsp-pipeline/shop-test-github"]
    # staging is deployed by no workflow: no deploy role.
    assert harness.run_stack(cfg, "shop-environment/staging").of_type("aws:iam/role:Role") == []


def test_an_existing_provider_is_looked_up_not_created() -> None:
    recording = harness.run_stack(harness.config(CLOUD), "shop-project/global")
    assert recording.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    role = recording.one("aws:iam/role:Role", "github-test")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Federated": f"arn:aws:iam::111111111111:oidc-provider/{GITHUB_HOST}"}
    assert trust["Condition"]["StringEquals"][f"{GITHUB_HOST}:sub"] == "repo:acme/shop:ref:refs/heads/release"
    policy = json.loads(recording.one("aws:iam/rolePolicy:RolePolicy", "github-test").inputs["policy"])
    assert "StateObjects" not in {s["Sid"] for s in policy["Statement"]}  # Pulumi Cloud: the token, not IAM
