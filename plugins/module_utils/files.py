# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every file the collection writes goes through here: audit log, bounce store, summaries, quarantine,
reports and exports.

* Created 0600 (owner only) unless the caller passes another mode: these files hold addresses.
* Never through a symlink (``O_NOFOLLOW`` on the last component): a link planted at a predictable path
  (``~/.ansible/...``, ``/tmp/...``) must not redirect an append or a rename onto another file.
* An existing file with group/other bits is tightened to the mode asked for (its owner is us) or refused.
* :func:`check_writable` runs before a module's first side effect (an AWS write, a DNS update, a deleted
  message): a directory that cannot be written, a non-regular file or a nearly full file system fails
  the run while nothing has happened yet.
* CSV through the ``csv`` module, with cells that start with = + - @ TAB or CR prefixed with ``'`` so a
  spreadsheet shows them as text instead of running them as formulas (OWASP "CSV Injection").

Raises :class:`FileError` (a DeliverabilityError naming the option) - never a bare OSError.
"""

from __future__ import annotations

import errno
import os
import stat

from ansible_collections.deliverability.ses.plugins.module_utils.errors import DeliverabilityError

PRIVATE = 0o600
# Free space a run needs before it starts changing things: a few audit lines, a summary, SQLite's journal.
MIN_FREE_BYTES = 1024 * 1024
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class FileError(DeliverabilityError):
    """A file the module must write cannot be written; ``option`` names the option that gave its path."""

    def __init__(self, option, msg, path=None):
        super().__init__("%s: %s" % (option, msg), option=option, path=path)
        self.option = option
        self.path = path


def expand(path):
    return os.path.abspath(os.path.expanduser(path))


def _lstat(path):
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def free_bytes(directory):
    """Bytes an unprivileged writer can still use on the file system holding ``directory``."""
    st = os.statvfs(directory)
    return st.f_bavail * st.f_frsize


def check_writable(path, option, need=MIN_FREE_BYTES, mode=PRIVATE, allow_device=False, create_parents=True):
    """Fail now, before any side effect, if ``path`` cannot be written: parent missing and not creatable,
    not writable, a symlink, not a regular file, or less than ``need`` bytes free. Creates nothing but the
    parent directories (0700), and not even those with ``create_parents=False`` (check mode: the nearest
    existing ancestor must then be a writable directory). Returns the absolute path."""
    full = expand(path)
    parent = os.path.dirname(full)
    if not create_parents and not os.path.isdir(parent):
        ancestor = parent
        while ancestor and not os.path.exists(ancestor):
            up = os.path.dirname(ancestor)
            if up == ancestor:
                break
            ancestor = up
        if not os.path.isdir(ancestor) or not os.access(ancestor, os.W_OK | os.X_OK):
            raise FileError(option, "cannot create the directory %s (%s is not a writable directory)"
                            % (parent, ancestor), full)
        parent = ancestor
    try:
        os.makedirs(parent, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise FileError(option, "cannot create the directory %s (%s)" % (parent, exc.strerror or exc), full)
    st = _lstat(full)
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise FileError(option, "%s is a symbolic link; refusing to write through it (give the real path)"
                            % full, full)
        if stat.S_ISDIR(st.st_mode):
            raise FileError(option, "%s is a directory, not a file" % full, full)
        if not stat.S_ISREG(st.st_mode) and not allow_device:
            raise FileError(option, "%s is not a regular file" % full, full)
        if not os.access(full, os.W_OK):
            raise FileError(option, "%s is not writable" % full, full)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise FileError(option, "the directory %s is not writable" % parent, full)
    try:
        free = free_bytes(parent)
    except OSError as exc:
        raise FileError(option, "cannot tell the free space of %s (%s)" % (parent, exc.strerror or exc), full)
    if free < need:
        raise FileError(option, "the file system of %s has %d bytes free; at least %d are needed before "
                                "anything is changed" % (parent, free, need), full)
    if _read_only_fs(parent):
        raise FileError(option, "%s is on a read-only file system" % parent, full)
    return full


def _read_only_fs(directory):
    try:
        return bool(os.statvfs(directory).f_flag & getattr(os, "ST_RDONLY", 1))
    except OSError:
        return False


def _tighten(fd, full, mode, option):
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise FileError(option, "%s is not a regular file" % full, full)
    if st.st_mode & 0o777 & ~mode:
        if st.st_uid != os.geteuid():
            raise FileError(option, "%s is readable by others (mode %o) and owned by another user; refusing to "
                                    "write to it" % (full, st.st_mode & 0o777), full)
        os.fchmod(fd, mode)


def open_private(path, option, flags=os.O_WRONLY | os.O_APPEND | os.O_CREAT, mode=PRIVATE):
    """os.open without following a symlink at ``path``; a new file gets ``mode``, an existing one is tightened
    to it. Returns the file descriptor."""
    full = expand(path)
    try:
        if flags & os.O_CREAT:
            os.makedirs(os.path.dirname(full), mode=0o700, exist_ok=True)
        fd = os.open(full, flags | _NOFOLLOW | _CLOEXEC, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FileError(option, "%s is a symbolic link; refusing to write through it" % full, full)
        raise FileError(option, "cannot open %s (%s)" % (full, exc.strerror or exc), full)
    try:
        _tighten(fd, full, mode, option)
    except BaseException:
        os.close(fd)
        raise
    return fd


def write_all(fd, data):
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def append_lines(path, lines, option, mode=PRIVATE):
    """Append text lines (each ending in a newline) in one write, then fsync. Raises FileError."""
    data = "".join(lines).encode("utf-8")
    fd = open_private(path, option, mode=mode)
    try:
        write_all(fd, data)
        os.fsync(fd)
    except OSError as exc:
        raise FileError(option, "cannot write to %s (%s)" % (expand(path), exc.strerror or exc), expand(path))
    finally:
        os.close(fd)


def write_atomic(path, content, option, mode=PRIVATE):
    """Replace ``path`` with ``content`` (str or bytes): a 0600 temp file in the same directory, fsynced, then
    renamed over the target (a rename replaces a symlink itself, never its target, but a symlink there is
    refused anyway). Returns the absolute path."""
    full = expand(path)
    parent = os.path.dirname(full)
    st = _lstat(full)
    if st is not None and stat.S_ISLNK(st.st_mode):
        raise FileError(option, "%s is a symbolic link; refusing to replace it" % full, full)
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise FileError(option, "%s is not a regular file" % full, full)
    data = content.encode("utf-8") if isinstance(content, str) else content
    tmp = os.path.join(parent, ".%s.tmp-%d" % (os.path.basename(full), os.getpid()))
    try:
        os.makedirs(parent, mode=0o700, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW | _CLOEXEC, mode)
        try:
            os.fchmod(fd, mode)
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, full)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise FileError(option, "cannot write %s (%s)" % (full, exc.strerror or exc), full)
    return full


def read_limited(path, option, limit):
    """The UTF-8 text of the regular file ``path`` (relative to the directory the module runs in: where the user
    ran ansible-playbook, with a local connection), at most ``limit`` bytes; FileError naming ``option``
    otherwise (missing, a directory, a symlink, too large, not UTF-8)."""
    full = expand(path)
    try:
        fd = os.open(full, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FileError(option, "%s is a symbolic link; refusing to read through it" % full, full)
        raise FileError(option, "cannot read %s (%s)" % (full, exc.strerror or exc), full)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise FileError(option, "%s is not a regular file" % full, full)
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise FileError(option, "cannot read %s (%s)" % (full, exc.strerror or exc), full)
    if len(data) > limit:
        raise FileError(option, "%s is larger than %d bytes" % (full, limit), full)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileError(option, "%s is not UTF-8 text (byte %d)" % (full, exc.start), full)


def read_text_if_exists(path):
    """The text of a regular file, or None (missing, a symlink, unreadable)."""
    full = expand(path)
    try:
        fd = os.open(full, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as handle:
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return None


def prepare_private_file(path, option, mode=PRIVATE):
    """Create ``path`` empty with ``mode`` if it is missing (or tighten an existing one), without following a
    symlink: for files another library opens afterwards by name (SQLite)."""
    fd = open_private(path, option, flags=os.O_WRONLY | os.O_CREAT, mode=mode)
    os.close(fd)
    return expand(path)
