"""reputation_info and reputation_alarms against the sandbox (statistics, CloudWatch, GetAccount).

The alarms' check mode with --diff goes through the controller once; the rest is the modules' logic,
in-process (module_main)."""

from __future__ import annotations

import pytest

RULES = {"rules": [{"match": "*@bad.test", "behaviour": "hard_bounce"},
                   {"match": "angry@x.test", "behaviour": "complaint"}]}


def test_rates_from_statistics_and_cloudwatch(sandbox, feedback, module_main):
    sandbox.post("recipients", RULES)
    # simulator traffic never counts (AWS documents this)
    feedback.send("bounce@simulator.amazonses.com", "complaint@simulator.amazonses.com")
    empty = module_main("reputation_info", {})
    assert empty.rc == 0, empty
    assert empty.result["statistics"]["delivery_attempts"] == 0 and empty.result["checks"]["bounce"]["level"] == "unknown"
    assert empty.result["status"] == "unknown"  # no rate yet: a healthy account is not a green OK for the rates
    # 1 hard bounce in 20 real recipients: 5% -> critical; 1 complaint in 20: 5% -> critical
    feedback.send("x@bad.test", "angry@x.test", *["ok%02d@x.test" % i for i in range(18)])
    res = module_main("reputation_info", {})
    assert res.rc == 0, res
    r = res.result
    assert r["statistics"]["delivery_attempts"] == 20 and r["statistics"]["bounces"] == 1
    assert r["statistics"]["bounce_rate"] == pytest.approx(0.05)
    assert r["cloudwatch"]["bounce_rate"] == pytest.approx(0.05), r["cloudwatch"]  # published by the sandbox
    assert r["checks"]["bounce"]["source"] == "cloudwatch" and r["checks"]["bounce"]["level"] == "critical"
    assert r["checks"]["complaint"]["level"] == "critical" and r["status"] == "critical"
    assert r["account"]["enforcement_status"] == "HEALTHY" and r["account"]["sending_enabled"] is True
    failed = module_main("reputation_info", {"fail_on": "critical", "sources": ["statistics"]})
    assert failed.rc != 0 and "critical" in failed.result["msg"]
    assert failed.result["checks"]["bounce"]["source"] == "statistics"
    relaxed = module_main("reputation_info", {"bounce_rate_warning": 6, "bounce_rate_critical": 10,
                                              "complaint_rate_warning": 6, "complaint_rate_critical": 10,
                                              "fail_on": "warning"})
    assert relaxed.rc == 0 and relaxed.result["status"] == "ok", relaxed.result


def test_account_state_drives_the_status(sandbox, module_main):
    sandbox.post("account", {"enforcement_status": "PROBATION"})
    res = module_main("reputation_info", {"sources": ["statistics"]})
    assert res.result["status"] == "critical" and "PROBATION" in res.result["reasons"][0]
    sandbox.post("account", {"enforcement_status": "HEALTHY", "sending_enabled": False})
    res = module_main("reputation_info", {"sources": ["statistics"], "fail_on": "critical"})
    assert res.rc != 0 and "paused" in res.result["msg"]


def test_bad_thresholds_name_the_option(module_main):
    res = module_main("reputation_info", {"bounce_rate_warning": 9, "bounce_rate_critical": 5})
    assert res.rc != 0 and res.result["msg"].startswith("bounce_rate_warning:")


def test_alarms_idempotent_with_check_mode_and_diff(sandbox, ansible_module, module_main):
    topic = sandbox.boto3_client("sns").create_topic(Name="oncall")["TopicArn"]
    cw = sandbox.boto3_client("cloudwatch")
    args = {"alarm_actions": [topic], "ok_actions": [topic]}
    mark = sandbox.mark()
    check = ansible_module("reputation_alarms", args, check=True, diff=True)
    assert check.rc == 0 and check.result["changed"] is True, check
    assert len(check.result["changed_alarms"]) == 4
    assert sandbox.mutating_calls(since=mark) == []
    assert cw.describe_alarms(AlarmNamePrefix="ses-reputation")["MetricAlarms"] == []
    made = module_main("reputation_alarms", args, diff=True)
    assert made.rc == 0 and made.result["changed"] is True
    assert made.result["diff"]["before"] == {}
    alarms = {a["AlarmName"]: a for a in cw.describe_alarms(AlarmNamePrefix="ses-reputation")["MetricAlarms"]}
    assert sorted(alarms) == ["ses-reputation-bounce-rate-critical", "ses-reputation-bounce-rate-warning",
                              "ses-reputation-complaint-rate-critical", "ses-reputation-complaint-rate-warning"]
    crit = alarms["ses-reputation-bounce-rate-critical"]
    assert crit["MetricName"] == "Reputation.BounceRate" and crit["Namespace"] == "AWS/SES"
    assert crit["Threshold"] == pytest.approx(0.05) and crit["AlarmActions"] == [topic]
    assert alarms["ses-reputation-complaint-rate-warning"]["Threshold"] == pytest.approx(0.0005)
    mark = sandbox.mark()
    again = module_main("reputation_alarms", args)
    assert again.rc == 0 and again.result["changed"] is False
    assert sandbox.mutating_calls(since=mark) == []
    changed = module_main("reputation_alarms", dict(args, bounce_rate_critical=4), diff=True)
    assert changed.result["changed_alarms"] == ["ses-reputation-bounce-rate-critical"]
    name = "ses-reputation-bounce-rate-critical"
    assert changed.result["diff"]["before"][name]["Threshold"] == pytest.approx(0.05)
    assert changed.result["diff"]["after"][name]["Threshold"] == pytest.approx(0.04)
    gone = module_main("reputation_alarms", {"state": "absent"})
    assert gone.result["changed"] is True
    assert cw.describe_alarms(AlarmNamePrefix="ses-reputation")["MetricAlarms"] == []
    assert module_main("reputation_alarms", {"state": "absent"}).result["changed"] is False


def test_alarms_reject_a_non_arn_action(module_main):
    res = module_main("reputation_alarms", {"alarm_actions": ["oncall"]})
    assert res.rc != 0 and res.result["msg"].startswith("alarm_actions:")
