"""Security groups: the database is reachable only from the Lambda clients, on the InfluxDB port."""

from conftest import resources_of_type

PORT_REF = {"Ref": "Port"}


def test_database_ingress_only_from_client_group_on_port(product):
    db = product["Resources"]["InfluxDBSecurityGroup"]["Properties"]
    (rule,) = db["SecurityGroupIngress"]
    assert rule["SourceSecurityGroupId"] == {"Fn::GetAtt": ["LambdaClientSecurityGroup", "GroupId"]}
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", PORT_REF, PORT_REF)
    assert "CidrIp" not in rule and "CidrIpv6" not in rule


def test_database_has_no_real_egress(product):
    db = product["Resources"]["InfluxDBSecurityGroup"]["Properties"]
    (rule,) = db["SecurityGroupEgress"]
    assert rule["CidrIp"] == "127.0.0.1/32"


def test_client_group_has_no_ingress_and_egress_to_database_and_https(product):
    client = product["Resources"]["LambdaClientSecurityGroup"]["Properties"]
    assert "SecurityGroupIngress" not in client
    (https,) = client["SecurityGroupEgress"]
    assert (https["IpProtocol"], https["FromPort"], https["ToPort"]) == ("tcp", 443, 443)
    egress = resources_of_type(product, "AWS::EC2::SecurityGroupEgress")
    (to_db,) = egress.values()
    props = to_db["Properties"]
    assert props["GroupId"] == {"Fn::GetAtt": ["LambdaClientSecurityGroup", "GroupId"]}
    assert props["DestinationSecurityGroupId"] == {"Fn::GetAtt": ["InfluxDBSecurityGroup", "GroupId"]}
    assert (props["FromPort"], props["ToPort"]) == (PORT_REF, PORT_REF)
    assert not resources_of_type(product, "AWS::EC2::SecurityGroupIngress")


def test_every_rule_has_a_description_and_no_ingress_is_open_to_the_internet(product):
    rules = []
    for sg in resources_of_type(product, "AWS::EC2::SecurityGroup").values():
        for direction in ("SecurityGroupIngress", "SecurityGroupEgress"):
            rules += [(direction, r) for r in sg["Properties"].get(direction, [])]
    for type_, direction in (
        ("AWS::EC2::SecurityGroupEgress", "SecurityGroupEgress"),
        ("AWS::EC2::SecurityGroupIngress", "SecurityGroupIngress"),
    ):
        rules += [(direction, r["Properties"]) for r in resources_of_type(product, type_).values()]
    # database ingress and no-egress, client HTTPS and to-database egress
    assert len(rules) == 4
    for direction, rule in rules:
        assert rule.get("Description"), rule
        if direction == "SecurityGroupIngress":
            assert rule.get("CidrIp") not in ("0.0.0.0/0",) and rule.get("CidrIpv6") != "::/0"


def test_the_groups_and_rule_the_retained_instance_uses_are_retained(product):
    """A retained instance keeps its network interfaces in the database group, and the client
    group's rule refers to that group: EC2 cannot delete them (DependencyViolation), so deleting
    them with the stack would end DELETE_FAILED. They are kept like the instance, and deleted
    with it when the stack's create fails."""
    replaced_when = {
        "InfluxDBSecurityGroup": "Retain",
        "LambdaClientSecurityGroup": "Retain",
        # A Port change replaces the rule; the old one kept would block a change back (test_retention).
        "LambdaClientToInfluxDBEgress": "Delete",
    }
    for name, on_replace in replaced_when.items():
        resource = product["Resources"][name]
        assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == (
            "RetainExceptOnCreate",
            on_replace,
        ), name
    instance = product["Resources"]["InfluxDBInstance"]["Properties"]
    assert instance["VpcSecurityGroupIds"] == [{"Fn::GetAtt": ["InfluxDBSecurityGroup", "GroupId"]}]
