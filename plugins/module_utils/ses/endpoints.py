# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SES v2 multi-region endpoints (the global endpoint) as plain data: reads (every page) and writes.

An endpoint lives in its primary region (the region of the client) and routes to one secondary region.
"""

from __future__ import annotations

from ansible_collections.deliverability.ses.plugins.module_utils.aws import call, get_or_none, paginate


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def endpoint_from_api(resp):
    regions = resp.get("Regions") or [r.get("Region") for r in resp.get("Routes") or []]
    return {"name": resp.get("EndpointName"), "id": resp.get("EndpointId"), "status": resp.get("Status"),
            "regions": list(regions), "created": _iso(resp.get("CreatedTimestamp")),
            "updated": _iso(resp.get("LastUpdatedTimestamp"))}


def get_endpoint(client, name):
    """The endpoint as data, or None when the region has no endpoint of that name."""
    resp = get_or_none(client, "GetMultiRegionEndpoint", EndpointName=name)
    return None if resp is None else endpoint_from_api(resp)


def list_endpoints(client):
    return [endpoint_from_api(e) for e in paginate(client, "ListMultiRegionEndpoints", "MultiRegionEndpoints",
                                                   PageSize=100)]


def create_endpoint(client, name, secondary, tags):
    params = {"EndpointName": name, "Details": {"RoutesDetails": [{"Region": secondary}]}}
    if tags:
        params["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
    return call(client, "CreateMultiRegionEndpoint", **params)


def delete_endpoint(client, name):
    return call(client, "DeleteMultiRegionEndpoint", EndpointName=name)
