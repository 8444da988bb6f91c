"""Secrets Manager's limits on a rotation schedule, as the product's parameters enforce them.

botocore's model of secretsmanager: ``RotationRulesType.AutomaticallyAfterDays`` is an
``AutomaticallyRotateAfterDaysType``, a long from 1 to 1000 (tests/test_token_rotation_template.py
reads them from the model); cfn-lint's bundled schema of AWS::SecretsManager::RotationSchedule types
``RotationRules.AutomaticallyAfterDays`` as an integer with no bounds of its own.
"""

ROTATION_DAYS_MIN, ROTATION_DAYS_MAX = 1, 1000
