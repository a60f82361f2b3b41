# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit trail: one JSON line per change to the suppression list or the account's suppression.

Append-only (O_APPEND, one write per line under an advisory lock so parallel forks never interleave),
flushed and fsynced after each change, so a run that fails later still leaves the record of what it
did. Nothing is written in check mode: callers only record changes they applied.
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

DEFAULT_AUDIT_LOG = "~/.ansible/deliverability-ses-audit.jsonl"

AUDIT_LOG_SPEC = dict(type="path", default=DEFAULT_AUDIT_LOG)


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
        """Fail before any change when the log cannot be written (never change without a record)."""
        directory = os.path.dirname(self.path) or "."
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise DeliverabilityError("audit_log: cannot create directory %s (%s)" % (directory, exc))
        if os.path.exists(self.path):
            if os.path.isdir(self.path) or not os.access(self.path, os.W_OK):
                raise DeliverabilityError("audit_log: %s is not a writable file" % self.path)
        elif not os.access(directory, os.W_OK):
            raise DeliverabilityError("audit_log: directory %s is not writable" % directory)

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
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            except OSError as exc:
                raise DeliverabilityError("audit_log: cannot open %s (%s)" % (self.path, exc))
            try:
                if fcntl:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                view = memoryview(line)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fsync(fd)
            finally:
                os.close(fd)  # closing releases the lock
            self.written += 1
        return entry


def open_audit_log(module, module_name, client=None):
    """The AuditLog for a SesModule with an ``audit_log`` option, checked writable unless in check mode."""
    region = getattr(getattr(client, "meta", None), "region_name", None) or module.params.get("region")
    log = AuditLog(module.params["audit_log"], lambda: caller_identity(module), module_name, region=region)
    if not module.check_mode:
        log.check_writable()
    return log
