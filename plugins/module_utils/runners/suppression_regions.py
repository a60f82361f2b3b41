# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One address on or off the suppression list in several regions at once (``suppressed_destination`` with
``regions``): read every region, decide, then apply region by region, one audit line per region changed.

A delist that would leave the address suppressed in a region that could not be read is a partial delist: refused
before anything is removed anywhere, unless ``allow_partial`` says to go ahead in the regions that could be read
(those that could not are reported as ``unknown``, never as "not listed").
"""

from __future__ import annotations

from ansible_collections.deliverability.ses.plugins.module_utils.errors import AwsError, DeliverabilityError
from ansible_collections.deliverability.ses.plugins.module_utils.policy.regions import check_regions
from ansible_collections.deliverability.ses.plugins.module_utils.ses import suppression as sup


def run(module, partial, email, guard, open_audit_log):
    p = module.params
    regions = check_regions(p["regions"], "regions", known=module.known_regions("sesv2"), minimum=1)
    state = p["state"]
    audit = open_audit_log(module, "suppressed_destination")
    clients = dict((r, module.client("sesv2", region=r)) for r in regions)

    per_region, unknown = {}, {}
    for region in regions:  # read everything before the first change
        try:
            current = sup.get_suppressed(clients[region], email)
        except AwsError as exc:
            unknown[region] = exc.msg
            continue
        per_region[region] = {"before": current, "action": sup.plan(current, state, p["reason"]), "outcome": None}
    if unknown and not (state == "absent" and p["allow_partial"]):
        first = sorted(unknown.items())[0]
        raise DeliverabilityError("refusing a partial %s of %s: %d region(s) could not be read (%s: %s); nothing "
                                  "was changed in any region. Retry%s"
                                  % ("delist" if state == "absent" else "change", email, len(unknown), first[0],
                                     first[1], ", or set allow_partial=true to delist in the regions that could be "
                                     "read" if state == "absent" else ""), unknown=unknown)
    todo = [r for r in regions if r in per_region and per_region[r]["action"] != "none"]
    dns_check = None
    if state == "absent" and todo:
        dns_check = guard.check(email)
    after_of = (lambda r: None) if state == "absent" else (
        lambda r: dict(per_region[r]["before"] or {}, email_address=email, reason=p["reason"]))
    result = {"changed": bool(todo), "email": email, "action": "delete" if state == "absent" and todo else
              (per_region[todo[0]]["action"] if todo else "none"), "regions": per_region, "unknown": unknown,
              "audit": [], "diff": {"before": {}, "after": {}}}
    if dns_check is not None:
        result["dns_check"] = dns_check
    for region in todo:
        result["diff"]["before"][region] = per_region[region]["before"] or {}
        result["diff"]["after"][region] = after_of(region) or {}
        per_region[region]["outcome"] = "changed" if module.check_mode else "planned"
    if module.check_mode or not todo:
        return result
    audit.identity()
    done = []
    for region in todo:
        entry = per_region[region]
        before = entry["before"]
        try:
            if state == "absent":
                if not sup.delete_suppressed(clients[region], email):
                    entry.update(action="none", outcome="unchanged")  # gone between the read and the delete
                    continue
            else:
                sup.put_suppressed(clients[region], email, p["reason"])
        except AwsError as exc:
            entry.update(outcome="failed", msg=exc.msg, error_code=exc.code)
            partial.update(result, changed=bool(done))
            raise DeliverabilityError("%s of %s failed in %s after it was applied in %s: %s. The regions now differ: "
                                      "run the task again" % ("delist" if state == "absent" else "change", email,
                                                              region, ", ".join(done) or "no region", exc.msg),
                                      unknown=unknown)
        entry["outcome"] = "changed"
        done.append(region)
        partial.update(result, changed=True)
        if state == "absent":
            record = audit.record("delist", email, before["reason"], region=region,
                                  reason_for_removal=guard.reason_for_removal, forced=guard.force, dns_check=dns_check)
        else:
            record = audit.record("suppress" if before is None else "update_reason", email, p["reason"],
                                  region=region, previous_reason=(before or {}).get("reason"))
        result["audit"].append(record)
    result["changed"] = bool(done)
    return result
