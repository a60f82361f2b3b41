"""One host:port grammar (validate.server_address) for every option that names a DNS server: what the option
validation accepts is exactly what the resolver and the RFC 2136 provider use, and messages print [v6]:port."""

from __future__ import annotations

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils import validate
from ansible_collections.deliverability.ses.plugins.module_utils.dns import resolve
from ansible_collections.deliverability.ses.plugins.module_utils.dns.rfc2136 import Rfc2136Provider
from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError

GOOD = [
    ("127.0.0.1", ("127.0.0.1", 53)),
    (" 127.0.0.1", ("127.0.0.1", 53)),            # refused by one grammar, accepted by the other before
    ("127.0.0.1:5353 ", ("127.0.0.1", 5353)),
    ("::1", ("::1", 53)),
    ("[::1]:5353", ("::1", 5353)),
    ("[::1]", ("::1", 53)),
    ("fe80::1%eth0", ("fe80::1%eth0", 53)),      # a link-local resolver: refused by one grammar before
    ("[fe80::1%eth0]:53", ("fe80::1%eth0", 53)),
    ("0:0:0:0:0:0:0:1", ("::1", 53)),
    ("localhost:53", ("localhost", 53)),
]
BAD = ["", " ", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:x", "[127.0.0.1]:53", "[::1]x", "::g", "a b",
       "host:53:54:zz", "exa mple.com", "[::1]:", ":53", "127.0.0.1\n", 53, None, True]


@pytest.mark.parametrize("value, expected", GOOD)
def test_every_path_reads_a_server_the_same_way(value, expected):
    assert validate.server_address(value, "server") == expected
    assert validate.server(value, "server") == value
    host, port = resolve.split_server(value, option="server")
    assert port == expected[1]
    if expected[0] != "localhost":  # the resolver resolves names; addresses come back as they are
        assert host == expected[0]


@pytest.mark.parametrize("value", BAD)
def test_every_path_refuses_the_same_values_naming_the_option(value):
    with pytest.raises(InputError) as one:
        validate.server(value, "server")
    with pytest.raises(InputError) as two:
        resolve.split_server(value, option="server")
    assert one.value.option == two.value.option == "server"


def test_messages_print_an_ipv6_server_in_brackets():
    assert validate.server_text("::1", 5353) == "[::1]:5353"
    assert validate.server_text("192.0.2.1", 53) == "192.0.2.1:53"
    provider = Rfc2136Provider("example.test", {"server": "::1", "port": 5353, "key_name": "k",
                                                "key_secret": "c2VjcmV0c2VjcmV0", "key_algorithm": "hmac-sha256"})
    assert provider.server_text == "[::1]:5353"
