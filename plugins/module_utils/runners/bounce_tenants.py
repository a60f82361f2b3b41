# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each bounce or complaint's SES tenant, and which suppression list (the tenant's or the account's) it goes to.

Where the tenant comes from (the rule is ``policy/bounces.py`` ``event_tenant``):

* the event itself: SES adds a ``ses:tenant-name`` tag to the bounce and complaint events of mail sent for a tenant
  (SES Developer Guide, "Using tenant-level suppression lists", *Identifying tenant suppression bounces*). Event
  records published through a configuration set carry tags; identity notifications carry none;
* otherwise the tenant associations of the sending identity (the event's ``mail.sourceArn``) and of the
  configuration set (its ``ses:configuration-set`` tag), read with ``ListResourceTenants`` once per resource per
  run, never per event. Only when the account has tenants at all (``ListTenants``, one page of one, once per run).

A tenant's list is used when its suppression scope is ``TENANT`` (``GetTenant`` once per tenant and region per run);
``ACCOUNT`` scope, a tenant SES no longer has, or no tenant at all mean the account's list, as without tenants.
Every read that fails is remembered for the run (asked once) and raised to the caller as the AwsError it was: the
processor keeps that message for redelivery ("could not look" is never taken as "no tenant").
"""

from __future__ import annotations

import re

from ansible_collections.deliverability.ses.plugins.module_utils.aws import call, get_or_none, is_missing
from ansible_collections.deliverability.ses.plugins.module_utils.errors import AwsError
from ansible_collections.deliverability.ses.plugins.module_utils.policy.bounces import TENANT_SOURCES, event_tenant
from ansible_collections.deliverability.ses.plugins.module_utils.policy.tenants import TENANT_NAME

MODES = ("auto", "event", "ignore")
NO_TENANT = "(no tenant)"
_IDENTITY_ARN = re.compile(r"arn:(aws[a-z-]*):ses:([a-z0-9-]+):(\d{12}):identity/[^\s/]{1,320}")
_SET_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_REPORTED = 100  # disagreements, ambiguous events and failed reads listed in the result (all are counted)


class TenantResolver:
    """The run's tenant reads and what they found. ``client`` is the primary region's sesv2 client,
    ``other_regions`` {region: client}; ``caller`` counts the calls (the processor's ``_call``)."""

    def __init__(self, client, mode="auto", caller=call, other_regions=None):
        self.client = client
        self.mode = mode
        self.caller = caller
        self.clients = dict(other_regions or {})
        self._any = None
        self._resources = {}  # resource ARN -> [tenant names] | AwsError
        self._scopes = {}  # (region or None, tenant) -> "TENANT" | "ACCOUNT" | AwsError
        self.sources = dict((s, 0) for s in TENANT_SOURCES)
        self.disagreements = {}  # (identity ARN, configuration set) -> {...}
        self.disagreement_events = 0
        self.ambiguous = {}
        self.could_not_look = {}  # what -> {operation, error_code, error}
        self.missing = set()
        self.bad_tags = 0

    # ------------------------------------------------------------------ reads, once each
    def _remember_failure(self, what, exc):
        self.could_not_look.setdefault(what, {"what": what, "operation": exc.operation, "error_code": exc.code,
                                              "error": exc.msg})

    def _account_has_tenants(self):
        if self._any is None:
            try:
                page = self.caller(self.client, "ListTenants", PageSize=1)
                self._any = bool(page.get("Tenants"))
            except AwsError as exc:
                self._any = exc
                self._remember_failure("tenants of the account", exc)
        if isinstance(self._any, AwsError):
            raise self._any
        return self._any

    def _tenants_of(self, arn):
        got = self._resources.get(arn)
        if got is None:
            try:
                names, token = [], None
                for _page in range(100):  # 100 pages of 100: far more tenants than one resource can have
                    params = {"ResourceArn": arn, "PageSize": 100}
                    if token:
                        params["NextToken"] = token
                    page = self.caller(self.client, "ListResourceTenants", **params)
                    names.extend(r["TenantName"] for r in page.get("ResourceTenants") or [] if r.get("TenantName"))
                    token = page.get("NextToken")
                    if not token:
                        break
                got = sorted(set(names))
            except AwsError as exc:
                if is_missing(exc):
                    got = []  # the identity or set is gone: it is in no tenant now
                else:
                    got = exc
                    self._remember_failure(arn, exc)
            self._resources[arn] = got
        if isinstance(got, AwsError):
            raise got
        return got

    def scope(self, tenant, region=None):
        """The tenant's suppression scope in ``region`` (None: the primary): TENANT or ACCOUNT. A tenant SES does
        not have there is ACCOUNT (its list does not exist). Raises the AwsError of a failed GetTenant."""
        key = (region, tenant)
        got = self._scopes.get(key)
        if got is None:
            client = self.client if region is None else self.clients[region]
            try:
                resp = get_or_none(client, "GetTenant", caller=self.caller, TenantName=tenant)
                if resp is None:
                    self.missing.add((region or "", tenant))
                    got = "ACCOUNT"
                else:
                    attrs = (resp.get("Tenant") or {}).get("SuppressionAttributes") or {}
                    got = "TENANT" if attrs.get("SuppressionScope") == "TENANT" else "ACCOUNT"
            except AwsError as exc:
                got = exc
                self._remember_failure("tenant %s%s" % (tenant, " in %s" % region if region else ""), exc)
            self._scopes[key] = got
        if isinstance(got, AwsError):
            raise got
        return got

    # ------------------------------------------------------------------ one notification
    def resolve(self, note):
        """(tenant or None, source) of a notification; raises the AwsError of a read that failed."""
        tag = note.get("tenant")
        if tag is not None and not TENANT_NAME.fullmatch(tag):
            self.bad_tags += 1  # not a name SES gives a tenant: not believed, the associations decide
            tag = None
        if tag or self.mode == "event":
            tenant, source, _d, _c = event_tenant(tag, None, None)
            self.sources[source] += 1
            return tenant, source
        if not self._account_has_tenants():
            self.sources["none"] += 1
            return None, "none"
        identity = note.get("source_arn")
        match = _IDENTITY_ARN.fullmatch(identity or "")
        identity = identity if match else None
        set_name = note.get("configuration_set")
        set_arn = None
        if match and set_name and _SET_NAME.fullmatch(set_name):
            set_arn = "arn:%s:ses:%s:%s:configuration-set/%s" % (match.group(1), match.group(2), match.group(3),
                                                                 set_name)
        ids = self._tenants_of(identity) if identity else None
        sets = self._tenants_of(set_arn) if set_arn else None
        tenant, source, disagree, candidates = event_tenant(None, ids, sets)
        self.sources[source] += 1
        if disagree:
            self.disagreement_events += 1
            self.disagreements.setdefault((identity, set_name), {
                "identity": identity, "configuration_set": set_name, "identity_tenants": ids,
                "configuration_set_tenants": sets, "chosen": tenant})
        elif tenant is None and len(candidates) > 1:
            self.ambiguous.setdefault((identity, set_name), {
                "identity": identity, "configuration_set": set_name, "candidates": candidates})
        return tenant, source

    def result(self):
        def first(items):
            return sorted(items, key=lambda x: sorted((k, str(v)) for k, v in x.items()))[:MAX_REPORTED]
        return {"mode": self.mode, "sources": dict(self.sources),
                "scopes": dict(sorted(("%s%s" % (t, "@" + r if r else ""), s) for (r, t), s in self._scopes.items()
                                      if not isinstance(s, AwsError))),
                "disagreements": first(self.disagreements.values()),
                "disagreement_events": self.disagreement_events,
                "ambiguous": first(self.ambiguous.values()),
                "could_not_look": first(self.could_not_look.values()),
                "missing": sorted("%s%s" % (t, "@" + r if r else "") for r, t in self.missing),
                "untrusted_tags": self.bad_tags}
