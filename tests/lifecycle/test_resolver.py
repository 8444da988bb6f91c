"""tooling.cfn.evaluate.Resolver: resource properties as CloudFormation hands them to a resource."""

from __future__ import annotations

import pytest

from tooling.cfn.evaluate import NeedsAWS, Resolver


def resolver(**conditions):
    return Resolver(
        {"Port": "8086", "Subnets": ["s-1", "s-2"]},
        {"AWS::StackName": "st", "Secret": "arn:secret"},
        {"Db.Endpoint": "db.example"},
        conditions.__getitem__,
    )


def test_scalars_become_strings_and_no_value_drops_keys_and_items():
    props = {
        "Timeout": 300,
        "On": True,
        "Maybe": {"Fn::If": ["Yes", "kept", {"Ref": "AWS::NoValue"}]},
        "Gone": {"Fn::If": ["No", "x", {"Ref": "AWS::NoValue"}]},
        "List": ["a", {"Fn::If": ["No", "b", {"Ref": "AWS::NoValue"}]}],
        "Nested": {"Deep": {"Ref": "Secret"}},
    }
    assert resolver(Yes=True, No=False).resolve(props) == {
        "Timeout": "300",
        "On": "true",
        "Maybe": "kept",
        "List": ["a"],
        "Nested": {"Deep": "arn:secret"},
    }


def test_sub_getatt_join_select_split():
    r = resolver()
    sub = {
        "Fn::Sub": [
            "https://${Endpoint}:${Port}/${AWS::StackName}/${Db.Endpoint}${!Literal}",
            {"Endpoint": {"Fn::GetAtt": ["Db", "Endpoint"]}},
        ]
    }
    assert r.resolve(sub) == "https://db.example:8086/st/db.example${Literal}"
    assert r.resolve({"Fn::Join": [",", {"Ref": "Subnets"}]}) == "s-1,s-2"
    assert r.resolve({"Fn::Select": ["1", {"Fn::Split": [",", "a,b"]}]}) == "b"


def test_what_needs_aws_is_refused():
    with pytest.raises(NeedsAWS):
        resolver().resolve({"Fn::ImportValue": "x"})
    with pytest.raises(NeedsAWS):
        resolver().resolve({"Ref": "Unknown"})
