"""How much of a real team's Copilot workspace `ecsp import copilot` imports: every service counted.

The workspaces under tests/fixtures/copilot/realistic/ are shaped like what teams run (the
ECS workshop's three services on service discovery; a Rails application with its Sidekiq
worker, a nightly job, an addon bucket and an imported VPC; a platform of services using
Copilot's less common features). Each service either imports (warnings and notes allowed) or
is refused with the reason; the file written validates either way. The counts are the
measurement the migration guide's claims rest on: a change that refuses more fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ecsp.importer import import_copilot
from tests.importer.test_import_copilot import imported

# workspace -> (imported services, refused services with the field that refused each)
EXPECTED = {
    "realistic/ecsdemo": (["ecsdemo-crystal", "ecsdemo-frontend", "ecsdemo-nodejs"], {}),
    "realistic/rails": (["nightly-report", "sidekiq", "web"], {}),
    "realistic/platform": (["admin", "api", "events", "gateway", "internal", "legacy-ui"], {
        "landing": "type", "media-resizer": "type"}),
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



def test_a_worker_subscribed_to_a_refused_service_is_refused_with_it(tmp_path: Path) -> None:
    copilot = tmp_path / "copilot"
    for folder, manifest in {
        "environments/test": "name: test\ntype: Environment\n",
        # Refused: ecsp has no Network Load Balancer.
        "orders": "name: orders\ntype: Load Balanced Web Service\nimage: {location: nginx, port: 80}\n"
                  "nlb: {port: 443/tcp}\npublish:\n  topics: [{name: placed}]\n",
        "mailer": "name: mailer\ntype: Worker Service\nimage: {location: busybox}\n"
                  "subscribe:\n  topics: [{name: placed, service: orders}]\n",
        "audit": "name: audit\ntype: Worker Service\nimage: {location: busybox}\n"
                 "subscribe:\n  topics: [{name: placed, service: orders}, {name: other, service: audit}]\n"
                 "publish:\n  topics: [{name: other}]\n",
    }.items():
        (copilot / folder).mkdir(parents=True)
        (copilot / folder / "manifest.yml").write_text(manifest)
    (copilot / ".workspace").write_text("application: shop\n")
    result = import_copilot(tmp_path, environments=["test=us-west-2"])
    assert result.applications == [] and sorted(result.refused) == ["audit", "mailer", "orders"]
    mailer = next(n for n in result.refusals if n.where.startswith("copilot/mailer"))
    assert mailer.where == "copilot/mailer/manifest.yml:5"
    assert "names orders, which is not imported (refused above)" in mailer.message
    assert result.problems == []
