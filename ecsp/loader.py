"""Load ecsp.yaml: read the file, parse it keeping lines, validate it, check its build contexts.

Every problem becomes a :class:`~ecsp.errors.ConfigProblem` pointing at the file and line
(:mod:`ecsp.config.explain` writes the sentences); the rules live in :mod:`ecsp.config`.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from pydantic import ValidationError

from ecsp import addons
from ecsp.config import ProjectConfig
from ecsp.config.explain import dotted, problems, sorted_problems
from ecsp.errors import ConfigError, ConfigProblem
from ecsp.yamlfile import Lines, Loc, parse


def load(path: str | Path) -> ProjectConfig:
    """Read and validate ``path``; raises :class:`ConfigError` listing every problem."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(str(path), None, "", "file not found; create one with `ecsp init` "
                                         "or pass -f PATH")]) from None
    except IsADirectoryError:
        raise ConfigError([ConfigProblem(str(path), None, "", "is a directory; pass the YAML file, e.g. "
                                         f"-f {Path(path) / 'ecsp.yaml'}")]) from None
    except UnicodeDecodeError as e:
        line = e.object[: e.start].count(b"\n") + 1
        raise ConfigError([ConfigProblem(str(path), line, "", f"not UTF-8 text (byte 0x{e.object[e.start]:02x}); "
                                         "save the file as UTF-8")]) from None
    except OSError as e:
        raise ConfigError([ConfigProblem(str(path), None, "", f"cannot read the file: {e.strerror or e}")]) from None
    config, lines = _validate(text, str(path))
    missing = _missing_build_contexts(config, file.parent, lines, str(path))
    if missing:
        raise ConfigError(missing)
    # Addon templates are checked now: each problem names the template's line and the ecsp.yaml line listing it.
    _, problems = addons.read_all(config, file.parent)
    if problems:
        raise ConfigError([_listed(owner, problem, lines, str(path)) for owner, problem in problems])
    return config


def loads(text: str, filename: str = "ecsp.yaml", root: Path | None = None) -> ProjectConfig:
    """Validate YAML text as a project; ``filename`` is used in messages.

    With ``root`` (the folder the file is, or will be, in) build contexts are checked as by :func:`load`.
    """
    config, lines = _validate(text, filename)
    missing = _missing_build_contexts(config, root, lines, filename) if root is not None else []
    if missing:
        raise ConfigError(missing)
    return config


def problem_at(file: Path, loc: Loc, message: str) -> ConfigProblem:
    """A problem with the value at ``loc`` of ``file``, found after loading (its line read again)."""
    try:
        line = parse(file.read_text(encoding="utf-8"), str(file))[0].line(loc)
    except (OSError, ConfigError):  # read and validated a moment ago; without its line the message still holds
        line = None
    return ConfigProblem(str(file), line, dotted(loc), message)


def _missing_build_contexts(config: ProjectConfig, root: Path, lines: Lines, filename: str) -> list[ConfigProblem]:
    """Build directories and Dockerfiles that do not exist (found now, not halfway through a deploy)."""
    out = []
    for env, app in config.deployments():
        image = config.application(env, app).image
        if image.build is None:
            continue
        override = config.applications[app].environments.get(env)
        base: Loc = ("applications", app, "environments", env) if override and override.image else ("applications", app)
        context = root / image.build
        dockerfile = context / (image.dockerfile or "Dockerfile")
        if context.is_file():
            # `build: ./Dockerfile`: the Dockerfile itself where its directory belongs.
            folder = str(PurePosixPath(image.build).parent)
            folder = f"./{folder}" if image.build.startswith("./") and folder != "." else folder
            name = PurePosixPath(image.build).name
            use = f"build: {folder}" + ("" if name == "Dockerfile" else f" with dockerfile: {name}")
            loc, message = (*base, "image", "build"), (f"{image.build} is a file; build takes the directory that "
                                                        f"holds the Dockerfile: use {use}")
        elif not context.is_dir():
            loc, message = (*base, "image", "build"), (f"directory {image.build} does not exist next to {filename}; "
                                                        "create it or fix the path")
        elif not dockerfile.is_file():
            field = "dockerfile" if image.dockerfile else "build"
            loc, message = (*base, "image", field), (f"{image.build} has no {image.dockerfile or 'Dockerfile'}; "
                                                     "add one" + ("" if image.dockerfile else
                                                                  " or set image.dockerfile"))
        else:
            continue
        out.append(ConfigProblem(filename, lines.line(loc), dotted(loc), message))
    return sorted_problems(out)


def _listed(owner: str | None, problem: ConfigProblem, lines: Lines, filename: str) -> ConfigProblem:
    """An addon's problem, also naming the ecsp.yaml line that lists the addon."""
    loc: Loc = ("applications", owner, "addons") if owner else ("addons",)
    line = lines.line(loc)
    where = f" (listed at {filename}:{line}: {dotted(loc)})" if line else ""
    return ConfigProblem(problem.file, problem.line, problem.path, problem.message + where)


def _validate(text: str, filename: str) -> tuple[ProjectConfig, Lines]:
    lines, data = parse(text, filename)
    if data is None:
        raise ConfigError([ConfigProblem(filename, 1, "", "the file is empty; start from `ecsp init`")])
    if not isinstance(data, dict):
        raise ConfigError([ConfigProblem(filename, 1, "", "the top level must be a mapping with project, "
                                         "environments and applications")])
    try:
        config = ProjectConfig.model_validate(data)
    except RecursionError:
        raise ConfigError([ConfigProblem(filename, 1, "", "the document is nested too deeply to be a project "
                                         "file")]) from None
    except ValidationError as e:
        raise ConfigError(sorted_problems(_duplicates(lines, filename) + problems(e, data, lines, filename))) from None
    if lines.duplicates:
        raise ConfigError(_duplicates(lines, filename))
    return config, lines


def _duplicates(lines: Lines, filename: str) -> list[ConfigProblem]:
    return [
        ConfigProblem(filename, line, dotted(loc), f"duplicate key '{loc[-1]}' (first on line {first}); YAML "
                      "keeps only the last one, so remove one of them")
        for loc, line, first in lines.duplicates
    ]
