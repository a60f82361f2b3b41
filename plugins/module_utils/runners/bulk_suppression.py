# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Many addresses on or off the suppression list in one run: a bounded thread pool, one outcome each.

Input is validated as a whole before anything changes; after that, each address stands alone: a failure
or a refused removal is reported for that address and the others carry on. Every applied change is
written to the audit log at once, so a run that fails at the end has recorded what it did.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.deliverability.ses.plugins.module_utils.errors import AwsError, DeliverabilityError, InputError
from ansible_collections.deliverability.ses.plugins.module_utils.audit import UnauditedChange
from ansible_collections.deliverability.ses.plugins.module_utils.dns.mailcheck import validate_email
from ansible_collections.deliverability.ses.plugins.module_utils.ses import suppression as sup

MAX_CONCURRENCY = 16
SHOW_INVALID = 10


def check_concurrency(value):
    if value is None or not 1 <= value <= MAX_CONCURRENCY:
        raise InputError("concurrency", "must be between 1 and %d, got %r" % (MAX_CONCURRENCY, value))
    return value


def collect(addresses, src, state, default_reason):
    """[{email, reason}] from the options, validated and de-duplicated (the last reason wins)."""
    raw = [(a, None, "addresses", None) for a in addresses or []]
    if src:
        raw.extend((a, r, "src", n) for a, r, n in sup.read_addresses(src, "src", with_lines=True))
    invalid = {}
    missing = []
    items = {}
    for value, reason, option, line in raw:
        try:
            email = validate_email(value, option)
        except InputError as exc:
            # a src that is not addresses (a passwd file) must not have its lines echoed: line numbers only
            invalid.setdefault(option, []).append(exc.msg[len(option) + 2:] if line is None else
                                                  "line %d is not a valid email address" % line)
            continue
        if reason:
            reason = str(reason).strip().upper()
            if reason not in sup.REASONS:
                invalid.setdefault(option, []).append(
                    "line %d has an unknown reason (valid: %s)" % (line, ", ".join(sup.REASONS)) if line else
                    "%r has unknown reason %r (valid: %s)" % (value, reason, ", ".join(sup.REASONS)))
                continue
        reason = reason or default_reason
        if state == "present" and not reason:
            missing.append(value)
        items.pop(email, None)  # a repeated address moves to its last position
        items[email] = {"email": email, "reason": reason if state == "present" else None}
    for option, problems in invalid.items():
        shown = "; ".join(problems[:SHOW_INVALID])
        more = " (and %d more)" % (len(problems) - SHOW_INVALID) if len(problems) > SHOW_INVALID else ""
        raise InputError(option, "%d invalid address(es), nothing was changed: %s%s" % (len(problems), shown, more))
    if missing:
        raise InputError("reason", "required with state=present for %d address(es) that have no reason of "
                                   "their own, for example %s" % (len(missing), missing[0]))
    return list(items.values())


class BulkRun:
    def __init__(self, client, items, state, guard, audit, concurrency, check_mode):
        self.client = client
        self.state = state
        self.guard = guard
        self.audit = audit
        self.concurrency = concurrency
        self.check_mode = check_mode
        self.results = [{"email": i["email"], "action": "none", "outcome": "pending", "reason": i["reason"]}
                        for i in items]
        self.before = {}

    # -- phase 1: read the current entry and decide (and, for removals, run the guard)
    def _prepare(self, res):
        try:
            current = sup.get_suppressed(self.client, res["email"])
        except AwsError as exc:
            res.update(outcome="failed", msg=exc.msg, error_code=exc.code)
            return
        if current:
            res["previous_reason"] = current["reason"]
            self.before[res["email"]] = current["reason"]
        res["action"] = sup.plan(current, self.state, res["reason"])
        if res["action"] == "none":
            res["outcome"] = "unchanged"
            if self.state == "present":
                res["reason"] = current["reason"]
            return
        if res["action"] == "delete":
            try:
                evidence = self.guard.check(res["email"])
            except DeliverabilityError as exc:
                res.update(outcome="refused", msg=exc.msg)
                return
            if evidence is not None:
                res["dns_check"] = evidence
        res["outcome"] = "changed" if self.check_mode else "planned"

    # -- phase 2: apply, and record each change as soon as SES has accepted it
    def _apply(self, res):
        try:
            if res["action"] == "delete":
                if not sup.delete_suppressed(self.client, res["email"]):
                    res.update(outcome="unchanged", action="none")
                    return
            else:
                sup.put_suppressed(self.client, res["email"], res["reason"])
        except AwsError as exc:
            res.update(outcome="failed", msg=exc.msg, error_code=exc.code)
            return
        res["outcome"] = "changed"
        try:
            if res["action"] == "delete":
                self.audit.record("delist", res["email"], res.get("previous_reason"),
                                  reason_for_removal=self.guard.reason_for_removal, forced=self.guard.force,
                                  dns_check=res.get("dns_check"))
            else:
                self.audit.record("suppress" if res["action"] == "put" else "update_reason", res["email"],
                                  res["reason"], previous_reason=res.get("previous_reason"))
        except UnauditedChange as exc:
            # applied in SES: it stays "changed" (so changed=true), flagged unaudited with its full record
            res.update(unaudited=exc.entry, msg=exc.msg)
        except DeliverabilityError as exc:
            res.update(unaudited=True, msg="changed in SES but not recorded: %s" % exc.msg)

    def _pool(self, fn, todo):
        if not todo:
            return
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(todo))) as pool:
            list(pool.map(fn, todo))

    def partial_result(self):
        return {"results": self.results, "counts": self.counts(), "audit_records": 0, "changed": False}

    def execute(self, partial):
        self._pool(self._prepare, self.results)
        planned = [r for r in self.results if r["outcome"] == "planned"]
        if planned:
            self.audit.identity()  # one STS call, from this thread, before the workers record
            try:
                self._pool(self._apply, planned)
            finally:
                partial.update(self.result_data())
        partial.update(self.result_data())
        unaudited = [r for r in self.results if r.get("unaudited")]
        if unaudited:
            partial["unaudited"] = [r["unaudited"] if isinstance(r["unaudited"], dict) else {"address": r["email"]}
                                    for r in unaudited]
            raise DeliverabilityError("UNAUDITED CHANGES: %d address(es) were changed in SES but their audit lines "
                                      "could not be written (%s); the records are in 'unaudited'. First: %s"
                                      % (len(unaudited), ", ".join(r["email"] for r in unaudited[:10]),
                                         unaudited[0].get("msg")))
        bad = [r for r in self.results if r["outcome"] in ("failed", "refused")]
        if bad:
            first = "; ".join("%s: %s" % (r["email"], r.get("msg")) for r in bad[:3])
            raise DeliverabilityError("%d of %d address(es) were not %s (the others were handled and are listed "
                                      "in results): %s" % (len(bad), len(self.results),
                                                           "removed" if self.state == "absent" else "suppressed",
                                                           first))

    def counts(self):
        out = {"total": len(self.results)}
        for key in ("changed", "unchanged", "refused", "failed"):
            out[key] = sum(1 for r in self.results if r["outcome"] == key)
        for key in ("put", "update", "delete"):
            out[key] = sum(1 for r in self.results if r["action"] == key and r["outcome"] == "changed")
        return out

    def result_data(self):
        changed = [r for r in self.results if r["outcome"] == "changed"]
        before = dict((r["email"], self.before.get(r["email"])) for r in changed)
        after = dict((r["email"], None if r["action"] == "delete" else r["reason"]) for r in changed)
        return {"changed": bool(changed), "results": self.results, "counts": self.counts(),
                "audit_records": self.audit.written, "diff": {"before": before, "after": after}}

    def result(self):
        return self.result_data()
