# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SES v2 reads and writes, returned as plain snake_case data the modules compare and return."""

from __future__ import annotations

import functools
import random
import re
import time

from ansible_collections.deliverability.ses.plugins.module_utils.errors import AwsError, DeliverabilityError
from ansible_collections.deliverability.ses.plugins.module_utils.aws import MISSING, call, get_or_none, paginate, retry_until

MISSING_CODES = MISSING["sesv2"]


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def identity_from_api(name, resp):
    """GetEmailIdentity's answer as the collection returns it."""
    dkim = resp.get("DkimAttributes") or {}
    mail_from = resp.get("MailFromAttributes") or {}
    return {
        "identity": name,
        "identity_type": resp.get("IdentityType"),
        "verified_for_sending": bool(resp.get("VerifiedForSendingStatus")),
        "verification_status": resp.get("VerificationStatus"),
        "feedback_forwarding": resp.get("FeedbackForwardingStatus"),
        "configuration_set": resp.get("ConfigurationSetName"),
        "dkim": {
            "signing_enabled": dkim.get("SigningEnabled"),
            "status": dkim.get("Status"),
            "tokens": list(dkim.get("Tokens") or []),
            "origin": dkim.get("SigningAttributesOrigin"),
            "current_key_length": dkim.get("CurrentSigningKeyLength"),
            "next_key_length": dkim.get("NextSigningKeyLength"),
            "last_key_generation": _iso(dkim.get("LastKeyGenerationTimestamp")),
            "signing_host_zone": dkim.get("SigningHostedZone"),
        },
        "mail_from": {
            "domain": mail_from.get("MailFromDomain"),
            "status": mail_from.get("MailFromDomainStatus"),
            "behavior_on_mx_failure": mail_from.get("BehaviorOnMxFailure"),
        },
        "tags": {t["Key"]: t["Value"] for t in resp.get("Tags") or []},
        "policies": dict(resp.get("Policies") or {}),
        "verification_info": _verification_info(resp.get("VerificationInfo")),
    }


def _verification_info(info):
    """VerificationInfo: why SES has not verified a domain (None when SES sent none)."""
    if not info:
        return None
    soa = info.get("SOARecord") or {}
    return {
        "error_type": info.get("ErrorType"),
        "last_checked": _iso(info.get("LastCheckedTimestamp")),
        "last_success": _iso(info.get("LastSuccessTimestamp")),
        "soa": {"primary_name_server": soa.get("PrimaryNameServer"), "admin_email": soa.get("AdminEmail"),
                "serial_number": soa.get("SerialNumber")} if soa else None,
    }


def get_identity(client, name):
    """The identity, or None when SES does not know it."""
    resp = get_or_none(client, "GetEmailIdentity", EmailIdentity=name)
    return None if resp is None else identity_from_api(name, resp)


def list_identities(client, page_size=1000):
    """Every identity of the account: [{identity, identity_type, sending_enabled, verification_status}]."""
    return [
        {
            "identity": item["IdentityName"],
            "identity_type": item.get("IdentityType"),
            "sending_enabled": item.get("SendingEnabled"),
            "verification_status": item.get("VerificationStatus"),
        }
        for item in paginate(client, "ListEmailIdentities", "EmailIdentities", PageSize=page_size)
    ]


# ---------------------------------------------------------------------------------------------- writes
PRIVATE_KEY_PLACEHOLDER = "<private_key>"
# SES creates an identity and may not return it for a moment; reads right after a create are retried.
CONSISTENCY_TIMEOUT = 15.0
# Other modules retry a missing identity this long (it may come from an earlier task) before reporting it.
EXISTS_TIMEOUT = 5.0
_ONCE_A_DAY = re.compile(r"once|24 ?hours|per day|a day", re.I)


def get_identity_visible(client, name, timeout=CONSISTENCY_TIMEOUT):
    """GetEmailIdentity for an identity known to exist (just created): NotFound is retried with back-off."""
    resp = retry_until(lambda: call(client, "GetEmailIdentity", EmailIdentity=name), MISSING_CODES, timeout)
    return identity_from_api(name, resp)


def configuration_set_exists(client, name):
    return get_or_none(client, "GetConfigurationSet", ConfigurationSetName=name) is not None


def identity_arn(sts_client, region, name):
    """arn:<partition>:ses:<region>:<account>:identity/<name>, the resource TagResource needs."""
    who = call(sts_client, "GetCallerIdentity")
    partition = (who.get("Arn") or "arn:aws:").split(":")[1] or "aws"
    return "arn:%s:ses:%s:%s:identity/%s" % (partition, region, who["Account"], name)


def _fill_key(params, private_key):
    """Replace the plan's placeholder with the real key (only at call time, never in results)."""
    out = dict(params)
    for field in ("DkimSigningAttributes", "SigningAttributes"):
        attrs = out.get(field)
        if attrs and attrs.get("DomainSigningPrivateKey") == PRIVATE_KEY_PLACEHOLDER:
            out[field] = dict(attrs, DomainSigningPrivateKey=private_key)
    return out


def apply_actions(client, actions, private_key=None, arn=None, applied=None, timeout=CONSISTENCY_TIMEOUT,
                  responses=None):
    """Run a plan's (operation, params) in order; ``applied`` collects the operations that succeeded.

    Calls after a create retry NotFound (eventual consistency). TagResource / UntagResource need ``arn()``.
    ``responses`` (a dict), when given, receives each operation's answer (the create's DKIM tokens).
    """
    applied = applied if applied is not None else []
    created = False
    for operation, params in actions:
        api = _fill_key(params, private_key)
        if operation in ("TagResource", "UntagResource"):
            api = dict(api, ResourceArn=arn())
        if created:
            try:
                resp = retry_until(functools.partial(call, client, operation, **api), MISSING_CODES, timeout)
            except AwsError as exc:
                raise _explain(operation, api, exc)
        else:
            try:
                resp = call(client, operation, **api)
            except AwsError as exc:
                raise _explain(operation, api, exc)
        if responses is not None:
            responses[operation] = resp
        created = created or operation == "CreateEmailIdentity"
        applied.append(operation)
    return applied


def _explain(operation, api, exc):
    """Turn SES's refusal of a second key-length change within a day into a clear message."""
    attrs = api.get("SigningAttributes") or {}
    if (operation == "PutEmailIdentityDkimSigningAttributes" and api.get("SigningAttributesOrigin") == "AWS_SES"
            and exc.code in ("BadRequestException", "LimitExceededException", "TooManyRequestsException")
            and _ONCE_A_DAY.search(exc.message or "")):
        return DeliverabilityError(
            "dkim.key_length: SES refused to change the DKIM key length of %s to %s because it allows one "
            "key-length change per identity per day; run again after 24 hours (SES said: %s)"
            % (api.get("EmailIdentity"), attrs.get("NextSigningKeyLength"), exc.message),
            operation=operation, error_code=exc.code, option="dkim.key_length")
    return exc


def poll(fn, done, timeout, base=0.5, cap=10.0, sleep=time.sleep):
    """Call fn() until done(value) or timeout; jittered exponential back-off. Returns (value, done?)."""
    deadline = time.monotonic() + timeout
    attempt = 0
    while True:
        value = fn()
        if done(value):
            return value, True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return value, False
        sleep(min(random.uniform(base / 2, min(cap, base * (2 ** attempt))), remaining))
        attempt += 1


# ---------------------------------------------------------------------------------------------- SES v1
NOTIFICATION_KINDS = ("Bounce", "Complaint", "Delivery")


def get_notification_attributes(ses_client, name):
    """SES v1 per-identity notification topics and header flags, or None when the identity is unknown."""
    resp = call(ses_client, "GetIdentityNotificationAttributes", Identities=[name])
    attrs = (resp.get("NotificationAttributes") or {}).get(name)
    return None if attrs is None else notifications_from_api(attrs)


def notifications_from_api(attrs):
    """One identity's GetIdentityNotificationAttributes entry as {bounce|complaint|delivery: {topic, include_headers}}."""
    return {
        kind.lower(): {"topic": attrs.get("%sTopic" % kind) or None,
                       "include_headers": bool(attrs.get("HeadersIn%sNotificationsEnabled" % kind))}
        for kind in NOTIFICATION_KINDS
    }
