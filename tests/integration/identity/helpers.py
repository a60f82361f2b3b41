"""Publishing an identity's returned dns_records in the sandbox's Route 53 or the BIND fixture (no DNS modules).

The records are in the shape dns_records takes (``values``: logical values); the zone-file form another
tool needs comes from the collection's one encoder, ``dns.rdata.presentation``.
"""

from __future__ import annotations

import base64

import dns.query
import dns.tsigkeyring
import dns.update

from ansible_collections.deliverability.ses.plugins.module_utils.dns.rdata import presentation


def zone_file_values(rec):
    return [presentation(rec["type"], v) for v in rec["values"]]


def publish_route53(sandbox, zone, records):
    r53 = sandbox.boto3_client("route53")
    zones = [z for z in r53.list_hosted_zones()["HostedZones"] if z["Name"].rstrip(".") == zone]
    zone_id = zones[0]["Id"] if zones else r53.create_hosted_zone(Name=zone, CallerReference=zone)["HostedZone"]["Id"]
    changes = [{"Action": "UPSERT", "ResourceRecordSet": {
        "Name": rec["name"], "Type": rec["type"], "TTL": rec["ttl"],
        "ResourceRecords": [{"Value": v} for v in zone_file_values(rec)]}} for rec in records]
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})


def publish_bind(bind, zone, records, delete=False):
    keyring = dns.tsigkeyring.from_text({bind.key_name: bind.key_secret})
    upd = dns.update.UpdateMessage(zone, keyring=keyring, keyalgorithm="hmac-sha256")
    for rec in records:
        rel = rec["name"][: -len(zone) - 1] if rec["name"] != zone else "@"
        if delete:
            upd.delete(rel, rec["type"])
            continue
        for value in zone_file_values(rec):
            upd.add(rel, rec["ttl"], rec["type"], value)
    resp = dns.query.tcp(upd, "127.0.0.1", port=bind.port, timeout=5)
    assert resp.rcode() == 0, resp


def rsa_key(bits=2048, pem=True, pkcs8=False):
    """(private key text, base64 SubjectPublicKeyInfo) of a fresh RSA key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    fmt = serialization.PrivateFormat.PKCS8 if pkcs8 else serialization.PrivateFormat.TraditionalOpenSSL
    if pem:
        text = key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()
    else:
        text = base64.b64encode(key.private_bytes(serialization.Encoding.DER, fmt,
                                                  serialization.NoEncryption())).decode()
    pub = base64.b64encode(key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
    return text, pub
