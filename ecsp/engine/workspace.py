"""Where ecsp's Pulumi projects live on disk, which backend and secrets provider they use, and each stack's config.

Responsibility: the files and environment every ``pulumi`` call runs in. Decisions, each
with its reason:

* **Layout on disk.** State defaults to a file backend in the user's project folder,
  ``<root>/.ecsp/state``. Each Pulumi project (``shop-project``, ``shop-environment``,
  ``shop-web``...) gets a persistent work dir ``<root>/.ecsp/workspaces/<pulumi project>``
  holding ``Pulumi.yaml`` and one ``Pulumi.<stack>.yaml`` per stack: that file keeps the
  secrets provider's salt or encrypted key, which a temporary work dir would lose between
  runs (pulumi/pulumi#16890). ``--local`` runs use ``<root>/.ecsp/local/{state,workspaces}``
  instead, so emulator stacks never mix with real ones, and deleting ``.ecsp/local`` resets
  the emulator and its state together.
* **Backends.** ``--backend`` beats ``PULUMI_BACKEND_URL`` beats ``state.backend`` in
  ecsp.yaml beats the default. The chosen URL is written to ``Pulumi.yaml`` *and* passed as
  ``PULUMI_BACKEND_URL`` to every CLI call, so a user's own ``pulumi login`` never redirects
  ecsp. Relative ``file://`` paths are relative to ecsp.yaml, not to the work dir.
* **Secrets.** ``passphrase`` by default. A stack keeps the passphrase it was created with
  for good, so an unset ``PULUMI_CONFIG_PASSPHRASE`` (and ``..._FILE``) is settled before a
  stack is created (:func:`secrets_warnings`): creating one with the empty passphrase is
  refused unless allowed (``--allow-empty-passphrase``), and stacks that already use it are
  told to keep it, since setting a passphrase later breaks them. ``awskms://...`` and the
  other provider URLs go to ``stack init --secrets-provider``.
* **Stack config** comes from the model (:func:`stack_config`): the region and profile of
  the stack's AWS provider and which ecsp stack it is. The programs themselves get the
  validated model through the closure (:class:`StackContext`); config is what Pulumi Cloud
  and the plain ``pulumi`` CLI see. It is written straight into the stack's
  ``Pulumi.<stack>.yaml`` (:class:`StackFile`), the file ``LocalWorkspace`` and the CLI read
  it from, and only when it differs: ``pulumi config set-all`` would start the CLI, about a
  quarter of a second, on every run of every stack.
* **Stack tags** ``ecsp:project``/``ecsp:environment``/``ecsp:application``: the tags ecsp
  last applied are kept in the same file under Pulumi's own ``pulumi:tags`` key (Pulumi
  Cloud also applies that key by itself at every update). The engine sets them with ``pulumi
  stack tag set`` when the stack is new or they differ from the ones kept: once, not every run.
* **ESC environments** (``esc:`` of the project, then of the stack's environment;
  :func:`stack_environments`) are the file's own ``environment:`` list, which ``pulumi config
  env add`` writes: the engine compares that list with the model and calls the CLI only when
  they differ. ESC is a Pulumi Cloud service; on any other backend ``esc:`` is an error.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

from ecsp import statedir
from ecsp.config import ProjectConfig
from ecsp.context import LocalEmulator, StackContext
from ecsp.errors import EmptyPassphraseError
from ecsp.rollout import recorded

DEFAULT_SECRETS_PROVIDER = "passphrase"
PASSPHRASE_VARIABLES = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
PULUMI_ENV = {"PULUMI_SKIP_UPDATE_CHECK": "true"}
# Local-emulator runs use fake credentials; providers get the endpoint from the program.
LOCAL_AWS_ENV = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
# How a person moves stacks to another secrets provider: said wherever ecsp says to keep a passphrase.
CHANGE_PROVIDER_HINT = ("to protect them, move every stack (`ecsp ls` lists them) to a passphrase or a KMS key with "
                        "`pulumi stack change-secrets-provider` (README: Secrets)")


def resolve_backend(root: Path, configured: str | None, *, override: str | None = None,
                    environ: Mapping[str, str] | None = None, local: bool = False) -> str:
    """The state backend URL for a project in ``root`` (see the module docstring for precedence)."""
    env = os.environ if environ is None else environ
    if local:
        url = f"file://{state_dir(root, local=True)}"
    else:
        url = override or env.get("PULUMI_BACKEND_URL") or configured or f"file://{state_dir(root)}"
    if url.startswith("file://"):
        path = url.removeprefix("file://").split("?", 1)[0]
        if path and not path.startswith("~") and not os.path.isabs(path):
            url = f"file://{(root / path).resolve()}"
    return url


def is_cloud(url: str) -> bool:
    return url.startswith(("https://", "http://"))


def state_dir(root: Path, *, local: bool = False) -> Path:
    return statedir.ecsp_dir(root, local=local) / "state"


def workspace_dir(root: Path, pulumi_project: str, *, local: bool = False) -> Path:
    return statedir.ecsp_dir(root, local=local) / "workspaces" / pulumi_project


# The config keys ecsp writes, and so may also remove: its own namespace and the AWS provider's placement.
OWNED_CONFIG = ("ecsp:", "aws:region", "aws:profile")
TAGS_KEY = "pulumi:tags"


def stack_config(ctx: StackContext) -> dict[str, str]:
    """The stack's Pulumi config, from the model: which stack it is, and where it runs."""
    spec, where = ctx.stack, ctx.placement
    values = {"ecsp:project": spec.project, "ecsp:kind": spec.kind, "ecsp:stack": spec.name}
    for key, value in (("environment", spec.environment), ("application", spec.application),
                       ("instance", spec.instance)):
        if value is not None:
            values[f"ecsp:{key}"] = value
    values.update(recorded(ctx))  # an application's service before and during the update: see ecsp.rollout
    values["aws:region"] = where.region
    if where.profile and ctx.local is None:
        values["aws:profile"] = where.profile
    return values


def stack_environments(config: ProjectConfig, environment: str | None) -> list[str]:
    """The ESC environments a stack imports, first to last: the project's, then its environment's."""
    own = config.environments[environment].esc if environment in config.environments else []
    return list(dict.fromkeys([*config.project.esc, *own]))


def _owned(key: str) -> bool:
    return key.startswith(OWNED_CONFIG[0]) or key in OWNED_CONFIG[1:]


class StackFile:
    """A stack's ``Pulumi.<stack>.yaml`` in its work dir, as ecsp edits it: its own config keys and tag record.

    Everything else in the file (the secrets provider's salt or key, config set by hand, an
    ESC ``environment:``) is kept as it is, and the file is read afresh for every edit: the
    CLI writes it too (``stack init``). Each stack's file is edited by one run of that stack
    at a time; a write replaces the file whole.
    """

    def __init__(self, folder: Path, stack: str) -> None:
        """``stack``: the stack's name, fully qualified or not (the file is named after its last part)."""
        self.path = folder / f"Pulumi.{stack.rsplit('/', 1)[-1]}.yaml"

    def _read(self) -> dict[str, Any]:
        try:
            loaded = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return loaded if isinstance(loaded, dict) else {}

    @property
    def config(self) -> dict[str, Any]:
        config = self._read().get("config")
        return dict(config) if isinstance(config, dict) else {}

    @property
    def tags(self) -> dict[str, str] | None:
        """The tags ecsp last applied to the stack (None: never, as far as this work dir knows)."""
        tags = self.config.get(TAGS_KEY)
        return {str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else None

    @property
    def environments(self) -> list[str]:
        """The ESC environments the stack imports: the file's ``environment:`` list (``pulumi config env`` edits it)."""
        found = self._read().get("environment")
        return [str(name) for name in found] if isinstance(found, list) else []

    def settle_config(self, values: Mapping[str, str]) -> bool:
        """Make ecsp's own config keys exactly ``values``, writing the file only if that changes it (True then)."""
        return self._edit(lambda config: {k: v for k, v in config.items() if not _owned(k)} | dict(values))

    def record_tags(self, tags: Mapping[str, str]) -> bool:
        """Keep ``tags`` as the ones applied (written only if they differ)."""
        return self._edit(lambda config: config | {TAGS_KEY: dict(tags)})

    def _edit(self, change: Callable[[dict[str, Any]], dict[str, Any]]) -> bool:
        data = self._read()
        found = data.get("config")
        config: dict[str, Any] = dict(found) if isinstance(found, dict) else {}
        wanted = change(dict(config))
        if wanted == config:
            return False
        data["config"] = wanted
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        temporary.write_text(yaml.safe_dump(data, sort_keys=True), encoding="utf-8")
        temporary.replace(self.path)
        return True


class Workspaces:
    """The work dirs, backend, secrets provider and environment of one ecsp project's ``pulumi`` calls."""

    def __init__(self, root: Path, config: ProjectConfig, *, backend: str | None = None,
                 local: LocalEmulator | bool | None = None, environ: Mapping[str, str] | None = None,
                 allow_empty_passphrase: bool = False) -> None:
        """``local``: the emulator to deploy to, or True to only read local-mode state (outputs, ls).

        ``allow_empty_passphrase``: create stacks whose secrets use the empty passphrase (see :func:`secrets_warnings`).
        """
        self.allow_empty_passphrase = allow_empty_passphrase
        self.root = root.resolve()
        self.config = config
        self.emulator = local if isinstance(local, LocalEmulator) else None
        self.local_state = bool(local)
        self.environ = dict(os.environ if environ is None else environ)
        self.backend = resolve_backend(self.root, config.state.backend, override=backend, environ=self.environ,
                                       local=self.local_state)

    @property
    def secrets_provider(self) -> str | None:
        provider = self.config.state.secrets_provider
        return None if provider == "default" else provider

    def passphrase_set(self) -> bool:
        """A non-empty passphrase or a passphrase file (an empty one protects nothing: warn)."""
        return bool(self.environ.get("PULUMI_CONFIG_PASSPHRASE")) or "PULUMI_CONFIG_PASSPHRASE_FILE" in self.environ

    def empty_passphrase(self) -> bool:
        """Secrets would be encrypted with the empty passphrase (local-mode stacks hold no real secret)."""
        return (self.secrets_provider == DEFAULT_SECRETS_PROVIDER and not self.passphrase_set()
                and not self.local_state)

    def default_state(self) -> bool:
        """State goes to the default file backend next to ecsp.yaml (nobody chose a backend)."""
        return not self.local_state and self.backend == f"file://{state_dir(self.root)}"

    def warnings(self, operation: str, stacks: Sequence[str], existing: Callable[[], Collection[str]]) -> list[str]:
        """What the user should know before ``operation`` on ``stacks`` (raises when it must not run).

        ``existing`` lists the stacks the backend has, asked only when the answer matters.
        """
        if operation not in ("up", "preview"):
            return []
        notes = state_notice(self, operation)
        if self.empty_passphrase():
            found = set(existing())
            notes += secrets_warnings(self, [name for name in stacks if name not in found],
                                      [name for name in stacks if name in found])
        return notes

    def env_vars(self) -> dict[str, str]:
        """The environment of every ``pulumi`` call (on top of ecsp's own)."""
        env = {**PULUMI_ENV, "PULUMI_BACKEND_URL": self.backend}
        # Given explicitly (environ=...) or inherited: pass them on (PULUMI_HOME: which plugins run).
        for key in (*PASSPHRASE_VARIABLES, "PULUMI_HOME"):
            if key in self.environ:
                env[key] = self.environ[key]
        if self.secrets_provider == DEFAULT_SECRETS_PROVIDER and not self.passphrase_set():
            env.setdefault("PULUMI_CONFIG_PASSPHRASE", "")  # non-interactive: the CLI would fail asking
        if self.emulator is not None:
            env.update(LOCAL_AWS_ENV)
            env["AWS_ENDPOINT_URL"] = self.emulator.endpoint
        return env

    def project_dir(self, pulumi_project: str) -> Path:
        return workspace_dir(self.root, pulumi_project, local=self.local_state)

    def write_project(self, pulumi_project: str) -> Path:
        """The work dir of ``pulumi_project`` with its ``Pulumi.yaml`` (rewritten only when it changed)."""
        folder = self.project_dir(pulumi_project)
        statedir.ensure(self.root)
        folder.mkdir(parents=True, exist_ok=True)
        settings = auto.ProjectSettings(
            name=pulumi_project, runtime="python",
            description=f"ecsp stacks of project {self.config.project.name} (written by ecsp on every run)",
            backend=auto.ProjectBackend(url=self.backend),
        )
        # Written here, not by LocalWorkspace(project_settings=...): every stack run would rewrite
        # it then, racing the other stacks of the same Pulumi project that run at the same time.
        path = folder / "Pulumi.yaml"
        text = yaml.safe_dump(settings.to_dict(), sort_keys=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            temporary = path.with_suffix(".yaml.tmp")
            temporary.write_text(text, encoding="utf-8")
            temporary.replace(path)  # atomic: a concurrent reader never sees half a file
        return folder

    def stack_file(self, pulumi_project: str, stack: str) -> StackFile:
        return StackFile(self.project_dir(pulumi_project), stack)

    def ensure_backend_dir(self) -> None:
        """A file backend's folder exists (the CLI will not create it)."""
        if self.backend.startswith("file://"):
            self._file_state().mkdir(parents=True, exist_ok=True)

    def file_locked(self, name: str) -> bool:
        """Whether a file backend holds a lock on ``<project>/<stack>``.

        The real CLI's ``stack ls --json`` leaves ``updateInProgress`` out on DIY backends
        (3.274.1, even while a lock file is there), so the lock files are looked at directly:
        ``.pulumi/locks/organization/<project>/<stack>/<id>.json``.
        """
        if not self.backend.startswith("file://"):
            return False
        return any((self._file_state() / ".pulumi" / "locks" / "organization" / name).glob("*.json"))

    def file_outputs(self, name: str) -> dict[str, Any] | None:
        """A file backend's outputs of ``<project>/<stack>``, read from its checkpoint; None when it cannot say.

        ``pulumi stack output`` starts the CLI (about a quarter of a second) to read one file;
        an update that must know what a stack exports now (:mod:`ecsp.rollout`) reads the
        checkpoint itself: ``.pulumi/stacks/<project>/<stack>.json`` (``.json.gz`` when the
        backend compresses), the deployment format ``pulumi stack export`` prints, whose root
        ``pulumi:pulumi:Stack`` resource holds the outputs. Other backends, a stack not there,
        or a file in another format answer None, and the caller asks the CLI.
        """
        if not self.backend.startswith("file://"):
            return None
        stem = self._file_state() / ".pulumi" / "stacks" / name
        try:
            plain = stem.with_name(stem.name + ".json")
            if plain.exists():
                text = plain.read_bytes()
            else:
                text = gzip.decompress(stem.with_name(stem.name + ".json.gz").read_bytes())
            document = json.loads(text)
        except (OSError, ValueError, EOFError):
            return None
        latest = document.get("checkpoint", {}).get("latest") if isinstance(document, dict) else None
        if document.get("version") != 3 or not isinstance(latest, dict):
            return None
        for resource in latest.get("resources") or ():
            if isinstance(resource, dict) and resource.get("type") == "pulumi:pulumi:Stack":
                outputs = resource.get("outputs")
                return dict(outputs) if isinstance(outputs, dict) else {}
        return {}  # created, never updated: no root resource yet

    def _file_state(self) -> Path:
        return Path(os.path.expanduser(self.backend.removeprefix("file://").split("?", 1)[0]))


def _listed(names: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def secrets_warnings(workspaces: Workspaces, creating: Sequence[str], existing: Sequence[str]) -> list[str]:
    """The empty-passphrase rule, before any stack is created.

    A stack's secrets are encrypted with the passphrase it was created with, for good: set a
    passphrase later and pulumi fails with ``incorrect passphrase``. So a stack is created with
    the empty one only when the caller allowed it (:class:`EmptyPassphraseError` otherwise),
    and stacks that use it are told to keep it, with the way to move them to another provider.
    """
    if not workspaces.empty_passphrase():
        return []
    if creating and not workspaces.allow_empty_passphrase:
        fix = ("set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to a passphrase and keep it, since "
               "every later run of these stacks needs the same one; or encrypt with a KMS key (state.secrets_provider: "
               "awskms://alias/NAME?region=REGION in ecsp.yaml); or pass --allow-empty-passphrase to accept "
               "unprotected secrets")
        if existing:
            fix = (f"{_listed(existing)} already exist; if they were created without a passphrase, pass "
                   f"--allow-empty-passphrase so these match them. Otherwise " + fix)
        raise EmptyPassphraseError(
            f"PULUMI_CONFIG_PASSPHRASE is not set: {len(creating)} new stack(s) ({_listed(creating)}) would encrypt "
            "their secrets with an empty passphrase, and keep it for good", fix=fix,
            creating=list(creating), existing=list(existing))
    using = [*existing, *creating]
    if not using:
        return []
    return [f"PULUMI_CONFIG_PASSPHRASE is not set, so {_listed(using)} use the empty passphrase for their secrets: "
            "keep it unset for them (set, it makes pulumi fail with `incorrect passphrase`); " + CHANGE_PROVIDER_HINT]


def state_notice(workspaces: Workspaces, operation: str) -> list[str]:
    """Where state goes when nobody chose a backend: said by the first ``up`` (the state folder holds no stack yet).

    Read from the folder itself, which costs no pulumi call.
    """
    stacks = state_dir(workspaces.root) / ".pulumi" / "stacks"
    if operation != "up" or not workspaces.default_state() or any(stacks.rglob("*.json*")):
        return []
    return [f"the Pulumi state of these stacks is kept in {state_dir(workspaces.root)}, next to ecsp.yaml and "
            "on this machine only (.ecsp/ is git-ignored). To share it with your team and CI, set state.backend: "
            "s3://BUCKET/PREFIX (or https://api.pulumi.com for Pulumi Cloud) in ecsp.yaml before anyone else deploys"]


__all__ = ["StackFile", "Workspaces", "is_cloud", "resolve_backend", "secrets_warnings", "stack_config",
           "stack_environments", "state_dir", "state_notice", "workspace_dir"]
