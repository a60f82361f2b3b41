# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""multi_region_endpoint: read -> plan -> apply for an SES global endpoint, and the wait until SES has it READY."""

from __future__ import annotations

import time

from ansible_collections.deliverability.ses.plugins.module_utils import validate
from ansible_collections.deliverability.ses.plugins.module_utils.errors import DeliverabilityError, InputError
from ansible_collections.deliverability.ses.plugins.module_utils.policy.regions import check_regions
from ansible_collections.deliverability.ses.plugins.module_utils.ses import endpoints as api
from ansible_collections.deliverability.ses.plugins.module_utils.ses.identities import get_identity

# SES takes minutes to make an endpoint READY: back off from 2 s to 30 s between reads
FIRST_DELAY, MAX_DELAY = 2.0, 30.0


def _params(module):
    p = module.params
    state = p["state"]
    name = validate.aws_name(p["name"], "name", "multi_region_endpoint")
    primary = module.client("sesv2").meta.region_name
    secondary = p["secondary_region"]
    if state == "present":
        if secondary is None:
            raise InputError("secondary_region", "is required with state=present (the region SES fails over to)")
        check_regions([secondary], "secondary_region", known=module.known_regions("sesv2"))
        if secondary == primary:
            raise InputError("secondary_region", "%s is the primary region (the module's region): the secondary "
                                                 "must be another one" % secondary)
    identities = [validate.text(i, "identities", max_len=320) for i in p["identities"] or []]
    tags = validate.tags(p["tags"]) if p["tags"] else {}
    validate.duration(p["wait_timeout"], "wait_timeout", minimum=0, maximum=24 * 3600)
    return state, name, primary, secondary, identities, tags


def unverified(module, identities, regions):
    """['news.example in eu-west-1 (not created)', ...]: every identity that cannot send from every region."""
    out = []
    for region in regions:
        client = module.client("sesv2", region=region)
        for name in identities:
            ident = get_identity(client, name)
            if ident is None:
                out.append("%s in %s (no such identity)" % (name, region))
            elif not ident.get("verified_for_sending"):
                out.append("%s in %s (%s)" % (name, region, ident.get("verification_status") or "not verified"))
    return out


def wait_ready(client, name, timeout, sleep=time.sleep, clock=time.monotonic):
    """Read until READY (back-off 2 s doubling to 30 s); FAILED or the timeout is an error naming the status."""
    deadline = clock() + timeout
    delay = FIRST_DELAY
    while True:
        current = api.get_endpoint(client, name)
        status = (current or {}).get("status")
        if status == "READY":
            return current
        if current is None or status in ("FAILED", "DELETING"):
            raise DeliverabilityError("multi-region endpoint %s is %s, not READY" % (name, status or "gone"),
                                      operation="GetMultiRegionEndpoint")
        if clock() + delay > deadline:
            raise DeliverabilityError("multi-region endpoint %s still %s after %d s (wait_timeout): SES may take "
                                      "longer; run again to keep waiting" % (name, status, timeout),
                                      operation="GetMultiRegionEndpoint")
        sleep(delay)
        delay = min(delay * 2, MAX_DELAY)


def _view(e):
    return None if e is None else {"name": e["name"], "regions": e["regions"], "status": e["status"]}


def run_multi_region_endpoint_info(module, partial):
    name = module.params["name"]
    if name is not None:
        validate.aws_name(name, "name", "multi_region_endpoint")
    client = module.client("sesv2")
    found = [api.get_endpoint(client, name)] if name else api.list_endpoints(client)
    return dict(changed=False, endpoints=[e for e in found if e is not None])


def run_multi_region_endpoint(module, partial):
    state, name, primary, secondary, identities, tags = _params(module)
    client = module.client("sesv2")
    current = api.get_endpoint(client, name)
    if state == "absent":
        if current is None:
            return dict(changed=False, endpoint=None, diff=dict(before=None, after=None))
        if not module.check_mode:
            api.delete_endpoint(client, name)
            partial.update(changed=True)
        return dict(changed=True, endpoint=current, diff=dict(before=_view(current), after=None))
    wanted = [primary, secondary]
    if current is not None:
        if current["regions"] != wanted:
            raise InputError("secondary_region", "endpoint %s routes %s; SES cannot change an endpoint's regions: "
                                                 "remove it (state=absent) and create it again"
                             % (name, " -> ".join(current["regions"])))
        if module.params["wait"] and current["status"] != "READY" and not module.check_mode:
            current = wait_ready(client, name, module.params["wait_timeout"])
        return dict(changed=False, endpoint=current, diff=dict(before=_view(current), after=_view(current)))
    missing = unverified(module, identities, wanted)
    if missing:
        raise InputError("identities", "cannot send from every region of the endpoint: %s - create and verify "
                                       "them there first (nothing was created)" % "; ".join(missing))
    after = {"name": name, "regions": wanted, "status": "CREATING"}
    if module.check_mode:
        return dict(changed=True, endpoint=dict(after, id=None), diff=dict(before=None, after=after))
    made = api.create_endpoint(client, name, secondary, tags)
    partial.update(changed=True, endpoint=dict(after, id=made.get("EndpointId")))
    endpoint = api.get_endpoint(client, name) or dict(after, id=made.get("EndpointId"))
    if module.params["wait"]:
        endpoint = wait_ready(client, name, module.params["wait_timeout"])
    return dict(changed=True, endpoint=endpoint, diff=dict(before=None, after=_view(endpoint)))
