"""A sandbox + BIND fleet in which each domain carries exactly one kind of problem (or none), for posture tests.

Every domain starts from the same healthy baseline (Easy DKIM 2048 CNAMEs published and verified, MAIL FROM
mail.<domain> with MX + SPF and REJECT_MESSAGE, a configuration set, SPF ~all, DMARC p=reject with reports to
itself) and then gets its one defect. ``EXPECTED`` is what a receiver / SES would say about each, by the rules
written down in the issue - not what the module returned.
"""

from __future__ import annotations

import dns.name
import dns.query
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update

CS_OK = "posture-cs"
CS_NOSUPP = "posture-nosupp"

# domain label -> the finding ids it must get (sorted), besides the account's
EXPECTED = {
    "good": [],
    "nohost": ["dkim_record_missing", "verification_host_not_found"],
    "notype": ["dkim_record_missing", "verification_type_not_found"],
    "wrong": ["dkim_record_wrong", "verification_invalid_value"],
    "svc": ["verification_service_error"],
    "key1024": ["dkim_key_1024"],
    "fallback": ["mail_from_fallback"],
    "nosign": ["dkim_signing_disabled"],
    "nomf": ["mail_from_missing"],
    "nocs": ["configuration_set_missing"],
    "supp": ["suppression_override"],
    "spf11": ["spf_too_many_lookups"],
    "plusall": ["spf_all_permissive"],
    "pct": ["dmarc_obsolete_tags", "dmarc_pct"],
    "noauth": ["dmarc_report_unauthorised"],
    "nodmarc": ["dmarc_missing"],
    "pnone": ["dmarc_policy_none"],
    "testy": ["dmarc_test_mode"],
    "weaksub": ["dmarc_subdomain_weaker"],
    "norua": ["dmarc_no_rua"],
    "mfspf": ["mail_from_spf_no_ses"],
    "mfreject": ["mail_from_mx_missing", "mail_from_not_verified"],
}
# the findings only DNS can show: with DNS unreachable none of them may appear (SES's own answers still stand)
SES_SIDE = {"verification_host_not_found", "verification_type_not_found", "verification_invalid_value",
            "verification_service_error", "dkim_key_1024", "mail_from_fallback", "dkim_signing_disabled",
            "mail_from_missing", "configuration_set_missing", "suppression_override", "mail_from_not_verified"}
# the domains every provider must fail (by the rules the providers publish), and the one passing on DKIM alone
PROVIDERS_FAIL = ("nohost", "notype", "wrong", "svc", "nosign", "nodmarc", "mfspf", "mfreject")
# (spf11 and plusall break the apex SPF, which SES mail never uses: its MAIL FROM is mail.<domain>)
PROVIDERS_PASS = ("good", "fallback", "key1024", "nocs", "supp", "spf11", "plusall", "pct", "noauth", "pnone",
                  "testy", "weaksub", "norua", "nomf")
PARKED_EXPECTED = {
    "parked": ["parked_dmarc_not_reject", "parked_no_null_mx", "parked_spf_not_fail"],
    "parkedok": [],
}


class Zone:
    """RFC 2136 updates to the test BIND, in one message per call."""

    def __init__(self, bind, zone):
        self.bind, self.zone = bind, zone
        self.keyring = dns.tsigkeyring.from_text({bind.key_name: bind.key_secret})

    def put(self, records):
        """records: [(name, type, [values])] - each rrset replaced."""
        upd = dns.update.UpdateMessage(self.zone, keyring=self.keyring, keyname=dns.name.from_text(self.bind.key_name),
                                       keyalgorithm=dns.tsig.HMAC_SHA256)
        for name, rtype, values in records:
            upd.replace(name + ".", 300, rtype, *values)
        resp = dns.query.tcp(upd, "127.0.0.1", port=self.bind.port, timeout=5)
        assert resp.rcode() == 0, resp


def txt(value):
    """Zone-file TXT: strings of at most 255 bytes (a longer value is several strings of one record)."""
    return " ".join('"%s"' % value[i:i + 255] for i in range(0, len(value), 255))


def seed(sandbox, bind, zone, labels=None, parked_labels=None):
    """Seed the fleet (``labels``: a subset of EXPECTED, all by default); returns {label: domain}, {label: parked}."""
    ses = sandbox.boto3_client("sesv2")
    z = Zone(bind, zone)
    existing = set(ses.list_configuration_sets().get("ConfigurationSets", []))
    if CS_OK not in existing:
        ses.create_configuration_set(ConfigurationSetName=CS_OK)
    if CS_NOSUPP not in existing:
        ses.create_configuration_set(ConfigurationSetName=CS_NOSUPP, SuppressionOptions={"SuppressedReasons": []})
    region = "us-east-1"
    names = {label: "%s.%s" % (label, zone) for label in (labels or EXPECTED)}
    records = []
    # eleven includes that each exist (one lookup each, none void): 11 > 10
    for i in range(11):
        records.append(("inc%d.%s" % (i, zone), "TXT", [txt("v=spf1 -all")]))
    for label, domain in names.items():
        key = {"NextSigningKeyLength": "RSA_1024_BIT"} if label == "key1024" else {}
        created = ses.create_email_identity(EmailIdentity=domain, DkimSigningAttributes=key,
                                            **({} if label == "nocs" else
                                               {"ConfigurationSetName": CS_NOSUPP if label == "supp" else CS_OK}))
        tokens = created["DkimAttributes"]["Tokens"]
        if label == "svc":
            sandbox.post("identity-state", {"identity": domain, "verification_error": "SERVICE_ERROR"})
        for i, tok in enumerate(tokens):
            rr = "%s._domainkey.%s" % (tok, domain)
            if label == "nohost":
                continue
            if label == "notype":
                records.append((rr, "TXT", [txt("not a cname")]))
            elif label == "wrong" and i == 0:
                records.append((rr, "CNAME", ["%s.dkim.example.net." % tok]))
            else:
                records.append((rr, "CNAME", ["%s.dkim.amazonses.com." % tok]))
        if label != "nomf":
            mail_from = "mail." + domain
            if label != "mfreject":  # SES never finds its MX: the MAIL FROM stays unverified
                records.append((mail_from, "MX", ["10 feedback-smtp.%s.amazonses.com." % region]))
            records.append((mail_from, "TXT", [txt("v=spf1 -all" if label == "mfspf" else
                                                   "v=spf1 include:amazonses.com ~all")]))
        spf = "v=spf1 include:amazonses.com ~all"
        if label == "spf11":
            spf = "v=spf1 " + " ".join("include:inc%d.%s" % (i, zone) for i in range(11)) + " ~all"
        elif label == "plusall":
            spf = "v=spf1 include:amazonses.com +all"
        records.append((domain, "TXT", [txt(spf)]))
        dmarc = "v=DMARC1; p=reject; rua=mailto:dmarc@%s" % domain
        if label == "pct":
            dmarc = "v=DMARC1; p=quarantine; pct=50; rua=mailto:dmarc@%s" % domain
        elif label == "noauth":
            dmarc = "v=DMARC1; p=reject; rua=mailto:agg@reports.test"
        elif label == "pnone":
            dmarc = "v=DMARC1; p=none; rua=mailto:dmarc@%s" % domain
        elif label == "testy":
            dmarc = "v=DMARC1; p=quarantine; t=y; rua=mailto:dmarc@%s" % domain
        elif label == "weaksub":
            dmarc = "v=DMARC1; p=reject; sp=none; rua=mailto:dmarc@%s" % domain
        elif label == "norua":
            dmarc = "v=DMARC1; p=reject"
        if label != "nodmarc":
            records.append(("_dmarc." + domain, "TXT", [txt(dmarc)]))
    parked = {label: "%s.%s" % (label, zone) for label in (PARKED_EXPECTED if parked_labels is None else parked_labels)}
    records += [] if "parked" not in parked else [
        (parked["parked"], "MX", ["10 mx.example.net."]),
        (parked["parked"], "TXT", [txt("v=spf1 include:amazonses.com ~all")]),
        ("_dmarc." + parked["parked"], "TXT", [txt("v=DMARC1; p=none")])]
    records += [] if "parkedok" not in parked else [
        (parked["parkedok"], "MX", ["0 ."]),
        (parked["parkedok"], "TXT", [txt("v=spf1 -all")]),
        ("_dmarc." + parked["parkedok"], "TXT", [txt("v=DMARC1; p=reject; np=reject")]),
    ]
    for i in range(0, len(records), 40):
        z.put(records[i:i + 40])
    # SES-side settings after DNS, so SES sees the records when it checks
    for label, domain in names.items():
        if label != "nomf":
            ses.put_email_identity_mail_from_attributes(
                EmailIdentity=domain, MailFromDomain="mail." + domain,
                BehaviorOnMxFailure="USE_DEFAULT_VALUE" if label == "fallback" else "REJECT_MESSAGE")
        if label == "nosign":
            ses.put_email_identity_dkim_attributes(EmailIdentity=domain, SigningEnabled=False)
    return names, parked
