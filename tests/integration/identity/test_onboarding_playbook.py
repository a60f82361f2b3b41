"""The identity modules' dns_records feed deliverability.ses.dns_records as they are, in one playbook."""

from __future__ import annotations

import pytest

from .helpers import rsa_key


def _publish(dns, field):
    """A dns_records task publishing each returned record with values taken from ``field`` (value or rdata)."""
    return {"loop": "{{ ident.dns_records + mf.dns_records }}",
            "deliverability.ses.dns_records": dict(dns, records=[
                {"name": "{{ item.name }}", "type": "{{ item.type }}", "values": "{{ item.%s }}" % field,
                 "ttl": "{{ item.ttl }}"}])}


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
        dict(_publish(dns, "value"), name="publish"),
        {"name": "wait dkim", "deliverability.ses.email_identity": dict(identity, wait=True, wait_timeout=60)},
        {"name": "wait mail from", "deliverability.ses.mail_from": dict(mail_from, wait=True, wait_timeout=60)},
        dict(_publish(dns, "rdata"), name="again"),
    ]}
    res = ansible_playbook(play)
    try:
        assert res.rc == 0, res
        assert res.task("wait dkim")["identity"]["dkim"]["status"] == "SUCCESS"
        assert res.task("wait dkim")["changed"] is False
        assert res.task("wait mail from")["status"] == "SUCCESS"
        # value and rdata describe the same records: publishing rdata afterwards changes nothing
        assert [r["changed"] for r in res.task("again")["results"]] == [False] * (5 if not byodkim else 3)
        if byodkim:
            txt = bind.query("k2048._domainkey.reports.test", "TXT")
            assert len(txt) == 1 and txt[0] == res.task("identity")["dns_records"][0]["rdata"][0]
    finally:
        records = (res.task("identity")["dns_records"] + res.task("mail from")["dns_records"]) if res.results else []
        ansible_playbook({"hosts": "localhost", "gather_facts": False, "tasks": [
            {"name": "remove", "loop": records, "deliverability.ses.dns_records": dict(dns, records=[
                {"name": "{{ item.name }}", "type": "{{ item.type }}", "state": "absent", "exclusive": True}])}]})
