# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit trail: one JSON line per change to the suppression list or the account's suppression.

Append-only (O_APPEND, one write per line under an advisory lock so parallel forks never interleave),
flushed and fsynced after each change, so a run that fails later still leaves the record of what it
did. Nothing is written in check mode: callers only record changes they applied.

A guarded change is audited or does not happen: :meth:`AuditLog.check_writable` proves the log writable
(a regular file, not a symlink, 0600, space on its file system) before the first change, and when an append
still fails after the change (the disk filled up in between), :class:`UnauditedChange` says what was applied
and not recorded, with the full record, so the caller fails loudly with ``changed: true``.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import threading

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX
    fcntl = None

from ansible_collections.deliverability.ses.plugins.module_utils.errors import AwsError, DeliverabilityError
from ansible_collections.deliverability.ses.plugins.module_utils.aws import call
from ansible_collections.deliverability.ses.plugins.module_utils import files
from ansible_collections.deliverability.ses.plugins.module_utils import state_paths, validate

DEFAULT_AUDIT_LOG = "~/.ansible/deliverability-ses-audit.jsonl"

AUDIT_LOG_SPEC = dict(type="path", default=DEFAULT_AUDIT_LOG)
# room for many audit lines: a run that starts with less stops before it changes anything
AUDIT_MIN_FREE = 256 * 1024


class UnauditedChange(DeliverabilityError):
    """A change was applied (SES accepted it) but its audit line could not be written."""

    def __init__(self, entry, path, cause):
        what = "%s %s" % (entry.get("action"), entry.get("address") or "")
        super().__init__("UNAUDITED CHANGE: %s was applied, but its audit line could not be written to %s (%s); "
                         "record it by hand from 'unaudited' in this result" % (what.strip(), path, cause),
                         unaudited=[entry], audit_log=path)
        self.entry = entry


def utc_now():
    return dt.datetime.now(dt.timezone.utc)


def caller_identity(module):
    """The caller's ARN and account from STS GetCallerIdentity, or what is known locally if STS fails."""
    out = {"local_user": _local_user()}
    try:
        resp = call(module.client("sts"), "GetCallerIdentity")
        out.update(arn=resp.get("Arn"), account=resp.get("Account"), user_id=resp.get("UserId"))
    except (AwsError, DeliverabilityError) as exc:
        out.update(arn=None, sts_error=exc.msg)
    return out


def _local_user():
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return None


class AuditLog:
    """Append audit records; the operator identity is looked up once, at the first record."""

    def __init__(self, path, identity_fn, module_name, region=None):
        self.path = os.path.expanduser(path)
        self._identity_fn = identity_fn
        self._identity = None
        self.module_name = module_name
        self.region = region
        self._lock = threading.Lock()
        self.written = 0

    def identity(self):
        """Looked up once, under the lock: bulk runs record from several threads."""
        with self._lock:
            if self._identity is None:
                self._identity = self._identity_fn() if self._identity_fn else {}
            return self._identity

    def check_writable(self):
        """Fail before any change when the log cannot be written (never change without a record): a regular
        file or none yet, not a symlink, in a writable directory with room for the lines; an existing file
        readable by others is tightened to 0600 now."""
        files.check_writable(self.path, "audit_log", need=AUDIT_MIN_FREE)
        if os.path.exists(self.path):
            os.close(files.open_private(self.path, "audit_log"))

    def record(self, action, address=None, reason=None, **fields):
        """Append one line now and make it durable; returns the record."""
        who = self.identity()  # outside the write lock below, which must stay short
        entry = {
            "time": utc_now().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "action": action,
            "address": address,
            "reason": reason,
            "operator": who.get("arn"),
            "account": who.get("account"),
            "local_user": who.get("local_user"),
            "module": self.module_name,
            "region": self.region,
        }
        entry.update({k: v for k, v in fields.items() if v is not None})
        line = (json.dumps(entry, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")
        with self._lock:
            try:
                fd = files.open_private(self.path, "audit_log")
            except files.FileError as exc:
                raise UnauditedChange(entry, self.path, exc.msg)
            size = None
            try:
                if fcntl:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                size = os.fstat(fd).st_size
                files.write_all(fd, line)
                os.fsync(fd)
            except OSError as exc:
                _truncate(fd, size)  # no half line for the next reader
                raise UnauditedChange(entry, self.path, "%s: %s" % (type(exc).__name__, exc.strerror or exc))
            finally:
                os.close(fd)  # closing releases the lock
            self.written += 1
        return entry


def _truncate(fd, size):
    if size is None:
        return
    try:
        os.ftruncate(fd, size)
    except OSError:
        pass


def open_audit_log(module, module_name, client=None):
    """The AuditLog for a SesModule with an ``audit_log`` option, checked writable unless in check mode."""
    region = getattr(getattr(client, "meta", None), "region_name", None) or module.params.get("region")
    validate.path(module.params["audit_log"], "audit_log")
    log = AuditLog(module.params["audit_log"], lambda: caller_identity(module), module_name, region=region)
    warning = state_paths.ephemeral_state_warning(module.params["audit_log"], "audit_log", "the audit trail")
    if warning:
        module.module.warn(warning)
    if not module.check_mode:
        log.check_writable()
    return log
