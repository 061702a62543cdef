"""What an application takes from outside its own stack: linked data, extra security groups and
managed policies, CloudFormation addons, and the registry credentials of a private image.

The field declarations live on the application (:mod:`.application`); their vocabulary,
validators and the project-wide rules about them live here: a link names data of the project,
what a link injects does not collide with the application's own variables, an addon path
exists (checked at the edge, :mod:`ecsp.addons`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Annotated

from pydantic import AfterValidator, Field

from ecsp import naming
from ecsp.config.base import INDEXED, FieldError, Model, raise_all
from ecsp.config.data import DATA_KINDS, Data, DataConfig
from ecsp.config.exports import FromCfn, TextOrExport
from ecsp.config.fields import Capability, Merge, Setting

MANAGED_POLICY_PATTERN = r"^arn:aws[a-z-]*:iam::(\d{12}|aws):policy/[A-Za-z0-9_+=,.@/-]+$"
SECURITY_GROUP_PATTERN = r"^sg-([0-9a-f]{8}|[0-9a-f]{17})$"

LINK_DESCRIPTION = ("Data this application uses, by name (entries of the top-level data:): its task role gets "
                    "exactly the access it needs, its tasks may reach it, and its connection details arrive as "
                    "variables and secrets (see the README's Data section).")
SECURITY_GROUPS_DESCRIPTION = ("Extra security groups for the tasks (sg- ids or {from_cfn: EXPORT_NAME}), besides the "
                               "environment's.")
MANAGED_POLICIES_DESCRIPTION = "IAM managed policies (ARNs) attached to the application's task role."
ADDONS_DESCRIPTION = ("CloudFormation addons: a folder of templates (Copilot's copilot/<app>/addons, with its "
                      "addons.parameters.yml) or one template, deployed with parameters App, Env and Name in the "
                      "environment's storage stack; their outputs reach the application as Copilot routed them.")


def check_links(v: list[str]) -> list[str]:
    errors = []
    for i, name in enumerate(v):
        if name in v[:i]:
            errors.append(FieldError((i,), f"'{name}' is linked twice; list it once"))
    raise_all(errors)
    return v


def check_security_groups(v: list[str | FromCfn]) -> list[str | FromCfn]:
    raise_all([FieldError((i,), f"'{g}' is not a security group id; use sg- and 8 or 17 hex digits, or "
                                "{from_cfn: EXPORT_NAME}")
               for i, g in enumerate(v) if isinstance(g, str) and not re.fullmatch(SECURITY_GROUP_PATTERN, g)])
    return v


def check_managed_policies(v: list[str]) -> list[str]:
    errors = [FieldError((i,), f"'{p}' is not an IAM managed policy ARN; use e.g. "
                               "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess or arn:aws:iam::ACCOUNT:policy/NAME")
              for i, p in enumerate(v) if not re.fullmatch(MANAGED_POLICY_PATTERN, p)]
    errors += [FieldError((i,), f"'{p}' is listed twice; list it once") for i, p in enumerate(v)
               if p in v[:i]]
    raise_all(errors)
    return v


LinkList = Annotated[list[str], AfterValidator(check_links)]
SecurityGroups = Annotated[list[TextOrExport], AfterValidator(check_security_groups)]
ManagedPolicies = Annotated[list[str], AfterValidator(check_managed_policies)]
TASK = Capability.TASK


class LinksBlock(Model):
    """What every application may take from outside its stack: data, security groups, policies, addons."""

    link: Annotated[LinkList, Setting(TASK), INDEXED] = Field(default_factory=list, description=LINK_DESCRIPTION,
                                                     examples=[["orders", "uploads"]])
    security_groups: Annotated[SecurityGroups, Setting(TASK), INDEXED] = Field(
        default_factory=list, description=SECURITY_GROUPS_DESCRIPTION, examples=[["sg-0123456789abcdef0"]])
    managed_policies: Annotated[ManagedPolicies, Setting(TASK), INDEXED] = Field(
        default_factory=list, description=MANAGED_POLICIES_DESCRIPTION,
        examples=[["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]])
    # Set once: the addon stack, named after the application, holds data in every environment alike.
    addons: Annotated[str | None, Setting(TASK, Merge.FIXED)] = Field(
        None, min_length=1, description=ADDONS_DESCRIPTION, examples=["copilot/api/addons"])


def injected_names(name: str, data: Data) -> dict[str, str]:
    """The variables (and secrets) a link to data ``name`` gives an application: variable -> what it holds."""
    prefix = naming.data_variable_prefix(name)
    kind = data.kind
    out: dict[str, str] = {}
    if kind in ("postgres", "mysql"):
        out = {f"{prefix}_HOST": "host", f"{prefix}_PORT": "port", f"{prefix}_DBNAME": "dbname",
               f"{prefix}_USERNAME": "username", f"{prefix}_PASSWORD": "password"}
    elif kind == "redis":
        out = {f"{prefix}_HOST": "host", f"{prefix}_PORT": "port", f"{prefix}_URL": "url"}
    elif kind == "bucket":
        out = {f"{prefix}_BUCKET": "name"}
    elif kind == "table":
        out = {f"{prefix}_TABLE": "name"}
        if data.stream is not None and data.managed:
            out[f"{prefix}_STREAM_ARN"] = "stream_arn"
    elif kind == "secret":
        out = {f"{prefix}_SECRET": "secret"}
    suffix = DATA_KINDS[kind].copilot_suffix
    if data.copilot_name is not None and suffix is not None:
        out[naming.copilot_variable(data.copilot_name, suffix)] = "copilot"
        # An environment's bucket or table reached a service through Copilot's access-policy addon,
        # whose output <name>NameBucketName (or ...DdbTableName) it injected: MYBUCKET_NAME_BUCKET_NAME.
        also = {"bucket": "BucketName", "table": "DdbTableName"}.get(kind)
        if also is not None:
            out[naming.copilot_variable(data.copilot_name, suffix + also)] = "copilot"
    return out


def link_problems(
    app: str, links: Sequence[str], data: Mapping[str, DataConfig], resolved: Mapping[str, Data],
    own: Sequence[str], where: tuple[str | int, ...],
) -> list[FieldError]:
    """A link names data of the project, and what it injects collides with neither the application's own
    variables and secrets (``own``) nor another link's."""
    errors: list[FieldError] = []
    taken: dict[str, str] = {}
    for i, name in enumerate(links):
        if name not in data:
            close = difflib.get_close_matches(name, list(data), n=1, cutoff=0.6)
            listed = f"data: {', '.join(data)}" if data else "the project has no data: section"
            hint = f"did you mean '{close[0]}'?" if close else "declare it under the top-level data:"
            errors.append(FieldError((*where, i), f"there is no data '{name}' ({listed}); {hint}"))
            continue
        settings = resolved.get(name)
        if settings is None:
            continue  # its own problems are reported where it is declared
        for variable in injected_names(name, settings):
            if variable in own:
                errors.append(FieldError((*where, i), f"linking '{name}' sets {variable}, which the application also "
                                                      f"sets under variables or secrets; rename that one"))
            elif variable in taken:
                errors.append(FieldError((*where, i), f"linking '{name}' sets {variable}, and so does linking "
                                                      f"'{taken[variable]}'; rename one of them (or its copilot_name)"))
            taken.setdefault(variable, name)
    return errors

