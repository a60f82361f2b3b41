# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""domain_policy's input and output at fleet scale (issue 24): the domains read from a file instead of a huge
extra-var, and a compact task result for large fleets with every domain's full result in a JSON file.

What a 1,000-domain result costs is paid by the controller (decoding it, templating it, the callback): about a
megabyte for a healthy fleet where the user needs the summary and the domains that need attention.
"""

from __future__ import annotations

import json

from ansible_collections.deliverability.ses.plugins.module_utils import files
from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError

OUTPUT_SPEC = dict(
    domains_file=dict(type="path"),
    return_domains=dict(type="str", choices=["auto", "all", "attention"], default="auto"),
    results_path=dict(type="path"),
)
AUTO_LIMIT = 100  # return_domains=auto returns every domain up to this many
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_FILE_DOMAINS = 100000


def domains_from_file(path):
    """The entries of a domains file: a JSON list (names or dictionaries, as O(domains)), or one name per line
    (blank lines and lines starting with # skipped)."""
    text = files.read_limited(path, "domains_file", MAX_FILE_BYTES)
    if text.lstrip().startswith("["):
        try:
            entries = json.loads(text)
        except ValueError as exc:
            raise InputError("domains_file", "%s is not a valid JSON list: %s" % (path, exc))
        if not isinstance(entries, list):
            raise InputError("domains_file", "%s must hold a JSON list" % path)
    else:
        entries = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    if len(entries) > MAX_FILE_DOMAINS:
        raise InputError("domains_file", "%s lists %d domains; at most %d" % (path, len(entries), MAX_FILE_DOMAINS))
    return entries


def prepare(params):
    """Before any call: the file's domains appended to O(domains), and O(results_path) checked writable."""
    if params.get("domains_file"):
        params["domains"] = list(params.get("domains") or []) + domains_from_file(params["domains_file"])
    if params.get("results_path"):
        files.check_writable(params["results_path"], "results_path")


def needs_attention(result):
    """A domain the compact result keeps: it changed (or would), failed, warned, or SES does not say it is fully
    verified (DKIM, sending, MAIL FROM)."""
    if result.get("changed") or result.get("failed") or result.get("warnings") or result.get("rule"):
        return True
    if any(r.get("findings") for r in (result.get("regions") or {}).values()):
        return True  # a replica region that is not right (runners/fleet_regions.py)
    ident = result.get("identity") or {}
    if not ident:
        return False
    return not (ident.get("exists") and ident.get("verified_for_sending") and ident.get("dkim_status") == "SUCCESS"
                and ident.get("mail_from_status") in (None, "SUCCESS"))


def finish(params, result, check_mode=False):
    """The full result to O(results_path) (not in check mode: check mode writes nothing anywhere), then the task
    result made compact when O(return_domains) says so."""
    if params.get("results_path") and not check_mode:
        files.write_atomic(params["results_path"], json.dumps(
            {"summary": result.get("summary"), "domains": result.get("domains") or [],
             "failed_domains": result.get("failed_domains") or [], "api_calls": result.get("api_calls"),
             "stats": result.get("stats")}, sort_keys=True) + "\n", "results_path")
        result["results_path"] = files.expand(params["results_path"])
    mode = params.get("return_domains") or "auto"
    domains = result.get("domains") or []
    if mode == "auto":
        mode = "all" if len(domains) <= AUTO_LIMIT else "attention"
    result["return_domains"] = mode
    if mode == "attention":
        result["domains"] = [r for r in domains if needs_attention(r)]
        result["unchanged_domains"] = [r["domain"] for r in domains if not needs_attention(r)]
    return result
