"""SES v2 over REST-JSON: each botocore operation name maps to one handler on SesRegion."""

from __future__ import annotations

from . import endpoints, metrics, tenants
from .ses_core import SesError, bad_request, not_found


def _tags_resource(region, arn: str):
    kind, _, name = arn.rpartition(":")[2].partition("/")
    if kind == "identity":
        return region.get(name)
    if kind == "configuration-set":
        return region.config_set(name)
    if kind == "tenant":
        return tenants.tenant(region, {"TenantName": name.split("/")[0]})
    raise not_found("Resource <%s> does not exist." % arn)


def _send_email(region, p):
    dest = p.get("Destination") or {}
    recipients = (dest.get("ToAddresses") or []) + (dest.get("CcAddresses") or []) + (dest.get("BccAddresses") or [])
    content = p.get("Content") or {}
    subject = ((content.get("Simple") or {}).get("Subject") or {}).get("Data", "")
    source = p.get("FromEmailAddress")
    if not source:
        raw = ((content.get("Raw") or {}).get("Data") or b"")
        source = _header(raw, "From")
    if not source:
        raise bad_request("FromEmailAddress is required.")
    tags = {t["Name"]: t["Value"] for t in p.get("EmailTags") or []}
    headers = [{"name": "From", "value": source}, {"name": "To", "value": ", ".join(recipients)},
               {"name": "Subject", "value": subject}]
    tenant = None
    if p.get("TenantName") is not None:
        # sending for a tenant: it must exist, be allowed to send and own the identity and set (tenants.py)
        ident = region.sending_identity(source)
        tenant = tenants.before_send(region, p["TenantName"], ident, p.get("ConfigurationSetName")
                                     or (ident.configuration_set if ident else None))
        counts = dict(region.counts)
    if tenant is not None:
        # SES tags a tenant's events with its name (ses:tenant-name; tenant-level suppression lists, "Identifying
        # tenant suppression bounces"); event records carry tags, identity notifications do not
        tags["ses:tenant-name"] = tenant.name
    if tenant is not None and tenant.suppression["SuppressionScope"] == "TENANT":
        with tenants.suppression_list(region, tenant, reasons=True):
            message_id = region.send(source, recipients, subject, p.get("ConfigurationSetName"), tags, headers)
    else:
        message_id = region.send(source, recipients, subject, p.get("ConfigurationSetName"), tags, headers)
    if tenant is not None:
        tenants.after_send(tenant, counts, region.counts)
    raw = (content.get("Raw") or {}).get("Data")
    if raw:
        # a recipient that SES receiving covers in this account (an active receipt rule): the message comes back
        # in, as it would through MX (e.g. a DMARC report sent to the rua address lands in the rule's S3 bucket)
        from . import inbound
        try:
            inbound.deliver(region.account_id, region.region, _raw_bytes(raw), recipients)
        except Exception:  # noqa: BLE001 - e.g. the rule's bucket is gone: SES would bounce it; sending succeeded
            pass
    return {"MessageId": message_id}


def _raw_bytes(raw):
    import base64
    if isinstance(raw, bytes):
        return raw
    try:
        return base64.b64decode(raw, validate=True)
    except ValueError:
        return raw.encode()


def _header(raw, name):
    import base64
    if isinstance(raw, str):
        try:
            raw = base64.b64decode(raw)
        except ValueError:
            raw = raw.encode()
    for line in raw.decode("utf-8", "replace").splitlines():
        if line.lower().startswith(name.lower() + ":"):
            return line.split(":", 1)[1].strip()
    return None


def _list_config_sets(region, p):
    names = sorted(region.config_sets)
    size = int(p.get("PageSize") or 100)
    start = int(p.get("NextToken") or 0)
    out = {"ConfigurationSets": names[start:start + size]}
    if start + size < len(names):
        out["NextToken"] = str(start + size)
    return out


def _config_set_update(attr):
    def handler(region, p):
        cs = region.config_set(p["ConfigurationSetName"])
        if attr == "suppression":
            region._apply_config_set(cs, {"SuppressionOptions": {"SuppressedReasons": p.get("SuppressedReasons") or []}})
        elif attr == "reputation":
            cs.reputation_metrics = bool(p.get("ReputationMetricsEnabled"))
        elif attr == "sending":
            cs.sending_enabled = bool(p.get("SendingEnabled"))
        elif attr == "delivery":
            region.put_delivery_options(cs, p)
        elif attr == "tracking":
            cs.tracking = {k: v for k, v in p.items() if k != "ConfigurationSetName"}
        return {}
    return handler


def _delete_event_destination(region, p):
    cs = region.config_set(p["ConfigurationSetName"])
    if cs.event_destinations.pop(p["EventDestinationName"], None) is None:
        raise not_found("Event destination <%s> does not exist." % p["EventDestinationName"])
    return {}


def _tag(region, p):
    res = _tags_resource(region, p["ResourceArn"])
    res.tags.update({t["Key"]: t["Value"] for t in p.get("Tags") or []})
    return {}


def _untag(region, p):
    res = _tags_resource(region, p["ResourceArn"])
    for key in p.get("TagKeys") or []:
        res.tags.pop(key, None)
    return {}



HANDLERS = {
    "CreateEmailIdentity": lambda r, p: r.create_identity(p),
    "GetEmailIdentity": lambda r, p: r.identity_api(p["EmailIdentity"]),
    "ListEmailIdentities": lambda r, p: r.list_identities(p),
    "DeleteEmailIdentity": lambda r, p: (r.delete_identity(p["EmailIdentity"]), {})[1],
    "PutEmailIdentityDkimAttributes": lambda r, p: (r.put_dkim_attributes(p), {})[1],
    "PutEmailIdentityDkimSigningAttributes": lambda r, p: r.put_dkim_signing(p),
    "PutEmailIdentityMailFromAttributes": lambda r, p: (r.put_mail_from(p), {})[1],
    "PutEmailIdentityFeedbackAttributes": lambda r, p: (r.put_feedback(p), {})[1],
    "PutEmailIdentityConfigurationSetAttributes": lambda r, p: (r.put_identity_config_set(p), {})[1],
    "GetAccount": lambda r, p: r.account_api(),
    "PutAccountSuppressionAttributes": lambda r, p: (r.put_account_suppression(p), {})[1],
    "PutAccountSendingAttributes": lambda r, p: (r.put_account_sending(p), {})[1],
    "PutSuppressedDestination": lambda r, p: (r.put_suppressed(p), {})[1],
    "GetSuppressedDestination": lambda r, p: r.get_suppressed(p["EmailAddress"]),
    "DeleteSuppressedDestination": lambda r, p: (r.delete_suppressed(p["EmailAddress"]), {})[1],
    "ListSuppressedDestinations": lambda r, p: r.list_suppressed(p),
    "CreateConfigurationSet": lambda r, p: (r.create_config_set(p), {})[1],
    "GetConfigurationSet": lambda r, p: r.config_set(p["ConfigurationSetName"]).to_api(),
    "ListConfigurationSets": _list_config_sets,
    "DeleteConfigurationSet": lambda r, p: (r.config_set(p["ConfigurationSetName"]),
                                            r.config_sets.pop(p["ConfigurationSetName"]), {})[2],
    "PutConfigurationSetSuppressionOptions": _config_set_update("suppression"),
    "PutConfigurationSetReputationOptions": _config_set_update("reputation"),
    "PutConfigurationSetSendingOptions": _config_set_update("sending"),
    "PutConfigurationSetDeliveryOptions": _config_set_update("delivery"),
    "PutConfigurationSetTrackingOptions": _config_set_update("tracking"),
    "CreateConfigurationSetEventDestination": lambda r, p: (r.put_event_destination(p, True), {})[1],
    "UpdateConfigurationSetEventDestination": lambda r, p: (r.put_event_destination(p, False), {})[1],
    "DeleteConfigurationSetEventDestination": _delete_event_destination,
    "GetConfigurationSetEventDestinations": lambda r, p: {"EventDestinations": list(
        r.config_set(p["ConfigurationSetName"]).event_destinations.values())},
    "SendEmail": _send_email,
    "TagResource": _tag,
    "UntagResource": _untag,
    "ListTagsForResource": lambda r, p: {"Tags": [{"Key": k, "Value": v} for k, v in
                                                  sorted(_tags_resource(r, p["ResourceArn"]).tags.items())]},
}


HANDLERS.update(tenants.HANDLERS)
HANDLERS.update(endpoints.HANDLERS)
HANDLERS.update(metrics.HANDLERS)
for _op in ("PutSuppressedDestination", "GetSuppressedDestination", "DeleteSuppressedDestination",
            "ListSuppressedDestinations"):
    HANDLERS[_op] = tenants.with_tenant_list(HANDLERS[_op])


def handle(region, operation: str, params: dict) -> dict:
    handler = HANDLERS.get(operation)
    if handler is None:
        raise SesError("NotImplemented", "The sandbox does not implement SES v2 %s." % operation, 501)
    return handler(region, params)
