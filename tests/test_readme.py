"""The README's promise: its quick-start commands work as written.

The main-job command is run for real in a subprocess (the test-suite command is
what is running this test, so it is only checked to be the one CI runs).
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

from tests.conftest import ROOT

README = ROOT / "README.md"


def quick_start() -> list[str]:
    text = README.read_text()
    section = text.split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "README's Quick start has no bash block"
    return [line.split("#", 1)[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_has_the_two_commands() -> None:
    commands = quick_start()
    assert len(commands) == 2
    assert commands[1] == "bash .ci/test"
    assert "bash .ci/test" in (ROOT / ".ci" / "run").read_text()


def test_main_job_command_runs(tmp_path: Path) -> None:
    main_job = quick_start()[0]
    result = subprocess.run(shlex.split(main_job), cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "hello-project/global" in result.stdout
    assert "hello-web/test" in result.stdout
