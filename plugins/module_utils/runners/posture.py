# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read-only posture pass over a fleet: read SES and DNS, let ``policy.posture`` judge, report.

Reads, with as few calls as the APIs allow: one GetAccount, one paginated ListEmailIdentities (unless the
domains are given), one GetEmailIdentity per domain, one GetConfigurationSet per distinct set; DNS through one
cached resolver. SES calls go through the adaptive limiter (``concurrency``), so the pass finishes at the rate
SES allows. Nothing is written to AWS or DNS; report files and the trend store are written only outside check
mode (``posture_report`` renders them).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.deliverability.ses.plugins.module_utils import concurrency, files
from ansible_collections.deliverability.ses.plugins.module_utils.formats import posture_report
from ansible_collections.deliverability.ses.plugins.module_utils.runners import dmarc_evidence as evidence_module
from ansible_collections.deliverability.ses.plugins.module_utils.ses import identities as sesv2
from ansible_collections.deliverability.ses.plugins.module_utils import validate
from ansible_collections.deliverability.ses.plugins.module_utils.errors import (
    AwsError, DeliverabilityError, DnsError, InputError)
from ansible_collections.deliverability.ses.plugins.module_utils.aws import call, is_missing
from ansible_collections.deliverability.ses.plugins.module_utils.dns.resolve import Resolver
from ansible_collections.deliverability.ses.plugins.module_utils.names import normalize_domain
from ansible_collections.deliverability.ses.plugins.module_utils.policy import posture as rules
from ansible_collections.deliverability.ses.plugins.module_utils.policy import posture_tenants
from ansible_collections.deliverability.ses.plugins.module_utils.policy.regions import other_regions
from ansible_collections.deliverability.ses.plugins.module_utils.runners import posture_regions
from ansible_collections.deliverability.ses.plugins.module_utils.ses import tenants as tenants_api
from ansible_collections.deliverability.ses.plugins.module_utils.runners.reputation import account_status

HISTORY_LIMIT = 1000  # runs kept in the trend store (older lines are dropped when it is rewritten)
HISTORY_MAX_BYTES = 8 * 1024 * 1024


class CouldNotLook(DeliverabilityError):
    """The pass could not read what it needs (the account or the identity list): no verdict is possible."""


def _domains(params):
    out, seen = [], set()
    for i, name in enumerate(params.get("domains") or []):
        d = normalize_domain(name, "domains[%d]" % i)
        if d not in seen:
            seen.add(d)
            out.append(d)
    parked = []
    for i, name in enumerate(params.get("parked_domains") or []):
        d = normalize_domain(name, "parked_domains[%d]" % i)
        if d in seen:
            raise InputError("parked_domains[%d]" % i, "%s is also in domains: a domain sends or is parked" % d)
        parked.append(d)
    return out, parked


class PosturePass:
    def __init__(self, module, params, check_mode):
        self.module = module
        self.params = params
        self.check_mode = check_mode
        self.workers = 16 if params.get("workers") is None else params["workers"]
        if not 1 <= self.workers <= 256:
            raise InputError("workers", "must be 1..256 (got %d)" % self.workers)
        validate.number(params.get("dns_timeout"), "dns_timeout", minimum=0, min_exclusive=True, maximum=300)
        if (params.get("max_key_age_days") or 0) < 0:
            raise InputError("max_key_age_days", "must be 0 (off) or more days")
        self.limiters = concurrency.Limiters(max_concurrency=self.workers,
                                             max_attempts=params.get("max_attempts") or 8)
        self.config_sets = {}
        self.lock = threading.Lock()
        self.regions = None

    def _config_set(self, ses, name):
        # one read per distinct set, however many domains ask for it at the same moment
        with self.lock:
            slot = self.config_sets.setdefault(name, {"lock": threading.Lock(), "info": None})
        with slot["lock"]:
            if slot["info"] is None:
                slot["info"] = self._read_config_set(ses, name)
            return slot["info"]

    def _read_config_set(self, ses, name):
        try:
            resp = call(ses, "GetConfigurationSet", ConfigurationSetName=name)
            reasons = (resp.get("SuppressionOptions") or {}).get("SuppressedReasons")
            info = {"name": name, "exists": True,
                    "suppressed_reasons": list(reasons) if "SuppressionOptions" in resp else None}
        except AwsError as exc:
            if not is_missing(exc):
                raise
            info = {"name": name, "exists": False, "suppressed_reasons": None}
        return info

    def _one(self, ses, resolver, region, domain, listed, account_findings, parked, now):
        try:
            ident = None
            cs = None
            if not parked:
                ident = sesv2.get_identity(ses, domain) if listed is None or domain in listed else None
                if ident and ident.get("configuration_set"):
                    cs = self._config_set(ses, ident["configuration_set"])
            result = rules.assess(domain, ident, resolver, region, account_findings, config_set=cs, parked=parked,
                                  now=now, max_key_age_days=self.params.get("max_key_age_days"),
                                  evidence=self._evidence(domain))
            if not parked and self.regions is not None:
                self.regions.check_domain(result, ident)
                result["findings"].sort(key=lambda f: (rules.rank(f["severity"]), f["id"]))
                result["worst"] = rules.worst(result["findings"])
            return result
        except DeliverabilityError as exc:
            # could not look at SES for this domain: no finding, no verdict - the domain counts as not looked at
            out = {"domain": domain, "kind": "parked" if parked else "sending", "failed": True, "msg": exc.msg,
                   "findings": [], "worst": "none", "verdicts": {}, "could_not_look": True,
                   "unknown": [{"check": "ses", "name": domain, "error": exc.msg}]}
            out.update({k: v for k, v in exc.details.items() if k in ("operation", "error_code") and v})
            return out

    def _evidence(self, domain):
        """``decide(tags)`` for the domain when the evidence store exists, else None (no stage reported)."""
        if self.evidence_store is None:
            return None

        def decide(tags):
            from ansible_collections.deliverability.ses.plugins.module_utils.policy import dmarc
            published = (tags.get("p", "none"), tags.get("t", "n")) if tags else None
            if self.params.get("evidence_store") == "dynamodb":  # one client for all threads
                return evidence_module.decide(self.evidence_store, None, domain, self.thresholds,
                                              current=dmarc.policy_text(tags) if tags else None,
                                              target=rules.next_stage_text(tags), published=published)
            # SQLite connections belong to the thread that opened them: open, read, close in this worker
            store, error = evidence_module.open_store(self.module, read_only=True, missing_ok=True)
            try:
                return evidence_module.decide(store, error, domain, self.thresholds,
                                              current=dmarc.policy_text(tags) if tags else None,
                                              target=rules.next_stage_text(tags), published=published)
            finally:
                if store is not None:
                    store.close()
        return decide

    def open_evidence(self):
        self.evidence_store, self.evidence_note = None, None
        if self.params.get("evidence_store") == "none":
            self.evidence_note = "evidence_store=none"
            return
        self.thresholds = evidence_module.gate_thresholds({})
        self.evidence_store, self.evidence_note = evidence_module.open_store(self.module, read_only=True,
                                                                             missing_ok=True)

    def run(self):
        started = time.monotonic()
        domains, parked = _domains(self.params)
        ses = concurrency.LimitedClient(
            self.module.client("sesv2", max_pool_connections=self.workers + 2, max_attempts=1), self.limiters)
        region = ses.meta.region_name
        resolver = FailureCache(Resolver(self.params.get("resolvers") or self.params.get("nameservers"),
                                         timeout=float(self.params.get("dns_timeout") or 5.0)))
        try:
            account = account_status(ses)
            listed = None
            if not domains:
                listed = {i["identity"] for i in sesv2.list_identities(ses) if i["identity_type"] == "DOMAIN"}
                domains = sorted(listed - set(parked))
        except AwsError as exc:
            raise CouldNotLook("could not read the account: %s" % exc.msg, operation=exc.operation,
                               error_code=exc.code)
        account_findings = rules.assess_account(account)
        others = other_regions(self.params.get("regions"), region, known=self.module.known_regions("sesv2"))
        region_view = {"primary": region, "replicas": others}
        if others:
            self.regions = posture_regions.RegionReads(self.module, self.limiters, region, others, self.workers)
            if self.params.get("compare_suppression", True):
                region_view["suppression"], drift = self.regions.suppression()
                account_findings = account_findings + drift
        self.open_evidence()
        now = dt.datetime.now(dt.timezone.utc)
        jobs = [(d, False) for d in domains] + [(d, True) for d in parked]
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            results = list(pool.map(lambda job: self._one(ses, resolver, region, job[0], listed, account_findings,
                                                          job[1], now), jobs))
        if self.evidence_store is not None:
            self.evidence_store.close()
        tenant_view = self._tenant_view(ses, results)
        summary = rules.summarize(results, account_findings)
        fail_on = self.params.get("fail_on") or "high"
        over = [f for r in results for f in r.get("findings") or []] + list(account_findings)
        over = rules.at_least(over, fail_on) if fail_on != "never" else []
        region_unknown = bool((region_view.get("suppression") or {}).get("errors"))
        status = "could_not_look" if summary["could_not_look"] or region_unknown else ("findings" if over else "clean")
        out = {
            "changed": False,
            "status": status,
            "generated": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": region,
            "account": dict(account, findings=account_findings),
            "evidence": {"available": self.evidence_store is not None, "note": self.evidence_note},
            "tenants": tenant_view,
            "regions": region_view,
            "summary": summary,
            "fail_on": fail_on,
            "findings_at_or_above_fail_on": len(over),
            "domains": results if self.params.get("return_domains", True) else [],
            "stats": {"workers": self.workers, "elapsed_seconds": round(time.monotonic() - started, 3),
                      "dns_queries": resolver.queries, "throttling": self.limiters.stats()},
        }
        out["files"] = self.write_reports(out, results)
        return out

    def _tenant_view(self, ses, results):
        """The tenant view, and each sending domain's tenant findings added to its result. One read of each tenant
        (its resources and reputation entity), never one per domain. A failed read makes the tenant check of every
        sending domain unknown (could not look), with no tenant finding."""
        if not self.params.get("check_tenants", True):
            return {"checked": False, "used": None, "tenants": []}
        try:
            tenants = []
            for t in tenants_api.list_tenants(ses):
                view = dict(t, resources={"identities": sorted(
                    r["name"].lower() for r in tenants_api.list_tenant_resources(ses, t["name"])
                    if r["kind"] == "identities")})
                view.update(tenants_api.get_entity(ses, t["arn"]) or {})
                tenants.append(view)
        except AwsError as exc:
            for r in results:
                if r["kind"] == "sending" and not r.get("failed"):
                    r["unknown"].append({"check": "tenant", "name": "tenants", "error": "could not read the tenants: "
                                         + exc.msg})
                    r["could_not_look"] = True
            return {"checked": True, "used": None, "tenants": [], "error": exc.msg}
        if not tenants:
            return {"checked": True, "used": False, "tenants": []}
        member = posture_tenants.memberships(tenants)
        by_name = dict((t["name"], t) for t in tenants)
        fleet_policy = self.params.get("tenant_reputation_policy") or "standard"
        for r in results:
            if r["kind"] != "sending" or r.get("failed"):
                continue
            extra = posture_tenants.domain_findings(r["domain"], member.get(r["domain"].lower(), []), by_name,
                                                    fleet_policy)
            if extra:
                r["findings"] = sorted(r["findings"] + extra, key=lambda f: (rules.rank(f["severity"]), f["id"]))
                r["worst"] = rules.worst(r["findings"])
        return {"checked": True, "used": True, "fleet_policy": fleet_policy,
                "tenants": posture_tenants.tenant_rows(tenants, results)}

    # -- outputs (never in check mode)
    def write_reports(self, out, results):
        written = {}
        paths = {k: self.params.get(k) for k in ("json_path", "csv_path", "html_path", "history_path")}
        if self.check_mode or not any(paths.values()):
            return written
        history = []
        row = posture_report.trend_row(out, results)
        if paths["history_path"]:
            history = read_history(paths["history_path"])
            history.append(row)
            history = history[-HISTORY_LIMIT:]
            files.write_atomic(paths["history_path"], "".join(json.dumps(h, sort_keys=True) + "\n" for h in history), "history_path")
            written["history_path"] = paths["history_path"]
        else:
            history = [row]
        if paths["json_path"]:
            files.write_atomic(paths["json_path"], posture_report.to_json(out, results), "json_path")
            written["json_path"] = paths["json_path"]
        if paths["csv_path"]:
            files.write_atomic(paths["csv_path"], posture_report.to_csv(results, out["account"]["findings"]), "csv_path")
            written["csv_path"] = paths["csv_path"]
        if paths["html_path"]:
            files.write_atomic(paths["html_path"], posture_report.to_html(out, results, history), "html_path")
            written["html_path"] = paths["html_path"]
        return written


class FailureCache:
    """The resolver with its failures cached too: a name that timed out is not asked again by the next rule
    of the same pass (several rules read the same TXT), so an unreachable DNS costs one timeout per name.

    And a breaker: after ``limit`` timeouts in a row with no answer in between, the resolvers are taken as
    unreachable and the remaining names are not asked (each fails at once, "could not look", never a finding):
    a dead resolver costs ``limit`` timeouts, not one per name of the fleet. A SERVFAIL or REFUSED is an
    answer about one zone and does not count; any answer resets the count."""

    TIMEOUTS = ("Timeout", "LifetimeTimeout")

    def __init__(self, resolver, limit=8):
        self.resolver = resolver
        self.failed = {}
        self.limit = limit
        self.streak = 0
        self.tripped = None
        self.lock = threading.Lock()

    @property
    def queries(self):
        return self.resolver.queries

    def __call__(self, name, rtype):
        key = (name.lower().rstrip("."), rtype)
        if key in self.failed:
            raise self.failed[key]
        if self.tripped is not None:
            raise DnsError("lookup %s %s" % key, "NotAsked", "not asked: the last %d lookups in a row got no answer "
                           "(%s)" % (self.limit, self.tripped))
        try:
            values = self.resolver(name, rtype)
        except DeliverabilityError as exc:
            self.failed[key] = exc
            if getattr(exc, "rcode", None) in self.TIMEOUTS:
                with self.lock:
                    self.streak += 1
                    if self.streak >= self.limit and self.tripped is None:
                        self.tripped = "%s, server %s" % (exc.rcode, exc.details.get("server") or "unknown")
            raise
        with self.lock:
            self.streak = 0
        return values


def read_history(path):
    """The trend store: one JSON object per line. Lines that do not parse are skipped and counted."""
    if not os.path.exists(path):
        return []
    if os.path.getsize(path) > HISTORY_MAX_BYTES:
        raise InputError("history_path", "%s is larger than %d bytes: not a posture history" % (path, HISTORY_MAX_BYTES))
    rows = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict) and "generated" in row:
                rows.append(row)
    return rows


def run_posture(module, partial):
    return PosturePass(module, module.params, module.check_mode).run()
