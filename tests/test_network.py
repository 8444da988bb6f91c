"""Security groups: the database is reachable only from the Lambda clients, on the InfluxDB port."""

from conftest import resources_of_type
from tooling.cfn import schemas

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
    with it when the stack's create fails. A replaced group is kept; a replaced rule is not (a
    Port change replaces it, and the kept old rule would block changing the port back)."""
    for name, replaced in (
        ("InfluxDBSecurityGroup", "Retain"),
        ("LambdaClientSecurityGroup", "Retain"),
        ("LambdaClientToInfluxDBEgress", "Delete"),
    ):
        resource = product["Resources"][name]
        assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == (
            "RetainExceptOnCreate",
            replaced,
        ), name
    instance = product["Resources"]["InfluxDBInstance"]["Properties"]
    assert instance["VpcSecurityGroupIds"] == [{"Fn::GetAtt": ["InfluxDBSecurityGroup", "GroupId"]}]


def test_a_port_change_updates_the_database_groups_inline_rule_in_place():
    """The database group's ingress names the Port inline; SecurityGroupIngress is not one of
    AWS::EC2::SecurityGroup's create-only properties, so a Port change keeps the group (and the
    instance's interfaces in it) and rewrites the rule."""
    (create_only,) = schemas.create_only_properties(["AWS::EC2::SecurityGroup"]).values()
    assert "VpcId" in create_only and "SecurityGroupIngress" not in create_only
