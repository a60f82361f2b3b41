#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dmarc_evidence
short_description: Ask the DMARC evidence gate about domains and write the rollout report
version_added: 0.2.0
description:
  - For each domain, reads the published DMARC record (from O(records), or from DNS), the evidence that
    M(deliverability.ses.dmarc_reports) recorded, and asks the evidence gate whether the next stage is safe -
    the same gate, with the same thresholds, that M(deliverability.ses.dmarc) uses for
    O(deliverability.ses.dmarc#module:advance). Changes no DNS record.
  - With O(report_dir), writes the rollout report there. C(dmarc-rollout.html) shows per domain the published
    stage, why the gate is open or shut, the pass-rate trend as a chart (inline SVG, no external assets), the
    volume, the failing sources with what to fix (for example C(DKIM not aligned for 203.0.113.7 / crm.example)),
    and says where SPF never aligns because of SES's default MAIL FROM. C(dmarc-rollout.json) holds every
    decision, C(dmarc-rollout.csv) one row per domain and C(dmarc-sources.csv) one row per failing source.
  - The report names the last day of the window, not the time of the run, so a second run on the same day with
    the same evidence rewrites nothing and reports C(changed=false).
options:
  domains:
    description: The domains to evaluate.
    type: list
    elements: str
    required: true
  records:
    description:
      - The published DMARC record of each domain (domain -> record text), for example from the results of
        M(deliverability.ses.dmarc). Domains missing here are looked up in DNS.
    type: dict
    default: {}
  dns_timeout:
    description: Seconds to wait for a DNS answer (more than 0, at most 300; not nan).
    type: float
    default: 5
  report_dir:
    description:
      - Folder to write the report files into (created when missing; never in check mode). Relative paths
        resolve against the directory the module runs in.
    type: path
extends_documentation_fragment:
  - deliverability.ses.dmarc_evidence
  - deliverability.ses.dmarc_evidence.gate
  - deliverability.ses.aws
  - deliverability.ses.resolvers
attributes:
  check_mode:
    support: full
    description: Evaluates and returns everything, writes no report file.
  diff_mode:
    support: none
    description: The decisions are the result.
author:
  - Deliverability maintainers (@deliverability)
"""

EXAMPLES = r"""
- name: Where is each domain, and why
  deliverability.ses.dmarc_evidence:
    domains: [example.com, example.net]
    report_dir: reports/dmarc
  register: rollout
"""

RETURN = r"""
domains:
  description: One entry per domain.
  returned: always
  type: list
  elements: dict
  contains:
    domain:
      description: The domain.
      type: str
    record:
      description: The published DMARC record, or null.
      type: str
    stage:
      description: The published policy in a few words (C(quarantine; t=y)).
      type: str
    next_stage:
      description: The stage the gate was asked about (null at the last stage or without a record).
      type: str
    decision:
      description: The gate's decision (as RV(deliverability.ses.dmarc#module:gate) of the dmarc module).
      type: dict
files:
  description: The report files written (or that would be written), by format.
  returned: always
  type: dict
"""

import os

from ansible_collections.deliverability.ses.plugins.module_utils.aws import DeliverabilityError, InputError, SesModule, run_module
from ansible_collections.deliverability.ses.plugins.module_utils.formats import dmarc_render
from ansible_collections.deliverability.ses.plugins.module_utils.runners.dmarc_evidence import (
    EVIDENCE_SPEC, GATE_SPEC, decide, gate_thresholds, open_store_or_empty, pending_rows, store_location_warning)
from ansible_collections.deliverability.ses.plugins.module_utils.names import normalize_domain
from ansible_collections.deliverability.ses.plugins.module_utils import files, validate
from ansible_collections.deliverability.ses.plugins.module_utils.policy import dmarc, evidence
from ansible_collections.deliverability.ses.plugins.module_utils.dns.providers import resolvers_spec

FILES = {"html": "dmarc-rollout.html", "json": "dmarc-rollout.json", "csv": "dmarc-rollout.csv",
         "sources_csv": "dmarc-sources.csv"}


def _published(domain, records, resolver):
    text = records.get(domain)
    if text is None and resolver is not None:
        try:
            found = [v for v in resolver.lookup("_dmarc." + domain, "TXT") if dmarc.is_dmarc(v)]
        except DeliverabilityError as exc:
            return None, None, "could not look up _dmarc.%s: %s" % (domain, exc.msg)
        text = found[0] if len(found) == 1 else None
    if not text:
        return None, None, None
    try:
        return text, dmarc.parse(text), None
    except dmarc.DmarcError as exc:
        return text, None, "the published record is invalid: %s" % exc


def _write(path, content):
    """Write when different, through files.write_atomic (0600, never through a symlink); True when written."""
    if files.read_text_if_exists(path) == content:
        return False
    files.write_atomic(path, content, "report_dir")
    return True


def main():
    spec = dict(
        domains=dict(type="list", elements="str", required=True),
        records=dict(type="dict", default={}),
        resolvers=resolvers_spec(),
        dns_timeout=dict(type="float", default=5),
        report_dir=dict(type="path"),
    )
    spec.update(EVIDENCE_SPEC)
    spec.update(GATE_SPEC)
    module = SesModule(argument_spec=spec, needs_boto3=False, supports_check_mode=True)

    def body(partial):
        p = module.params
        domains = [normalize_domain(d, "domains") for d in p["domains"]]
        if not domains:
            raise InputError("domains", "at least one domain is required")
        records = {}
        for key, value in (p["records"] or {}).items():
            records[normalize_domain(key, "records")] = value
        # nan passes type=float and every comparison: a nan timeout would wait forever
        validate.number(p["dns_timeout"], "dns_timeout", minimum=0, min_exclusive=True, maximum=300)
        thresholds = gate_thresholds(p)
        warning = store_location_warning(p)
        if warning:
            module.module.warn(warning)
        resolver = None
        if any(d not in records for d in domains):
            from ansible_collections.deliverability.ses.plugins.module_utils.dns.resolve import Resolver
            resolver = Resolver(p["resolvers"], timeout=p["dns_timeout"])
        pending = pending_rows(p, module.check_mode)
        store, error = open_store_or_empty(module, pending)
        entries = []
        try:
            for domain in domains:
                text, tags, problem = _published(domain, records, resolver)
                stage = dmarc.policy_text(tags) if tags else None
                nxt = dmarc.next_stage(tags) if tags else None
                next_text = dmarc.policy_text(dmarc.stage_tags(nxt)) if nxt else None
                if tags and dmarc.strength(dmarc.stage_tags(nxt)) <= dmarc.strength(tags):
                    next_text = None  # the last stage: nothing to ask
                decision = decide(store, error, domain, thresholds, current=stage, target=next_text,
                                  published=(tags.get("p", "none"), tags.get("t", "n")) if tags else None,
                                  pending=pending)
                if problem:
                    decision["notes"].insert(0, problem)
                if tags is None:
                    decision["open"] = False
                    decision["reasons"].insert(0, "no DMARC record is published: start with p=none and rua "
                                                  "(deliverability.ses.dmarc)")
                entries.append({"domain": domain, "record": text, "stage": stage, "next_stage": next_text,
                                "decision": decision})
        finally:
            if store is not None:
                store.close()
        first, last = evidence.window(evidence_today(), thresholds["window_days"])
        meta = {"first_day": first, "last_day": last, "window_days": thresholds["window_days"],
                "store": store.location if store is not None else error, "thresholds": thresholds}
        written, changed = {}, False
        if p["report_dir"]:
            contents = {"html": dmarc_render.to_html(entries, meta), "json": dmarc_render.to_json(entries, meta),
                        "csv": dmarc_render.to_csv(entries), "sources_csv": dmarc_render.sources_csv(entries)}
            for fmt, fname in FILES.items():
                path = os.path.join(p["report_dir"], fname)
                written[fmt] = path
                if module.check_mode:
                    changed = changed or files.read_text_if_exists(path) != contents[fmt]
                    continue
                changed = _write(path, contents[fmt]) or changed
        return {"changed": changed, "domains": entries, "files": written, "window": meta}

    run_module(module, body)


def evidence_today():
    import datetime as dt
    return dt.datetime.now(dt.timezone.utc).date()


if __name__ == "__main__":
    main()
