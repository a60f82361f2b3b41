"""The SES v1 (query protocol) operations that share state with v2: identity notification topics,
sending, statistics and the identity listing. Other v1 operations fall through to moto."""

from __future__ import annotations

from .ses_core import SesError, bad_request, iso
from .wire import xml_escape

NS = "http://ses.amazonaws.com/doc/2010-12-01/"
KINDS = ("Bounce", "Complaint", "Delivery")


def _members(form: dict, prefix: str) -> list[str]:
    out, i = [], 1
    while "%s.member.%d" % (prefix, i) in form:
        out.append(form["%s.member.%d" % (prefix, i)])
        i += 1
    return out


def _wrap(action: str, inner: str) -> bytes:
    return ('<%sResponse xmlns="%s"><%sResult>%s</%sResult><ResponseMetadata><RequestId>'
            "00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></%sResponse>"
            % (action, NS, action, inner, action, action)).encode()


def _set_topic(region, form):
    ident = region.get(form["Identity"])
    kind = form.get("NotificationType")
    if kind not in KINDS:
        raise SesError("InvalidParameterValue", "NotificationType must be Bounce, Complaint or Delivery.", 400)
    topic = form.get("SnsTopic") or None
    if topic and region.sandbox.sns_topic(region.account_id, topic) is None:
        raise SesError("InvalidParameterValue", "Invalid SNS topic <%s>." % topic, 400)
    ident.topics[kind] = topic
    return ""


def _set_headers(region, form):
    ident = region.get(form["Identity"])
    kind = form.get("NotificationType")
    if kind not in KINDS:
        raise SesError("InvalidParameterValue", "NotificationType must be Bounce, Complaint or Delivery.", 400)
    ident.headers_in[kind] = form.get("Enabled", "false").lower() == "true"
    return ""


def _set_forwarding(region, form):
    region.get(form["Identity"]).feedback_forwarding = form.get("ForwardingEnabled", "false").lower() == "true"
    return ""


def _get_notification_attrs(region, form):
    entries = []
    for name in _members(form, "Identities"):
        try:
            ident = region.get(name)
        except SesError:
            continue
        parts = ["<key>%s</key><value>" % xml_escape(name)]
        for kind in KINDS:
            if ident.topics[kind]:
                parts.append("<%sTopic>%s</%sTopic>" % (kind, xml_escape(ident.topics[kind]), kind))
            parts.append("<HeadersIn%sNotificationsEnabled>%s</HeadersIn%sNotificationsEnabled>"
                         % (kind, str(ident.headers_in[kind]).lower(), kind))
        parts.append("<ForwardingEnabled>%s</ForwardingEnabled></value>" % str(ident.feedback_forwarding).lower())
        entries.append("<entry>%s</entry>" % "".join(parts))
    return "<NotificationAttributes>%s</NotificationAttributes>" % "".join(entries)


def _get_verification_attrs(region, form):
    entries = []
    for name in _members(form, "Identities"):
        try:
            ident = region.get(name)
        except SesError:
            continue
        region.refresh(ident)
        entries.append("<entry><key>%s</key><value><VerificationStatus>%s</VerificationStatus></value></entry>"
                       % (xml_escape(name), {"NOT_STARTED": "Pending", "PENDING": "Pending",
                                             "SUCCESS": "Success", "FAILED": "Failed",
                                             "TEMPORARY_FAILURE": "TemporaryFailure"}[ident.verification_status]))
    return "<VerificationAttributes>%s</VerificationAttributes>" % "".join(entries)


def _list_identities(region, form):
    kind = {"EmailAddress": "EMAIL_ADDRESS", "Domain": "DOMAIN"}.get(form.get("IdentityType", ""))
    names = [i.name for i in region.identities.values() if kind is None or i.kind == kind]
    return "<Identities>%s</Identities>" % "".join("<member>%s</member>" % xml_escape(n) for n in names)


def _send(region, form):
    recipients = (_members(form, "Destination.ToAddresses") + _members(form, "Destination.CcAddresses")
                  + _members(form, "Destination.BccAddresses"))
    subject = form.get("Message.Subject.Data", "")
    source = form.get("Source")
    if not source:
        raise bad_request("Source is required.")
    tags, i = {}, 1
    while "Tags.member.%d.Name" % i in form:
        tags[form["Tags.member.%d.Name" % i]] = form.get("Tags.member.%d.Value" % i, "")
        i += 1
    headers = [{"name": "From", "value": source}, {"name": "To", "value": ", ".join(recipients)},
               {"name": "Subject", "value": subject}]
    message_id = region.send(source, recipients, subject, form.get("ConfigurationSetName"), tags, headers)
    return "<MessageId>%s</MessageId>" % message_id


def _statistics(region, form):
    points = "".join(
        "<member><Timestamp>%s</Timestamp><DeliveryAttempts>%d</DeliveryAttempts><Bounces>%d</Bounces>"
        "<Complaints>%d</Complaints><Rejects>%d</Rejects></member>"
        % (iso(p["Timestamp"]), p["DeliveryAttempts"], p["Bounces"], p["Complaints"], p["Rejects"])
        for p in region.send_statistics())
    return "<SendDataPoints>%s</SendDataPoints>" % points


def _quota(region, form):
    acct = region.account_api()["SendQuota"]
    return ("<Max24HourSend>%s</Max24HourSend><MaxSendRate>%s</MaxSendRate><SentLast24Hours>%s</SentLast24Hours>"
            % (acct["Max24HourSend"], acct["MaxSendRate"], acct["SentLast24Hours"]))


def _verify_domain(region, form):
    name = form.get("Domain", "")
    try:
        ident = region.get(name)
    except SesError:
        region.create_identity({"EmailIdentity": name})
        ident = region.get(name)
    return "<VerificationToken>%s</VerificationToken>" % (ident.dkim_tokens[0] if ident.dkim_tokens else "")


def _verify_email(region, form):
    name = form.get("EmailAddress", "")
    try:
        region.get(name)
    except SesError:
        region.create_identity({"EmailIdentity": name})
    return ""


def _delete_identity(region, form):
    try:
        region.delete_identity(form.get("Identity", ""))
    except SesError:
        pass  # v1 DeleteIdentity is idempotent
    return ""


HANDLERS = {
    "SetIdentityNotificationTopic": _set_topic,
    "SetIdentityHeadersInNotificationsEnabled": _set_headers,
    "SetIdentityFeedbackForwardingEnabled": _set_forwarding,
    "GetIdentityNotificationAttributes": _get_notification_attrs,
    "GetIdentityVerificationAttributes": _get_verification_attrs,
    "ListIdentities": _list_identities,
    "SendEmail": _send,
    "SendRawEmail": None,  # v1 raw sending: same path as v2 raw; not needed by the collection yet
    "GetSendStatistics": _statistics,
    "GetSendQuota": _quota,
    "VerifyDomainIdentity": _verify_domain,
    "VerifyEmailIdentity": _verify_email,
    "VerifyEmailAddress": _verify_email,
    "DeleteIdentity": _delete_identity,
}
HANDLERS = {k: v for k, v in HANDLERS.items() if v is not None}


def handle(region, action: str, form: dict) -> bytes:
    return _wrap(action, HANDLERS[action](region, form))
