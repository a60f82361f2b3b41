# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The account suppression list's recent entries in one listing (ListSuppressedDestinations from a date): what
the bounce processor reads once per run instead of one GetSuppressedDestination per hard bounce or complaint."""

from __future__ import annotations

import datetime

from ansible_collections.deliverability.ses.plugins.module_utils.aws import call

PAGE_SIZE = 1000


def address_key(email):
    """SES compares the domain part without case; the local part is kept as written."""
    local, sep, domain = (email or "").rpartition("@")
    return "%s%s%s" % (local, sep, domain.lower()) if sep else (email or "")


def list_recent(client, since, max_pages, caller=call, tenant=None):
    """({address_key: reason} of every entry added or updated since the epoch ``since``, complete): ``complete`` is
    False when more than ``max_pages`` pages were there (the caller then trusts only what it found). With
    ``tenant``, that tenant's own suppression list (TenantName). AwsError as :func:`aws.call` raises it."""
    reasons, token = {}, None
    start = datetime.datetime.fromtimestamp(max(0.0, since), datetime.timezone.utc)
    for _page in range(max_pages):
        params = {"StartDate": start, "PageSize": PAGE_SIZE}
        if tenant:
            params["TenantName"] = tenant
        if token:
            params["NextToken"] = token
        page = caller(client, "ListSuppressedDestinations", **params)
        for item in page.get("SuppressedDestinationSummaries") or []:
            if item.get("EmailAddress") and item.get("Reason"):
                reasons[address_key(item["EmailAddress"])] = item["Reason"]
        token = page.get("NextToken")
        if not token:
            return reasons, True
    return reasons, False
