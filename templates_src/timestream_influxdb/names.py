"""Name suffixes of the product's resources: ``{project}-{environment}-<suffix>``.

Defined once so that a resource, the policy that grants access to it, the alarm that watches it
and the output that points at it all agree.
"""

INSTANCE = "influxdb"
ADMIN_PASSWORD_SECRET = "influxdb-admin-password"
CREDENTIALS_SECRET = "influxdb-credentials"
TOKEN_SECRET = "influxdb-token"
LOG_GROUP = "influxdb-clients"
KEY = "influxdb"
DASHBOARD = "influxdb"
LAMBDA_ROLE = "influxdb-lambda"
BACKUP_FUNCTION = "influxdb-backup"
TOKEN_FUNCTION = "influxdb-token"
TOKEN_WORKER_FUNCTION = "influxdb-token-worker"
TOKEN_ROTATION_FUNCTION = "influxdb-token-rotation"
PARAMETER_GROUP_FUNCTION = "influxdb-parameter-group"
#: Suffix pattern of the log groups the product's key encrypts: the clients' (LOG_GROUP) and each
#: function's (BACKUP_FUNCTION, TOKEN_FUNCTION, TOKEN_WORKER_FUNCTION, TOKEN_ROTATION_FUNCTION,
#: PARAMETER_GROUP_FUNCTION); a
#: test checks that it matches them.
LOG_GROUPS = "influxdb-*"
