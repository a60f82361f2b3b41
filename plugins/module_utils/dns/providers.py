# -*- coding: utf-8 -*-
# Copyright: deliverability.ses contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The provider registry (by name) and the options every DNS-writing module shares.

A provider is one file in this package defining ``PROVIDER`` (a :class:`base.Provider` subclass with a
unique ``name``); it is registered by the import line below. Modules only know the name.
"""

from __future__ import annotations

from ansible.module_utils.basic import env_fallback

from ansible_collections.deliverability.ses.plugins.module_utils.errors import InputError
from ansible_collections.deliverability.ses.plugins.module_utils.dns import none as _none
from ansible_collections.deliverability.ses.plugins.module_utils.dns import rfc2136 as _rfc2136
from ansible_collections.deliverability.ses.plugins.module_utils.dns import route53 as _route53
from ansible_collections.deliverability.ses.plugins.module_utils.names import normalize_domain
from ansible_collections.deliverability.ses.plugins.module_utils import validate

REGISTRY = {m.PROVIDER.name: m.PROVIDER for m in (_route53, _rfc2136, _none)}

DNS_PROVIDER_ARGUMENT_SPEC = dict(
    provider=dict(type="str", required=True, choices=sorted(REGISTRY)),
    zone=dict(type="str"),
    server=dict(type="str"),
    port=dict(type="int"),
    key_name=dict(type="str", no_log=False),
    key_secret=dict(type="str", no_log=True),
    key_algorithm=dict(type="str", default="hmac-sha256", choices=list(_rfc2136.KEY_ALGORITHMS)),
    dns_timeout=dict(type="float", default=10.0),
    hosted_zone_id=dict(type="str"),
    private_zone=dict(type="bool"),
    # Route 53 change propagation (INSYNC); named apart from the SES verification waits (wait / wait_timeout
    # of email_identity and mail_from), which these names used to share
    dns_wait=dict(type="bool", default=True, aliases=["wait"],
                  deprecated_aliases=[dict(name="wait", version="2.0.0", collection_name="deliverability.ses")]),
    dns_wait_timeout=dict(type="int", default=300, aliases=["wait_timeout"],
                          deprecated_aliases=[dict(name="wait_timeout", version="2.0.0",
                                                   collection_name="deliverability.ses")]),
)


def zone_directory(params, zones, clients):
    """What the named provider learns once for many ``zones`` (see ``Provider.directory``), or None."""
    name = params.get("provider")
    if name not in REGISTRY:
        raise InputError("provider", "%r is not one of %s" % (name, ", ".join(sorted(REGISTRY))))
    return REGISTRY[name].directory(params, zones, clients)


def get_provider(params, module=None, zone=None, clients=None, directory=None):
    """The provider named by ``params["provider"]`` for ``zone``.

    ``clients(service)`` returns a boto3 client (Route 53 needs one); without it the module's ``client``
    is used, so ``get_provider(params, module)`` keeps working. ``directory``: from :func:`zone_directory`.
    """
    name = params.get("provider")
    if name not in REGISTRY:
        raise InputError("provider", "%r is not one of %s" % (name, ", ".join(sorted(REGISTRY))))
    zone = normalize_domain(zone or params.get("zone"), "zone")
    check_provider_options(params)
    if clients is None and module is not None:
        clients = module.client
    if directory is not None:
        params = dict(params, _directory=directory)
    return REGISTRY[name](zone, params, clients)


def check_provider_options(params):
    """The provider options every DNS-writing module shares, checked before any query or update."""
    if params.get("server"):
        validate.server(params["server"], "server")
    if params.get("port") is not None:
        validate.count(params["port"], "port", maximum=65535)
    if params.get("key_name"):
        validate.dns_name(params["key_name"], "key_name", relative=False)
    if params.get("dns_timeout") is not None:
        validate.number(params["dns_timeout"], "dns_timeout", minimum=0, maximum=3600, min_exclusive=True)
    for option in ("dns_wait_timeout", "wait_timeout"):  # wait_timeout: the deprecated name (params built by hand)
        if params.get(option) is not None:
            validate.duration(params[option], option, maximum=86400, integer=True)
    if params.get("hosted_zone_id"):
        validate.text(params["hosted_zone_id"], "hosted_zone_id", max_len=64)
    for option in ("resolvers", "nameservers"):
        for server in params.get(option) or []:
            validate.server(server, option)


def find_zone(params, module, name, clients=None):
    """The zone that holds ``name`` at the provider, walking up to the parent zone, and the provider reached
    once on the way (a typo'd domain or an unreachable server fails here, before anything is written).
    Returns (zone, params to build the provider with). ``clients`` as in :func:`get_provider`."""
    if clients is None and module is not None:
        clients = module.client
    provider_name = params.get("provider")
    name = normalize_domain(name, "zone")
    check_provider_options(params)
    params = dict(params)
    if provider_name == "route53":
        if params.get("hosted_zone_id"):
            return name, params
        zone, zone_id = _route53.enclosing_zone(clients("route53"), name, params.get("private_zone"))
        params["hosted_zone_id"] = zone_id
        return zone, params
    if provider_name == "rfc2136" or (provider_name == "none" and params.get("server")):
        return _rfc2136.Rfc2136Provider(name, params, clients).enclosing_zone(name), params
    return name, params  # provider none without a server: nothing to ask


# where SPF includes and report authorisations are looked up when no nameservers option is given (spf, dmarc,
# domain_policy): an offline sandbox or a split-horizon resolver is named once for every task
NAMESERVERS_ENV = "DELIVERABILITY_SES_NAMESERVERS"


def resolvers_spec(env=False, alias=True):
    """The one argument spec of ``resolvers`` (documented once: doc fragment ``deliverability.ses.resolvers``).
    ``env``: fall back to DELIVERABILITY_SES_NAMESERVERS (spf, dmarc, domain_policy); ``alias``: accept the older
    name ``nameservers`` (not in wait_for_dns, where that name meant its authoritative servers)."""
    spec = dict(type="list", elements="str")
    if alias:
        spec["aliases"] = ["nameservers"]
    if env:
        spec["fallback"] = (env_fallback, [NAMESERVERS_ENV])
    return spec


def lookup_resolver(params):
    """The resolver for lookups beyond the managed rrsets (SPF includes, report authorisations):
    ``resolvers`` when given, else the rfc2136/none ``server``, else the system resolver."""
    from ansible_collections.deliverability.ses.plugins.module_utils.dns.resolve import Resolver
    servers = params.get("resolvers") or params.get("nameservers")
    if not servers and params.get("provider") in ("rfc2136", "none") and params.get("server"):
        host, port = validate.server_address(params["server"], "server", params.get("port") or 53)
        servers = [validate.server_text(host, port)]
    return Resolver(servers, timeout=float(params.get("dns_timeout") or 5))
