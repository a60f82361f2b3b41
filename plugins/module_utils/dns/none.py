# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A provider for DNS the collection does not manage: it writes nothing.

With ``server`` it reads the current rrsets from that server (so the result shows what is still
missing); without, the current state is unknown and every record is reported as to be published.
The module returns the records as data and as zone-file lines for a person or another tool.
"""

from __future__ import annotations

from ansible_collections.deliverability.ses.plugins.module_utils.dns.base import Provider


class NoneProvider(Provider):
    name = "none"
    writes = False

    def __init__(self, zone, params, clients=None):
        super().__init__(zone, params, clients)
        self.reader = None
        if params.get("server"):
            from ansible_collections.deliverability.ses.plugins.module_utils.dns.rfc2136 import Rfc2136Provider
            self.reader = Rfc2136Provider(zone, params, clients)

    def read(self, keys):
        return self.reader.read(keys) if self.reader else {}

    def apply(self, changes):
        return None

    def read_zone(self):
        return self.reader.read_zone() if self.reader else {}


PROVIDER = NoneProvider
