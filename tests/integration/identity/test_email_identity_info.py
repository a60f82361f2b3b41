"""deliverability.ses.email_identity_info: full reads for audits (the module's logic, in-process with module_main)."""

from __future__ import annotations

M = "email_identity_info"


def test_many_identities_in_one_call_with_records_and_notifications(sandbox, module_main):
    ses = sandbox.boto3_client("sesv2")
    ses.create_configuration_set(ConfigurationSetName="cs1")
    ses.create_email_identity(EmailIdentity="a.example.com", ConfigurationSetName="cs1",
                              Tags=[{"Key": "team", "Value": "mail"}],
                              DkimSigningAttributes={"NextSigningKeyLength": "RSA_1024_BIT"})
    ses.put_email_identity_dkim_signing_attributes(EmailIdentity="a.example.com", SigningAttributesOrigin="AWS_SES",
                                                   SigningAttributes={"NextSigningKeyLength": "RSA_2048_BIT"})
    ses.put_email_identity_mail_from_attributes(EmailIdentity="a.example.com", MailFromDomain="mf.a.example.com")
    ses.create_email_identity(EmailIdentity="b.example.com")
    topic = sandbox.boto3_client("sns").create_topic(Name="t")["TopicArn"]
    sandbox.boto3_client("ses").set_identity_notification_topic(Identity="b.example.com", NotificationType="Bounce",
                                                               SnsTopic=topic)
    mark = sandbox.mark()
    res = module_main(M, {"identities": ["A.example.com.", "b.example.com", "nope.example.com"],
                          "notifications": True})
    assert res.rc == 0, res
    a, b, nope = res.result["identities"]
    assert nope == {"identity": "nope.example.com", "exists": False}
    assert a["verification_status"] == "PENDING" and a["configuration_set"] == "cs1"
    assert a["tags"] == {"team": "mail"} and a["feedback_forwarding"] is True
    assert a["dkim"]["status"] == "PENDING" and a["dkim"]["mode"] == "easy"
    assert a["dkim"]["current_key_length"] == "RSA_1024_BIT" and a["dkim"]["next_key_length"] == "RSA_2048_BIT"
    assert a["dkim"]["key_length_change_pending"] is True
    assert a["mail_from"] == {"domain": "mf.a.example.com", "status": "PENDING",
                              "behavior_on_mx_failure": "USE_DEFAULT_VALUE"}
    assert [r["type"] for r in a["dns_records"]] == ["CNAME", "CNAME", "CNAME", "MX", "TXT"]
    assert b["notifications"]["bounce"] == {"topic": topic, "include_headers": False}
    assert b["dkim"]["key_length_change_pending"] is False
    assert sandbox.mutating_calls(since=mark) == []
    notif_calls = [r for r in sandbox.requests(since=mark) if r["operation"] == "GetIdentityNotificationAttributes"]
    assert len(notif_calls) == 1


def test_listing_and_details(sandbox, module_main):
    ses = sandbox.boto3_client("sesv2")
    for n in ("x.example.com", "y@example.com"):
        ses.create_email_identity(EmailIdentity=n)
    res = module_main(M, {})
    assert sorted(i["identity"] for i in res.result["identities"]) == ["x.example.com", "y@example.com"]
    res = module_main(M, {"details": True})
    full = {i["identity"]: i for i in res.result["identities"]}
    assert len(full["x.example.com"]["dns_records"]) == 3 and full["y@example.com"]["dns_records"] == []


def test_bad_identity_names_the_option(sandbox, module_main):
    res = module_main(M, {"identities": ["ok.example.com", "bad domain"]})
    assert res.rc != 0 and res.result["msg"].startswith("identities:")
