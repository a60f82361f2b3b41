"""The identity modules' dns_records feed deliverability.ses.dns_records as they are, in one playbook."""

from __future__ import annotations

from dns import rdata as dns_rdata
import pytest

from .helpers import rsa_key


def _publish(dns):
    """The identity modules' records handed to dns_records exactly as returned: no loop, no reshaping."""
    return {"deliverability.ses.dns_records": dict(dns, records="{{ ident.dns_records + mf.dns_records }}")}


@pytest.mark.bind
@pytest.mark.parametrize("byodkim", [False, True])
def test_onboard_with_the_collections_dns_module(sandbox, bind, ansible_playbook, byodkim):
    dns = {"provider": "rfc2136", "zone": "reports.test", "server": "127.0.0.1", "port": bind.port,
           "key_name": bind.key_name, "key_secret": bind.key_secret, "key_algorithm": "hmac-sha256"}
    identity = {"identity": "reports.test"}
    if byodkim:
        identity["dkim"] = {"mode": "byodkim", "selector": "k2048", "private_key": rsa_key(2048)[0]}
    mail_from = {"identity": "reports.test", "mail_from_domain": "bounce.reports.test"}
    play = {"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "identity", "deliverability.ses.email_identity": identity, "register": "ident"},
        {"name": "mail from", "deliverability.ses.mail_from": mail_from, "register": "mf"},
        dict(_publish(dns), name="publish"),
        {"name": "wait dkim", "deliverability.ses.email_identity": dict(identity, wait=True, wait_timeout=60)},
        {"name": "wait mail from", "deliverability.ses.mail_from": dict(mail_from, wait=True, wait_timeout=60)},
        dict(_publish(dns), name="again"),
    ]}
    res = ansible_playbook(play)
    try:
        assert res.rc == 0, res
        assert res.task("wait dkim")["identity"]["dkim"]["status"] == "SUCCESS"
        assert res.task("wait dkim")["changed"] is False
        assert res.task("wait mail from")["status"] == "SUCCESS"
        assert res.task("publish")["changed"] is True
        assert res.task("again")["changed"] is False  # the same records again: nothing to do
        # read back from BIND, independently of the modules
        for rec in res.task("identity")["dns_records"] + res.task("mail from")["dns_records"]:
            got = bind.query(rec["name"], rec["type"])
            if rec["type"] == "TXT":
                assert [b"".join(dns_rdata.from_text("IN", "TXT", t).strings).decode() for t in got] == rec["values"]
            else:
                assert [g.rstrip(".").lower() for g in got] == rec["values"]
        if byodkim:
            txt = bind.query("k2048._domainkey.reports.test", "TXT")
            assert len(txt) == 1 and txt[0].count('" "') == 1  # one record of two <= 255-byte strings
    finally:
        records = (res.task("identity")["dns_records"] + res.task("mail from")["dns_records"]) if res.results else []
        ansible_playbook({"hosts": "localhost", "gather_facts": False, "tasks": [
            {"name": "remove", "loop": records, "deliverability.ses.dns_records": dict(dns, records=[
                {"name": "{{ item.name }}", "type": "{{ item.type }}", "state": "absent", "exclusive": True}])}]})
