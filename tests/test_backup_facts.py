"""The backup and Lambda facts in service.py, re-read from botocore's model and cfn-lint's data."""

from __future__ import annotations

import botocore.session

from templates_src.timestream_influxdb import service
from tooling.cfn import schemas


def shape(name: str):
    return botocore.session.get_session().get_service_model("timestream-influxdb").shape_for(name)


def test_automated_backup_configuration_shape():
    config = shape("DbBackupConfigurationInputList").member
    assert set(config.required_members) == {"type", "retentionDays", "enabled"}
    assert {"DAILY", "CONTINUOUS"} <= set(config.members["type"].enum)
    days = config.members["retentionDays"].metadata
    assert (days["min"], days["max"]) == (
        service.AUTOMATED_BACKUP_RETENTION_MIN,
        service.AUTOMATED_BACKUP_RETENTION_MAX,
    )


def test_on_demand_backup_limits():
    model = botocore.session.get_session().get_service_model("timestream-influxdb")
    request = model.operation_model("CreateDbBackup").input_shape
    days = request.members["retentionDays"].metadata
    assert (days["min"], days["max"]) == (
        service.ON_DEMAND_BACKUP_RETENTION_MIN,
        service.ON_DEMAND_BACKUP_RETENTION_MAX,
    )
    assert request.members["name"].metadata["max"] == service.BACKUP_NAME_MAX


def test_lambda_runtime_is_supported_by_cfn_lint():
    lifecycle = schemas.additional_spec("LmbdRuntimeLifecycle")
    assert service.LAMBDA_RUNTIME in lifecycle
    from datetime import date

    assert lifecycle[service.LAMBDA_RUNTIME]["create-block"] > date.today().isoformat()
