"""Pure logic of identities: records, keys, desired-vs-current plans (no network)."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ansible_collections.deliverability.ses.plugins.module_utils.policy import identity as logic
from ansible_collections.deliverability.ses.plugins.module_utils.aws import InputError


def _key(bits=2048, fmt="pem1"):
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pub = base64.b64encode(key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
    pkcs = serialization.PrivateFormat.PKCS8 if fmt.endswith("8") else serialization.PrivateFormat.TraditionalOpenSSL
    enc = serialization.Encoding.PEM if fmt.startswith("pem") else serialization.Encoding.DER
    raw = key.private_bytes(enc, pkcs, serialization.NoEncryption())
    return (raw.decode() if enc == serialization.Encoding.PEM else base64.b64encode(raw).decode()), pub


@pytest.fixture(scope="module")
def key2048():
    return _key(2048)


# ------------------------------------------------------------------------------------------ records
def test_dkim_records_normalise_the_domain():
    recs = logic.dkim_records(["tok1", "tok2", "tok3"], "Example.COM.")
    assert recs[0] == {"name": "tok1._domainkey.example.com", "type": "CNAME",
                       "values": ["tok1.dkim.amazonses.com"], "ttl": 1800}
    assert len(recs) == 3
    assert logic.dkim_records("tok", "bücher.de", ttl=300)[0]["name"] == "tok._domainkey.xn--bcher-kva.de"


def test_dkim_records_reject_bad_tokens_and_domains():
    with pytest.raises(InputError) as err:
        logic.dkim_records(["bad token"], "example.com")
    assert err.value.option == "tokens"
    with pytest.raises(InputError):
        logic.dkim_records(["t"], "not a domain")


def test_byodkim_record_for_a_2048_bit_key(key2048):
    pem, pub = key2048
    rec = logic.byodkim_record("S2026", "Example.com", pub)
    assert rec["name"] == "s2026._domainkey.example.com" and rec["type"] == "TXT"
    assert rec["values"] == ["v=DKIM1; k=rsa; p=" + pub] and rec["ttl"] == 1800
    assert set(rec) == {"name", "type", "values", "ttl"}  # exactly what dns_records takes


def test_txt_record_renders_through_the_one_encoder():
    from ansible_collections.deliverability.ses.plugins.module_utils.dns.rdata import txt_quote
    import dns.rdata
    rec = logic.record("x.example.com", "TXT", ['a "quoted" \\ value é'])
    parsed = dns.rdata.from_text("IN", "TXT", txt_quote(rec["values"][0]))
    assert b"".join(parsed.strings).decode() == rec["values"][0] == 'a "quoted" \\ value é'


def test_mail_from_records():
    mx, txt = logic.mail_from_records("Bounce.Example.com", "eu-west-1")
    assert mx == {"name": "bounce.example.com", "type": "MX", "values": ["10 feedback-smtp.eu-west-1.amazonses.com"],
                  "ttl": 1800, "exclusive": True}  # SES's MX must be the only one at the MAIL FROM name
    assert txt == {"name": "bounce.example.com", "type": "TXT", "values": ["v=spf1 include:amazonses.com ~all"],
                   "ttl": 1800}


def test_replica_mail_from_domain_is_first_label_dash_region():
    assert logic.replica_mail_from_domain("mail.example.com", "eu-west-1") == "mail-eu-west-1.example.com"
    assert logic.replica_mail_from_domain("Bounce.News.Example.COM.", "ap-southeast-2") == \
        "bounce-ap-southeast-2.news.example.com"  # normalised, only the first label changes
    # one name per region, none equal to the primary's
    names = {logic.replica_mail_from_domain("mail.example.com", r) for r in ("eu-west-1", "us-west-2")}
    assert len(names) == 2 and "mail.example.com" not in names


@pytest.mark.parametrize("domain, region, option, match", [
    ("mail.example.com", "Europe", "region", "not an AWS region name"),
    ("mail.example.com", None, "region", "not an AWS region name"),
    ("example", "eu-west-1", "mail_from_domain", "not a valid domain name"),
    ("", "eu-west-1", "mail_from_domain", "required"),
    ("m" * 60 + ".example.com", "eu-west-1", "mail_from_domain", "63 characters"),
])
def test_replica_mail_from_domain_refuses_bad_input(domain, region, option, match):
    with pytest.raises(InputError, match=match) as err:
        logic.replica_mail_from_domain(domain, region)
    assert err.value.option == option


def test_identity_records_by_origin():
    easy = {"identity": "example.com", "identity_type": "DOMAIN", "dkim": {"origin": "AWS_SES", "tokens": ["a"]}}
    assert logic.identity_records(easy)[0]["type"] == "CNAME"
    byo = {"identity": "example.com", "identity_type": "DOMAIN", "dkim": {"origin": "EXTERNAL", "tokens": ["s1"]}}
    assert logic.identity_records(byo) == []
    assert logic.identity_records(byo, public_key="MIIB")[0]["values"] == ["v=DKIM1; k=rsa; p=MIIB"]
    assert logic.identity_records({"identity": "a@b.c", "identity_type": "EMAIL_ADDRESS"}) == []
    assert logic.identity_records(None) == []


# ------------------------------------------------------------------------------------------ keys
@pytest.mark.parametrize("fmt", ["pem1", "pem8", "der1", "der8"])
@pytest.mark.parametrize("bits", [1024, 2048])
def test_load_private_key_formats(fmt, bits):
    text, pub = _key(bits, fmt)
    got = logic.load_private_key(text)
    assert got["public_key"] == pub and got["bits"] == bits
    assert "-----" not in got["api_value"] and "\n" not in got["api_value"]
    base64.b64decode(got["api_value"], validate=True)


def test_pure_python_parse_matches_cryptography_without_it(monkeypatch):
    text, pub = _key(2048, "pem8")
    monkeypatch.setattr(logic, "_check_with_cryptography", lambda der, option: None)
    assert logic.load_private_key(text)["public_key"] == pub


def test_pem_with_surrounding_text_and_crlf():
    text, pub = _key(1024, "pem1")
    assert logic.load_private_key("comment\r\n" + text.replace("\n", "\r\n") + "\ntrailer")["public_key"] == pub


@pytest.mark.parametrize("value,fragment", [
    ("", "a private key is required"),
    ("bm90IGEga2V5", "not an RSA private key"),
    ("***not base64***", "not valid base64"),
    ("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n", "incomplete"),
    ("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----", "encrypted"),
    ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "PUBLIC KEY is not an RSA private key"),
])
def test_load_private_key_rejects(value, fragment):
    with pytest.raises(InputError) as err:
        logic.load_private_key(value)
    assert err.value.option == "dkim.private_key"
    assert fragment in err.value.msg


def test_load_private_key_rejects_other_sizes_and_ec():
    with pytest.raises(InputError) as err:
        logic.load_private_key(_key(3072, "pem1")[0])
    assert "3072 bits" in err.value.msg
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    with pytest.raises(InputError) as err:
        logic.load_private_key(pem)
    assert "not an RSA private key" in err.value.msg
    # the message never echoes the key
    assert pem.splitlines()[1] not in err.value.msg


@pytest.mark.parametrize("selector", ["s1", "S2026", "a-b", "x" * 63])
def test_selector_ok(selector):
    assert logic.validate_selector(selector) == selector.lower()


@pytest.mark.parametrize("selector", ["", "-a", "a-", "a.b", "a_b", "x" * 64, "sel!", None])
def test_selector_bad(selector):
    with pytest.raises(InputError) as err:
        logic.validate_selector(selector)
    assert err.value.option == "dkim.selector"


# ------------------------------------------------------------------------------------------ plans
def _current(**over):
    cur = {"state": "present", "identity": "example.com", "identity_type": "DOMAIN",
           "dkim": {"signing_enabled": True, "mode": "easy", "key_length": "RSA_2048_BIT"},
           "configuration_set": None, "feedback_forwarding": True, "tags": {}}
    cur.update(over)
    return cur


def _params(**over):
    p = {"state": "present", "dkim": None, "configuration_set": None, "feedback_forwarding": None,
         "tags": None, "purge_tags": True}
    p.update(over)
    return p


def test_settings_from_identity():
    ident = {"identity": "example.com", "identity_type": "DOMAIN", "feedback_forwarding": True,
             "configuration_set": None, "tags": {"a": "1"},
             "dkim": {"origin": "AWS_SES", "signing_enabled": True, "next_key_length": "RSA_1024_BIT",
                      "tokens": ["x"]}}
    assert logic.settings_from_identity(ident) == _current(dkim={"signing_enabled": True, "mode": "easy",
                                                                 "key_length": "RSA_1024_BIT"}, tags={"a": "1"})
    ident["dkim"] = {"origin": "EXTERNAL", "signing_enabled": True, "tokens": ["s1"]}
    assert logic.settings_from_identity(ident)["dkim"] == {"signing_enabled": True, "mode": "byodkim",
                                                           "selector": "s1"}
    assert logic.settings_from_identity(None) == {"state": "absent"}


def test_plan_create_easy_defaults():
    actions, after = logic.plan("example.com", _params(tags={"b": 2, "a": "1"}), {"state": "absent"})
    assert actions == [("CreateEmailIdentity", {
        "EmailIdentity": "example.com", "DkimSigningAttributes": {"NextSigningKeyLength": "RSA_2048_BIT"},
        "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]})]
    assert after["dkim"] == {"signing_enabled": True, "mode": "easy", "key_length": "RSA_2048_BIT"}
    assert after["tags"] == {"a": "1", "b": "2"}


def test_plan_create_byodkim_uses_a_placeholder_for_the_key():
    actions, after = logic.plan("example.com", _params(dkim={"mode": "byodkim", "selector": "s1",
                                                             "private_key": "SECRET"}), {"state": "absent"})
    assert actions[0][1]["DkimSigningAttributes"] == {"DomainSigningSelector": "s1",
                                                      "DomainSigningPrivateKey": "<private_key>"}
    assert "SECRET" not in repr(actions) + repr(after)


def test_plan_create_with_non_defaults_adds_follow_up_calls():
    actions, after = logic.plan("example.com", _params(dkim={"signing_enabled": False}, feedback_forwarding=False,
                                                       configuration_set="cs"), {"state": "absent"})
    assert [a[0] for a in actions] == ["CreateEmailIdentity", "PutEmailIdentityDkimAttributes",
                                       "PutEmailIdentityFeedbackAttributes"]
    assert actions[0][1]["ConfigurationSetName"] == "cs"
    assert after["dkim"]["signing_enabled"] is False and after["feedback_forwarding"] is False


def test_plan_email_address_create():
    actions, after = logic.plan("a@example.com", _params(), {"state": "absent"})
    assert actions == [("CreateEmailIdentity", {"EmailIdentity": "a@example.com"})]
    assert after["dkim"] == {"signing_enabled": False}


def test_plan_nothing_to_do():
    params = _params(dkim={"mode": "easy", "key_length": "RSA_2048_BIT", "signing_enabled": True},
                     feedback_forwarding=True, tags={}, configuration_set="")
    assert logic.plan("example.com", params, _current()) == ([], _current())


def test_plan_key_length_change():
    actions, after = logic.plan("example.com", _params(dkim={"key_length": "RSA_1024_BIT"}), _current())
    assert actions == [("PutEmailIdentityDkimSigningAttributes", {
        "EmailIdentity": "example.com", "SigningAttributesOrigin": "AWS_SES",
        "SigningAttributes": {"NextSigningKeyLength": "RSA_1024_BIT"}})]
    assert after["dkim"]["key_length"] == "RSA_1024_BIT"


def test_plan_easy_to_byodkim_and_back():
    byo = {"mode": "byodkim", "selector": "s1", "private_key": "K"}
    actions, after = logic.plan("example.com", _params(dkim=byo), _current())
    assert actions[0][1]["SigningAttributesOrigin"] == "EXTERNAL"
    assert after["dkim"] == {"signing_enabled": True, "mode": "byodkim", "selector": "s1"}
    cur = _current(dkim={"signing_enabled": True, "mode": "byodkim", "selector": "s1"})
    assert logic.plan("example.com", _params(dkim=byo), cur)[0] == []
    assert len(logic.plan("example.com", _params(dkim=dict(byo, selector="s2")), cur)[0]) == 1
    actions, after = logic.plan("example.com", _params(dkim={"mode": "easy"}), cur)
    assert actions[0][1]["SigningAttributes"] == {"NextSigningKeyLength": "RSA_2048_BIT"}
    assert after["dkim"]["mode"] == "easy"
    with pytest.raises(InputError) as err:
        logic.plan("example.com", _params(dkim={"key_length": "RSA_1024_BIT"}), cur)
    assert err.value.option == "dkim.key_length"


def test_plan_tags_purge_and_keep():
    cur = _current(tags={"a": "1", "b": "2"})
    actions, after = logic.plan("example.com", _params(tags={"a": "9", "c": "3"}), cur)
    assert actions == [("TagResource", {"Tags": [{"Key": "a", "Value": "9"}, {"Key": "c", "Value": "3"}]}),
                       ("UntagResource", {"TagKeys": ["b"]})]
    assert after["tags"] == {"a": "9", "c": "3"}
    actions, after = logic.plan("example.com", _params(tags={"c": "3"}, purge_tags=False), cur)
    assert [a[0] for a in actions] == ["TagResource"] and after["tags"] == {"a": "1", "b": "2", "c": "3"}
    actions, after = logic.plan("example.com", _params(tags={}), cur)
    assert actions == [("UntagResource", {"TagKeys": ["a", "b"]})] and after["tags"] == {}


def test_plan_configuration_set_attach_and_detach():
    actions = logic.plan("example.com", _params(configuration_set="cs"), _current())[0]
    assert actions == [("PutEmailIdentityConfigurationSetAttributes",
                        {"EmailIdentity": "example.com", "ConfigurationSetName": "cs"})]
    actions, after = logic.plan("example.com", _params(configuration_set=""), _current(configuration_set="cs"))
    assert actions == [("PutEmailIdentityConfigurationSetAttributes", {"EmailIdentity": "example.com"})]
    assert after["configuration_set"] is None


def test_plan_absent():
    assert logic.plan("example.com", _params(state="absent"), _current()) == (
        [("DeleteEmailIdentity", {"EmailIdentity": "example.com"})], {"state": "absent"})
    assert logic.plan("example.com", _params(state="absent"), {"state": "absent"}) == ([], {"state": "absent"})


@pytest.mark.parametrize("name,params,option", [
    ("a@example.com", {"dkim": {"mode": "easy"}}, "dkim.mode"),
    ("example.com", {"dkim": {"mode": "byodkim", "selector": "s1", "private_key": "x",
                              "key_length": "RSA_1024_BIT"}}, "dkim.key_length"),
    ("example.com", {"dkim": {"mode": "byodkim", "private_key": "x"}}, "dkim"),
    ("example.com", {"dkim": {"private_key": "x"}}, "dkim.private_key"),
    ("example.com", {"configuration_set": "a b"}, "configuration_set"),
    ("example.com", {"tags": {"": "x"}}, "tags"),
    ("example.com", {"tags": {"k": "v" * 257}}, "tags"),
])
def test_validate_params_errors(name, params, option):
    with pytest.raises(InputError) as err:
        logic.validate_params(name, params)
    assert err.value.option == option


def test_validate_params_returns_the_parsed_key():
    text, pub = _key(1024)
    dkim, key = logic.validate_params("example.com", {"dkim": {"mode": "byodkim", "selector": "S1",
                                                               "private_key": text}})
    assert dkim["selector"] == "s1" and key["public_key"] == pub


# ------------------------------------------------------------------------------------------ MAIL FROM
def test_mail_from_domain_must_be_a_subdomain():
    assert logic.check_mail_from_domain("Bounce.Example.COM.", "example.com") == "bounce.example.com"
    assert logic.check_mail_from_domain("mf.example.com", "user@example.com") == "mf.example.com"
    for bad in ("example.com", "other.org", "badexample.com"):
        with pytest.raises(InputError) as err:
            logic.check_mail_from_domain(bad, "example.com")
        assert err.value.option == "mail_from_domain"


def test_mail_from_plan():
    cur = {"mail_from_domain": None, "behavior_on_mx_failure": "USE_DEFAULT_VALUE"}
    params = {"state": "present", "mail_from_domain": "mf.example.com", "behavior_on_mx_failure": "REJECT_MESSAGE"}
    actions, after = logic.mail_from_plan("example.com", params, cur)
    assert actions == [("PutEmailIdentityMailFromAttributes", {"EmailIdentity": "example.com",
                                                               "MailFromDomain": "mf.example.com",
                                                               "BehaviorOnMxFailure": "REJECT_MESSAGE"})]
    assert logic.mail_from_plan("example.com", params, after) == ([], after)
    actions, after2 = logic.mail_from_plan("example.com", {"state": "absent"}, after)
    assert actions == [("PutEmailIdentityMailFromAttributes", {"EmailIdentity": "example.com"})]
    assert after2["mail_from_domain"] is None
    assert logic.mail_from_plan("example.com", {"state": "absent"}, cur)[0] == []


# ------------------------------------------------------------------------------------------ DEED replicas
def test_replica_plan_creates_with_the_deed_origin_and_no_key_options():
    dkim, key = logic.validate_params("example.com", {"dkim": {"origin_region": "us-east-1"}})
    assert key is None
    actions, after = logic.plan("example.com", {"dkim": dkim}, {"state": "absent"})
    assert actions == [("CreateEmailIdentity", {
        "EmailIdentity": "example.com",
        "DkimSigningAttributes": {"DomainSigningAttributesOrigin": "AWS_SES_US_EAST_1"}})]
    assert after["dkim"] == {"signing_enabled": True, "mode": "replica", "origin_region": "us-east-1"}
    for extra in ({"mode": "easy"}, {"key_length": "RSA_2048_BIT"}, {"mode": "byodkim", "selector": "s1"}):
        with pytest.raises(InputError) as err:
            logic.validate_params("example.com", {"dkim": dict(extra, origin_region="us-east-1")})
        assert err.value.option == "dkim.origin_region"
    with pytest.raises(InputError) as err:
        logic.validate_params("news@example.com", {"dkim": {"origin_region": "us-east-1"}})
    assert err.value.option == "dkim.origin_region"


def test_an_existing_replica_is_shown_as_one_and_left_alone():
    ident = {"identity": "example.com", "identity_type": "DOMAIN",
             "dkim": {"signing_enabled": True, "origin": "AWS_SES_US_EAST_1", "next_key_length": "RSA_2048_BIT"}}
    current = logic.settings_from_identity(ident)
    assert current["dkim"] == {"signing_enabled": True, "mode": "replica", "origin_region": "us-east-1",
                               "key_length": "RSA_2048_BIT"}
    assert logic.replica_region(ident) == "us-east-1" and logic.replica_region(None) is None
    dkim, _key = logic.validate_params("example.com", {"dkim": {"origin_region": "us-east-1"}})
    assert logic.plan("example.com", {"dkim": dkim}, current) == ([], current)
    # wanting another parent does not plan a change in place (SES sets the origin on create): the runner reports it
    dkim, _key = logic.validate_params("example.com", {"dkim": {"origin_region": "us-west-2"}})
    assert logic.plan("example.com", {"dkim": dkim}, current)[0] == []
