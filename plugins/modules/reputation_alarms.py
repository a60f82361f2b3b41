#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: reputation_alarms
short_description: CloudWatch alarms on the SES account's bounce and complaint rates
version_added: 0.1.0
description:
  - Manages CloudWatch alarms on C(AWS/SES) C(Reputation.BounceRate) and C(Reputation.ComplaintRate), one per
    metric and level (V(warning), V(critical)), named C(<name_prefix>-bounce-rate-warning) and so on, that notify
    SNS topics.
  - Idempotent - an alarm is written (C(PutMetricAlarm)) only when a managed setting differs; supports check mode
    and diff.
options:
  state:
    description: V(present) creates or updates the alarms; V(absent) deletes them.
    type: str
    choices: [present, absent]
    default: present
  name_prefix:
    description: Prefix of the alarm names.
    type: str
    default: ses-reputation
  levels:
    description: Which alarms to manage.
    type: list
    elements: str
    choices: [warning, critical]
    default: [warning, critical]
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
  alarm_actions:
    description: ARNs (usually SNS topics) notified when an alarm fires.
    type: list
    elements: str
    default: []
  ok_actions:
    description: ARNs notified when an alarm returns to OK.
    type: list
    elements: str
    default: []
  period:
    description: Period of the metric statistic, in seconds.
    type: int
    default: 3600
  evaluation_periods:
    description: Periods over which the threshold is evaluated.
    type: int
    default: 1
  datapoints_to_alarm:
    description: Breaching data points among O(evaluation_periods) that fire the alarm (default all of them).
    type: int
  treat_missing_data:
    description:
      - What a period without data means. The reputation metrics are only published while the account sends, so
        the default V(ignore) keeps the last state.
    type: str
    choices: [breaching, notBreaching, ignore, missing]
    default: ignore
extends_documentation_fragment:
  - deliverability.ses.aws
notes:
  - "Per SES tenant there is nothing to alarm on here: SES documents no per-tenant CloudWatch metric. The documented
    CloudWatch reputation metrics are the account's (these alarms) and, when a configuration set's reputation
    metrics are turned on, the set's. A tenant's own figures are Virtual Deliverability Manager metrics
    (C(BatchGetMetricData) with the C(TENANT_NAME) dimension), which CloudWatch alarms cannot watch - alarm on them
    with a scheduled P(deliverability.ses.reputation_info#module)
    O(deliverability.ses.reputation_info#module:tenants=true) and
    O(deliverability.ses.reputation_info#module:tenant_fail_on), which fails the job naming each paused or critical
    tenant, or read them with C(playbooks/reputation_report.yml -e tenants=true). SES itself acts per tenant: a tenant's reputation policy
    (V(standard), V(strict)) pauses that tenant alone, and SES sends C(Sending Status Disabled) / C(Sending Status
    Enabled) events to EventBridge (EventBridge events reference, Amazon SES), the channel for being told."
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Page the on-call topic before AWS reviews the account
  deliverability.ses.reputation_alarms:
    alarm_actions: [arn:aws:sns:eu-west-1:123456789012:ses-oncall]
    ok_actions: [arn:aws:sns:eu-west-1:123456789012:ses-oncall]

- name: Only critical alarms, stricter bounce threshold
  deliverability.ses.reputation_alarms:
    levels: [critical]
    bounce_rate_critical: 4
    alarm_actions: ["{{ oncall_topic_arn }}"]

- name: Remove the alarms
  deliverability.ses.reputation_alarms:
    state: absent
"""

RETURN = r"""
alarms:
  description: Names of the alarms managed (present) or deleted (absent).
  returned: always
  type: list
  elements: str
changed_alarms:
  description: Alarms that were (or in check mode would be) written or deleted.
  returned: always
  type: list
  elements: str
diff:
  description: Managed settings of the alarms before and after, keyed by alarm name.
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.deliverability.ses.plugins.module_utils.aws import InputError, SesModule, run_module
from ansible_collections.deliverability.ses.plugins.module_utils.runners import reputation
from ansible_collections.deliverability.ses.plugins.module_utils import validate


def main():
    module = SesModule(
        argument_spec=dict(
            state=dict(type="str", choices=["present", "absent"], default="present"),
            name_prefix=dict(type="str", default="ses-reputation"),
            levels=dict(type="list", elements="str", choices=["warning", "critical"], default=["warning", "critical"]),
            bounce_rate_warning=dict(type="float", default=2.5),
            bounce_rate_critical=dict(type="float", default=5.0),
            complaint_rate_warning=dict(type="float", default=0.05),
            complaint_rate_critical=dict(type="float", default=0.1),
            alarm_actions=dict(type="list", elements="str", default=[]),
            ok_actions=dict(type="list", elements="str", default=[]),
            period=dict(type="int", default=3600),
            evaluation_periods=dict(type="int", default=1),
            datapoints_to_alarm=dict(type="int"),
            treat_missing_data=dict(type="str", choices=["breaching", "notBreaching", "ignore", "missing"],
                                    default="ignore"),
        ),
        supports_check_mode=True,
    )

    def body(partial):
        p = module.params
        thresholds = {}
        for key in ("bounce", "complaint"):
            warning = validate.number(p["%s_rate_warning" % key], "%s_rate_warning" % key, minimum=0, maximum=100)
            critical = validate.number(p["%s_rate_critical" % key], "%s_rate_critical" % key, minimum=0,
                                       maximum=100)
            if not 0 < warning <= critical <= 100:
                raise InputError("%s_rate_warning" % key, "thresholds are percentages with 0 < warning <= critical <= 100")
            thresholds[key] = {"warning": warning / 100.0, "critical": critical / 100.0}
        # CloudWatch AlarmName: 1-255 characters without control characters, suffix included
        validate.alarm_name_prefix(p["name_prefix"], "name_prefix", longest_suffix=len("-complaint-rate-critical"))
        for option in ("alarm_actions", "ok_actions"):
            for arn in p[option]:
                validate.arn(arn, option)
        if p["period"] < 10 or (p["period"] >= 60 and p["period"] % 60) or (p["period"] < 60 and p["period"] not in (10, 30)):
            raise InputError("period", "must be 10, 30 or a multiple of 60 seconds")
        if p["period"] > 86400:
            raise InputError("period", "must be at most 86400 seconds (one day)")
        # CloudWatch: evaluation_periods x period must not exceed one day (7 days for 1-hour periods)
        validate.count(p["evaluation_periods"], "evaluation_periods", maximum=max(1, 7 * 86400 // p["period"]))
        if p["datapoints_to_alarm"] is not None and not 1 <= p["datapoints_to_alarm"] <= p["evaluation_periods"]:
            raise InputError("datapoints_to_alarm", "must be between 1 and evaluation_periods")
        if not p["levels"]:
            raise InputError("levels", "needs warning and/or critical")
        cw = module.client("cloudwatch")
        levels = [lv for lv in ("warning", "critical") if lv in p["levels"]]
        desired = reputation.desired_alarms(p["name_prefix"], thresholds, levels, p["alarm_actions"], p["ok_actions"],
                                            p["period"], p["evaluation_periods"], p["datapoints_to_alarm"],
                                            p["treat_missing_data"])
        names = sorted(desired) if p["state"] == "present" else sorted(
            reputation.desired_alarms(p["name_prefix"], thresholds, ["warning", "critical"], [], [], 60, 1, None,
                                      "ignore"))
        current = reputation.current_alarms(cw, names)
        to_put, to_delete, before, after = reputation.plan_alarms(desired, current, p["state"])
        changed_alarms = to_put + to_delete
        if not module.check_mode:
            done = partial["changed_alarms"] = []
            try:
                reputation.apply_alarms(cw, desired, to_put, to_delete, done=done)
            finally:
                partial["changed"] = bool(done)
        result = dict(changed=bool(changed_alarms), alarms=names, changed_alarms=changed_alarms)
        if module.module._diff:
            result["diff"] = {"before": before, "after": after}
        return result

    run_module(module, body)


if __name__ == "__main__":
    main()
