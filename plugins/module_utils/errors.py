# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's error classes, in a module that imports nothing.

Pure code (``policy/``, record rendering, notification parsing) raises these without pulling in boto3 or
dnspython through ``aws.py``; only ``aws.run_module`` turns them into ``fail_json``. ``aws``, ``dns.base``
and ``mailcheck`` re-export the classes they used to define, so existing imports keep working.
"""

from __future__ import annotations


class DeliverabilityError(Exception):
    """An error a module reports with one clear message (never a traceback)."""

    def __init__(self, msg, **details):
        super().__init__(msg)
        self.msg = msg
        self.details = details


class InputError(DeliverabilityError):
    """The user gave an option a value it cannot take; ``option`` names it."""

    def __init__(self, option, msg, **details):
        super().__init__("%s: %s" % (option, msg), option=option, **details)
        self.option = option


class AwsError(DeliverabilityError):
    """An AWS call failed; carries the operation and the AWS error code."""

    def __init__(self, operation, code, message, http_status=None):
        msg = "%s failed: %s: %s" % (operation, code, message)
        super().__init__(msg, operation=operation, error_code=code, http_status=http_status)
        self.operation = operation
        self.code = code
        self.message = message
        self.http_status = http_status

    def __reduce__(self):  # pickled whole (a forked reader's error, concurrency.ForkedCall), not from args
        return (type(self), (self.operation, self.code, self.message, self.http_status))


class DnsError(DeliverabilityError):
    """A DNS operation failed; carries the rcode (or the exception class) and the server."""

    def __init__(self, operation, rcode, message, server=None):
        msg = "%s failed: %s: %s" % (operation, rcode, message)
        if server:
            msg += " (server %s)" % server
        super().__init__(msg, operation=operation, rcode=rcode, server=server)
        self.operation = operation
        self.rcode = rcode


class DnsCheckError(DeliverabilityError):
    """A DNS check could not reach an answer (timeout, SERVFAIL): neither yes nor no."""
