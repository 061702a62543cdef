"""Old -> new values in ``preview`` and ``up`` with the real engine (stand-in provider, no AWS; marked ``pulumi``).

The stand-in echoes inputs, so the engine's events carry the old inputs from the state and
the new ones from the program: exactly what the diff renderer reads in front of real AWS.
"""

from __future__ import annotations

from pathlib import Path

from tests.engine.test_real_engine import Project, copy_example, steps
from tests.pulumi_cli import MARKS, pulumi_cli_found  # noqa: F401 (the fixture MARKS uses)

pytestmark = MARKS


def test_preview_and_up_show_the_variable_the_count_and_the_image_that_changed(tmp_path: Path,
                                                                               pulumi_home: Path) -> None:
    hello = Project(copy_example("hello", tmp_path), pulumi_home)
    hello.file.write_text(hello.file.read_text().replace(
        "variables: {LOG_LEVEL: info}", "variables: {LOG_LEVEL: info}\n    secrets: {DB_PASSWORD: /hello/db}"))
    up = hello.run("up", "--progress", "plain", "--env", "test")
    assert up.code == 0, up
    assert "->" not in up.stdout  # a first up creates: nothing to compare

    text = hello.file.read_text()
    text = text.replace("LOG_LEVEL: info", "LOG_LEVEL: debug").replace("count: 1", "count: 2")
    text = text.replace("nginx:stable", "nginx:1.27").replace("/hello/db", "/hello/db-2")
    hello.file.write_text(text)

    preview = hello.run("preview", "--progress", "plain")
    assert preview.code == 0, preview
    out = preview.stdout
    assert 'containerDefinitions[web].environment.LOG_LEVEL: "info" -> "debug"' in out, preview
    assert 'containerDefinitions[web].image: "public.ecr.aws/nginx/nginx:stable" -> ' \
           '"public.ecr.aws/nginx/nginx:1.27"' in out, preview
    assert "desiredCount: 1 -> 2" in out, preview
    assert "containerDefinitions[web].secrets.DB_PASSWORD: changed (secret)" in out, preview
    # The reference stays out of the container's lines (the secrets policy names the parameter it may read).
    assert not [line for line in out.splitlines() if "containerDefinitions" in line and "/hello/db" in line], preview
    # Only what changed: the other variables and settings of the container stay out.
    assert "ECSP_PROJECT" not in out and "portMappings" not in out, preview

    json_preview = hello.run("preview", "--progress", "json", "--app", "web")
    service = [r for r in steps(json_preview, "hello-web/test") if r["type"] == "aws:ecs/service:Service"]
    assert {"path": "desiredCount", "kind": "update", "old": "1", "new": "2", "secret": False} in \
        service[0]["changes"], json_preview

    applied = hello.run("up", "--progress", "plain", "--app", "web")
    assert applied.code == 0, applied
    lines = applied.stdout.splitlines()
    updated = next(i for i, line in enumerate(lines) if "updated aws:ecs:Service web" in line)
    assert lines[updated + 1].strip() == "desiredCount: 1 -> 2", applied
    assert '      containerDefinitions[web].environment.LOG_LEVEL: "info" -> "debug"' in lines, applied
