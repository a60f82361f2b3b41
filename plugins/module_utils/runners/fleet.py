# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The whole domain policy for a list of domains, concurrently: audit (check mode) or enforce.

Built on the single-resource pieces, never beside them: identity plans and DKIM records (``identity``),
SES reads / writes (``sesv2``), the DNS record model, change core and providers (``dns``), SPF merge and
the DMARC ratchet (``policy.records``). Data flows one way, per domain:

  options -> DomainSpec (pure, ``domain_specs``)
  current state, read with as few calls as the APIs allow:
    one paginated ListEmailIdentities; GetEmailIdentity only for the listed domains that exist;
    one zone read per DNS zone (AXFR / paginated ListResourceRecordSets), not one read per record
  -> the domain's plan from the one pure planner (``policy.domain``): records, refusals, warnings,
     against the zone snapshot; a refused domain fails alone and writes nothing
  -> SES plan (``policy.domain.ses_plan``) -> apply unless check mode
  -> DNS plan (the planner's records + the DKIM CNAMEs of the tokens SES gave, ``dns.base.plan``)
  -> DNS apply per zone in batches; a batch that fails is retried domain by domain, so one bad domain
     fails alone -> per-domain results.

The first stage runs on a bounded thread pool sharing one boto3 client per service (botocore clients are
thread-safe; ``max_pool_connections`` >= workers). SES calls go through ``concurrency.Limiters``: paced per
operation, AIMD on throttling, so a fleet finishes at the rate AWS allows instead of failing domains.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor


from ansible_collections.deliverability.ses.plugins.module_utils import concurrency
from ansible_collections.deliverability.ses.plugins.module_utils.policy import identity as logic
from ansible_collections.deliverability.ses.plugins.module_utils.ses import identities as sesv2
from ansible_collections.deliverability.ses.plugins.module_utils.errors import AwsError, DeliverabilityError, InputError
from ansible_collections.deliverability.ses.plugins.module_utils.dns import base as dnsbase
from ansible_collections.deliverability.ses.plugins.module_utils.dns.providers import get_provider, lookup_resolver, zone_directory
from ansible_collections.deliverability.ses.plugins.module_utils.policy import domain as planner
from ansible_collections.deliverability.ses.plugins.module_utils.runners.fleet_regions import FleetRegions
from ansible_collections.deliverability.ses.plugins.module_utils.runners.fleet_tenants import FleetTenants
from ansible_collections.deliverability.ses.plugins.module_utils.runners.fleet_specs import (
    MAX_WARNINGS, batches, desired_from_plan, domain_specs, failed_result, ses_plan)

_UNREAD = object()  # an identity not read yet (None means "read: SES does not know it")


class _Known:
    """A finished 'read' of an identity SES did not list: no call, the answer is None."""

    @staticmethod
    def result():
        return None


_NO_READ = _Known()


# ---------------------------------------------------------------------------------------------- I/O
class CallCounter:
    """Counts API calls by operation through botocore's event hooks: one per answered call, so neither
    botocore's retries nor the limiter's retries of throttled calls count twice."""

    def __init__(self):
        self.counts = {}
        self.lock = threading.Lock()

    def attach(self, client):
        client.meta.events.register("after-call.*.*", self._count)
        return client

    def _count(self, model=None, parsed=None, **kwargs):
        if ((parsed or {}).get("Error") or {}).get("Code") in concurrency.THROTTLE_CODES:
            return  # refused before it was applied; the limiter sends it again
        name = getattr(model, "name", "?")
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + 1


class Fleet:
    """One run over the domains: read, plan, apply unless check mode; ``run()`` returns the result dict."""

    def __init__(self, module, params, check_mode, diff, warn, gate=None):
        self.module = module
        self.gate = gate  # optional DMARC evidence gate, passed to the planner (policy.domain.dmarc_plan)
        self.params = params
        self.check_mode = check_mode
        self.want_diff = diff
        self.warn = warn
        self.workers = max(1, int(params.get("workers") or 8))
        self.counter = CallCounter()
        # SES calls go through the adaptive limiter (paced per operation after throttling), so botocore's
        # client does not retry by itself; the limiter retries throttles in time, other failures max_attempts times
        self.limiters = concurrency.Limiters(max_concurrency=self.workers,
                                             max_attempts=params.get("max_attempts") or 8)
        self.ses = self._new_ses()
        self.region = self.ses.meta.region_name
        self.results = {}
        self.config_sets = {}
        self.lock = threading.Lock()
        self.warnings = []
        self.zone_lines = []
        self.writes = []  # every write call that succeeded, in order: what a failure must not hide
        self.dns_cache = {}
        self.resolver = None
        self.tenants = FleetTenants(self)
        self.tenants_ready = None  # the tenants' reads, side by side with the identity and zone reads
        self.regions = FleetRegions(self)
        self.readers = {}  # concurrency.ForkedCall -> whether its calls are in api_calls yet (``fork_reader``)

    def _new_ses(self):
        return concurrency.LimitedClient(self.counter.attach(
            self.module.client("sesv2", max_pool_connections=max(10, self.workers + 2), max_attempts=1)), self.limiters)

    # -- reader processes (check mode): botocore's CPU on another core
    def fork_reader(self, fn, *args):
        """``fn(*args)``, reads only, in a forked process: the module is CPU-bound in botocore, and a second process
        puts those calls on another core. Check mode only (enforce mode reads again after its writes), and only where
        no other thread runs yet (concurrency.ForkedCall.possible: the module's own process, before the run's
        first thread; in an in-process harness with threads the caller reads as before). None when not forked."""
        if not self.check_mode or not concurrency.ForkedCall.possible():
            return None
        reader = concurrency.ForkedCall(self._in_reader, fn, args)
        self.readers[reader] = False
        return reader

    def _in_reader(self, fn, args):
        """(In the child.) Clients of its own, never a connection of the parent's; its calls counted from zero and
        sent back with its answer, or with the error it met."""
        self.module.forget_clients()
        self.counter = CallCounter()
        self.ses = self._new_ses()
        try:
            return True, fn(*args), self.counter.counts
        except Exception as exc:  # noqa: BLE001 - raised in the parent, where the read was wanted
            return False, exc, self.counter.counts

    def reader_answer(self, reader):
        """A reader's answer, the same for every caller (its calls added to api_calls once); the error it met
        raised here; ForkedCall.NO_ANSWER when it gave none (it died): the caller then reads in this process."""
        got = reader.answer()
        if got is reader.NO_ANSWER:
            return got
        ok, value, counts = got
        with self.counter.lock:
            if not self.readers.get(reader):
                self.readers[reader] = True
                for op, n in counts.items():
                    self.counter.counts[op] = self.counter.counts.get(op, 0) + n
        if not ok:
            raise value
        return value

    # -- DNS beyond the zones (SPF includes, report authorisations): one resolver, answers and failures cached
    def resolve(self, name, rtype):
        key = (name.lower().rstrip("."), rtype)
        with self.lock:
            hit = self.dns_cache.get(key)
        if hit is None:
            try:
                if self.resolver is None:
                    self.resolver = lookup_resolver(self.params)
                hit = list(self.resolver.lookup(name, rtype))
            except Exception as exc:  # noqa: BLE001 - the planner reports it; cached so a dead server costs once
                hit = exc
            with self.lock:
                self.dns_cache[key] = hit
        if isinstance(hit, Exception):
            raise hit
        return hit

    def _wrote(self, entry):
        with self.lock:
            self.writes.append(entry)

    # -- helpers
    def _warn(self, domain):
        def warn(msg):
            with self.lock:
                self.warnings.append("%s: %s" % (domain, msg))
                self.results[domain].setdefault("warnings", []).append(msg)
        return warn

    def _config_set_exists(self, name):
        with self.lock:
            if name in self.config_sets:
                return self.config_sets[name]
        found = sesv2.configuration_set_exists(self.ses, name)
        with self.lock:
            self.config_sets[name] = found
        return found

    def _provider(self, zone, zone_ids):
        return get_provider(dict(self.params, zone=zone), zone=zone, clients=self._dns_client, directory=zone_ids)

    def _dns_client(self, service, max_pool_connections=10):
        """The providers' client factory: the module's clients, counted like the SES one."""
        client = self.module.client(service, max_pool_connections=max_pool_connections)
        if not getattr(client, "_fleet_counted", False):
            self.counter.attach(client)
            client._fleet_counted = True  # pylint: disable=protected-access
        return client

    # -- stage 1: SES, per domain
    def ses_domain(self, spec, exists, ident=_UNREAD):
        try:
            return self._ses_domain(spec, exists, ident)
        except AwsError as exc:
            if exists or exc.code != "AlreadyExistsException":
                raise
        return self._ses_domain(spec, True)  # created since the listing: read it and plan again

    def _ses_domain(self, spec, exists, ident=_UNREAD):
        result = self.results[spec.name]
        if ident is _UNREAD:
            ident = sesv2.get_identity(self.ses, spec.name) if exists else None
        actions, before, after = ses_plan(spec, ident)
        cs = spec.configuration_set
        if cs and cs != before.get("configuration_set") and not self._config_set_exists(cs):
            raise InputError("configuration_set", "configuration set %r does not exist in this account and region; "
                                                  "create it first" % cs)
        tokens = list(((ident or {}).get("dkim") or {}).get("tokens") or []) if ident else None
        byodkim = logic.dkim_mode(((ident or {}).get("dkim") or {}).get("origin")) == "byodkim"
        result["actions"] = [a[0] for a in actions]
        result["ses_before"], result["ses_after"] = before, after
        result["changed"] = bool(actions)
        status = {"exists": ident is not None,
                  "verified_for_sending": bool((ident or {}).get("verified_for_sending")),
                  "dkim_status": ((ident or {}).get("dkim") or {}).get("status"),
                  "mail_from_status": ((ident or {}).get("mail_from") or {}).get("status")}
        if actions and not self.check_mode:
            applied, responses = [], {}
            result["changed"] = False
            try:
                sesv2.apply_actions(self.ses, actions, applied=applied, responses=responses)
            finally:
                result["actions"] = applied
                result["changed"] = bool(applied)
                for op in applied:
                    self._wrote({"domain": spec.name, "operation": op})
            created = responses.get("CreateEmailIdentity")
            if created is not None:
                tokens = list((created.get("DkimAttributes") or {}).get("Tokens") or [])
                status.update(exists=True, verified_for_sending=bool(created.get("VerifiedForSendingStatus")),
                              dkim_status=(created.get("DkimAttributes") or {}).get("Status"))
            signing = responses.get("PutEmailIdentityDkimSigningAttributes")
            if signing is not None and signing.get("DkimTokens"):
                tokens = list(signing["DkimTokens"])
            if "PutEmailIdentityMailFromAttributes" in responses and spec.mail_from_domain != \
                    before.get("mail_from", {}).get("mail_from_domain"):
                status["mail_from_status"] = "PENDING"
        result["identity"] = status
        return tokens, byodkim

    # -- stage 2: DNS, per zone
    def read_zone(self, zone, zone_ids):
        provider = self._provider(zone, zone_ids)
        snapshot = provider.read_zone()
        return provider, snapshot

    def plan_dns(self, spec, state, provider, current, planned):
        """This domain's rrset changes against the zone snapshot (pure planning, run in the domain's worker so
        it overlaps the other domains' API calls)."""
        result = self.results[spec.name]
        tokens, byodkim = state
        dkim_keys = [(r["name"], r["type"]) for r in planner.dkim_records(tokens if not byodkim else None, spec.name)]
        missing = [k for k in dkim_keys if k not in current]
        if missing and not getattr(current, "complete", True):
            current = _Partial(current)
            current.update(provider.read(missing))
        desired, info = desired_from_plan(spec, planned, tokens, byodkim, self._warn(spec.name))
        changes = dnsbase.plan(desired, current, int(self.params.get("dns_ttl") or logic.DEFAULT_TTL))
        result.update(info)
        result["dns_changes"] = [c.to_dict() for c in changes]
        if self.want_diff:
            result["dns_diff"] = dnsbase.diff_of(changes)
        if not provider.writes:
            with self.lock:
                self.zone_lines.extend(line for c in changes if c.after is not None for line in c.after.zone_lines())
        return changes

    def domain_job(self, spec, exists, zone_job, ident_job=None):
        """One domain: its plan from the planner once its zone has been read; a refused domain fails here,
        before any write; then SES plan / apply and the DNS plan with the DKIM tokens SES gave. The identity is read
        first (``ident_job``: its read already queued by ``run``), while the zone is still being transferred (a read
        only: nothing is written before the plan)."""
        if ident_job is not None:
            ident = ident_job.result()
        else:
            ident = sesv2.get_identity(self.ses, spec.name) if exists else None
        provider, snapshot = zone_job.result()
        current = snapshot
        if current is None:  # the backend cannot list the zone: read just this domain's rrsets
            current = _Partial(provider.read(planner.policy_keys(spec.as_dict())))
        gate = self.gate
        if gate is None and spec.dmarc.get("advance") and spec.dmarc.get("require_evidence", True):
            # the evidence gate of the dmarc module, the same function and thresholds (policy/evidence.py)
            from ansible_collections.deliverability.ses.plugins.module_utils.runners.dmarc_evidence import evidence_gate
            gate = evidence_gate(self.module, spec.name, warn=self._warn(spec.name))
        planned = planner.plan_records(spec.as_dict(), current, self.resolve, self.region, gate=gate)
        if (planned["dmarc"] or {}).get("gate"):
            from ansible_collections.deliverability.ses.plugins.module_utils.runners.dmarc_evidence import audit_decision
            decision = planned["dmarc"]["gate"]
            if not decision["open"]:
                self._warn(spec.name)(decision["summary"])
            audit_decision(self.module, decision, planned["dmarc"]["record"], "domain_policy", self._warn(spec.name))
        if planned["refusals"]:
            self.results[spec.name].update({k: planned[k] for k in ("spf", "dmarc") if planned[k] is not None})
            desired_from_plan(spec, planned, None, False, self._warn(spec.name))  # warns, then raises the refusal
        state = self.ses_domain(spec, exists, ident)
        if self.tenants_ready is not None:
            self.tenants_ready.result()  # memberships known (and missing tenants made) before a domain joins one
        self.tenants.domain(spec, self.results[spec.name])
        self.regions.domain(spec, self.results[spec.name], ident)
        return self.plan_dns(spec, state, provider, current, planned)

    def apply_zone(self, provider, planned):
        """Stage 2, one zone: write the planned changes in batches; isolate a failing domain."""
        if self.check_mode or not provider.writes:
            for name, changes in planned:
                self.results[name]["changed"] = self.results[name]["changed"] or (bool(changes) and provider.writes)
            return
        operation = provider.write_operation
        for group in batches([p for p in planned if p[1]]):
            try:
                provider.apply([c for dummy, changes in group for c in changes])
                done = [name for name, dummy in group]
                self._wrote({"zone": provider.zone, "operation": operation, "domains": done,
                             "changes": sum(len(c) for dummy, c in group)})
            except Exception as exc:  # noqa: BLE001 - isolated below
                if len(group) == 1:
                    self.results[group[0][0]] = failed_result(group[0][0], exc, self.results[group[0][0]])
                    self.results[group[0][0]]["dns_changes_applied"] = False
                    continue
                done = []
                for name, changes in group:  # isolate the domain that made the batch fail
                    try:
                        provider.apply(changes)
                        done.append(name)
                        self._wrote({"zone": provider.zone, "operation": operation, "domains": [name],
                                     "changes": len(changes)})
                    except Exception as one:  # noqa: BLE001 - this domain only
                        self.results[name] = failed_result(name, one, self.results[name])
                        self.results[name]["dns_changes_applied"] = False
            for name in done:
                self.results[name]["changed"] = True

    # -- the run
    def run(self, partial):
        try:
            return self._run(partial)
        finally:
            for reader in self.readers:
                reader.close()  # ended and reaped, answered or not

    def _run(self, partial):
        self.started = time.monotonic()
        specs, failures = domain_specs(self.params)
        self.tenants.refuse_bad_input(failures)  # a bad ``tenant`` anywhere fails the task before any request
        self.regions.refuse_bad_input(specs, failures)  # and so does a bad ``regions``
        for spec in specs:
            self.results[spec.name] = {"domain": spec.name, "zone": spec.zone, "changed": False, "failed": False}
        partial["domains"] = failures
        zones = {}
        for spec in specs:
            zones.setdefault(spec.zone, []).append(spec)
        zone_ids = zone_directory(self.params, zones, self._dns_client)
        # the tenants are read (100 tenants: 100 ListTenantResources) while the identities and zones are: a sequential
        # phase before them cost a fleet in tenants a fifth more than one without
        self.regions.start_readers(specs)  # check mode, before the run's first thread: reader processes
        self.tenants.start_reader(specs)
        side = ThreadPoolExecutor(max_workers=1)
        self.tenants_ready = side.submit(self.tenants.prepare, specs)
        side.shutdown(wait=False)
        self.regions.prepare(specs)
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            # zone reads first in the queue: the domain jobs wait for them, never the other way round
            zone_reads = {zone: pool.submit(self.read_zone, zone, zone_ids) for zone in zones}
            existing = {item["identity"] for item in sesv2.list_identities(self.ses)} if specs else set()
            # every identity read queued at once, none waiting for a zone transfer: the pool keeps SES busy while
            # the zones are read; the replicas' reads behind the primaries'. Check mode plans each domain here, in
            # order, as its identities come in (pure work: no write, the reads are all queued), overlapping the
            # reads still in flight; enforce mode plans and applies in the pool, after the reads in the queue
            reads = {spec.name: pool.submit(sesv2.get_identity, self.ses, spec.name)
                     for spec in specs if spec.name in existing}
            self.regions.queue_reads(pool, specs)
            jobs = {} if self.check_mode else {
                spec.name: pool.submit(self.domain_job, spec, spec.name in existing, zone_reads[spec.zone],
                                       reads.get(spec.name, _NO_READ)) for spec in specs}
            self.tenants_ready.result()  # a tenant read that fails fails the task, as before
            planned = {}
            for spec in specs:
                try:
                    if spec.name in jobs:
                        changes = jobs[spec.name].result()
                    else:
                        changes = self.domain_job(spec, spec.name in existing, zone_reads[spec.zone],
                                                  reads.get(spec.name, _NO_READ))
                    planned.setdefault(spec.zone, []).append((spec.name, changes))
                except Exception as exc:  # noqa: BLE001 - one domain's failure never aborts the others
                    self.results[spec.name] = failed_result(spec.name, exc, self.results[spec.name])
            applies = {}
            for zone, items in planned.items():
                try:  # a zone that could not be read has already failed its domains; never the whole run
                    applies[zone] = pool.submit(self.apply_zone, zone_reads[zone].result()[0], items)
                except Exception as exc:  # noqa: BLE001 - this zone's domains only
                    for name, dummy in items:
                        self.results[name] = failed_result(name, exc, self.results[name])
            for zone, job in applies.items():
                try:
                    job.result()
                except Exception as exc:  # noqa: BLE001 - this zone's domains only
                    for name, dummy in planned[zone]:
                        if not self.results[name].get("failed"):
                            self.results[name] = failed_result(name, exc, self.results[name])
        return self.finish(specs, failures, partial)

    def finish(self, specs, failures, partial):
        out = []
        diffs = []
        for spec in specs:
            r = self.results[spec.name]
            before, after = r.pop("ses_before", None), r.pop("ses_after", None)
            dns_diff = r.pop("dns_diff", {"before": {}, "after": {}})
            changed = bool(r.get("actions")) or bool(r.get("dns_changes"))
            if changed and before is not None and self.want_diff:
                r["diff"] = {"before": {"ses": before, "dns": dns_diff["before"]},
                             "after": {"ses": after, "dns": dns_diff["after"]}}
                diffs.append(dict(r["diff"], before_header=spec.name, after_header=spec.name))
            gate = (r.get("dmarc") or {}).get("gate")
            if gate and self.want_diff:
                # every gate decision, open or shut, says why in --diff (the dmarc module does the same)
                diffs.append({"prepared": "%s: %s\n" % (spec.name, gate["summary"])})
            out.append(r)
        out.extend(failures)
        failed = [r for r in out if r.get("failed")]
        for msg in self.warnings[:MAX_WARNINGS]:
            self.warn(msg)
        if len(self.warnings) > MAX_WARNINGS:
            self.warn("%d more warnings in the per-domain results" % (len(self.warnings) - MAX_WARNINGS))
        result = {
            "changed": any(r.get("changed") for r in out),
            "domains": out,
            "summary": {"total": len(out), "changed": sum(1 for r in out if r.get("changed")),
                        "failed": len(failed), "ok": len(out) - len(failed)},
            "failed_domains": [r["domain"] for r in failed],
            "zone_lines": sorted(self.zone_lines),
            "writes": list(self.writes),
            "api_calls": dict(sorted(self.counter.counts.items())),
            "tenants": self.tenants.summary,
            "regions": self.regions.summary,
            "stats": {"workers": self.workers, "elapsed_seconds": round(time.monotonic() - self.started, 3),
                      "peak_rss_kb": peak_rss_kb(), "throttling": self.limiters.stats()},
        }
        if self.want_diff:
            result["diff"] = diffs
        partial.clear()
        partial.update(result)
        if failed and self.params.get("fail_on_error", True):
            raise DeliverabilityError("%d of %d domains failed: %s" % (
                len(failed), len(out), "; ".join("%s: %s" % (r["domain"], r["msg"]) for r in failed[:10])))
        return result


def peak_rss_kb():
    """This process's peak resident memory in KiB (None where the resource module is missing)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class _Partial(dict):
    """Rrsets read one by one (a backend that cannot list a zone): absent keys were not read, not empty."""
    complete = False


def run_domain_policy(module, partial, gate=None):
    fleet = Fleet(module, module.params, module.check_mode, module.module._diff,  # pylint: disable=protected-access
                  module.module.warn, gate=gate)
    return fleet.run(partial)
