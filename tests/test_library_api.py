"""templates_src as a library: another team imports a builder, changes an option, adds a resource."""

import pytest
from troposphere import Ref
from troposphere.sns import Topic

from templates_src.registry import TEMPLATES
from templates_src.timestream_influxdb import OptionError, Options, build
from tooling.gates.cfn_lint import lint_text


def test_default_options_build_the_committed_template():
    assert TEMPLATES["timestream-influxdb"].options() == Options()
    assert build().to_dict() == TEMPLATES["timestream-influxdb"].build(Options()).to_dict()


@pytest.mark.slow  # cfn-lint over a built template
def test_a_team_changes_options_adds_a_resource_and_gets_a_lint_clean_template():
    options = Options(environments=("dev", "qa", "prod"), default_environment="qa", default_port=9086)
    t = build(options)
    t.add_resource(Topic("AlertsTopic", TopicName="ons-alerts"))
    body = t.to_dict()
    assert body["Parameters"]["Environment"]["AllowedValues"] == ["dev", "qa", "prod"]
    assert body["Parameters"]["Port"]["Default"] == "9086"
    # shorter environments leave more room for the project name in the 40-character instance Name
    assert (
        body["Parameters"]["ProjectName"]["MaxLength"]
        == 40 - len("--influxdb") - len("prod")
        == options.project_name_max_length
    )
    assert "AlertsTopic" in body["Resources"]
    assert lint_text(t.to_yaml(), "custom.yaml") == []


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"environments": ()}, "at least one environment"),
        ({"environments": ("Prod",)}, "'Prod' is not accepted"),
        ({"default_environment": "qa"}, "'qa' is not one of development, staging, production"),
        ({"environments": ("a" * 31,), "default_environment": "a" * 31}, "leaves no room for a project name"),
        ({"default_allocated_storage": 19}, "out of range; use 20 to 15360"),
        ({"default_port": 8090}, "reserved"),
        ({"default_log_retention_days": 2}, "use one of 1, 3, 5"),
    ],
)
def test_invalid_options_name_the_accepted_values(kwargs, message):
    with pytest.raises(OptionError, match=message):
        Options(**kwargs)


def test_steps_can_be_reused_on_their_own():
    from troposphere import Template

    from templates_src.common import Context
    from templates_src.timestream_influxdb import network

    ctx = Context.for_template(Template())
    form = ctx.form
    form.add("VpcId", group="Network", label="VPC", Type="AWS::EC2::VPC::Id")
    form.add("Port", group="Network", label="Port", Type="Number", Default=8086)
    for name in ("ProjectName", "Environment"):
        form.add(name, group="Naming", label=name, Type="String")
    sgs = network.add_security_groups(ctx)
    assert {sgs.client.title, sgs.database.title} <= set(ctx.template.resources)
    with pytest.raises(KeyError, match="no parameter 'Nope'"):
        form.ref("Nope")
    assert form.ref("Port") == Ref("Port")


def test_an_optional_parameter_brings_its_own_condition():
    from troposphere import Template

    from templates_src.common import BuildError, Context

    ctx = Context.for_template(Template())
    ctx.form.add_optional("EngineLogBucket", group="Logs", label="Bucket", Type="String")
    ctx.form.add_optional("AlarmActions", group="Logs", label="Topics", Type="CommaDelimitedList")
    body = ctx.template.to_dict()
    assert body["Parameters"]["EngineLogBucket"]["Default"] == ""
    assert body["Conditions"] == {
        "HasEngineLogBucket": {"Fn::Not": [{"Fn::Equals": [{"Ref": "EngineLogBucket"}, ""]}]},
        # An empty CommaDelimitedList is [""]: joined, it is "" exactly when no item is given.
        "HasAlarmActions": {"Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", {"Ref": "AlarmActions"}]}, ""]}]},
    }
    assert ctx.form.if_given("EngineLogBucket").to_dict() == {
        "Fn::If": ["HasEngineLogBucket", {"Ref": "EngineLogBucket"}, {"Ref": "AWS::NoValue"}]
    }
    with pytest.raises(KeyError, match="no optional parameter 'Nope'"):
        ctx.form.if_given("Nope")
    with pytest.raises(BuildError, match="no condition Nope"):
        ctx.when("Nope")
    with pytest.raises(BuildError, match="condition HasEngineLogBucket is defined twice"):
        ctx.add_condition("HasEngineLogBucket", {"Fn::Equals": ["a", "a"]})


def test_retained_sets_both_removal_policies():
    from troposphere.logs import LogGroup

    from templates_src.common import retained

    group = retained(LogGroup("Logs"))
    # Kept on deletion, deleted when the stack's create fails; UpdateReplacePolicy has no
    # RetainExceptOnCreate.
    assert (group.to_dict()["DeletionPolicy"], group.to_dict()["UpdateReplacePolicy"]) == (
        "RetainExceptOnCreate",
        "Retain",
    )
