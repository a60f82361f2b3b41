#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: reputation_info
short_description: Report the SES account's bounce and complaint rates against thresholds
version_added: 0.1.0
description:
  - Reads the account's bounce and complaint rates from C(GetSendStatistics) (SES v1, the last two weeks in
    15-minute buckets) and/or the latest CloudWatch C(AWS/SES) C(Reputation.BounceRate) and
    C(Reputation.ComplaintRate), and the account's enforcement status and whether sending is enabled (C(GetAccount)).
  - Compares the rates with warning and critical thresholds. CloudWatch's value is used when there is one (it is
    what AWS enforces on), otherwise the statistics'. The account is critical when it is under review
    (C(PROBATION)) or shut down, or when sending is paused.
  - AWS reviews an account at a 5% bounce rate (pausing at 10%) and at a 0.1% complaint rate (pausing at 0.5%);
    the defaults warn at half of the review level.
  - With O(fail_on), a scheduled playbook fails (and so alerts) when the status is bad enough.
options:
  sources:
    description: Where to read the rates from.
    type: list
    elements: str
    choices: [statistics, cloudwatch]
    default: [statistics, cloudwatch]
  statistics_hours:
    description: Only count C(GetSendStatistics) data points of the last this many hours (default all, two weeks).
    type: float
  cloudwatch_lookback_hours:
    description: How far back to look for the latest CloudWatch reputation value.
    type: float
    default: 24
  cloudwatch_period:
    description: Period (seconds) of the CloudWatch query.
    type: int
    default: 300
  bounce_rate_warning:
    description: Warning threshold of the bounce rate, in percent.
    type: float
    default: 2.5
  bounce_rate_critical:
    description: Critical threshold of the bounce rate, in percent.
    type: float
    default: 5.0
  complaint_rate_warning:
    description: Warning threshold of the complaint rate, in percent.
    type: float
    default: 0.05
  complaint_rate_critical:
    description: Critical threshold of the complaint rate, in percent.
    type: float
    default: 0.1
  fail_on:
    description: Fail the task when the overall status reaches this level.
    type: str
    choices: [never, warning, critical]
    default: never
  tenants:
    description:
      - Also read every SES tenant of the region - each client's own reputation - with its sends, hard bounces and
        complaints over the statistics window (VDM's C(BatchGetMetricData); SES collects them with Virtual
        Deliverability Manager turned on), their rates and levels against the same thresholds, and what SES says of
        the tenant (sending status, who paused it and why, reputation policy and impact). Returned in RV(tenants);
        a tenant's level does not change RV(status) (the account's), since SES pauses the tenant, not the account.
    type: bool
    default: false
  tenant_fail_on:
    description:
      - With O(tenants=true), fail the task (and so alert a scheduled job) naming each tenant that is V(paused) (by SES
        or by you), or whose own rates reach V(warning) or V(critical) (a paused tenant counts at every level). The
        per-tenant alarm of a fleet that runs one client per tenant - SES publishes no per-tenant CloudWatch metric
        to put an alarm on. A tenant whose rates could not be read fails nothing unless it is paused.
    type: str
    choices: [never, paused, warning, critical]
    default: never
  regions:
    description:
      - More regions to read besides the module's own O(region) - SES keeps the rates, the account's enforcement
        status and whether sending is enabled per region. Each region is judged with the same thresholds and
        returned side by side in RV(per_region); RV(status) is then the worst of them and RV(reasons) name their
        region. The top-level RV(checks), RV(account), RV(statistics) and RV(cloudwatch) stay the module's region.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - deliverability.ses.aws
notes:
  - A CloudWatch error (for example missing C(cloudwatch:GetMetricData) permission) does not fail the module; it is
    returned as C(error) in RV(cloudwatch) and the statistics are used.
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Alert (fail) when the account's reputation is critical
  deliverability.ses.reputation_info:
    fail_on: critical
  register: reputation

- name: A scheduled job that fails, naming the client, when one of its tenants is paused or critical
  deliverability.ses.reputation_info:
    tenants: true
    tenant_fail_on: critical

- name: Two sending regions side by side (status is the worse of the two)
  deliverability.ses.reputation_info:
    region: us-east-1
    regions: [us-east-1, eu-west-1]
  register: reputation

- name: Stricter thresholds, statistics of the last day only
  deliverability.ses.reputation_info:
    sources: [statistics]
    statistics_hours: 24
    bounce_rate_warning: 1
    bounce_rate_critical: 2
    fail_on: warning
"""

RETURN = r"""
status:
  description:
    - Overall level, the worst of the checks - V(ok), V(warning), V(critical), or V(unknown) when a rate has no
      data and nothing is worse (never a green V(ok) without rates).
  returned: always
  type: str
  sample: ok
reasons:
  description: Why the status is not V(ok), in words.
  returned: always
  type: list
  elements: str
checks:
  description:
    - C(bounce) and C(complaint) with C(rate) (a fraction), C(rate_percent), C(source), C(level), C(warning),
      C(critical) (fractions); C(account) with C(level).
  returned: always
  type: dict
region:
  description: The SES region read (SES keeps reputation per region).
  returned: always
  type: str
  sample: eu-west-1
account:
  description: C(enforcement_status), C(sending_enabled), C(production_access), quota and suppressed reasons.
  returned: always
  type: dict
statistics:
  description:
    - Totals and rates over the C(GetSendStatistics) data points (when read).
    - C(daily) has one entry per UTC day (C(day), C(delivery_attempts), C(bounces), C(complaints), C(bounce_rate),
      C(complaint_rate) as fractions), oldest first, for charts.
  returned: when statistics is in O(sources)
  type: dict
cloudwatch:
  description: Latest CloudWatch reputation values and their times, or C(error).
  returned: when cloudwatch is in O(sources)
  type: dict
tenants:
  description:
    - With O(tenants), C(used) (the region has tenants; null when they could not be read, with C(error)),
      C(window), and C(tenants) - per tenant C(name), C(sends), C(bounces), C(complaints), C(bounce_rate) /
      C(complaint_rate) (fractions) and their C(_percent) and C(_level), C(status) (the worse level; unknown without
      sends), C(sending), C(paused_by) (SES, you or null), C(cause), C(reputation_policy), C(reputation_impact),
      C(errors) (reads that failed).
  returned: when O(tenants=true)
  type: dict
tenants_failing:
  description: The tenants that failed the task under O(tenant_fail_on), each as "name - why" (paused by whom and
    SES's cause, or the rates and their level).
  returned: when a tenant reaches O(tenant_fail_on)
  type: list
  elements: str
per_region:
  description: Per region read (the module's first) - C(region), C(status), C(reasons), C(checks), C(account), and
    for the other regions C(statistics) and C(cloudwatch) as above.
  returned: when O(regions) names another region than the module's
  type: list
  elements: dict
"""

from ansible_collections.deliverability.ses.plugins.module_utils.aws import (
    DeliverabilityError, InputError, SesModule, run_module)
from ansible_collections.deliverability.ses.plugins.module_utils.runners import reputation
from ansible_collections.deliverability.ses.plugins.module_utils.policy.regions import other_regions
from ansible_collections.deliverability.ses.plugins.module_utils import validate


def thresholds_from(params):
    out = {}
    for key in ("bounce", "complaint"):
        warning = validate.number(params["%s_rate_warning" % key], "%s_rate_warning" % key, minimum=0, maximum=100)
        critical = validate.number(params["%s_rate_critical" % key], "%s_rate_critical" % key, minimum=0, maximum=100)
        if not 0 <= warning <= critical <= 100:
            raise InputError("%s_rate_warning" % key, "thresholds are percentages with 0 <= warning <= critical <= 100")
        out[key] = {"warning": warning / 100.0, "critical": critical / 100.0}
    return out


def main():
    module = SesModule(
        argument_spec=dict(
            sources=dict(type="list", elements="str", choices=["statistics", "cloudwatch"],
                         default=["statistics", "cloudwatch"]),
            statistics_hours=dict(type="float"),
            cloudwatch_lookback_hours=dict(type="float", default=24),
            cloudwatch_period=dict(type="int", default=300),
            bounce_rate_warning=dict(type="float", default=2.5),
            bounce_rate_critical=dict(type="float", default=5.0),
            complaint_rate_warning=dict(type="float", default=0.05),
            complaint_rate_critical=dict(type="float", default=0.1),
            fail_on=dict(type="str", choices=["never", "warning", "critical"], default="never"),
            regions=dict(type="list", elements="str", default=[]),
            tenants=dict(type="bool", default=False),
            tenant_fail_on=dict(type="str", choices=["never", "paused", "warning", "critical"], default="never"),
        ),
        supports_check_mode=True,
    )

    def body(partial):
        p = module.params
        thresholds = thresholds_from(p)
        # GetSendStatistics covers two weeks; CloudWatch keeps 5-minute data 63 days, hourly data 455 days
        validate.number(p["statistics_hours"], "statistics_hours", minimum=0, maximum=24 * 14, min_exclusive=True)
        validate.number(p["cloudwatch_lookback_hours"], "cloudwatch_lookback_hours", minimum=0, maximum=24 * 455,
                        min_exclusive=True)
        if p["cloudwatch_period"] not in (1, 5, 10, 30) and not (p["cloudwatch_period"] > 0
                                                                 and p["cloudwatch_period"] % 60 == 0
                                                                 and p["cloudwatch_period"] <= 86400):
            raise InputError("cloudwatch_period", "must be 1, 5, 10, 30 or a multiple of 60 up to 86400 seconds, "
                                                  "got %d" % p["cloudwatch_period"])
        if not p["sources"]:
            raise InputError("sources", "needs at least one of statistics, cloudwatch")
        home = module.client("sesv2").meta.region_name
        others = other_regions(p["regions"], home, known=module.known_regions("sesv2"))
        result = dict(reputation.read_region(module, p, thresholds), changed=False)
        overall = result["status"]
        if others:
            keys = ("region", "status", "reasons", "checks", "account")
            result["per_region"] = [dict((k, result[k]) for k in keys)]
            for region in others:
                result["per_region"].append(reputation.read_region(module, p, thresholds, region))
            overall = reputation.worst([r["status"] for r in result["per_region"]])
            if overall == "ok" and any(r["status"] == "unknown" for r in result["per_region"]):
                overall = "unknown"
            result["reasons"] = ["%s: %s" % (r["region"], why) for r in result["per_region"] for why in r["reasons"]]
            result["status"] = overall
        if p["tenant_fail_on"] != "never" and not p["tenants"]:
            raise InputError("tenant_fail_on", "needs tenants=true (the tenants are read only then)")
        if p["tenants"]:
            result["tenants"] = reputation.read_tenants(module, p, thresholds)
        failing = reputation.tenants_failing(result.get("tenants", {}).get("tenants", []), p["tenant_fail_on"])
        if failing:
            result["tenants_failing"] = failing
        if reputation.should_fail(overall, p["fail_on"]):
            partial.update(result)
            raise DeliverabilityError("SES reputation is %s: %s" % (overall, "; ".join(result["reasons"]) or "no data"))
        if failing:
            partial.update(result)
            raise DeliverabilityError("%d SES tenant(s) at tenant_fail_on=%s: %s" % (
                len(failing), p["tenant_fail_on"], "; ".join(failing)))
        return result

    run_module(module, body)


if __name__ == "__main__":
    main()
