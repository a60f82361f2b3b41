# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bodies of the identity modules: options -> desired -> current -> plan -> apply -> result.

Pure pieces (plans, records, keys) live in ``identity``; SES calls in ``sesv2``. These functions only
orchestrate them, return the result dict and raise DeliverabilityError subclasses (never exit).
"""

from __future__ import annotations

from ansible_collections.deliverability.ses.plugins.module_utils.policy import identity as logic
from ansible_collections.deliverability.ses.plugins.module_utils.policy import posture_regions as region_rules
from ansible_collections.deliverability.ses.plugins.module_utils.policy.regions import check_regions
from ansible_collections.deliverability.ses.plugins.module_utils.dns import record_check
from ansible_collections.deliverability.ses.plugins.module_utils.ses import identities as sesv2
from ansible_collections.deliverability.ses.plugins.module_utils.errors import AwsError, DeliverabilityError, InputError
from ansible_collections.deliverability.ses.plugins.module_utils.aws import MISSING, call, is_missing, retry_until
from ansible_collections.deliverability.ses.plugins.module_utils.names import normalize_identity
from ansible_collections.deliverability.ses.plugins.module_utils import validate


def _verified(ident):
    if ident is None:
        return False
    if ident.get("identity_type") == "DOMAIN":
        return (ident.get("dkim") or {}).get("status") == "SUCCESS"
    return ident.get("verification_status") == "SUCCESS"


def _terminal(ident):
    if ident.get("identity_type") == "DOMAIN":
        return (ident.get("dkim") or {}).get("status") in ("SUCCESS", "FAILED")
    return ident.get("verification_status") in ("SUCCESS", "FAILED")


def wait_verified(client, name, records, timeout, resolvers=None):
    """Poll until verified; on FAILED or timeout raise with the last status and the records DNS lacks."""
    ident = sesv2.poll(lambda: sesv2.get_identity_visible(client, name), _terminal, timeout)[0]
    if _verified(ident):
        return ident
    if ident.get("identity_type") == "DOMAIN":
        status = "DKIM status is %s" % (ident.get("dkim") or {}).get("status")
        missing = record_check.missing_records(records, resolvers)
        if missing:
            detail = "records not visible in DNS yet: %s" % record_check.describe(missing)
        elif records:
            detail = "all %d records resolve here, SES has not seen them yet" % len(records)
        else:
            detail = "no records known to check"
    else:
        status = "verification status is %s" % ident.get("verification_status")
        missing = []
        detail = "the address owner has not followed the link in SES's verification email"
    when = "after %ss" % timeout if not _terminal(ident) else "(final)"
    raise DeliverabilityError("wait: %s: %s %s; %s" % (name, status, when, detail),
                              identity=ident, dns_records=records, missing_records=missing)


def check_common(p):
    """The options the identity modules share, checked before any call."""
    if p.get("dns_ttl") is not None:
        validate.ttl(p["dns_ttl"], "dns_ttl")
    if p.get("wait_timeout") is not None:
        validate.duration(p["wait_timeout"], "wait_timeout", maximum=86400, integer=True)
    for server in p.get("resolvers") or []:
        validate.server(server, "resolvers")


def run_email_identity(module, partial):
    p = module.params
    name = normalize_identity(p["identity"], "identity")
    check_common(p)
    state = p["state"]
    dkim, key = ({}, None) if state == "absent" else logic.validate_params(name, p)
    client = module.client("sesv2")
    origin_region = _check_origin_region(module, dkim, client.meta.region_name)
    current_ident = sesv2.get_identity(client, name)
    if state == "absent" and current_ident is not None and not p.get("confirm_delete"):
        raise InputError("confirm_delete", "refusing to delete the SES identity %s (it stops all sending from it "
                                           "and drops its DKIM and MAIL FROM setup); set confirm_delete=true to "
                                           "offboard it" % name)
    current = logic.settings_from_identity(current_ident)
    cs = p.get("configuration_set")
    if state == "present" and cs and cs != current.get("configuration_set"):
        if not sesv2.configuration_set_exists(client, cs):
            raise InputError("configuration_set", "configuration set %r does not exist in this account and "
                                                  "region; create it first" % cs)
    replica = None
    if origin_region is not None:
        replica = _replica_check(module, name, origin_region, client.meta.region_name, current_ident)
    actions, after = logic.plan(name, dict(p, dkim=dkim), current)
    result = {"changed": bool(actions), "actions": [action[0] for action in actions]}
    if replica is not None:
        result["replica"] = replica
    if module.module._diff:
        result["diff"] = {"before": current, "after": after}
    public_key = key["public_key"] if key else None

    if module.check_mode or not actions:
        ident = current_ident if state == "present" else None
        if state == "absent":
            records = []
        elif public_key:
            records = [logic.byodkim_record(dkim["selector"], name, public_key, p["dns_ttl"])]
        elif current_ident is not None and not (dkim.get("mode") == "easy"
                                                and current["dkim"].get("mode") == "byodkim"):
            records = logic.identity_records(current_ident, p["dns_ttl"])
        else:
            records = []  # SES makes the Easy DKIM tokens on the call that check mode skips
    else:
        applied = []
        partial.update(changed=False, actions=applied)
        region = client.meta.region_name
        try:
            sesv2.apply_actions(client, actions, private_key=key["api_value"] if key else None,
                                arn=lambda: sesv2.identity_arn(module.client("sts"), region, name), applied=applied)
        finally:
            partial["changed"] = bool(applied)
            if "diff" in result:
                partial["diff"] = result["diff"]
        if state == "absent":
            ident = None
            records = []
        else:
            ident = sesv2.get_identity_visible(client, name)
            records = logic.identity_records(ident, p["dns_ttl"], public_key)
    if logic.replica_region(ident):
        records = []  # a DEED replica signs with its parent's keys: the CNAMEs are the parent's, nothing to add
    if state == "present" and ident is not None and not public_key \
            and (ident.get("dkim") or {}).get("origin") == "EXTERNAL":
        module.module.warn("%s uses BYODKIM; give dkim.private_key to get its selector TXT in dns_records" % name)
    result.update(identity=ident, dns_records=records)
    partial.update(result)  # a failed wait still reports what was changed and the records to publish
    if p["wait"] and state == "present" and not module.check_mode and not _verified(ident):
        result["identity"] = wait_verified(client, name, records, p["wait_timeout"], p.get("resolvers"))
    return result


def _check_origin_region(module, dkim, region):
    """``dkim.origin_region`` checked before any request: a region SES has, not the connection's own."""
    origin_region = dkim.get("origin_region")
    if origin_region is None:
        return None
    known = module.known_regions()
    check_regions([region], "region", known=known)  # the replica's own region: one SES has
    check_regions([origin_region], "dkim.origin_region", known=known)
    if origin_region == region:
        raise InputError("dkim.origin_region", "%s is the region this task connects to (region): a replica lives in "
                                               "another region than its parent; run the task in the replica's region "
                                               "and name the parent's region here" % origin_region)
    return origin_region


def _replica_check(module, name, origin_region, region, current_ident):
    """A DEED replica wanted in ``region`` of ``name`` in ``origin_region``.

    To create it, the parent must be usable (read there; refused with an InputError naming dkim.origin_region,
    before any write). An existing identity is compared with the one rule of a correct replica
    (``policy/posture_regions.replica_findings``): a replica of another region or one with its own keys is
    reported (findings and a warning), not changed - SES documents DEED on CreateEmailIdentity only; making it
    a replica means deleting the identity in this region and creating it again."""
    if current_ident is None:
        parent = sesv2.get_identity(module.client("sesv2", region=origin_region), name)
        problem = region_rules.parent_problem(name, origin_region, parent)
        if problem:
            raise InputError("dkim.origin_region", problem)
        findings = []
    else:
        findings = region_rules.replica_findings(name, origin_region, region, current_ident, None)
        for item in findings:
            if item["id"] in ("region_dkim_own_keys", "region_dkim_wrong_parent"):
                module.module.warn("dkim.origin_region: %s - %s; SES sets a DEED origin only when it creates the "
                                   "identity: delete it in %s (state=absent, confirm_delete=true) and run again "
                                   "to make it a replica of %s" % (item["title"], item["detail"], region, origin_region))
    drift = [f["id"] for f in findings if f["id"] in ("region_dkim_own_keys", "region_dkim_wrong_parent")]
    return {"origin_region": origin_region, "origin": region_rules.deed_origin(origin_region),
            "current_origin": ((current_ident or {}).get("dkim") or {}).get("origin"),
            "drift": bool(drift), "findings": findings}


def identity_exists(client, name, option="identity"):
    """The identity (retrying briefly for one just created in an earlier task) or an InputError."""
    try:
        return sesv2.get_identity_visible(client, name, timeout=sesv2.EXISTS_TIMEOUT)
    except DeliverabilityError as exc:
        if getattr(exc, "code", None) in sesv2.MISSING_CODES:
            raise InputError(option, "%s is not an SES identity in this account and region; create it with "
                                     "deliverability.ses.email_identity first" % name)
        raise


def _mail_from_view(ident):
    mf = (ident or {}).get("mail_from") or {}
    return {"mail_from_domain": mf.get("domain"), "behavior_on_mx_failure": mf.get("behavior_on_mx_failure")}


def run_mail_from(module, partial):
    p = module.params
    name = normalize_identity(p["identity"], "identity")
    state = p["state"]
    mf_domain = None
    if state == "present":
        mf_domain = logic.check_mail_from_domain(p["mail_from_domain"], name)
    check_common(p)
    client = module.client("sesv2")
    region = client.meta.region_name
    ident = identity_exists(client, name)
    current = _mail_from_view(ident)
    actions, after = logic.mail_from_plan(
        name, {"state": state, "mail_from_domain": mf_domain, "behavior_on_mx_failure": p["behavior_on_mx_failure"]},
        current)
    result = {"changed": bool(actions), "actions": [action[0] for action in actions]}
    if module.module._diff:
        result["diff"] = {"before": current, "after": after}
    status = (ident.get("mail_from") or {}).get("status")
    if actions and module.check_mode:
        status = "PENDING" if after["mail_from_domain"] and after["mail_from_domain"] != current["mail_from_domain"] \
            else (status if after["mail_from_domain"] else None)
    elif actions:
        applied = []
        partial.update(changed=False, actions=applied)
        try:
            sesv2.apply_actions(client, actions, applied=applied)
        finally:
            partial["changed"] = bool(applied)
        ident = sesv2.get_identity_visible(client, name)
        status = (ident.get("mail_from") or {}).get("status")
    records = logic.mail_from_records(mf_domain, region, p["dns_ttl"]) if state == "present" else []
    partial.update(result, identity=ident, dns_records=records, status=status)
    if p["wait"] and state == "present" and not module.check_mode and status != "SUCCESS":
        ident = sesv2.poll(lambda: sesv2.get_identity_visible(client, name),
                           lambda i: (i.get("mail_from") or {}).get("status") in ("SUCCESS", "FAILED"),
                           p["wait_timeout"])[0]
        status = (ident.get("mail_from") or {}).get("status")
        if status != "SUCCESS":
            missing = record_check.missing_records(records[:1], p.get("resolvers"))
            detail = ("MX not visible in DNS yet: %s" % record_check.describe(missing) if missing
                      else "the MX resolves here, SES has not seen it yet")
            raise DeliverabilityError("wait: %s: MAIL FROM status of %s is %s %s; %s"
                                      % (name, mf_domain, status,
                                         "(final)" if status == "FAILED" else "after %ss" % p["wait_timeout"],
                                         detail),
                                      identity=ident, dns_records=records, status=status, missing_records=missing)
    mail_from = (ident.get("mail_from") or {}) if not (actions and module.check_mode) else {
        "domain": after["mail_from_domain"], "status": status, "behavior_on_mx_failure": after["behavior_on_mx_failure"]}
    result.update(identity=ident, mail_from=mail_from, status=status, dns_records=records)
    return result


def _notifications_visible(ses_v1, name):
    def read():
        got = sesv2.get_notification_attributes(ses_v1, name)
        if got is None:
            raise AwsError("GetIdentityNotificationAttributes", MISSING["sesv2"][0], "%s is not known" % name)
        return got
    try:
        return retry_until(read, sesv2.MISSING_CODES, sesv2.EXISTS_TIMEOUT)
    except AwsError as exc:
        if exc.code in sesv2.MISSING_CODES:
            raise InputError("identity", "%s is not an SES identity in this account and region; create it with "
                                         "deliverability.ses.email_identity first" % name)
        raise


def _check_topics(module, actions):
    """A topic that does not exist is reported before anything is changed (when SNS may be read)."""
    sns = None
    for action in actions:
        api = action[1]
        arn = api.get("SnsTopic")
        if not arn:
            continue
        sns = sns or module.client("sns")
        try:
            call(sns, "GetTopicAttributes", TopicArn=arn)
        except AwsError as exc:
            if is_missing(exc, "sns"):
                raise InputError("%s.topic" % api["NotificationType"].lower(),
                                 "SNS topic %s does not exist" % arn)
            if exc.code not in ("AccessDenied", "AuthorizationError", "AccessDeniedException"):
                raise


def run_identity_notifications(module, partial):
    p = module.params
    name = normalize_identity(p["identity"], "identity")
    logic.validate_notifications(p)
    ses_v1 = module.client("ses")
    current = _notifications_visible(ses_v1, name)
    actions, after = logic.notifications_plan(name, p, current)
    _check_topics(module, actions)
    result = {"changed": bool(actions), "actions": [action[0] for action in actions], "identity": name}
    if module.module._diff:
        result["diff"] = {"before": current, "after": after}
    notifications = current
    if actions and module.check_mode:
        notifications = after
    elif actions:
        applied = []
        partial.update(changed=False, actions=applied)
        try:
            sesv2.apply_actions(ses_v1, actions, applied=applied)
        finally:
            partial["changed"] = bool(applied)
        notifications = _notifications_visible(ses_v1, name)
    result["notifications"] = notifications
    return result


def describe_identity(ident, region, ttl=logic.DEFAULT_TTL):
    """An identity read in full, with what an audit needs on top of SES's answer."""
    out = dict(ident, exists=True)
    dkim = dict(ident.get("dkim") or {})
    dkim["mode"] = logic.dkim_mode(dkim.get("origin"))
    dkim["key_length_change_pending"] = bool(dkim.get("next_key_length") and dkim.get("current_key_length")
                                             and dkim["next_key_length"] != dkim["current_key_length"])
    out["dkim"] = dkim
    records = logic.identity_records(ident, ttl)
    mail_from = ident.get("mail_from") or {}
    if mail_from.get("domain"):
        records += logic.mail_from_records(mail_from["domain"], region, ttl)
    out["dns_records"] = records
    return out


def _notifications_many(ses_v1, names, chunk=100):
    """SES v1 notification settings of many identities, 100 per call (the API's limit)."""
    out = {}
    for i in range(0, len(names), chunk):
        resp = call(ses_v1, "GetIdentityNotificationAttributes", Identities=names[i:i + chunk])
        for name, attrs in (resp.get("NotificationAttributes") or {}).items():
            out[name] = sesv2.notifications_from_api(attrs)
    return out


def run_identity_info(module, partial):
    p = module.params
    check_common(p)
    client = module.client("sesv2")
    region = client.meta.region_name
    if p["identity"] is not None or p["identities"] is not None:
        option = "identity" if p["identity"] is not None else "identities"
        names = [p["identity"]] if p["identity"] is not None else p["identities"]
        names = [normalize_identity(n, option) for n in names]
    else:
        listed = sesv2.list_identities(client)
        if not p["details"]:
            return dict(changed=False, identities=[dict(item, exists=True) for item in listed])
        names = [item["identity"] for item in listed]
    result = []
    for name in names:
        ident = sesv2.get_identity(client, name)
        result.append(describe_identity(ident, region, p["dns_ttl"]) if ident else {"identity": name, "exists": False})
    if p["notifications"]:
        found = [r["identity"] for r in result if r["exists"]]
        notes = _notifications_many(module.client("ses"), found) if found else {}
        for r in result:
            if r["exists"]:
                r["notifications"] = notes.get(r["identity"])
    out = dict(changed=False, identities=result)
    if p.get("account"):
        who = call(module.client("sts"), "GetCallerIdentity")
        out["account"] = {"id": who["Account"], "region": region}
    return out
