"""deliverability.ses.email_identity through ansible-playbook against the sandbox (and BIND)."""

from __future__ import annotations

import json

import pytest

from .helpers import presentation, publish_bind, publish_route53, rsa_key

M = "email_identity"


def ses_state(sandbox, name):
    return sandbox.boto3_client("sesv2").get_email_identity(EmailIdentity=name)


def ops(sandbox, since):
    return [r["operation"] for r in sandbox.mutating_calls(since=since)]


def test_create_rerun_unchanged_and_records(sandbox, ansible_module):
    mark = sandbox.mark()
    res = ansible_module(M, {"identity": "Example.COM.", "tags": {"team": "mail"}})
    assert res.rc == 0, res
    # API economy: read, create, read back; nothing else
    assert [r["operation"] for r in sandbox.requests(since=mark)] == [
        "GetEmailIdentity", "CreateEmailIdentity", "GetEmailIdentity"]
    out = res.result
    assert out["changed"] is True
    assert out["actions"] == ["CreateEmailIdentity"]
    ident = out["identity"]
    assert ident["identity"] == "example.com"
    assert ident["dkim"]["status"] == "PENDING"
    assert ident["dkim"]["next_key_length"] == "RSA_2048_BIT"
    assert ident["tags"] == {"team": "mail"}
    tokens = ident["dkim"]["tokens"]
    assert len(tokens) == 3
    assert out["dns_records"] == [
        {"name": "%s._domainkey.example.com" % t, "type": "CNAME", "values": ["%s.dkim.amazonses.com" % t],
         "ttl": 1800} for t in tokens]

    mark = sandbox.mark()
    again = ansible_module(M, {"identity": "example.com", "tags": {"team": "mail"}})
    assert again.rc == 0, again
    assert again.result["changed"] is False
    assert again.result["actions"] == []
    assert again.result["dns_records"] == out["dns_records"]
    assert ops(sandbox, mark) == []
    assert [r["operation"] for r in sandbox.requests(since=mark)] == ["GetEmailIdentity"]  # one read per run


def test_check_mode_predicts_and_writes_nothing(sandbox, ansible_module):
    mark = sandbox.mark()
    res = ansible_module(M, {"identity": "check.example.com", "feedback_forwarding": False}, check=True, diff=True)
    assert res.rc == 0, res
    assert res.result["changed"] is True
    assert res.result["actions"] == ["CreateEmailIdentity", "PutEmailIdentityFeedbackAttributes"]
    assert res.result["diff"]["before"] == {"state": "absent"}
    assert res.result["diff"]["after"]["feedback_forwarding"] is False
    assert res.result["diff"]["after"]["dkim"] == {"signing_enabled": True, "mode": "easy",
                                                   "key_length": "RSA_2048_BIT"}
    assert ops(sandbox, mark) == []
    with pytest.raises(Exception):
        ses_state(sandbox, "check.example.com")

    # the prediction was exact: the real run does what check mode said
    real = ansible_module(M, {"identity": "check.example.com", "feedback_forwarding": False}, diff=True)
    assert real.result["changed"] is True
    assert real.result["actions"] == res.result["actions"]
    assert real.result["diff"] == res.result["diff"]
    assert ses_state(sandbox, "check.example.com")["FeedbackForwardingStatus"] is False

    # check mode on an unchanged identity: changed=false, still no write
    mark = sandbox.mark()
    res = ansible_module(M, {"identity": "check.example.com", "feedback_forwarding": False}, check=True)
    assert res.result["changed"] is False
    assert len(res.result["dns_records"]) == 3
    assert ops(sandbox, mark) == []


def test_update_settings_with_diff(sandbox, ansible_module):
    ses = sandbox.boto3_client("sesv2")
    ses.create_configuration_set(ConfigurationSetName="marketing")
    ansible_module(M, {"identity": "upd.example.com", "tags": {"a": "1", "b": "2"}})
    args = {"identity": "upd.example.com", "configuration_set": "marketing", "feedback_forwarding": False,
            "dkim": {"signing_enabled": False}, "tags": {"a": "1", "c": "3"}}
    mark = sandbox.mark()
    chk = ansible_module(M, args, check=True, diff=True)
    assert chk.result["changed"] is True
    assert ops(sandbox, mark) == []
    res = ansible_module(M, args, diff=True)
    assert res.rc == 0, res
    assert res.result["actions"] == chk.result["actions"] == [
        "PutEmailIdentityDkimAttributes", "PutEmailIdentityConfigurationSetAttributes",
        "PutEmailIdentityFeedbackAttributes", "TagResource", "UntagResource"]
    diff = res.result["diff"]
    assert diff["before"]["tags"] == {"a": "1", "b": "2"} and diff["after"]["tags"] == {"a": "1", "c": "3"}
    assert diff["before"]["configuration_set"] is None and diff["after"]["configuration_set"] == "marketing"
    got = ses_state(sandbox, "upd.example.com")
    assert got["ConfigurationSetName"] == "marketing"
    assert got["DkimAttributes"]["SigningEnabled"] is False
    assert {t["Key"]: t["Value"] for t in got["Tags"]} == {"a": "1", "c": "3"}
    assert res.result["identity"]["tags"] == {"a": "1", "c": "3"}
    assert ansible_module(M, args).result["changed"] is False
    # purge_tags=false keeps unlisted tags; "" detaches the configuration set
    res = ansible_module(M, {"identity": "upd.example.com", "tags": {"d": "4"}, "purge_tags": False,
                             "configuration_set": ""})
    assert res.result["actions"] == ["PutEmailIdentityConfigurationSetAttributes", "TagResource"]
    assert res.result["identity"]["tags"] == {"a": "1", "c": "3", "d": "4"}
    assert res.result["identity"]["configuration_set"] is None


@pytest.mark.parametrize("spelling", ["BÜCHER.example.com.", "xn--bcher-kva.example.com", "Bücher.Example.Com"])
def test_domain_normalisation_is_idempotent(sandbox, ansible_module, spelling):
    first = ansible_module(M, {"identity": "bücher.example.com"})
    assert first.result["identity"]["identity"] == "xn--bcher-kva.example.com"
    res = ansible_module(M, {"identity": spelling})
    assert res.rc == 0, res
    assert res.result["changed"] is False


def test_key_length_change_and_once_a_day_refusal(sandbox, ansible_module):
    res = ansible_module(M, {"identity": "keys.example.com", "dkim": {"key_length": "RSA_1024_BIT"}})
    assert res.result["identity"]["dkim"]["next_key_length"] == "RSA_1024_BIT"
    tokens = res.result["identity"]["dkim"]["tokens"]
    mark = sandbox.mark()
    res = ansible_module(M, {"identity": "keys.example.com", "dkim": {"key_length": "RSA_2048_BIT"}}, diff=True)
    assert res.rc == 0, res
    assert res.result["actions"] == ["PutEmailIdentityDkimSigningAttributes"]
    assert res.result["diff"]["before"]["dkim"]["key_length"] == "RSA_1024_BIT"
    assert res.result["diff"]["after"]["dkim"]["key_length"] == "RSA_2048_BIT"
    assert res.result["identity"]["dkim"]["next_key_length"] == "RSA_2048_BIT"
    assert res.result["identity"]["dkim"]["tokens"] == tokens  # same records, the next key is longer
    calls = sandbox.mutating_calls(since=mark)
    assert [c["params"]["SigningAttributes"] for c in calls] == [{"NextSigningKeyLength": "RSA_2048_BIT"}]
    assert ansible_module(M, {"identity": "keys.example.com",
                              "dkim": {"key_length": "RSA_2048_BIT"}}).result["changed"] is False
    # a second change the same day: SES refuses, the module says why
    res = ansible_module(M, {"identity": "keys.example.com", "dkim": {"key_length": "RSA_1024_BIT"}})
    assert res.rc != 0
    msg = res.result["msg"]
    assert msg.startswith("dkim.key_length: SES refused")
    assert "one key-length change per identity per day" in msg
    assert res.result["error_code"] == "BadRequestException"
    assert res.result["changed"] is False
    assert "Traceback" not in res.output
    # a day later it works
    sandbox.post("identity-state", {"identity": "keys.example.com", "age_seconds": 86401})
    res = ansible_module(M, {"identity": "keys.example.com", "dkim": {"key_length": "RSA_1024_BIT"}})
    assert res.rc == 0 and res.result["changed"] is True


def test_byodkim_2048_key_then_back_to_easy(sandbox, ansible_module, tmp_path):
    private, public = rsa_key(2048)
    args = {"identity": "byo.example.com", "dkim": {"mode": "byodkim", "selector": "s2026", "private_key": private}}
    mark = sandbox.mark()
    chk = ansible_module(M, args, check=True, diff=True)
    assert chk.result["changed"] is True and ops(sandbox, mark) == []
    txt = chk.result["dns_records"]
    res = ansible_module(M, args, diff=True)
    assert res.rc == 0, res
    assert res.result["dns_records"] == txt
    assert len(txt) == 1
    rec = txt[0]
    assert rec["name"] == "s2026._domainkey.byo.example.com" and rec["type"] == "TXT"
    assert rec["values"] == ["v=DKIM1; k=rsa; p=" + public] and len(rec["values"][0]) > 255
    assert res.result["identity"]["dkim"]["origin"] == "EXTERNAL"
    assert res.result["identity"]["dkim"]["status"] == "PENDING"
    # the private key never appears in output, diff or the request log
    body = private.splitlines()[1]
    assert body not in res.output and body not in json.dumps(res.result)
    assert body not in json.dumps(sandbox.requests())
    assert "s2026" in json.dumps(res.result["diff"]["after"])

    # publish the returned TXT in Route 53: SES (sandbox) sees it -> SUCCESS
    publish_route53(sandbox, "byo.example.com", txt)
    res = ansible_module(M, dict(args, wait=True, wait_timeout=30))
    assert res.rc == 0, res
    assert res.result["changed"] is False
    assert res.result["identity"]["dkim"]["status"] == "SUCCESS"

    # back to Easy DKIM: new tokens, three CNAMEs
    res = ansible_module(M, {"identity": "byo.example.com", "dkim": {"mode": "easy"}}, diff=True)
    assert res.rc == 0, res
    assert res.result["actions"] == ["PutEmailIdentityDkimSigningAttributes"]
    assert res.result["diff"]["before"]["dkim"]["mode"] == "byodkim"
    assert res.result["diff"]["after"]["dkim"]["mode"] == "easy"
    assert res.result["identity"]["dkim"]["origin"] == "AWS_SES"
    assert [r["type"] for r in res.result["dns_records"]] == ["CNAME"] * 3
    assert ansible_module(M, {"identity": "byo.example.com", "dkim": {"mode": "easy"}}).result["changed"] is False

    # and again to BYODKIM with a bare base64 (PKCS#8 DER) 1024-bit key under a new selector
    private2, public2 = rsa_key(1024, pem=False, pkcs8=True)
    res = ansible_module(M, {"identity": "byo.example.com",
                             "dkim": {"mode": "byodkim", "selector": "s2027", "private_key": private2}})
    assert res.rc == 0, res
    assert res.result["dns_records"][0]["values"] == ["v=DKIM1; k=rsa; p=" + public2]
    assert res.result["identity"]["dkim"]["tokens"] == ["s2027"]


@pytest.mark.bind
def test_wait_reaches_success_only_after_records_published_in_bind(sandbox, bind, ansible_module):
    res = ansible_module(M, {"identity": "mail.test"})
    records = res.result["dns_records"]
    assert len(records) == 3
    # two of three published: the wait fails naming the missing one and the last status
    publish_bind(bind, "mail.test", records[:2])
    try:
        res = ansible_module(M, {"identity": "mail.test", "wait": True, "wait_timeout": 2,
                                 "nameservers": [bind.server]})
        assert res.rc != 0
        msg = res.result["msg"]
        assert "DKIM status is PENDING after 2s" in msg
        assert records[2]["name"] in msg
        assert records[0]["name"] not in msg
        assert [r["name"] for r in res.result["missing_records"]] == [records[2]["name"]]
        assert ses_state(sandbox, "mail.test")["DkimAttributes"]["Status"] == "PENDING"
        publish_bind(bind, "mail.test", records[2:])
        res = ansible_module(M, {"identity": "mail.test", "wait": True, "wait_timeout": 30})
        assert res.rc == 0, res
        assert res.result["changed"] is False
        assert res.result["identity"]["dkim"]["status"] == "SUCCESS"
        assert res.result["identity"]["verified_for_sending"] is True
    finally:
        publish_bind(bind, "mail.test", records, delete=True)


def test_dkim_success_only_after_route53_publish(sandbox, ansible_module):
    res = ansible_module(M, {"identity": "r53.example.com"})
    records = res.result["dns_records"]
    res = ansible_module(M, {"identity": "r53.example.com", "wait": True, "wait_timeout": 1})
    assert res.rc != 0 and "DKIM status is PENDING" in res.result["msg"]
    publish_route53(sandbox, "r53.example.com", records)
    res = ansible_module(M, {"identity": "r53.example.com", "wait": True, "wait_timeout": 30})
    assert res.rc == 0, res
    assert res.result["identity"]["dkim"]["status"] == "SUCCESS"


def test_delete_with_check_mode(sandbox, ansible_module):
    ansible_module(M, {"identity": "gone.example.com"})
    mark = sandbox.mark()
    for check in (True, False):  # offboarding needs confirm_delete, and check mode predicts the refusal
        refused = ansible_module(M, {"identity": "gone.example.com", "state": "absent"}, check=check)
        assert refused.rc != 0 and refused.result["msg"].startswith("confirm_delete: refusing"), refused
    assert ops(sandbox, mark) == []
    chk = ansible_module(M, {"identity": "gone.example.com", "state": "absent", "confirm_delete": True},
                         check=True, diff=True)
    assert chk.result["changed"] is True
    assert chk.result["diff"]["after"] == {"state": "absent"}
    assert ops(sandbox, mark) == []
    res = ansible_module(M, {"identity": "GONE.example.com.", "state": "absent", "confirm_delete": True})
    assert res.result["changed"] is True and res.result["actions"] == ["DeleteEmailIdentity"]
    assert res.result["identity"] is None and res.result["dns_records"] == []
    mark = sandbox.mark()
    # nothing left to delete: no confirmation needed, no change
    assert ansible_module(M, {"identity": "gone.example.com", "state": "absent"}).result["changed"] is False
    assert ops(sandbox, mark) == []


def test_email_address_identity(sandbox, ansible_module):
    res = ansible_module(M, {"identity": "Sender@Example.COM", "wait": True, "wait_timeout": 1})
    assert res.rc != 0
    assert "verification status is PENDING" in res.result["msg"]
    assert res.result["identity"]["identity"] == "Sender@example.com"
    assert res.result["dns_records"] == []
    assert res.result["changed"] is True and res.result["actions"] == ["CreateEmailIdentity"]
    sandbox.post("verify-email", {"identity": "Sender@example.com"})
    res = ansible_module(M, {"identity": "Sender@example.com", "wait": True, "wait_timeout": 10})
    assert res.rc == 0 and res.result["changed"] is False
    assert res.result["identity"]["verification_status"] == "SUCCESS"


@pytest.mark.parametrize("args,option", [
    ({"identity": "not a domain"}, "identity"),
    ({"identity": "x.example.com", "dkim": {"mode": "byodkim", "selector": "bad_selector!",
                                            "private_key": "AAAA"}}, "dkim.selector"),
    ({"identity": "x.example.com", "dkim": {"mode": "byodkim", "selector": "s1",
                                            "private_key": "bm90IGEga2V5"}}, "dkim.private_key"),
    ({"identity": "x.example.com", "dkim": {"mode": "byodkim", "selector": "s1"}}, "dkim"),
    ({"identity": "x.example.com", "dkim": {"selector": "s1"}}, "dkim.selector"),
    ({"identity": "a@x.example.com", "dkim": {"key_length": "RSA_1024_BIT"}}, "dkim.key_length"),
    ({"identity": "x.example.com", "configuration_set": "no-such-set"}, "configuration_set"),
    ({"identity": "x.example.com", "configuration_set": "bad name"}, "configuration_set"),
    ({"identity": "x.example.com", "tags": {"aws:x": "1"}}, "tags"),
])
def test_bad_input_names_the_option_and_creates_nothing(sandbox, ansible_module, args, option):
    mark = sandbox.mark()
    res = ansible_module(M, args)
    assert res.rc != 0
    assert res.result["msg"].startswith(option + ":"), res.result["msg"]
    assert "Traceback" not in res.output
    assert ops(sandbox, mark) == []
    assert sandbox.boto3_client("sesv2").list_email_identities()["EmailIdentities"] == []


def test_non_rsa_key_is_refused_before_any_call(sandbox, ansible_module):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    mark = sandbox.mark()
    res = ansible_module(M, {"identity": "ec.example.com",
                             "dkim": {"mode": "byodkim", "selector": "s1", "private_key": pem}})
    assert res.rc != 0
    assert res.result["msg"] == "dkim.private_key: not an RSA private key (PKCS#1 or PKCS#8 DER expected)"
    assert sandbox.requests(since=mark) == []


def test_just_created_identity_not_yet_visible_is_retried(sandbox, ansible_module):
    # GetEmailIdentity answers NotFound three times: once before the create (true), twice after (consistency)
    sandbox.post("faults", {"rules": [{"operation": "GetEmailIdentity", "kind": "not_found", "count": 3}]})
    res = ansible_module(M, {"identity": "slow.example.com"})
    assert res.rc == 0, res
    assert res.result["changed"] is True
    assert res.result["identity"]["identity"] == "slow.example.com"
    gets = [r for r in sandbox.requests() if r["operation"] == "GetEmailIdentity"]
    assert [g["fault"] for g in gets][:4] == ["not_found", "not_found", "not_found", None]


def test_module_defaults_group(sandbox, ansible_playbook):
    play = {"hosts": "localhost", "gather_facts": False,
            "module_defaults": {"group/deliverability.ses.ses": {"region": "us-east-1"}},
            "tasks": [{"name": "create", "deliverability.ses.email_identity": {"identity": "grp.example.com"}},
                      {"name": "read", "deliverability.ses.email_identity_info": {"identity": "grp.example.com"}}]}
    res = ansible_playbook(play)
    assert res.rc == 0, res
    assert res.task("read")["identities"][0]["exists"] is True


def test_filter_renders_what_the_module_returns(sandbox, ansible_playbook):
    play = {"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "create", "deliverability.ses.email_identity": {"identity": "flt.example.com"},
         "register": "ident"},
        {"name": "render", "ansible.builtin.set_fact": {
            "from_tokens": "{{ ident.identity.dkim.tokens | deliverability.ses.dkim_records('FLT.example.com.') }}",
            "from_identity": "{{ ident.identity | deliverability.ses.dkim_records }}"}},
        {"name": "compare", "ansible.builtin.assert": {"that": [
            "from_tokens == ident.dns_records", "from_identity == ident.dns_records",
            "from_tokens | length == 3"]}},
    ]}
    res = ansible_playbook(play)
    assert res.rc == 0, res


@pytest.mark.bind
def test_byodkim_2048_txt_published_through_rfc2136(sandbox, bind, ansible_module):
    """The returned TXT goes into BIND as one TXT of two strings; SES (sandbox) then reports SUCCESS."""
    private, public = rsa_key(2048)
    args = {"identity": "fleet.test", "dkim": {"mode": "byodkim", "selector": "sel1", "private_key": private}}
    res = ansible_module(M, args)
    assert res.rc == 0, res
    records = res.result["dns_records"]
    publish_bind(bind, "fleet.test", records)
    try:
        answer = bind.query("sel1._domainkey.fleet.test", "TXT")
        assert len(answer) == 1 and answer[0] == presentation("TXT", records[0]["values"][0])
        assert answer[0].count('" "') == 1  # one record of two strings
        res = ansible_module(M, dict(args, wait=True, wait_timeout=30))
        assert res.rc == 0, res
        assert res.result["identity"]["dkim"]["status"] == "SUCCESS"
        assert res.result["changed"] is False
    finally:
        publish_bind(bind, "fleet.test", records, delete=True)


def test_throttling_is_absorbed(sandbox, ansible_module):
    sandbox.post("faults", {"rules": [{"operation": "GetEmailIdentity", "kind": "throttle", "rate": 0.5},
                                      {"operation": "CreateEmailIdentity", "kind": "throttle", "count": 1}],
                            "seed": 3})
    res = ansible_module(M, {"identity": "busy.example.com"})
    assert res.rc == 0, res
    assert res.result["changed"] is True
    injected = sandbox.get("faults")["injected"]
    assert injected.get("throttle:CreateEmailIdentity") == 1
    creates = [r for r in sandbox.requests() if r["operation"] == "CreateEmailIdentity" and not r["fault"]]
    assert len(creates) == 1
