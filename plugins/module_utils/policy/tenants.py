# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SES tenants as rules: the tenant name, the reputation policies and their ARNs, resource ARNs of this
account and region, the plan of a tenant's resource set and of its attributes. Pure: no I/O.

Sources: botocore's sesv2 model (TenantName: "up to 64 alphanumeric characters, including letters, numbers,
hyphens (-) and underscores (_) only"; ResourceType EMAIL_IDENTITY / CONFIGURATION_SET / EMAIL_TEMPLATE;
SendingStatus ENABLED / REINSTATED / DISABLED) and the AWS::SES::Tenant ReputationPolicy pattern
``arn:<partition>:ses:<region>:aws:reputation-policy/(none|standard|strict)``.
"""

from __future__ import annotations

import re

from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError
from ansible_collections.deliverability.ses.plugins.module_utils import validate

TENANT_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
POLICIES = ("standard", "strict", "none")
# what SES gives a new tenant until a policy is set (the sandbox does the same)
DEFAULT_POLICY = "standard"
SENDING_STATUSES = ("enabled", "disabled", "reinstated")
SUPPRESSION_REASONS = ("BOUNCE", "COMPLAINT")
SUPPRESSION_SCOPES = ("ACCOUNT", "TENANT")
# resource kind (as the modules name it) -> (ARN resource type, SES ResourceType)
KINDS = {
    "identities": ("identity", "EMAIL_IDENTITY"),
    "configuration_sets": ("configuration-set", "CONFIGURATION_SET"),
    "templates": ("template", "EMAIL_TEMPLATE"),
}
_POLICY_ARN = re.compile(r"arn:(aws[a-z-]*):ses:([a-z0-9-]+):aws:reputation-policy/(none|standard|strict)")
_RESOURCE_ARN = re.compile(r"arn:(aws[a-z-]*):ses:([a-z0-9-]+):(\d{12}):(identity|configuration-set|template)/(.+)")
_TEMPLATE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def tenant_name(value, option="name"):
    validate.text(value, option, max_len=200)
    if not TENANT_NAME.fullmatch(value):
        raise InputError(option, "%r is not a valid SES tenant name: 1-64 ASCII letters, digits, '-' and '_'"
                         % value)
    return value


def template_name(value, option="templates"):
    validate.text(value, option, max_len=200)
    if not _TEMPLATE_NAME.fullmatch(value):
        raise InputError(option, "%r is not a valid SES email template name: 1-64 ASCII letters, digits, '-' "
                         "and '_'" % value)
    return value


def partition(region):
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def policy_arn(name, region, option="reputation_policy"):
    """The AWS-managed reputation policy ARN of a friendly name (standard / strict / none)."""
    if name not in POLICIES:
        raise InputError(option, "%r is not a reputation policy; use one of %s" % (name, ", ".join(POLICIES)))
    return "arn:%s:ses:%s:aws:reputation-policy/%s" % (partition(region), region, name)


def policy_name(arn):
    """The friendly name of a policy ARN, or None when it is not one of SES's managed policies."""
    found = _POLICY_ARN.fullmatch(arn or "")
    return found.group(3) if found else None


def resource_arn(kind, name, region, account):
    arn_type = KINDS[kind][0]
    return "arn:%s:ses:%s:%s:%s/%s" % (partition(region), region, account, arn_type, name)


def split_resource_arn(value, option, region, account):
    """(kind, name) of an SES identity / configuration set / template ARN of this account and region; any
    other ARN (another account, another region, another kind of resource) is refused naming the option."""
    validate.text(value, option, max_len=2048)
    found = _RESOURCE_ARN.fullmatch(value)
    if not found:
        raise InputError(option, "%r is not the ARN of an SES identity, configuration set or template "
                         "(arn:aws:ses:REGION:ACCOUNT:identity/NAME)" % value)
    if found.group(2) != region:
        raise InputError(option, "%r is in region %s; this task manages region %s" % (value, found.group(2), region))
    if account is not None and found.group(3) != account:
        raise InputError(option, "%r belongs to account %s; the credentials are account %s"
                         % (value, found.group(3), account))
    kind = [k for k, v in KINDS.items() if v[0] == found.group(4)][0]
    return kind, found.group(5)


def kind_of_type(resource_type):
    """The module's kind for an SES ResourceType (EMAIL_IDENTITY -> identities)."""
    for kind, pair in KINDS.items():
        if pair[1] == resource_type:
            return kind
    return None


def resources_plan(current, wanted, exclusive, state="present"):
    """(ARNs to attach, ARNs to detach), sorted: ``present`` attaches what is missing and, with ``exclusive``,
    detaches what is not listed; ``absent`` detaches what is listed and attached."""
    current, wanted = set(current), set(wanted)
    if state == "absent":
        return [], sorted(current & wanted)
    return sorted(wanted - current), sorted(current - wanted) if exclusive else []


def suppression_want(current, reasons, scope):
    """The SuppressionAttributes to put, or None when they already hold (only the options given count)."""
    have = current or {}
    want = {"SuppressedReasons": sorted(set(have.get("SuppressedReasons") or [])),
            "SuppressionScope": have.get("SuppressionScope") or "ACCOUNT"}
    if reasons is not None:
        want["SuppressedReasons"] = sorted(set(reasons))
    if scope is not None:
        want["SuppressionScope"] = scope
    before = {"SuppressedReasons": sorted(set(have.get("SuppressedReasons") or [])),
              "SuppressionScope": have.get("SuppressionScope") or "ACCOUNT"}
    return None if want == before else want


def aggregate_status(aws_status, customer_status):
    """What SES documents: DISABLED by either side stops sending; REINSTATED by either lets it through findings."""
    statuses = (aws_status or "ENABLED", customer_status or "ENABLED")
    if "DISABLED" in statuses:
        return "DISABLED"
    if "REINSTATED" in statuses:
        return "REINSTATED"
    return "ENABLED"


# ------------------------------------------------------------------------------------------------ fleet
POLICY_STRENGTH = ("none", "standard", "strict")


def domain_tenant_plan(wanted, identity_arn, cs_arn, member_of, exclusive=False):
    """One domain of the fleet in its client's tenant ``wanted``: ``{"attach": [(tenant, arn)], "detach":
    [(tenant, arn)], "drift": [words]}``. ``member_of``: resource ARN -> the tenants it is in now. The identity
    and its configuration set (``cs_arn``, or None) join ``wanted``; an identity also in another tenant is
    detached from it with ``exclusive``, else reported (SES lets a resource be in several tenants)."""
    attach, detach, drift = [], [], []
    now = set(member_of.get(identity_arn) or ())
    if wanted not in now:
        attach.append((wanted, identity_arn))
        drift.append("the identity is in no tenant" if not now else
                     "the identity is in %s, not in %s" % (", ".join(sorted(now)), wanted))
    others = sorted(now - {wanted})
    if others:
        if exclusive:
            detach.extend((t, identity_arn) for t in others)
        elif wanted in now:
            drift.append("the identity is also in %s" % ", ".join(others))
    if cs_arn and wanted not in set(member_of.get(cs_arn) or ()):
        attach.append((wanted, cs_arn))
        drift.append("the configuration set is not in %s" % wanted)
    return {"attach": attach, "detach": detach, "drift": drift}


def fleet_tenants(specs):
    """{tenant: reputation policy or None} wanted by the fleet's domains (``specs``: (domain, {name,
    reputation_policy})); two domains asking one tenant for different policies is an InputError naming the second."""
    out = {}
    for where, t in specs:
        name, policy = t["name"], t.get("reputation_policy")
        if name in out and policy and out[name] and out[name] != policy:
            raise InputError(where + ".tenant.reputation_policy", "tenant %s is asked for policy %s and %s"
                             % (name, out[name], policy))
        out[name] = policy or out.get(name)
    return out
