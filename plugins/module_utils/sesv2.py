# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SES v2 reads and writes, returned as plain snake_case data the modules compare and return."""

from __future__ import annotations

from ansible_collections.deliverability.ses.plugins.module_utils.aws import AwsError, call, paginate

MISSING_CODES = ("NotFoundException",)


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
    }


def get_identity(client, name):
    """The identity, or None when SES does not know it."""
    try:
        resp = call(client, "GetEmailIdentity", EmailIdentity=name)
    except AwsError as exc:
        if exc.code in MISSING_CODES:
            return None
        raise
    return identity_from_api(name, resp)


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
