# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Account reputation: bounce and complaint rates, enforcement status, thresholds, and CloudWatch alarms.

AWS reviews an account at a 5% bounce rate (pause risk at 10%) and at a 0.1% complaint rate (pause risk at 0.5%).
The collection's defaults warn well before that: bounces 2.5% / 5%, complaints 0.05% / 0.1%.
"""

from __future__ import annotations

import datetime as dt

from ansible_collections.deliverability.ses.plugins.module_utils.errors import AwsError
from ansible_collections.deliverability.ses.plugins.module_utils.aws import call
from ansible_collections.deliverability.ses.plugins.module_utils.policy.posture_tenants import paused_by
from ansible_collections.deliverability.ses.plugins.module_utils.ses import tenants as tenants_api

THRESHOLDS = {
    "bounce": {"warning": 0.025, "critical": 0.05},
    "complaint": {"warning": 0.0005, "critical": 0.001},
}
METRICS = {"bounce": "Reputation.BounceRate", "complaint": "Reputation.ComplaintRate"}
LEVELS = ("ok", "warning", "critical")
ENFORCEMENT_LEVEL = {"HEALTHY": "ok", "PROBATION": "critical", "SHUTDOWN": "critical"}


def worst(levels):
    order = {"unknown": -1, "ok": 0, "warning": 1, "critical": 2}
    known = [lv for lv in levels if lv in order]
    return max(known, key=lambda lv: order[lv]) if known else "unknown"


def level(value, warning, critical):
    if value is None:
        return "unknown"
    if value >= critical:
        return "critical"
    if value >= warning:
        return "warning"
    return "ok"


def _utc(value):
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)
    return None


def _iso(value):
    value = _utc(value)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _day(key, totals):
    attempts = totals["delivery_attempts"]
    return dict(totals, day=key,
                bounce_rate=(float(totals["bounces"]) / attempts) if attempts else None,
                complaint_rate=(float(totals["complaints"]) / attempts) if attempts else None)


def rates_from_statistics(points, since=None):
    """Bounce and complaint rates over GetSendStatistics data points (the last two weeks, 15-minute buckets),
    optionally only those at or after ``since``."""
    attempts = bounces = complaints = rejects = 0
    used = []
    days = {}
    for point in points or []:
        stamp = _utc(point.get("Timestamp"))
        if since is not None and stamp is not None and stamp < since:
            continue
        used.append(stamp)
        if stamp is not None:
            day = days.setdefault(stamp.strftime("%Y-%m-%d"),
                                  {"delivery_attempts": 0, "bounces": 0, "complaints": 0})
            day["delivery_attempts"] += int(point.get("DeliveryAttempts") or 0)
            day["bounces"] += int(point.get("Bounces") or 0)
            day["complaints"] += int(point.get("Complaints") or 0)
        attempts += int(point.get("DeliveryAttempts") or 0)
        bounces += int(point.get("Bounces") or 0)
        complaints += int(point.get("Complaints") or 0)
        rejects += int(point.get("Rejects") or 0)
    stamps = [s for s in used if s is not None]
    return {
        "source": "statistics",
        "delivery_attempts": attempts, "bounces": bounces, "complaints": complaints, "rejects": rejects,
        "bounce_rate": (float(bounces) / attempts) if attempts else None,
        "complaint_rate": (float(complaints) / attempts) if attempts else None,
        "data_points": len(used),
        "first": _iso(min(stamps)) if stamps else None,
        "last": _iso(max(stamps)) if stamps else None,
        "daily": [_day(key, d) for key, d in sorted(days.items())],
    }


def read_statistics(ses_v1, since=None):
    return rates_from_statistics(call(ses_v1, "GetSendStatistics").get("SendDataPoints") or [], since)


def read_cloudwatch(cloudwatch, lookback_hours=24.0, period=300, now=None):
    """The latest value of each AWS/SES Reputation.* metric within the lookback, in one GetMetricData call."""
    end = now or dt.datetime.now(dt.timezone.utc)
    start = end - dt.timedelta(hours=lookback_hours)
    queries = [{"Id": key, "ReturnData": True,
                "MetricStat": {"Metric": {"Namespace": "AWS/SES", "MetricName": name}, "Period": int(period),
                               "Stat": "Maximum"}}
               for key, name in sorted(METRICS.items())]
    out = {"source": "cloudwatch", "bounce_rate": None, "complaint_rate": None,
           "bounce_rate_time": None, "complaint_rate_time": None}
    params = {"MetricDataQueries": queries, "StartTime": start, "EndTime": end + dt.timedelta(minutes=1),
              "ScanBy": "TimestampDescending"}
    while True:
        page = call(cloudwatch, "GetMetricData", **params)
        for res in page.get("MetricDataResults") or []:
            pairs = sorted(zip(res.get("Timestamps") or [], res.get("Values") or []),
                           key=lambda p: _utc(p[0]) or end, reverse=True)
            key = res.get("Id")
            if pairs and key in METRICS and out[key + "_rate"] is None:
                out[key + "_rate"] = float(pairs[0][1])
                out[key + "_rate_time"] = _iso(pairs[0][0])
        if not page.get("NextToken"):
            return out
        params["NextToken"] = page["NextToken"]


def account_status(sesv2):
    acct = call(sesv2, "GetAccount")
    quota = acct.get("SendQuota") or {}
    return {
        "enforcement_status": acct.get("EnforcementStatus"),
        "sending_enabled": acct.get("SendingEnabled"),
        "production_access": acct.get("ProductionAccessEnabled"),
        "max_24_hour_send": quota.get("Max24HourSend"),
        "max_send_rate": quota.get("MaxSendRate"),
        "sent_last_24_hours": quota.get("SentLast24Hours"),
        "suppressed_reasons": list((acct.get("SuppressionAttributes") or {}).get("SuppressedReasons") or []),
    }


def assess(statistics, cloudwatch, account, thresholds):
    """Levels per metric (CloudWatch's value when there is one - it is what AWS enforces on - else the
    statistics'), for the account, and overall; with the reasons in words."""
    checks, reasons = {}, []
    for key in ("bounce", "complaint"):
        value, source = None, None
        if cloudwatch and cloudwatch.get(key + "_rate") is not None:
            value, source = cloudwatch[key + "_rate"], "cloudwatch"
        elif statistics and statistics.get(key + "_rate") is not None:
            value, source = statistics[key + "_rate"], "statistics"
        limits = thresholds[key]
        lv = level(value, limits["warning"], limits["critical"])
        checks[key] = {"rate": value, "source": source, "level": lv, "warning": limits["warning"],
                       "critical": limits["critical"]}
        if lv in ("warning", "critical"):
            reasons.append("%s rate %.4f%% >= %s threshold %.4f%% (%s)"
                           % (key, value * 100, lv, limits[lv] * 100, source))
    acct_level = "unknown"
    if account:
        acct_level = ENFORCEMENT_LEVEL.get(account.get("enforcement_status"), "warning")
        if acct_level != "ok":
            reasons.append("account enforcement status is %s" % account.get("enforcement_status"))
        if account.get("sending_enabled") is False:
            acct_level = "critical"
            reasons.append("sending is paused for the account")
    checks["account"] = {"level": acct_level}
    overall = worst([checks["bounce"]["level"], checks["complaint"]["level"], acct_level])
    if overall == "ok" and "unknown" in (checks["bounce"]["level"], checks["complaint"]["level"]):
        # a healthy account says nothing about rates nobody could read: no data is not a green OK
        overall = "unknown"
        reasons.append("no %s rate data (nothing sent in the window, or the metric is not published yet)"
                       % " or ".join(k for k in ("bounce", "complaint") if checks[k]["level"] == "unknown"))
    return checks, overall, reasons


def read_region(module, p, thresholds, region=None):
    """One region's reputation (the module's own with ``region`` None): account status, the rates from
    GetSendStatistics and / or CloudWatch, and their levels against ``thresholds`` - SES keeps all of it per
    region. A CloudWatch read that fails falls back to the statistics, with a warning."""
    out = {"region": region or module.client("sesv2").meta.region_name}
    out["account"] = account_status(module.client("sesv2", region=region))
    stats = cw = None
    if "statistics" in p["sources"]:
        since = None
        if p["statistics_hours"]:
            since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=p["statistics_hours"])
        stats = out["statistics"] = read_statistics(module.client("ses", region=region), since)
    if "cloudwatch" in p["sources"]:
        try:
            cw = read_cloudwatch(module.client("cloudwatch", region=region), p["cloudwatch_lookback_hours"],
                                 p["cloudwatch_period"])
        except AwsError as exc:
            cw = {"source": "cloudwatch", "error": exc.msg, "bounce_rate": None, "complaint_rate": None}
            module.module.warn("CloudWatch reputation metrics unavailable in %s, using statistics: %s"
                               % (out["region"], exc.msg))
        out["cloudwatch"] = cw
    checks, overall, reasons = assess(stats, cw, out["account"], thresholds)
    for key in ("bounce", "complaint"):
        rate = checks[key]["rate"]
        checks[key]["rate_percent"] = None if rate is None else round(rate * 100, 6)
    out.update(status=overall, reasons=reasons, checks=checks)
    return out


def read_tenants(module, p, thresholds):
    """Per SES tenant (each client's own reputation): sends, hard bounces and complaints over the statistics window
    (VDM's BatchGetMetricData, 10 queries a call), their rates and levels against the same thresholds, and what SES
    says of the tenant (sending status, who paused it and why, policy, impact). A read that fails is reported as
    such (rates unknown), never as a level."""
    client = module.client("sesv2")
    try:
        listed = tenants_api.list_tenants(client)
    except AwsError as exc:
        return {"used": None, "error": exc.msg, "tenants": []}
    if not listed:
        return {"used": False, "tenants": []}
    end = dt.datetime.now(dt.timezone.utc)
    start = end - dt.timedelta(hours=p["statistics_hours"] or 24 * 14)
    try:
        sums = tenants_api.tenant_metrics(client, [t["name"] for t in listed], start, end)
    except AwsError as exc:
        sums = dict((t["name"], {"errors": [exc.msg]}) for t in listed)
    rows = []
    for t in listed:
        try:
            entity = tenants_api.get_entity(client, t["arn"]) or {}
        except AwsError as exc:
            entity = {"error": exc.msg}
        m = sums[t["name"]]
        sends = m.get("SEND")
        row = {"name": t["name"], "sends": sends,
               "errors": list(m["errors"]) + ([entity["error"]] if "error" in entity else [])}
        levels = []
        for key, metric in (("bounce", "PERMANENT_BOUNCE"), ("complaint", "COMPLAINT")):
            count = m.get(metric)
            rate = (float(count) / sends) if sends and count is not None else None
            lv = level(rate, thresholds[key]["warning"], thresholds[key]["critical"])
            row.update({key + "s": count, key + "_rate": rate,
                        key + "_rate_percent": None if rate is None else round(rate * 100, 6), key + "_level": lv})
            levels.append(lv)
        row["status"] = worst(levels)
        if row["status"] == "ok" and "unknown" in levels:
            row["status"] = "unknown"
        who = paused_by(entity)
        row.update(sending=entity.get("sending_status_aggregate") or t.get("sending_status"),
                   paused_by=who[0] if who else None, cause=who[1] if who else None,
                   reputation_policy=entity.get("reputation_policy"), reputation_impact=entity.get("reputation_impact"))
        rows.append(row)
    return {"used": True, "window": {"start": _iso(start), "end": _iso(end)}, "tenants": rows}


def tenants_failing(rows, fail_on):
    """The tenants that fail a scheduled run under ``tenant_fail_on``, each as "name: why": at ``paused``, a tenant SES
    or the operator paused; at ``warning`` / ``critical``, a tenant whose rates reach that level too (a paused tenant
    always counts). A tenant whose rates could not be read is not a finding (could not look), unless it is paused."""
    if fail_on == "never":
        return []
    out = []
    for row in rows:
        why = []
        if row.get("sending") == "DISABLED":
            why.append("paused by %s%s" % (row.get("paused_by") or "SES",
                                           ": %s" % row["cause"] if row.get("cause") else ""))
        if fail_on != "paused" and should_fail(row.get("status"), fail_on):
            why.append("bounce rate %s, complaint rate %s (%s)" % (
                _percent(row.get("bounce_rate_percent")), _percent(row.get("complaint_rate_percent")), row["status"]))
        if why:
            out.append("%s - %s" % (row["name"], "; ".join(why)))
    return out


def _percent(value):
    return "not reported" if value is None else "%g%%" % value


def should_fail(overall, fail_on):
    if fail_on == "never":
        return False
    if fail_on == "warning":
        return overall in ("warning", "critical")
    return overall == "critical"


# ---------------------------------------------------------------------- alarms
ALARM_FIELDS = ("MetricName", "Namespace", "Statistic", "Period", "EvaluationPeriods", "DatapointsToAlarm",
                "Threshold", "ComparisonOperator", "TreatMissingData", "AlarmActions", "OKActions",
                "InsufficientDataActions", "ActionsEnabled", "AlarmDescription")


def desired_alarms(prefix, thresholds, levels, alarm_actions, ok_actions, period, evaluation_periods,
                   datapoints_to_alarm, treat_missing_data, statistic="Average"):
    alarms = {}
    for key in ("bounce", "complaint"):
        for lv in levels:
            name = "%s-%s-rate-%s" % (prefix, key, lv)
            alarms[name] = {
                "AlarmName": name,
                "AlarmDescription": "SES %s rate at or above %.4g%% (%s; managed by deliverability.ses)"
                                    % (key, thresholds[key][lv] * 100, lv),
                "MetricName": METRICS[key], "Namespace": "AWS/SES", "Statistic": statistic,
                "Period": int(period), "EvaluationPeriods": int(evaluation_periods),
                "DatapointsToAlarm": int(datapoints_to_alarm or evaluation_periods),
                "Threshold": float(thresholds[key][lv]), "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": treat_missing_data, "AlarmActions": sorted(alarm_actions or []),
                "OKActions": sorted(ok_actions or []), "InsufficientDataActions": [], "ActionsEnabled": True,
            }
    return alarms


def comparable(alarm):
    """The fields we manage, normalised (sorted action lists, rounded threshold, defaults filled)."""
    out = {}
    for field in ALARM_FIELDS:
        value = alarm.get(field)
        if field in ("AlarmActions", "OKActions", "InsufficientDataActions"):
            value = sorted(value or [])
        elif field == "Threshold" and value is not None:
            value = round(float(value), 10)
        elif field == "DatapointsToAlarm" and value is None:
            value = alarm.get("EvaluationPeriods")
        elif field == "TreatMissingData" and value is None:
            value = "missing"
        out[field] = value
    return out


def current_alarms(cloudwatch, names):
    found = {}
    params = {"AlarmNames": list(names), "AlarmTypes": ["MetricAlarm"]}
    while True:
        page = call(cloudwatch, "DescribeAlarms", **params)
        for alarm in page.get("MetricAlarms") or []:
            found[alarm["AlarmName"]] = alarm
        if not page.get("NextToken"):
            return found
        params["NextToken"] = page["NextToken"]


def plan_alarms(desired, current, state):
    """(to_put, to_delete, before, after) - before/after hold the managed fields of every alarm concerned."""
    before = dict((name, comparable(alarm)) for name, alarm in sorted(current.items()))
    if state == "absent":
        return [], sorted(current), before, {}
    to_put = [name for name, alarm in sorted(desired.items())
              if name not in current or comparable(current[name]) != comparable(alarm)]
    after = dict((name, comparable(alarm)) for name, alarm in sorted(desired.items()))
    return to_put, [], before, after


def apply_alarms(cloudwatch, desired, to_put, to_delete, done=None):
    """Put and delete alarms; ``done`` (when given) collects each alarm as soon as its call succeeded, so a
    failure part-way can report what was applied."""
    done = done if done is not None else []
    for name in to_put:
        call(cloudwatch, "PutMetricAlarm", **desired[name])
        done.append(name)
    if to_delete:
        call(cloudwatch, "DeleteAlarms", AlarmNames=list(to_delete))
        done.extend(to_delete)
    return done


__all__ = ["AwsError", "THRESHOLDS", "account_status", "apply_alarms", "assess", "current_alarms", "desired_alarms",
           "plan_alarms", "rates_from_statistics", "read_cloudwatch", "read_statistics", "should_fail"]
