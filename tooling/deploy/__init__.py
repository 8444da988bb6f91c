"""Deploy a built template with CloudFormation change sets that never drop the database.

- :mod:`.params`: parameter files (read, secrets from the environment, offline validation);
- :mod:`.plan`: pure decisions (stack states, change-set analysis, stack policy);
- :mod:`.runner`: the boto3 calls, in order (``build.py deploy``).
"""
