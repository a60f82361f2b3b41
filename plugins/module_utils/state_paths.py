# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where state that must outlive a run lives, and a loud warning when it would not.

AWX / Automation Platform run each job in a fresh execution-environment container: a bounce history or an audit
log under the home directory disappears with it, so soft-bounce escalation, de-duplication and the audit trail
would silently restart every run. Pure: the environment and file checks are passed in for tests.
"""

from __future__ import annotations

import os

CONTAINER_MARKERS = ("/.dockerenv", "/run/.containerenv")
# ansible-runner (AWX, Automation Platform, ansible-navigator) sets these in the job's environment
RUNNER_VARS = ("AWX_HOST", "RUNNER_OMIT_EVENTS", "ANSIBLE_RUNNER_ARTIFACT_DIR", "JOB_ID")


def in_container(environ=None, exists=os.path.exists):
    environ = os.environ if environ is None else environ
    if environ.get("container") or any(environ.get(v) for v in RUNNER_VARS):
        return True
    return any(exists(marker) for marker in CONTAINER_MARKERS)


def under_home(path, home=None):
    home = os.path.expanduser("~") if home is None else home
    path = home + path[1:] if path == "~" or path.startswith("~/") else path
    home, path = os.path.realpath(home), os.path.realpath(path)
    return path == home or path.startswith(home.rstrip("/") + "/")


def ephemeral_state_warning(path, option, what, environ=None, exists=os.path.exists, home=None):
    """A warning text when ``path`` (state that must outlive the run) is under the home directory of a container,
    else None."""
    if not path or not in_container(environ, exists) or not under_home(path, home):
        return None
    return ("%s=%s is under the home directory of a container (AWX / execution environment): %s is lost when the "
            "job's container goes, so every run starts empty. Point %s at a persistent volume (or a shared store)."
            % (option, path, what, option))
