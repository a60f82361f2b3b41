"""The DynamoDB stores (bounce history, DMARC evidence) against recorded DynamoDB responses, no network.

A real boto3 client with botocore's Stubber: each call must be the next recorded one with exactly its parameters
(conditions included: they are the idempotency contract between machines), requests and responses are checked
against botocore's DynamoDB model. ``ANY`` stands only for wall-clock times.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import ANY, Stubber

from ansible_collections.deliverability.ses.plugins.module_utils.errors import AwsError
from ansible_collections.deliverability.ses.plugins.module_utils.store.base import StoreError
from ansible_collections.deliverability.ses.plugins.module_utils.store.dynamodb import DynamoDbStore
from ansible_collections.deliverability.ses.plugins.module_utils.store.evidence import (
    DynamoDbEvidenceStore, EvidenceStoreError)

TABLE = "bounce-history"


@pytest.fixture
def ddb():
    client = boto3.client("dynamodb", region_name="eu-west-1", aws_access_key_id="AKIDEXAMPLE",
                          aws_secret_access_key="secret")
    stubber = Stubber(client)
    stubber.activate()
    yield client, stubber
    stubber.assert_no_pending_responses()
    stubber.deactivate()


def condition_failed(stub, method):
    stub.add_client_error(method, service_error_code="ConditionalCheckFailedException",
                          service_message="The conditional request failed", http_status_code=400)


EVENT = {"key": "bounce:m1:a@x.test", "email": "a@x.test", "class": "hard", "sub_type": "General",
         "occurred": 1700000000, "message_id": "m1", "detail": {"reason": "550"}}
EVENT_ITEM = {"pk": {"S": "E#bounce:m1:a@x.test"}, "email": {"S": "a@x.test"}, "cls": {"S": "hard"},
              "occurred": {"N": "1700000000.0"}, "recorded": ANY, "sub_type": {"S": "General"},
              "message_id": {"S": "m1"}, "detail": {"S": '{"reason": "550"}'}}


# ------------------------------------------------------------------------------------------------- bounce history
def test_an_event_is_put_once_under_a_condition(ddb):
    client, stub = ddb
    params = {"TableName": TABLE, "Item": EVENT_ITEM, "ConditionExpression": "attribute_not_exists(pk)"}
    stub.add_response("put_item", {}, params)
    condition_failed(stub, "put_item")  # another processor recorded it first
    stub.add_client_error("put_item", service_error_code="ProvisionedThroughputExceededException",
                          service_message="slow down", http_status_code=400)
    store = DynamoDbStore(client, TABLE)
    assert store.add_event(EVENT) is True
    assert store.add_event(EVENT) is False
    with pytest.raises(AwsError) as err:  # any other failure is not taken for "already there"
        store.add_event(EVENT)
    assert err.value.code == "ProvisionedThroughputExceededException" and err.value.operation == "PutItem"
    assert store.calls == 3


def test_copies_count_atomically_and_soft_bounces_are_a_set(ddb):
    client, stub = ddb
    stub.add_response("update_item", {"Attributes": {"seen": {"N": "2"}}},
                      {"TableName": TABLE, "Key": {"pk": {"S": "C#bounce:m1:a@x.test#notification"}},
                       "UpdateExpression": "ADD seen :one", "ExpressionAttributeValues": {":one": {"N": "1"}},
                       "ReturnValues": "UPDATED_NEW"})
    stub.add_response("update_item", {"Attributes": {"pk": {"S": "A#a@x.test"}, "soft": {"SS": [
        "300.0|bounce:m3:a@x.test", "100.0|bounce:m1:a@x.test"]}}},
        {"TableName": TABLE, "Key": {"pk": {"S": "A#a@x.test"}}, "UpdateExpression": "ADD soft :s SET email = :e",
         "ExpressionAttributeValues": {":s": {"SS": ["300.0|bounce:m3:a@x.test"]}, ":e": {"S": "a@x.test"}},
         "ReturnValues": "ALL_NEW"})
    store = DynamoDbStore(client, TABLE)
    assert store.add_copy("bounce:m1:a@x.test", "notification") == 2
    assert store.add_soft("a@x.test", "bounce:m3:a@x.test", 300) == [100.0, 300.0]


def test_conditions_that_fail_mean_someone_was_first_not_an_error(ddb):
    client, stub = ddb
    stub.add_response("update_item", {}, {
        "TableName": TABLE, "Key": {"pk": {"S": "A#a@x.test"}},
        "UpdateExpression": "SET suppressed_reason = :r, suppressed_at = :t, suppressed_via = :v, email = :e"
                            " REMOVE refused, refused_at",
        "ConditionExpression": "attribute_not_exists(suppressed_reason)",
        "ExpressionAttributeValues": {":r": {"S": "BOUNCE"}, ":t": {"N": "20.0"}, ":v": {"S": "api"},
                                      ":e": {"S": "a@x.test"}}})
    condition_failed(stub, "update_item")  # mark_suppressed again
    condition_failed(stub, "update_item")  # set_retry from an older view
    condition_failed(stub, "update_item")  # add_delivery older than the one stored
    store = DynamoDbStore(client, TABLE)
    assert store.mark_suppressed("a@x.test", "BOUNCE", 20) is True
    assert store.mark_suppressed("a@x.test", "BOUNCE", 30) is False
    store.set_retry("a@x.test", 500, 1)
    store.add_delivery("a@x.test", 10)


def test_an_address_item_reads_back_as_the_interface_says(ddb):
    client, stub = ddb
    stub.add_response("get_item", {"Item": {"pk": {"S": "A#a@x.test"}, "email": {"S": "a@x.test"},
                                            "soft": {"SS": ["5.0|k2", "1.0|k1"]}, "next_retry": {"N": "900.0"},
                                            "suppressed_reason": {"S": "BOUNCE"}, "suppressed_at": {"N": "7.0"},
                                            "suppressed_via": {"S": "account"}}},
                      {"TableName": TABLE, "Key": {"pk": {"S": "A#a@x.test"}}, "ConsistentRead": True})
    stub.add_response("get_item", {}, {"TableName": TABLE, "Key": {"pk": {"S": "A#b@x.test"}}, "ConsistentRead": True})
    store = DynamoDbStore(client, TABLE)
    assert store.get_address("a@x.test") == {
        "email": "a@x.test", "soft_count": 2, "next_retry": 900.0, "last_delivery": None,
        "suppressed_reason": "BOUNCE", "suppressed_at": 7.0, "suppressed_via": "account", "refused": None}
    assert store.get_address("b@x.test") is None


def test_events_since_reads_every_page_with_copies_oldest_first(ddb):
    client, stub = ddb
    copies = {"TableName": TABLE, "FilterExpression": "begins_with(pk, :p)",
              "ExpressionAttributeValues": {":p": {"S": "C#"}}}
    # an address may hold '#', a configuration set name may not: the channel is after the last '#'
    stub.add_response("scan", {"Items": [{"pk": {"S": "C#bounce:m2:b#1@x.test#event:cs-1"}, "seen": {"N": "3"}}]},
                      copies)
    events = {"TableName": TABLE, "FilterExpression": "begins_with(pk, :p) AND recorded >= :s",
              "ExpressionAttributeValues": {":p": {"S": "E#"}, ":s": {"N": "100.0"}}}
    later = dict(EVENT_ITEM, pk={"S": "E#bounce:m2:b#1@x.test"}, email={"S": "b#1@x.test"}, recorded={"N": "300.0"})
    stub.add_response("scan", {"Items": [later], "LastEvaluatedKey": {"pk": {"S": "E#bounce:m2:b#1@x.test"}}}, events)
    stub.add_response("scan", {"Items": [dict(EVENT_ITEM, recorded={"N": "200.0"})]},
                      dict(events, ExclusiveStartKey={"pk": {"S": "E#bounce:m2:b#1@x.test"}}))
    got = DynamoDbStore(client, TABLE).events_since(100)
    oldest_first = [("bounce:m1:a@x.test", 200.0), ("bounce:m2:b#1@x.test", 300.0)]
    assert [(e["key"], e["recorded"]) for e in got] == oldest_first
    assert got[1]["copies"] == {"event:cs-1": 3} and got[0]["copies"] == {}
    assert got[0]["detail"] == {"reason": "550"} and got[1]["email"] == "b#1@x.test"


def test_a_read_only_store_refuses_writes_before_calling_aws(ddb):
    client, stub = ddb  # nothing recorded: any call fails the Stubber
    store = DynamoDbStore(client, TABLE, read_only=True)
    for write in (lambda: store.add_event(EVENT), lambda: store.add_copy("k", "c"), lambda: store.add_soft("a", "k", 1),
                  lambda: store.mark_suppressed("a", "BOUNCE", 1), lambda: store.set_retry("a", 1, 1)):
        with pytest.raises(StoreError):
            write()
    assert store.calls == 0


def test_a_missing_table_is_created_only_when_asked(ddb):
    client, stub = ddb
    stub.add_client_error("describe_table", service_error_code="ResourceNotFoundException",
                          service_message="Requested resource not found", http_status_code=400,
                          expected_params={"TableName": TABLE})
    assert DynamoDbStore(client, TABLE).ensure_table(create=False) is False


# ------------------------------------------------------------------------------------------------- evidence
EV_TABLE = "dmarc-evidence"
META = {"org": "google.com", "report_id": "r1", "domain": "example.test", "day": "2026-01-10", "messages": 10,
        "records": 1}
ROW = {"day": "2026-01-10", "org": "google.com", "policy": "none|", "source_ip": "192.0.2.1", "source_host": "",
       "dkim_domain": "example.test", "spf_domain": "amazonses.com", "messages": 10, "dmarc_pass": 10,
       "dkim_aligned": 10, "spf_aligned": 10, "quarantined": 0, "rejected": 0, "reporter": "google.com",
       "trust": "authenticated"}
PACKED = '[["google.com","none|","192.0.2.1","","example.test","amazonses.com",10,10,10,10,0,0,"google.com",' \
         '"authenticated"]]'
REPORT_ITEM = {"pk": {"S": "D#example.test"}, "sk": {"S": "2026-01-10#google.com#r1"}, "rows": {"S": PACKED},
               "messages": {"N": "10"}, "ingested": ANY}
MARKER = {"pk": {"S": "R#google.com#r1"}, "sk": {"S": "-"}, "domain": {"S": "example.test"},
          "day": {"S": "2026-01-10"}, "digest": {"S": ""}}


def stored(sk):
    """A report item as GetItem / Query return it."""
    return {"pk": {"S": "D#example.test"}, "sk": {"S": sk}, "rows": {"S": PACKED}, "messages": {"N": "10"},
            "ingested": {"N": "1768000000.5"}}


def put(item):
    return {"TableName": EV_TABLE, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}


def test_a_report_is_one_conditional_item_then_its_marker(ddb):
    client, stub = ddb
    stub.add_response("put_item", {}, put(REPORT_ITEM))
    stub.add_response("put_item", {}, put(MARKER))
    assert DynamoDbEvidenceStore(client, EV_TABLE).add_report(META, [ROW]) is True


def test_after_a_crash_between_rows_and_marker_the_next_run_counts_nothing_twice_and_writes_the_marker(ddb):
    client, stub = ddb
    condition_failed(stub, "put_item")  # the rows are there from the crashed run
    stub.add_response("put_item", {}, put(MARKER))  # the marker was not: written now
    assert DynamoDbEvidenceStore(client, EV_TABLE).add_report(META, [ROW]) is False


def test_a_report_already_complete_adds_nothing(ddb):
    client, stub = ddb
    condition_failed(stub, "put_item")
    condition_failed(stub, "put_item")
    assert DynamoDbEvidenceStore(client, EV_TABLE).add_report(META, [ROW]) is False


def test_a_report_too_big_for_one_item_is_refused_before_any_write(ddb):
    client, stub = ddb
    rows = [dict(ROW, source_ip="10.%d.%d.%d" % (i // 65536, i // 256 % 256, i % 256)) for i in range(8000)]
    store = DynamoDbEvidenceStore(client, EV_TABLE)
    with pytest.raises(EvidenceStoreError) as err:
        store.add_report(META, rows)
    assert "too many distinct rows for one DynamoDB item" in str(err.value) and store.calls == 0


def test_rows_of_a_window_by_one_paged_query(ddb):
    client, stub = ddb
    query = {"TableName": EV_TABLE, "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
             "ConsistentRead": True, "ExpressionAttributeValues": {":p": {"S": "D#example.test"},
                                                                   ":a": {"S": "2026-01-10"},
                                                                   ":b": {"S": "2026-01-11#\uffff"}}}
    page_key = {"pk": {"S": "D#example.test"}, "sk": {"S": "2026-01-10#google.com#r1"}}
    stub.add_response("query", {"Items": [stored("2026-01-10#google.com#r1")], "LastEvaluatedKey": page_key},
                      query)
    stub.add_response("query", {"Items": [stored("2026-01-11#yahoo.com#9")]},
                      dict(query, ExclusiveStartKey=page_key))
    rows = DynamoDbEvidenceStore(client, EV_TABLE).rows("example.test", "2026-01-10", "2026-01-11")
    assert [r["day"] for r in rows] == ["2026-01-10", "2026-01-11"]
    assert rows[0] == ROW


def test_other_aws_failures_name_the_table(ddb):
    client, stub = ddb
    stub.add_client_error("get_item", service_error_code="AccessDeniedException",
                          service_message="not authorized to perform dynamodb:GetItem", http_status_code=400)
    with pytest.raises(EvidenceStoreError) as err:
        DynamoDbEvidenceStore(client, EV_TABLE).has_report("google.com", "r1")
    assert "evidence table dmarc-evidence" in str(err.value) and "AccessDeniedException" in str(err.value)


def test_a_read_only_evidence_store_refuses_writes_before_calling_aws(ddb):
    client, stub = ddb
    store = DynamoDbEvidenceStore(client, EV_TABLE, read_only=True)
    with pytest.raises(EvidenceStoreError):
        store.add_report(META, [ROW])
    with pytest.raises(EvidenceStoreError):
        store.mark_source("sha256:aa", "a.xml", "ingested")
    assert store.calls == 0
