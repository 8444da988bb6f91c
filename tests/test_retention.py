"""What each stack operation leaves, as far as the template decides it: the removal policies.

- A failed create rolls back every resource: nothing has ``DeletionPolicy: Retain`` (which keeps a
  resource even then); what is kept has ``RetainExceptOnCreate``.
- A stack deletion keeps exactly the data and what the kept instance still uses, so it can end
  DELETE_COMPLETE: EC2 refuses to delete a security group that a kept network interface or a kept
  group's rule still uses (DependencyViolation).
"""

from __future__ import annotations

from typing import Any

KEPT = "RetainExceptOnCreate"
#: Kept on stack deletion (the kept instance uses them), deleted when a parameter change replaces them.
REPLACEABLE_RULES = {"LambdaClientToInfluxDBEgress"}
SECURITY_GROUP_TYPES = (
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::EC2::SecurityGroupIngress",
)


def references(node: Any) -> set[str]:
    """Logical ids that ``node`` refers to with Ref or Fn::GetAtt."""
    if isinstance(node, dict):
        if set(node) == {"Ref"} and isinstance(node["Ref"], str):
            return {node["Ref"]}
        if set(node) == {"Fn::GetAtt"}:
            return {node["Fn::GetAtt"][0]}
        return set().union(*(references(v) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(references(v) for v in node)) if node else set()
    return set()


def kept(template: dict[str, Any]) -> set[str]:
    return {name for name, r in template["Resources"].items() if r.get("DeletionPolicy") == KEPT}


def test_a_failed_create_leaves_nothing_behind(product):
    policies = {r.get("DeletionPolicy", "Delete") for r in product["Resources"].values()}
    assert policies <= {"Delete", KEPT}
    # A replacement keeps the old resource (there is no RetainExceptOnCreate for it), except a rule
    # (see the next test).
    for name in kept(product) - REPLACEABLE_RULES:
        assert product["Resources"][name]["UpdateReplacePolicy"] == "Retain", name


def test_a_kept_rule_that_a_parameter_change_replaces_is_not_kept_when_replaced(product):
    """Port feeds the egress rule's create-only FromPort/ToPort: a Port change replaces the rule. A
    kept old rule would stay on the client group, and changing Port back would then create a
    duplicate (InvalidPermission.Duplicate): the update would fail and roll back."""
    from tooling.cfn.intrinsics import parameters_in
    from tooling.cfn.schemas import create_only_properties

    resources = product["Resources"]
    replaced_by_a_parameter = set()
    for name in kept(product):
        r = resources[name]
        create_only = create_only_properties([r["Type"]])[r["Type"]]
        props = r.get("Properties", {})
        if any(parameters_in(props[p], product) for p in create_only if p in props):
            replaced_by_a_parameter.add(name)
    # The data-holding resources' create-only properties take parameters too (a change there fails:
    # their names are fixed); only rules, which hold nothing, may go when replaced.
    rules = {n for n in replaced_by_a_parameter if resources[n]["Type"] in SECURITY_GROUP_TYPES[1:]}
    assert rules == REPLACEABLE_RULES
    for name in rules:
        assert resources[name]["DeletionPolicy"] == KEPT
        assert resources[name]["UpdateReplacePolicy"] == "Delete", name


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
        for ref in references(resources[name].get("Properties", {})):
            if resources.get(ref, {}).get("Type") in SECURITY_GROUP_TYPES:
                assert ref in keep, f"{name} keeps using {ref}, which the deletion would delete"
    for name, r in resources.items():
        if r["Type"] in SECURITY_GROUP_TYPES and name not in keep:
            assert not references(r.get("Properties", {})) & keep, name


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
