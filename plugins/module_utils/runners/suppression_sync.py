# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One suppression list across regions: read every region's list (pages only), plan the union
(``policy/regions.py``), then write only the differences, each write audited with its region.

Read once, plan from that read, apply: the listing of every region comes first, so a region that cannot be
read stops the run before anything is written anywhere. Writes run on a bounded pool; one failing write does
not stop the others; the run fails at the end naming them, with what was applied in the result.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.deliverability.ses.plugins.module_utils.errors import AwsError, DeliverabilityError
from ansible_collections.deliverability.ses.plugins.module_utils.audit import UnauditedChange, open_audit_log
from ansible_collections.deliverability.ses.plugins.module_utils.policy import regions as policy
from ansible_collections.deliverability.ses.plugins.module_utils.runners.bulk_suppression import check_concurrency
from ansible_collections.deliverability.ses.plugins.module_utils.ses import suppression as sup

SHOW_CHANGES = 1000  # the result lists at most this many writes (the counts and the audit log have all)


def read_lists(clients, regions):
    """{region: [entries]} and {region: pages}: every page of every region's list, nothing else."""
    listings, pages = {}, {}
    for region in regions:
        stats = {}
        listings[region] = list(sup.iter_suppressed(clients[region], stats=stats))
        pages[region] = stats["pages"]
    return listings, pages


class SyncRun:
    def __init__(self, clients, regions, audit, concurrency, check_mode):
        self.clients = clients
        self.regions = regions
        self.audit = audit
        self.concurrency = concurrency
        self.check_mode = check_mode
        self.plan = None
        self.pages = {}

    def read_and_plan(self):
        listings, self.pages = read_lists(self.clients, self.regions)
        self.plan = policy.plan_sync(listings, self.regions)
        for w in self.plan["writes"]:
            w["outcome"] = "changed" if self.check_mode else "planned"
        return self.plan

    def _apply(self, write):
        try:
            sup.put_suppressed(self.clients[write["region"]], write["email"], write["reason"])
        except AwsError as exc:
            write.update(outcome="failed", msg=exc.msg, error_code=exc.code)
            return
        write["outcome"] = "changed"
        try:
            self.audit.record("sync_suppress" if write["action"] == "put" else "sync_update_reason",
                              write["email"], write["reason"], region=write["region"],
                              previous_reason=write["previous_reason"], source_region=write["source_region"],
                              source_time=write["source_time"])
        except UnauditedChange as exc:
            write.update(unaudited=exc.entry, msg=exc.msg)
        except DeliverabilityError as exc:
            write.update(unaudited={"address": write["email"], "region": write["region"]},
                         msg="changed in SES but not recorded: %s" % exc.msg)

    def apply(self, partial):
        todo = [w for w in self.plan["writes"] if w["outcome"] == "planned"]
        if not todo:
            return
        self.audit.identity()  # one STS call, from this thread, before the workers record
        try:
            with ThreadPoolExecutor(max_workers=min(self.concurrency, len(todo))) as pool:
                list(pool.map(self._apply, todo))
        finally:
            partial.update(self.result())
        unaudited = [w for w in todo if w.get("unaudited")]
        if unaudited:
            partial["unaudited"] = [w["unaudited"] for w in unaudited]
            raise DeliverabilityError("UNAUDITED CHANGES: %d write(s) were applied in SES but their audit lines could "
                                      "not be written; the records are in 'unaudited'. First: %s"
                                      % (len(unaudited), unaudited[0].get("msg")))
        failed = [w for w in todo if w["outcome"] == "failed"]
        if failed:
            first = "; ".join("%s in %s: %s" % (w["email"], w["region"], w.get("msg")) for w in failed[:3])
            raise DeliverabilityError("%d of %d write(s) failed (the others were applied and are counted in "
                                      "'regions'): %s" % (len(failed), len(todo), first),
                                      operation="PutSuppressedDestination", error_code=failed[0].get("error_code"))

    def result(self):
        writes = self.plan["writes"] if self.plan else []
        done = [w for w in writes if w["outcome"] == "changed"]
        per_region = {}
        for region in self.regions:
            stats = dict((self.plan or {}).get("regions", {}).get(region) or {})
            stats["pages"] = self.pages.get(region, 0)
            stats["written"] = 0 if self.check_mode else sum(1 for w in done if w["region"] == region)
            stats["failed"] = sum(1 for w in writes if w["region"] == region and w["outcome"] == "failed")
            per_region[region] = stats
        return {
            "changed": bool(done),
            "union": (self.plan or {}).get("union", 0),
            "regions": per_region,
            "writes": len(done),
            "changes": writes[:SHOW_CHANGES],
            "changes_truncated": len(writes) > SHOW_CHANGES,
            "audit_records": self.audit.written,
            "diff": policy.diff_of(done),
        }


def run(module, partial):
    """The body of the suppression_sync module."""
    p = module.params
    regions = policy.check_regions(p["regions"], "regions", known=module.known_regions("sesv2"), minimum=2)
    concurrency = check_concurrency(p["concurrency"])
    audit = open_audit_log(module, "suppression_sync")
    clients = dict((r, module.client("sesv2", max_pool_connections=max(10, concurrency), region=r)) for r in regions)
    sync = SyncRun(clients, regions, audit, concurrency, module.check_mode)
    sync.read_and_plan()
    partial.update(sync.result(), changed=False)
    if not module.check_mode:
        sync.apply(partial)
    return sync.result()
