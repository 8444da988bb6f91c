"""What each stack operation leaves, as far as the template decides it: the removal policies.

- A failed create rolls back every resource: nothing has ``DeletionPolicy: Retain`` (which keeps a
  resource even then); what is kept has ``RetainExceptOnCreate``.
- A stack deletion keeps exactly the data and what the kept instance still uses, so it can end
  DELETE_COMPLETE: EC2 refuses to delete a security group that a kept network interface or a kept
  group's rule still uses (DependencyViolation).
"""

from __future__ import annotations

from typing import Any

from tooling.cfn import schemas
from tooling.cfn.intrinsics import parameters_in, resources_in

KEPT = "RetainExceptOnCreate"
SECURITY_GROUP_RULE_TYPES = ("AWS::EC2::SecurityGroupEgress", "AWS::EC2::SecurityGroupIngress")
SECURITY_GROUP_TYPES = ("AWS::EC2::SecurityGroup", *SECURITY_GROUP_RULE_TYPES)


def kept(template: dict[str, Any]) -> set[str]:
    return {name for name, r in template["Resources"].items() if r.get("DeletionPolicy") == KEPT}


def test_a_failed_create_leaves_nothing_behind(product):
    policies = {r.get("DeletionPolicy", "Delete") for r in product["Resources"].values()}
    assert policies <= {"Delete", KEPT}
    # A replacement keeps the old resource (there is no RetainExceptOnCreate for it), except a
    # standalone security-group rule: see the next test.
    for name in kept(product):
        expected = "Delete" if product["Resources"][name]["Type"] in SECURITY_GROUP_RULE_TYPES else "Retain"
        assert product["Resources"][name]["UpdateReplacePolicy"] == expected, name


def test_a_replaced_security_group_rule_is_deleted_so_its_old_value_can_come_back(product):
    """Every property of a standalone security-group rule is create-only (cfn-lint's bundled
    schemas for AWS::EC2::SecurityGroupEgress/Ingress), so a parameter change in one (the Port)
    replaces the rule. A retained old rule stays on the group; changing the parameter back then
    creates the same rule again, EC2 refuses it (InvalidPermission.Duplicate) and the update rolls
    back. The replaced rule must be deleted; a stack deletion may still keep it."""
    resources = product["Resources"]
    rules = {name: r for name, r in resources.items() if r["Type"] in SECURITY_GROUP_RULE_TYPES}
    create_only = schemas.create_only_properties(r["Type"] for r in rules.values())
    replaced_by_a_parameter = {
        name
        for name, r in rules.items()
        if any(parameters_in(v, product) for k, v in r["Properties"].items() if k in create_only[r["Type"]])
    }
    assert "LambdaClientToInfluxDBEgress" in replaced_by_a_parameter
    for name in replaced_by_a_parameter:
        assert resources[name].get("UpdateReplacePolicy", "Delete") == "Delete", name


def test_a_stack_deletion_keeps_the_data_and_what_the_instance_uses(product):
    assert kept(product) == {
        "InfluxDBInstance",
        "AdminPasswordSecret",
        "CredentialsSecret",
        "TokenSecret",
        "KmsKey",
        "LambdaLogGroup",
        "InfluxDBSecurityGroup",
        "LambdaClientSecurityGroup",
        "LambdaClientToInfluxDBEgress",
    }


def test_no_kept_security_group_depends_on_a_deleted_one_and_no_deleted_rule_uses_a_kept_one(product):
    """The closure a deletion needs: what a kept resource refers to among the network resources is
    kept, and a deleted rule never refers to a kept group (it would be left dangling)."""
    resources, keep = product["Resources"], kept(product)
    for name in keep:
        for ref in resources_in(resources[name].get("Properties", {}), resources):
            if resources.get(ref, {}).get("Type") in SECURITY_GROUP_TYPES:
                assert ref in keep, f"{name} keeps using {ref}, which the deletion would delete"
    for name, r in resources.items():
        if r["Type"] in SECURITY_GROUP_TYPES and name not in keep:
            assert not set(resources_in(r.get("Properties", {}), resources)) & keep, name


def test_every_test_the_operations_table_names_exists():
    """docs/OPERATIONS.md names the tests behind each row of "What each stack operation leaves"."""
    import re

    from conftest import ROOT

    text = (ROOT / "docs" / "OPERATIONS.md").read_text()
    section = text.split("## What each stack operation leaves", 1)[1].split("\n## ", 1)[0]
    cited = re.findall(r"`((?:lifecycle/)?test_\w+\.py)(?:::(test_\w+))?`", section)
    assert len(cited) >= 10
    for module, name in cited:
        source = (ROOT / "tests" / module).read_text()
        assert not name or re.search(rf"^def {name}\(", source, flags=re.M), f"{module}::{name}"
