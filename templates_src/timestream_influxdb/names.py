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
SECRETS_ENDPOINT = "secretsmanager-endpoint"
#: Log groups encrypted with the product's key: the clients' and each custom-resource function's.
LOG_GROUPS = "influxdb-*"
assert all(n.startswith(LOG_GROUPS[:-1]) for n in (LOG_GROUP, BACKUP_FUNCTION, TOKEN_FUNCTION))
