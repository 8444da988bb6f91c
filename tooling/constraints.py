"""Check parameter values against a template's own Parameters and Rules, offline.

CloudFormation refuses a stack operation when a parameter value breaks a
constraint of the template (type, AllowedPattern, AllowedValues, lengths,
numeric range) or a Rules assertion. Doing the same checks here lets tests
drive every constraint of a template, and lets ``deploy`` report every bad
value of a parameter file at once, before anything is sent to AWS.

What needs AWS is not checked: that an ID exists, values of
``AWS::SSM::Parameter::*`` parameters, and Rules whose evaluation reaches
``Fn::ValueOf``, ``Fn::ValueOfAll``, ``Fn::RefAll`` or a pseudo parameter
(those are listed as unchecked, and nothing is reported for them).

Values of parameters with ``NoEcho`` never appear in a message.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from .cfn.evaluate import Evaluator, MissingValue, NeedsAWS
from .cfn.evaluate import text as _text

__all__ = ["Problem", "ValidationResult", "check_parameter", "validate"]

HIDDEN = "(hidden)"

# Parameter types whose value is the *name* of an SSM parameter: the value
# CloudFormation checks is only known to AWS.
_SSM_PREFIX = "AWS::SSM::Parameter::"

# Number: an integer or a float in plain or exponent notation. Stricter than
# Python's float(), which would also take "nan", "inf" and "1_000".
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def _resource_id(prefix: str) -> re.Pattern[str]:
    # EC2 IDs: the prefix, then 8 (older) or 17 (current) lower-case hex digits.
    return re.compile(prefix + r"-(?:[0-9a-f]{8}|[0-9a-f]{17})")


# Shape of the value of each AWS-specific type that can be told offline;
# whether the resource exists needs AWS. Other AWS::* types are not shaped.
_AWS_SHAPES: dict[str, tuple[re.Pattern[str], str]] = {
    "AWS::EC2::VPC::Id": (
        _resource_id("vpc"),
        "a VPC ID (vpc- and 8 or 17 hexadecimal digits)",
    ),
    "AWS::EC2::Subnet::Id": (
        _resource_id("subnet"),
        "a subnet ID (subnet- and 8 or 17 hexadecimal digits)",
    ),
    "AWS::EC2::SecurityGroup::Id": (
        _resource_id("sg"),
        "a security group ID (sg- and 8 or 17 hexadecimal digits)",
    ),
    "AWS::EC2::Instance::Id": (
        _resource_id("i"),
        "an instance ID (i- and 8 or 17 hexadecimal digits)",
    ),
    "AWS::EC2::Image::Id": (
        _resource_id("ami"),
        "an AMI ID (ami- and 8 or 17 hexadecimal digits)",
    ),
    "AWS::EC2::Volume::Id": (
        _resource_id("vol"),
        "a volume ID (vol- and 8 or 17 hexadecimal digits)",
    ),
    # Key pair names: up to 255 ASCII characters, no leading/trailing space.
    # An empty value is refused (no key pair has that name).
    "AWS::EC2::KeyPair::KeyName": (
        re.compile(r"[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?"),
        "a key pair name (1 to 255 ASCII characters)",
    ),
    "AWS::EC2::SecurityGroup::GroupName": (
        re.compile(r"\S(?:.{0,253}\S)?"),
        "a security group name (1 to 255 characters)",
    ),
    # us-east-1a, but also Local Zones (us-west-2-lax-1a) and Wavelength
    # Zones (us-east-1-wl1-bos-wlz-1).
    "AWS::EC2::AvailabilityZone::Name": (
        re.compile(r"[a-z]{2}(?:-[a-z0-9]+)+"),
        "an Availability Zone name (such as us-east-1a)",
    ),
    "AWS::Route53::HostedZone::Id": (
        re.compile(r"[A-Z0-9]{1,32}"),
        "a hosted zone ID (upper-case letters and digits)",
    ),
}

# Up to this many parameters, an unknown key's message lists them all.
_LIST_NAMES_UP_TO = 8


@dataclass(frozen=True)
class Problem:
    """One reason CloudFormation would refuse the values.

    ``parameter`` is the parameter's logical name (or the given key, or for a
    failed Rules assertion the rule's logical name).
    """

    parameter: str
    message: str

    def __str__(self) -> str:
        return f"{self.parameter}: {self.message}"


@dataclass
class ValidationResult:
    """Everything :func:`validate` found, so a caller can print it all at once."""

    problems: list[Problem] = field(default_factory=list)
    # Rules that could not be evaluated offline (they need AWS); nothing is
    # reported for them, so a clean result does not vouch for them.
    unchecked_rules: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems


def check_parameter(name: str, definition: Mapping[str, Any], value: str) -> list[Problem]:
    """Check one value (as a string, lists comma-separated) against one parameter definition.

    Returns every problem found, empty if CloudFormation would accept the
    value as far as can be told offline.
    """
    return _check_value(name, definition, _text(value), what="")


def validate(template: Mapping[str, Any], values: Mapping[str, str]) -> ValidationResult:
    """Check parameter values against the template's Parameters and Rules.

    ``values`` maps parameter names to values as given to ``--parameter-overrides``
    or in a parameter file. Reports unknown keys, missing required values, every
    constraint violation of each parameter's value (the given one, else the
    Default) and every failed Rules assertion.
    """
    parameters: Mapping[str, Any] = template.get("Parameters") or {}
    result = ValidationResult()

    for key in values:
        if key not in parameters:
            result.problems.append(Problem(key, _unknown_key_message(key, list(parameters))))

    effective: dict[str, str] = {}
    for name, definition in parameters.items():
        given = _text(values[name]) if values.get(name) is not None else None
        default = _text(definition["Default"]) if definition.get("Default") is not None else None
        if given is None and default is None:
            result.problems.append(
                Problem(name, "a value is required: none was given and the parameter has no Default")
            )
            continue
        value = given if given is not None else default
        assert value is not None
        effective[name] = value
        result.problems.extend(_check_value(name, definition, value, what=""))
        # CloudFormation validates the Default even when a value is given: a
        # CommaDelimitedList whose Default "" broke its AllowedPattern was
        # refused with any value (aws/aws-sdk#632). So an overridden Default
        # is checked too, and reported as such.
        if given is not None and default is not None and default != given:
            result.problems.extend(_check_value(name, definition, default, what="Default "))

    _check_rules(template, parameters, effective, result)
    # The same problem can come from the value and the Default (a bad Type).
    result.problems = list(dict.fromkeys(result.problems))
    return result


# --- parameter values ---------------------------------------------------------


def _check_value(name: str, definition: Mapping[str, Any], value: str, what: str) -> list[Problem]:
    """Every problem of one value; ``what`` prefixes the value in messages ("Default ")."""
    ptype = _text(definition.get("Type", ""))
    if ptype.startswith(_SSM_PREFIX):
        return []  # the value is an SSM parameter name; AWS resolves and checks it
    kind = _split_type(ptype)
    if kind is None:
        return [Problem(name, f"type {ptype!r} is not a CloudFormation parameter type")]
    is_list, item_type = kind
    hidden = _no_echo(definition)
    description = definition.get("ConstraintDescription")

    # List types: CloudFormation splits on every comma and trims spaces around
    # each item. An empty value is not an empty list but one empty item
    # (Fn::Length of it is 1), which the item constraints then see.
    items = [item.strip() for item in value.split(",")] if is_list else [value]

    problems: list[Problem] = []
    for index, item in enumerate(items):
        shown = what + _show(item, hidden)
        if is_list:
            if len(items) == 1 and not item and not hidden:
                shown += " (an empty list is one empty item to CloudFormation)"
            else:
                shown += f" (item {index + 1} of {len(items)})"
        for is_constraint, reason in _item_reasons(item, item_type, definition, hidden):
            if is_constraint:
                # As CloudFormation does: the template's ConstraintDescription
                # stands for any broken constraint when there is one.
                explanation = _text(description) if description else reason
                message = f"{shown} is not allowed: {explanation}"
            else:
                message = f"{shown} {reason}"
            problem = Problem(name, message)
            if problem not in problems:
                problems.append(problem)
    return problems


def _item_reasons(
    item: str, item_type: str, definition: Mapping[str, Any], hidden: bool
) -> Iterator[tuple[bool, str]]:
    """Why one value (or list item) is refused: (is a constraint violation, reason)."""
    if item_type == "Number":
        if not _NUMBER.fullmatch(item):
            yield False, "is not a number"
            return
        number = Decimal(item)
        minimum, maximum = definition.get("MinValue"), definition.get("MaxValue")
        if minimum is not None and (bound := _decimal(minimum)) is not None and number < bound:
            yield True, f"must be at least {_text(minimum)}"
        if maximum is not None and (bound := _decimal(maximum)) is not None and number > bound:
            yield True, f"must be at most {_text(maximum)}"
    else:
        if item_type in _AWS_SHAPES:
            shape, kind = _AWS_SHAPES[item_type]
            if not shape.fullmatch(item):
                yield False, f"is not {kind}"
                return
        # AllowedPattern and the lengths are String constraints (CloudFormation
        # does not accept them on Number). On lists they apply to each item:
        # documented for AllowedPattern, and observed for it before it was
        # (cfn-language-discussion#35); the lengths are documented for String
        # only, and are applied per item like the other string constraints.
        pattern = definition.get("AllowedPattern")
        if pattern is not None:
            try:
                # Java's String.matches() semantics: the whole value must match. java.util.regex
                # classes \d, \s, \w and \b are ASCII-only unless UNICODE_CHARACTER_CLASS is set
                # (Pattern's documentation), so a Devanagari digit or a no-break space does not match
                # them in CloudFormation: re.ASCII gives Python the same meaning.
                matched = re.fullmatch(_text(pattern), item, re.ASCII) is not None
            except re.error as error:
                yield False, f"cannot be checked: AllowedPattern is not a valid regular expression ({error})"
            else:
                if not matched:
                    yield True, f"must match the pattern {_text(pattern)}"
        min_length, max_length = _integer(definition.get("MinLength")), _integer(definition.get("MaxLength"))
        length = "" if hidden else f" (it has {len(item)})"
        if min_length is not None and len(item) < min_length:
            yield True, f"must be at least {min_length} characters long{length}"
        if max_length is not None and len(item) > max_length:
            yield True, f"must be at most {max_length} characters long{length}"
    allowed = definition.get("AllowedValues")
    if allowed is not None:
        # Compared as strings, also for Number: the template's values are
        # strings to CloudFormation (YAML 8086 becomes "8086").
        choices = [_text(choice) for choice in allowed]
        if item not in choices:
            yield True, "must be one of: " + ", ".join(choices)


def _split_type(ptype: str) -> tuple[bool, str] | None:
    """(is a list type, type of the value or of each item), None if not a parameter type."""
    if ptype == "CommaDelimitedList":
        return True, "String"
    match = re.fullmatch(r"List<(.+)>", ptype)
    if match:
        inner = match[1]
        if inner in ("String", "Number") or (inner.startswith("AWS::") and "<" not in inner):
            return True, inner
        return None
    if ptype in ("String", "Number") or (ptype.startswith("AWS::") and "<" not in ptype):
        return False, ptype
    return None


def _no_echo(definition: Mapping[str, Any]) -> bool:
    """Whether the value must be masked (NoEcho: true, or the string "true")."""
    flag = definition.get("NoEcho", False)
    return flag is True or (isinstance(flag, str) and flag.strip().lower() == "true")


def _show(value: str, hidden: bool) -> str:
    """How a value appears in a message: never for NoEcho, quoted when blank or odd."""
    if hidden:
        return HIDDEN
    if not value or value != value.strip() or not value.isprintable():
        return repr(value)
    return value


def _decimal(value: Any) -> Decimal | None:
    """A MinValue/MaxValue as a number, None if it is not one (the template is broken)."""
    text = _text(value).strip()
    if not _NUMBER.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - _NUMBER only lets numbers through
        return None


def _integer(value: Any) -> int | None:
    """A MinLength/MaxLength as an int, None if absent or not an integer (the template is broken)."""
    text = _text(value).strip()
    return int(text) if re.fullmatch(r"[+-]?[0-9]+", text) else None


def _unknown_key_message(key: str, names: list[str]) -> str:
    """Message for a key that is not a parameter, with a hint to the right name."""
    message = "is not a parameter of this template"
    by_lower = {name.lower(): name for name in names}
    close = [by_lower[key.lower()]] if key.lower() in by_lower else difflib.get_close_matches(key, names, n=1)
    if close:
        return f"{message}; did you mean {close[0]}?"
    if not names:
        return f"{message}, which has no parameters"
    if len(names) <= _LIST_NAMES_UP_TO:
        return f"{message}; its parameters are: {', '.join(names)}"
    return message


# --- Rules --------------------------------------------------------------------


def _check_rules(
    template: Mapping[str, Any],
    parameters: Mapping[str, Any],
    effective: Mapping[str, str],
    result: ValidationResult,
) -> None:
    """Evaluate each rule's condition and assertions; add failures or unchecked rule names."""
    env: dict[str, str | list[str]] = {}
    for name, value in effective.items():
        kind = _split_type(_text(parameters[name].get("Type", "")))
        if kind is None:
            continue  # already reported; a Ref to it makes the rule unevaluable
        # In Rules a Ref gives the value as a string (also for Number) or, for
        # list types, the list of trimmed strings.
        env[name] = [item.strip() for item in value.split(",")] if kind[0] else value
    evaluator = Evaluator(env, missing={name for name in parameters if name not in effective})

    for rule_name, rule in (template.get("Rules") or {}).items():
        if not isinstance(rule, Mapping):
            result.unchecked_rules.append(rule_name)
            continue
        # Evaluated lazily, as CloudFormation does: assertions that need AWS
        # (Fn::ValueOf, Fn::ValueOfAll, Fn::RefAll, pseudo parameters) only make
        # the rule unchecked when its condition holds (or cannot be told).
        try:
            condition = rule.get("RuleCondition")
            if condition is not None and not evaluator.truth(condition):
                continue  # the rule does not apply to these values
            failures = []
            for number, assertion in enumerate(rule.get("Assertions") or [], start=1):
                if not evaluator.truth(assertion.get("Assert")):
                    description = assertion.get("AssertDescription") or f"assertion {number} is false"
                    failures.append(Problem(rule_name, f"rule assertion failed: {_text(description)}"))
        except MissingValue:
            continue  # a value is missing: that is reported; the rule cannot say more
        except NeedsAWS:
            result.unchecked_rules.append(rule_name)
            continue
        result.problems.extend(failures)
