"""The resources that talk HTTP to the database come after the ones that change it, in every product.

The backup and (InfluxDB 2) parameter group resources change the database (UpdateDbInstance/
UpdateDbCluster; a parameter group switch can restart it) and answer once it is AVAILABLE again;
the token resource (InfluxDB 2 products) and the database resource (InfluxDB 3) reach it through an
in-VPC worker. The InfluxDB 3 parameter group resource changes no database: the cluster takes its
group, and the database resource refers to the cluster. Read from the rendered templates in output/.
"""

from __future__ import annotations

import pytest
from lifecycle.harness import creation_order, dependencies_among

from conftest import ROOT, yaml_data

#: product template -> (the HTTP resource, the resources that change the database)
PRODUCTS = {
    "timestream-influxdb.yaml": ("InfluxDBApiToken", ("BackupConfiguration", "EngineParameterGroup")),
    "timestream-influxdb-cluster.yaml": ("InfluxDBApiToken", ("BackupConfiguration", "EngineParameterGroup")),
    "timestream-influxdb3.yaml": ("InfluxDB3Database", ("BackupConfiguration",)),
}


def template(name):
    return yaml_data((ROOT / "output" / name).read_text())


@pytest.mark.parametrize("name", sorted(PRODUCTS))
def test_the_http_resource_is_ordered_after_every_database_change(name):
    resources = template(name)["Resources"]
    http, changes = PRODUCTS[name]
    body = resources[http]
    for change in changes:
        condition = resources[change].get("Condition")
        if condition is None:
            assert change in body["DependsOn"], (name, change)
        else:
            # DependsOn on a conditional resource is a template error (cfn-lint E3005).
            assert change not in body["DependsOn"]
            assert body["Properties"]["WaitFor" + change] == {
                "Fn::If": [condition, {"Ref": change}, {"Ref": "AWS::NoValue"}]
            }


def updates_a_database(resources, custom):
    """Whether the role of the custom resource's function may call UpdateDbInstance or UpdateDbCluster."""
    function = resources[custom["Properties"]["ServiceToken"]["Fn::GetAtt"][0]]
    role = resources[function["Properties"]["Role"]["Fn::GetAtt"][0]]
    actions = [
        action
        for policy in role["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
        for action in statement["Action"]
    ]
    return any(
        a in ("timestream-influxdb:UpdateDbInstance", "timestream-influxdb:UpdateDbCluster") for a in actions
    )


def test_the_influxdb3_database_resource_follows_the_cluster_which_follows_its_parameter_group():
    resources = template("timestream-influxdb3.yaml")["Resources"]
    deps = dependencies_among(template("timestream-influxdb3.yaml"), set(resources))
    assert not updates_a_database(resources, resources["EngineParameterGroup"])
    assert "EngineParameterGroup" in deps["InfluxDBCluster"]
    assert "InfluxDBCluster" in deps["InfluxDB3Database"]


@pytest.mark.parametrize("name", sorted(PRODUCTS))
def test_every_resource_that_changes_the_database_is_one_the_http_resource_waits_for(name):
    """No UpdateDb* custom resource of the product is left unordered against the HTTP resource."""
    resources = template(name)["Resources"]
    http, changes = PRODUCTS[name]
    changing = {
        n
        for n, r in resources.items()
        if r["Type"].startswith("Custom::") and updates_a_database(resources, r)
    }
    assert changing == set(changes)
    deps = dependencies_among(template(name), {http, *changes})
    assert deps[http] == set(changes)
    order = creation_order(deps)
    assert order[-1] == http


@pytest.mark.parametrize("name", sorted(PRODUCTS))
def test_the_database_changing_functions_may_wait_and_still_answer_in_time(name):
    """Each waits up to Lambda's 900 s maximum, and CloudFormation waits longer for its answer."""
    resources = template(name)["Resources"]
    for change in PRODUCTS[name][1]:
        function = resources[change]["Properties"]["ServiceToken"]["Fn::GetAtt"][0]
        timeout = resources[function]["Properties"]["Timeout"]
        assert timeout == 900
        assert resources[change]["Properties"]["ServiceTimeout"] > timeout
