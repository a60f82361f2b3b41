"""SES as documented, for the sandbox: identities, DKIM, MAIL FROM, account, suppression list,
configuration sets, sending with the mailbox simulator, notifications and statistics.

State is kept per (account, region) behind one lock; the HTTP layers (sesv2_api, ses_v1_api) only
translate wire formats into calls on :class:`SesRegion`.
"""

from __future__ import annotations

import base64
import datetime as dt
import fnmatch
import json
import re
import secrets
import threading
import uuid

import idna
from moto.core import DEFAULT_ACCOUNT_ID

from . import deed
from .dnslookup import Resolver

SIMULATOR_DOMAIN = "simulator.amazonses.com"
EVENT_TYPES = ("SEND", "REJECT", "BOUNCE", "COMPLAINT", "DELIVERY", "OPEN", "CLICK", "RENDERING_FAILURE",
               "DELIVERY_DELAY", "SUBSCRIPTION")
REASONS = ("BOUNCE", "COMPLAINT")
LOCK = threading.RLock()


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


class SesError(Exception):
    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def not_found(message):
    return SesError("NotFoundException", message, 404)


def bad_request(message):
    return SesError("BadRequestException", message, 400)


_EMAIL = re.compile(r"(?P<local>.+)@(?P<domain>[^@\s]+)")
_DOMAIN_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")


def norm_domain(domain: str) -> str | None:
    d = domain.rstrip(".")
    try:
        # IDNA2008 + UTS 46 (non-transitional) as SES does: straße.de is xn--strae-oqa.de, not strasse.de
        d = idna.encode(d, uts46=True, transitional=False).decode("ascii") if not d.isascii() else d
    except (UnicodeError, idna.IDNAError):
        return None
    d = d.lower()
    labels = d.split(".")
    if len(d) > 253 or len(labels) < 2 or not all(_DOMAIN_LABEL.fullmatch(x) for x in labels):
        return None
    return d


def norm_email(address: str) -> str | None:
    """SES compares the domain part case-insensitively and keeps the local part as given."""
    if not isinstance(address, str):
        return None
    m = _EMAIL.fullmatch(address)
    if not m or len(m.group("local").encode()) > 64:
        return None
    domain = norm_domain(m.group("domain"))
    return None if domain is None else "%s@%s" % (m.group("local"), domain)


class Identity:
    def __init__(self, name: str, kind: str):
        self.name = name
        self.kind = kind  # DOMAIN | EMAIL_ADDRESS
        self.created = now()
        self.tags: dict[str, str] = {}
        self.configuration_set: str | None = None
        self.feedback_forwarding = True
        self.policies: dict[str, str] = {}
        self.verified_email = False
        # DKIM
        self.dkim_origin = "AWS_SES"
        self.dkim_parent_region: str | None = None  # a DEED replica's parent region (deed.py)
        self.dkim_signing_enabled = kind == "DOMAIN"
        self.dkim_status = "PENDING" if kind == "DOMAIN" else "NOT_STARTED"
        self.dkim_tokens: list[str] = []
        self.dkim_selector: str | None = None
        self.dkim_public_key: str | None = None
        self.current_key_length: str | None = None
        self.next_key_length: str | None = None
        self.last_key_generation: dt.datetime | None = None
        self.last_key_length_change: dt.datetime | None = None
        self.dkim_pending_since = now()
        self.dkim_checked = 0.0
        # VerificationInfo: what SES saw at its last look at the domain's DNS
        self.verification_error: str | None = None
        self.forced_verification_error: str | None = None  # SERVICE_ERROR etc., set through the control API
        self.last_checked: dt.datetime | None = None
        self.last_success: dt.datetime | None = None
        self.soa: dict | None = None
        # MAIL FROM
        self.mail_from_domain: str | None = None
        self.mail_from_behavior = "USE_DEFAULT_VALUE"
        self.mail_from_status: str | None = None
        self.mail_from_pending_since: dt.datetime | None = None
        # v1 notification topics
        self.topics = {"Bounce": None, "Complaint": None, "Delivery": None}
        self.headers_in = {"Bounce": False, "Complaint": False, "Delivery": False}

    def new_easy_tokens(self, key_length: str):
        self.dkim_origin = "AWS_SES"
        self.dkim_parent_region = None
        self.dkim_tokens = [secrets.token_hex(16) for _ in range(3)]
        self.dkim_selector = None
        self.dkim_public_key = None
        self.current_key_length = key_length
        self.next_key_length = key_length
        self.last_key_generation = now()
        self.dkim_status = "PENDING"
        self.dkim_pending_since = now()
        self.dkim_checked = 0.0

    @property
    def verification_status(self) -> str:
        if self.kind == "DOMAIN":
            return {"NOT_STARTED": "PENDING"}.get(self.dkim_status, self.dkim_status)
        return "SUCCESS" if self.verified_email else "PENDING"

    @property
    def verified(self) -> bool:
        return self.verification_status == "SUCCESS"


class ConfigurationSet:
    def __init__(self, name: str):
        self.name = name
        self.created = now()
        self.tls_policy = "OPTIONAL"
        self.sending_pool = None
        self.max_delivery_seconds = None
        self.reputation_metrics = False
        self.last_fresh_start = None
        self.sending_enabled = True
        self.suppressed_reasons: list[str] | None = None  # None: the account's list applies
        self.tags: dict[str, str] = {}
        self.tracking = None
        self.event_destinations: dict[str, dict] = {}

    def to_api(self) -> dict:
        out = {
            "ConfigurationSetName": self.name,
            "DeliveryOptions": {"TlsPolicy": self.tls_policy},
            "ReputationOptions": {"ReputationMetricsEnabled": self.reputation_metrics},
            "SendingOptions": {"SendingEnabled": self.sending_enabled},
            "Tags": [{"Key": k, "Value": v} for k, v in sorted(self.tags.items())],
        }
        if self.sending_pool:
            out["DeliveryOptions"]["SendingPoolName"] = self.sending_pool
        if self.max_delivery_seconds:
            out["DeliveryOptions"]["MaxDeliverySeconds"] = self.max_delivery_seconds
        if self.last_fresh_start:
            out["ReputationOptions"]["LastFreshStart"] = self.last_fresh_start
        if self.suppressed_reasons is not None:
            out["SuppressionOptions"] = {"SuppressedReasons": list(self.suppressed_reasons)}
        if self.tracking:
            out["TrackingOptions"] = self.tracking
        return out


# What the mailbox simulator does, per AWS's documentation of it.
SIMULATOR = {
    "success": {"outcome": "deliver"},
    "ooto": {"outcome": "deliver"},  # the auto-reply goes to the sender, not to notifications
    "bounce": {"outcome": "bounce", "bounceType": "Permanent", "bounceSubType": "General",
               "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"},
    "complaint": {"outcome": "complaint", "feedbackType": "abuse"},
    "suppressionlist": {"outcome": "bounce", "bounceType": "Permanent", "bounceSubType": "Suppressed",
                        "status": "5.1.1",
                        "diagnosticCode": "Amazon SES has suppressed sending to this address because it has a "
                                          "recent history of bouncing as an invalid address. For more information "
                                          "about how to remove an address from the suppression list, see the "
                                          "Amazon SES Developer Guide: "
                                          "https://docs.aws.amazon.com/ses/latest/DeveloperGuide/remove-from-suppressionlist.html "},
}

# Behaviours the sandbox lets a test give chosen real recipients (POST /_sandbox/recipients).
BEHAVIOURS = {
    "deliver": {"outcome": "deliver"},
    "hard_bounce": {"outcome": "bounce", "bounceType": "Permanent", "bounceSubType": "General",
                    "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 <{rcpt}>: Recipient address rejected: "
                                                         "User unknown in virtual mailbox table"},
    "no_email": {"outcome": "bounce", "bounceType": "Permanent", "bounceSubType": "NoEmail",
                 "status": "5.1.2", "diagnosticCode": "smtp; 550 5.1.2 bad destination domain"},
    "soft_bounce": {"outcome": "bounce", "bounceType": "Transient", "bounceSubType": "MailboxFull",
                    "status": "4.2.2", "diagnosticCode": "smtp; 452 4.2.2 Mailbox full"},
    "transient": {"outcome": "bounce", "bounceType": "Transient", "bounceSubType": "General",
                  "status": "4.4.1", "diagnosticCode": "smtp; 421 4.4.1 Connection timed out"},
    "undetermined": {"outcome": "bounce", "bounceType": "Undetermined", "bounceSubType": "Undetermined",
                     "status": None, "diagnosticCode": None},
    "complaint": {"outcome": "complaint", "feedbackType": "abuse"},
    "not_spam": {"outcome": "complaint", "feedbackType": "not-spam"},
    "delay": {"outcome": "delay", "delayType": "MailboxFull", "status": "4.2.2",
              "diagnosticCode": "smtp; 452 4.2.2 Mailbox full"},
}


class SesRegion:
    """One region of one account."""

    def __init__(self, sandbox: "Sandbox", account_id: str, region: str):
        self.sandbox = sandbox
        self.account_id = account_id
        self.region = region
        self.identities: dict[str, Identity] = {}
        self.suppressed: dict[str, dict] = {}
        self.account_reasons = ["BOUNCE", "COMPLAINT"]  # new accounts suppress both, as SES documents
        self.sending_enabled = True
        self.enforcement_status = "HEALTHY"
        # a new account is in the SES sandbox: 200 messages a day, 1 a second, until production access
        self.production_access = False
        self.max_24h = 200.0
        self.max_rate = 1.0
        self.sent: list[dt.datetime] = []
        self.stats: dict[dt.datetime, dict] = {}
        self.config_sets: dict[str, ConfigurationSet] = {}
        self.import_jobs: dict[str, dict] = {}
        self.counts = {"attempts": 0, "bounces": 0, "complaints": 0}

    # ------------------------------------------------------------------ identities
    def arn(self, kind: str, name: str) -> str:
        return "arn:aws:ses:%s:%s:%s/%s" % (self.region, self.account_id, kind, name)

    def _identity_name(self, name: str) -> tuple[str, str]:
        if "@" in name:
            email = norm_email(name)
            if not email:
                raise bad_request("Invalid email address <%s>." % name)
            return email, "EMAIL_ADDRESS"
        domain = norm_domain(name)
        if not domain:
            raise bad_request("Invalid domain name <%s>." % name)
        return domain, "DOMAIN"

    def get(self, name: str) -> Identity:
        key, _ = self._identity_name(name)
        ident = self.identities.get(key)
        if ident is None:
            raise not_found("Email identity <%s> does not exist." % name)
        return ident

    def create_identity(self, p: dict) -> dict:
        key, kind = self._identity_name(p["EmailIdentity"])
        if key in self.identities:
            raise SesError("AlreadyExistsException", "Email identity <%s> already exists." % key, 400)
        cs = p.get("ConfigurationSetName")
        if cs and cs not in self.config_sets:
            raise not_found("Configuration set <%s> does not exist." % cs)
        ident = Identity(key, kind)
        signing = p.get("DkimSigningAttributes") or {}
        if kind == "DOMAIN":
            if signing.get("DomainSigningPrivateKey") or signing.get("DomainSigningSelector"):
                self._set_external(ident, signing)
            elif deed.parent_region(signing.get("DomainSigningAttributesOrigin")):
                deed.make_replica(ident, signing["DomainSigningAttributesOrigin"], now)
            else:
                ident.new_easy_tokens(signing.get("NextSigningKeyLength") or "RSA_2048_BIT")
        ident.tags = {t["Key"]: t["Value"] for t in p.get("Tags") or []}
        ident.configuration_set = cs
        self.identities[key] = ident
        self.refresh(ident, force=True)
        return {"IdentityType": kind, "VerifiedForSendingStatus": ident.verified,
                "DkimAttributes": self._dkim_api(ident)}

    def _set_external(self, ident: Identity, signing: dict):
        selector = signing.get("DomainSigningSelector") or ""
        key = signing.get("DomainSigningPrivateKey") or ""
        if not re.match(r"^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$", selector):
            raise bad_request("Invalid DomainSigningSelector <%s>." % selector)
        ident.dkim_public_key = public_key_b64(key)
        if ident.dkim_public_key is None:
            raise bad_request("Invalid DomainSigningPrivateKey: it must be a base64-encoded RSA private key "
                              "(1024 or 2048 bits).")
        ident.dkim_origin = "EXTERNAL"
        ident.dkim_parent_region = None
        ident.dkim_selector = selector
        ident.dkim_tokens = [selector]
        ident.current_key_length = ident.next_key_length = None
        ident.last_key_generation = None
        ident.dkim_status = "PENDING"
        ident.dkim_pending_since = now()
        ident.dkim_checked = 0.0

    def _dkim_api(self, ident: Identity) -> dict:
        out = {"SigningEnabled": ident.dkim_signing_enabled, "Status": ident.dkim_status,
               "SigningAttributesOrigin": ident.dkim_origin}
        if ident.kind == "DOMAIN":
            out["Tokens"] = list(ident.dkim_tokens)
        if ident.dkim_origin.startswith("AWS_SES") and ident.kind == "DOMAIN":
            out["CurrentSigningKeyLength"] = ident.current_key_length
            out["NextSigningKeyLength"] = ident.next_key_length
            out["LastKeyGenerationTimestamp"] = ident.last_key_generation
        return out

    def identity_api(self, name: str) -> dict:
        ident = self.get(name)
        self.refresh(ident)
        out = {
            "IdentityType": ident.kind,
            "FeedbackForwardingStatus": ident.feedback_forwarding,
            "VerifiedForSendingStatus": ident.verified,
            "DkimAttributes": self._dkim_api(ident),
            "Policies": dict(ident.policies),
            "Tags": [{"Key": k, "Value": v} for k, v in sorted(ident.tags.items())],
            "VerificationStatus": ident.verification_status,
        }
        if ident.mail_from_domain:
            out["MailFromAttributes"] = {"MailFromDomain": ident.mail_from_domain,
                                         "MailFromDomainStatus": ident.mail_from_status,
                                         "BehaviorOnMxFailure": ident.mail_from_behavior}
        else:
            out["MailFromAttributes"] = {"BehaviorOnMxFailure": ident.mail_from_behavior}
        if ident.configuration_set:
            out["ConfigurationSetName"] = ident.configuration_set
        if ident.kind == "DOMAIN" and ident.last_checked is not None:
            info = {"LastCheckedTimestamp": ident.last_checked}
            if ident.last_success is not None:
                info["LastSuccessTimestamp"] = ident.last_success
            if ident.verification_error and ident.verification_status != "SUCCESS":
                info["ErrorType"] = ident.verification_error
            if ident.soa:
                info["SOARecord"] = dict(ident.soa)
            out["VerificationInfo"] = info
        return out

    def list_identities(self, p: dict) -> dict:
        size = int(p.get("PageSize") or 100)
        if not 1 <= size <= 1000:
            raise bad_request("PageSize must be between 1 and 1000.")
        names = list(self.identities)
        start = int(p.get("NextToken") or 0) if str(p.get("NextToken") or "0").isdigit() else None
        if start is None:
            raise bad_request("Invalid NextToken.")
        items = []
        for name in names[start:start + size]:
            ident = self.identities[name]
            self.refresh(ident)
            items.append({"IdentityType": ident.kind, "IdentityName": ident.name,
                          "SendingEnabled": ident.verified, "VerificationStatus": ident.verification_status})
        out = {"EmailIdentities": items}
        if start + size < len(names):
            out["NextToken"] = str(start + size)
        return out

    def delete_identity(self, name: str):
        ident = self.get(name)
        del self.identities[ident.name]

    def put_dkim_attributes(self, p: dict):
        ident = self.get(p["EmailIdentity"])
        ident.dkim_signing_enabled = bool(p.get("SigningEnabled"))

    def put_dkim_signing(self, p: dict) -> dict:
        ident = self.get(p["EmailIdentity"])
        if ident.kind != "DOMAIN":
            raise bad_request("DKIM signing attributes can only be set on a domain identity.")
        origin = p.get("SigningAttributesOrigin")
        attrs = p.get("SigningAttributes") or {}
        if origin == "EXTERNAL":
            self._set_external(ident, attrs)
        elif deed.parent_region(origin):
            if origin != ident.dkim_origin:
                deed.make_replica(ident, origin, now)
        elif origin == "AWS_SES":
            length = attrs.get("NextSigningKeyLength") or ident.next_key_length or "RSA_2048_BIT"
            if length not in ("RSA_1024_BIT", "RSA_2048_BIT"):
                raise bad_request("Invalid NextSigningKeyLength <%s>." % length)
            if ident.dkim_origin != "AWS_SES" or not ident.dkim_tokens:
                ident.new_easy_tokens(length)
            elif length != ident.next_key_length:
                interval = self.sandbox.config["key_change_interval_seconds"]
                last = ident.last_key_length_change
                if last and (now() - last).total_seconds() < interval:
                    raise bad_request(
                        "You can change the DKIM signing key length of <%s> only once every %d seconds; "
                        "the last change was at %s." % (ident.name, interval, iso(last)))
                ident.next_key_length = length
                ident.last_key_length_change = now()
        else:
            raise bad_request("Invalid SigningAttributesOrigin <%s>." % origin)
        self.refresh(ident, force=True)
        return {"DkimStatus": ident.dkim_status, "DkimTokens": list(ident.dkim_tokens)}

    def put_mail_from(self, p: dict):
        ident = self.get(p["EmailIdentity"])
        behavior = p.get("BehaviorOnMxFailure") or "USE_DEFAULT_VALUE"
        if behavior not in ("USE_DEFAULT_VALUE", "REJECT_MESSAGE"):
            raise bad_request("Invalid BehaviorOnMxFailure <%s>." % behavior)
        domain = p.get("MailFromDomain")
        if domain:
            mf = norm_domain(domain)
            parent = ident.name.split("@")[-1]
            if not mf or not mf.endswith("." + parent):
                raise bad_request("MAIL FROM domain <%s> must be a subdomain of <%s>." % (domain, parent))
            if mf != ident.mail_from_domain:
                ident.mail_from_domain = mf
                ident.mail_from_status = "PENDING"
                ident.mail_from_pending_since = now()
        else:
            ident.mail_from_domain = None
            ident.mail_from_status = None
        ident.mail_from_behavior = behavior
        self.refresh(ident, force=True)

    def put_feedback(self, p: dict):
        self.get(p["EmailIdentity"]).feedback_forwarding = bool(p.get("EmailForwardingEnabled"))

    def put_identity_config_set(self, p: dict):
        ident = self.get(p["EmailIdentity"])
        cs = p.get("ConfigurationSetName")
        if cs and cs not in self.config_sets:
            raise not_found("Configuration set <%s> does not exist." % cs)
        ident.configuration_set = cs or None

    # ------------------------------------------------------------------ DNS-driven status
    def refresh(self, ident: Identity, force: bool = False):
        cfg = self.sandbox.config
        clock = now()
        mono = clock.timestamp()
        if not force and mono - ident.dkim_checked < cfg["dns_recheck_seconds"]:
            return
        ident.dkim_checked = mono
        resolver = self.sandbox.resolver()
        if ident.kind == "DOMAIN" and ident.dkim_parent_region:
            deed.follow_parent(self, ident, clock)  # a DEED replica: the parent's keys and status
        elif ident.kind == "DOMAIN" and ident.dkim_status in ("PENDING", "TEMPORARY_FAILURE"):
            error = ident.forced_verification_error or self._dkim_error(ident, resolver)
            ident.last_checked = clock
            ident.verification_error = error
            ident.soa = resolver.soa(ident.name)
            if error is None:
                ident.dkim_status = "SUCCESS"
                ident.last_success = clock
            elif (clock - ident.dkim_pending_since).total_seconds() > cfg["dkim_failure_seconds"]:
                ident.dkim_status = "FAILED"
        if ident.mail_from_domain and ident.mail_from_status == "PENDING":
            want = "feedback-smtp.%s.amazonses.com" % self.region
            mx = resolver.lookup(ident.mail_from_domain, "MX")
            if any(v.split(" ", 1)[-1] == want for v in mx):
                ident.mail_from_status = "SUCCESS"
            elif (clock - ident.mail_from_pending_since).total_seconds() > cfg["dkim_failure_seconds"]:
                ident.mail_from_status = "FAILED"

    # what SES's VerificationInfo.ErrorType says for each way a lookup can go wrong
    _ERROR_OF = {"nxdomain": "HOST_NOT_FOUND", "nodata": "TYPE_NOT_FOUND", "error": "DNS_SERVER_ERROR"}

    def _dkim_error(self, ident: Identity, resolver: Resolver) -> str | None:
        """None when every DKIM record SES needs is published right, else the VerificationInfo ErrorType."""
        if ident.dkim_origin == "EXTERNAL":
            outcome, txt = resolver.probe("%s._domainkey.%s" % (ident.dkim_selector, ident.name), "TXT")
            if outcome != "ok":
                return self._ERROR_OF[outcome]
            for value in txt:
                tags = dict(part.strip().split("=", 1) for part in value.split(";") if "=" in part)
                if tags.get("p", "").replace(" ", "") == ident.dkim_public_key:
                    return None
            return "INVALID_VALUE"
        if not ident.dkim_tokens:
            return "SERVICE_ERROR"
        for token in ident.dkim_tokens:
            outcome, got = resolver.probe("%s._domainkey.%s" % (token, ident.name), "CNAME")
            if outcome != "ok":
                return self._ERROR_OF[outcome]
            if "%s.dkim.amazonses.com" % token not in got:
                return "INVALID_VALUE"
        return None

    # ------------------------------------------------------------------ account
    def account_api(self) -> dict:
        return {
            "DedicatedIpAutoWarmupEnabled": False,
            "EnforcementStatus": self.enforcement_status,
            "ProductionAccessEnabled": self.production_access,
            "SendQuota": {"Max24HourSend": self.max_24h, "MaxSendRate": self.max_rate,
                          "SentLast24Hours": float(len([t for t in self.sent
                                                        if (now() - t).total_seconds() < 86400]))},
            "SendingEnabled": self.sending_enabled,
            "SuppressionAttributes": {"SuppressedReasons": list(self.account_reasons)},
        }

    def put_account_suppression(self, p: dict):
        reasons = p.get("SuppressedReasons")
        if reasons is None:
            reasons = []
        for r in reasons:
            if r not in REASONS:
                raise bad_request("Invalid suppressed reason <%s>; valid: BOUNCE, COMPLAINT." % r)
        self.account_reasons = [r for r in REASONS if r in reasons]

    def set_production_access(self, enabled: bool):
        """What AWS support does when it grants (or a test withdraws) production access."""
        self.production_access = bool(enabled)
        self.max_24h, self.max_rate = (50000.0, 14.0) if self.production_access else (200.0, 1.0)

    def put_account_sending(self, p: dict):
        self.sending_enabled = bool(p.get("SendingEnabled"))

    # ------------------------------------------------------------------ suppression list
    def _suppression_key(self, address: str) -> str:
        email = norm_email(address or "")
        if not email:
            raise bad_request("Invalid email address <%s>." % address)
        return email

    def put_suppressed(self, p: dict, when: dt.datetime | None = None, message_id=None, feedback_id=None):
        reason = p.get("Reason")
        if reason not in REASONS:
            raise bad_request("Invalid Reason <%s>; valid: BOUNCE, COMPLAINT." % reason)
        key = self._suppression_key(p.get("EmailAddress"))
        self.suppressed[key] = {
            "EmailAddress": key, "Reason": reason, "LastUpdateTime": when or now(),
            "Attributes": {"MessageId": message_id or "", "FeedbackId": feedback_id or ""},
        }

    def get_suppressed(self, address: str) -> dict:
        key = self._suppression_key(address)
        entry = self.suppressed.get(key)
        if not entry:
            raise not_found("Email address <%s> does not exist on your suppression list." % address)
        return {"SuppressedDestination": dict(entry)}

    def delete_suppressed(self, address: str):
        key = self._suppression_key(address)
        if key not in self.suppressed:
            raise not_found("Email address <%s> does not exist on your suppression list." % address)
        del self.suppressed[key]

    def list_suppressed(self, p: dict) -> dict:
        reasons = p.get("Reasons") or list(REASONS)
        for r in reasons:
            if r not in REASONS:
                raise bad_request("Invalid Reason <%s>." % r)
        start, end = p.get("StartDate"), p.get("EndDate")
        if start and end and start > end:
            raise bad_request("StartDate must be before EndDate.")
        size = int(p.get("PageSize") or 100)
        if not 1 <= size <= 1000:
            raise bad_request("PageSize must be between 1 and 1000.")
        rows = sorted((e for e in self.suppressed.values()
                       if e["Reason"] in reasons
                       and (not start or e["LastUpdateTime"] >= start)
                       and (not end or e["LastUpdateTime"] <= end)),
                      key=lambda e: (e["LastUpdateTime"], e["EmailAddress"]))
        token = p.get("NextToken")
        offset = 0
        if token:
            try:
                offset = int(base64.urlsafe_b64decode(token.encode()).decode())
            except (ValueError, UnicodeDecodeError):
                raise bad_request("Invalid NextToken.")
        page = rows[offset:offset + size]
        out = {"SuppressedDestinationSummaries": [
            {"EmailAddress": e["EmailAddress"], "Reason": e["Reason"], "LastUpdateTime": e["LastUpdateTime"]}
            for e in page]}
        if offset + size < len(rows):
            out["NextToken"] = base64.urlsafe_b64encode(str(offset + size).encode()).decode()
        return out

    # ------------------------------------------------------------------ configuration sets
    def config_set(self, name: str) -> ConfigurationSet:
        cs = self.config_sets.get(name or "")
        if cs is None:
            raise not_found("Configuration set <%s> does not exist." % name)
        return cs

    def create_config_set(self, p: dict):
        name = p.get("ConfigurationSetName") or ""
        if not re.match(r"^[A-Za-z0-9_-]{1,64}$", name):
            raise bad_request("Invalid configuration set name <%s>." % name)
        if name in self.config_sets:
            raise SesError("AlreadyExistsException", "Configuration set <%s> already exists." % name, 400)
        cs = ConfigurationSet(name)
        self._apply_config_set(cs, p)
        cs.tags = {t["Key"]: t["Value"] for t in p.get("Tags") or []}
        self.config_sets[name] = cs

    def _apply_config_set(self, cs: ConfigurationSet, p: dict):
        if "DeliveryOptions" in p:
            self.put_delivery_options(cs, p["DeliveryOptions"] or {})
        if "ReputationOptions" in p:
            cs.reputation_metrics = bool((p["ReputationOptions"] or {}).get("ReputationMetricsEnabled"))
        if "SendingOptions" in p:
            cs.sending_enabled = bool((p["SendingOptions"] or {}).get("SendingEnabled", True))
        if "SuppressionOptions" in p:
            reasons = (p["SuppressionOptions"] or {}).get("SuppressedReasons") or []
            for r in reasons:
                if r not in REASONS:
                    raise bad_request("Invalid suppressed reason <%s>." % r)
            cs.suppressed_reasons = [r for r in REASONS if r in reasons]
        if "TrackingOptions" in p:
            cs.tracking = p["TrackingOptions"]

    def put_delivery_options(self, cs: ConfigurationSet, opts: dict):
        tls = opts.get("TlsPolicy", "OPTIONAL")
        if tls not in ("REQUIRE", "OPTIONAL"):
            raise bad_request("Invalid TlsPolicy <%s>." % tls)
        cs.tls_policy = tls
        cs.sending_pool = opts.get("SendingPoolName")
        cs.max_delivery_seconds = opts.get("MaxDeliverySeconds")

    def put_event_destination(self, p: dict, create: bool):
        cs = self.config_set(p["ConfigurationSetName"])
        name = p.get("EventDestinationName") or ""
        dest = p.get("EventDestination") or {}
        if create and name in cs.event_destinations:
            raise SesError("AlreadyExistsException", "Event destination <%s> already exists." % name, 400)
        if not create and name not in cs.event_destinations:
            raise not_found("Event destination <%s> does not exist." % name)
        if not re.match(r"^[A-Za-z0-9_-]{1,64}$", name):
            raise bad_request("Invalid event destination name <%s>." % name)
        types = dest.get("MatchingEventTypes") or []
        if not types or any(t not in EVENT_TYPES for t in types):
            raise bad_request("MatchingEventTypes must be a non-empty list of %s." % ", ".join(EVENT_TYPES))
        kinds = [k for k in ("SnsDestination", "CloudWatchDestination", "KinesisFirehoseDestination",
                             "EventBridgeDestination", "PinpointDestination") if dest.get(k)]
        if len(kinds) != 1:
            raise bad_request("An event destination needs exactly one destination type.")
        if dest.get("SnsDestination"):
            arn = dest["SnsDestination"].get("TopicArn", "")
            if self.sandbox.sns_topic(self.account_id, arn) is None:
                raise bad_request("SNS topic <%s> does not exist." % arn)
        entry = {"Name": name, "Enabled": bool(dest.get("Enabled", False)), "MatchingEventTypes": list(types)}
        entry.update({k: dest[k] for k in kinds})
        cs.event_destinations[name] = entry

    # ------------------------------------------------------------------ sending
    def sending_identity(self, source: str) -> Identity | None:
        email = norm_email(_address_of(source) or "")
        if not email:
            raise SesError("MessageRejected", "Illegal address", 400)
        ident = self.identities.get(email)
        if ident:
            self.refresh(ident)
            if ident.verified:
                return ident
        domain = email.split("@", 1)[1]
        labels = domain.split(".")
        for i in range(len(labels) - 1):
            cand = self.identities.get(".".join(labels[i:]))
            if cand:
                self.refresh(cand)
                if cand.verified:
                    return cand
        return None

    def send(self, source: str, recipients: list[str], subject: str, config_set: str | None,
             tags: dict, headers: list[dict]) -> str:
        if not self.sending_enabled:
            raise SesError("SendingPausedException", "Sending is paused for this account.", 400)
        ident = self.sending_identity(source)
        if ident is None:
            raise SesError("MessageRejected",
                           "Email address is not verified. The following identities failed the check in "
                           "region %s: %s" % (self.region.upper().replace("-", "_"), source), 400)
        if not recipients:
            raise bad_request("At least one recipient is required.")
        cs = None
        cs_name = config_set or ident.configuration_set
        if cs_name:
            cs = self.config_set(cs_name)
            if not cs.sending_enabled:
                raise SesError("SendingPausedException",
                               "Sending is paused for configuration set <%s>." % cs_name, 400)
        ts = now()
        message_id = "%016x-%s-000000" % (int(ts.timestamp() * 1000), uuid.uuid4())
        mail = {
            "timestamp": iso(ts), "messageId": message_id, "source": source,
            "sourceArn": self.arn("identity", ident.name), "sourceIp": "127.0.0.1",
            "sendingAccountId": self.account_id,
            "callerIdentity": "sandbox", "destination": list(recipients),
        }
        common = {"from": [source], "to": list(recipients), "messageId": message_id, "subject": subject}
        reasons = cs.suppressed_reasons if cs and cs.suppressed_reasons is not None else self.account_reasons
        events = self._event_destinations(cs)
        if cs is not None:
            # SES adds its own tags to every event; ses:configuration-set names the set that published it
            tags = dict(tags, **{"ses:configuration-set": cs.name})
        counted = 0
        for rcpt in recipients:
            behaviour, simulated = self._behaviour(rcpt, reasons)
            if not simulated:
                counted += 1
            self._deliver(ident, mail, common, headers, tags, events, rcpt, behaviour, simulated, reasons, ts)
        self.sent.extend([ts] * len(recipients))
        self._count(ts, attempts=counted)
        self._publish_event(events, "SEND", self._event(mail, common, headers, tags, "Send", "send", {}))
        if counted:
            self.sandbox.put_reputation(self)
        return message_id

    def _behaviour(self, rcpt: str, reasons: list[str]) -> tuple[dict, bool]:
        email = norm_email(rcpt) or rcpt
        local, _, domain = email.rpartition("@")
        if domain == SIMULATOR_DOMAIN:
            base = local.split("+", 1)[0].lower()
            return SIMULATOR.get(base, SIMULATOR["success"]), True
        entry = self.suppressed.get(email)
        if entry and entry["Reason"] in reasons:
            return {"outcome": "bounce", "bounceType": "Permanent", "bounceSubType": "OnAccountSuppressionList",
                    "status": "5.1.1",
                    "diagnosticCode": "Amazon SES did not send the message to this address because it is on the "
                                      "suppression list for your account.",
                    "no_count": True}, False
        for pattern, beh in self.sandbox.recipient_rules:
            if fnmatch.fnmatch(email.lower(), pattern.lower()):
                return beh, False
        return BEHAVIOURS["deliver"], False

    def _deliver(self, ident, mail, common, headers, tags, events, rcpt, beh, simulated, reasons, ts):
        outcome = beh["outcome"]
        rcpt_mail = dict(mail)
        feedback_id = "%016x-%s-000000" % (int(ts.timestamp() * 1000), uuid.uuid4())
        if outcome in ("deliver", "complaint"):
            delivery = {"timestamp": iso(now()), "processingTimeMillis": 512, "recipients": [rcpt],
                        "smtpResponse": "250 2.6.0 Message received", "remoteMtaIp": "192.0.2.25",
                        "reportingMTA": "a8-70.smtp-out.amazonses.com"}
            self._identity_notification(ident, "Delivery", rcpt_mail, common, headers, "delivery", delivery)
            self._publish_event(events, "DELIVERY",
                                self._event(rcpt_mail, common, headers, tags, "Delivery", "delivery", delivery))
        if outcome == "complaint":
            complaint = {"complainedRecipients": [{"emailAddress": rcpt}], "timestamp": iso(now()),
                         "feedbackId": feedback_id, "userAgent": "Sandbox Feedback Loop",
                         "complaintFeedbackType": beh.get("feedbackType", "abuse"),
                         "arrivalDate": iso(ts), "complaintSubType": None}
            if not simulated:
                self._count(ts, complaints=1)
                if "COMPLAINT" in reasons and beh.get("feedbackType") != "not-spam":
                    self.put_suppressed({"EmailAddress": rcpt, "Reason": "COMPLAINT"},
                                        message_id=mail["messageId"], feedback_id=feedback_id)
            self._identity_notification(ident, "Complaint", rcpt_mail, common, headers, "complaint", complaint)
            self._publish_event(events, "COMPLAINT",
                                self._event(rcpt_mail, common, headers, tags, "Complaint", "complaint", complaint))
        elif outcome == "bounce":
            recipient = {"emailAddress": rcpt, "action": "failed"}
            if beh.get("status"):
                recipient["status"] = beh["status"]
            if beh.get("diagnosticCode"):
                recipient["diagnosticCode"] = beh["diagnosticCode"].replace("{rcpt}", rcpt)
            bounce = {"bounceType": beh["bounceType"], "bounceSubType": beh["bounceSubType"],
                      "bouncedRecipients": [recipient], "timestamp": iso(now()), "feedbackId": feedback_id,
                      "remoteMtaIp": "192.0.2.25", "reportingMTA": "dsn; a8-70.smtp-out.amazonses.com"}
            if not simulated and beh["bounceType"] == "Permanent" and not beh.get("no_count"):
                self._count(ts, bounces=1)
                if "BOUNCE" in reasons:
                    self.put_suppressed({"EmailAddress": rcpt, "Reason": "BOUNCE"},
                                        message_id=mail["messageId"], feedback_id=feedback_id)
            self._identity_notification(ident, "Bounce", rcpt_mail, common, headers, "bounce", bounce)
            self._publish_event(events, "BOUNCE",
                                self._event(rcpt_mail, common, headers, tags, "Bounce", "bounce", bounce))
        elif outcome == "delay":
            delay = {"timestamp": iso(now()), "delayType": beh.get("delayType", "MailboxFull"),
                     "expirationTime": iso(ts + dt.timedelta(hours=14)),
                     "delayedRecipients": [{"emailAddress": rcpt, "status": beh.get("status"),
                                            "diagnosticCode": beh.get("diagnosticCode")}],
                     "reportingMTA": "a8-70.smtp-out.amazonses.com"}
            self._publish_event(events, "DELIVERY_DELAY",
                                self._event(rcpt_mail, common, headers, tags, "DeliveryDelay", "deliveryDelay",
                                            delay))

    def _mail_block(self, mail, common, headers, include_headers):
        block = dict(mail)
        block["headersTruncated"] = False
        if include_headers:
            block["headers"] = list(headers)
            block["commonHeaders"] = dict(common)
        return block

    def _identity_notification(self, ident, kind, mail, common, headers, key, body):
        topic = ident.topics.get(kind)
        if not topic:
            return
        message = {"notificationType": kind, key: body,
                   "mail": self._mail_block(mail, common, headers, ident.headers_in.get(kind))}
        self.sandbox.publish(self.account_id, topic, message, subject=None)

    def _event_destinations(self, cs):
        if cs is None:
            return []
        return [d for d in cs.event_destinations.values() if d.get("Enabled") and d.get("SnsDestination")]

    def _event(self, mail, common, headers, tags, event_type, key, body):
        block = self._mail_block(mail, common, headers, True)
        block["tags"] = {k: [v] for k, v in tags.items()}
        return {"eventType": event_type, "mail": block, key: body}

    def _publish_event(self, events, kind, message):
        for dest in events:
            if kind in dest["MatchingEventTypes"]:
                self.sandbox.publish(self.account_id, dest["SnsDestination"]["TopicArn"], message,
                                     subject="Amazon SES Email Event Notification")

    def _count(self, ts, attempts=0, bounces=0, complaints=0):
        if not (attempts or bounces or complaints):
            return  # simulator traffic leaves no data point, as in SES
        bucket = ts.replace(minute=ts.minute - ts.minute % 15, second=0, microsecond=0)
        point = self.stats.setdefault(bucket, {"DeliveryAttempts": 0, "Bounces": 0, "Complaints": 0, "Rejects": 0})
        point["DeliveryAttempts"] += attempts
        point["Bounces"] += bounces
        point["Complaints"] += complaints
        self.counts["attempts"] += attempts
        self.counts["bounces"] += bounces
        self.counts["complaints"] += complaints

    def send_statistics(self) -> list[dict]:
        cutoff = now() - dt.timedelta(days=14)
        return [dict(v, Timestamp=k) for k, v in sorted(self.stats.items()) if k >= cutoff]


def _address_of(value: str) -> str | None:
    m = re.search(r"<([^>]+)>\s*$", value or "")
    return m.group(1) if m else value


def public_key_b64(private_key: str) -> str | None:
    """The base64 DER SubjectPublicKeyInfo of an RSA private key given as base64 (PEM body) or PEM."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    text = private_key.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            der = base64.b64decode("".join(text.split()), validate=True)
            key = serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError):
        return None
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size not in (1024, 2048):
        return None
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


class Sandbox:
    """Everything the sandbox knows beyond moto: SES state, recipient rules, configuration."""

    DEFAULTS = {
        "dns_servers": [],
        "dkim_failure_seconds": 72 * 3600.0,
        "dns_recheck_seconds": 0.0,
        "key_change_interval_seconds": 86400.0,
    }

    def __init__(self, config: dict | None = None):
        self.config = dict(self.DEFAULTS)
        self.config.update(config or {})
        self.regions: dict[tuple[str, str], SesRegion] = {}
        self.endpoints: dict = {}  # account -> {name -> endpoints.Endpoint} (multi-region endpoints)
        self.recipient_rules: list[tuple[str, dict]] = []
        self._resolver = None

    def region(self, account_id: str, region: str) -> SesRegion:
        key = (account_id, region)
        if key not in self.regions:
            self.regions[key] = SesRegion(self, account_id, region)
        return self.regions[key]

    def resolver(self) -> Resolver:
        if self._resolver is None:
            self._resolver = Resolver(DEFAULT_ACCOUNT_ID, self.config["dns_servers"])
        return self._resolver

    def configure(self, values: dict):
        unknown = set(values) - set(self.DEFAULTS)
        if unknown:
            raise bad_request("unknown sandbox settings: %s" % ", ".join(sorted(unknown)))
        self.config.update(values)
        self._resolver = None

    def reset(self):
        self.regions.clear()
        self.endpoints.clear()
        self.recipient_rules.clear()

    def set_recipients(self, rules: list[dict]):
        """[{"match": "user@x.com" | "*@bad.example", "behaviour": "hard_bounce", ...overrides}]"""
        for rule in rules:
            name = rule.get("behaviour") or rule.get("behavior")
            if name not in BEHAVIOURS:
                raise bad_request("unknown behaviour %r; known: %s" % (name, ", ".join(sorted(BEHAVIOURS))))
            beh = dict(BEHAVIOURS[name])
            beh.update({k: v for k, v in rule.items() if k not in ("match", "behaviour", "behavior")})
            pattern = rule["match"]
            if pattern.startswith("@"):
                pattern = "*" + pattern
            self.recipient_rules.insert(0, (pattern, beh))

    def sns_topic(self, account_id: str, arn: str):
        from moto.sns.models import sns_backends
        try:
            region = arn.split(":")[3]
            return sns_backends[account_id][region].get_topic(arn)
        except Exception:  # noqa: BLE001 - moto raises its own NotFound
            return None

    def publish(self, account_id: str, topic_arn: str, message: dict, subject=None):
        topic = self.sns_topic(account_id, topic_arn)
        if topic is None:
            return
        topic.publish(json.dumps(message), subject=subject)

    def put_reputation(self, region: SesRegion):
        """Publish the account's Reputation.* metrics the way SES does, for CloudWatch alarms and reads."""
        try:
            from moto.cloudwatch.models import cloudwatch_backends
            backend = cloudwatch_backends[region.account_id][region.region]
            attempts = max(region.counts["attempts"], 1)
            # moto keeps metric timestamps naive (UTC) and compares them with naive query bounds
            stamp = now().replace(tzinfo=None)
            backend.put_metric_data("AWS/SES", [
                {"MetricName": "Reputation.BounceRate", "Value": region.counts["bounces"] / attempts,
                 "Unit": "None", "Timestamp": stamp},
                {"MetricName": "Reputation.ComplaintRate", "Value": region.counts["complaints"] / attempts,
                 "Unit": "None", "Timestamp": stamp},
            ])
        except Exception:  # noqa: BLE001 - metrics are a convenience; sending must not fail for them
            pass

