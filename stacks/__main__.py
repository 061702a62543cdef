"""Entry point for the plain ``pulumi`` CLI (see Pulumi.yaml).

This is the edge, so it may read files: it loads the ecsp project named by the
``ecsp:file`` config key and runs the program of the stack named by ``ecsp:stack``
(``<pulumi project>/<stack>``, as ``ecsp plan`` lists them).
"""

import pulumi

from ecsp import api
from ecsp.errors import EcspError
from stacks import PROGRAMS

settings = pulumi.Config("ecsp")
try:
    project = api.load(settings.get("file") or "ecsp.yaml")
    name = settings.require("stack")
    try:
        spec = project.stacks()[name]
    except KeyError:
        raise EcspError(f"ecsp:stack '{name}' is not a stack of project '{project.name}'",
                        fix="use one of: " + ", ".join(project.stacks().names())) from None
except EcspError as e:
    raise pulumi.RunError(str(e)) from None

PROGRAMS.program_for(project.context(spec, organization=project.config.state.organization))()
