"""Whether the real ``pulumi`` CLI is here, and the marks of the tests that need it.

``.ci/run`` sets ``ECSP_REQUIRE_PULUMI=1`` once it has built the CLI: there, a test that
cannot find it fails instead of skipping, so a broken build never passes as "skipped".
"""

from __future__ import annotations

import os

import pytest

from ecsp.engine.pulumi_cli import find_pulumi
from ecsp.errors import PulumiMissingError


def _missing() -> str | None:
    try:
        find_pulumi()
    except PulumiMissingError as e:
        return f"needs the pulumi CLI (bash .ci/build-pulumi.sh builds it): {e.message}"
    return None


MISSING = _missing()
REQUIRED = os.environ.get("ECSP_REQUIRE_PULUMI") == "1"
# pytestmark of a module whose tests run the real CLI.
MARKS = [pytest.mark.pulumi, pytest.mark.skipif(MISSING is not None and not REQUIRED, reason=MISSING or ""),
         pytest.mark.usefixtures("pulumi_cli_found")]


@pytest.fixture
def pulumi_cli_found() -> None:
    if MISSING is not None:
        pytest.fail(f"ECSP_REQUIRE_PULUMI=1 but {MISSING}")
