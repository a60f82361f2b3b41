"""SES tenants and reputation entities, as the SES v2 API (botocore's sesv2 model) defines them.

State lives on each SesRegion (one account, one region) under ``region.tenant_state``, created on first use, so
a sandbox reset forgets it with the rest. Routing is botocore's (wire.router): these handlers join
sesv2_api.HANDLERS.

Reputation (see docs/sandbox.md, "Tenants"): SendEmail with TenantName counts the tenant's delivery attempts,
hard bounces and complaints. Past MIN_VOLUME attempts, a bounce rate at or above 5 % or a complaint rate at or
above 0.1 % is a finding of LOW impact, 10 % / 0.5 % of HIGH impact (SES's account review and pause
thresholds). Policy ``strict`` pauses the tenant (AwsSesManagedStatus DISABLED with the cause) on a LOW or HIGH
finding, ``standard`` on a HIGH one, ``none`` never.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import secrets

from .ses_core import SesError, bad_request, not_found, now

TENANT_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
POLICIES = ("none", "standard", "strict")
DEFAULT_POLICY = "standard"
MAX_TENANTS = 10000
MIN_VOLUME = 20
# (bounce rate, complaint rate) at or above which SES reports a finding of that impact
THRESHOLDS = {"LOW": (0.05, 0.001), "HIGH": (0.10, 0.005)}
PAUSES_ON = {"none": (), "standard": ("HIGH",), "strict": ("LOW", "HIGH")}
RESOURCE_KINDS = {"identity": "EMAIL_IDENTITY", "configuration-set": "CONFIGURATION_SET", "template": "EMAIL_TEMPLATE"}


def already_exists(message):
    return SesError("AlreadyExistsException", message, 400)


def policy_arn(region, name):
    return "arn:aws:ses:%s:aws:reputation-policy/%s" % (region.region, name)


class Tenant:
    def __init__(self, region, name, tags, suppression):
        self.name = name
        self.id = "tn-" + secrets.token_hex(8)
        self.arn = "arn:aws:ses:%s:%s:tenant/%s/%s" % (region.region, region.account_id, name, self.id)
        self.created = now()
        self.tags = tags
        self.suppression = suppression
        self.resources: dict[str, dt.datetime] = {}  # resource ARN -> associated at
        self.policy = policy_arn(region, DEFAULT_POLICY)
        self.customer = {"Status": "ENABLED", "Cause": None, "LastUpdatedTimestamp": self.created}
        self.aws = {"Status": "ENABLED", "Cause": None, "LastUpdatedTimestamp": self.created}
        self.counts = {"attempts": 0, "bounces": 0, "complaints": 0}
        self.daily: dict[dt.date, dict[str, int]] = {}  # UTC day -> the same counts (VDM's BatchGetMetricData)
        self.suppressed: dict[str, dict] = {}  # the tenant's own suppression list (scope TENANT)
        self.impact = "LOW"
        self.finding = None  # None, "LOW" or "HIGH"

    @property
    def aggregate(self):
        if "DISABLED" in (self.aws["Status"], self.customer["Status"]):
            return "DISABLED"
        if "REINSTATED" in (self.aws["Status"], self.customer["Status"]):
            return "REINSTATED"
        return "ENABLED"

    def info(self):
        return {"TenantName": self.name, "TenantId": self.id, "TenantArn": self.arn,
                "CreatedTimestamp": self.created, "SendingStatus": self.aggregate}

    def api(self):
        return dict(self.info(), Tags=[{"Key": k, "Value": v} for k, v in self.tags.items()],
                    SuppressionAttributes=dict(self.suppression))

    def entity(self):
        def record(r):
            return {k: v for k, v in r.items() if v is not None}
        return {"ReputationEntityReference": self.arn, "ReputationEntityType": "RESOURCE",
                "ReputationManagementPolicy": self.policy, "CustomerManagedStatus": record(self.customer),
                "AwsSesManagedStatus": record(self.aws), "SendingStatusAggregate": self.aggregate,
                "ReputationImpact": self.finding or "LOW"}


class TenantState:
    def __init__(self):
        self.tenants: dict[str, Tenant] = {}
        self.templates: dict[str, dict] = {}


def state(region) -> TenantState:
    if not hasattr(region, "tenant_state"):
        region.tenant_state = TenantState()
    return region.tenant_state


def _name(p, key="TenantName"):
    name = p.get(key)
    if not isinstance(name, str) or not TENANT_NAME.fullmatch(name):
        raise bad_request("Invalid %s <%s>: up to 64 letters, numbers, hyphens and underscores." % (key, name))
    return name


def tenant(region, p) -> Tenant:
    name = _name(p)
    found = state(region).tenants.get(name)
    if found is None:
        raise not_found("Tenant <%s> does not exist." % name)
    return found


def _by_arn(region, arn) -> Tenant:
    for t in state(region).tenants.values():
        if t.arn == arn:
            return t
    raise not_found("Reputation entity <%s> does not exist." % arn)


def _suppression(value):
    value = value or {}
    reasons = value.get("SuppressedReasons")
    scope = value.get("SuppressionScope") or "ACCOUNT"
    if scope not in ("ACCOUNT", "TENANT"):
        raise bad_request("Invalid SuppressionScope <%s>." % scope)
    reasons = list(reasons) if reasons is not None else ["BOUNCE", "COMPLAINT"]
    for reason in reasons:
        if reason not in ("BOUNCE", "COMPLAINT"):
            raise bad_request("Invalid SuppressedReasons <%s>." % reason)
    return {"SuppressedReasons": sorted(set(reasons)), "SuppressionScope": scope}


def create_tenant(region, p):
    name = _name(p)
    st = state(region)
    if name in st.tenants:
        raise already_exists("Tenant <%s> already exists." % name)
    if len(st.tenants) >= MAX_TENANTS:
        raise SesError("LimitExceededException", "You have reached the limit of %d tenants." % MAX_TENANTS, 400)
    tags = {t["Key"]: t["Value"] for t in p.get("Tags") or []}
    t = st.tenants[name] = Tenant(region, name, tags, _suppression(p.get("SuppressionAttributes")))
    return t.api()


def delete_tenant(region, p):
    t = tenant(region, p)
    del state(region).tenants[t.name]  # associations go with it; the resources stay, as SES documents
    return {}


def list_page(items, p, key):
    size = int(p.get("PageSize") or 100)
    if not 1 <= size <= 1000:
        raise bad_request("PageSize must be between 1 and 1000.")
    token = p.get("NextToken") or "0"
    if not str(token).isdigit():
        raise bad_request("Invalid NextToken.")
    start = int(token)
    out = {key: items[start:start + size]}
    if start + size < len(items):
        out["NextToken"] = str(start + size)
    return out


def list_tenants(region, p):
    flt = p.get("Filter") or {}
    rows = []
    for t in sorted(state(region).tenants.values(), key=lambda x: x.name):
        if "TENANT_NAME_CONTAINS" in flt and flt["TENANT_NAME_CONTAINS"] not in t.name:
            continue
        if "SENDING_STATUS" in flt and flt["SENDING_STATUS"] != t.aggregate:
            continue
        rows.append(t.info())
    return list_page(rows, p, "Tenants")


def resource_kind(region, arn):
    """The ResourceType of an existing resource of this account and region, else NotFoundException."""
    m = re.fullmatch(r"arn:aws:ses:([a-z0-9-]+):(\d{12}):(identity|configuration-set|template)/(.+)", arn or "")
    if not m:
        raise bad_request("Invalid ResourceArn <%s>." % arn)
    if (m.group(1), m.group(2)) != (region.region, region.account_id):
        raise not_found("Resource <%s> does not exist in account %s, region %s."
                        % (arn, region.account_id, region.region))
    kind, name = m.group(3), m.group(4)
    exists = {"identity": lambda: name in region.identities, "configuration-set": lambda: name in region.config_sets,
              "template": lambda: name in state(region).templates}[kind]()
    if not exists:
        raise not_found("Resource <%s> does not exist." % arn)
    return RESOURCE_KINDS[kind]


def associate(region, p):
    t = tenant(region, p)
    arn = p.get("ResourceArn")
    resource_kind(region, arn)
    if arn in t.resources:
        raise already_exists("Resource <%s> is already associated with tenant <%s>." % (arn, t.name))
    t.resources[arn] = now()
    return {}


def disassociate(region, p):
    t = tenant(region, p)
    if t.resources.pop(p.get("ResourceArn"), None) is None:
        raise not_found("Resource <%s> is not associated with tenant <%s>." % (p.get("ResourceArn"), t.name))
    return {}


def list_tenant_resources(region, p):
    t = tenant(region, p)
    want = (p.get("Filter") or {}).get("RESOURCE_TYPE")
    rows = []
    for arn in sorted(t.resources):
        kind = resource_kind_or_none(region, arn)
        if kind and (want is None or want == kind):
            rows.append({"ResourceType": kind, "ResourceArn": arn})
    return list_page(rows, p, "TenantResources")


def resource_kind_or_none(region, arn):
    try:
        return resource_kind(region, arn)
    except SesError:
        return None  # the resource was deleted: SES drops it from the tenant's list


def list_resource_tenants(region, p):
    arn = p.get("ResourceArn")
    resource_kind(region, arn)
    rows = [{"TenantName": t.name, "TenantId": t.id, "ResourceArn": arn, "AssociatedTimestamp": t.resources[arn]}
            for t in sorted(state(region).tenants.values(), key=lambda x: x.name) if arn in t.resources]
    return list_page(rows, p, "ResourceTenants")


def put_suppression(region, p):
    t = tenant(region, p)
    t.suppression = _suppression({"SuppressedReasons": p.get("SuppressedReasons"),
                                  "SuppressionScope": p.get("SuppressionScope")})
    return {}


def _entity(region, p):
    if p.get("ReputationEntityType") != "RESOURCE":
        raise bad_request("Invalid ReputationEntityType <%s>: only RESOURCE." % p.get("ReputationEntityType"))
    return _by_arn(region, p.get("ReputationEntityReference"))


def get_entity(region, p):
    return {"ReputationEntity": _entity(region, p).entity()}


def update_policy(region, p):
    t = _entity(region, p)
    arn = p.get("ReputationEntityPolicy") or ""
    m = re.fullmatch(r"arn:aws:ses:([a-z0-9-]+):aws:reputation-policy/(none|standard|strict)", arn)
    if not m or m.group(1) != region.region:
        raise bad_request("Invalid ReputationEntityPolicy <%s>: one of %s." % (
            arn, ", ".join(policy_arn(region, x) for x in POLICIES)))
    t.policy = arn
    evaluate(t)
    return {}


def update_customer_status(region, p):
    t = _entity(region, p)
    status = p.get("SendingStatus")
    if status not in ("ENABLED", "REINSTATED", "DISABLED"):
        raise bad_request("Invalid SendingStatus <%s>." % status)
    t.customer = {"Status": status, "Cause": "Customer-managed status set to %s." % status,
                  "LastUpdatedTimestamp": now()}
    return {}


def list_entities(region, p):
    flt = p.get("Filter") or {}
    rows = []
    for t in sorted(state(region).tenants.values(), key=lambda x: x.arn):
        e = t.entity()
        if "SENDING_STATUS" in flt and flt["SENDING_STATUS"] != e["SendingStatusAggregate"]:
            continue
        if "REPUTATION_IMPACT" in flt and flt["REPUTATION_IMPACT"] != e["ReputationImpact"]:
            continue
        if "ENTITY_REFERENCE_PREFIX" in flt and not t.arn.startswith(flt["ENTITY_REFERENCE_PREFIX"]):
            continue
        rows.append(e)
    return list_page(rows, p, "ReputationEntities")


# ------------------------------------------------------------------ templates (the third kind of tenant resource)
def create_template(region, p):
    name = p.get("TemplateName") or ""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
        raise bad_request("Invalid TemplateName <%s>." % name)
    if name in state(region).templates:
        raise already_exists("Template <%s> already exists." % name)
    state(region).templates[name] = dict(p.get("TemplateContent") or {})
    return {}


def get_template(region, p):
    name = p.get("TemplateName")
    if name not in state(region).templates:
        raise not_found("Template <%s> does not exist." % name)
    return {"TemplateName": name, "TemplateContent": state(region).templates[name]}


def delete_template(region, p):
    if state(region).templates.pop(p.get("TemplateName"), None) is None:
        raise not_found("Template <%s> does not exist." % p.get("TemplateName"))
    return {}


# ------------------------------------------------------------------ the tenant's own suppression list
@contextlib.contextmanager
def suppression_list(region, t, reasons=False):
    """Inside, the region's suppression list is the tenant's (and, with ``reasons``, the tenant's suppressed
    reasons replace the account's): the suppression operations with TenantName, and sending for a tenant whose
    scope is TENANT ("use the tenant's own suppression list"). Called under the sandbox lock."""
    saved = region.suppressed, region.account_reasons
    region.suppressed = t.suppressed
    if reasons:
        region.account_reasons = list(t.suppression["SuppressedReasons"])
    try:
        yield
    finally:
        region.suppressed, region.account_reasons = saved


def with_tenant_list(handler):
    """A suppression-list handler that works on the tenant's list when the request names a tenant."""
    def run(region, p):
        if p.get("TenantName") is None:
            return handler(region, p)
        with suppression_list(region, tenant(region, p)):
            return handler(region, p)
    return run


# ------------------------------------------------------------------ sending
def before_send(region, name, source_identity, config_set):
    """SendEmail with TenantName: the tenant exists, may send, and owns the identity (and set) used."""
    t = tenant(region, {"TenantName": name})
    if t.aggregate == "DISABLED":
        cause = t.aws["Cause"] if t.aws["Status"] == "DISABLED" else t.customer["Cause"]
        raise SesError("SendingPausedException", "Sending is paused for tenant <%s>: %s" % (name, cause), 400)
    if source_identity is not None and region.arn("identity", source_identity.name) not in t.resources:
        raise bad_request("Identity <%s> is not associated with tenant <%s>." % (source_identity.name, name))
    if config_set and region.arn("configuration-set", config_set) not in t.resources:
        raise bad_request("Configuration set <%s> is not associated with tenant <%s>." % (config_set, name))
    return t


def after_send(t, before, after):
    day = t.daily.setdefault(now().date(), {"attempts": 0, "bounces": 0, "complaints": 0})
    for key in t.counts:
        t.counts[key] += after[key] - before[key]
        day[key] += after[key] - before[key]
    evaluate(t)


def evaluate(t):
    """The finding SES would make from the tenant's rates, and what its policy does about it."""
    attempts = t.counts["attempts"]
    finding = None
    if attempts >= MIN_VOLUME:
        bounce, complaint = t.counts["bounces"] / attempts, t.counts["complaints"] / attempts
        for impact in ("HIGH", "LOW"):
            b, c = THRESHOLDS[impact]
            if bounce >= b or complaint >= c:
                finding = impact
                break
    t.finding = finding
    policy = t.policy.rsplit("/", 1)[1]
    if finding and finding in PAUSES_ON[policy] and t.aws["Status"] != "DISABLED":
        b, c = THRESHOLDS[finding]
        t.aws = {"Status": "DISABLED", "LastUpdatedTimestamp": now(),
                 "Cause": "Sending paused by the %s reputation policy: bounce rate %.1f%% (threshold %.0f%%), "
                          "complaint rate %.2f%% (threshold %.1f%%) over %d messages, a %s-impact finding."
                          % (policy, 100.0 * t.counts["bounces"] / attempts, 100 * b,
                             100.0 * t.counts["complaints"] / attempts, 100 * c, attempts, finding)}


HANDLERS = {
    "CreateTenant": create_tenant,
    "GetTenant": lambda r, p: {"Tenant": tenant(r, p).api()},
    "ListTenants": list_tenants,
    "DeleteTenant": delete_tenant,
    "CreateTenantResourceAssociation": associate,
    "DeleteTenantResourceAssociation": disassociate,
    "ListTenantResources": list_tenant_resources,
    "ListResourceTenants": list_resource_tenants,
    "PutTenantSuppressionAttributes": put_suppression,
    "GetReputationEntity": get_entity,
    "UpdateReputationEntityPolicy": update_policy,
    "UpdateReputationEntityCustomerManagedStatus": update_customer_status,
    "ListReputationEntities": list_entities,
    "CreateEmailTemplate": create_template,
    "GetEmailTemplate": get_template,
    "DeleteEmailTemplate": delete_template,
}
