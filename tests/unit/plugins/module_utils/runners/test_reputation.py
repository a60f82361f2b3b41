from __future__ import annotations

import datetime as dt

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.runners import reputation as rep

T = rep.THRESHOLDS


def point(minutes, attempts, bounces=0, complaints=0):
    return {"Timestamp": dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(minutes=minutes),
            "DeliveryAttempts": attempts, "Bounces": bounces, "Complaints": complaints, "Rejects": 0}


def test_rates_from_statistics():
    got = rep.rates_from_statistics([point(0, 100, 2, 0), point(15, 300, 6, 1)])
    assert got["delivery_attempts"] == 400 and got["bounce_rate"] == pytest.approx(0.02)
    assert got["complaint_rate"] == pytest.approx(0.0025) and got["first"] == "2027-01-01T00:00:00Z"
    since = dt.datetime(2027, 1, 1, 0, 10, tzinfo=dt.timezone.utc)
    assert rep.rates_from_statistics([point(0, 100, 50), point(15, 100, 1)], since)["bounce_rate"] == 0.01
    assert rep.rates_from_statistics([])["bounce_rate"] is None


@pytest.mark.parametrize("bounce,complaint,enforcement,sending,expected", [
    (0.01, 0.0001, "HEALTHY", True, "ok"),
    (0.025, 0.0001, "HEALTHY", True, "warning"),
    (0.05, 0.0001, "HEALTHY", True, "critical"),
    (0.01, 0.0005, "HEALTHY", True, "warning"),
    (0.01, 0.001, "HEALTHY", True, "critical"),
    (0.01, 0.0001, "PROBATION", True, "critical"),
    (0.01, 0.0001, "HEALTHY", False, "critical"),
    (None, None, "HEALTHY", True, "unknown"),  # no data is not a green OK
])
def test_assess(bounce, complaint, enforcement, sending, expected):
    stats = {"bounce_rate": bounce, "complaint_rate": complaint}
    checks, overall, reasons = rep.assess(stats, None, {"enforcement_status": enforcement,
                                                        "sending_enabled": sending}, T)
    assert overall == expected
    assert bool(reasons) == (expected != "ok")


def test_cloudwatch_wins_over_statistics():
    stats = {"bounce_rate": 0.2, "complaint_rate": 0}
    checks = rep.assess(stats, {"bounce_rate": 0.001, "complaint_rate": None}, None, T)[0]
    assert checks["bounce"]["source"] == "cloudwatch" and checks["bounce"]["level"] == "ok"
    assert checks["complaint"]["source"] == "statistics"


def test_should_fail():
    assert not rep.should_fail("critical", "never")
    assert rep.should_fail("warning", "warning") and not rep.should_fail("warning", "critical")
    assert rep.should_fail("critical", "critical") and not rep.should_fail("unknown", "warning")


def test_alarm_plan_is_idempotent_and_normalised():
    desired = rep.desired_alarms("p", T, ["warning", "critical"], ["arn:b", "arn:a"], [], 3600, 1, None, "ignore")
    assert sorted(desired) == ["p-bounce-rate-critical", "p-bounce-rate-warning", "p-complaint-rate-critical",
                               "p-complaint-rate-warning"]
    put, delete, before, after = rep.plan_alarms(desired, {}, "present")
    assert put == sorted(desired) and delete == [] and before == {}
    # what CloudWatch returns: actions in another order, threshold as a float with noise
    current = {n: dict(a, AlarmActions=list(reversed(a["AlarmActions"])), Threshold=a["Threshold"] + 1e-13)
               for n, a in desired.items()}
    assert rep.plan_alarms(desired, current, "present")[0] == []
    current["p-bounce-rate-warning"]["Threshold"] = 0.03
    assert rep.plan_alarms(desired, current, "present")[0] == ["p-bounce-rate-warning"]
    put, delete, before, after = rep.plan_alarms(desired, current, "absent")
    assert put == [] and delete == sorted(current) and after == {}


def test_daily_breakdown_for_charts():
    day1 = dt.datetime(2026, 11, 1, 10, 0, tzinfo=dt.timezone.utc)
    day2 = dt.datetime(2026, 11, 2, 23, 45, tzinfo=dt.timezone.utc)
    points = [{"Timestamp": day2, "DeliveryAttempts": 50, "Bounces": 5, "Complaints": 0},
              {"Timestamp": day1, "DeliveryAttempts": 100, "Bounces": 1, "Complaints": 1},
              {"Timestamp": day1 + dt.timedelta(minutes=15), "DeliveryAttempts": 100, "Bounces": 1}]
    daily = rep.rates_from_statistics(points)["daily"]
    assert [d["day"] for d in daily] == ["2026-11-01", "2026-11-02"]
    assert daily[0]["delivery_attempts"] == 200 and daily[0]["bounce_rate"] == 0.01
    assert daily[0]["complaint_rate"] == 0.005 and daily[1]["bounce_rate"] == 0.1


def test_no_rate_data_is_unknown_not_ok_even_with_a_healthy_account():
    thresholds = {"bounce": {"warning": 0.025, "critical": 0.05}, "complaint": {"warning": 0.0005, "critical": 0.001}}
    healthy = {"enforcement_status": "HEALTHY", "sending_enabled": True}
    overall, reasons = rep.assess(None, None, healthy, thresholds)[1:]
    assert overall == "unknown" and "no bounce or complaint rate data" in reasons[-1]
    overall = rep.assess({"bounce_rate": 0.01, "complaint_rate": 0.0}, None, healthy, thresholds)[1]
    assert overall == "ok"
    # a known bad level still wins over missing data
    overall = rep.assess({"bounce_rate": 0.09, "complaint_rate": None}, None, healthy, thresholds)[1]
    assert overall == "critical"


def _tenant(name, status="ok", sending="ENABLED", paused_by=None, cause=None, bounce=0.1, complaint=0.0):
    return {"name": name, "status": status, "sending": sending, "paused_by": paused_by, "cause": cause,
            "bounce_rate_percent": bounce, "complaint_rate_percent": complaint}


def test_tenants_failing_names_each_tenant_and_why_at_each_level():
    rows = [_tenant("clean"), _tenant("warm", status="warning", bounce=3.0),
            _tenant("hot", status="critical", bounce=9.0),
            _tenant("paused", status="unknown", sending="DISABLED", paused_by="SES", cause="bounce rate 12%",
                    bounce=None),
            _tenant("held", sending="DISABLED", paused_by="you", cause="list review")]
    assert rep.tenants_failing(rows, "never") == []
    assert rep.tenants_failing(rows, "paused") == ["paused - paused by SES: bounce rate 12%",
                                                   "held - paused by you: list review"]
    critical = rep.tenants_failing(rows, "critical")
    assert critical == ["hot - bounce rate 9%, complaint rate 0% (critical)",
                        "paused - paused by SES: bounce rate 12%", "held - paused by you: list review"]
    assert [r.split(" - ")[0] for r in rep.tenants_failing(rows, "warning")] == ["warm", "hot", "paused", "held"]


def test_a_tenant_that_could_not_be_read_fails_nothing_unless_paused():
    rows = [_tenant("unread", status="unknown", bounce=None, complaint=None)]
    assert rep.tenants_failing(rows, "warning") == [] and rep.tenants_failing(rows, "paused") == []
