"""One HTTP request of a worker to InfluxDB: a redirect is never followed, an answer over
``MAX_BODY`` bytes is not read.

Shared, not copied: :func:`templates_src.timestream_influxdb.functions.inline` inlines this module
into a worker's ``index.py``.
"""

import http.client
import urllib.request

#: The largest answer read, in bytes: the JSON answers of the calls the workers make are a few
#: kilobytes (a list of authorizations of one user, a token, an empty body).
MAX_BODY = 1 << 20


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuses every redirect. urllib would follow one with the request's headers, the
    Authorization header (an admin token or password) included, to any host, and would turn a
    POST into a GET whose 200 would read as success. The 3xx is raised as an HTTPError instead."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


#: One opener per TLS context for the life of the process, which a warm Lambda environment keeps:
#: building one makes eight handlers and reads the proxy variables, for every request otherwise.
OPENERS = {}


def open_once(req, timeout, context):
    """``urlopen(req)`` with the TLS ``context``, following no redirect."""
    opener = OPENERS.get(context)
    if opener is None:
        opener = urllib.request.build_opener(NoRedirect(), urllib.request.HTTPSHandler(context=context))
        OPENERS[context] = opener
    return opener.open(req, timeout=timeout)


def read_body(response):
    """The answer's body; an answer over MAX_BODY bytes raises (it is not what InfluxDB answers)."""
    body = response.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        raise http.client.HTTPException(f"an answer over {MAX_BODY} bytes")
    return body
