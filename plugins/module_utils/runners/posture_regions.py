# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The posture's region reads: each sending domain's replica in every other region, and the suppression lists of
all regions. The rules are policy/posture_regions.py's. A read that fails is an unknown check, never a finding."""

from __future__ import annotations

import threading

from ansible_collections.deliverability.ses.plugins.module_utils import concurrency
from ansible_collections.deliverability.ses.plugins.module_utils.errors import AwsError
from ansible_collections.deliverability.ses.plugins.module_utils.policy import posture_regions as rules
from ansible_collections.deliverability.ses.plugins.module_utils.ses import identities as sesv2
from ansible_collections.deliverability.ses.plugins.module_utils.ses.suppression import iter_suppressed

# the suppression lists are compared whole, up to this many addresses per region (beyond: not compared, unknown)
SUPPRESSION_LIMIT = 1000000


class RegionReads:
    def __init__(self, module, limiters, primary, others, workers):
        self.primary = primary
        self.others = others
        self.clients = dict((r, concurrency.LimitedClient(
            module.client("sesv2", max_pool_connections=workers + 2, max_attempts=1, region=r), limiters))
            for r in [primary] + others)
        self.config_sets = {}
        self.lock = threading.Lock()

    def _config_set_exists(self, region, name):
        key = (region, name)
        with self.lock:
            if key in self.config_sets:
                return self.config_sets[key]
        found = sesv2.configuration_set_exists(self.clients[region], name)
        with self.lock:
            self.config_sets[key] = found
        return found

    def check_domain(self, result, ident):
        """Add the replica findings of one sending domain to its result (or the regions it could not read as unknown)."""
        if not self.others or ident is None or result.get("failed"):
            return
        extra = []
        for region in self.others:
            try:
                replica = sesv2.get_identity(self.clients[region], result["domain"])
                cs = ident.get("configuration_set")
                exists = None if not cs or replica is None else self._config_set_exists(region, cs)
            except AwsError as exc:
                result["unknown"].append({"check": "region", "name": "%s in %s" % (result["domain"], region),
                                          "error": "could not read %s: %s" % (region, exc.msg)})
                result["could_not_look"] = True
                continue
            extra += rules.replica_findings(result["domain"], self.primary, region, replica, exists)
        if extra:
            result["findings"] = result["findings"] + extra

    def suppression(self):
        """(view, account findings): per region how many addresses others suppress and it does not."""
        lists, errors = {}, {}
        for region, client in sorted(self.clients.items()):
            stats = {}
            try:
                lists[region] = dict((e["email_address"], e["reason"]) for e in iter_suppressed(
                    client, limit=SUPPRESSION_LIMIT, stats=stats))
            except AwsError as exc:
                errors[region] = exc.msg
                continue
            if stats.get("truncated"):
                errors[region] = "more than %d addresses: not compared" % SUPPRESSION_LIMIT
                del lists[region]
        if errors or len(lists) < 2:
            return {"compared": False, "errors": errors}, []
        missing, findings = rules.suppression_drift(lists)
        return {"compared": True, "missing": missing, "sizes": dict((r, len(v)) for r, v in lists.items())}, findings
