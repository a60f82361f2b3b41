"""SES multi-region endpoints (the global endpoint), as the SES v2 API documents them.

An endpoint is created in its primary region (the region of the CreateMultiRegionEndpoint call) with exactly one
secondary region (``Details.RoutesDetails``); it is CREATING for READY_AFTER seconds, then READY; it is read,
listed and deleted in its primary region. ``SendEmail`` with ``EndpointId`` (signed with SigV4a, so the request
names no region) is delivered through the primary region, or through the secondary when the primary's SendEmail
is made to fail through ``/_sandbox/faults`` (a rule with ``"region"``) - as SES fails over between the two.
"""

from __future__ import annotations

import re
import secrets

from .ses_core import SesError, bad_request, not_found, now

NAME = re.compile(r"[\w-]{1,64}")
REGION = re.compile(r"[a-z]{2}(-gov)?-[a-z]+-\d")
READY_AFTER = 1.0  # seconds CREATING before READY (SES takes minutes; the module's wait is what is tested)
PAGE_MAX = 1000


class Endpoint:
    def __init__(self, name, primary, secondary, tags):
        self.name = name
        self.id = "%s.%s" % (secrets.token_hex(4), secrets.token_hex(2))
        self.primary = primary
        self.secondary = secondary
        self.tags = dict(tags)
        self.created = now()
        self.updated = self.created

    @property
    def status(self):
        return "READY" if (now() - self.created).total_seconds() >= READY_AFTER else "CREATING"

    @property
    def regions(self):
        return [self.primary, self.secondary]

    def api(self):
        return {"EndpointName": self.name, "EndpointId": self.id, "Status": self.status,
                "Routes": [{"Region": r} for r in self.regions], "CreatedTimestamp": self.created,
                "LastUpdatedTimestamp": self.updated}

    def summary(self):
        return {"EndpointName": self.name, "EndpointId": self.id, "Status": self.status, "Regions": self.regions,
                "CreatedTimestamp": self.created, "LastUpdatedTimestamp": self.updated}


def _all(sandbox):
    """account -> {name -> Endpoint}, kept on the sandbox (a reset forgets them with everything else)."""
    return sandbox.endpoints


def _mine(region):
    """The endpoints whose primary is this region."""
    return {n: e for n, e in _all(region.sandbox).get(region.account_id, {}).items() if e.primary == region.region}


def create(region, p):
    name = p.get("EndpointName") or ""
    if not NAME.fullmatch(name):
        raise bad_request("Invalid EndpointName <%s>: 1-64 letters, digits, '_' and '-'." % name)
    routes = ((p.get("Details") or {}).get("RoutesDetails")) or []
    if len(routes) != 1:
        raise bad_request("RoutesDetails must name exactly one secondary region.")
    secondary = routes[0].get("Region") or ""
    if not REGION.fullmatch(secondary):
        raise bad_request("Invalid Region <%s>." % secondary)
    if secondary == region.region:
        raise bad_request("The secondary region must differ from the primary region %s." % region.region)
    mine = _all(region.sandbox).setdefault(region.account_id, {})
    if name in mine:
        raise SesError("AlreadyExistsException", "Multi-region endpoint <%s> already exists." % name, 400)
    tags = {t["Key"]: t["Value"] for t in p.get("Tags") or []}
    endpoint = mine[name] = Endpoint(name, region.region, secondary, tags)
    return {"Status": endpoint.status, "EndpointId": endpoint.id}


def get(region, p):
    endpoint = _mine(region).get(p.get("EndpointName"))
    if endpoint is None:
        raise not_found("Multi-region endpoint <%s> does not exist." % p.get("EndpointName"))
    return endpoint.api()


def list_endpoints(region, p):
    items = sorted(_mine(region).values(), key=lambda e: e.name)
    size = int(p.get("PageSize") or PAGE_MAX)
    if not 1 <= size <= PAGE_MAX:
        raise bad_request("PageSize must be between 1 and %d." % PAGE_MAX)
    start = int(p.get("NextToken") or 0)
    page = items[start:start + size]
    out = {"MultiRegionEndpoints": [e.summary() for e in page]}
    if start + size < len(items):
        out["NextToken"] = str(start + size)
    return out


def delete(region, p):
    mine = _all(region.sandbox).get(region.account_id, {})
    endpoint = mine.get(p.get("EndpointName"))
    if endpoint is None or endpoint.primary != region.region:
        raise not_found("Multi-region endpoint <%s> does not exist." % p.get("EndpointName"))
    del mine[endpoint.name]
    return {"Status": "DELETING"}


def by_id(sandbox, account_id, endpoint_id):
    for endpoint in _all(sandbox).get(account_id, {}).values():
        if endpoint.id == endpoint_id:
            return endpoint
    raise not_found("Multi-region endpoint with EndpointId <%s> does not exist." % endpoint_id)


def route(sandbox, account_id, endpoint_id, failed):
    """The region a send through the endpoint goes to: the primary unless ``failed(region)`` says its SendEmail is
    failing, then the secondary; None when both fail. A CREATING endpoint does not route yet."""
    endpoint = by_id(sandbox, account_id, endpoint_id)
    if endpoint.status != "READY":
        raise bad_request("Multi-region endpoint <%s> is %s, not READY." % (endpoint.name, endpoint.status))
    for region in endpoint.regions:
        if not failed(region):
            return region
    return None


HANDLERS = {
    "CreateMultiRegionEndpoint": create,
    "GetMultiRegionEndpoint": get,
    "ListMultiRegionEndpoints": list_endpoints,
    "DeleteMultiRegionEndpoint": delete,
}
