"""Small in-memory stand-ins for the boto3 clients the processor uses (no network, deterministic)."""

from __future__ import annotations

import itertools


class FakeSes:
    """``suppressed`` is the account's list (pre-fill it for what SES listed itself); ``refuse`` holds addresses
    for which PutSuppressedDestination is refused for good (BadRequestException)."""

    def __init__(self, reasons=("BOUNCE", "COMPLAINT"), fail_put=False, suppressed=None, refuse=()):
        self.reasons = list(reasons)
        self.calls = []
        self.suppressed = dict(suppressed or {})
        self.fail_put = fail_put
        self.refuse = set(refuse)

    def get_suppressed_destination(self, EmailAddress):
        self.calls.append(("GetSuppressedDestination", {"EmailAddress": EmailAddress}))
        if EmailAddress not in self.suppressed:
            from botocore.exceptions import ClientError
            raise ClientError({"Error": {"Code": "NotFoundException", "Message": "not on the list"}},
                              "GetSuppressedDestination")
        return {"SuppressedDestination": {"EmailAddress": EmailAddress, "Reason": self.suppressed[EmailAddress]}}

    def list_suppressed_destinations(self, **kw):
        """One page of everything listed (the stand-in keeps no dates: every entry is recent); ``list_error`` makes
        it fail as a policy without ses:ListSuppressedDestinations would."""
        self.calls.append(("ListSuppressedDestinations", kw))
        if getattr(self, "list_error", None):
            from botocore.exceptions import ClientError
            raise ClientError({"Error": {"Code": self.list_error, "Message": "not allowed"}},
                              "ListSuppressedDestinations")
        return {"SuppressedDestinationSummaries": [{"EmailAddress": e, "Reason": r}
                                                   for e, r in sorted(self.suppressed.items())]}

    def get_account(self):
        self.calls.append(("GetAccount", {}))
        return {"SuppressionAttributes": {"SuppressedReasons": self.reasons}}

    def get_configuration_set(self, ConfigurationSetName):
        self.calls.append(("GetConfigurationSet", {"name": ConfigurationSetName}))
        sets = getattr(self, "sets", {})
        if ConfigurationSetName not in sets:
            from botocore.exceptions import ClientError
            raise ClientError({"Error": {"Code": "NotFoundException", "Message": "no such set"}}, "GetConfigurationSet")
        return sets[ConfigurationSetName]

    def put_suppressed_destination(self, **kw):
        self.calls.append(("PutSuppressedDestination", kw))
        if self.fail_put:
            from botocore.exceptions import ClientError
            raise ClientError({"Error": {"Code": "TooManyRequestsException", "Message": "slow down"}},
                              "PutSuppressedDestination")
        if kw["EmailAddress"] in self.refuse:
            from botocore.exceptions import ClientError
            raise ClientError({"Error": {"Code": "BadRequestException", "Message": "Invalid email address"}},
                              "PutSuppressedDestination")
        self.suppressed[kw["EmailAddress"]] = kw["Reason"]
        return {}


class FakeSqs:
    """A queue with visibility: received messages are hidden until deleted (or forever, in these tests)."""

    def __init__(self, bodies=(), fail_delete=False):
        self.ids = itertools.count(1)
        self.queues = {"main": [], "dlq": []}
        self.hidden = set()
        self.calls = []
        self.fail_delete = fail_delete
        for body in bodies:
            self.add(body)

    def add(self, body, queue="main"):
        n = next(self.ids)
        self.queues[queue].append({"MessageId": "m%d" % n, "ReceiptHandle": "r%d" % n, "Body": body})

    def get_queue_attributes(self, QueueUrl, AttributeNames):
        self.calls.append(("GetQueueAttributes", {"QueueUrl": QueueUrl}))
        visible = [m for m in self.queues[QueueUrl] if m["MessageId"] not in self.hidden]
        return {"Attributes": {"ApproximateNumberOfMessages": str(len(visible)),
                               "ApproximateNumberOfMessagesNotVisible": str(len(self.queues[QueueUrl]) - len(visible)),
                               "ApproximateNumberOfMessagesDelayed": "0"}}

    def receive_message(self, QueueUrl, MaxNumberOfMessages=1, VisibilityTimeout=None, **kw):
        self.calls.append(("ReceiveMessage", dict(kw, VisibilityTimeout=VisibilityTimeout,
                                                  MaxNumberOfMessages=MaxNumberOfMessages)))
        visible = [m for m in self.queues[QueueUrl] if m["MessageId"] not in self.hidden][:MaxNumberOfMessages]
        if VisibilityTimeout != 0:
            self.hidden.update(m["MessageId"] for m in visible)
        return {"Messages": [dict(m) for m in visible]} if visible else {}

    def delete_message_batch(self, QueueUrl, Entries):
        self.calls.append(("DeleteMessageBatch", {"n": len(Entries)}))
        if self.fail_delete:
            return {"Successful": [], "Failed": [{"Id": e["Id"], "Code": "X", "Message": "no", "SenderFault": False}
                                                 for e in Entries]}
        handles = {e["ReceiptHandle"] for e in Entries}
        self.queues[QueueUrl] = [m for m in self.queues[QueueUrl] if m["ReceiptHandle"] not in handles]
        return {"Successful": [{"Id": e["Id"]} for e in Entries]}

    def send_message_batch(self, QueueUrl, Entries):
        self.calls.append(("SendMessageBatch", {"n": len(Entries)}))
        for e in Entries:
            self.add(e["MessageBody"], QueueUrl)
        return {"Successful": [{"Id": e["Id"]} for e in Entries]}

    def count(self, op):
        return sum(1 for c in self.calls if c[0] == op)
