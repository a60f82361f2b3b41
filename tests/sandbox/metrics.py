"""SES v2 BatchGetMetricData (Virtual Deliverability Manager metrics), for the TENANT_NAME dimension: the daily
counts the sandbox keeps per tenant (delivery attempts, hard bounces, complaints - tenants.py). Other dimensions
answer with no data points. As SES documents: 1-10 queries a call, namespace VDM, one value per UTC day between
StartDate and EndDate; a query SES cannot answer is in Errors, not a failed call.

Not modelled: whether VDM is turned on for the account (SES collects these metrics only then); the sandbox always
has them.
"""

from __future__ import annotations

import datetime as dt

from . import tenants
from .ses_core import bad_request

# metric -> the tenant's daily count it reads
METRICS = {"SEND": "attempts", "PERMANENT_BOUNCE": "bounces", "COMPLAINT": "complaints"}
ALL_METRICS = ("SEND", "COMPLAINT", "PERMANENT_BOUNCE", "TRANSIENT_BOUNCE", "OPEN", "CLICK", "DELIVERY",
               "DELIVERY_OPEN", "DELIVERY_CLICK", "DELIVERY_COMPLAINT")


def _when(value):
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    return dt.datetime.fromtimestamp(float(value), dt.timezone.utc)


def batch_get_metric_data(region, p):
    queries = p.get("Queries") or []
    if not 1 <= len(queries) <= 10:
        raise bad_request("Queries must hold 1 to 10 queries.")
    results, errors = [], []
    for q in queries:
        qid = q.get("Id")
        if q.get("Namespace") != "VDM" or q.get("Metric") not in ALL_METRICS:
            raise bad_request("Invalid query <%s>: Namespace VDM and a known Metric are required." % qid)
        start, end = _when(q["StartDate"]).date(), _when(q["EndDate"]).date()
        dims = q.get("Dimensions") or {}
        name = dims.get("TENANT_NAME")
        stamps, values = [], []
        if name is not None:
            t = tenants.state(region).tenants.get(name)
            daily = t.daily if t is not None else {}  # a tenant SES never saw sending has no data points
            key = METRICS.get(q["Metric"])
            for day in sorted(d for d in daily if start <= d <= end):
                stamps.append(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc))
                values.append(daily[day][key] if key else 0)
        results.append({"Id": qid, "Timestamps": stamps, "Values": values})
    return {"Results": results, "Errors": errors}


HANDLERS = {"BatchGetMetricData": batch_get_metric_data}
