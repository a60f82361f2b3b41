# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared bounce history store: one DynamoDB table, conditional writes.

One table with a string hash key ``pk``:

* ``E#<event key>`` — one item per recipient event, written with ``attribute_not_exists(pk)``, so of several
  processors on several machines draining the same queue exactly one records a given event;
* ``A#<address>`` — the address: ``soft`` is a string set of ``"<time>|<event key>"`` grown with ``ADD``
  (idempotent and atomic, so concurrent soft bounces are never lost), ``next_retry`` / ``soft_count`` only move
  forward (``soft_count <= :n`` condition), ``suppressed_reason`` is set once.
"""

from __future__ import annotations

import time

from ansible_collections.deliverability.ses.plugins.module_utils.errors import AwsError
from ansible_collections.deliverability.ses.plugins.module_utils.aws import call
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
            if exc.code != "ResourceNotFoundException":
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
        try:
            self._call("PutItem", Item=item, ConditionExpression="attribute_not_exists(pk)")
            return True
        except AwsError as exc:
            if exc.code == CONDITION_FAILED:
                return False
            raise

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

        return {"email": email, "soft_count": int(num("soft_count") or len(times)), "next_retry": num("next_retry"),
                "suppressed_reason": item.get("suppressed_reason", {}).get("S"), "suppressed_at": num("suppressed_at")}

    def mark_suppressed(self, email, reason, when):
        _check_writable(self)
        try:
            self._call("UpdateItem", Key={"pk": _s("A#" + email)},
                       UpdateExpression="SET suppressed_reason = :r, suppressed_at = :t, email = :e",
                       ConditionExpression="attribute_not_exists(suppressed_reason)",
                       ExpressionAttributeValues={":r": _s(reason), ":t": _n(when), ":e": _s(email)})
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
        params = {"FilterExpression": "begins_with(pk, :p)", "ExpressionAttributeValues": {":p": _s("E#")},
                  "ProjectionExpression": "cls"}
        while True:
            page = self._call("Scan", **params)
            for item in page.get("Items", []):
                cls = item["cls"]["S"]
                counts[cls] = counts.get(cls, 0) + 1
            if not page.get("LastEvaluatedKey"):
                return counts
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
