# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared bounce history store: one DynamoDB table, conditional writes.

One table with a string hash key ``pk``:

* ``E#<event key>`` — one item per recipient event, written with ``attribute_not_exists(pk)``, so of several
  processors on several machines draining the same queue exactly one records a given event;
* ``C#<event key>#<channel>`` — one item per copy of an event (identity notification, or configuration-set
  event), ``seen`` grown with ``ADD`` (atomic), so a report tells a redelivery from the other channel's copy;
* ``A#<address>`` — the address: ``soft`` is a string set of ``"<time>|<event key>"`` grown with ``ADD``
  (idempotent and atomic, so concurrent soft bounces are never lost), ``next_retry`` / ``soft_count`` only move
  forward (``soft_count <= :n`` condition), ``suppressed_reason`` is set once.
"""

from __future__ import annotations

import json
import time

from ansible_collections.deliverability.ses.plugins.module_utils.errors import AwsError
from ansible_collections.deliverability.ses.plugins.module_utils.aws import call, is_missing
from ansible_collections.deliverability.ses.plugins.module_utils.store.base import BounceStore, _check_writable

CONDITION_FAILED = "ConditionalCheckFailedException"


def _s(value):
    return {"S": str(value)}


def _n(value):
    return {"N": repr(float(value))}


class DynamoDbStore(BounceStore):
    def __init__(self, client, table, read_only=False):
        self.client = client
        self.table = table
        self.read_only = read_only
        self.calls = 0

    def _call(self, operation, **params):
        self.calls += 1
        return call(self.client, operation, TableName=self.table, **params)

    def ensure_table(self, create=False):
        """True when the table exists (creating it, on demand billing, when ``create``)."""
        try:
            self._call("DescribeTable")
            return True
        except AwsError as exc:
            if not is_missing(exc, "dynamodb"):
                raise
        if not create:
            return False
        self._call("CreateTable", AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                   KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
        waiter = self.client.get_waiter("table_exists")
        waiter.wait(TableName=self.table, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        return True

    def _get(self, pk):
        return self._call("GetItem", Key={"pk": _s(pk)}, ConsistentRead=True).get("Item")

    def has_event(self, key):
        return self._get("E#" + key) is not None

    def add_event(self, event):
        _check_writable(self)
        item = {"pk": _s("E#" + event["key"]), "email": _s(event["email"]), "cls": _s(event["class"]),
                "occurred": _n(event["occurred"]), "recorded": _n(time.time())}
        for name in ("sub_type", "message_id", "feedback_id"):
            if event.get(name):
                item[name] = _s(event[name])
        item["detail"] = _s(json.dumps(event.get("detail") or {}, sort_keys=True))
        try:
            self._call("PutItem", Item=item, ConditionExpression="attribute_not_exists(pk)")
            return True
        except AwsError as exc:
            if exc.code == CONDITION_FAILED:
                return False
            raise

    def add_copy(self, key, channel):
        _check_writable(self)
        out = self._call("UpdateItem", Key={"pk": _s("C#%s#%s" % (key, channel))}, UpdateExpression="ADD seen :one",
                         ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="UPDATED_NEW")
        return int(out["Attributes"]["seen"]["N"])

    def copy_count(self, key, channel):
        item = self._get("C#%s#%s" % (key, channel))
        return int(item["seen"]["N"]) if item else 0

    def add_delivery(self, email, occurred):
        _check_writable(self)
        try:
            self._call("UpdateItem", Key={"pk": _s("A#" + email)}, UpdateExpression="SET last_delivery = :t, email = :e",
                       ConditionExpression="attribute_not_exists(last_delivery) OR last_delivery < :t",
                       ExpressionAttributeValues={":t": _n(occurred), ":e": _s(email)})
        except AwsError as exc:
            if exc.code != CONDITION_FAILED:
                raise

    def reset_soft(self, email):
        _check_writable(self)
        self._call("UpdateItem", Key={"pk": _s("A#" + email)}, UpdateExpression="SET soft_count = :z REMOVE next_retry",
                   ExpressionAttributeValues={":z": {"N": "0"}})

    def mark_refused(self, email, error, when):
        _check_writable(self)
        self._call("UpdateItem", Key={"pk": _s("A#" + email)},
                   UpdateExpression="SET refused = :r, refused_at = :t, email = :e",
                   ExpressionAttributeValues={":r": _s(error), ":t": _n(when), ":e": _s(email)})

    def _scan(self, prefix, extra=None, values=None):
        params = {"FilterExpression": "begins_with(pk, :p)" + (" AND " + extra if extra else ""),
                  "ExpressionAttributeValues": dict({":p": _s(prefix)}, **(values or {}))}
        while True:
            page = self._call("Scan", **params)
            yield from page.get("Items", [])
            if not page.get("LastEvaluatedKey"):
                return
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def events_since(self, since):
        copies = {}
        for item in self._scan("C#"):
            key, channel = item["pk"]["S"][2:].rsplit("#", 1)
            copies.setdefault(key, {})[channel] = int(item["seen"]["N"])
        out = []
        for item in self._scan("E#", "recorded >= :s", {":s": _n(since)}):
            key = item["pk"]["S"][2:]
            out.append({"key": key, "email": item["email"]["S"], "class": item["cls"]["S"],
                        "sub_type": item.get("sub_type", {}).get("S"), "occurred": float(item["occurred"]["N"]),
                        "message_id": item.get("message_id", {}).get("S"), "recorded": float(item["recorded"]["N"]),
                        "detail": json.loads(item.get("detail", {}).get("S") or "{}"), "copies": copies.get(key, {})})
        return sorted(out, key=lambda e: (e["recorded"], e["key"]))

    @staticmethod
    def _times(item):
        values = ((item or {}).get("soft") or {}).get("SS") or []
        return sorted(float(v.split("|", 1)[0]) for v in values)

    def add_soft(self, email, key, occurred):
        _check_writable(self)
        out = self._call("UpdateItem", Key={"pk": _s("A#" + email)},
                         UpdateExpression="ADD soft :s SET email = :e",
                         ExpressionAttributeValues={":s": {"SS": ["%r|%s" % (float(occurred), key)]},
                                                    ":e": _s(email)},
                         ReturnValues="ALL_NEW")
        return self._times(out.get("Attributes"))

    def soft_times(self, email):
        return self._times(self._get("A#" + email))

    def get_address(self, email):
        item = self._get("A#" + email)
        if item is None:
            return None
        times = self._times(item)

        def num(name):
            return float(item[name]["N"]) if name in item else None

        return {"email": email, "soft_count": int(num("soft_count") if "soft_count" in item else len(times)),
                "next_retry": num("next_retry"), "last_delivery": num("last_delivery"),
                "suppressed_reason": item.get("suppressed_reason", {}).get("S"), "suppressed_at": num("suppressed_at"),
                "suppressed_via": item.get("suppressed_via", {}).get("S"), "refused": item.get("refused", {}).get("S")}

    def mark_suppressed(self, email, reason, when, via="api"):
        _check_writable(self)
        try:
            self._call("UpdateItem", Key={"pk": _s("A#" + email)},
                       UpdateExpression="SET suppressed_reason = :r, suppressed_at = :t, suppressed_via = :v, email = :e"
                                        " REMOVE refused, refused_at",
                       ConditionExpression="attribute_not_exists(suppressed_reason)",
                       ExpressionAttributeValues={":r": _s(reason), ":t": _n(when), ":v": _s(via), ":e": _s(email)})
            return True
        except AwsError as exc:
            if exc.code == CONDITION_FAILED:
                return False
            raise

    def set_retry(self, email, next_retry, soft_count):
        _check_writable(self)
        try:
            self._call("UpdateItem", Key={"pk": _s("A#" + email)},
                       UpdateExpression="SET next_retry = :t, soft_count = :n, email = :e",
                       ConditionExpression="attribute_not_exists(soft_count) OR soft_count <= :n",
                       ExpressionAttributeValues={":t": _n(next_retry), ":n": {"N": str(int(soft_count))},
                                                  ":e": _s(email)})
        except AwsError as exc:
            if exc.code != CONDITION_FAILED:
                raise

    def count_events(self):
        counts = {}
        for item in self._scan("E#"):
            cls = item["cls"]["S"]
            counts[cls] = counts.get(cls, 0) + 1
        return counts
