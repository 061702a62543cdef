"""ecsp.views: the plan's tree, drawn as rich's Tree draws one, orphans included."""

from __future__ import annotations

import io

from ecsp import views
from ecsp.graph import StackSpec
from ecsp.planner import PlannedResource, PlannedStack


def drawn(stack: PlannedStack, *, inputs: bool = False) -> list[str]:
    out = views.console(file=io.StringIO(), width=80)
    out.print(views.stack_tree(stack, inputs=inputs), soft_wrap=True)
    return out.file.getvalue().splitlines()  # type: ignore[attr-defined]


def test_a_tree_with_nesting_inputs_and_an_orphan() -> None:
    spec = StackSpec("environment", "shop", "test", depends_on=("shop-project/global",))
    stack = PlannedStack(spec, [
        PlannedResource("ecsp:environment:Network", "network", None, {}),
        PlannedResource("aws:ec2/vpc:Vpc", "vpc", "ecsp:environment:Network::network", {"cidrBlock": "10.0.0.0/16"}),
        PlannedResource("aws:ec2/subnet:Subnet", "public-0", "ecsp:environment:Network::network", {}),
        PlannedResource("pulumi:providers:aws", "aws", None, {}),
        PlannedResource("aws:ec2/subnet:Subnet", "lost", "ecsp:environment:Gone::gone", {}),
    ])
    assert drawn(stack) == [
        "shop-environment/test  (environment, 4 resources)",  # the provider aside, as the display counts
        "  after shop-project/global",
        "├── ecsp:environment:Network network",
        "│   ├── aws:ec2:Vpc vpc",
        "│   └── aws:ec2:Subnet public-0",
        "├── pulumi:providers:aws aws",
        "└── aws:ec2:Subnet lost",
    ]
    assert drawn(stack, inputs=True)[3:8] == [
        "│   ├── aws:ec2:Vpc vpc",
        "│   │   └── {",
        '│   │         "cidrBlock": "10.0.0.0/16"',
        "│   │       }",
        "│   └── aws:ec2:Subnet public-0",
    ]


def test_inputs_of_a_resource_with_children_run_down_its_guide_and_show_json_held_in_strings() -> None:
    spec = StackSpec("project", "shop", None)
    stack = PlannedStack(spec, [
        PlannedResource("aws:iam/role:Role", "role", None, {"assumeRolePolicy": '{"Version": "2012-10-17"}'}),
        PlannedResource("aws:iam/rolePolicy:RolePolicy", "inline", "aws:iam/role:Role::role", {}),
    ])
    assert drawn(stack, inputs=True)[1:] == [
        "└── aws:iam:Role role",
        "    ├── {",
        '    │     "assumeRolePolicy": {',
        '    │       "Version": "2012-10-17"',
        "    │     }",
        "    │   }",
        "    └── aws:iam:RolePolicy inline",
    ]
