"""The README's generated reference: fresh, complete for every registered template, and a diagram
GitHub can render. The generator is exercised on changed templates too, so a new parameter,
output or resource can't go undocumented."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from conftest import ROOT
from templates_src.registry import TEMPLATES
from tooling import cli, docs
from tooling.cfn import schemas

README = ROOT / "README.md"
OPERATIONS = ROOT / "docs" / "OPERATIONS.md"


@pytest.fixture(scope="module")
def specs():
    return docs.registry_templates()


@pytest.fixture(scope="module")
def readme() -> str:
    return README.read_text()


def template_block(section: str, name: str) -> str:
    """The part of a generated section under ``### `name` ``, up to the next template heading."""
    parts = re.split(r"^### `([^`]+)`$", section, flags=re.M)
    blocks = dict(zip(parts[1::2], parts[2::2], strict=False))
    assert name in blocks, f"no ### `{name}` heading in the section"
    return blocks[name]


def first_cells(markdown: str) -> list[str]:
    """The first cell of each table row (header and rule rows excluded), without backticks."""
    names = []
    for line in markdown.splitlines():
        m = re.match(r"^\| `([^`]+)` \|", line)
        if m:
            names.append(m.group(1))
    return names


def row(markdown: str, name: str) -> list[str]:
    for line in markdown.splitlines():
        if line.startswith(f"| `{name}` |"):
            return [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
    raise AssertionError(f"no row for {name}")


# --- freshness -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def documents():
    return docs.generated_documents(ROOT)


def test_generated_sections_of_every_document_are_fresh(documents):
    assert set(documents) == {README, OPERATIONS}
    for path, (current, fresh) in docs.render_documents(documents).items():
        assert current == fresh, f"{path.relative_to(ROOT)} is stale: run `make docs` and commit it"


@pytest.mark.slow  # the docs command: builds every template and regenerates the documents
def test_docs_check_command_agrees(capsys):
    assert cli.main(["docs", "--check", "--root", str(ROOT)]) == 0


def copy_documents(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    for path in (README, OPERATIONS):
        (tmp_path / path.relative_to(ROOT)).write_text(path.read_text())
    return tmp_path


@pytest.mark.slow  # the docs command: builds every template and regenerates the documents
def test_docs_command_rewrites_stale_documents_and_check_then_passes(tmp_path: Path, capsys):
    root = copy_documents(tmp_path)
    readme, operations = root / "README.md", root / "docs" / "OPERATIONS.md"
    # As if the template had changed since the last `make docs`.
    readme.write_text(README.read_text().replace("| `Port` |", "| `Prot` |", 1))
    operations.write_text(OPERATIONS.read_text().replace("| `CpuUtilizationAlarm` |", "| `Gone` |", 1))
    assert cli.main(["docs", "--check", "--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert "README.md is stale" in err and "OPERATIONS.md is stale" in err
    assert cli.main(["docs", "--root", str(root)]) == 0
    assert readme.read_text() == README.read_text()
    assert operations.read_text() == OPERATIONS.read_text()
    assert cli.main(["docs", "--check", "--root", str(root)]) == 0


@pytest.mark.slow  # the docs command: builds every template and regenerates the documents
def test_docs_command_names_a_missing_marker(tmp_path: Path, capsys):
    root = copy_documents(tmp_path)
    (root / "README.md").write_text(README.read_text().replace(docs.END.format("outputs"), ""))
    assert cli.main(["docs", "--root", str(root)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "README.md" in err and "END GENERATED: outputs" in err


@pytest.mark.slow  # the docs command: builds every template and regenerates the documents
def test_docs_command_names_a_missing_document(tmp_path: Path, capsys):
    assert cli.main(["docs", "--root", str(tmp_path)]) == 2
    assert "no such file" in capsys.readouterr().err


def test_text_outside_the_markers_is_kept_and_regeneration_is_idempotent():
    text = "intro\n<!-- BEGIN GENERATED: a -->\nold\n<!-- END GENERATED: a -->\ntail by another team\n"
    once = docs.replace_sections(text, {"a": "new"})
    assert once.startswith("intro\n<!-- BEGIN GENERATED: a -->\n") and once.endswith(
        "<!-- END GENERATED: a -->\ntail by another team\n"
    )
    assert "new" in once and "old" not in once
    assert docs.replace_sections(once, {"a": "new"}) == once


@pytest.mark.parametrize(
    "text",
    [
        "no markers",
        "<!-- BEGIN GENERATED: a --><!-- BEGIN GENERATED: a --><!-- END GENERATED: a -->",
        "<!-- END GENERATED: a --> <!-- BEGIN GENERATED: a -->",
    ],
)
def test_missing_duplicated_or_reversed_markers_are_refused(text):
    with pytest.raises(docs.DocsError):
        docs.replace_sections(text, {"a": "x"})


def test_readme_has_every_section_marker_once(readme):
    for name in docs.SECTIONS:
        assert readme.count(docs.BEGIN.format(name)) == 1
        assert readme.count(docs.END.format(name)) == 1


# --- completeness ----------------------------------------------------------------------------


def test_every_registered_template_is_documented(readme, specs):
    assert set(specs) == set(TEMPLATES)
    listed = first_cells(docs.extract_section(readme, "templates"))
    assert listed == list(TEMPLATES)
    for section in ("diagram", "parameters", "outputs", "resources"):
        for name in TEMPLATES:
            template_block(docs.extract_section(readme, section), name)


@pytest.mark.parametrize(
    "section, key", [("parameters", "Parameters"), ("outputs", "Outputs"), ("resources", "Resources")]
)
def test_tables_list_every_item_of_every_template_once(readme, specs, section, key):
    for name, (_, template) in specs.items():
        block = template_block(docs.extract_section(readme, section), name)
        assert sorted(first_cells(block)) == sorted(template.get(key, {})), f"{section} of {name}"


def test_parameter_rows_say_type_default_constraint_and_whether_required(readme):
    block = template_block(docs.extract_section(readme, "parameters"), "timestream-influxdb")
    header = "| Parameter | Description | Type | Default | Allowed values / constraint | Required |"
    assert header in block
    name, description, kind, default, constraint, required = row(block, "Port")
    assert (kind, default, required) == ("`String`", "`8086`", "no")
    assert "1024 to 65535" in constraint and "8090" in constraint
    assert row(block, "ProjectName")[5] == "**yes**"
    assert row(block, "ProjectName")[3] == "—"
    assert row(block, "Password")[2] == "`String` (NoEcho)"
    assert row(block, "Password")[3] == "*(empty)*"
    assert "`db.influx.24xlarge`" in row(block, "DbInstanceClass")[4]
    # A pattern with alternation stays in its cell: the pipes are escaped.
    assert r"`^$\|^[a-zA-Z0-9]{3,64}$`" in row(block, "DbParameterGroupIdentifier")[4]


def test_required_parameters_are_exactly_those_without_default(readme, specs):
    for name, (_, template) in specs.items():
        block = template_block(docs.extract_section(readme, "parameters"), name)
        for param, definition in template.get("Parameters", {}).items():
            assert (row(block, param)[5] == "**yes**") == ("Default" not in definition), param


def test_parameters_follow_the_launch_form_groups(readme, specs):
    _, template = specs["timestream-influxdb"]
    block = template_block(docs.extract_section(readme, "parameters"), "timestream-influxdb")
    groups = template["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
    assert first_cells(block) == [p for g in groups for p in g["Parameters"]]
    positions = [block.index(f"**{g['Label']['default']}**") for g in groups]
    assert positions == sorted(positions)


def test_output_rows_give_the_export_name_and_condition(readme):
    block = template_block(docs.extract_section(readme, "outputs"), "timestream-influxdb")
    assert row(block, "Endpoint")[2:] == ["`${AWS::StackName}-Endpoint`", "always"]
    assert row(block, "KmsKeyArn")[3] == "`CreateKmsKey`"
    assert "JSON object" in row(block, "LambdaEnvironmentVariables")[1]


def test_resource_rows_give_type_condition_and_deletion_policy(readme):
    block = template_block(docs.extract_section(readme, "resources"), "timestream-influxdb")
    assert row(block, "InfluxDBInstance")[1:] == [
        "`AWS::Timestream::InfluxDBInstance`",
        "always",
        "RetainExceptOnCreate",
    ]
    assert row(block, "KmsKeyAlias")[1:] == ["`AWS::KMS::Alias`", "`CreateKmsKey`", "Delete"]


# --- a new parameter, output or resource cannot go undocumented ------------------------------


def with_new_items(template):
    changed = copy.deepcopy(template)
    changed["Parameters"]["RetentionHours"] = {"Type": "Number", "Description": "A new knob", "MinValue": 1}
    changed["Outputs"]["NewOutput"] = {"Description": "A new output", "Value": "x"}
    changed["Resources"]["NewTopic"] = {"Type": "AWS::SNS::Topic", "Condition": "HasAlarmActions"}
    return changed


def test_a_new_parameter_output_or_resource_makes_the_readme_stale(readme, specs):
    name = "timestream-influxdb"
    changed = {**specs, name: (specs[name][0], with_new_items(specs[name][1]))}
    regenerated = docs.replace_sections(readme, docs.sections(changed))
    assert regenerated != readme
    params = template_block(docs.extract_section(regenerated, "parameters"), name)
    assert row(params, "RetentionHours")[1:] == ["A new knob", "`Number`", "—", "at least 1", "**yes**"]
    assert "RetentionHours" not in docs.extract_section(readme, "parameters")
    assert row(template_block(docs.extract_section(regenerated, "outputs"), name), "NewOutput")[2] == "—"
    assert "r_NewTopic" in docs.extract_section(regenerated, "diagram")


def test_an_ungrouped_parameter_is_still_listed():
    template = {
        "Parameters": {"A": {"Type": "String"}, "B": {"Type": "String", "Default": "x"}},
        "Metadata": {
            "AWS::CloudFormation::Interface": {
                "ParameterGroups": [{"Label": {"default": "G"}, "Parameters": ["A"]}]
            }
        },
        "Resources": {},
    }
    table = docs.parameters_table(template)
    assert first_cells(table) == ["A", "B"] and "**Other parameters**" in table


def test_a_second_registered_template_gets_its_own_reference(specs):
    launch_role = {
        "Parameters": {"RoleName": {"Type": "String", "Default": "SCLaunchRole"}},
        "Resources": {
            "LaunchRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": {"Ref": "RoleName"},
                    "AssumeRolePolicyDocument": {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": ["servicecatalog.amazonaws.com"]},
                                "Action": ["sts:AssumeRole"],
                            }
                        ]
                    },
                },
            }
        },
        "Outputs": {
            "LaunchRoleArn": {
                "Value": {"Fn::GetAtt": ["LaunchRole", "Arn"]},
                "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-LaunchRoleArn"}},
            }
        },
    }
    both = {**specs, "launch-role": ("Service Catalog launch role", launch_role)}
    generated = docs.sections(both)
    assert first_cells(generated["templates"]) == [*specs, "launch-role"]
    assert first_cells(template_block(generated["parameters"], "launch-role")) == ["RoleName"]
    assert (
        row(template_block(generated["outputs"], "launch-role"), "LaunchRoleArn")[2]
        == "`${AWS::StackName}-LaunchRoleArn`"
    )
    diagram = mermaid_blocks(generated["diagram"])[len(specs)]  # after every registered template's
    assert_plausible_mermaid(diagram)
    assert 'svc_servicecatalog_amazonaws_com -->|"assumes"| r_LaunchRole' in diagram


def test_table_cells_survive_pipes_html_and_newlines():
    template = {
        "Parameters": {
            "P": {"Type": "String", "Description": "a | b <script>\nc", "AllowedPattern": "^(x|y)$"}
        },
        "Resources": {},
    }
    (line,) = [ln for ln in docs.parameters_table(template).splitlines() if ln.startswith("| `P`")]
    cells = re.split(r"(?<!\\)\|", line)[1:-1]
    assert len(cells) == 6
    assert "&lt;script&gt;" in cells[1] and "\n" not in line


# --- the Mermaid diagram ---------------------------------------------------------------------

NODE_ID = r"[A-Za-z][A-Za-z0-9_]*"
QUOTED = r'"[^"]*"'
NODE = re.compile(rf"^({NODE_ID})(\[{QUOTED}\]|\[\({QUOTED}\)\]|\(\[{QUOTED}\]\)|\{{\{{{QUOTED}\}}\}})$")
EDGE = re.compile(rf"^({NODE_ID}) (-->|-\.->|==>)(\|{QUOTED}\|)? ({NODE_ID})$")
SUBGRAPH = re.compile(rf"^subgraph ({NODE_ID}) \[{QUOTED}\]$")
CLASS = re.compile(rf"^class ({NODE_ID}(?:,{NODE_ID})*) ({NODE_ID})$")
CLASSDEF = re.compile(rf"^classDef ({NODE_ID}) [^;]+$")
RESERVED = {
    "end",
    "graph",
    "subgraph",
    "flowchart",
    "style",
    "class",
    "classDef",
    "click",
    "default",
    "linkStyle",
}


def mermaid_blocks(markdown: str) -> list[str]:
    return re.findall(r"```mermaid\n(.*?)\n```", markdown, flags=re.S)


def assert_plausible_mermaid(text: str) -> dict[str, str]:
    """Checks the subset of flowchart syntax the generator writes; returns node id -> text."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("%%")]
    assert lines[0] in ("flowchart LR", "flowchart TD"), lines[0]
    nodes: dict[str, str] = {}
    groups: list[str] = []
    depth = 0
    edges, classes, classdefs = [], [], set()
    for line in lines[1:]:
        assert line.count('"') % 2 == 0, f"unbalanced quotes: {line}"
        if m := SUBGRAPH.match(line):
            groups.append(m.group(1))
            depth += 1
        elif line == "end":
            depth -= 1
            assert depth >= 0, "end without subgraph"
        elif m := NODE.match(line):
            assert m.group(1) not in nodes, f"node {m.group(1)} defined twice"
            nodes[m.group(1)] = m.group(2)
        elif m := EDGE.match(line):
            edges.append((m.group(1), m.group(4)))
        elif m := CLASSDEF.match(line):
            classdefs.add(m.group(1))
        elif m := CLASS.match(line):
            classes.append((m.group(1).split(","), m.group(2)))
        else:
            raise AssertionError(f"line the generator should not write: {line!r}")
    assert depth == 0, "subgraph without end"
    for ident in [*nodes, *groups]:
        assert ident not in RESERVED and not re.match(r"^[ox][A-Z_]", ident), ident
    assert not set(nodes) & set(groups)
    for src, dst in edges:
        assert src in nodes and dst in nodes, f"edge {src} -> {dst} to an undefined node"
    for members, name in classes:
        assert name in classdefs and set(members) <= set(nodes)
    return nodes


def test_the_readme_diagram_is_plausible_mermaid_with_every_resource(readme, specs):
    section = docs.extract_section(readme, "diagram")
    for name, (_, template) in specs.items():
        (diagram,) = mermaid_blocks(template_block(section, name))
        nodes = assert_plausible_mermaid(diagram)
        for logical_id in template["Resources"]:
            assert docs.node_id(logical_id) in nodes, logical_id


@pytest.fixture(scope="module")
def product_diagram(specs) -> str:
    return docs.mermaid(specs["timestream-influxdb"][1])


def edges_of(diagram: str) -> dict[tuple[str, str], str]:
    found = {}
    for line in diagram.splitlines():
        if m := EDGE.match(line.strip()):
            found[(m.group(1), m.group(4))] = (m.group(2), (m.group(3) or "").strip('|"'))
    return found


def test_diagram_shows_the_allowed_network_flows(product_diagram):
    edges = edges_of(product_diagram)
    client, db = "r_LambdaClientSecurityGroup", "r_InfluxDBSecurityGroup"
    assert edges[(client, db)] == ("==>", "tcp Port (default 8086)")
    arrow, text = edges[(client, "net_0_0_0_0_0")]
    assert arrow == "==>" and text.startswith("tcp 443")
    # No other flows: the database group's loopback egress rule matches no traffic.
    flows = [k for k, (a, _) in edges.items() if a == "==>"]
    assert sorted(flows) == sorted([(client, db), (client, "net_0_0_0_0_0")])


def test_diagram_places_the_instance_in_the_subnets_inside_the_vpc(product_diagram):
    lines = [ln.strip() for ln in product_diagram.splitlines()]
    vpc, subnets = (
        lines.index('subgraph vpc_VpcId ["VPC (parameter VpcId)"]'),
        lines.index('subgraph subnets_SubnetIds ["Subnets (parameter SubnetIds)"]'),
    )
    subnets_end = lines.index("end", subnets)
    instance = next(i for i, ln in enumerate(lines) if ln.startswith("r_InfluxDBInstance["))
    assert vpc < subnets < instance < subnets_end
    sg = next(i for i, ln in enumerate(lines) if ln.startswith("r_InfluxDBSecurityGroup["))
    assert vpc < sg < lines.index("end", subnets_end + 1)


def test_diagram_connects_secrets_key_role_log_group_and_alarms(product_diagram):
    edges = edges_of(product_diagram)
    assert edges[("r_InfluxDBInstance", "r_InfluxDBSecurityGroup")][1] == "VpcSecurityGroupIds"
    assert edges[("r_CredentialsSecret", "r_InfluxDBInstance")][1] == "SecretString"
    assert edges[("r_TokenSecret", "r_KmsKey")] == ("-.->", "KmsKeyId")
    assert edges[("r_LambdaLogGroup", "r_KmsKey")] == ("-.->", "KmsKeyId")
    assert edges[("r_LambdaExecutionRole", "r_CredentialsSecret")][1] == "Policies"
    assert edges[("svc_lambda_amazonaws_com", "r_LambdaExecutionRole")][1] == "assumes"
    assert edges[("r_LambdaExecutionRole", "r_LambdaLogGroup")][1] == "Policies (by name)"
    for alarm in (
        "CpuUtilizationAlarm",
        "MemoryUtilizationAlarm",
        "DiskUtilizationAlarm",
        "ApiRequestRateAlarm",
    ):
        assert edges[(f"r_{alarm}", "r_InfluxDBInstance")][1] == "Dimensions (by name)"
    # Names in tags and descriptions are not references.
    assert ("r_InfluxDBSecurityGroup", "r_InfluxDBInstance") not in edges
    assert ("r_KmsKey", "r_InfluxDBInstance") not in edges
    assert ("r_KmsKeyAlias", "r_InfluxDBInstance") not in edges
    # The dashboard shares the instance's name; alarms mean the instance, not the dashboard.
    assert not any(dst == "r_Dashboard" for _, dst in edges)


def test_conditional_resources_are_marked_dashed(product_diagram, specs):
    template = specs["timestream-influxdb"][1]
    conditional = {docs.node_id(k) for k, r in template["Resources"].items() if "Condition" in r}
    assert conditional == {
        "r_KmsKey",
        "r_KmsKeyAlias",
        "r_LambdaKmsPolicy",
        "r_InfluxDBApiToken",
        "r_EngineParameterGroup",
        "r_TokenRotationPermission",
        "r_TokenRotationSchedule",
    }
    (members,) = [
        ln.split()[1].split(",")
        for ln in product_diagram.splitlines()
        if ln.strip().endswith(" conditional") and ln.strip().startswith("class ")
    ]
    assert set(members) == conditional
    assert "stroke-dasharray" in product_diagram
    for node in conditional:  # boxes, or hexagons for custom resources
        assert re.search(rf"^\s*{node}(\[|\{{\{{).*<i>if \w+</i>", product_diagram, flags=re.M), node
    assert re.search(
        r"^\s*r_InfluxDBApiToken\{\{.*<i>if CreateInfluxDBToken</i>", product_diagram, flags=re.M
    )
    for (src, dst), (arrow, _) in edges_of(product_diagram).items():
        if (src in conditional or dst in conditional) and arrow != "==>":
            assert arrow == "-.->", (src, dst)


def test_new_lambda_backed_custom_resources_appear_without_code_changes(specs):
    template = copy.deepcopy(specs["timestream-influxdb"][1])
    template["Resources"]["BackupFunction"] = {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Role": {"Fn::GetAtt": ["LambdaExecutionRole", "Arn"]},
            "VpcConfig": {
                "SubnetIds": {"Ref": "SubnetIds"},
                "SecurityGroupIds": [{"Fn::GetAtt": "LambdaClientSecurityGroup.GroupId"}],
            },
            "Environment": {"Variables": {"SECRET": {"Fn::Sub": "${CredentialsSecret}"}}},
        },
    }
    template["Resources"]["BackupConfiguration"] = {
        "Type": "Custom::InfluxDBBackups",
        "Condition": "CreateKmsKey",
        "DependsOn": "InfluxDBInstance",
        "Properties": {
            "ServiceToken": {"Fn::GetAtt": ["BackupFunction", "Arn"]},
            "Instance": {"Ref": "InfluxDBInstance"},
        },
    }
    diagram = docs.mermaid(template)
    nodes = assert_plausible_mermaid(diagram)
    assert nodes["r_BackupConfiguration"].startswith("{{")
    edges = edges_of(diagram)
    assert edges[("r_BackupConfiguration", "r_BackupFunction")] == ("-.->", "ServiceToken")
    assert edges[("r_BackupConfiguration", "r_InfluxDBInstance")] == ("-.->", "Instance, DependsOn")
    assert edges[("r_BackupFunction", "r_LambdaExecutionRole")][1] == "Role"
    assert edges[("r_BackupFunction", "r_LambdaClientSecurityGroup")][1] == "VpcConfig"
    assert edges[("r_BackupFunction", "r_CredentialsSecret")][1] == "Environment"
    lines = [ln.strip() for ln in diagram.splitlines()]
    subnets = lines.index('subgraph subnets_SubnetIds ["Subnets (parameter SubnetIds)"]')
    function = next(i for i, ln in enumerate(lines) if ln.startswith("r_BackupFunction["))
    assert subnets < function < lines.index("end", subnets)


def test_labels_cannot_break_the_syntax():
    template = {
        "Resources": {
            "G": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {
                    "SecurityGroupIngress": [
                        {
                            "IpProtocol": "tcp",
                            "FromPort": 1,
                            "ToPort": 2,
                            "CidrIp": "10.0.0.0/8",
                            "Description": 'say "hi" | <b> #1',
                        }
                    ]
                },
            },
        }
    }
    diagram = docs.mermaid(template)
    assert_plausible_mermaid(diagram)
    assert "#quot;hi#quot; #124; #lt;b#gt; #35;1" in diagram
    assert edges_of(diagram)[("net_10_0_0_0_8", "r_G")][0] == "==>"


# --- docs/OPERATIONS.md ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def operations() -> str:
    return OPERATIONS.read_text()


@pytest.fixture(scope="module")
def create_only(specs):
    types = {r["Type"] for _, t in specs.values() for r in t["Resources"].values()}
    return schemas.create_only_properties(types)


def test_every_alarm_is_in_the_table_and_has_a_runbook(operations, specs):
    for name, (_, template) in specs.items():
        alarms = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"]
        if not alarms:
            continue
        block = template_block(docs.extract_section(operations, "alarms"), name)
        assert sorted(first_cells(block)) == sorted(alarms)
        for alarm in alarms:
            # A new alarm needs a hand-written "what to do" section, not only a table row.
            assert re.search(rf"^### {alarm}: ", operations, flags=re.M), f"no runbook heading for {alarm}"


def test_alarm_rows_show_metric_threshold_and_missing_data(operations):
    block = template_block(docs.extract_section(operations, "alarms"), "timestream-influxdb")
    cpu = row(block, "CpuUtilizationAlarm")
    assert "`AWS/Timestream/InfluxDB` `CPUUtilization` (Average)" in cpu[2]
    assert cpu[3] == "&gt; `CpuAlarmThreshold` (default 90)"
    assert cpu[4] == "5 of 5 × 1 min" and cpu[5] == "`missing`"
    assert row(block, "ApiRequestRateAlarm")[5] == "`notBreaching`"
    assert row(block, "DiskUtilizationAlarm")[4] == "1 of 1 × 5 min"
    assert cpu[6] == "SNS topics in `AlarmActions`"


def test_instance_create_only_properties_come_from_the_schema(create_only):
    assert create_only["AWS::Timestream::InfluxDBInstance"] == {
        "Name",
        "Username",
        "Password",
        "Organization",
        "Bucket",
        "VpcSubnetIds",
        "VpcSecurityGroupIds",
        "PubliclyAccessible",
        "NetworkType",
    }


def test_parameter_effects_follow_create_only_properties_names_and_references(specs, create_only):
    effects = docs.parameter_effects(specs["timestream-influxdb"][1], create_only)
    # In place on the instance.
    for param in ("DbInstanceClass", "AllocatedStorage", "DbStorageType", "DeploymentType"):
        assert effects[param]["replaces"] == effects[param]["refused"] == []
        assert any(x.startswith("InfluxDBInstance (") for x in effects[param]["in place"])
    # Create-only with an unchanged custom name: CloudFormation refuses.
    for param in ("Username", "Password", "Organization", "Bucket", "SubnetIds", "NetworkType"):
        assert [x.split(" ")[0] for x in effects[param]["refused"]] == ["InfluxDBInstance"], param
    # Through a reference: a new VPC replaces the security groups, whose new ids the instance can't take.
    assert "InfluxDBInstance (VpcSecurityGroupIds)" in effects["VpcId"]["refused"]
    assert any(x.startswith("InfluxDBSecurityGroup") for x in effects["VpcId"]["replaces"])
    # A new name is a new, empty instance.
    assert any(x.startswith("InfluxDBInstance (Name") for x in effects["ProjectName"]["replaces"])
    assert sorted(effects["StorageEncrypted"]["adds or removes"]) == [
        "KmsKey",
        "KmsKeyAlias",
        "LambdaKmsPolicy",
    ]
    # The admin password secret exists either way: generated, or holding the parameter's value.
    assert effects["Password"]["adds or removes"] == []
    assert "AdminPasswordSecret (GenerateSecretString, SecretString)" in effects["Password"]["in place"]


def test_parameter_effects_treat_unknown_types_as_updates_in_place():
    template = {
        "Parameters": {"Size": {"Type": "Number"}},
        "Resources": {
            "Thing": {"Type": "Custom::Thing", "Properties": {"ServiceToken": "arn", "Size": {"Ref": "Size"}}}
        },
    }
    assert docs.parameter_effects(template, {})["Size"]["in place"] == ["Thing (Size)"]


def test_a_fixed_parameter_s_row_says_it_is_refused_not_what_it_would_update():
    """A parameter the registry fixes after launch (deploy refuses its change) does not read as an
    update in place in docs/OPERATIONS.md; the other parameters' rows are unchanged."""
    template = {
        "Parameters": {"Engine": {"Type": "String"}, "Size": {"Type": "Number"}},
        "Resources": {
            "Thing": {
                "Type": "Custom::Thing",
                "Properties": {"ServiceToken": "arn", "Engine": {"Ref": "Engine"}, "Size": {"Ref": "Size"}},
            }
        },
    }
    rows = {
        line.split(" | ")[0]: line
        for line in docs.parameter_effects_table(template, {}, ("Engine",)).splitlines()
        if line.startswith("| `")
    }
    assert "fixed after launch" in rows["| `Engine`"] and "Thing (Engine)" not in rows["| `Engine`"]
    assert "Thing (Size)" in rows["| `Size`"] and "fixed" not in rows["| `Size`"]


def test_the_operations_rows_of_the_registry_s_fixed_parameters_say_so(operations):
    from templates_src.registry import TEMPLATES

    fixed = {name: spec.fixed_parameters for name, spec in TEMPLATES.items() if spec.fixed_parameters}
    assert fixed, "no registered template fixes a parameter: this test checks nothing"
    changes = docs.extract_section(operations, "changes")
    for name, parameters in fixed.items():
        block = changes.split(f"### `{name}`")[1].split("### ")[0]
        for parameter in parameters:
            (row,) = [line for line in block.splitlines() if line.startswith(f"| `{parameter}` |")]
            assert "fixed after launch" in row, (name, parameter)


def test_every_parameter_has_a_change_row_and_every_retained_resource_is_listed(operations, specs):
    for name, (_, template) in specs.items():
        changes = template_block(docs.extract_section(operations, "changes"), name)
        assert first_cells(changes) == list(template.get("Parameters", {}))
        retained = template_block(docs.extract_section(operations, "retained"), name)
        expected = [
            k
            for k, r in template["Resources"].items()
            if r.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate")
            or r.get("UpdateReplacePolicy") == "Retain"
        ]
        assert first_cells(retained) == expected


def test_operations_describes_no_command_that_does_not_exist(operations):
    commands = set(cli.parser()._subparsers._group_actions[0].choices)
    assert "build.py restore" in operations
    for command in re.findall(r"build\.py (\w+)", operations):
        assert command in commands, f"docs mention `build.py {command}`, which does not exist"


def test_operations_documents_every_restore_option(operations):
    restore = cli.parser()._subparsers._group_actions[0].choices["restore"]
    flags = {f for action in restore._actions for f in action.option_strings if f.startswith("--")} - {
        "--help"
    }
    section = operations.split("\n### Restore: `build.py restore`\n", 1)[1].split("\n### ", 1)[0]
    for flag in flags:
        assert f"`{flag}" in section, f"docs/OPERATIONS.md does not document `build.py restore {flag}`"
    assert "(pending:" not in operations


def test_readme_sections_come_in_reading_order(readme):
    text = re.sub(r"```.*?```", "", readme, flags=re.S)
    headings = re.findall(r"^## (.+)$", text, flags=re.M)
    expected = [
        "Requirements",
        "Set-up",
        "Quick start",
        "Documentation",
        "Publish to Service Catalog",
        "Deploy with CloudFormation",
        "Backups, restore and the API token",
        "Security gates",
        "Architecture",
        "Reference",
        "Parameters",
        "Outputs",
        "Resources",
    ]
    assert headings == [h for h in expected if h in headings]
    assert set(headings) <= set(expected), set(headings) - set(expected)


def test_readme_names_only_existing_commands_and_make_targets(readme):
    commands = set(cli.parser()._subparsers._group_actions[0].choices)
    for command in re.findall(r"build\.py ([a-z]+)", readme):
        assert command in commands, command
    makefile = (ROOT / "Makefile").read_text()
    # `make X` where a command stands: at the start of a line or of a code span (not in prose).
    targets = set(re.findall(r"(?:^|`)\s*make ([a-z]+)", readme, flags=re.M))
    assert {"build", "test", "docs", "deploy", "publish"} <= targets
    for target in targets:
        assert re.search(rf"^{target}:", makefile, flags=re.M), (
            f"README mentions `make {target}`, the Makefile has no such target"
        )


# --- links -----------------------------------------------------------------------------------


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    return {slug(h) for h in re.findall(r"^#{1,6} (.+)$", text, flags=re.M)}


@pytest.mark.parametrize("document", ["README.md", "docs/OPERATIONS.md", "docs/MIGRATION.md"])
def test_relative_links_and_anchors_resolve(document):
    path = ROOT / document
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"^[a-z]+://", target):
            continue
        file, _, anchor = target.partition("#")
        resolved = (path.parent / file).resolve() if file else path
        assert resolved.exists(), f"{document}: link to missing {target}"
        if anchor and resolved.suffix == ".md":
            assert anchor in anchors(resolved), f"{document}: no heading for #{anchor}"


# --- the quick start works as written --------------------------------------------------------


@pytest.mark.slow  # runs the README's example, cfn-lint included
def test_readme_library_example_runs_and_builds_a_lint_clean_template(readme):
    (snippet,) = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    printed: list[str] = []
    exec(compile(snippet, "README.md", "exec"), {"print": printed.append})
    (text,) = printed
    assert "InstanceStatus" in text and "AllowedValues:\n      - dev\n      - prod" in text
    from tooling.gates.cfn_lint import lint_text

    assert lint_text(text, "readme-example.yaml") == []


def test_readme_deploy_command_gives_every_required_parameter(readme, specs):
    _, template = specs["timestream-influxdb"]
    required = {p for p, d in template["Parameters"].items() if "Default" not in d}
    quick_start = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    (command,) = [
        b for b in re.findall(r"```sh\n(.*?)```", quick_start, flags=re.S) if "cloudformation deploy" in b
    ]
    assert "--template-file output/timestream-influxdb.yaml" in command and "CAPABILITY_IAM" in command
    given = dict(re.findall(r"(\w+)=(\S+)", command.split("--parameter-overrides", 1)[1]))
    assert set(given) == required
    from tooling.constraints import validate

    result = validate(template, given)
    assert result.ok, result.problems
    number = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}[len(required)]
    assert f"The template needs {number} values" in readme


def test_the_removal_policies_operations_names_are_the_products(product):
    """The written parts of docs/OPERATIONS.md (outside the generated sections) name removal
    policies: each one named must be one the product's resources have."""
    text = (ROOT / "docs" / "OPERATIONS.md").read_text()
    written = re.sub(r"<!-- BEGIN GENERATED.*?<!-- END GENERATED[^>]*-->", "", text, flags=re.S)
    named = set(re.findall(r"`(DeletionPolicy|UpdateReplacePolicy): (\w+)`", written))
    used = {
        (policy, r[policy])
        for r in product["Resources"].values()
        for policy in ("DeletionPolicy", "UpdateReplacePolicy")
        if policy in r
    }
    assert named and named <= used, named - used
