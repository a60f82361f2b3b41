"""sesv2 write helpers with a fake client: order, key placeholder, consistency retries, refusals, polling."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from ansible_collections.deliverability.ses.plugins.module_utils.ses import identities as sesv2
from ansible_collections.deliverability.ses.plugins.module_utils.aws import AwsError, DeliverabilityError


class FakeClient:
    def __init__(self, failures=None):
        self.calls = []
        self.failures = dict(failures or {})  # operation -> list of (code, message) to raise first

    def __getattr__(self, attr):
        def method(**params):
            self.calls.append((attr, params))
            queue = self.failures.get(attr) or []
            if queue:
                code, message = queue.pop(0)
                raise ClientError({"Error": {"Code": code, "Message": message}}, attr)
            return {}
        return method


def test_apply_fills_the_key_only_in_the_call():
    client = FakeClient()
    actions = [("CreateEmailIdentity", {"EmailIdentity": "example.com", "DkimSigningAttributes": {
        "DomainSigningSelector": "s1", "DomainSigningPrivateKey": sesv2.PRIVATE_KEY_PLACEHOLDER}})]
    applied = sesv2.apply_actions(client, actions, private_key="REALKEY")
    assert applied == ["CreateEmailIdentity"]
    assert client.calls[0][1]["DkimSigningAttributes"]["DomainSigningPrivateKey"] == "REALKEY"
    assert actions[0][1]["DkimSigningAttributes"]["DomainSigningPrivateKey"] == "<private_key>"


def test_calls_after_a_create_retry_not_found():
    client = FakeClient({"put_email_identity_feedback_attributes": [("NotFoundException", "not yet")] * 2})
    actions = [("CreateEmailIdentity", {"EmailIdentity": "x.com"}),
               ("PutEmailIdentityFeedbackAttributes", {"EmailIdentity": "x.com", "EmailForwardingEnabled": False})]
    assert sesv2.apply_actions(client, actions) == ["CreateEmailIdentity", "PutEmailIdentityFeedbackAttributes"]
    assert [c[0] for c in client.calls].count("put_email_identity_feedback_attributes") == 3


def test_not_found_without_a_create_is_not_retried():
    client = FakeClient({"put_email_identity_feedback_attributes": [("NotFoundException", "gone")]})
    applied = []
    with pytest.raises(AwsError) as err:
        sesv2.apply_actions(client, [("PutEmailIdentityFeedbackAttributes", {"EmailIdentity": "x.com"})],
                            applied=applied)
    assert err.value.code == "NotFoundException" and applied == []


def test_tag_calls_get_the_arn():
    client = FakeClient()
    sesv2.apply_actions(client, [("TagResource", {"Tags": []})], arn=lambda: "arn:aws:ses:r:1:identity/x")
    assert client.calls[0][1]["ResourceArn"] == "arn:aws:ses:r:1:identity/x"


def test_once_a_day_refusal_is_explained():
    msg = "You can change the DKIM signing key length of <x.com> only once every 86400 seconds"
    client = FakeClient({"put_email_identity_dkim_signing_attributes": [("BadRequestException", msg)]})
    with pytest.raises(DeliverabilityError) as err:
        sesv2.apply_actions(client, [("PutEmailIdentityDkimSigningAttributes", {
            "EmailIdentity": "x.com", "SigningAttributesOrigin": "AWS_SES",
            "SigningAttributes": {"NextSigningKeyLength": "RSA_1024_BIT"}})])
    assert err.value.msg.startswith("dkim.key_length: SES refused to change the DKIM key length of x.com to "
                                    "RSA_1024_BIT")
    assert err.value.details["error_code"] == "BadRequestException"


def test_other_errors_pass_through():
    client = FakeClient({"put_email_identity_dkim_signing_attributes": [("BadRequestException", "bad selector")]})
    with pytest.raises(AwsError) as err:
        sesv2.apply_actions(client, [("PutEmailIdentityDkimSigningAttributes", {
            "EmailIdentity": "x.com", "SigningAttributesOrigin": "EXTERNAL", "SigningAttributes": {}})])
    assert err.value.operation == "PutEmailIdentityDkimSigningAttributes"


def test_poll_backs_off_and_times_out():
    values = iter(["PENDING", "PENDING", "SUCCESS"])
    slept = []
    value, ok = sesv2.poll(lambda: next(values), lambda v: v == "SUCCESS", 60, sleep=slept.append)
    assert (value, ok) == ("SUCCESS", True) and len(slept) == 2
    value, ok = sesv2.poll(lambda: "PENDING", lambda v: False, 0, sleep=slept.append)
    assert (value, ok) == ("PENDING", False)


def test_notification_attributes_shape():
    class V1:
        def get_identity_notification_attributes(self, Identities):
            return {"NotificationAttributes": {"x.com": {
                "BounceTopic": "arn:b", "HeadersInBounceNotificationsEnabled": True,
                "HeadersInComplaintNotificationsEnabled": False}}}
    assert sesv2.get_notification_attributes(V1(), "x.com") == {
        "bounce": {"topic": "arn:b", "include_headers": True},
        "complaint": {"topic": None, "include_headers": False},
        "delivery": {"topic": None, "include_headers": False}}
    assert sesv2.get_notification_attributes(V1(), "other.com") is None
