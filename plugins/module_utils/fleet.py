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
  -> SES plan (``identity.plan`` + ``identity.mail_from_plan``) -> apply unless check mode
  -> DNS plan (``desired_records`` + ``dns.base.plan``) against the zone snapshot
  -> DNS apply per zone in batches; a batch that fails is retried domain by domain, so one bad domain
     fails alone -> per-domain results.

The first stage runs on a bounded thread pool sharing one boto3 client per service (botocore clients are
thread-safe; ``max_pool_connections`` >= workers). SES calls go through ``concurrency.Limiters``: paced per
operation, AIMD on throttling, so a fleet finishes at the rate AWS allows instead of failing domains.
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.deliverability.ses.plugins.module_utils import concurrency
from ansible_collections.deliverability.ses.plugins.module_utils import identity as logic
from ansible_collections.deliverability.ses.plugins.module_utils import sesv2
from ansible_collections.deliverability.ses.plugins.module_utils.errors import AwsError, DeliverabilityError, InputError
from ansible_collections.deliverability.ses.plugins.module_utils.dns import base as dnsbase
from ansible_collections.deliverability.ses.plugins.module_utils.dns.providers import get_provider
from ansible_collections.deliverability.ses.plugins.module_utils.names import normalize_domain
from ansible_collections.deliverability.ses.plugins.module_utils.policy import records as policy
from ansible_collections.deliverability.ses.plugins.module_utils.policy import dmarc, spf

# per-domain keys a ``domains`` entry may override; everything else comes from the module's options
OVERRIDABLE = ("zone", "configuration_set", "mail_from_subdomain", "behavior_on_mx_failure", "dkim", "spf", "dmarc")
DMARC_KEYS = ("enabled", "policy", "subdomain_policy", "nonexistent_policy", "psd", "test_mode", "pct", "rua", "ruf",
              "adkim", "aspf", "fo", "allow_downgrade", "advance", "stages", "legacy_tags", "migrate_legacy",
              "require_evidence")
SPF_KEYS = ("enabled", "mechanisms", "all_qualifier")
DKIM_KEYS = ("key_length", "signing_enabled")
BATCH_CHANGES = 100  # rrset changes per DNS write (Route 53's batch of this collection; one UPDATE message)
MAX_WARNINGS = 20
_CONFIG_SET = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class DomainSpec:
    """What one domain should look like, options merged and validated."""

    __slots__ = ("index", "name", "zone", "configuration_set", "mail_from_domain", "behavior_on_mx_failure",
                 "dkim", "spf", "dmarc")

    def __init__(self, index, name, zone, configuration_set, mail_from_domain, behavior, dkim, spf_opts, dmarc):
        self.index = index
        self.name = name
        self.zone = zone
        self.configuration_set = configuration_set
        self.mail_from_domain = mail_from_domain
        self.behavior_on_mx_failure = behavior
        self.dkim = dkim
        self.spf = spf_opts
        self.dmarc = dmarc


# ---------------------------------------------------------------------------------------------- specs (pure)
def _merged(defaults, override, keys, option):
    out = dict(defaults or {})
    if override is None:
        return out
    if not isinstance(override, dict):
        raise InputError(option, "must be a dictionary")
    unknown = sorted(set(override) - set(keys))
    if unknown:
        raise InputError(option, "unknown key(s) %s (allowed: %s)" % (", ".join(unknown), ", ".join(keys)))
    out.update({k: v for k, v in override.items() if v is not None or k not in out})
    return out


def domain_spec(index, entry, params):
    """One ``domains`` entry (a name, or a dict with ``name`` and overrides) -> DomainSpec; raises InputError."""
    where = "domains[%d]" % index
    if isinstance(entry, str):
        entry = {"name": entry}
    if not isinstance(entry, dict):
        raise InputError(where, "each entry is a domain name or a dictionary with name and overrides")
    unknown = sorted(set(entry) - set(OVERRIDABLE) - {"name"})
    if unknown:
        raise InputError(where, "unknown key(s) %s (allowed: name, %s)" % (", ".join(unknown), ", ".join(OVERRIDABLE)))
    name = normalize_domain(entry.get("name"), where + ".name")

    def pick(key):
        return entry[key] if key in entry else params.get(key)

    zone = normalize_domain(pick("zone") or name, where + ".zone")
    if name != zone and not name.endswith("." + zone):
        raise InputError(where + ".zone", "%s is not inside zone %s" % (name, zone))
    dkim = _merged(params.get("dkim"), entry.get("dkim"), DKIM_KEYS, where + ".dkim")
    if dkim.get("key_length") is not None and dkim["key_length"] not in logic.KEY_LENGTHS:
        raise InputError(where + ".dkim.key_length",
                         "%r is not one of %s" % (dkim["key_length"], ", ".join(logic.KEY_LENGTHS)))
    spf_opts = _merged(params.get("spf"), entry.get("spf"), SPF_KEYS, where + ".spf")
    try:
        spf_opts["mechanisms"] = [spf.parse_term(m.strip()).raw for m in spf_opts.get("mechanisms") or []]
    except spf.SpfError as exc:
        raise InputError(where + ".spf.mechanisms" if "mechanisms" in (entry.get("spf") or {}) else "spf.mechanisms",
                         str(exc))
    dmarc = _merged(params.get("dmarc"), entry.get("dmarc"), DMARC_KEYS, where + ".dmarc")
    cs = pick("configuration_set")
    if cs and not _CONFIG_SET.match(cs):
        raise InputError(where + ".configuration_set", "%r is not a configuration set name" % cs)
    sub = pick("mail_from_subdomain")
    mail_from = None
    if sub:
        mail_from = logic.check_mail_from_domain("%s.%s" % (str(sub).strip().strip("."), name), name,
                                                 where + ".mail_from_subdomain")
    behavior = pick("behavior_on_mx_failure") or "USE_DEFAULT_VALUE"
    if behavior not in ("USE_DEFAULT_VALUE", "REJECT_MESSAGE"):
        raise InputError(where + ".behavior_on_mx_failure", "%r is not USE_DEFAULT_VALUE or REJECT_MESSAGE" % behavior)
    return DomainSpec(index, name, zone, cs, mail_from, behavior, dkim, spf_opts, dmarc)


def domain_specs(params):
    """All entries -> (specs, failures): a bad entry becomes a failure of its own and does not stop the rest."""
    specs, failures, seen = [], [], {}
    for index, entry in enumerate(params.get("domains") or []):
        label = entry.get("name") if isinstance(entry, dict) else entry
        try:
            spec = domain_spec(index, entry, params)
            if spec.name in seen:
                raise InputError("domains[%d]" % index, "%s is already listed as domains[%d]"
                                 % (spec.name, seen[spec.name]))
            seen[spec.name] = index
            specs.append(spec)
        except DeliverabilityError as exc:
            failures.append(failed_result(str(label), exc))
    return specs, failures


def unexpected(exc):
    """Any other exception of one domain's work, as an error of that domain (never a traceback)."""
    if isinstance(exc, DeliverabilityError):
        return exc
    return DeliverabilityError("%s: %s" % (type(exc).__name__, exc))


def failed_result(domain, exc, result=None):
    exc = unexpected(exc)
    out = dict(result or {"domain": domain, "changed": False})
    out.update(failed=True, msg=getattr(exc, "msg", None) or str(exc))
    for key in ("operation", "error_code", "rcode", "option"):
        value = getattr(exc, "details", {}).get(key)
        if value is not None:
            out[key] = value
    return out


# ---------------------------------------------------------------------------------------------- SES (pure plan)
def ses_plan(spec, ident):
    """Desired vs current identity (as sesv2.identity_from_api returns it, or None) -> (actions, before, after).

    ``before`` / ``after`` are the identity settings and the MAIL FROM as the single-resource modules show them.
    """
    current = logic.settings_from_identity(ident)
    dkim = {k: spec.dkim.get(k) for k in DKIM_KEYS if spec.dkim.get(k) is not None}
    wanted = {"state": "present", "dkim": dkim, "configuration_set": spec.configuration_set}
    actions, after = logic.plan(spec.name, wanted, current)
    mf_before = {"mail_from_domain": ((ident or {}).get("mail_from") or {}).get("domain"),
                 "behavior_on_mx_failure": ((ident or {}).get("mail_from") or {}).get("behavior_on_mx_failure")
                 or "USE_DEFAULT_VALUE"}
    mf_after = dict(mf_before)
    if spec.mail_from_domain:
        mf_actions, mf_after = logic.mail_from_plan(
            spec.name, {"state": "present", "mail_from_domain": spec.mail_from_domain,
                        "behavior_on_mx_failure": spec.behavior_on_mx_failure}, mf_before)
        actions = actions + mf_actions
    before = dict(current, mail_from=mf_before) if ident else current
    after = dict(after, mail_from=mf_after)
    return actions, before, after


# ---------------------------------------------------------------------------------------------- DNS (pure plan)
def _values(current, key):
    rec = current.get(key)
    return list(rec.values) if rec else []


def desired_records(spec, tokens, byodkim, current, region, warn, gate=None):
    """The rrsets this domain needs, given the DKIM tokens (None when not known yet) and the zone snapshot.

    Returns (list of dns.base.Desired, info) where info holds the SPF / DMARC records and any downgrade.
    TTLs are left to the change core (an existing rrset keeps its TTL, a new one gets the default).
    """
    desired, info = [], {}
    if tokens and not byodkim:
        for rec in logic.dkim_records(tokens, spec.name):
            desired.append(dnsbase.Desired(rec["name"], "CNAME", [dnsbase.normalize_value("CNAME", rec["values"][0])]))
    info["dkim_records_pending"] = tokens is None
    if spec.mail_from_domain:
        mx, dummy = logic.mail_from_records(spec.mail_from_domain, region)
        desired.append(dnsbase.Desired(mx["name"], "MX", [dnsbase.normalize_value("MX", mx["values"][0])],
                                       exclusive=True))
        key = (spec.mail_from_domain, "TXT")
        dummy, after, others = policy.spf_values(spec.mail_from_domain, _values(current, key), ["include:amazonses.com"])
        desired.append(dnsbase.Desired(key[0], "TXT", sorted(set(others) | {after}), exclusive=True))
    if spec.spf.get("enabled", True):
        key = (spec.name, "TXT")
        try:
            before, after, others = policy.spf_values(spec.name, _values(current, key), spec.spf.get("mechanisms") or [],
                                                      all_qualifier=spec.spf.get("all_qualifier"))
        except spf.SpfError as exc:
            raise DeliverabilityError("cannot merge into the SPF record of %s: %s" % (spec.name, exc), option="spf")
        info["spf"] = {"record": after, "previous": before}
        desired.append(dnsbase.Desired(key[0], "TXT", sorted(set(others) | {after}), exclusive=True))
    if spec.dmarc.get("enabled", True):
        key = ("_dmarc." + spec.name, "TXT")
        values = _values(current, key)
        opts = spec.dmarc
        if opts.get("policy") is None and not opts.get("advance") and not any(dmarc.is_dmarc(v) for v in values):
            opts = dict(opts, policy="none")  # a domain without DMARC starts at the first stage, p=none
        planned = policy.dmarc_values(spec.name, values, opts, warn, gate=gate)
        info["dmarc"] = {"record": planned["record"], "previous": (planned["existing"] or [None])[0],
                         "downgrades": planned["downgrades"], "stage": planned["stage"],
                         "obsolete_tags": planned["obsolete"], "migrations": planned["migrations"],
                         "gate": planned["gate"],
                         "downgrade_refused": bool(planned["downgrades"]) and not spec.dmarc.get("allow_downgrade")}
        desired.append(dnsbase.Desired(key[0], "TXT", sorted(set(planned["others"]) | {planned["record"]}),
                                       exclusive=True))
    return desired, info


def needed_keys(spec, tokens, byodkim):
    """The (name, type) of every rrset ``desired_records`` looks at, for backends that cannot list a zone."""
    keys = [("%s._domainkey.%s" % (t, spec.name), "CNAME") for t in (tokens or []) if not byodkim]
    if spec.mail_from_domain:
        keys += [(spec.mail_from_domain, "MX"), (spec.mail_from_domain, "TXT")]
    if spec.spf.get("enabled", True):
        keys.append((spec.name, "TXT"))
    if spec.dmarc.get("enabled", True):
        keys.append(("_dmarc." + spec.name, "TXT"))
    return keys


def batches(items, size=BATCH_CHANGES):
    """Group (domain, changes) so each group has at most ``size`` changes (a domain is never split)."""
    group, count = [], 0
    for name, changes in items:
        if group and count + len(changes) > size:
            yield group
            group, count = [], 0
        group.append((name, changes))
        count += len(changes)
    if group:
        yield group


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

    def __init__(self, module, params, check_mode, diff, warn):
        self.module = module
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
        self.ses = concurrency.LimitedClient(
            self.counter.attach(module.client("sesv2", max_pool_connections=max(10, self.workers + 2), max_attempts=1)),
            self.limiters)
        self.region = self.ses.meta.region_name
        self.results = {}
        self.config_sets = {}
        self.lock = threading.Lock()
        self.warnings = []
        self.zone_lines = []

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
        params = dict(self.params, zone=zone)
        if self.params["provider"] == "route53" and not self.params.get("hosted_zone_id") and zone_ids is not None:
            if zone_ids.get(zone) is None:
                raise InputError("zone", "no single Route 53 hosted zone named %s in this account%s"
                                 % (zone, " (several have that name: set hosted_zone_id)" if zone in zone_ids else ""))
            params["hosted_zone_id"] = zone_ids[zone]
        return get_provider(params, zone=zone, clients=self._dns_client)

    def _dns_client(self, service, max_pool_connections=10):
        """The providers' client factory: the module's clients, counted like the SES one."""
        client = self.module.client(service, max_pool_connections=max_pool_connections)
        if not getattr(client, "_fleet_counted", False):
            self.counter.attach(client)
            client._fleet_counted = True  # pylint: disable=protected-access
        return client

    # -- stage 1: SES, per domain
    def ses_domain(self, spec, exists):
        try:
            return self._ses_domain(spec, exists)
        except AwsError as exc:
            if exists or exc.code != "AlreadyExistsException":
                raise
        return self._ses_domain(spec, True)  # created since the listing: read it and plan again

    def _ses_domain(self, spec, exists):
        result = self.results[spec.name]
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

    def plan_dns(self, spec, state, provider, snapshot):
        """This domain's rrset changes against the zone snapshot (pure planning, run in the domain's worker so
        it overlaps the other domains' API calls)."""
        result = self.results[spec.name]
        tokens, byodkim = state
        current = snapshot
        if current is None:  # the backend cannot list the zone: read just this domain's rrsets
            current = provider.read(needed_keys(spec, tokens, byodkim))
        gate = None
        if spec.dmarc.get("advance") and spec.dmarc.get("require_evidence", True):
            # the evidence gate of the dmarc module, the same function and thresholds (policy/evidence.py)
            from ansible_collections.deliverability.ses.plugins.module_utils.evidence_module import evidence_gate
            gate = evidence_gate(self.module, spec.name, warn=self._warn(spec.name))
        desired, info = desired_records(spec, tokens, byodkim, current, self.region, self._warn(spec.name), gate=gate)
        if (info.get("dmarc") or {}).get("gate"):
            from ansible_collections.deliverability.ses.plugins.module_utils.evidence_module import audit_decision
            decision = info["dmarc"]["gate"]
            if not decision["open"]:
                self._warn(spec.name)(decision["summary"])
            audit_decision(self.module, decision, info["dmarc"]["record"], "domain_policy", self._warn(spec.name))
        changes = dnsbase.plan(desired, current, int(self.params.get("dns_ttl") or logic.DEFAULT_TTL))
        result.update(info)
        result["dns_changes"] = [c.to_dict() for c in changes]
        if self.want_diff:
            result["dns_diff"] = dnsbase.diff_of(changes)
        if not provider.writes:
            with self.lock:
                self.zone_lines.extend(line for c in changes if c.after is not None for line in c.after.zone_lines())
        return changes

    def domain_job(self, spec, exists, zone_job):
        """Stage 1 of one domain: SES read / plan / apply, then its DNS plan once its zone has been read."""
        state = self.ses_domain(spec, exists)
        provider, snapshot = zone_job.result()
        return self.plan_dns(spec, state, provider, snapshot)

    def apply_zone(self, provider, planned):
        """Stage 2, one zone: write the planned changes in batches; isolate a failing domain."""
        if self.check_mode or not provider.writes:
            for name, changes in planned:
                self.results[name]["changed"] = self.results[name]["changed"] or (bool(changes) and provider.writes)
            return
        for group in batches([p for p in planned if p[1]]):
            try:
                provider.apply([c for dummy, changes in group for c in changes])
                done = [name for name, dummy in group]
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
                    except Exception as one:  # noqa: BLE001 - this domain only
                        self.results[name] = failed_result(name, one, self.results[name])
                        self.results[name]["dns_changes_applied"] = False
            for name in done:
                self.results[name]["changed"] = True

    # -- the run
    def run(self, partial):
        self.started = time.monotonic()
        specs, failures = domain_specs(self.params)
        for spec in specs:
            self.results[spec.name] = {"domain": spec.name, "zone": spec.zone, "changed": False, "failed": False}
        partial["domains"] = failures
        zones = {}
        for spec in specs:
            zones.setdefault(spec.zone, []).append(spec)
        zone_ids = None
        if self.params["provider"] == "route53" and not self.params.get("hosted_zone_id") and zones:
            from ansible_collections.deliverability.ses.plugins.module_utils.dns.route53 import hosted_zone_ids
            r53 = self._dns_client("route53")
            zone_ids = hosted_zone_ids(r53, self.params.get("private_zone"))
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            # zone reads first in the queue: the domain jobs wait for them, never the other way round
            zone_reads = {zone: pool.submit(self.read_zone, zone, zone_ids) for zone in zones}
            existing = {item["identity"] for item in sesv2.list_identities(self.ses)} if specs else set()
            jobs = {spec.name: pool.submit(self.domain_job, spec, spec.name in existing, zone_reads[spec.zone])
                    for spec in specs}
            planned = {}
            for spec in specs:
                try:
                    planned.setdefault(spec.zone, []).append((spec.name, jobs[spec.name].result()))
                except Exception as exc:  # noqa: BLE001 - one domain's failure never aborts the others
                    self.results[spec.name] = failed_result(spec.name, exc, self.results[spec.name])
            applies = [pool.submit(self.apply_zone, zone_reads[zone].result()[0], items)
                       for zone, items in planned.items()]
            for job in applies:
                job.result()
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
            "api_calls": dict(sorted(self.counter.counts.items())),
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


def run_domain_policy(module, partial):
    fleet = Fleet(module, module.params, module.check_mode, module.module._diff,  # pylint: disable=protected-access
                  module.module.warn)
    return fleet.run(partial)
