# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way a filter of this collection reports bad input: an AnsibleFilterError that starts with the filter's
name, so a failing template says which filter refused what, never a Python traceback."""

from __future__ import annotations

import contextlib

from ansible.errors import AnsibleFilterError

from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError


@contextlib.contextmanager
def filter_errors(name, catch=(TypeError, ValueError), hint=None):
    """Inside, InputError (its message, which names the option) and ``catch`` become AnsibleFilterError
    "<name>: <message>"; ``hint`` is appended in parentheses where the message alone would not say what to fix."""
    # "from None": ansible-core appends a chained cause to the message, which would say the same thing twice.
    try:
        yield
    except InputError as exc:
        raise AnsibleFilterError("%s: %s" % (name, exc.msg)) from None
    except catch as exc:
        message = "%s: %s (%s)" % (name, hint, exc) if hint else "%s: %s" % (name, exc)
        raise AnsibleFilterError(message) from None


def refuse(name, message):
    """Bad input found before any work: the same shape of error."""
    raise AnsibleFilterError("%s: %s" % (name, message))
