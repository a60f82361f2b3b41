# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of SES identities: DNS records they need, DKIM key handling, desired-vs-current plans.

Nothing here touches the network, so the modules, the ``dkim_records`` filter and the unit tests share it.
"""

from __future__ import annotations

import base64
import binascii
import copy
import re

from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError
from ansible_collections.deliverability.ses.plugins.module_utils.dns.rdata import record_dict
from ansible_collections.deliverability.ses.plugins.module_utils.policy import ses as ses_rules
from ansible_collections.deliverability.ses.plugins.module_utils.policy import posture_regions as region_rules
from ansible_collections.deliverability.ses.plugins.module_utils.policy import spf as spf_rules
from ansible_collections.deliverability.ses.plugins.module_utils import validate

DEFAULT_TTL = 1800
DEFAULT_KEY_LENGTH = "RSA_2048_BIT"
KEY_LENGTHS = ("RSA_1024_BIT", "RSA_2048_BIT")
SPF_VALUE = spf_rules.merge(None)  # a new SPF record authorising SES: "v=spf1 include:amazonses.com ~all"
_SELECTOR = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,63}")
_PEM = re.compile(r"-----BEGIN ([A-Z ]+)-----(.*?)-----END \1-----", re.S)


# ---------------------------------------------------------------------------------------------- records
def record(name, rtype, values, ttl=DEFAULT_TTL, exclusive=None):
    """One record set in exactly the shape ``dns_records`` takes in ``records``: ``{name, type, values, ttl}``
    (plus ``exclusive`` when the rrset must hold only these values). ``values`` has one entry per record; a
    TXT entry is the whole logical text (``dns_records`` and every provider split it into 255-byte strings
    with :mod:`dns.rdata`, the one encoder), so ``records: "{{ result.dns_records }}"`` publishes it as is.
    """
    return record_dict(name, rtype, values, ttl, exclusive=exclusive)


def dkim_records(tokens, domain, ttl=DEFAULT_TTL):
    """The three Easy DKIM CNAMEs: ``<token>._domainkey.<domain>`` -> ``<token>.dkim.amazonses.com``."""
    if isinstance(tokens, str):
        tokens = [tokens]
    domain = _domain(domain)
    out = []
    for token in tokens or []:
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            raise InputError("tokens", "%r is not a DKIM token (letters, digits, '-' or '_')" % (token,))
        out.append(record("%s._domainkey.%s" % (token, domain), "CNAME", [ses_rules.dkim_target(token)], ttl))
    return out


def byodkim_record(selector, domain, public_key, ttl=DEFAULT_TTL):
    """The BYODKIM selector TXT: one record (about 410 characters for a 2048-bit key: two strings on the wire)."""
    selector = validate_selector(selector, "selector")
    value = "v=DKIM1; k=rsa; p=%s" % public_key
    return record("%s._domainkey.%s" % (selector, _domain(domain)), "TXT", [value], ttl)


def mail_from_records(mail_from_domain, region, ttl=DEFAULT_TTL):
    """MX to SES's feedback endpoint of the region and the SPF TXT the MAIL FROM subdomain needs.

    The MX is ``exclusive``: SES checks that the MAIL FROM domain's MX points at it, and another MX there
    would send bounces elsewhere."""
    domain = _domain(mail_from_domain)
    return [
        record(domain, "MX", [ses_rules.mail_from_mx(region)], ttl, exclusive=True),
        record(domain, "TXT", [SPF_VALUE], ttl),
    ]


def replica_mail_from_domain(mail_from_domain, region, option="mail_from_domain"):
    """The MAIL FROM domain of a replica in ``region``: the first label of the primary's MAIL FROM domain with
    ``-<region>`` appended, the rest unchanged (``mail.example.com`` in eu-west-1 -> ``mail-eu-west-1.example.com``).
    SES asks the MAIL FROM name's MX to be the feedback endpoint of the region that sends, and the planner keeps it
    the only MX there: each region needs a name of its own. The one rule (the ``domain`` role, ``domain_policy``)."""
    from ansible_collections.deliverability.ses.plugins.module_utils.names import normalize_domain
    first, rest = normalize_domain(mail_from_domain, option).split(".", 1)
    validate.aws_region(region if isinstance(region, str) else repr(region), "region")
    if len(first) + 1 + len(region) > 63:
        raise InputError(option, "%s-%s is longer than the 63 characters a DNS label may have; use a shorter MAIL "
                                 "FROM label" % (first, region))
    return normalize_domain("%s-%s.%s" % (first, region, rest), option)


def identity_records(ident, ttl=DEFAULT_TTL, public_key=None):
    """The DKIM records an identity (as sesv2.identity_from_api returns it) needs, or [] when unknown."""
    if not ident or ident.get("identity_type") != "DOMAIN":
        return []
    dkim = ident.get("dkim") or {}
    if dkim_mode(dkim.get("origin")) == "byodkim":
        tokens = dkim.get("tokens") or []
        if public_key and tokens:
            return [byodkim_record(tokens[0], ident["identity"], public_key, ttl)]
        return []
    return dkim_records(dkim.get("tokens") or [], ident["identity"], ttl)


def _domain(domain):
    if not isinstance(domain, str) or not domain.strip():
        raise InputError("domain", "a domain name is required, got %r" % (domain,))
    from ansible_collections.deliverability.ses.plugins.module_utils.names import normalize_domain
    return normalize_domain(domain, "domain")


# ---------------------------------------------------------------------------------------------- keys
def validate_selector(selector, option="dkim.selector"):
    if not isinstance(selector, str) or not _SELECTOR.fullmatch(selector):
        raise InputError(option, "%r is not a valid DKIM selector: one DNS label of letters, digits and inner "
                                 "hyphens, at most 63 characters" % (selector,))
    return selector.lower()


def _der_read(data, pos):
    """Read one DER TLV at pos: (tag, content_start, content_end)."""
    if pos + 2 > len(data):
        raise ValueError("truncated DER")
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise ValueError("truncated DER")
    return tag, pos, pos + length


def _der_len(n):
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _der(tag, content):
    return bytes([tag]) + _der_len(len(content)) + content


def _rsa_numbers(der):
    """(n, e) of a PKCS#1 RSAPrivateKey or a PKCS#8 PrivateKeyInfo holding one, parsed without libraries."""
    tag, start, end = _der_read(der, 0)
    if tag != 0x30 or end != len(der):
        raise ValueError("not a DER SEQUENCE")
    tag, s, e = _der_read(der, start)  # version
    if tag != 0x02:
        raise ValueError("no version")
    tag, s2, e2 = _der_read(der, e)
    if tag == 0x30:  # PKCS#8: AlgorithmIdentifier, then OCTET STRING with the PKCS#1 key
        oid_tag, os_, oe = _der_read(der, s2)
        if oid_tag != 0x06 or der[os_:oe] != bytes.fromhex("2a864886f70d010101"):
            raise ValueError("not an RSA key")
        tag, s3, e3 = _der_read(der, e2)
        if tag != 0x04:
            raise ValueError("no private key octets")
        return _rsa_numbers(der[s3:e3])
    if tag != 0x02:
        raise ValueError("no modulus")
    n = int.from_bytes(der[s2:e2], "big")
    tag, s3, e3 = _der_read(der, e2)
    if tag != 0x02:
        raise ValueError("no public exponent")
    e_ = int.from_bytes(der[s3:e3], "big")
    return n, e_


def _spki(n, e):
    """SubjectPublicKeyInfo DER of an RSA public key (what a DKIM ``p=`` tag carries)."""
    def integer(v):
        raw = v.to_bytes((v.bit_length() + 8) // 8, "big")  # leading 0 keeps it positive
        return _der(0x02, raw)
    rsa_pub = _der(0x30, integer(n) + integer(e))
    alg = _der(0x30, _der(0x06, bytes.fromhex("2a864886f70d010101")) + b"\x05\x00")
    return _der(0x30, alg + _der(0x03, b"\x00" + rsa_pub))


def load_private_key(value, option="dkim.private_key"):
    """Validate a BYODKIM private key given as PEM or bare base64 DER.

    Returns ``{"api_value": base64 DER for SES, "public_key": base64 SubjectPublicKeyInfo, "bits": 2048}``.
    Uses python ``cryptography`` when importable, else a minimal DER parse; raises InputError naming the
    option (and never echoing the key).
    """
    if not isinstance(value, str) or not value.strip():
        raise InputError(option, "a private key is required (PEM or base64 DER of an RSA key)")
    text = value.strip()
    if "-----BEGIN" in text:
        m = _PEM.search(text)
        if not m:
            raise InputError(option, "the PEM block is incomplete (no matching -----END line)")
        label = m.group(1)
        if "ENCRYPTED" in label:
            raise InputError(option, "the key is encrypted; SES needs an unencrypted RSA private key")
        if label not in ("RSA PRIVATE KEY", "PRIVATE KEY"):
            raise InputError(option, "a %s is not an RSA private key (expected BEGIN RSA PRIVATE KEY or "
                                     "BEGIN PRIVATE KEY)" % label)
        body = m.group(2)
    else:
        body = text
    b64 = "".join(body.split())
    try:
        der = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise InputError(option, "not valid base64 / PEM")
    try:
        n, e = _rsa_numbers(der)
    except ValueError:
        raise InputError(option, "not an RSA private key (PKCS#1 or PKCS#8 DER expected)")
    bits = n.bit_length()
    if bits not in (1024, 2048):
        raise InputError(option, "the RSA key has %d bits; SES accepts 1024 or 2048" % bits)
    public = base64.b64encode(_spki(n, e)).decode("ascii")
    checked = _check_with_cryptography(der, option)
    if checked is not None and checked != public:
        raise InputError(option, "the key does not parse consistently")
    return {"api_value": b64, "public_key": public, "bits": bits}


def _check_with_cryptography(der, option):
    """Full validation with python cryptography when available; its public key, or None without it."""
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
    except ImportError:
        return None
    try:
        key = serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError):
        raise InputError(option, "not a valid RSA private key (cryptography could not load it)")
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InputError(option, "not an RSA private key")
    pub = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(pub).decode("ascii")


# ---------------------------------------------------------------------------------------------- state
def dkim_mode(origin):
    if not origin:
        return None
    return "byodkim" if origin == "EXTERNAL" else "easy"


def replica_region(ident):
    """The parent region of a DEED replica (its DKIM signing origin ``AWS_SES_<REGION>``), else None."""
    return region_rules.deed_parent_region(((ident or {}).get("dkim") or {}).get("origin"))


def settings_from_identity(ident):
    """The settings this collection manages, as compared and shown in diffs ({"state": "absent"} if none)."""
    if not ident:
        return {"state": "absent"}
    dkim = ident.get("dkim") or {}
    mode = dkim_mode(dkim.get("origin"))
    out_dkim = {"signing_enabled": dkim.get("signing_enabled")}
    if ident.get("identity_type") == "DOMAIN":
        out_dkim["mode"] = mode
        if mode == "easy":
            out_dkim["key_length"] = dkim.get("next_key_length")
        elif mode == "byodkim":
            out_dkim["selector"] = (dkim.get("tokens") or [None])[0]
        parent = region_rules.deed_parent_region(dkim.get("origin"))
        if parent:  # a DEED replica: the parent's keys (and key length)
            out_dkim.update(mode="replica", origin_region=parent)
    return {
        "state": "present",
        "identity": ident.get("identity"),
        "identity_type": ident.get("identity_type"),
        "dkim": out_dkim,
        "configuration_set": ident.get("configuration_set"),
        "feedback_forwarding": ident.get("feedback_forwarding"),
        "tags": dict(ident.get("tags") or {}),
    }


def identity_type(name):
    return "EMAIL_ADDRESS" if "@" in name else "DOMAIN"


def validate_params(name, params):
    """Check every option before any call; returns the normalised dkim options and the parsed key (or None)."""
    dkim = dict(params.get("dkim") or {})
    key = None
    kind = identity_type(name)
    if kind == "EMAIL_ADDRESS":
        for opt in ("mode", "key_length", "selector", "private_key"):
            if dkim.get(opt) is not None:
                raise InputError("dkim.%s" % opt, "applies to domain identities only; %s is an email address "
                                 "(it signs with its domain's DKIM)" % name)
    mode = dkim.get("mode")
    if dkim.get("origin_region") is not None:
        if kind == "EMAIL_ADDRESS":
            raise InputError("dkim.origin_region", "applies to domain identities only; %s is an email address" % name)
        for opt in ("mode", "key_length", "selector", "private_key"):
            if dkim.get(opt) is not None:
                raise InputError("dkim.origin_region", "a DEED replica signs with its parent's Easy DKIM keys; "
                                 "dkim.%s cannot be given with it" % opt)
    if mode == "byodkim":
        if dkim.get("key_length") is not None:
            raise InputError("dkim.key_length", "applies to Easy DKIM only; with mode=byodkim the key's own "
                             "length is used")
        if dkim.get("selector") is None or dkim.get("private_key") is None:
            raise InputError("dkim", "mode=byodkim needs both selector and private_key")
    elif dkim.get("selector") is not None or dkim.get("private_key") is not None:
        raise InputError("dkim.selector" if dkim.get("selector") is not None else "dkim.private_key",
                         "applies only with dkim.mode=byodkim")
    if dkim.get("selector") is not None:
        dkim["selector"] = validate_selector(dkim["selector"])
    if dkim.get("private_key") is not None:
        key = load_private_key(dkim["private_key"])
    if params.get("configuration_set"):
        validate.aws_name(params["configuration_set"], "configuration_set", "configuration_set")
    params["tags"] = validate.tags(params.get("tags"), "tags")
    return dkim, key


def _plan_signing_key(name, dkim, cur_dkim, actions, after):
    """An existing domain's DKIM signing key: BYODKIM <-> Easy DKIM, another selector, another key length."""
    mode, key_length = dkim.get("mode"), dkim.get("key_length")
    cur_mode = cur_dkim.get("mode")
    if mode is None and key_length is not None and cur_mode == "byodkim":
        raise InputError("dkim.key_length", "%s uses BYODKIM; set dkim.mode=easy to switch to Easy DKIM "
                         "with this key length" % name)
    if mode == "byodkim" and (cur_mode != "byodkim" or cur_dkim.get("selector") != dkim["selector"]):
        actions.append(("PutEmailIdentityDkimSigningAttributes", {
            "EmailIdentity": name, "SigningAttributesOrigin": "EXTERNAL",
            "SigningAttributes": {"DomainSigningSelector": dkim["selector"],
                                  "DomainSigningPrivateKey": "<private_key>"}}))
        after["dkim"] = {"signing_enabled": cur_dkim.get("signing_enabled"), "mode": "byodkim",
                         "selector": dkim["selector"]}
    elif mode == "easy" and cur_mode == "byodkim":
        length = key_length or DEFAULT_KEY_LENGTH
        actions.append(("PutEmailIdentityDkimSigningAttributes", {
            "EmailIdentity": name, "SigningAttributesOrigin": "AWS_SES",
            "SigningAttributes": {"NextSigningKeyLength": length}}))
        after["dkim"] = {"signing_enabled": cur_dkim.get("signing_enabled"), "mode": "easy", "key_length": length}
    elif mode in (None, "easy") and key_length is not None and key_length != cur_dkim.get("key_length"):
        actions.append(("PutEmailIdentityDkimSigningAttributes", {
            "EmailIdentity": name, "SigningAttributesOrigin": "AWS_SES",
            "SigningAttributes": {"NextSigningKeyLength": key_length}}))
        after["dkim"]["key_length"] = key_length


def plan(name, params, current, key=None):
    """Desired (params) vs current (settings_from_identity) -> (actions, after).

    ``actions`` is a list of (operation, api_params) in the order to apply them; a BYODKIM private key
    appears as the placeholder ``"<private_key>"`` so the plan itself can be shown and logged. ``after`` is
    the predicted settings.
    """
    dkim = dict(params.get("dkim") or {})
    kind = identity_type(name)
    state = params.get("state", "present")
    actions = []
    if state == "absent":
        if current.get("state") == "present":
            actions.append(("DeleteEmailIdentity", {"EmailIdentity": name}))
        return actions, {"state": "absent"}

    tags = params.get("tags")
    if tags is not None:
        tags = {str(k): str(v) for k, v in tags.items()}
    cs = params.get("configuration_set")
    ff = params.get("feedback_forwarding")
    mode = dkim.get("mode")
    key_length = dkim.get("key_length")
    signing = dkim.get("signing_enabled")

    if current.get("state") != "present":
        create = {"EmailIdentity": name}
        after_dkim = {"signing_enabled": kind == "DOMAIN"}
        if kind == "DOMAIN":
            if dkim.get("origin_region"):
                create["DkimSigningAttributes"] = {
                    "DomainSigningAttributesOrigin": region_rules.deed_origin(dkim["origin_region"])}
                after_dkim.update(mode="replica", origin_region=dkim["origin_region"])
            elif mode == "byodkim":
                create["DkimSigningAttributes"] = {"DomainSigningSelector": dkim["selector"],
                                                   "DomainSigningPrivateKey": "<private_key>"}
                after_dkim.update(mode="byodkim", selector=dkim["selector"])
            else:
                create["DkimSigningAttributes"] = {"NextSigningKeyLength": key_length or DEFAULT_KEY_LENGTH}
                after_dkim.update(mode="easy", key_length=key_length or DEFAULT_KEY_LENGTH)
        if tags:
            create["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
        if cs:
            create["ConfigurationSetName"] = cs
        actions.append(("CreateEmailIdentity", create))
        after = {"state": "present", "identity": name, "identity_type": kind, "dkim": after_dkim,
                 "configuration_set": cs or None, "feedback_forwarding": True, "tags": dict(tags or {})}
        if signing is not None and signing != after_dkim["signing_enabled"]:
            actions.append(("PutEmailIdentityDkimAttributes", {"EmailIdentity": name, "SigningEnabled": signing}))
            after_dkim["signing_enabled"] = signing
        if ff is not None and ff is not True:
            actions.append(("PutEmailIdentityFeedbackAttributes",
                            {"EmailIdentity": name, "EmailForwardingEnabled": ff}))
            after["feedback_forwarding"] = ff
        return actions, after

    after = copy.deepcopy(current)
    cur_dkim = current.get("dkim") or {}
    if kind == "DOMAIN":
        _plan_signing_key(name, dkim, cur_dkim, actions, after)
    if signing is not None and signing != cur_dkim.get("signing_enabled"):
        actions.append(("PutEmailIdentityDkimAttributes", {"EmailIdentity": name, "SigningEnabled": signing}))
        after["dkim"]["signing_enabled"] = signing
    if cs is not None and (cs or None) != current.get("configuration_set"):
        api = {"EmailIdentity": name}
        if cs:
            api["ConfigurationSetName"] = cs
        actions.append(("PutEmailIdentityConfigurationSetAttributes", api))
        after["configuration_set"] = cs or None
    if ff is not None and ff != current.get("feedback_forwarding"):
        actions.append(("PutEmailIdentityFeedbackAttributes", {"EmailIdentity": name, "EmailForwardingEnabled": ff}))
        after["feedback_forwarding"] = ff
    if tags is not None:
        cur_tags = current.get("tags") or {}
        add = {k: v for k, v in tags.items() if cur_tags.get(k) != v}
        remove = sorted(k for k in cur_tags if k not in tags) if params.get("purge_tags", True) else []
        if add:
            actions.append(("TagResource", {"Tags": [{"Key": k, "Value": v} for k, v in sorted(add.items())]}))
        if remove:
            actions.append(("UntagResource", {"TagKeys": remove}))
        new_tags = {k: v for k, v in cur_tags.items() if k not in remove}
        new_tags.update(add)
        after["tags"] = new_tags
    return actions, after


def mail_from_plan(name, params, current):
    """MAIL FROM desired vs current ({"mail_from_domain", "behavior_on_mx_failure"}) -> (actions, after)."""
    state = params.get("state", "present")
    behavior = params.get("behavior_on_mx_failure") or "USE_DEFAULT_VALUE"
    if state == "absent":
        after = {"mail_from_domain": None, "behavior_on_mx_failure": current.get("behavior_on_mx_failure")}
        if current.get("mail_from_domain"):
            after["behavior_on_mx_failure"] = "USE_DEFAULT_VALUE"
            return [("PutEmailIdentityMailFromAttributes", {"EmailIdentity": name})], after
        return [], dict(current)
    after = {"mail_from_domain": params["mail_from_domain"], "behavior_on_mx_failure": behavior}
    wanted = (after["mail_from_domain"], behavior)
    if (current.get("mail_from_domain"), current.get("behavior_on_mx_failure")) == wanted:
        return [], dict(current)
    return [("PutEmailIdentityMailFromAttributes", {"EmailIdentity": name,
                                                    "MailFromDomain": params["mail_from_domain"],
                                                    "BehaviorOnMxFailure": behavior})], after


def check_mail_from_domain(mail_from_domain, identity_name, option="mail_from_domain"):
    """The MAIL FROM domain must be a subdomain of the identity's domain (and not the domain itself)."""
    from ansible_collections.deliverability.ses.plugins.module_utils.names import normalize_domain
    mf = normalize_domain(mail_from_domain, option)
    parent = identity_name.rpartition("@")[2]
    if not mf.endswith("." + parent):
        raise InputError(option, "%s is not a subdomain of %s (for example bounce.%s)" % (mf, parent, parent))
    return mf


# ---------------------------------------------------------------------------------------------- notifications
NOTIFICATION_KINDS = ("Bounce", "Complaint", "Delivery")


def validate_notifications(params):
    for kind in NOTIFICATION_KINDS:
        want = params.get(kind.lower()) or {}
        topic = want.get("topic")
        if topic:
            validate.sns_topic_arn(topic, "%s.topic" % kind.lower())


def notifications_plan(name, params, current):
    """SES v1 notification topics / header flags: desired vs current -> (actions, after)."""
    actions = []
    after = copy.deepcopy(current)
    for kind in NOTIFICATION_KINDS:
        key = kind.lower()
        want = params.get(key) or {}
        cur = current.get(key) or {}
        topic = want.get("topic")
        if topic is not None and (topic or None) != cur.get("topic"):
            api = {"Identity": name, "NotificationType": kind}
            if topic:
                api["SnsTopic"] = topic
            actions.append(("SetIdentityNotificationTopic", api))
            after[key]["topic"] = topic or None
        headers = want.get("include_headers")
        if headers is not None and headers != bool(cur.get("include_headers")):
            actions.append(("SetIdentityHeadersInNotificationsEnabled",
                            {"Identity": name, "NotificationType": kind, "Enabled": headers}))
            after[key]["include_headers"] = headers
    return actions, after
