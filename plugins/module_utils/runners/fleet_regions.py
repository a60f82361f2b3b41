# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""domain_policy's regions (issue 26): a domain sends from a primary region (the module's) and replica regions.

Before any request: every ``regions`` list is checked (policy/regions.py's one region-name rule; the first is the
primary and must be the module's region; a replica equal to the primary or named twice is refused) - a bad list
anywhere fails the whole task naming the option. Before the domains: one paginated ``ListEmailIdentities`` per
replica region (side by side), and the tenants of each replica region read once (runners/fleet_tenants.py, the same
code over that region). Then every replica's ``GetEmailIdentity`` is queued on the fleet's pool behind the primaries'
(only where the region's listing has the domain), and each domain is planned as its reads come in; the findings are
policy/posture_regions.py's ``replica_findings`` (the one rule for what a correct replica is); a missing replica is
created with deterministic Easy DKIM from the primary (``DomainSigningAttributesOrigin AWS_SES_<PRIMARY>``: the
primary's keys and tokens, no DNS record written) once the primary can be a parent (verified, Easy DKIM, not itself a
replica); its default configuration set is the primary's when that set exists in the region (a finding when not);
with a tenant, the identity joins the tenant of the same name in that region. An existing replica's DKIM is never
changed (its findings say what to do). With a MAIL FROM domain (``mail_from_subdomain``), each replica gets its own
(policy/identity.replica_mail_from_domain: ``mail-eu-west-1.example.com``), set with
``PutEmailIdentityMailFromAttributes`` in its region when missing or different (a finding in check mode); its MX and
SPF are planned by policy/domain.plan_records with the primary's and written by the fleet's DNS path. Check mode
reads and plans; it writes nothing in any region.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.deliverability.ses.plugins.module_utils import concurrency
from ansible_collections.deliverability.ses.plugins.module_utils.concurrency import ForkedCall
from ansible_collections.deliverability.ses.plugins.module_utils.errors import AwsError, DeliverabilityError, InputError
from ansible_collections.deliverability.ses.plugins.module_utils.policy import identity as logic
from ansible_collections.deliverability.ses.plugins.module_utils.policy import posture_regions as rules
from ansible_collections.deliverability.ses.plugins.module_utils.policy.regions import check_regions
from ansible_collections.deliverability.ses.plugins.module_utils.runners.fleet_tenants import FleetTenants
from ansible_collections.deliverability.ses.plugins.module_utils.ses import identities as sesv2

_REGIONS_OPTION = re.compile(r"(^|\.)regions(\.|\[|$)")
# per region, the summary counts of these finding ids (replica_findings) under these names
_COUNTED = {"region_identity_missing": "missing", "region_identity_pending": "pending",
            "region_dkim_wrong_parent": "wrong_parent", "region_dkim_own_keys": "own_keys",
            "region_configuration_set_missing": "configuration_set_missing",
            "region_mail_from_missing": "mail_from_missing", "region_mail_from_different": "mail_from_different"}


def check_fleet_regions(values, option, primary, known):
    """One ``regions`` list -> the region names (primary first). InputError naming ``option`` when a replica is the
    primary, a region is named twice or unknown, or the first is not the module's region."""
    if not isinstance(values, (list, tuple)):
        raise InputError(option, "must be a list of region names (the primary first), got %s" % type(values).__name__)
    if values and values[0] in values[1:]:
        raise InputError(option, "replica %s is the primary (the first region): a replica is another region"
                         % values[0])
    names = check_regions(values, option, known=known)
    if names[0] != primary:
        raise InputError(option, "the first region is the primary and must be the module's region %s, got %s "
                                 "(run the module with region=%s to make %s the primary)"
                         % (primary, names[0], names[0], names[0]))
    return names


class _RegionView:
    """The fleet as seen from one replica region: FleetTenants runs on it unchanged (its client and region)."""

    def __init__(self, fleet, region, client):
        self._fleet = fleet
        self.region = region
        self.ses = client

    def __getattr__(self, name):
        return getattr(self._fleet, name)

    def _wrote(self, entry):
        self._fleet._wrote(dict(entry, region=self.region))  # pylint: disable=protected-access


class _InRegion:
    """A DomainSpec whose configuration set is the one the replica gets in its region (None when missing there)."""

    def __init__(self, spec, configuration_set):
        self.name = spec.name
        self.tenant = spec.tenant
        self.configuration_set = configuration_set


class FleetRegions:
    def __init__(self, fleet):
        self.fleet = fleet
        self.primary = fleet.region
        self.clients = {}
        self.listings = {}  # region -> Future of the set of identity names listed there
        self.tenants = {}  # region -> FleetTenants of that region
        self.config_sets = {}
        self.reads = {}  # (domain, region) -> Future of the replica as read (queued by ``queue_reads``)
        self.readers = {}  # region -> concurrency.ForkedCall reading it (``start_readers``)
        self.lock = threading.Lock()
        self.summary = {"primary": self.primary, "replicas": [], "regions": {}}

    def refuse_bad_input(self, specs, failures):
        """Every ``regions`` (the module's and each entry's) checked before the first request: one error naming the
        option fails the task (a domain half in a region is worse than none). Sets each spec's ``regions``."""
        for failure in failures:
            option = failure.get("option") or ""
            if _REGIONS_OPTION.search(option):
                msg = failure.get("msg") or ""
                raise InputError(option, msg[len(option) + 2:] if msg.startswith(option + ": ") else msg)
        params = self.fleet.params
        entries = params.get("domains") or []
        if not params.get("regions") and not any(isinstance(e, dict) and e.get("regions") for e in entries):
            return
        known = self.fleet.module.known_regions("sesv2")
        default = check_fleet_regions(params["regions"], "regions", self.primary, known) \
            if params.get("regions") else [self.primary]
        for spec in specs:
            entry = entries[spec.index] if spec.index < len(entries) else None
            if isinstance(entry, dict) and entry.get("regions") is not None:
                spec.regions = check_fleet_regions(spec.regions, "domains[%d].regions" % spec.index, self.primary,
                                                   known)
            else:
                spec.regions = default

    def start_readers(self, specs):
        """Check mode, before any thread of the run: one reader process per replica region (Fleet.fork_reader)
        lists the region and reads its replicas, on another core than this process's reads of the primary."""
        wanted = {}
        for spec in specs:
            for region in (spec.regions or [])[1:]:
                wanted.setdefault(region, []).append(spec.name)
        for region, names in wanted.items():
            reader = self.fleet.fork_reader(self._read_region, region, names)
            if reader is not None:
                self.readers[region] = reader

    def _read_region(self, region, names):
        """(In the reader process.) The region's listing and the replicas it lists, each read or its AwsError."""
        client = self._client(region)
        listed = set(item["identity"] for item in sesv2.list_identities(client))
        reads = {}
        with ThreadPoolExecutor(max_workers=self.fleet.workers) as pool:
            futures = dict((name, pool.submit(sesv2.get_identity, client, name)) for name in names if name in listed)
            for name, future in futures.items():
                try:
                    reads[name] = future.result()
                except AwsError as exc:
                    reads[name] = exc
        return listed, reads

    def _client(self, region):
        fleet = self.fleet
        # SES paces per region: each region its own limiters
        limiters = concurrency.Limiters(max_concurrency=fleet.workers, max_attempts=fleet.params.get("max_attempts") or 8)
        return concurrency.LimitedClient(fleet.counter.attach(fleet.module.client(
            "sesv2", max_pool_connections=max(10, fleet.workers + 2), max_attempts=1, region=region)), limiters)

    def prepare(self, specs):
        """One listing per replica region (paginated, the regions side by side); the tenants of each region read."""
        for spec in specs:
            for region in (spec.regions or [])[1:]:
                if region not in self.summary["replicas"]:
                    self.summary["replicas"].append(region)
        if not self.summary["replicas"]:
            return
        fleet = self.fleet
        for region in self.summary["replicas"]:
            self.clients[region] = self._client(region)
            self.summary["regions"][region] = dict.fromkeys(
                ["domains", "listed", "created", "configuration_set_set", "mail_from_set", "waiting_for_primary"]
                + sorted(_COUNTED.values()), 0)
            self.summary["regions"][region]["read_by"] = "process" if region in self.readers else "threads"
        pool = ThreadPoolExecutor(max_workers=len(self.clients))
        for region, client in self.clients.items():
            if region in self.readers:
                self.listings[region] = pool.submit(self._reader_listing, region, client)
            else:
                self.listings[region] = pool.submit(
                    lambda c: set(item["identity"] for item in sesv2.list_identities(c)), client)
        pool.shutdown(wait=False)
        for region in self.summary["replicas"]:
            named = [s for s in specs if s.tenant and region in (s.regions or [])[1:]]
            if named:
                tenants = FleetTenants(_RegionView(fleet, region, self.clients[region]))
                tenants.prepare(named)
                self.tenants[region] = tenants
                self.summary["regions"][region]["tenants"] = tenants.summary

    def _reader_listing(self, region, client):
        got = self.fleet.reader_answer(self.readers[region])
        if got is ForkedCall.NO_ANSWER:  # the reader died: this process reads the region, as without one
            with self.lock:
                self.readers.pop(region, None)
                self.summary["regions"][region]["read_by"] = "threads (the reader process gave no answer)"
            return set(item["identity"] for item in sesv2.list_identities(client))
        return got[0]

    def queue_reads(self, pool, specs):
        """Every replica read queued on ``pool`` at once, behind the primaries' (the fleet's own order): a domain's
        job then only plans, as it does without regions. Only where the region's listing has the domain."""
        for region in self.summary["replicas"]:
            if region in self.readers:
                continue
            try:
                listed = self._listed(region)
            except DeliverabilityError:
                continue  # each of its domains fails with this error when planned: could not look, never "missing"
            client = self.clients[region]
            for spec in specs:
                if spec.name in listed and region in (spec.regions or [])[1:]:
                    self.reads[(spec.name, region)] = pool.submit(sesv2.get_identity, client, spec.name)

    def _read(self, name, region):
        listed = self._listed(region)  # raises when the region cannot be listed; drops a reader that gave no answer
        reader = self.readers.get(region)
        if reader is not None:
            read = self.fleet.reader_answer(reader)[1].get(name)
            if isinstance(read, AwsError):
                raise read
            return read
        queued = self.reads.pop((name, region), None)
        if queued is not None:
            return queued.result()
        # not queued: the region's reader gave no answer after queue_reads had left the region to it
        return sesv2.get_identity(self.clients[region], name) if name in listed else None

    def _listed(self, region):
        try:
            listed = self.listings[region].result()
        except AwsError as exc:
            raise DeliverabilityError("could not list the identities of %s: %s" % (region, exc.msg),
                                      operation=exc.operation, error_code=exc.code)
        with self.lock:
            self.summary["regions"][region]["listed"] = len(listed)
        return listed

    def _config_set_exists(self, region, name):
        """Read once per region and set, however many workers ask at the same time."""
        with self.lock:
            entry = self.config_sets.setdefault((region, name), {"lock": threading.Lock()})
        with entry["lock"]:
            if "found" not in entry:
                entry["found"] = sesv2.configuration_set_exists(self.clients[region], name)
            return entry["found"]

    def domain(self, spec, result, ident):
        """One domain's replicas, after its primary (``ident``: the primary as read before this run's changes)."""
        replicas = (spec.regions or [])[1:]
        if not replicas:
            return
        if result.get("actions") and not self.fleet.check_mode:  # changed just now: read what the replica copies
            ident = sesv2.get_identity(self.fleet.ses, spec.name)
        cs = (result.get("ses_after") or {}).get("configuration_set")
        problem = rules.parent_problem(spec.name, self.fleet.region, ident)  # the one rule, as email_identity
        out, before, after = {}, {}, {}
        for region in replicas:
            try:
                out[region], before[region], after[region] = self._one(spec, result, region, cs, problem)
            except AwsError as exc:
                raise DeliverabilityError("in %s: %s" % (region, exc.msg), operation=exc.operation,
                                          error_code=exc.code, region=region)
        result["regions"] = out
        for key, value in (("ses_before", before), ("ses_after", after)):
            if isinstance(result.get(key), dict):
                result[key] = dict(result[key], regions=value)

    def _one(self, spec, result, region, cs, problem):
        client = self.clients[region]
        replica = self._read(spec.name, region)
        cs_exists = self._config_set_exists(region, cs) if cs else None
        actions, state = [], _state(replica)
        if replica is None and problem is None:
            create = {"EmailIdentity": spec.name,
                      "DkimSigningAttributes": {"DomainSigningAttributesOrigin": rules.deed_origin(self.primary)}}
            if cs_exists:
                create["ConfigurationSetName"] = cs
            actions.append(("CreateEmailIdentity", create))
        elif replica is not None and cs_exists and replica.get("configuration_set") != cs:
            actions.append(("PutEmailIdentityConfigurationSetAttributes",
                            {"EmailIdentity": spec.name, "ConfigurationSetName": cs}))
        mail_from = logic.replica_mail_from_domain(spec.mail_from_domain, region, "mail_from_subdomain") \
            if spec.mail_from_domain else None
        mf_actions = []
        if mail_from and (replica is not None or actions):  # a replica there, or created just before
            mf = (replica or {}).get("mail_from") or {}
            mf_actions, dummy = logic.mail_from_plan(
                spec.name, {"state": "present", "mail_from_domain": mail_from,
                            "behavior_on_mx_failure": spec.behavior_on_mx_failure},
                {"mail_from_domain": (mf.get("domain") or "").lower() or None,
                 "behavior_on_mx_failure": mf.get("behavior_on_mx_failure") or "USE_DEFAULT_VALUE"})
        planned = dict(state, exists=True, configuration_set=cs if cs_exists else state["configuration_set"]) \
            if actions or mf_actions else dict(state)
        if replica is None and actions:
            planned.update(origin=rules.deed_origin(self.primary), verified_for_sending=False)
        if mf_actions:
            planned.update(mail_from_domain=mail_from,
                           mail_from_status="PENDING" if mail_from != state["mail_from_domain"]
                           else state["mail_from_status"])
        actions.extend(mf_actions)
        done = [op for op, dummy in actions]
        if actions and not self.fleet.check_mode:
            applied, responses = [], {}
            try:
                sesv2.apply_actions(client, actions, applied=applied, responses=responses)
            finally:
                done = applied
                for op in applied:
                    self.fleet._wrote({"domain": spec.name, "region": region, "operation": op})
            made = responses.get("CreateEmailIdentity")
            if made is not None:
                planned["verified_for_sending"] = bool(made.get("VerifiedForSendingStatus"))
                planned["dkim_status"] = (made.get("DkimAttributes") or {}).get("Status")
        # the findings of the replica as it is after this run (in check mode: as it is)
        seen = replica if self.fleet.check_mode or not done else _as_identity(planned)
        findings = rules.replica_findings(spec.name, self.primary, region, seen,
                                          cs_exists if cs else None, mail_from=mail_from)
        entry = dict(planned, actions=done if not self.fleet.check_mode else [op for op, dummy in actions],
                     findings=findings)
        if replica is None and problem is not None:
            entry["waiting"] = problem
        if spec.tenant and region in self.tenants and planned["exists"]:
            sub = {}
            self.tenants[region].domain(_InRegion(spec, cs if cs_exists else None), sub)
            entry["tenant"] = sub.get("tenant")
            entry["actions"] = entry["actions"] + list(sub.get("actions") or [])
        if entry["actions"]:
            result["actions"] = list(result.get("actions") or []) + ["%s in %s" % (op, region)
                                                                     for op in entry["actions"]]
            result["changed"] = True
        with self.lock:
            counts = self.summary["regions"][region]
            counts["domains"] += 1
            counts["created"] += "CreateEmailIdentity" in entry["actions"]
            counts["configuration_set_set"] += "PutEmailIdentityConfigurationSetAttributes" in entry["actions"]
            counts["mail_from_set"] += "PutEmailIdentityMailFromAttributes" in entry["actions"]
            counts["waiting_for_primary"] += "waiting" in entry
            for f in findings:
                if f["id"] in _COUNTED:
                    counts[_COUNTED[f["id"]]] += 1
        return (entry, _shown(replica, mail_from), _shown(_as_identity(planned) if planned["exists"] else None,
                                                          mail_from))


def _state(replica):
    """What the result shows of a replica (its state as read)."""
    dkim = (replica or {}).get("dkim") or {}
    mail_from = (replica or {}).get("mail_from") or {}
    return {"exists": replica is not None, "origin": dkim.get("origin"), "dkim_status": dkim.get("status"),
            "verified_for_sending": bool((replica or {}).get("verified_for_sending")),
            "configuration_set": (replica or {}).get("configuration_set"),
            "mail_from_domain": (mail_from.get("domain") or "").lower() or None,
            "mail_from_status": mail_from.get("status")}


def _as_identity(state):
    """A result state back in the shape replica_findings reads (identity_from_api's)."""
    return {"verified_for_sending": state.get("verified_for_sending"),
            "configuration_set": state.get("configuration_set"), "verification_status": None,
            "dkim": {"origin": state.get("origin"), "status": state.get("dkim_status")},
            "mail_from": {"domain": state.get("mail_from_domain"), "status": state.get("mail_from_status")}}


def _shown(ident, mail_from=None):
    """A replica in the diff: None when missing, else its DKIM origin and configuration set (and its MAIL FROM
    domain when the fleet sets one)."""
    if ident is None:
        return None
    out = {"dkim_origin": (ident.get("dkim") or {}).get("origin"), "configuration_set": ident.get("configuration_set")}
    if mail_from:
        out["mail_from_domain"] = ((ident.get("mail_from") or {}).get("domain") or "").lower() or None
    return out
