"""One listing of the suppression list's recent entries (issue 24)."""

from __future__ import annotations

from ansible_collections.deliverability.ses.plugins.module_utils.ses import recent_suppressions as rs


class Pages:
    def __init__(self, pages):
        self.pages, self.calls = pages, []

    def list_suppressed_destinations(self, **params):
        self.calls.append(params)
        return self.pages[len(self.calls) - 1]


def _page(entries, token=None):
    out = {"SuppressedDestinationSummaries": [{"EmailAddress": e, "Reason": r} for e, r in entries]}
    if token:
        out["NextToken"] = token
    return out


def test_every_page_is_read_and_the_domain_part_compared_without_case():
    client = Pages([_page([("A@X.Test", "BOUNCE")], "t1"), _page([("b@y.test", "COMPLAINT")])])
    reasons, complete = rs.list_recent(client, 1_800_000_000.0, 5)
    assert complete is True and reasons == {"A@x.test": "BOUNCE", "b@y.test": "COMPLAINT"}
    assert client.calls[1]["NextToken"] == "t1" and client.calls[0]["PageSize"] == 1000
    assert client.calls[0]["StartDate"].timestamp() == 1_800_000_000.0
    assert rs.address_key("A@X.Test") == rs.address_key("A@x.test") != rs.address_key("a@x.test")


def test_a_listing_longer_than_the_page_limit_is_marked_incomplete():
    client = Pages([_page([("a@x.test", "BOUNCE")], "t1"), _page([("b@x.test", "BOUNCE")], "t2")])
    reasons, complete = rs.list_recent(client, 0.0, 2)
    assert complete is False and set(reasons) == {"a@x.test", "b@x.test"} and len(client.calls) == 2
