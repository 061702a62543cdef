# %% [markdown]
# # ecsp from Python
#
# The CLI is a thin shell over this API. Open this file in VS Code or Jupyter (as a
# percent-format notebook, e.g. with jupytext) and run it cell by cell, or run it as a script
# (`python examples/notebook.py`). Nothing here needs AWS or credentials: `plan()` runs every
# stack's Pulumi program in-process under Pulumi's mocks, and the last section deploys to a
# local AWS emulator (which needs the pulumi CLI: `ecsp install-pulumi --plugins`).

# %%
import shutil
from collections import Counter
from pathlib import Path
from tempfile import TemporaryDirectory, mkdtemp

import ecsp
from ecsp.errors import ConfigError, RunFailed
from ecsp.local import emulator

# The examples folder: where this file is, or (in a notebook, which has no __file__) the folder it runs in.
EXAMPLES = Path(globals().get("__file__", "notebook.py")).resolve().parent

project = ecsp.load(EXAMPLES / "multi/ecsp.yaml")
print(project.name, "with environments", list(project.config.environments),
      "and applications", list(project.config.applications))

# %% [markdown]
# ## Effective settings per environment
# `config.application(env, app)` merges an application's per-environment overrides into its
# base settings. The `api` application asks for more memory in prod:

# %%
for env in project.config.environments:
    api = project.config.application(env, "api")
    print(f"{env:5} cpu={api.cpu} memory={api.memory} tasks={api.desired_count} placement={api.placement} "
          f"LOG_LEVEL={api.variables['LOG_LEVEL']}")

# %% [markdown]
# ## The stacks, in the order they deploy

# %%
for spec in project.stacks().order():
    print(f"{spec.name:28} after {', '.join(spec.depends_on) or '-'}")

# %% [markdown]
# ## What one application would create
# Select a slice: the `api` application in `prod`. Its upstream stacks (the project and the
# prod environment) are planned too, because the application reads their outputs.

# %%
plan = project.plan(env="prod", app="api")
for stack in plan.stacks:
    print(f"{stack.spec.name:28} {stack.resource_count:3} resources")

api_stack = plan.stack("shop-api/prod")
Counter(resource.short_type for resource in api_stack.resources).most_common(5)

# %% [markdown]
# A cell that ends in the plan shows it as a table of stacks, each stack's resources folded
# under it.

# %%
plan

# %% [markdown]
# Resource types are the ones `ecsp plan` prints (`aws:ecs:TaskDefinition`); Pulumi's full
# token (`aws:ecs/taskDefinition:TaskDefinition`, in `resource.type`) finds them too.

# %%
(task,) = api_stack.of_type("aws:ecs:TaskDefinition")
print(task.name, "under", task.parent)
print("cpu", task.inputs["cpu"], "memory", task.inputs["memory"], "family", task.inputs["family"])
print("outputs:", sorted(api_stack.outputs))

# %% [markdown]
# `plan.to_json()` is the same document as `ecsp plan --json`.

# %%
document = plan.to_json()
print([s["name"] for s in document["stacks"]])

# %% [markdown]
# ## A picture and a monthly bill
# `diagram()` draws an environment (or, without `env`, the project) from the same offline plan; a
# notebook shows it as SVG (Mermaid where Graphviz is not installed). `cost()` prices every
# planned resource with ecsp's dated AWS price table; the report renders as a table, and its
# assumptions can be changed by name.

# %%
picture = project.diagram(env="prod")
print(picture)
estimate = project.cost(env="prod", assume={"nat_gb": 100})
low, high = estimate.total
print(f"prod: ${low:,.2f} to ${high:,.2f} a month (prices of {estimate.price_date})")

# %% [markdown]
# ## Mistakes raise, with every problem listed
# The API raises `ConfigError`; each problem has the file, the line, the field and a fix.

# %%
with TemporaryDirectory() as folder:
    bad = Path(folder) / "ecsp.yaml"
    bad.write_text((EXAMPLES / "hello/ecsp.yaml").read_text().replace("memory: 512", "memory: 300"))
    try:
        ecsp.load(bad)
    except ConfigError as error:
        for problem in error.problems:
            print(f"line {problem.line}: {problem.path}: {problem.message}")

# %% [markdown]
# ## Deploying
# `up()` runs the stacks in dependency order with the progress the terminal shows, and returns
# a `RunResult`: in a notebook, a table of each stack's result, changes and time, its URL as a
# link and its outputs folded. Here a copy of `examples/hello` goes to the local AWS emulator
# (moto on 127.0.0.1, from `pip install 'ecsp[local]'`), so nothing real is created. A stack
# that fails raises `RunFailed`, which carries the result (`check=False` returns it instead).

# %%
hello = ecsp.load(shutil.copytree(EXAMPLES / "hello", Path(mkdtemp()) / "hello") / "ecsp.yaml")
with emulator(hello.root) as aws:
    try:
        result = hello.up(local=aws, progress="plain")
    except RunFailed as failed:
        result = failed.result
result

# %%
result["hello-web/test"].outputs["url"]
