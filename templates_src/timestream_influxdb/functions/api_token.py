"""Custom resource: an InfluxDB API token with read and write on the configured bucket.

No AWS API returns an InfluxDB token, so the function (in the VPC, beside the instance) signs in
to the InfluxDB v2 HTTP API with the admin credentials it reads from the credentials secret,
creates an authorization and stores its token in the credentials secret (JSON field ``token``)
and in the token secret (raw). The token goes back to CloudFormation with NoEcho and is never
logged. The physical id is the authorization id; Delete revokes it when the instance answers.

Properties: Url (https://endpoint:port), Org, Bucket, CredentialsSecretArn, TokenSecretArn.
"""

import base64
import json
import ssl
import time
import urllib.parse
import urllib.request

import boto3

from .cfn_response import properties, run

PROPERTIES = ("Url", "Org", "Bucket", "CredentialsSecretArn", "TokenSecretArn")
TIMEOUT, TRIES, BACKOFF = 10, 3, 2
# Verifies the endpoint's public certificate; tests give a plain-HTTP URL instead.
CONTEXT = ssl.create_default_context()


def session(url):
    """``call(method, path, body=None, auth=None)``: InfluxDB v2 API requests sharing a sign-in cookie.

    Returns the JSON response; retries 5xx answers and network errors (timeouts, refused
    connections, TLS failures) ``TRIES`` times, raises RuntimeError on the rest.
    """
    cookie = {}

    def call(method, path, body=None, auth=None):
        headers = {"Content-Type": "application/json", **cookie, **({"Authorization": auth} if auth else {})}
        req = urllib.request.Request(url + path, body and json.dumps(body).encode(), headers, method=method)
        for attempt in range(TRIES):
            try:
                with urllib.request.urlopen(req, timeout=TIMEOUT, context=CONTEXT) as r:
                    if r.headers["Set-Cookie"]:
                        cookie["Cookie"] = r.headers["Set-Cookie"].split(";")[0]
                    return json.loads(r.read() or "{}")
            except OSError as e:  # HTTPError (with a code), URLError, timeouts, TLS errors
                code = getattr(e, "code", 0)
                if 0 < code < 500 or attempt == TRIES - 1:
                    # The path without its query, the status or error type: never a credential.
                    raise RuntimeError(f"{method} {path.split('?')[0]}: {code or type(e).__name__}") from None
            time.sleep(BACKOFF * (attempt + 1))

    return call


def signin(call, secrets, arn):
    """Sign in with the admin credentials read from the secret ``arn``; returns them."""
    creds = json.loads(secrets.get_secret_value(SecretId=arn)["SecretString"])
    basic = base64.b64encode(f"{creds['username']}:{creds['password']}".encode())
    call("POST", "/api/v2/signin", auth="Basic " + basic.decode())
    return creds


def find(call, kind, query):
    """Id of the first org or bucket matching ``query``."""
    found = call("GET", f"/api/v2/{kind}?" + urllib.parse.urlencode(query)).get(kind)
    if not found:
        raise RuntimeError(f"{kind} not found: {query}")
    return found[0]["id"]


def create_token(call, org, bucket):
    """An authorization allowed to read and write ``bucket`` only: (id, token)."""
    org = find(call, "orgs", {"org": org})
    resource = {"type": "buckets", "id": find(call, "buckets", {"name": bucket, "orgID": org}), "orgID": org}
    permissions = [{"action": a, "resource": resource} for a in ("read", "write")]
    auth = call("POST", "/api/v2/authorizations", {"orgID": org, "permissions": permissions})
    return auth["id"], auth["token"]


def act(event, context, secrets=None):
    secrets = secrets or boto3.client("secretsmanager")
    props = properties(event, PROPERTIES)
    arn = props["CredentialsSecretArn"]
    call = session(props["Url"])
    if event["RequestType"] == "Delete":
        pid = event["PhysicalResourceId"]
        # Best effort: an instance that is gone or unreachable has nothing left to revoke, and a
        # failed revocation must not block the stack's deletion. A non-alphanumeric id is the
        # log stream name CloudFormation got when Create failed: no authorization was made.
        if pid.isalnum():
            try:
                signin(call, secrets, arn)
                call("DELETE", "/api/v2/authorizations/" + pid)
            except Exception as e:
                print("not revoked:", e)
        return None, {}  # None: the request's own physical id
    creds = signin(call, secrets, arn)
    auth_id, token = create_token(call, props["Org"], props["Bucket"])
    secrets.put_secret_value(SecretId=props["TokenSecretArn"], SecretString=token)
    secrets.put_secret_value(SecretId=arn, SecretString=json.dumps({**creds, "token": token}))
    return auth_id, {"Token": token}


def handler(event, context):
    return run(event, context, act, no_echo=True)
