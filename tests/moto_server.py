"""A moto server on 127.0.0.1 for tests that drive real AWS clients (boto3, the AWS CLI) offline.

Reusable: ``with moto_server() as server:`` gives the endpoint URL and an environment with fake
credentials and empty AWS config files, so nothing can reach a real account. The server binds a
free port and is stopped when the block exits, also on failure.

moto is a smoke test of the CLI path, never proof of correctness: it skips resource types it does
not implement (the InfluxDB instance, secrets with dynamic references, alarms), ignores parameter
constraints and NoEcho, and returns no Outputs after a change-set deploy (see DESIGN.md).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REGION = "us-east-1"


@dataclass(frozen=True)
class MotoServer:
    endpoint_url: str
    #: Environment for subprocesses and boto3: fake credentials, no real config or credentials file.
    env: dict[str, str]

    def client(self, service: str):
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def isolated_aws_env(directory: Path) -> dict[str, str]:
    """os.environ without any AWS_* setting, plus fake credentials and empty config files."""
    config = directory / "aws-config"
    credentials = directory / "aws-credentials"
    config.write_text("")
    credentials.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=str(config),
        AWS_SHARED_CREDENTIALS_FILE=str(credentials),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_PAGER="",
    )
    return env


def _patch_moto_kms_key() -> None:
    """Two moto 5.2 bugs in AWS::KMS::Key from CloudFormation, both answered with a 500: it passes
    the template's {Key, Value} tags to a tagger that expects KMS's {TagKey, TagValue}, and stores
    the KeyPolicy object where DescribeKey expects a JSON string. Translate both."""
    from moto.kms.models import Key

    original = Key.create_from_cloudformation_json.__func__
    if getattr(original, "_kms_tags_patched", False):
        return

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        properties = cloudformation_json.get("Properties", {})
        tags = properties.get("Tags") or []
        properties["Tags"] = [
            {"TagKey": t["Key"], "TagValue": t["Value"]} if "Key" in t else t for t in tags
        ]
        if isinstance(properties.get("KeyPolicy"), dict):
            properties["KeyPolicy"] = json.dumps(properties["KeyPolicy"])
        return original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    create._kms_tags_patched = True  # type: ignore[attr-defined]
    Key.create_from_cloudformation_json = classmethod(create)  # type: ignore[method-assign]


@contextlib.contextmanager
def moto_server() -> Iterator[MotoServer]:
    """Start moto on 127.0.0.1 and a free port; stop it when the block exits."""
    from moto.server import ThreadedMotoServer

    _patch_moto_kms_key()
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        with tempfile.TemporaryDirectory(prefix="moto-aws-") as tmp:
            yield MotoServer(endpoint_url=f"http://127.0.0.1:{port}", env=isolated_aws_env(Path(tmp)))
    finally:
        server.stop()
