"""Engine parameters checked offline against botocore's model (templates_src/.../engine_parameters.py
and the walker it shares with functions/parameter_group.py), and the content-derived group name."""

from __future__ import annotations

import json
import re

import pytest
from botocore.validate import ParamValidator

from templates_src.registry import TEMPLATES
from templates_src.timestream_influxdb import OptionError, Options, build
from templates_src.timestream_influxdb import engine_parameters as ep
from templates_src.timestream_influxdb.functions import parameter_groups as fn

V2 = ep.INFLUXDB_V2
#: Valid text for the string members whose pattern a generic value cannot meet.
PATTERNED = {
    "dataFusionConfig": "datafusion.execution.batch_size:8192",
    "compactionMultipliers": "2,4,8,16",
    "pluginRepositorySecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:plugins-AbCdEf",
}


def valid(shape, name=""):
    """A value of ``shape`` the model accepts, built from the model itself."""
    kind, meta = shape.type_name, shape.metadata
    if kind == "structure":
        members = list(shape.members.items())
        if meta.get("union"):
            members = members[:1]
        return {n: valid(s, n) for n, s in members}
    if kind == "boolean":
        return True
    if kind in ("integer", "long"):
        return meta.get("min", 1)
    if kind in ("float", "double"):
        return meta.get("max", 1.0)
    if kind == "string":
        if shape.enum:
            return shape.enum[-1]
        if "pattern" in meta and name == "percent":
            return "50%"
        return PATTERNED.get(name, "x" * max(meta.get("min", 1), 1))
    raise AssertionError(f"no sample for {kind}")


def every_engine():
    return ep.model().shape_for("Parameters").members


def test_the_engines_are_the_members_of_the_models_parameters_union():
    assert ep.engines() == ("InfluxDBv2", "InfluxDBv3Core", "InfluxDBv3Enterprise")
    assert len(every_engine()[V2].members) == 34


@pytest.mark.parametrize("engine", ["InfluxDBv2", "InfluxDBv3Core", "InfluxDBv3Enterprise"])
def test_every_parameter_of_every_engine_is_checked(engine):
    """A full valid set passes (and botocore's own validator agrees on the request); a value of
    the wrong JSON type is refused for each parameter, naming it: every member is handled."""
    shape = every_engine()[engine]
    full = valid(shape)
    assert set(full) == set(shape.members)
    assert ep.problems(engine, full) == []
    request = {"name": "pg1", "parameters": ep.request_parameters(engine, full)}
    report = ParamValidator().validate(
        request, ep.model().operation_model("CreateDbParameterGroup").input_shape
    )
    assert not report.has_errors(), report.generate_report()
    for name in shape.members:
        (problem,) = ep.problems(engine, {name: ["not", "a", "value"]})
        assert problem.startswith(f"{engine}.{name}: ") and "; use " in problem, problem


BAD = [
    (
        {"queryConcurrency": 300},
        "InfluxDBv2.queryConcurrency: 300 is out of range; use a whole number from 0 to 256",
    ),
    ({"sessionLength": 0}, "InfluxDBv2.sessionLength: 0 is out of range; use a whole number from 1 to 2880"),
    ({"queryConcurrency": "16"}, 'InfluxDBv2.queryConcurrency: "16" is not accepted; use a whole number'),
    ({"queryConcurrency": 16.5}, "InfluxDBv2.queryConcurrency: 16.5 is not accepted; use a whole number"),
    ({"queryConcurrency": True}, "InfluxDBv2.queryConcurrency: true is not accepted; use a whole number"),
    ({"fluxLogEnabled": "yes"}, 'InfluxDBv2.fluxLogEnabled: "yes" is not accepted; use true or false'),
    ({"logLevel": "warn"}, 'InfluxDBv2.logLevel: "warn" is not accepted; use one of debug, info, error'),
    ({"querConcurrency": 16}, "InfluxDBv2 has no parameter querConcurrency; did you mean queryConcurrency?"),
    (
        {"query-concurrency": 16},
        "InfluxDBv2 has no parameter query-concurrency; did you mean queryConcurrency?",
    ),
    ({"zzz": 1}, "InfluxDBv2 has no parameter zzz; accepted: fluxLogEnabled, logLevel,"),
    (
        {"httpIdleTimeout": "3m"},
        'InfluxDBv2.httpIdleTimeout: "3m" is not accepted; use an object with durationType, value',
    ),
    ({"httpIdleTimeout": {"value": 3}}, 'InfluxDBv2.httpIdleTimeout: {"value": 3} lacks durationType;'),
    (
        {"httpIdleTimeout": {"durationType": "weeks", "value": 3}},
        'InfluxDBv2.httpIdleTimeout.durationType: "weeks" is not accepted; use one of hours, minutes,',
    ),
    (
        {"httpIdleTimeout": {"durationType": "minutes", "value": -1}},
        "InfluxDBv2.httpIdleTimeout.value: -1 is out of range; use a whole number of at least 0",
    ),
    (
        {"httpIdleTimeout": {"durationType": "minutes", "value": 3, "unit": "m"}},
        "InfluxDBv2.httpIdleTimeout has no member unit; accepted: durationType, value",
    ),
]


@pytest.mark.parametrize(("parameters", "message"), BAD, ids=[m.split(";")[0] for _, m in BAD])
def test_each_kind_of_bad_value_is_one_line_naming_parameter_value_and_what_is_accepted(parameters, message):
    (problem,) = ep.problems(V2, parameters)
    assert problem.startswith(message) and "\n" not in problem


def test_v3_kinds_unions_patterns_lengths_and_fractions():
    engine = "InfluxDBv3Enterprise"
    assert ep.problems(engine, {"forceSnapshotMemThreshold": {"percent": "50%", "absolute": 3}}) == [
        'InfluxDBv3Enterprise.forceSnapshotMemThreshold: {"percent": "50%", "absolute": 3} names 2 members; '
        "use an object with exactly one of percent, absolute"
    ]
    (pattern,) = ep.problems(engine, {"compactionMultipliers": "2,4,8"})
    assert pattern.startswith('InfluxDBv3Enterprise.compactionMultipliers: "2,4,8" ')
    (percent,) = ep.problems(engine, {"execMemPoolBytes": {"percent": "101%"}})
    assert "matching (?:100|[1-9]?[0-9])%" in percent
    (fraction,) = ep.problems(engine, {"parquetMemCachePrunePercentage": 1.5})
    assert fraction.endswith("1.5 is out of range; use a number from 0 to 1")
    assert ep.problems(engine, {"parquetMemCachePrunePercentage": 0.25, "queryFileLimit": 0}) == []


def test_unknown_engine_and_text_that_is_not_a_json_object():
    assert ep.problems("InfluxDBv4", {}) == [
        "engine 'InfluxDBv4' is not accepted; use one of InfluxDBv2, InfluxDBv3Core, InfluxDBv3Enterprise"
    ]
    assert ep.text_problems(V2, "") == [] and ep.text_problems(V2, "  ") == []
    assert ep.text_problems(V2, "[1]") == [
        "EngineParameters is [1], not a JSON object of parameter names and values"
    ]
    (broken,) = ep.text_problems(V2, "{queryConcurrency: 16}")
    assert (
        broken.startswith("EngineParameters is not a JSON object (") and '{"queryConcurrency": 16}' in broken
    )
    (twice,) = ep.text_problems(V2, '{"logLevel": "info", "logLevel": "debug"}')
    assert "names logLevel more than once" in twice
    with pytest.raises(ValueError, match="queryConcurrency: 300 is out of range; .*logLevel"):
        ep.request_parameters(V2, {"queryConcurrency": 300, "logLevel": "warn"})
    assert ep.request_parameters(V2, {"queryConcurrency": 16}) == {V2: {"queryConcurrency": 16}}


def test_group_name_is_derived_from_content_and_fits_both_name_and_identifier_patterns():
    model = ep.model()
    name_shape = model.shape_for("DbParameterGroupName")
    id_shape = model.shape_for("DbParameterGroupIdentifier")
    a = fn.group_name(V2, {"queryConcurrency": 16, "logLevel": "info"}, "ons-data-platform", "development")
    assert a == fn.group_name(
        V2, {"logLevel": "info", "queryConcurrency": 16}, "ons-data-platform", "development"
    )
    assert a.startswith("onsdataplatformdevelopment")
    others = {
        fn.group_name(V2, {"queryConcurrency": 17, "logLevel": "info"}, "ons-data-platform", "development"),
        fn.group_name(V2, {"queryConcurrency": 16, "logLevel": "info"}, "ons-data-platform", "production"),
        fn.group_name(
            "InfluxDBv3Core", {"queryConcurrency": 16, "logLevel": "info"}, "ons-data-platform", "development"
        ),
    }
    assert a not in others and len(others) == 3
    longest = fn.group_name(V2, {}, "p" * 40, "e" * 40)
    for name in (a, longest, fn.group_name(V2, {}, "9lives", "x")):
        for shape in (name_shape, id_shape):
            assert shape.metadata["min"] <= len(name) <= shape.metadata["max"], name
            assert re.fullmatch(shape.metadata["pattern"], name), (name, shape.name)


def test_the_build_option_is_checked_and_becomes_the_launch_form_default():
    with pytest.raises(OptionError, match=r"^default_engine_parameters: InfluxDBv2.logLevel: \"warn\""):
        Options(default_engine_parameters='{"logLevel": "warn"}')
    template = json.loads(
        json.dumps(build(Options(default_engine_parameters='{ "queryConcurrency": 16 }')).to_dict())
    )
    assert template["Parameters"]["EngineParameters"]["Default"] == '{"queryConcurrency":16}'
    assert json.loads(json.dumps(build().to_dict()))["Parameters"]["EngineParameters"]["Default"] == ""


def test_deploy_refuses_bad_engine_parameters_before_creating_anything():
    checks = TEMPLATES["timestream-influxdb"].value_checks
    assert checks({"EngineParameters": '{"queryConcurrency": 16}'}, "us-east-1") == []
    assert checks({"EngineParameters": ""}, None) == []
    assert checks({"EngineParameters": '{"queryConcurrency": 999}'}, None) == [
        (
            "EngineParameters",
            "InfluxDBv2.queryConcurrency: 999 is out of range; use a whole number from 0 to 256",
        )
    ]


@pytest.mark.parametrize(
    ("engine", "parameters", "theirs"),
    [
        (
            "InfluxDBv2",
            {"queryFileLimit": 100, "logLevel": "info"},
            "InfluxDBv3Core and InfluxDBv3Enterprise",
        ),
        ("InfluxDBv2", {"InfluxDBv3Enterprise": {"queryFileLimit": 100}}, "InfluxDBv3Enterprise"),
        ("InfluxDBv3Core", {"queryConcurrency": 16}, "InfluxDBv2"),
        ("InfluxDBv3Core", {"compactionRowLimit": 5}, "InfluxDBv3Enterprise"),
    ],
)
def test_another_engines_parameters_are_one_line_naming_what_the_engine_accepts(engine, parameters, theirs):
    (problem,) = ep.problems(engine, parameters)
    assert f"{theirs} parameters, not {engine}'s" in problem
    accepted = ep.model().shape_for("Parameters").members[engine].members
    assert problem.endswith(", ".join(accepted))


def test_a_misspelt_parameter_of_the_engine_is_still_a_hint_not_another_engines():
    assert ep.problems("InfluxDBv2", {"queryConcurency": 1}) == [
        "InfluxDBv2 has no parameter queryConcurency; did you mean queryConcurrency?"
    ]
