# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""domain_policy's tenants: one client, one tenant. Before the domains: the tenants the fleet names are read once
each (every tenant's resources, the named tenants' reputation entities), created when missing and given their
reputation policy. Then per domain: its identity and configuration set join its tenant (policy/tenants.py's
``domain_tenant_plan``, the rule the tenant modules share). Check mode reads and plans; it writes nothing."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.deliverability.ses.plugins.module_utils.aws import call
from ansible_collections.deliverability.ses.plugins.module_utils.concurrency import ForkedCall
from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError
from ansible_collections.deliverability.ses.plugins.module_utils.policy import tenants as rules
from ansible_collections.deliverability.ses.plugins.module_utils.ses import tenants as api


_TENANT_OPTION = re.compile(r"(^|\.)tenant(\.|$)")


class FleetTenants:
    def __init__(self, fleet):
        self.fleet = fleet
        self.wanted = {}
        self.member_of = {}  # resource ARN -> set of tenant names
        self.account = None
        self.lock = threading.Lock()
        self.summary = {"created": [], "policy_set": [], "read": 0}
        self.reader = None  # concurrency.ForkedCall reading the tenants (``start_reader``)
        self.claimed = set()  # (tenant, ARN) associations a domain of this run has taken on (a shared set once)

    @staticmethod
    def refuse_bad_input(failures):
        """A ``tenant`` that cannot be used (name outside SES's pattern, unknown policy), in the module's options or
        in any entry, fails the whole task naming the field, before the first request: the other domains are not
        enforced half-way (issue 25: one error, nothing written). Other bad entries still fail alone."""
        for failure in failures:
            option = failure.get("option") or ""
            if _TENANT_OPTION.search(option):
                msg = failure.get("msg") or ""
                raise InputError(option, msg[len(option) + 2:] if msg.startswith(option + ": ") else msg)

    def start_reader(self, specs):
        """Check mode, before any thread of the run: the tenants read in a reader process (Fleet.fork_reader)."""
        named = [("domains[%d]" % s.index, s.tenant) for s in specs if s.tenant]
        try:
            wanted = rules.fleet_tenants(named) if named else None
        except InputError:
            return  # prepare raises it, where the task's failures are reported
        if wanted is not None:
            self.reader = self.fleet.fork_reader(self._read, wanted)

    def _read(self, wanted):
        """Every tenant and its resources, the entity of each tenant of ``wanted`` with a policy, and the account."""
        ses = self.fleet.ses
        existing = dict((t["name"], t) for t in api.list_tenants(ses))
        # one read per tenant, the tenants side by side (the fleet's workers): resources of every tenant (an
        # identity in another client's tenant is drift), the reputation entity of the tenants the fleet names
        with ThreadPoolExecutor(max_workers=self.fleet.workers) as pool:
            resources = dict(zip(existing, pool.map(lambda n: api.list_tenant_resources(ses, n), existing)))
            # the entity only where a policy is asked for: without one an existing tenant's policy is left alone
            named = [n for n in sorted(wanted) if wanted[n] and n in existing and existing[n].get("arn")]
            entities = dict(zip(named, pool.map(lambda n: api.get_entity(ses, existing[n]["arn"]), named)))
        account = call(self.fleet.module.client("sts"), "GetCallerIdentity")["Account"]
        return existing, resources, entities, account

    def prepare(self, specs):
        """Read the tenants once; create the missing ones and set their policies (not in check mode)."""
        named = [("domains[%d]" % s.index, s.tenant) for s in specs if s.tenant]
        if not named:
            return
        self.wanted = rules.fleet_tenants(named)
        ses = self.fleet.ses
        region = self.fleet.region
        got = self.fleet.reader_answer(self.reader) if self.reader is not None else ForkedCall.NO_ANSWER
        self.summary["read_by"] = "process"
        if got is ForkedCall.NO_ANSWER:  # no reader (enforce mode, or threads already ran), or it gave no answer
            self.summary["read_by"] = "threads" if self.reader is None else \
                "threads (the reader process gave no answer)"
            got = self._read(self.wanted)
        existing, resources, entities, self.account = got
        for name, rows in resources.items():
            for res in rows:
                self.member_of.setdefault(res["arn"], set()).add(name)
        self.summary["read"] = len(existing)
        for name, policy in sorted(self.wanted.items()):
            if name not in existing:
                self.summary["created"].append(name)
                if policy and policy != rules.DEFAULT_POLICY:
                    self.summary["policy_set"].append({"tenant": name, "before": rules.DEFAULT_POLICY,
                                                       "after": policy})
                if not self.fleet.check_mode:
                    api.create_tenant(ses, name, policy_arn=rules.policy_arn(policy, region) if policy else None,
                                      wrote=lambda op, name=name: self.fleet._wrote({"tenant": name,
                                                                                     "operation": op}))
                continue
            if not policy:
                continue
            have = (entities.get(name) or {}).get("reputation_policy") or rules.DEFAULT_POLICY
            if policy != have:
                self.summary["policy_set"].append({"tenant": name, "before": have, "after": policy})
                if not self.fleet.check_mode:
                    api.set_policy(ses, existing[name]["arn"], rules.policy_arn(policy, region))
                    self.fleet._wrote({"tenant": name, "operation": "UpdateReputationEntityPolicy"})

    def domain(self, spec, result):
        """Plan (and apply) one domain's memberships; the result says what was done and the drift found."""
        if not spec.tenant:
            return
        name = spec.tenant["name"]
        region = self.fleet.region
        identity_arn = rules.resource_arn("identities", spec.name, region, self.account)
        cs_arn = rules.resource_arn("configuration_sets", spec.configuration_set, region, self.account) \
            if spec.configuration_set else None
        plan = rules.domain_tenant_plan(name, identity_arn, cs_arn, self.member_of,
                                        exclusive=bool(spec.tenant.get("exclusive")))
        with self.lock:  # a configuration set shared by several domains joins its tenant once
            plan["attach"] = [p for p in plan["attach"] if p not in self.claimed]
            self.claimed.update(plan["attach"])
        before = sorted(self.member_of.get(identity_arn) or ())
        after = sorted((set(before) | {t for t, a in plan["attach"] if a == identity_arn})
                       - {t for t, a in plan["detach"] if a == identity_arn})
        result["tenant"] = {"name": name, "drift": plan["drift"], "before": before, "after": after,
                            "attach": ["%s %s" % p for p in plan["attach"]],
                            "detach": ["%s %s" % p for p in plan["detach"]]}
        for key in ("ses_before", "ses_after"):
            if isinstance(result.get(key), dict):
                result[key] = dict(result[key], tenants=before if key == "ses_before" else after)
        ops = [("DeleteTenantResourceAssociation", t, a) for t, a in plan["detach"]] + \
              [("CreateTenantResourceAssociation", t, a) for t, a in plan["attach"]]
        if ops:
            result["actions"] = list(result.get("actions") or []) + [op for op, dummy, dummy2 in ops]
            result["changed"] = True
        if self.fleet.check_mode:
            return
        for op, tenant, arn in ops:
            if op == "DeleteTenantResourceAssociation":
                api.disassociate(self.fleet.ses, tenant, arn)
            else:
                api.associate(self.fleet.ses, tenant, arn)
            self.fleet._wrote({"domain": spec.name, "tenant": tenant, "operation": op})
