# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The files the bounce processor writes (reports, store, quarantine): checked before the run's first side effect,
written atomically through files.py."""

from __future__ import annotations

import os

from ansible_collections.deliverability.ses.plugins.module_utils import files
from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError


def _nearest_existing(path):
    parent = path
    while not os.path.exists(parent):
        up = os.path.dirname(parent)
        if up == parent:
            break
        parent = up
    return parent


def check_file_target(path, option):
    """Fail naming ``option`` unless a file can be written at ``path`` (existing regular file that is writable,
    or a new file in a writable directory, made if missing). Called before the first side effect, so that a
    bad path never stops a run after messages were deleted and addresses suppressed."""
    full = os.path.abspath(os.path.expanduser(path))
    if os.path.islink(full):
        raise InputError(option, "%s is a symbolic link; refusing to write through it" % path)
    if os.path.isdir(full):
        raise InputError(option, "%s is a directory, not a file" % path)
    if os.path.exists(full):
        if not os.path.isfile(full):
            raise InputError(option, "%s is not a regular file" % path)
        if not os.access(full, os.W_OK):
            raise InputError(option, "%s is not writable" % path)
        parent = os.path.dirname(full)
    else:
        parent = _nearest_existing(os.path.dirname(full))
        if not os.path.isdir(parent):
            raise InputError(option, "cannot create %s: %s is not a directory" % (path, parent))
    # the report and the store are replaced atomically: a new file is made next to the old one
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(option, "cannot write %s: directory %s is not writable" % (path, parent))
    return full


def check_dir_target(path, option):
    """Fail naming ``option`` unless ``path`` is (or can be made) a writable directory."""
    full = os.path.abspath(os.path.expanduser(path))
    if os.path.islink(full):
        raise InputError(option, "%s is a symbolic link; refusing to write through it" % path)
    if os.path.exists(full):
        if not os.path.isdir(full):
            raise InputError(option, "%s is not a directory" % path)
        if not os.access(full, os.W_OK | os.X_OK):
            raise InputError(option, "directory %s is not writable" % path)
        return full
    parent = _nearest_existing(os.path.dirname(full))
    if not os.path.isdir(parent) or not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(option, "cannot create directory %s: %s is not a writable directory" % (path, parent))
    return full


def write_file(path, content, option="summary_path"):
    """Write ``content`` atomically through files.write_atomic (0600 when new, never through a symlink); True when
    the content changed."""
    if files.read_text_if_exists(path) == content:
        return False
    files.write_atomic(path, content, option)
    return True
