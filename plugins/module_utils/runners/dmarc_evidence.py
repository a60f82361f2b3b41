# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module glue for the DMARC evidence: the store options, opening the store, and the gate as a callable.

The rule itself is in ``policy/evidence.py`` (pure); this file only reads the store and hands the rows over.
"""

from __future__ import annotations

import datetime as dt
import os

from ansible_collections.deliverability.ses.plugins.module_utils.errors import DeliverabilityError, InputError
from ansible_collections.deliverability.ses.plugins.module_utils.policy import evidence


DEFAULT_EVIDENCE_PATH = "~/.ansible/deliverability_ses/dmarc_evidence.sqlite"


def _stores():
    """store/evidence.py, imported on first use: domain_policy and dmarc_reports import this file for their options,
    and most of their runs never open a store (its import, sqlite3 with it, cost every run 23 ms)."""
    from ansible_collections.deliverability.ses.plugins.module_utils.store import evidence as stores
    return stores


EVIDENCE_SPEC = dict(
    evidence_store=dict(type="str", choices=["sqlite", "dynamodb"], default="sqlite"),
    evidence_path=dict(type="path", default=DEFAULT_EVIDENCE_PATH),
    evidence_table=dict(type="str"),
    evidence_create_table=dict(type="bool", default=False),
)

GATE_SPEC = dict(evidence_pending=dict(type="list", elements="dict", default=[]), gate=dict(type="dict", default={}, options=dict(
    window_days=dict(type="int", default=evidence.DEFAULTS["window_days"]),
    min_days=dict(type="int", default=evidence.DEFAULTS["min_days"]),
    min_messages=dict(type="int", default=evidence.DEFAULTS["min_messages"]),
    min_reporters=dict(type="int", default=evidence.DEFAULTS["min_reporters"]),
    min_pass_rate=dict(type="float", default=evidence.DEFAULTS["min_pass_rate"], no_log=False),
    max_source_fail_share=dict(type="float", default=evidence.DEFAULTS["max_source_fail_share"]),
    count_unauthenticated=dict(type="bool", default=False),
    trusted_reporters=dict(type="list", elements="str", default=[]),
)))

HOME_WARNING = ("the DMARC evidence store is the default %s, under the home directory: in an execution environment "
                "or a CI container it is thrown away with the job, and the next run starts with no evidence (the "
                "gate stays shut). Set evidence_path to a persistent volume, or evidence_store=dynamodb.")


def default_quarantine_dir(params):
    """Next to the SQLite evidence file, or under ~/.ansible/deliverability_ses with DynamoDB."""
    if params.get("evidence_store", "sqlite") == "sqlite":
        return os.path.join(os.path.dirname(os.path.abspath(params["evidence_path"])), "quarantine")
    return os.path.join(os.path.expanduser("~/.ansible/deliverability_ses"), "quarantine")


def store_location_warning(params):
    if params.get("evidence_store", "sqlite") != "sqlite":
        return None
    path = params.get("evidence_path") or ""
    if path == os.path.expanduser(DEFAULT_EVIDENCE_PATH) or path.startswith(os.path.expanduser("~") + os.sep):
        return HOME_WARNING % path
    return None


def open_store(module, read_only, missing_ok=True):
    """The evidence store of the module's options. ``read_only``: check mode (and readers): nothing created.

    Returns (store, None) or, when ``missing_ok`` and it cannot be opened, (None, reason) so that a reader
    (the gate) can say "could not look" instead of failing the task.
    """
    stores = _stores()
    p = module.params
    try:
        if p["evidence_store"] == "dynamodb":
            if not p.get("evidence_table"):
                raise InputError("evidence_table", "required with evidence_store=dynamodb")
            store = stores.DynamoDbEvidenceStore(module.client("dynamodb"), p["evidence_table"], read_only=read_only)
            if not store.ensure_table(create=bool(p.get("evidence_create_table")) and not read_only):
                if read_only and missing_ok:
                    return None, "DynamoDB table %s does not exist" % p["evidence_table"]
                raise InputError("evidence_table", "DynamoDB table %s does not exist (set evidence_create_table=true)"
                                 % p["evidence_table"])
            return store, None
        path = p["evidence_path"]
        if not (path or "").strip():
            raise InputError("evidence_path", "is empty: give the file of the SQLite evidence store")
        if read_only and missing_ok and not os.path.exists(path):
            return None, "the evidence store %s does not exist (no report was ever ingested there)" % path
        return stores.SqliteEvidenceStore(path, read_only=read_only), None
    except stores.EvidenceStoreError as exc:
        if missing_ok:
            return None, str(exc)
        raise DeliverabilityError(str(exc))
    except DeliverabilityError as exc:
        if missing_ok and not isinstance(exc, InputError):
            return None, exc.msg
        raise


def open_store_or_empty(module, pending):
    """open_store read-only; in check mode with pending rows and no SQLite file yet (the first run), an empty
    in-memory store: the pending rows are then all the evidence there is, not a reason to look no further."""
    stores = _stores()
    store, error = open_store(module, read_only=True, missing_ok=True)
    p = module.params
    if store is None and pending and p.get("evidence_store", "sqlite") == "sqlite" and \
            not os.path.exists(p["evidence_path"]):
        return stores.SqliteEvidenceStore(None, read_only=True), None
    return store, error


def gate_thresholds(params):
    try:
        return evidence.thresholds(params.get("gate") or {})
    except evidence.ThresholdError as exc:
        raise InputError("gate", str(exc))


def pending_rows(params, check_mode):
    """The rows a check-mode ingest would have recorded (option evidence_pending), validated; [] outside check
    mode (the real ingest recorded them)."""
    fields = _stores().ROW_FIELDS
    given = params.get("evidence_pending") or []
    if not check_mode:
        return []
    out = []
    for n, row in enumerate(given):
        missing = [f for f in ("domain",) + fields if f not in row]
        if missing:
            raise InputError("evidence_pending", "row %d lacks %s (pass the evidence_pending result of a "
                                                 "check-mode dmarc_reports run)" % (n, ", ".join(missing)))
        for f in fields[7:13]:
            if isinstance(row[f], bool) or not isinstance(row[f], int) or not 0 <= row[f] < 2 ** 63:
                raise InputError("evidence_pending", "row %d: %s must be a whole number, got %r" % (n, f, row[f]))
        out.append(dict(row))
    return out


def decide(store, store_error, domain, thresholds, today=None, current=None, target=None, published=None,
           pending=None):
    """The gate's decision for ``domain`` from the store (read here), never raising for a store problem.
    ``pending``: rows not recorded yet (check mode: what the ingest would record), counted as if they were."""
    stores = _stores()
    today = today or dt.datetime.now(dt.timezone.utc).date()
    rows = []
    first, last = evidence.window(today, thresholds["window_days"])
    if store is not None and not store_error:
        try:
            rows = store.rows(domain, first, last)
        except (stores.EvidenceStoreError, DeliverabilityError) as exc:
            store_error = str(exc)
    rows = rows + [r for r in pending or [] if r["domain"] == domain and first <= r["day"] <= last]
    return evidence.evaluate(rows, domain, today, thresholds, store_error=store_error, current=current,
                             target=target, published=published)


def evidence_gate(module, domain, warn=None):
    """``gate(current_tags, stage)`` for ``policy.domain.dmarc_plan``: reads the store (read-only) when asked.

    The one way every module (dmarc, domain_policy) asks the gate: same store options, same thresholds."""
    from ansible_collections.deliverability.ses.plugins.module_utils.policy import dmarc
    from ansible_collections.deliverability.ses.plugins.module_utils.names import normalize_domain
    thresholds = gate_thresholds(module.params)
    warning = store_location_warning(module.params)
    pending = pending_rows(module.params, module.check_mode)

    def gate(current, stage):
        if warning:
            (warn or module.module.warn)(warning)
        store, error = open_store_or_empty(module, pending)
        try:
            return decide(store, error, normalize_domain(domain, "domain"), thresholds,
                          current=dmarc.policy_text(current), target=dmarc.policy_text(dmarc.stage_tags(stage)),
                          published=(current.get("p", "none"), current.get("t", "n")), pending=pending)
        finally:
            if store is not None:
                store.close()
    return gate


def record_decision(module, result, module_name):
    """The gate's decision in the result's diff and the audit log (not in check mode); warns when it is shut."""
    decision = result["gate"]
    text = decision["summary"]
    if decision.get("notes"):
        text += "\nNotes: " + " ".join(decision["notes"])
    if decision.get("failing_sources"):
        text += "\nFailing sources: " + "; ".join(
            "%s (%.2f %%): %s" % (s["source_ip"], s["share"], s["fix"]) for s in decision["failing_sources"][:5])
    diff = result.setdefault("diff", {"before": {}, "after": {}})
    diff["prepared"] = text + "\n"
    if not decision["open"]:
        module.module.warn(decision["summary"])
    audit_decision(module, decision, result.get("record"), module_name, module.module.warn)


def audit_decision(module, decision, record, module_name, warn):
    """One ``dmarc_gate`` line in the audit log (never in check mode); a log that cannot be written is a warning:
    the decision itself changed nothing."""
    from ansible_collections.deliverability.ses.plugins.module_utils.audit import AuditLog, _local_user
    if module.check_mode or not module.params.get("audit_log"):
        return
    log = AuditLog(module.params["audit_log"], lambda: {"local_user": _local_user()}, module_name)
    try:
        log.record("dmarc_gate", reason=decision["summary"], domain=decision["domain"], open=decision["open"],
                   stage_from=decision.get("from"), stage_to=decision.get("to"),
                   reasons=decision["reasons"], figures=decision["figures"],
                   failing_sources=[{k: s[k] for k in ("source_ip", "source_host", "failed", "share", "fix")}
                                    for s in decision["failing_sources"][:10]],
                   published=record)
    except DeliverabilityError as exc:
        warn("the gate decision could not be written to the audit log: %s" % exc.msg)
