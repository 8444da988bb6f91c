"""Rotation of the API token through whole stack lifecycles: the rendered template's inlined
rotation function, driven as Secrets Manager drives it (:class:`lifecycle.aws.Rotation`), beside
the token resource that CloudFormation drives (:class:`lifecycle.harness.Stack`).

The token secret is moto's; the rotation function invokes the token worker in process, which
talks HTTPS to the stateful InfluxDB v2 fake. What the schedule does in AWS is modelled where the
test says so: creating it turns rotation on and rotates at once (``Rotation.enable``, ``rotate``),
deleting it calls CancelRotateSecret (``Rotation.cancel``). Each test asserts END STATES: which
marked authorizations are active, what the AWSCURRENT and AWSPREVIOUS versions hold.
"""

from __future__ import annotations

import pytest

from lifecycle import test_token_lifecycle as token_lifecycle
from lifecycle.aws import ROTATION_STEPS, Rotation
from lifecycle.harness import dependencies
from lifecycle.test_token_lifecycle import TOKEN, longer_timeout, marker, posts, values

# The token lifecycle's fixtures: its InfluxDB fake (HTTPS), moto's secrets, the stack.
aws, defaults, influx, moto = (
    token_lifecycle.aws,
    token_lifecycle.defaults,
    token_lifecycle.influx,
    token_lifecycle.moto,
)
server, stack = token_lifecycle.server, token_lifecycle.stack

FUNCTION = "TokenRotationFunction"
SCHEDULE = "TokenRotationSchedule"
PERMISSION = "TokenRotationPermission"


def on(influx, days="30", **more):
    return values(influx, TokenRotationDays=days, **more)


@pytest.fixture
def rotation(stack, aws):
    sm, _, token_arn = aws
    return Rotation(sm, token_arn, lambda event: stack.call(FUNCTION, event))


def labelled(aws, stage):
    sm, _, token_arn = aws
    try:
        return sm.get_secret_value(SecretId=token_arn, VersionStage=stage)["SecretString"]
    except sm.exceptions.ResourceNotFoundException:
        return None


def live_tokens(stack, influx):
    return sorted(a["token"] for a in influx.live(marker(stack)))


def current_and_previous(stack, influx, aws):
    """The end state after a rotation: exactly the AWSCURRENT and AWSPREVIOUS tokens live, both valid,
    and no other authorization at all."""
    current, previous = labelled(aws, "AWSCURRENT"), labelled(aws, "AWSPREVIOUS")
    assert current and previous and current != previous
    assert live_tokens(stack, influx) == sorted([current, previous])
    assert len(influx.live()) == 2 and influx.valid(current) and influx.valid(previous)
    return current, previous


def created_with_rotation(stack, influx, rotation):
    """CreateStack with rotation on; the schedule, made after the token resource, turns rotation on
    and rotates at once (RotateSecret's default)."""
    op = stack.create(on(influx))
    assert op.status == "CREATE_COMPLETE"
    assert stack.exists(SCHEDULE) and stack.exists(PERMISSION)
    rotation.enable()
    assert rotation.rotate() is None
    return op


# --- create ------------------------------------------------------------------------------------
def test_the_schedule_comes_after_the_token_resource_and_the_permission(rendered_product):
    """The first rotation starts when the schedule is created: the secret must hold the token
    resource's token by then, and Secrets Manager must be allowed to invoke the function."""
    graph = dependencies(rendered_product)
    assert {TOKEN, PERMISSION} <= graph[SCHEDULE]


def test_a_stack_created_with_rotation_rotates_at_once_and_keeps_the_first_token_as_previous(
    stack, influx, aws, rotation
):
    op = stack.create(on(influx))
    (first,) = influx.live(marker(stack))
    assert labelled(aws, "AWSCURRENT") == first["token"] and op.of(TOKEN)[0].ok
    rotation.enable()
    assert rotation.rotate() is None
    assert [step for step, _ in rotation.invocations] == list(ROTATION_STEPS)
    current, previous = current_and_previous(stack, influx, aws)
    assert previous == first["token"]  # clients that cached it keep working
    assert posts(influx) == 2


def test_two_rotations_revoke_the_oldest_token_and_keep_the_previous(stack, influx, aws, rotation):
    created_with_rotation(stack, influx, rotation)
    first_current, first_previous = current_and_previous(stack, influx, aws)
    assert rotation.rotate() is None
    current, previous = current_and_previous(stack, influx, aws)
    assert previous == first_current and current not in (first_current, first_previous)
    assert not influx.valid(first_previous)  # two generations old: revoked


def test_rotation_is_off_by_default_and_without_a_stack_made_token(stack, influx):
    stack.create(values(influx))
    assert not stack.exists(SCHEDULE) and not stack.exists(PERMISSION)
    stack.delete()
    stack.create(on(influx, InfluxDBToken="given-token"))
    assert not stack.exists(SCHEDULE) and not stack.exists(PERMISSION)


# --- retries -----------------------------------------------------------------------------------
def test_a_rotation_that_fails_at_test_secret_is_retried_without_a_second_token(stack, influx, aws, rotation):
    created_with_rotation(stack, influx, rotation)
    before_current, _ = current_and_previous(stack, influx, aws)
    made = posts(influx)
    influx.down()  # the instance out of reach once createSecret made the token
    error = rotation.rotate(steps=ROTATION_STEPS[:1])
    assert isinstance(error, RuntimeError)  # the worker could not reach InfluxDB: no token made
    influx.up()
    assert rotation.retry(ROTATION_STEPS[:1]) is None  # createSecret again: one token made
    assert posts(influx) == made + 1
    assert rotation.retry() is None  # Secrets Manager's retry of the whole rotation
    assert posts(influx) == made + 1  # createSecret found the token stored: nothing new
    current, previous = current_and_previous(stack, influx, aws)
    assert previous == before_current


def test_a_finish_secret_repeated_after_success_changes_nothing(stack, influx, aws, rotation):
    created_with_rotation(stack, influx, rotation)
    before = current_and_previous(stack, influx, aws)
    assert rotation.retry(ROTATION_STEPS[3:]) is None
    assert current_and_previous(stack, influx, aws) == before


# --- updates -----------------------------------------------------------------------------------
def test_an_update_of_the_token_resource_after_a_rotation_keeps_every_labelled_token(
    stack, influx, aws, rotation, rendered_product
):
    created_with_rotation(stack, influx, rotation)
    before = current_and_previous(stack, influx, aws)
    made = posts(influx)
    op = stack.update(template=longer_timeout(rendered_product))
    assert op.status == "UPDATE_COMPLETE" and op.calls == [("forward", "Update", TOKEN)]
    assert current_and_previous(stack, influx, aws) == before and posts(influx) == made


def test_an_update_in_the_middle_of_a_rotation_keeps_the_pending_token(
    stack, influx, aws, rotation, rendered_product
):
    created_with_rotation(stack, influx, rotation)
    current, _ = current_and_previous(stack, influx, aws)
    assert rotation.rotate(steps=ROTATION_STEPS[:2]) is None
    pending = labelled(aws, "AWSPENDING")
    assert stack.update(template=longer_timeout(rendered_product)).status == "UPDATE_COMPLETE"
    assert influx.valid(pending) and influx.valid(current)
    assert rotation.retry(ROTATION_STEPS[2:]) is None  # testSecret and finishSecret go on
    new_current, previous = current_and_previous(stack, influx, aws)
    assert (new_current, previous) == (pending, current)


def test_a_revoked_current_token_is_replaced_by_an_update_and_the_previous_stays(
    stack, influx, aws, rotation, rendered_product
):
    created_with_rotation(stack, influx, rotation)
    current, previous = current_and_previous(stack, influx, aws)
    (auth,) = [a for a in influx.live(marker(stack)) if a["token"] == current]
    del influx.authorizations[auth["id"]]
    assert stack.update(template=longer_timeout(rendered_product)).status == "UPDATE_COMPLETE"
    new_current = labelled(aws, "AWSCURRENT")
    assert new_current != current and influx.valid(new_current)
    # The stored token moved AWSPREVIOUS to the revoked one; the older previous token was kept by
    # the update and is revoked by the next rotation's finishSecret.
    assert influx.valid(previous)
    assert rotation.rotate() is None
    assert current_and_previous(stack, influx, aws)[1] == new_current and not influx.valid(previous)


def test_turning_rotation_off_cancels_it_and_keeps_the_tokens(stack, influx, aws, rotation):
    created_with_rotation(stack, influx, rotation)
    before = current_and_previous(stack, influx, aws)
    assert stack.update({"TokenRotationDays": "0"}).status == "UPDATE_COMPLETE"
    assert not stack.exists(SCHEDULE) and not stack.exists(PERMISSION)
    rotation.cancel()  # what deleting the schedule does
    # Anyone still invoking the function is refused: rotation is not enabled for the secret.
    error = rotation.rotate()
    assert isinstance(error, ValueError) and "not enabled" in str(error)
    assert current_and_previous(stack, influx, aws) == before


def test_an_interval_change_keeps_rotating(stack, influx, aws, rotation):
    created_with_rotation(stack, influx, rotation)
    first_current, _ = current_and_previous(stack, influx, aws)
    assert stack.update({"TokenRotationDays": "7"}).status == "UPDATE_COMPLETE"
    assert stack.exists(SCHEDULE)
    assert rotation.rotate() is None  # RotateImmediatelyOnUpdate unset: a rotation at once
    assert current_and_previous(stack, influx, aws)[1] == first_current


# --- delete ------------------------------------------------------------------------------------
def test_stack_delete_after_rotations_revokes_every_token_the_stack_made(stack, influx, aws, rotation):
    created_with_rotation(stack, influx, rotation)
    assert rotation.rotate() is None
    operator = influx.add_authorization(description="")  # made by hand: not the stack's
    rotation.cancel()  # the schedule goes first: it depends on the token resource
    assert stack.delete().status == "DELETE_COMPLETE"
    assert influx.live(marker(stack)) == [] and influx.live() == [operator]
    # The retained secret still holds the last token, now revoked: the stack is gone.
    assert labelled(aws, "AWSCURRENT") is not None


def test_a_request_for_another_secret_is_refused_and_does_nothing(stack, influx, aws, rotation):
    sm, _, _ = aws
    created_with_rotation(stack, influx, rotation)
    before = current_and_previous(stack, influx, aws)
    other = sm.create_secret(Name="someone-elses-token", SecretString="theirs")["ARN"]
    foreign = Rotation(sm, other, lambda event: stack.call(FUNCTION, event))
    foreign.enable()
    error = foreign.rotate()
    assert isinstance(error, ValueError) and "not this stack's token secret" in str(error)
    assert current_and_previous(stack, influx, aws) == before
    assert sm.get_secret_value(SecretId=other)["SecretString"] == "theirs"
