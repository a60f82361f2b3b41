# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounce and complaint processing: what to do with each classified recipient, and draining SQS safely.

One event, one identity: ``<kind>:<SES message id>:<recipient>`` (see ``notifications.event_key``). The same bounce
or complaint can arrive twice - as the identity's notification and as its configuration set's event - and
SQS can deliver either copy again: the store records the event once and counts each copy (``channel``), so a
report says "received by both channels" and "redelivered" for what they are.

The suppression rule does not depend on which copy arrives first: an address that hard-bounced or complained must
be on the account's suppression list *with that reason*. The processor asks SES (``GetSuppressedDestination``):
when SES listed it itself (the account's or the configuration set's suppression covered the reason) nothing is
written (``via: account``); otherwise it calls ``PutSuppressedDestination`` (``via: api``) - the latest event's
reason wins, as when SES lists an address itself. An identity notification does not name the configuration set,
so "the account list covers it" is never assumed from the account's settings: it is read back.

Order of work for one recipient, chosen so that a crash anywhere leaves a redelivered message harmless:

* every event: count the copy -> record the event (insert-if-absent);
* hard bounce / complaint: check the list and suppress when needed -> mark the address suppressed in the store
  (skipped when this event was handled before and the store says the address is suppressed); a permanent refusal
  by SES (bad request, validation) is recorded and reported, the others recipients are handled anyway, and the
  message is not kept for a redelivery that would be refused again;
* soft bounce: add it to the address's soft bounces (idempotent) -> count those within the window *and after the
  address's latest delivery* -> escalate to suppression at the threshold, otherwise compute the next retry
  (exponential back-off with deterministic jitter, so a rerun computes the same time) and store it;
* delivery: the address's latest delivery moves forward; a delivery resets the soft-bounce count (soft bounces
  before it no longer count toward escalation), whatever order the delivery and the bounces are handled in.

A run's summary counts only *new* events. Reports are built from the store for a time window
(:func:`build_report`), so what a killed run handled is reported by the next one. An SQS message is deleted only
after every one of its recipients was handled or refused for good; a message that cannot be parsed goes to the
dead-letter queue or the quarantine file before it is deleted, or stays in the queue when neither is configured.
Check mode receives nothing (every ReceiveMessage counts toward the queue's maxReceiveCount, even with a
visibility timeout of 0): it reads the queue depth.
"""

from __future__ import annotations

import hashlib
import time

from ansible_collections.deliverability.ses.plugins.module_utils.aws import call, get_or_none
from ansible_collections.deliverability.ses.plugins.module_utils.errors import AwsError
from ansible_collections.deliverability.ses.plugins.module_utils.formats.bounce_report import render_report
from ansible_collections.deliverability.ses.plugins.module_utils.formats.notifications import CLASSES, channel_of
from ansible_collections.deliverability.ses.plugins.module_utils.runners.bounce_regions import (
    suppress_in_other_regions, suppressed_elsewhere)
from ansible_collections.deliverability.ses.plugins.module_utils.runners.bounce_tenants import NO_TENANT
from ansible_collections.deliverability.ses.plugins.module_utils.runners.bounce_paths import write_file
from ansible_collections.deliverability.ses.plugins.module_utils.ses.recent_suppressions import address_key, list_recent
from ansible_collections.deliverability.ses.plugins.module_utils.policy.bounces import (
    CLASS_LABELS, CONTROL, PERMANENT_CODES, RANK, REASON_OF, iso, parse_time, suppression_action)


# the run's listing of the suppression list starts this long before the first suppressible event, reads at most
# this many pages of 1,000, and is read again for a newer event at most this often
LISTING_LOOKBACK = 86400.0
LISTING_MAX_PAGES = 5
LISTING_REFRESH = 30.0
# the classes whose handling depends on the tenant's list: a failed tenant read keeps their message
TENANT_NEEDED = ("hard", "complaint", "soft")


def _with_tenant(entry, tenant):
    """A result entry with the event's tenant, when it has one (entries without a tenant keep their old shape)."""
    if tenant:
        entry["tenant"] = tenant
    return entry


class Processor:
    """Applies the policy to classified notifications; collects the run's summary.

    ``sesv2`` is a boto3 sesv2 client (or None when nothing may be suppressed through the API);
    ``check_mode`` makes no write of any kind and reports what would be done.
    """

    def __init__(self, store, policy, sesv2=None, check_mode=False, now=time.time, other_regions=None,
                 tenants=None):
        self.store = store
        # runners/bounce_tenants.TenantResolver, or None: every event in the account's list, as before tenants
        self.tenants = tenants
        self.by_tenant = {}
        # {region: sesv2 client}: where else a hard bounce or complaint is suppressed (runners/bounce_regions.py)
        self.other_regions = other_regions or {}
        self.region_outcomes = {}
        self.region_lists = {}  # {email: {region: "tenant:<name>"}} where another region used a tenant list
        self.policy = policy
        self.sesv2 = sesv2
        self.check_mode = check_mode
        self.now = now
        self.api_calls = {}
        self.counts = dict((c, 0) for c in CLASSES)
        self.sub_types = {}
        self.kinds = {}
        self.new_events = 0
        self.redelivered = 0
        self.cross_channel = 0
        self.suppressed = {}
        self.simulator = {}
        self.refused = {}
        self.escalated = []
        self.retry = {}
        self.review = []
        self.delays = []
        self.remove = set()
        self.sns_control = []
        self.writes = 0
        self.suppression_writes = 0
        self._listings = {}  # tenant (None: the account) -> the run's listing of that suppression list
        self.suppressible = set()  # keys of the hard bounce / complaint / escalation events handled

    # ------------------------------------------------------------------ AWS
    def _call(self, client, operation, **params):
        self.api_calls[operation] = self.api_calls.get(operation, 0) + 1
        return call(client, operation, **params)

    def listed_reason(self, email, occurred=None, tenant=None):
        """The reason the account's suppression list (with ``tenant``, that tenant's own list) has for ``email``,
        or None.

        One listing of the list's recent entries (ListSuppressedDestinations, from a day before the run's first
        suppressible event until the listing starts) answers for every event of the run that happened inside that
        window: an address SES listed because of the event is in it. Only an event outside the window (older, or
        newer than the listing), or a listing that could not be read whole, is asked about on its own
        (GetSuppressedDestination)."""
        if self.sesv2 is None:
            return None
        listing = self._listing_for(occurred, tenant)
        if listing is not None:
            key = address_key(email)
            if key in listing["reasons"]:
                return listing["reasons"][key]
            if listing["complete"] and occurred is not None and listing["start"] <= occurred <= listing["at"]:
                return None
        params = {"TenantName": tenant} if tenant else {}
        got = get_or_none(self.sesv2, "GetSuppressedDestination", caller=self._call, EmailAddress=email, **params)
        return None if got is None else (got.get("SuppressedDestination") or {}).get("Reason")

    def _listing_for(self, occurred, tenant=None):
        """The run's listing of recently suppressed addresses, read at the first need (and read again for an event
        newer than it, at most every LISTING_REFRESH seconds); None when it cannot be read (the caller asks per
        address, as before: a policy without ses:ListSuppressedDestinations keeps working)."""
        listing = self._listings.get(tenant)
        if listing is False or occurred is None:
            return listing or None
        if listing is not None and (occurred <= listing["at"] or self.now() - listing["at"] < LISTING_REFRESH):
            return listing
        at = self.now()
        since = occurred - LISTING_LOOKBACK if listing is None else listing["at"] - 60
        try:
            reasons, complete = list_recent(self.sesv2, since, LISTING_MAX_PAGES, caller=self._call, tenant=tenant)
        except AwsError:
            if listing is None:
                self._listings[tenant] = False  # not allowed or not answering: ask per address for the rest of the run
            return listing
        if listing is not None:
            reasons = dict(listing["reasons"], **reasons)
            complete, since = complete and listing["complete"], listing["start"]
        self._listings[tenant] = {"start": since, "at": at, "complete": complete, "reasons": reasons}
        return self._listings[tenant]

    # ------------------------------------------------------------------ one notification
    def handle(self, note):
        """Handle every recipient of one *valid* classified notification, each on its own. Raises the first
        retryable error (AwsError / store error) after trying all of them: the caller then keeps the message for
        redelivery, which is harmless for the recipients already handled."""
        kind = note.get("kind")
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        if kind in CONTROL:
            self._control(note)
            return
        occurred = parse_time(note.get("timestamp"), self.now())
        channel = channel_of(note)
        tenant = (None, None, None)
        if self.tenants is not None and note.get("recipients"):
            try:
                tenant = self.tenants.resolve(note) + (None,)
            except AwsError as exc:
                tenant = (None, None, exc)  # could not look: its bounces and complaints wait for a redelivery
        failures = []
        for rec in note.get("recipients") or []:
            try:
                self._recipient(note, rec, occurred, channel, tenant)
            except Exception as exc:  # noqa: BLE001 - AWS and store errors alike keep the message; others go on
                failures.append(exc)
        if failures:
            raise failures[0]

    def _control(self, note):
        """An SNS subscription/unsubscribe confirmation: SNS waits for someone to visit SubscribeURL. Stored, so
        every report lists it until it is older than the report's window; returned in the summary."""
        ident = note.get("sns_message_id") or hashlib.sha256(
            (note.get("subscribe_url") or "").encode("utf-8")).hexdigest()[:32]
        item = {"type": note.get("type"), "topic_arn": note.get("topic_arn"),
                "subscribe_url": note.get("subscribe_url"), "sns_message_id": note.get("sns_message_id")}
        event = {"key": "sns:%s" % ident, "email": "", "class": "sns_control", "sub_type": note.get("type"),
                 "occurred": parse_time(note.get("sns_timestamp"), self.now()), "message_id": ident,
                 "detail": item}
        if not self.check_mode:
            self.store.add_copy(event["key"], "sns")
            if self.store.add_event(event):
                self.writes += 1
        self.sns_control.append(item)

    def _record(self, note, rec, occurred, channel, tenant=None, source=None):
        """Count this copy, then insert the event. Returns "new", "redelivered" (this copy was received before) or
        "other_channel" (the event is known from the other channel's copy)."""
        detail = {"reason": rec.get("reason"), "channel": channel, "simulator": bool(rec.get("simulator"))}
        if tenant:
            detail.update(tenant=tenant, tenant_source=source)
        for name in ("configuration_set",):
            if note.get(name):
                detail[name] = note[name]
        if rec["class"] == "delivery_delay":
            detail.update(delay_type=rec.get("sub_type"), expiration_time=rec.get("expiration_time"))
        if rec["class"] in ("undetermined", "unknown"):
            detail.update(status=rec.get("status"), diagnostic_code=rec.get("diagnostic_code"))
        event = {"key": rec["key"], "email": rec["email"], "class": rec["class"], "sub_type": rec.get("sub_type"),
                 "occurred": occurred, "message_id": note.get("message_id"), "feedback_id": note.get("feedback_id"),
                 "detail": detail}
        if self.check_mode:
            seen = self.store.copy_count(rec["key"], channel) + 1
            new = not self.store.has_event(rec["key"])
        else:
            # the copy first: a crash between the two writes then reads as "redelivered", never as "other channel"
            seen = self.store.add_copy(rec["key"], channel)
            new = self.store.add_event(event)
            self.writes += 1 if new else 0
        if new:
            return "new"
        return "redelivered" if seen > 1 else "other_channel"

    def _tenant_count(self, tenant, key):
        row = self.by_tenant.setdefault(tenant or NO_TENANT, {})
        row[key] = row.get(key, 0) + 1

    def _count(self, rec, status, tenant=None):
        if status == "new":
            self.new_events += 1
            if rec.get("simulator"):
                return
            cls = rec["class"]
            self.counts[cls] = self.counts.get(cls, 0) + 1
            if self.tenants is not None:
                self._tenant_count(tenant, cls)
            sub = "%s/%s" % (cls, rec.get("sub_type") or "-")
            self.sub_types[sub] = self.sub_types.get(sub, 0) + 1
        elif status == "redelivered":
            self.redelivered += 1
        else:
            self.cross_channel += 1

    def _recipient(self, note, rec, occurred, channel, tenant=(None, None, None)):
        cls = rec["class"]
        email = rec["email"]
        tenant, source, unknown = tenant
        if unknown is not None and (cls in TENANT_NEEDED or (cls == "suppressed" and self.other_regions)):
            # which list it belongs in is unknown: not recorded, the message stays for redelivery (pylint infers the
            # default's None, which the test above excludes)
            raise unknown  # pylint: disable=raising-bad-type
        status = self._record(note, rec, occurred, channel, tenant, source)
        new = status == "new"
        self._count(rec, status, tenant)
        if rec.get("simulator") and not self.policy.suppress_simulator:
            # SES never lists simulator addresses; they are a test, not a list to clean
            if new:
                self.simulator[email] = {"email": email, "class": cls, "sub_type": rec.get("sub_type")}
            return
        if cls == "delivery":
            self._delivery(email, occurred)
        elif cls == "delivery_delay":
            if new:
                self.delays.append(_with_tenant({"email": email, "delay_type": rec.get("sub_type"),
                                                 "status": rec.get("status"),
                                                 "expiration_time": rec.get("expiration_time")}, tenant))
        elif cls == "hard" or (cls == "complaint" and rec.get("action") == "suppress"):
            self.suppressible.add(rec["key"])
            self._ensure_suppressed(email, REASON_OF[cls], cls, new, occurred, tenant=tenant)
        elif cls == "suppressed":
            self.remove.add(email)
            reason = "BOUNCE" if note.get("kind") == "bounce" else "COMPLAINT"
            if self.other_regions and new and not suppressed_elsewhere(self, email, cls, occurred, tenant):
                return
            if not self.check_mode and self.store.mark_suppressed(email, reason, occurred, via="ses"):
                self.writes += 1
            self.suppressed.setdefault((email, None), _with_tenant({"email": email, "reason": reason, "class": cls,
                                                                    "via": "ses", "escalated": False}, tenant))
        elif cls == "soft":
            self._soft(rec, new, occurred, tenant)
        elif cls in ("undetermined", "unknown") and new:
            self.review.append(_with_tenant({"email": email, "class": cls, "sub_type": rec.get("sub_type"),
                                             "reason": rec.get("reason"), "status": rec.get("status"),
                                             "diagnostic_code": rec.get("diagnostic_code")}, tenant))

    def _ensure_suppressed(self, email, reason, cls, new, occurred, escalated=False, tenant=None):
        self.remove.add(email)
        # the tenant's own list when its scope is TENANT (GetTenant once per run); a failed read raises: kept
        listed_in = tenant if tenant and self.tenants.scope(tenant) == "TENANT" else None
        key = (email, listed_in)
        if key in self.suppressed and self.suppressed[key]["via"] != "ses":
            return
        state = self.store.get_address(email)
        # the store knows addresses, not lists: a copy of an event handled before stands (whichever list its first
        # copy chose); a newer event is covered only by an account-list entry (a tenant's is via "tenant:<name>")
        if listed_in is None and state and state.get("suppressed_reason") and (not new or (
                not str(state.get("suppressed_via") or "").startswith("tenant:")
                and state["suppressed_reason"] == reason and occurred <= (state.get("suppressed_at") or 0))):
            # handled before a crash, by the other channel's copy, or by another processor; or a new event no newer
            # than the one the address was suppressed for, with the same reason: SES's answer then covered it
            via = "already"
        else:
            try:
                via = suppression_action(reason, self.listed_reason(email, occurred, listed_in))
                if via == "api" and not self.check_mode:
                    extra = {"TenantName": listed_in} if listed_in else {}
                    self._call(self.sesv2, "PutSuppressedDestination", EmailAddress=email, Reason=reason, **extra)
                if self.other_regions:
                    suppress_in_other_regions(self, email, reason, tenant)
            except AwsError as exc:
                if exc.code not in PERMANENT_CODES:
                    raise  # retryable: the message is kept, this recipient is tried again on redelivery
                self.refused[email] = {"email": email, "reason": reason, "class": cls, "error": exc.msg,
                                       "error_code": exc.code}
                if not self.check_mode:
                    self.store.mark_refused(email, exc.msg, occurred)
                    self.writes += 1
                return
            if via == "api":
                self.suppression_writes += 1
        if not self.check_mode:
            how = ("tenant:%s" % listed_in) if listed_in else "api" if via == "api" else "account"
            if self.store.mark_suppressed(email, reason, occurred, via=how):
                self.writes += 1
        entry = {"email": email, "reason": reason, "class": cls, "via": via, "escalated": escalated}
        if tenant:
            entry.update(tenant=tenant, list="tenant" if listed_in else "account")
        if self.tenants is not None:
            self._tenant_count(tenant, "suppressed_in_tenant_list" if listed_in else "suppressed_in_account_list")
        self.suppressed[key] = entry

    def _delivery(self, email, occurred):
        """A delivery resets the soft-bounce count: soft bounces before the address's latest delivery no longer
        count, whichever was handled first."""
        if self.check_mode:
            return
        self.store.add_delivery(email, occurred)
        state = self.store.get_address(email) or {}
        if state.get("soft_count") or state.get("next_retry") is not None:
            recent = self.policy.counting(self.store.soft_times(email), self.now(), state.get("last_delivery"))
            if not recent:
                self.store.reset_soft(email)
                self.retry.pop(email, None)
                self.writes += 1

    def _soft(self, rec, new, occurred, tenant=None):
        email = rec["email"]
        state = self.store.get_address(email) or {}
        if self.check_mode:
            times = self.store.soft_times(email)
            if new:
                times = sorted(times + [occurred])
        else:
            times = self.store.add_soft(email, rec["key"], occurred)
        recent = self.policy.counting(times, self.now(), state.get("last_delivery"))
        if len(recent) >= self.policy.soft_threshold:
            if email not in self.escalated:
                self.escalated.append(email)
            self.retry.pop(email, None)
            self.suppressible.add(rec["key"])
            self._ensure_suppressed(email, "BOUNCE", "soft", new, occurred, escalated=True, tenant=tenant)
            return
        if not recent:
            return  # a soft bounce older than the address's latest delivery: nothing to schedule
        attempt = len(recent)
        delay = self.policy.retry_delay(email, attempt)
        last = max(recent)
        next_retry = last + delay
        if not self.check_mode:
            self.store.set_retry(email, next_retry, len(recent))
            self.writes += 1 if new else 0
        self.retry[email] = _with_tenant({"email": email, "soft_bounces": len(recent), "last_bounce": iso(last),
                                          "next_retry": iso(next_retry), "delay_seconds": int(round(delay)),
                                          "sub_type": rec.get("sub_type"), "reason": rec.get("reason")}, tenant)

    # ------------------------------------------------------------------ result
    def suppression_calls(self):
        """Suppression-list calls made, per hard bounce / complaint / escalation event (both channels' copies of one
        event are one event) and per notification handled."""
        names = ("SuppressedDestination", "SuppressedDestinations")
        calls = sum(n for op, n in self.api_calls.items() if op.endswith(names))
        events, notes = len(self.suppressible), sum(self.kinds.values())
        return {"calls": calls, "suppressible_events": events, "notifications": notes,
                "per_suppressible_event": round(calls / float(events), 3) if events else 0.0,
                "per_notification": round(calls / float(notes), 3) if notes else 0.0}

    def summary(self):
        return {
            "suppression_calls": self.suppression_calls(),
            "counts": dict(self.counts),
            "counts_by_sub_type": dict(sorted(self.sub_types.items())),
            "notification_kinds": dict(sorted(self.kinds.items())),
            "new_events": self.new_events,
            "duplicate_events": self.redelivered,
            "redelivered": self.redelivered,
            "cross_channel_copies": self.cross_channel,
            "suppressed": sorted(self.suppressed.values(), key=lambda x: (x["email"], x.get("tenant") or "")),
            "refused": sorted(self.refused.values(), key=lambda x: x["email"]),
            "simulator": sorted(self.simulator.values(), key=lambda x: x["email"]),
            "escalated": sorted(self.escalated),
            "retry_schedule": sorted(self.retry.values(), key=lambda x: (x["next_retry"], x["email"])),
            "remove_from_lists": sorted(self.remove),
            "review": self.review,
            "delivery_delays": self.delays,
            "sns_control_messages": self.sns_control,
            "tenants": self.tenant_result(),
        }

    def tenant_result(self):
        """Per tenant, the new events by class and where they were suppressed; where the tenants came from."""
        if self.tenants is None:
            return {"mode": "ignore", "by_tenant": {}}
        return dict(self.tenants.result(), by_tenant=dict(sorted(self.by_tenant.items())))


def build_report(store, since, policy, now=None):
    """Everything the store recorded since ``since``, whichever run handled it: the list-hygiene report."""
    now = time.time() if now is None else now
    events = store.events_since(since)
    counts = dict((cls, 0) for cls, _label in CLASS_LABELS)
    simulator, control, review, delays = {}, [], [], []
    by_email = {}
    tenants = {}  # tenant -> new events by class, the account's figures beside them
    cross = redelivered = total = 0
    for ev in events:
        detail = ev.get("detail") or {}
        if ev["class"] == "sns_control":
            control.append({"type": detail.get("type") or ev.get("sub_type") or "",
                            "topic_arn": detail.get("topic_arn") or "", "subscribe_url": detail.get("subscribe_url") or "",
                            "received": iso(ev["recorded"])})
            continue
        total += 1
        copies = ev.get("copies") or {}
        cross += 1 if len(copies) > 1 else 0
        redelivered += sum(max(0, n - 1) for n in copies.values())
        email = ev["email"]
        if detail.get("simulator") and not policy.suppress_simulator:
            simulator.setdefault(email, {"email": email, "class": ev["class"], "sub_type": ev.get("sub_type") or ""})
            continue
        counts[ev["class"]] = counts.get(ev["class"], 0) + 1
        if detail.get("tenant"):
            row = tenants.setdefault(detail["tenant"], {"events": 0, "hard": 0, "complaint": 0, "soft": 0})
            row["events"] += 1
            if ev["class"] in row:
                row[ev["class"]] += 1
        if ev["class"] in ("undetermined", "unknown"):
            review.append({"email": email, "class": ev["class"], "sub_type": ev.get("sub_type") or "",
                           "reason": detail.get("reason") or "", "status": detail.get("status") or ""})
        elif ev["class"] == "delivery_delay":
            delays.append({"email": email, "delay_type": detail.get("delay_type") or "",
                           "expiration_time": detail.get("expiration_time") or ""})
        elif ev["class"] in RANK and not (ev["class"] == "complaint" and ev.get("sub_type") == "not-spam"):
            best = by_email.get(email)
            if best is None or RANK[ev["class"]] < RANK[best]:
                by_email[email] = ev["class"]
    suppressed, refused, retry, escalated = [], [], [], []
    for email in sorted(by_email):
        cls = by_email[email]
        state = store.get_address(email) or {}
        if state.get("suppressed_reason"):
            if cls == "soft":
                escalated.append(email)
            suppressed.append({"email": email, "reason": state["suppressed_reason"],
                               "class": "soft (escalated)" if cls == "soft" else cls,
                               "via": state.get("suppressed_via") or "api",
                               "since": iso(state.get("suppressed_at")) or ""})
        elif state.get("refused"):
            refused.append({"email": email, "class": cls, "error": state["refused"]})
        elif cls == "soft":
            recent = policy.counting(store.soft_times(email), now, state.get("last_delivery"))
            if recent:
                delay = policy.retry_delay(email, len(recent))
                retry.append({"email": email, "soft_bounces": len(recent), "last_bounce": iso(max(recent)),
                              "next_retry": iso(max(recent) + delay)})
    remove = sorted(set(x["email"] for x in suppressed) | set(x["email"] for x in refused))
    return {"since": iso(since), "events": total, "cross_channel": cross, "redelivered": redelivered,
            "counts": counts, "suppressed": suppressed, "refused": refused, "escalated": escalated,
            "simulator": sorted(simulator.values(), key=lambda x: x["email"]),
            "retry_schedule": sorted(retry, key=lambda x: (x["next_retry"], x["email"])),
            "review": review, "delivery_delays": delays, "sns_control_messages": control,
            "remove_from_lists": remove, "tenants": dict(sorted(tenants.items()))}


def write_report(path, report, fmt, option="summary_path"):
    """Write the report atomically; True when the file content changed."""
    return write_file(path, render_report(report, fmt), option)
