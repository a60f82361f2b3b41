# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wait until records are visible on every authoritative nameserver; say which server lags."""

from __future__ import annotations

import time

from ansible_collections.deliverability.ses.plugins.module_utils.errors import DeliverabilityError, InputError
from ansible_collections.deliverability.ses.plugins.module_utils import validate
from ansible_collections.deliverability.ses.plugins.module_utils.dns.base import checked_value, normalize_value
from ansible_collections.deliverability.ses.plugins.module_utils.dns.resolve import (
    Resolver, query_server, server_text, split_server)


def authoritative_servers(zone, resolver, port=53):
    """The zone's NS hosts, each resolved to its addresses, as 'addr:port' (labelled with the host)."""
    hosts = resolver.lookup(zone, "NS")
    if not hosts:
        raise DeliverabilityError("%s has no NS records through %s: give authoritative_servers"
                                  % (zone, ", ".join(resolver.nameservers) or "the system resolver"))
    servers = []
    for host in hosts:
        addrs = resolver.lookup(host, "A") + resolver.lookup(host, "AAAA")
        if not addrs:
            raise DeliverabilityError("the nameserver %s of %s has no address: give authoritative_servers" % (host, zone))
        for addr in addrs:
            servers.append({"server": server_text(addr, port), "host": host})
    return servers


def check_server(server, records, timeout):
    """(ready, lagging): each lagging entry says what the server has instead."""
    lagging = []
    for rec in records:
        rcode, values, _aa = query_server(server, rec["name"], rec["type"], timeout=timeout)
        if rcode not in ("NOERROR", "NXDOMAIN"):
            lagging.append({"name": rec["name"], "type": rec["type"], "has": values, "rcode": rcode})
            continue
        if rec["type"] != "TXT":
            values = [normalize_value(rec["type"], v) for v in values]
        want = set(rec["values"])
        if rec["state"] == "absent":
            ok = not values if not want else not (want & set(values))
        else:
            ok = bool(values) if not want else want <= set(values)
        if not ok:
            lagging.append({"name": rec["name"], "type": rec["type"], "has": values, "rcode": rcode})
    return not lagging, lagging


def wait_for(records, servers, timeout=300.0, interval=2.0, query_timeout=3.0, clock=time.monotonic,
             sleep=time.sleep):
    """Poll every server until each shows every record, or timeout; servers already in sync are not re-asked."""
    start = clock()
    state = dict((s["server"], {"server": s["server"], "host": s.get("host"), "ready": False, "lagging": [],
                                "seconds": None}) for s in servers)
    attempts = 0
    delay = interval
    while True:
        attempts += 1
        for name, st in state.items():
            if st["ready"]:
                continue
            ready, lagging = check_server(name, records, query_timeout)
            st["lagging"] = lagging
            if ready:
                st["ready"] = True
                st["seconds"] = round(clock() - start, 3)
        if all(st["ready"] for st in state.values()):
            break
        remaining = timeout - (clock() - start)
        if remaining <= 0:
            break
        sleep(min(delay, remaining))
        delay = min(delay * 1.5, 10.0)
    result = {"servers": list(state.values()), "attempts": attempts, "elapsed": round(clock() - start, 3),
              "lagging": [s["server"] for s in state.values() if not s["ready"]]}
    return result


def lag_message(result, timeout):
    parts = []
    for st in result["servers"]:
        if st["ready"]:
            continue
        what = "; ".join("%s %s has %s%s" % (lg["name"], lg["type"], lg["has"] or "nothing",
                                             "" if lg["rcode"] == "NOERROR" else " (%s)" % lg["rcode"])
                         for lg in st["lagging"])
        parts.append("%s%s: %s" % (st["server"], " (%s)" % st["host"] if st.get("host") else "", what))
    return "after %ss, %d of %d nameservers lag: %s" % (timeout, len(parts), len(result["servers"]), " | ".join(parts))


def records_from_params(records, zone=None, option="records"):
    from ansible_collections.deliverability.ses.plugins.module_utils.dns.base import RECORD_TYPES, absolute_name
    out = []
    for idx, rec in enumerate(records):
        where = "%s[%d]" % (option, idx)
        rtype = str(rec.get("type") or "").upper()
        if rtype not in RECORD_TYPES:
            raise InputError(where + ".type", "%r is not one of %s" % (rec.get("type"), ", ".join(RECORD_TYPES)))
        if zone:
            name = absolute_name(rec["name"], zone, where + ".name")
        else:
            # without a zone the name is absolute: the same checks (labels of 1-63 octets, no empty label,
            # no control or bidi characters) that dnspython would otherwise raise deep inside a query
            name = validate.dns_name(str(rec["name"]), where + ".name", relative=False).rstrip(".")
        values = [normalize_value(rtype, checked_value(rtype, v, where + ".values"), where + ".values")
                  for v in rec.get("values") or []]
        out.append({"name": name, "type": rtype, "values": values, "state": rec.get("state") or "present"})
    return out


def servers_from_params(params):
    if params.get("authoritative_servers"):
        return [{"server": server_text(*split_server(s, option="authoritative_servers")), "host": None}
                for s in params["authoritative_servers"]]
    if not params.get("zone"):
        raise InputError("zone", "is required to find the authoritative nameservers when authoritative_servers is not given")
    return authoritative_servers(params["zone"], Resolver(params.get("resolvers"), option="resolvers"),
                                 params.get("port") or 53)
