"""Token worker: the InfluxDB v2 HTTP calls behind the API token, run in the VPC beside the instance.

A plain Lambda handler, invoked synchronously by the token function (functions/api_token.py), which
runs outside the VPC, reads and writes the secrets and answers CloudFormation. This function calls
no AWS API, so it needs no route out of the VPC: only the client->database rule.

The event: {action, url, username, password, org, bucket, description, keep, live, token}.
``description`` is the stack's marker ("<StackId> <LogicalResourceId>"), carried by every
authorization the stack makes; ``keep`` is the token the token secret holds ("" when none);
``live`` (optional) lists the tokens of the secret's other labelled versions (AWSPREVIOUS,
AWSPENDING) that clients or a rotation in progress still use: each is kept too, but only while
it is active and allows exactly read and write on ``bucket`` (a token of another bucket is not
the stack's to keep).

"ensure": the marked, active authorization whose token is ``keep`` when it allows exactly read
and write on ``bucket``; then the other marked ones (but ``live``) are revoked (nothing new has to
be stored first). Otherwise ONE new marked authorization, which the caller stores and then asks to
"revoke" the others. Returns {"id", "token", "created"}.

"revoke": revokes every marked authorization whose token is neither ``keep`` nor a usable ``live``
one. Returns {"revoked": [ids]}.

"mint": ONE new marked authorization, read and write on ``bucket``; nothing is revoked (the token
rotation's createSecret stores it as AWSPENDING). Returns {"id", "token"}.

"revoke_token": revokes the marked authorization whose token is ``token`` (a new token the
rotation could not store). Returns {"revoked": [ids]}.

"verify": whether ``token`` works: it is a marked, active authorization allowing exactly read and
write on ``bucket`` (as the admin sees it), and a request authenticated by the token alone reads
the bucket (GET /api/v2/buckets/<id>). Returns {"id"}; an error otherwise.

"revoke_ids": revokes the authorizations ``ids`` made before the marker existed: only those with no
description that allow exactly read and write on ``bucket``, the only kind that was made.

Every error comes back as {"error": "<type>: <method> <path>: <status>"}, never a credential or a
token. The event carries the admin password and a token: it is never logged.
"""

import base64
import http.client
import json
import ssl
import time
import urllib.parse
import urllib.request

from .http_once import open_once, read_body

TIMEOUT, TRIES, BACKOFF = 10, 3, 2
# Verifies the endpoint's public certificate; tests give a plain-HTTP URL instead.
CONTEXT = ssl.create_default_context()
AUTHORIZATIONS = "/api/v2/authorizations"


class ApiError(RuntimeError):
    """A failed request: ``status`` is the HTTP status, 0 when no answer came (network error)."""

    def __init__(self, method, path, status, cause=""):
        # The path without its query, the status or error type: never a credential.
        super().__init__(f"{method} {path.split('?')[0]}: {status or cause}")
        self.status = status

    @property
    def answered(self):
        """True when the server refused the request (4xx): it was not applied."""
        return 400 <= self.status < 500


def session(url):
    """``call(method, path, body=None, auth=None, retry=True)``: requests sharing a sign-in cookie.

    Returns the JSON response; retries 5xx answers and network errors (timeouts, refused
    connections, TLS failures) ``TRIES`` times when ``retry``, raises ApiError on the rest.
    """
    cookie = {}

    def call(method, path, body=None, auth=None, retry=True):
        headers = {"Content-Type": "application/json", **cookie, **({"Authorization": auth} if auth else {})}
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url + path, data, headers, method=method)
        tries = TRIES if retry else 1
        for attempt in range(tries):
            try:
                with open_once(req, TIMEOUT, CONTEXT) as r:
                    if r.headers["Set-Cookie"]:
                        cookie["Cookie"] = r.headers["Set-Cookie"].split(";")[0]
                    return json.loads(read_body(r) or "{}")
            # HTTPError (with a code), URLError, timeouts, TLS errors; a cut answer (IncompleteRead).
            except (OSError, http.client.HTTPException) as e:
                status = getattr(e, "code", 0) or 0
                if 0 < status < 500 or attempt == tries - 1:
                    raise ApiError(method, path, status, type(e).__name__) from None
            time.sleep(BACKOFF * (attempt + 1))

    return call


def signin(call, username, password):
    basic = base64.b64encode(f"{username}:{password}".encode()).decode()
    call("POST", "/api/v2/signin", auth="Basic " + basic)


def find(call, kind, query):
    """Id of the first org or bucket matching ``query``; InfluxDB answers 404 for an unknown name."""
    try:
        found = call("GET", f"/api/v2/{kind}?" + urllib.parse.urlencode(query)).get(kind)
    except ApiError as e:
        if e.status != 404:
            raise
        found = None
    if not found:
        raise LookupError(f"{kind} not found: {query}")
    return found[0]["id"]


def wanted_permissions(org_id, bucket_id):
    resource = {"type": "buckets", "id": bucket_id, "orgID": org_id}
    return [{"action": a, "resource": resource} for a in ("read", "write")]


def same_permissions(auth, wanted):
    """Whether ``auth`` allows exactly ``wanted`` (the fields that scope it; names are informative)."""

    def key(permissions):
        fields = ("type", "id", "orgID")
        return sorted((p["action"], *(p["resource"].get(f) for f in fields)) for p in permissions)

    return key(auth.get("permissions") or []) == key(wanted)


def marked(call, description):
    """The authorizations that carry ``description``: those this stack's resource made."""
    if not description.strip():
        # An empty marker would match every authorization made without a description.
        raise ValueError("no marker: refusing to select authorizations")
    return [
        a
        for a in call("GET", AUTHORIZATIONS).get("authorizations") or []
        if a.get("description") == description
    ]


def revoke_all(call, ids):
    """Revoke ``ids``; one already gone (404) counts as revoked."""
    revoked = []
    for auth_id in ids:
        try:
            call("DELETE", f"{AUTHORIZATIONS}/{auth_id}")
        except ApiError as e:
            if e.status != 404:
                raise
        revoked.append(auth_id)
    return revoked


def mint(call, org_id, wanted, description, known):
    """ONE new authorization; POST is not idempotent, so it is never repeated.

    When no answer came (the request may have been applied), the marked authorizations made since
    ``known`` are looked up: exactly one usable is adopted, any other is revoked and the error raised.
    """
    body = {"orgID": org_id, "description": description, "permissions": wanted}
    try:
        return call("POST", AUTHORIZATIONS, body, retry=False)
    except ApiError as e:
        if e.answered:
            raise
        new = [a for a in marked(call, description) if a["id"] not in known]
        usable = [a for a in new if a.get("status") == "active" and same_permissions(a, wanted)]
        if len(usable) == 1 and usable[0].get("token"):
            return usable[0]
        revoke_all(call, [a["id"] for a in new])
        raise


def target(call, event):
    """(org id, the permissions a token of the stack has: read and write on the bucket)."""
    org_id = find(call, "orgs", {"org": event["org"]})
    bucket_id = find(call, "buckets", {"name": event["bucket"], "orgID": org_id})
    return org_id, wanted_permissions(org_id, bucket_id)


def usable(auth, wanted):
    return auth.get("status") == "active" and same_permissions(auth, wanted)


def kept(auth, keep, live, wanted):
    """Whether ``auth`` stays: its token is ``keep``, or a ``live`` one still usable."""
    token = auth.get("token")
    if not token:
        return False
    return token == keep or (token in live and wanted is not None and usable(auth, wanted))


def ensure(call, event):
    org_id, wanted = target(call, event)
    description, keep = event["description"], event.get("keep") or ""
    live = set(event.get("live") or ())
    existing = marked(call, description)
    for auth in existing:
        if keep and auth.get("token") == keep and usable(auth, wanted):
            revoke_all(call, [a["id"] for a in existing if not kept(a, keep, live, wanted)])
            return {"id": auth["id"], "token": keep, "created": False}
    auth = mint(call, org_id, wanted, description, {a["id"] for a in existing})
    return {"id": auth["id"], "token": auth["token"], "created": True}


def revoke(call, event):
    keep, live = event.get("keep") or "", set(event.get("live") or ())
    # The bucket is looked up only when there is a live token to check against it.
    wanted = target(call, event)[1] if live else None
    ids = [a["id"] for a in marked(call, event["description"]) if not kept(a, keep, live, wanted)]
    return {"revoked": revoke_all(call, ids)}


def mint_one(call, event):
    org_id, wanted = target(call, event)
    known = {a["id"] for a in marked(call, event["description"])}
    auth = mint(call, org_id, wanted, event["description"], known)
    return {"id": auth["id"], "token": auth["token"]}


def revoke_token(call, event):
    token = event.get("token") or ""
    ids = [a["id"] for a in marked(call, event["description"]) if token and a.get("token") == token]
    return {"revoked": revoke_all(call, ids)}


def verify(call, event):
    org_id, wanted = target(call, event)
    token = event.get("token") or ""
    mine = [a for a in marked(call, event["description"]) if token and a.get("token") == token]
    if not (mine and usable(mine[0], wanted)):
        raise LookupError("the token is not an active marked authorization with read and write on the bucket")
    # The token alone, no session: what a client holding it does.
    bucket_id = wanted[0]["resource"]["id"]
    session(event["url"])("GET", f"/api/v2/buckets/{bucket_id}", auth="Token " + token)
    return {"id": mine[0]["id"]}


def revoke_ids(call, event):
    org_id = find(call, "orgs", {"org": event["org"]})
    wanted = wanted_permissions(org_id, find(call, "buckets", {"name": event["bucket"], "orgID": org_id}))
    listed = call("GET", AUTHORIZATIONS).get("authorizations") or []
    ids = [
        a["id"]
        for a in listed
        if a["id"] in event["ids"] and not a.get("description") and same_permissions(a, wanted)
    ]
    return {"revoked": revoke_all(call, ids)}


ACTIONS = {
    "ensure": ensure,
    "revoke": revoke,
    "revoke_ids": revoke_ids,
    "mint": mint_one,
    "revoke_token": revoke_token,
    "verify": verify,
}


def handler(event, context):
    try:
        action = ACTIONS[event["action"]]
        call = session(event["url"])
        signin(call, event["username"], event["password"])
        return action(call, event)
    except Exception as e:  # the caller decides; the message names no credential
        return {"error": f"{type(e).__name__}: {e}"}
