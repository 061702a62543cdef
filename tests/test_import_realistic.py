"""How much of a real team's Copilot workspace `ecsp import copilot` imports: every service counted.

The workspaces under tests/fixtures/copilot/realistic/ are shaped like what teams run (the
ECS workshop's three services on service discovery; a Rails application with its Sidekiq
worker, a nightly job, an addon bucket and an imported VPC; a platform of services using
Copilot's less common features). Each service either imports (warnings and notes allowed) or
is refused with the reason; the file written validates either way. The counts are the
measurement the migration guide's claims rest on: a change that refuses more fails here.
"""

from __future__ import annotations

import pytest

from tests.test_import_copilot import imported

# workspace -> (imported services, refused services with the field that refused each)
EXPECTED = {
    "realistic/ecsdemo": (["ecsdemo-crystal", "ecsdemo-frontend", "ecsdemo-nodejs"], {}),
    "realistic/rails": (["nightly-report", "sidekiq", "web"], {}),
    "realistic/platform": (["internal", "legacy-ui"], {
        "admin": "http.additional_rules", "api": "image.credentials", "events": "subscribe",
        "gateway": "http.target_container", "landing": "type", "media-resizer": "type"}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_services_imported_and_refused(name: str) -> None:
    result = imported(name)
    wanted_imported, wanted_refused = EXPECTED[name]
    assert result.applications == wanted_imported
    assert sorted(result.refused) == sorted(wanted_refused)
    refusals = {n.where.split("/")[1]: n.field for n in result.refusals}
    assert {app: refusals.get(app) for app in wanted_refused} == wanted_refused
    assert result.problems == []  # the written file validates, refused services and all

