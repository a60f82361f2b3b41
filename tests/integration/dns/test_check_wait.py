"""email_auth_check and wait_for_dns against BIND, and email_auth_check compared with checkdmarc."""

from __future__ import annotations

import base64
import os
import threading
import time

import pytest

from tests.fixtures.dns_zones import publish

pytestmark = pytest.mark.bind

TOKENS = ["abcdefghijklmnopqrstuvwxyz234567", "bcdefghijklmnopqrstuvwxyz2345678", "cdefghijklmnopqrstuvwxyz23456789"]
KEY = base64.b64encode(os.urandom(294)).decode()


def _publish_all(ansible_playbook, rfc2136, zone, policy="quarantine"):
    conn = {k: v for k, v in rfc2136.items() if k != "zone"}
    play = {"hosts": "localhost", "gather_facts": False,
            "module_defaults": {"group/deliverability.ses.ses": dict(conn, zone=zone)},
            "tasks": [
                {"name": "dkim", "deliverability.ses.dns_records": {"records": [
                    {"name": "%s._domainkey" % t, "type": "CNAME", "values": ["%s.dkim.amazonses.com" % t]}
                    for t in TOKENS] + [
                    {"name": "byo._domainkey", "type": "TXT", "values": ["v=DKIM1; k=rsa; p=" + KEY]},
                    {"name": "mail", "type": "MX", "values": ["10 feedback-smtp.us-east-1.amazonses.com"]}]}},
                {"name": "spf apex", "deliverability.ses.spf": {"domain": zone}},
                {"name": "spf mail from", "deliverability.ses.spf": {"domain": "mail." + zone, "all_qualifier": "-"}},
                {"name": "dmarc", "deliverability.ses.dmarc": {
                    "domain": zone, "policy": policy, "rua": ["dmarc@%s" % zone, "agg@reports.test"],
                    "external_destinations": "publish", "report_zones": ["reports.test"]}},
            ]}
    res = ansible_playbook([play])
    assert res.rc == 0, res
    return res


def _check_args(bind, zone, **kw):
    args = {"domain": zone, "nameservers": [bind.server], "dkim_tokens": TOKENS, "dkim_selector": "byo",
            "dkim_public_key": KEY, "mail_from": "mail." + zone, "ses_region": "us-east-1"}
    args.update(kw)
    return args


def test_email_auth_check_agrees_with_what_was_published(ansible_playbook, ansible_module, bind, zone, rfc2136,
                                                          amazonses):
    _publish_all(ansible_playbook, rfc2136, zone)
    res = ansible_module("email_auth_check", _check_args(bind, zone, required_policy="quarantine"))
    assert res.rc == 0, res
    checks = res.result["checks"]
    assert res.result["status"] == "pass", [c for c in checks if c["status"] != "pass"]
    kinds = [c["check"] for c in checks]
    assert kinds.count("dkim") == 4 and "mail_from_mx" in kinds and "mail_from_spf_ses" in kinds
    assert "dmarc_reports" in kinds  # the external destination, authorised by the dmarc module
    # stricter requirement than published: fail, and the task fails naming the check
    res = ansible_module("email_auth_check", _check_args(bind, zone, required_policy="reject"))
    assert res.rc != 0 and "dmarc_policy" in res.result["msg"] and "weaker than the required reject" in res.result["msg"]
    assert res.result["status"] == "fail"


def test_email_auth_check_reports_broken_records(ansible_module, bind, zone, amazonses):
    publish(bind, zone, [(zone, "TXT", "v=spf1 include:amazonses.com -all"), (zone, "TXT", "v=spf1 mx -all"),
                         ("%s._domainkey.%s" % (TOKENS[0], zone), "CNAME", "wrong.example.test."),
                         ("_dmarc." + zone, "TXT", "v=DMARC1; p=none; rua=mailto:x@reports.test,mailto:y@elsewhere.test")])
    args = _check_args(bind, zone, dkim_tokens=TOKENS[:2], dkim_selector=None, mail_from=None, fail_on="never")
    res = ansible_module("email_auth_check", args)
    assert res.rc == 0, res
    by = {(c["check"], c["name"]): c for c in res.result["checks"]}
    assert by[("dmarc_record", "_dmarc." + zone)]["status"] == "pass", res.result["checks"]
    assert by[("spf_record", zone)]["status"] == "fail" and "2 SPF records" in by[("spf_record", zone)]["reason"]
    dk0 = by[("dkim", "%s._domainkey.%s" % (TOKENS[0], zone))]
    assert dk0["status"] == "fail" and "wrong.example.test" in dk0["reason"]
    dk1 = by[("dkim", "%s._domainkey.%s" % (TOKENS[1], zone))]
    assert dk1["status"] == "fail" and "publish" in dk1["reason"]
    auth = by.get(("dmarc_reports", "%s._report._dmarc.reports.test" % zone))
    assert auth and auth["status"] == "warn" and 'publish TXT "v=DMARC1"' in auth["reason"], res.result["checks"]
    # a zone nobody serves here: could not look (unknown, the reason carries the rcode), never a failure
    auth = by[("dmarc_reports", "%s._report._dmarc.elsewhere.test" % zone)]
    assert auth["status"] == "unknown" and "REFUSED" in auth["reason"]
    assert res.result["summary"]["fail"] == 3 and res.result["summary"]["unknown"] == 1
    assert res.result["status"] == "unknown" and res.result["could_not_look"][0]["name"] == auth["name"]


def test_email_auth_check_with_dns_unreachable_could_not_look(ansible_module, ansible_playbook, rfc2136, zone,
                                                               amazonses):
    """Correct records behind a resolver that does not answer: every check unknown, none failed, and the task
    fails saying it could not look (could_not_look set), not that a record is missing."""
    import socket
    _publish_all(ansible_playbook, rfc2136, zone)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    dead = "127.0.0.1:%d" % sock.getsockname()[1]
    sock.close()
    res = ansible_module("email_auth_check", {"domain": zone, "nameservers": [dead], "dkim_tokens": TOKENS[:1],
                                              "mail_from": "mail." + zone, "dns_timeout": 1})
    assert res.rc != 0 and res.result["status"] == "unknown", res.result
    assert "could not look" in res.result["msg"] and "not a finding" in res.result["msg"]
    statuses = {c["status"] for c in res.result["checks"]}
    assert statuses == {"unknown"}, res.result["checks"]
    assert "publish" not in res.result["msg"]
    assert {u["check"] for u in res.result["could_not_look"]} == {"spf_record", "dkim", "mail_from_mx",
                                                                  "mail_from_spf_record", "dmarc_record"}
    # fail_on=never: the task does not fail, the outcome still says unknown
    res = ansible_module("email_auth_check", {"domain": zone, "nameservers": [dead], "dns_timeout": 1,
                                              "fail_on": "never"})
    assert res.rc == 0 and res.result["status"] == "unknown" and res.result["summary"]["fail"] == 0


def test_checkdmarc_agrees(ansible_playbook, bind, zone, rfc2136, amazonses):
    """checkdmarc (an independent validator) on the same published zone, through its Python API with a
    nameserver object on BIND's port (its CLI's -n takes addresses only, port 53)."""
    import dns.nameserver
    from checkdmarc.dmarc import check_dmarc
    from checkdmarc.spf import check_spf

    from ansible_collections.deliverability.ses.plugins.module_utils.dns.resolve import Resolver
    from ansible_collections.deliverability.ses.plugins.module_utils.policy import check

    _publish_all(ansible_playbook, rfc2136, zone)
    ns = [dns.nameserver.Do53Nameserver("127.0.0.1", bind.port)]
    resolve = Resolver([bind.server]).lookup
    for domain in (zone, "mail." + zone):
        theirs = check_spf(domain, nameservers=ns, timeout=3)
        ours = check.check_spf(resolve, domain)
        assert theirs["valid"] is True, theirs
        assert all(c["status"] == "pass" for c in ours), ours
        assert theirs["dns_lookups"] == ours[1]["value"]["count"]
        assert theirs["record"] == ours[0]["value"]
    theirs = check_dmarc(zone, nameservers=ns, timeout=3)
    ours = check.check_dmarc(resolve, zone, "quarantine")
    assert theirs["valid"] is True, theirs
    assert theirs["record"] == ours[0]["value"]
    assert theirs["tags"]["p"]["value"] == ours[1]["value"]["p"] == "quarantine"
    assert [u["address"] for u in theirs["tags"]["rua"]["value"]] == \
        [u.split(":", 1)[1] for u in ours[1]["value"]["rua"]]


def test_checkdmarc_agrees_on_too_many_lookups(bind, zone):
    from checkdmarc.spf import check_spf
    import dns.nameserver

    from ansible_collections.deliverability.ses.plugins.module_utils.dns.resolve import Resolver
    from ansible_collections.deliverability.ses.plugins.module_utils.policy import check

    records = [("i%d.%s" % (i, zone), "TXT", "v=spf1 a:h%d.%s -all" % (i, zone)) for i in range(1, 7)]
    records += [("h%d.%s" % (i, zone), "A", "192.0.2.%d" % i) for i in range(1, 7)]
    records += [(zone, "TXT", "v=spf1 " + " ".join("include:i%d.%s" % (i, zone) for i in range(1, 7)) + " -all")]
    publish(bind, zone, records)
    theirs = check_spf(zone, nameservers=[dns.nameserver.Do53Nameserver("127.0.0.1", bind.port)], timeout=3)
    ours = check.check_spf(Resolver([bind.server]).lookup, zone, require_ses=False)
    by = {c["check"]: c for c in ours}
    assert by["spf_lookups"]["status"] == "fail" and by["spf_lookups"]["value"]["count"] == 12
    # both call it broken; checkdmarc stops counting at the first lookup over the limit (11), we count all 12
    assert theirs["valid"] is False, theirs
    assert theirs["dns_lookups"] == 11 and "11/10" in theirs["error"]


def test_wait_for_dns_reports_the_lagging_server(ansible_module, bind, zone, rfc2136):
    from tests.fixtures.bind import Bind
    from tests.fixtures.dns_proxy import BrokenZoneResolver

    with Bind(zones=[zone]) as second:
        # the second server seen through a forwarding proxy that logs what it is asked: the test knows when the
        # module has found the second server behind
        proxy = BrokenZoneResolver(second.port, broken=[])
        try:
            servers = [bind.server, proxy.server]
            want = {"name": "_dmarc", "type": "TXT", "values": ["v=DMARC1; p=none"]}
            publish(bind, zone, [("_dmarc." + zone, "TXT", "v=DMARC1; p=none")])
            res = ansible_module("wait_for_dns", {"zone": zone, "authoritative_servers": servers, "records": [want],
                                                  "timeout": 2, "interval": 0.5})
            assert res.rc != 0
            msg = res.result["msg"]
            assert "1 of 2 nameservers lag: %s" % proxy.server in msg and "_dmarc.%s TXT has nothing" % zone in msg, msg
            assert res.result["lagging"] == [proxy.server]
            # the second server catches up while the module waits: once the module has asked it and found nothing
            # (a fixed delay raced the module's start-up on a loaded machine: both were ready at the first poll)
            asked_before = len(proxy.asked)

            def catch_up():
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and not any(
                        name.startswith("_dmarc.") for name, dummy, dummy in proxy.asked[asked_before:]):
                    time.sleep(0.05)
                publish(second, zone, [("_dmarc." + zone, "TXT", "v=DMARC1; p=none")])
            timer = threading.Thread(target=catch_up)
            timer.start()
            started = time.monotonic()
            res = ansible_module("wait_for_dns", {"zone": zone, "authoritative_servers": servers, "records": [want],
                                                  "timeout": 30, "interval": 0.5})
            timer.join()
            assert res.rc == 0, res
            ready = {s["server"]: s for s in res.result["servers"]}
            assert ready[bind.server]["seconds"] < ready[proxy.server]["seconds"]
            assert time.monotonic() - started < 30
        finally:
            proxy.close()


def test_wait_for_dns_finds_authoritative_servers(ansible_module, bind, zone):
    publish(bind, zone, [("x." + zone, "TXT", "hello, world")])
    res = ansible_module("wait_for_dns", {"zone": zone, "resolvers": [bind.server], "port": bind.port,
                                          "records": [{"name": "x", "type": "TXT", "values": ["hello, world"]}],
                                          "timeout": 5})
    assert res.rc == 0, res
    assert res.result["servers"] == [{"server": "127.0.0.1:%d" % bind.port, "host": "ns1." + zone, "ready": True,
                                      "lagging": [], "seconds": res.result["servers"][0]["seconds"]}]
    res = ansible_module("wait_for_dns", {"records": [{"name": "x", "type": "TXT"}]})
    assert res.rc != 0 and res.result["msg"].startswith("zone:"), res.result


def test_wait_for_dns_old_nameservers_name_still_works_and_says_it_is_deprecated(module_main, bind, zone):
    # `nameservers` means recursive resolvers everywhere else in the collection: here it is now
    # authoritative_servers, the old name kept as a deprecated alias
    publish(bind, zone, [("_dmarc." + zone, "TXT", "v=DMARC1; p=none")])
    want = {"name": "_dmarc", "type": "TXT", "values": ["v=DMARC1; p=none"]}
    res = module_main("wait_for_dns", {"zone": zone, "nameservers": [bind.server], "records": [want], "timeout": 5})
    assert res.rc == 0, res.result
    assert [s["server"] for s in res.result["servers"]] == [bind.server]
    assert "nameservers" in str(res.result.get("deprecations")), res.result
