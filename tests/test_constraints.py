"""Tests for tooling.constraints: parameter values checked the way CloudFormation does."""

from __future__ import annotations

import pytest

from tooling.constraints import Problem, ValidationResult, check_parameter, validate


def messages(problems: list[Problem]) -> list[str]:
    return [str(problem) for problem in problems]


# --- Problem ------------------------------------------------------------------


def test_problem_reads_as_one_line_naming_the_parameter() -> None:
    problems = check_parameter(
        "Port",
        {"Type": "Number", "AllowedValues": ["8086"], "ConstraintDescription": "must be 8086"},
        "8090",
    )
    assert messages(problems) == ["Port: 8090 is not allowed: must be 8086"]
    assert problems[0] == Problem("Port", "8090 is not allowed: must be 8086")


# --- String constraints -------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("abc", True),
        ("abc1", False),  # pattern matches a prefix only: the whole value must match
        ("1abc", False),  # pattern matches a suffix only
        ("", False),
    ],
)
def test_allowed_pattern_must_match_the_whole_value(value: str, ok: bool) -> None:
    problems = check_parameter("Name", {"Type": "String", "AllowedPattern": "[a-z]+"}, value)
    assert (problems == []) is ok
    if not ok:
        assert "must match the pattern [a-z]+" in problems[0].message


@pytest.mark.parametrize(("value", "ok"), [("dev", True), ("prod", True), ("Prod", False), ("test", False)])
def test_allowed_values(value: str, ok: bool) -> None:
    problems = check_parameter("Env", {"Type": "String", "AllowedValues": ["dev", "prod"]}, value)
    assert (problems == []) is ok
    if not ok:
        assert problems[0].message == f"{value} is not allowed: must be one of: dev, prod"


@pytest.mark.parametrize(
    ("value", "ok", "reason"),
    [
        ("ab", False, "must be at least 3 characters long (it has 2)"),
        ("abc", True, None),
        ("abcde", True, None),
        ("abcdef", False, "must be at most 5 characters long (it has 6)"),
    ],
)
def test_min_and_max_length(value: str, ok: bool, reason: str | None) -> None:
    problems = check_parameter("Name", {"Type": "String", "MinLength": 3, "MaxLength": 5}, value)
    assert (problems == []) is ok
    if reason:
        assert problems[0].message == f"{value} is not allowed: {reason}"


def test_constraint_description_replaces_generated_explanation_for_every_constraint() -> None:
    definition = {
        "Type": "String",
        "AllowedPattern": "[a-z]+",
        "MaxLength": 3,
        "ConstraintDescription": "lower-case letters, at most 3",
    }
    assert messages(check_parameter("Id", definition, "ABCD")) == [
        "Id: ABCD is not allowed: lower-case letters, at most 3"
    ]
    assert messages(check_parameter("Id", definition, "abcd")) == [
        "Id: abcd is not allowed: lower-case letters, at most 3"
    ]
    assert check_parameter("Id", definition, "abc") == []


def test_every_broken_constraint_is_reported_without_description() -> None:
    definition = {"Type": "String", "AllowedPattern": "[a-z]+", "MaxLength": 3}
    reported = messages(check_parameter("Id", definition, "ABCD"))
    assert reported == [
        "Id: ABCD is not allowed: must match the pattern [a-z]+",
        "Id: ABCD is not allowed: must be at most 3 characters long (it has 4)",
    ]


def test_blank_values_are_quoted_so_they_are_visible() -> None:
    problems = check_parameter("Name", {"Type": "String", "MinLength": 1}, "")
    assert problems[0].message.startswith("'' is not allowed")


def test_invalid_allowed_pattern_is_a_problem_not_a_crash() -> None:
    problems = check_parameter("Name", {"Type": "String", "AllowedPattern": "[a-"}, "a")
    assert len(problems) == 1
    assert "not a valid regular expression" in problems[0].message


# --- Number -------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "42", "-7", "+3", "3.14", ".5", "1e3", "2.5E-2"])
def test_number_accepts_integers_and_floats(value: str) -> None:
    assert check_parameter("N", {"Type": "Number"}, value) == []


@pytest.mark.parametrize("value", ["", "abc", "12a", "1,2", "nan", "inf", "1_000", " 1", "0x10"])
def test_number_refuses_non_numbers(value: str) -> None:
    problems = check_parameter("N", {"Type": "Number"}, value)
    assert len(problems) == 1
    assert problems[0].message.endswith("is not a number")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1023", "must be at least 1024"),
        ("1024", None),
        ("65535", None),
        ("65535.5", "must be at most 65535"),
        ("70000", "must be at most 65535"),
    ],
)
def test_min_and_max_value(value: str, reason: str | None) -> None:
    problems = check_parameter("Port", {"Type": "Number", "MinValue": 1024, "MaxValue": 65535}, value)
    if reason is None:
        assert problems == []
    else:
        assert messages(problems) == [f"Port: {value} is not allowed: {reason}"]


def test_number_type_error_ignores_constraint_description() -> None:
    definition = {"Type": "Number", "MinValue": 1, "ConstraintDescription": "a positive count"}
    assert messages(check_parameter("Count", definition, "many")) == ["Count: many is not a number"]
    assert messages(check_parameter("Count", definition, "0")) == [
        "Count: 0 is not allowed: a positive count"
    ]


def test_number_allowed_values_from_yaml_integers() -> None:
    definition = {"Type": "Number", "AllowedValues": [8086, 8087]}
    assert check_parameter("Port", definition, "8087") == []
    assert len(check_parameter("Port", definition, "8088")) == 1


# --- list types ---------------------------------------------------------------


def test_comma_delimited_list_pattern_applies_to_each_trimmed_item() -> None:
    definition = {"Type": "CommaDelimitedList", "AllowedPattern": r"\d+\.\d+\.\d+\.\d+/\d+"}
    # Spaces around items are trimmed, as CloudFormation does.
    assert check_parameter("Cidrs", definition, "10.0.0.0/8, 192.168.0.0/16") == []
    assert messages(check_parameter("Cidrs", definition, "10.0.0.0/8,nope,1.2.3.4/32")) == [
        r"Cidrs: nope (item 2 of 3) is not allowed: must match the pattern \d+\.\d+\.\d+\.\d+/\d+"
    ]


def test_comma_delimited_list_allowed_values_apply_to_each_item() -> None:
    definition = {"Type": "CommaDelimitedList", "AllowedValues": ["a", "b", "c"]}
    assert check_parameter("Letters", definition, "a,c") == []
    assert check_parameter("Letters", definition, "c") == []
    problems = check_parameter("Letters", definition, "a,x,b,y")
    assert [problem.message.split(" ")[0] for problem in problems] == ["x", "y"]


def test_comma_delimited_list_lengths_apply_to_each_item() -> None:
    definition = {"Type": "CommaDelimitedList", "MaxLength": 3}
    # The whole string is longer than 3, every item is not: accepted.
    assert check_parameter("Codes", definition, "abc,def,ghi") == []
    assert len(check_parameter("Codes", definition, "abc,defg")) == 1


def test_empty_list_is_one_empty_item() -> None:
    # CloudFormation reads "" as [""], so item constraints see an empty string.
    with_pattern = {"Type": "CommaDelimitedList", "AllowedPattern": "[a-z]+"}
    problems = check_parameter("Names", with_pattern, "")
    assert len(problems) == 1
    assert "empty list is one empty item" in problems[0].message
    # Without constraints an empty list is fine.
    assert check_parameter("Names", {"Type": "CommaDelimitedList"}, "") == []
    # An empty list of subnets is refused: "" is not a subnet ID.
    assert len(check_parameter("Subnets", {"Type": "List<AWS::EC2::Subnet::Id>"}, "")) == 1
    # An empty List<Number> is one empty item, which is not a number.
    assert check_parameter("Sizes", {"Type": "List<Number>"}, "")[0].message.endswith("is not a number")


def test_list_of_numbers_checks_each_item() -> None:
    definition = {"Type": "List<Number>", "MinValue": 1, "MaxValue": 10}
    assert check_parameter("Sizes", definition, "1, 5,10") == []
    assert messages(check_parameter("Sizes", definition, "1,x,11")) == [
        "Sizes: x (item 2 of 3) is not a number",
        "Sizes: 11 (item 3 of 3) is not allowed: must be at most 10",
    ]


# --- AWS-specific types -------------------------------------------------------


@pytest.mark.parametrize(
    ("ptype", "value", "ok"),
    [
        ("AWS::EC2::VPC::Id", "vpc-0123abcd", True),
        ("AWS::EC2::VPC::Id", "vpc-0123456789abcdef0", True),
        ("AWS::EC2::VPC::Id", "vpc-0123abc", False),  # 7 hex digits
        ("AWS::EC2::VPC::Id", "vpc-0123456789abcdef", False),  # 16 hex digits
        ("AWS::EC2::VPC::Id", "vpc-0123ABCD", False),  # IDs are lower-case
        ("AWS::EC2::VPC::Id", "subnet-0123abcd", False),
        ("AWS::EC2::VPC::Id", "", False),
        ("AWS::EC2::Subnet::Id", "subnet-0123456789abcdef0", True),
        ("AWS::EC2::Subnet::Id", "sg-0123456789abcdef0", False),
        ("AWS::EC2::SecurityGroup::Id", "sg-0123abcd", True),
        ("AWS::EC2::SecurityGroup::Id", "sg-xyz", False),
        ("AWS::EC2::KeyPair::KeyName", "my-key", True),
        ("AWS::EC2::KeyPair::KeyName", "", False),
        ("AWS::EC2::AvailabilityZone::Name", "eu-west-1a", True),
        ("AWS::EC2::AvailabilityZone::Name", "us-west-2-lax-1a", True),
        ("AWS::EC2::AvailabilityZone::Name", "EU-WEST-1A", False),
        ("AWS::EC2::AvailabilityZone::Name", "", False),
    ],
)
def test_aws_id_shapes(ptype: str, value: str, ok: bool) -> None:
    assert (check_parameter("P", {"Type": ptype}, value) == []) is ok


def test_aws_id_problem_says_what_was_expected() -> None:
    assert messages(check_parameter("Vpc", {"Type": "AWS::EC2::VPC::Id"}, "vpc-1")) == [
        "Vpc: vpc-1 is not a VPC ID (vpc- and 8 or 17 hexadecimal digits)"
    ]


def test_list_of_aws_ids_checks_each_item() -> None:
    definition = {"Type": "List<AWS::EC2::SecurityGroup::Id>"}
    assert check_parameter("Groups", definition, "sg-0123abcd, sg-0123456789abcdef0") == []
    problems = check_parameter("Groups", definition, "sg-0123abcd,default")
    assert messages(problems) == [
        "Groups: default (item 2 of 2) is not a security group ID (sg- and 8 or 17 hexadecimal digits)"
    ]


def test_ssm_parameter_types_are_not_checked_offline() -> None:
    definition = {"Type": "AWS::SSM::Parameter::Value<String>", "AllowedValues": ["x"]}
    assert check_parameter("Ami", definition, "/aws/service/whatever") == []


def test_unknown_type_is_a_problem_reported_once() -> None:
    problems = check_parameter("P", {"Type": "Strng"}, "x")
    assert messages(problems) == ["P: type 'Strng' is not a CloudFormation parameter type"]
    result = validate({"Parameters": {"P": {"Type": "Strng", "Default": "y"}}}, {"P": "x"})
    assert result.problems == problems


# --- NoEcho -------------------------------------------------------------------

SECRET = "Sup3rSecret-value"


@pytest.mark.parametrize(
    "definition",
    [
        {"Type": "String", "NoEcho": True, "AllowedPattern": "[a-z]+"},
        {"Type": "String", "NoEcho": "true", "MaxLength": 4},
        {"Type": "String", "NoEcho": True, "MinLength": 40},
        {"Type": "String", "NoEcho": True, "AllowedValues": ["a", "b"]},
        {"Type": "String", "NoEcho": True, "AllowedPattern": "[a-z]+", "ConstraintDescription": "letters"},
        {"Type": "Number", "NoEcho": True},
        {"Type": "AWS::EC2::KeyPair::KeyName", "NoEcho": True, "AllowedValues": ["k"]},
        {"Type": "CommaDelimitedList", "NoEcho": True, "AllowedPattern": "[a-z]+"},
    ],
)
def test_no_echo_value_never_appears(definition: dict) -> None:
    for value in (SECRET, f"ok,{SECRET}", f" {SECRET} "):
        problems = check_parameter("Password", definition, value)
        assert problems, "the secret breaks a constraint, so a problem is expected"
        for text in messages(problems):
            assert SECRET not in text
            assert "(hidden)" in text
            assert "(it has" not in text  # not even its length


def test_no_echo_default_and_given_value_never_appear_in_validate() -> None:
    template = {
        "Parameters": {
            "Password": {
                "Type": "String",
                "NoEcho": True,
                "Default": "Default-Secret-1",
                "AllowedPattern": "[a-z]+",
            }
        }
    }
    result = validate(template, {"Password": SECRET})
    assert len(result.problems) == 2  # the given value and the Default
    for text in messages(result.problems):
        assert SECRET not in text and "Default-Secret-1" not in text
        assert "(hidden)" in text


# --- validate -----------------------------------------------------------------

TEMPLATE = {
    "Parameters": {
        "Environment": {"Type": "String", "AllowedValues": ["dev", "prod"], "Default": "dev"},
        "Port": {"Type": "Number", "MinValue": 1024, "MaxValue": 65535, "Default": 8086},
        "BucketName": {"Type": "String", "AllowedPattern": "[a-z0-9.-]{3,63}"},
        "Subnets": {"Type": "List<AWS::EC2::Subnet::Id>"},
    }
}
GOOD = {"BucketName": "my-bucket", "Subnets": "subnet-0123abcd,subnet-4567cdef"}


def test_validate_accepts_good_values() -> None:
    result = validate(TEMPLATE, GOOD)
    assert result == ValidationResult(problems=[], unchecked_rules=[])
    assert result.ok


def test_validate_reports_every_problem_at_once() -> None:
    result = validate(
        TEMPLATE,
        {"Environment": "qa", "Port": "80", "BucketName": "My_Bucket", "Subnets": "subnet-x", "Prot": "1"},
    )
    assert not result.ok
    assert sorted({problem.parameter for problem in result.problems}) == [
        "BucketName",
        "Environment",
        "Port",
        "Prot",
        "Subnets",
    ]


def test_unknown_key_suggests_the_closest_name() -> None:
    result = validate(TEMPLATE, {**GOOD, "Enviroment": "prod"})
    assert messages(result.problems) == [
        "Enviroment: is not a parameter of this template; did you mean Environment?"
    ]


def test_unknown_key_matches_names_ignoring_case() -> None:
    result = validate(TEMPLATE, {**GOOD, "port": "8086"})
    assert result.problems[0].message.endswith("did you mean Port?")


def test_unknown_key_lists_the_parameters_when_nothing_is_close() -> None:
    result = validate(TEMPLATE, {**GOOD, "Zzzzzz": "1"})
    assert messages(result.problems) == [
        "Zzzzzz: is not a parameter of this template;"
        " its parameters are: Environment, Port, BucketName, Subnets"
    ]


def test_unknown_key_in_template_without_parameters() -> None:
    result = validate({"Resources": {}}, {"Anything": "1"})
    assert messages(result.problems) == [
        "Anything: is not a parameter of this template, which has no parameters"
    ]


def test_missing_required_values_are_reported() -> None:
    result = validate(TEMPLATE, {})
    assert [problem.parameter for problem in result.problems] == ["BucketName", "Subnets"]
    assert all("a value is required" in problem.message for problem in result.problems)


def test_empty_string_is_a_value_not_a_missing_one() -> None:
    template = {"Parameters": {"Suffix": {"Type": "String"}}}
    assert validate(template, {"Suffix": ""}).ok


def test_defaults_are_checked_when_no_value_is_given() -> None:
    template = {"Parameters": {"Port": {"Type": "Number", "MaxValue": 100, "Default": "8086"}}}
    result = validate(template, {})
    assert messages(result.problems) == ["Port: 8086 is not allowed: must be at most 100"]
    good_default = {"Parameters": {"Port": {"Type": "Number", "MaxValue": 100, "Default": 80}}}
    assert validate(good_default, {}).ok


def test_a_bad_default_is_reported_even_when_a_value_is_given() -> None:
    template = {
        "Parameters": {"Names": {"Type": "CommaDelimitedList", "Default": "", "AllowedPattern": r"\w+"}}
    }
    result = validate(template, {"Names": "dev,test"})
    assert len(result.problems) == 1
    assert result.problems[0].message.startswith("Default '' (an empty list is one empty item")


def test_a_given_value_overrides_a_good_default() -> None:
    result = validate(TEMPLATE, {**GOOD, "Environment": "qa"})
    assert messages(result.problems) == ["Environment: qa is not allowed: must be one of: dev, prod"]


# --- Rules --------------------------------------------------------------------


def rules_template(rules: dict) -> dict:
    return {
        "Parameters": {
            "Environment": {"Type": "String", "AllowedValues": ["dev", "prod"], "Default": "dev"},
            "Port": {"Type": "Number", "Default": "8086"},
            "Backups": {"Type": "String", "AllowedValues": ["true", "false"], "Default": "false"},
            "Zones": {"Type": "CommaDelimitedList", "Default": "a, b"},
            "Vpc": {"Type": "AWS::EC2::VPC::Id"},
        },
        "Rules": rules,
    }


PROD_NEEDS_BACKUPS = {
    "ProdNeedsBackups": {
        "RuleCondition": {"Fn::Equals": [{"Ref": "Environment"}, "prod"]},
        "Assertions": [
            {
                "Assert": {"Fn::Equals": [{"Ref": "Backups"}, "true"]},
                "AssertDescription": "Production stacks must enable backups",
            }
        ],
    }
}
VPC = {"Vpc": "vpc-0123abcd"}


def test_rule_that_passes() -> None:
    result = validate(rules_template(PROD_NEEDS_BACKUPS), {**VPC, "Environment": "prod", "Backups": "true"})
    assert result.ok
    assert result.unchecked_rules == []


def test_rule_that_fails_reports_its_assert_description() -> None:
    result = validate(rules_template(PROD_NEEDS_BACKUPS), {**VPC, "Environment": "prod"})
    assert messages(result.problems) == [
        "ProdNeedsBackups: rule assertion failed: Production stacks must enable backups"
    ]


def test_rule_whose_condition_is_false_is_skipped() -> None:
    # Backups defaults to "false", which would fail the assertion if it applied.
    result = validate(rules_template(PROD_NEEDS_BACKUPS), {**VPC, "Environment": "dev"})
    assert result.ok
    assert result.unchecked_rules == []


def test_every_failed_assertion_is_reported() -> None:
    rules = {
        "Both": {
            "Assertions": [
                {"Assert": {"Fn::Equals": [{"Ref": "Environment"}, "prod"]}, "AssertDescription": "first"},
                {"Assert": {"Fn::Equals": [{"Ref": "Backups"}, "true"]}},
            ]
        }
    }
    result = validate(rules_template(rules), VPC)
    assert messages(result.problems) == [
        "Both: rule assertion failed: first",
        "Both: rule assertion failed: assertion 2 is false",
    ]


@pytest.mark.parametrize(
    "assertion",
    [
        {"Fn::Not": [{"Fn::Equals": [{"Fn::ValueOf": ["Vpc", "Tags"]}, "x"]}]},
        {"Fn::Contains": [{"Fn::RefAll": "AWS::EC2::VPC::Id"}, {"Ref": "Vpc"}]},
        {"Fn::EachMemberIn": [{"Fn::ValueOfAll": ["AWS::EC2::VPC::Id", "Tags"]}, ["x"]]},
        {"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]},
    ],
)
def test_rule_that_needs_aws_is_unchecked_and_reports_nothing(assertion: dict) -> None:
    rules = {
        "NeedsAws": {
            "Assertions": [
                # This one alone would fail offline; nothing is reported for the rule.
                {"Assert": {"Fn::Equals": [{"Ref": "Environment"}, "prod"]}, "AssertDescription": "env"},
                {"Assert": assertion, "AssertDescription": "needs AWS"},
            ]
        },
        "Offline": {"Assertions": [{"Assert": {"Fn::Equals": [{"Ref": "Environment"}, "dev"]}}]},
    }
    result = validate(rules_template(rules), VPC)
    assert result.unchecked_rules == ["NeedsAws"]
    assert result.problems == []


def test_rule_needing_aws_whose_condition_is_false_is_fully_checked() -> None:
    # CloudFormation does not evaluate the assertions when the condition is
    # false, so AWS is not needed for these values.
    rules = {
        "ProdVpcTagged": {
            "RuleCondition": {"Fn::Equals": [{"Ref": "Environment"}, "prod"]},
            "Assertions": [{"Assert": {"Fn::Contains": [{"Fn::ValueOf": ["Vpc", "Tags"]}, "prod"]}}],
        }
    }
    assert validate(rules_template(rules), VPC) == ValidationResult(problems=[], unchecked_rules=[])
    prod = validate(rules_template(rules), {**VPC, "Environment": "prod"})
    assert prod.unchecked_rules == ["ProdVpcTagged"]
    assert prod.problems == []


def test_rule_ref_to_number_compares_as_string() -> None:
    def rule(literal: object) -> dict:
        assertion = {"Assert": {"Fn::Equals": [{"Ref": "Port"}, literal]}, "AssertDescription": "d"}
        return {"R": {"Assertions": [assertion]}}

    assert validate(rules_template(rule("8086")), VPC).ok
    assert validate(rules_template(rule(8086)), VPC).ok  # YAML integer literal
    # "8086.0" is the same number but not the same string.
    assert not validate(rules_template(rule("8086")), {**VPC, "Port": "8086.0"}).ok


@pytest.mark.parametrize(
    ("expression", "holds"),
    [
        ({"Fn::Contains": [["dev", "prod"], {"Ref": "Environment"}]}, True),
        ({"Fn::Contains": [["prod"], {"Ref": "Environment"}]}, False),
        ({"Fn::EachMemberIn": [{"Ref": "Zones"}, ["a", "b", "c"]]}, True),
        ({"Fn::EachMemberIn": [{"Ref": "Zones"}, ["a", "c"]]}, False),
        ({"Fn::EachMemberEquals": [{"Ref": "Zones"}, "a"]}, False),
        ({"Fn::EachMemberEquals": [["a", "a"], "a"]}, True),
        ({"Fn::Equals": [{"Ref": "Zones"}, ["a", "b"]]}, True),  # list Ref: trimmed items
        (
            {
                "Fn::And": [
                    {"Fn::Equals": [{"Ref": "Environment"}, "dev"]},
                    {"Fn::Not": [{"Fn::Equals": [{"Ref": "Backups"}, "true"]}]},
                ]
            },
            True,
        ),
        (
            {
                "Fn::And": [
                    {"Fn::Equals": [{"Ref": "Environment"}, "dev"]},
                    {"Fn::Equals": [{"Ref": "Backups"}, "true"]},
                ]
            },
            False,
        ),
        (
            {
                "Fn::Or": [
                    {"Fn::Equals": [{"Ref": "Environment"}, "prod"]},
                    {"Fn::Equals": [{"Ref": "Backups"}, "false"]},
                ]
            },
            True,
        ),
        (
            {
                "Fn::Or": [
                    {"Fn::Equals": [{"Ref": "Environment"}, "prod"]},
                    {"Fn::Equals": [{"Ref": "Backups"}, "true"]},
                ]
            },
            False,
        ),
    ],
)
def test_rule_functions(expression: dict, holds: bool) -> None:
    rules = {"R": {"Assertions": [{"Assert": expression, "AssertDescription": "the expression is false"}]}}
    result = validate(rules_template(rules), VPC)
    assert result.unchecked_rules == []
    assert result.ok is holds
    if not holds:
        assert messages(result.problems) == ["R: rule assertion failed: the expression is false"]


def test_rule_about_a_missing_value_adds_nothing_to_the_missing_value_problem() -> None:
    rules = {"R": {"Assertions": [{"Assert": {"Fn::Equals": [{"Ref": "Vpc"}, "vpc-0123abcd"]}}]}}
    result = validate(rules_template(rules), {})
    assert [problem.parameter for problem in result.problems] == ["Vpc"]
    assert result.unchecked_rules == []


# java.util.regex: \d, \s and \w are ASCII-only unless UNICODE_CHARACTER_CLASS is set, so
# CloudFormation's AllowedPattern refuses other scripts' digits and the no-break space for them.
@pytest.mark.parametrize(
    ("pattern", "value"),
    [
        (r"^\d+$", "\u0663"),  # ARABIC-INDIC DIGIT THREE
        (r"^\d+$", "\uff11\uff12"),  # FULLWIDTH DIGITS
        (r"^a\sb$", "a\u00a0b"),  # NO-BREAK SPACE
        (r"^\w+$", "caf\u00e9"),
    ],
)
def test_allowed_pattern_classes_are_ascii_as_in_java(pattern: str, value: str) -> None:
    assert check_parameter("P", {"Type": "String", "AllowedPattern": pattern}, value)


def test_a_number_in_other_digits_is_not_a_number() -> None:
    assert check_parameter("N", {"Type": "Number"}, "\u0662\u0660") == [
        Problem("N", "\u0662\u0660 is not a number")
    ]
