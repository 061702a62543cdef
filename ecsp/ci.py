"""Deploying from GitHub Actions with OIDC: the model (roles, subjects, order) and the workflows, from the config.

``ci.github`` in ecsp.yaml becomes, for each environment a push deploys, a role in the project
account that only GitHub's OIDC tokens for that job's subject may assume (the first environment's
job runs on the branch, each later one behind the GitHub environment of its name), and which may
assume the environment's deploy role; a role for pull request jobs (preview, and the preview
environments); and three workflow files. Everything here is a pure function of the config: the
project stack (:mod:`stacks.project_github`) creates what :func:`model` describes, and
``ecsp ci github`` writes what :func:`workflows` returns.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

import yaml

from ecsp import naming
from ecsp.config import PASSPHRASE_VARIABLE, TOKEN_VARIABLE, GithubCi, ProjectConfig
from ecsp.errors import UsageError

# Actions pinned by major version (each publisher's maintained major of the day).
CHECKOUT = "actions/checkout@v4"
SETUP_PYTHON = "actions/setup-python@v5"
AWS_CREDENTIALS = "aws-actions/configure-aws-credentials@v4"
RUNNER = "ubuntu-latest"
DEPLOY_WORKFLOW = "ecsp-deploy.yml"
PULL_REQUEST_WORKFLOW = "ecsp-pull-request.yml"
EXPIRE_WORKFLOW = "ecsp-expire-previews.yml"
# What the OIDC jobs need, and nothing more: a token for AWS, and the code.
JOB_PERMISSIONS = {"id-token": "write", "contents": "read"}
PR_NUMBER = "${{ github.event.pull_request.number }}"
# Hourly, off the hour (GitHub delays runs scheduled on the hour).
EXPIRE_SCHEDULE = "17 * * * *"
HEADER = """\
# Written by `ecsp ci github` from {file}; edit ecsp.yaml and run it again rather than this file.
# AWS access is by OIDC only (no stored keys): each job assumes a role the project stack created.
"""


def partition_of(region: str) -> str:
    """The AWS partition of a region (the ARNs the workflows name are written before anything is deployed)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def branch_subject(repository: str, branch: str) -> str:
    return f"repo:{repository}:ref:refs/heads/{branch}"


def environment_subject(repository: str, environment: str) -> str:
    return f"repo:{repository}:environment:{environment}"


def pull_request_subject(repository: str) -> str:
    return f"repo:{repository}:pull_request"


@dataclass(frozen=True)
class GithubDeploy:
    """One environment a push deploys: its job's role, the subject that role trusts, the deploy role it assumes."""

    environment: str
    region: str
    account: str
    github_environment: str | None  # None: the first environment, deployed straight from the branch
    subject: str
    role: str
    role_arn: str
    deploy_role_arn: str


@dataclass(frozen=True)
class GithubPreviews:
    """Preview environments per pull request, like environment ``like``."""

    like: str
    ttl: str
    region: str
    account: str
    deploy_role: str
    deploy_role_arn: str


@dataclass(frozen=True)
class GithubModel:
    """ecsp's GitHub Actions setup: the repository, the deploys in order, the pull request role, the previews."""

    repository: str
    branch: str
    oidc_provider: str  # "create" or "existing"
    partition: str
    project_account: str
    deploys: tuple[GithubDeploy, ...]
    pull_request_role: str
    pull_request_role_arn: str
    pull_request_subject: str
    previews: GithubPreviews | None

    def deploy_of(self, environment: str) -> GithubDeploy | None:
        return next((d for d in self.deploys if d.environment == environment), None)

    def deployers_of(self, environment: str) -> list[str]:
        """Names of the GitHub roles that may assume ``environment``'s deploy role.

        The pull request role may assume the first environment's, to preview it.
        """
        own = [d.role for d in self.deploys if d.environment == environment]
        return own + ([self.pull_request_role] if environment == self.deploys[0].environment else [])

    def preview_deployers(self) -> list[str]:
        """Names of the GitHub roles that may assume the preview deploy role: pull requests, and the expiry job."""
        return [self.pull_request_role, self.deploys[0].role]

    def deploy_roles_of(self, role: str) -> list[str]:
        """The ARNs of the deploy roles the GitHub role named ``role`` may assume."""
        roles = [d.deploy_role_arn for d in self.deploys if role in self.deployers_of(d.environment)]
        if self.previews is not None and role in self.preview_deployers():
            roles.append(self.previews.deploy_role_arn)
        return roles


def github_config(config: ProjectConfig) -> GithubCi:
    """``ci.github`` of ecsp.yaml, or a UsageError saying how to add it."""
    if config.ci.github is None:
        raise UsageError("ecsp.yaml has no ci.github section",
                         fix="add one, e.g. ci: {github: {repository: acme/shop, branch: main}} (the README's "
                         "'Deploying from GitHub Actions' shows every field), then run `ecsp up` once and "
                         "`ecsp ci github`")
    return config.ci.github


def model(config: ProjectConfig, partition: str | None = None) -> GithubModel:
    """The GitHub Actions setup of ``config`` (``partition``: from the home region unless given)."""
    github = github_config(config)
    project = config.project
    assert project.account is not None  # validation requires it with ci.github
    p = partition or partition_of(project.region)
    repo = github.repository

    def own_role(name: str) -> str:
        return naming.role_arn(p, str(project.account), name, naming.PIPELINE_ROLE_PATH)

    def account_of(env: str) -> str:
        return config.account_of(env) or str(project.account)

    deploys = []
    for i, env in enumerate(github.deploy_order(config.environments)):
        role = naming.github_role(project.name, env)
        deploys.append(GithubDeploy(
            environment=env, region=config.environments[env].region, account=account_of(env),
            github_environment=None if i == 0 else env,
            subject=branch_subject(repo, github.branch) if i == 0 else environment_subject(repo, env),
            role=role, role_arn=own_role(role),
            deploy_role_arn=naming.role_arn(p, account_of(env), naming.deploy_role(project.name, env),
                                            naming.PIPELINE_ROLE_PATH)))
    previews = None
    if github.previews is not None:
        like = github.previews.like
        role = naming.preview_deploy_role(project.name, like)
        previews = GithubPreviews(
            like=like, ttl=str(github.previews.ttl), region=config.environments[like].region,
            account=account_of(like), deploy_role=role,
            deploy_role_arn=naming.role_arn(p, account_of(like), role, naming.PIPELINE_ROLE_PATH))
    pull_request_role = naming.github_pull_request_role(project.name)
    return GithubModel(
        repository=repo, branch=github.branch, oidc_provider=github.oidc_provider, partition=p,
        project_account=str(project.account), deploys=tuple(deploys), pull_request_role=pull_request_role,
        pull_request_role_arn=own_role(pull_request_role), pull_request_subject=pull_request_subject(repo),
        previews=previews)


# ------------------------------------------------------------------ workflows


def secrets_env(config: ProjectConfig) -> dict[str, str]:
    """The repository secrets a job needs to open the state: the Pulumi Cloud token, the passphrase."""
    state = config.state
    cloud = (state.backend or "").startswith(("https://", "http://"))
    env = {"PULUMI_SKIP_UPDATE_CHECK": "true"}
    if cloud:
        env[TOKEN_VARIABLE] = f"${{{{ secrets.{TOKEN_VARIABLE} }}}}"
    # "default" is Pulumi's own choice: the service's key on Pulumi Cloud, a passphrase elsewhere.
    if state.secrets_provider == "passphrase" or (state.secrets_provider == "default" and not cloud):
        env[PASSPHRASE_VARIABLE] = f"${{{{ secrets.{PASSPHRASE_VARIABLE} }}}}"
    return env


def _setup_steps(github: GithubCi, role_arn: str, region: str) -> list[dict[str, Any]]:
    return [
        {"uses": CHECKOUT},
        {"uses": SETUP_PYTHON, "with": {"python-version": github.python}},
        {"name": "Install ecsp and the pulumi CLI", "run": f"{github.install}\necsp install-pulumi\n"},
        {"name": "Assume the AWS role (OIDC)", "uses": AWS_CREDENTIALS,
         "with": {"role-to-assume": role_arn, "aws-region": region, "role-session-name": "ecsp"}},
    ]


def _ecsp(github: GithubCi, verb: str, *args: str, deploy_role: str) -> str:
    head = shlex.join(["ecsp", verb, "-f", github.file, *args, "--progress", "plain"])
    return f"{head} --deploy-role {shlex.quote(deploy_role)}"


def _job(config: ProjectConfig, github: GithubCi, name: str, role_arn: str, region: str,
         steps: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"name": name, "runs-on": RUNNER, **extra, "permissions": dict(JOB_PERMISSIONS),
            "env": secrets_env(config), "steps": [*_setup_steps(github, role_arn, region), *steps]}


def _summary(title: str, command: str, output: str) -> str:
    """Run ``command``, keep its output in ``output``, and append it to the job summary (failing as it fails)."""
    return (f"set -o pipefail\n{command} 2>&1 | tee {output}\n"
            f"{{ echo '### {title}'; echo '```'; cat {output}; echo '```'; }} >> \"$GITHUB_STEP_SUMMARY\"\n")


def _document(jobs: dict[str, Any], on: dict[str, Any], name: str, concurrency: dict[str, Any]) -> dict[str, Any]:
    # Workflow-level permissions: none; each job asks for its own.
    return {"name": name, "on": on, "permissions": {}, "concurrency": concurrency, "jobs": jobs}


def deploy_workflow(config: ProjectConfig) -> dict[str, Any]:
    """On a push to the branch: the first environment, then each later one behind its GitHub environment."""
    github = github_config(config)
    m = model(config)
    jobs: dict[str, Any] = {}
    previous: str | None = None
    for deploy in m.deploys:
        job_id = f"deploy-{deploy.environment}"
        extra: dict[str, Any] = {}
        if previous is not None:
            extra["needs"] = previous
        if deploy.github_environment is not None:
            extra["environment"] = deploy.github_environment
        command = _ecsp(github, "up", "--env", deploy.environment, deploy_role=deploy.deploy_role_arn)
        jobs[job_id] = _job(config, github, f"deploy {deploy.environment}", deploy.role_arn, deploy.region,
                            [{"name": f"ecsp up --env {deploy.environment}",
                              "run": _summary(f"ecsp up --env {deploy.environment}", command, "up.txt")}],
                            **extra)
        previous = job_id
    return _document(jobs, {"push": {"branches": [github.branch]}, "workflow_dispatch": {}}, "ecsp deploy",
                     # One deploy at a time; a newer push waits rather than cancelling one half done.
                     {"group": "ecsp-deploy", "cancel-in-progress": False})


def pull_request_workflow(config: ProjectConfig) -> dict[str, Any]:
    """On a pull request: preview the first environment; with previews, deploy pr-N (and destroy it on close)."""
    github = github_config(config)
    m = model(config)
    first = m.deploys[0]
    open_only = "github.event.action != 'closed'"
    jobs: dict[str, Any] = {
        "preview": _job(config, github, f"preview {first.environment}", m.pull_request_role_arn, first.region, [
            {"name": f"ecsp preview --env {first.environment}",
             "run": _summary(f"ecsp preview --env {first.environment}",
                             _ecsp(github, "preview", "--env", first.environment,
                                   deploy_role=first.deploy_role_arn), "preview.txt")}], **{"if": open_only}),
    }
    types = ["opened", "synchronize", "reopened"]
    if m.previews is not None:
        types.append("closed")
        previews = m.previews
        env = naming.pull_request_preview(PR_NUMBER)
        up = _ecsp(github, "up", "--env", env, "--like", previews.like, "--ttl", previews.ttl,
                   deploy_role=previews.deploy_role_arn)
        jobs["preview-environment"] = _job(
            config, github, "preview environment", m.pull_request_role_arn, previews.region, [
                {"name": f"ecsp up --env {env} --like {previews.like}",
                 "run": _summary(f"preview environment {env}", up, "up.txt")},
                {"name": "Outputs",
                 "run": _summary(f"{env} outputs", shlex.join(["ecsp", "outputs", "-f", github.file, "--env", env]),
                                 "outputs.txt")}], **{"if": open_only})
        jobs["destroy-preview-environment"] = _job(
            config, github, "destroy preview environment", m.pull_request_role_arn, previews.region, [
                {"name": f"ecsp destroy --env {env}",
                 "run": _ecsp(github, "destroy", "--env", env, "--yes", deploy_role=previews.deploy_role_arn)
                 + "\n"}], **{"if": "github.event.action == 'closed'"})
    return _document(jobs, {"pull_request": {"branches": [github.branch], "types": types}}, "ecsp pull request",
                     # A newer push to the pull request waits for the run in flight (never a half-done deploy).
                     {"group": f"ecsp-pr-{PR_NUMBER}", "cancel-in-progress": False})


def expire_workflow(config: ProjectConfig) -> dict[str, Any]:
    """Hourly on the default branch: destroy the preview environments whose time to live is over."""
    github = github_config(config)
    m = model(config)
    assert m.previews is not None
    first = m.deploys[0]
    command = _ecsp(github, "destroy", "--expired", "--yes", deploy_role=m.previews.deploy_role_arn)
    jobs = {"expire": _job(config, github, "destroy expired preview environments", first.role_arn,
                           m.previews.region, [{"name": "ecsp destroy --expired",
                                                "run": _summary("expired previews", command, "destroy.txt")}])}
    return _document(jobs, {"schedule": [{"cron": EXPIRE_SCHEDULE}], "workflow_dispatch": {}},
                     "ecsp expire previews", {"group": "ecsp-expire-previews", "cancel-in-progress": False})


class _Dumper(yaml.SafeDumper):
    """Scripts as literal blocks (``run: |``), the way people write workflows and read diffs of them."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _string)


def render(document: dict[str, Any], config: ProjectConfig) -> str:
    """A workflow as YAML, with the header saying where it came from."""
    text = yaml.dump(document, Dumper=_Dumper, sort_keys=False, width=1000, default_flow_style=False)
    # PyYAML quotes the key `on` (YAML 1.1 reads a bare on as true); GitHub reads both, people expect it bare.
    text = text.replace("\n'on':\n", "\non:\n", 1)
    return HEADER.format(file=github_config(config).file) + text


def workflows(config: ProjectConfig) -> dict[str, str]:
    """Every workflow file ``ecsp ci github`` writes, by file name under ``.github/workflows/``."""
    out = {DEPLOY_WORKFLOW: render(deploy_workflow(config), config),
           PULL_REQUEST_WORKFLOW: render(pull_request_workflow(config), config)}
    if github_config(config).previews is not None:
        out[EXPIRE_WORKFLOW] = render(expire_workflow(config), config)
    return out
