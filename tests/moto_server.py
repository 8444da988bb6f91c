"""A moto server on 127.0.0.1 for tests that drive real AWS clients (boto3, the AWS CLI) offline.

Reusable: ``with moto_server() as server:`` gives the endpoint URL and an environment with fake
credentials and empty AWS config files, so nothing can reach a real account. The server binds a
free port and is stopped when the block exits, also on failure.

moto is a smoke test of the CLI path, never proof of correctness: it skips resource types it does
not implement (the InfluxDB instance, secrets with dynamic references, alarms) and, as patched
here, custom resources, ignores parameter constraints and NoEcho, and returns no Outputs after a
change-set deploy (each gap seen in tests/test_product_smoke_moto.py).
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
        properties["Tags"] = [{"TagKey": t["Key"], "TagValue": t["Value"]} if "Key" in t else t for t in tags]
        if isinstance(properties.get("KeyPolicy"), dict):
            properties["KeyPolicy"] = json.dumps(properties["KeyPolicy"])
        return original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    create._kms_tags_patched = True  # type: ignore[attr-defined]
    Key.create_from_cloudformation_json = classmethod(create)  # type: ignore[method-assign]


def _patch_moto_skipped_resources() -> None:
    """Two gaps of moto 5.2's CloudFormation, closed the way moto already treats unsupported types.

    * ``Fn::GetAtt`` of a resource moto skipped (a type it does not implement, such as
      AWS::Timestream::InfluxDBInstance) raises "references undefined resource", although the
      resource is declared and real CloudFormation resolves the attribute. moto resolves ``Ref`` of
      a skipped resource to nothing and drops the property; here ``Fn::GetAtt`` does the same. A
      resource the template does not declare still raises.
    * Custom resources (``Custom::*``): moto invokes the service-token function in Docker and waits
      for the function to answer the ResponseURL on moto's own server. The product's functions
      cannot run here (no Docker, no InfluxDB to call), so the stack would stay CREATE_IN_PROGRESS
      forever. moto now skips them like the types it does not implement: they are listed in the
      stack, not created, never answered. Their functions, roles and log groups are still created;
      the handlers are tested on their own (tests/test_backup_function.py, test_token_function.py).
    """
    from moto.cloudformation import parsing

    if getattr(parsing.clean_json, "_skipped_patched", False):
        return
    clean_json, resource_class_from_type = parsing.clean_json, parsing.resource_class_from_type

    def patched_clean_json(resource_json, resources_map):
        if isinstance(resource_json, dict) and "Fn::GetAtt" in resource_json:
            target = resource_json["Fn::GetAtt"]
            name = target.split(".", 1)[0] if isinstance(target, str) else target[0]
            declared = getattr(resources_map, "_resource_json_map", {})
            if name in declared and resources_map.get(name) is None:
                return None
        return clean_json(resource_json, resources_map)

    def patched_resource_class_from_type(resource_type):
        if resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource":
            return None
        return resource_class_from_type(resource_type)

    patched_clean_json._skipped_patched = True  # type: ignore[attr-defined]
    parsing.clean_json = patched_clean_json
    parsing.resource_class_from_type = patched_resource_class_from_type


@contextlib.contextmanager
def moto_server() -> Iterator[MotoServer]:
    """Start moto on 127.0.0.1 and a free port; stop it when the block exits."""
    from moto.server import ThreadedMotoServer

    _patch_moto_kms_key()
    _patch_moto_skipped_resources()
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        with tempfile.TemporaryDirectory(prefix="moto-aws-") as tmp:
            yield MotoServer(endpoint_url=f"http://127.0.0.1:{port}", env=isolated_aws_env(Path(tmp)))
    finally:
        server.stop()
