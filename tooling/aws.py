"""The one way the tooling talks to AWS: sessions, clients with timeouts and bounded retries, and one
line for every failure.

Every command that calls AWS (deploy, publish, restore, preflight) makes its clients here, so each has
a connect and read timeout and botocore's standard retry mode with a bounded number of attempts: an
unreachable or black-holed endpoint ends in one clear line well within 30 seconds instead of hanging
(botocore's defaults are 60 s connect and read timeouts and legacy retries: several minutes).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Worst case for one call against a black-holed endpoint: TOTAL_ATTEMPTS x (CONNECT_TIMEOUT or
# READ_TIMEOUT) plus the standard mode's jittered back-off (under 1 s, then under 2 s): 3 x 8 + 3 = 27 s.
# Throttling is retried within the same attempts, with the same back-off.
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 8
TOTAL_ATTEMPTS = 3

# Error codes that mean the caller's credentials are not good (as the AWS services name them).
CREDENTIAL_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "AuthFailure",
    }
)
DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})


class AwsProblem(Exception):
    """A failure talking to AWS, already said in one line the user can act on."""


def client_config(**overrides: Any) -> Any:
    """botocore Config with the project's timeouts and standard-mode retries."""
    from botocore.config import Config

    settings: dict[str, Any] = {
        "connect_timeout": CONNECT_TIMEOUT,
        "read_timeout": READ_TIMEOUT,
        "retries": {"mode": "standard", "total_max_attempts": TOTAL_ATTEMPTS},
    }
    settings.update(overrides)
    return Config(**settings)


@dataclass(frozen=True)
class Target:
    """Where calls go: a named profile, a Region and an endpoint override (for a local test server)."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None


def session(target: Target) -> Any:
    """A boto3 session for the target; a missing profile is an AwsProblem, not a traceback."""
    import boto3
    import botocore.session
    from botocore.exceptions import BotoCoreError

    core = botocore.session.Session()
    core.register_component("data_loader", _loader())
    try:
        made = boto3.session.Session(
            profile_name=target.profile, region_name=target.region, botocore_session=core
        )
        core.get_scoped_config()  # reads the profile now: a missing one fails here, not in a later call
        return made
    except BotoCoreError as err:
        raise AwsProblem(explain(err)) from None


@functools.cache
def _loader() -> Any:
    """botocore's data loader, shared by every session of the process: it caches the service models
    and endpoint data it has read (a command with several Regions or sessions reads each once)."""
    from botocore.loaders import create_loader

    return create_loader()


def region_of(target: Target) -> str | None:
    """The Region calls go to, from the target, the environment or the profile (read locally)."""
    try:
        return session(target).region_name
    except AwsProblem:
        return target.region


def clients(target: Target) -> Callable[..., Any]:
    """``make(service, region=None)``: one client per (service, Region), made on first use."""
    made: list[Any] = []

    @functools.cache
    def make(service: str, region: str | None = None) -> Any:
        if not made:
            made.append(session(target))
        kwargs: dict[str, Any] = {"config": client_config()}
        if region:
            kwargs["region_name"] = region
        if target.endpoint_url:
            kwargs["endpoint_url"] = target.endpoint_url
        try:
            return made[0].client(service, **kwargs)
        except Exception as err:  # NoRegionError, an invalid endpoint URL, an unknown service...
            raise AwsProblem(explain(err)) from None

    return make


def error_code(err: BaseException) -> str:
    """The AWS error code of a ClientError ("" for anything else)."""
    response = getattr(err, "response", None)
    if not isinstance(response, dict):
        return ""
    return str(response.get("Error", {}).get("Code", ""))


def explain(err: BaseException) -> str:
    """One line that says what went wrong talking to AWS and what to do about it."""
    from botocore import exceptions as bx

    if isinstance(err, (bx.NoCredentialsError, bx.PartialCredentialsError, bx.TokenRetrievalError)):
        return (
            f"no usable AWS credentials ({err}): set AWS_PROFILE (then `aws sso login` if it uses SSO) or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, check with `aws sts get-caller-identity`"
        )
    if isinstance(err, bx.NoRegionError):
        return "no AWS Region: pass --region or set AWS_DEFAULT_REGION (or a region in your AWS profile)"
    if isinstance(err, bx.ProfileNotFound):
        return f"{err}: check --profile / AWS_PROFILE against `aws configure list-profiles`"
    if isinstance(err, (bx.ConnectTimeoutError, bx.ReadTimeoutError)):
        return (
            f"AWS did not answer in time ({err}); check the network, the Region and --endpoint-url "
            "(a proxy or firewall may be dropping the connection)"
        )
    if isinstance(err, bx.EndpointConnectionError):
        return f"cannot reach AWS ({err}); check the network, the Region and --endpoint-url"
    if isinstance(err, bx.ClientError):
        code = error_code(err)
        message = err.response.get("Error", {}).get("Message") or "no message"
        operation = getattr(err, "operation_name", "") or "a call"
        if code in CREDENTIAL_CODES:
            return f"AWS refused the credentials ({code}): refresh them (`aws sso login`, or new keys)"
        if code in DENIED_CODES:
            return f"AWS denied {operation} ({code}: {_clip(message)}): use a role allowed to do it"
        return f"AWS refused {operation} ({code}: {_clip(message)})"
    if isinstance(err, bx.BotoCoreError):
        return f"AWS call failed: {_clip(str(err))}"
    return f"{type(err).__name__}: {_clip(str(err))}"


def is_aws_error(err: BaseException) -> bool:
    """True for the exceptions botocore raises for a call (ClientError and BotoCoreError)."""
    from botocore.exceptions import BotoCoreError, ClientError

    return isinstance(err, (BotoCoreError, ClientError))


def _clip(text: str, limit: int = 300) -> str:
    """One line of at most ``limit`` characters: AWS messages can be long or multi-line."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
