"""Secrets never leave the module: not in -vvv output, not in results, not in the audit log.

Every secret option is declared no_log (checked from the argument specs the modules really build), and one
-vvv playbook passes distinctive canary secrets through every module that takes one - in successful tasks
and in failing ones (a wrong TSIG key, a broken private key), where an error message could echo them.
"""

from __future__ import annotations

import base64
import importlib
import json
import pkgutil

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .conftest import FAST, ROOT, play, record, tolerant

SECRET_WORDS = ("secret", "token", "password", "private_key", "passphrase")
# option names that look secret but are not (documented with no_log=False)
NOT_SECRET = {"dkim_tokens", "dkim_public_key"}

CANARY_SECRET_KEY = "relSECRETkey0canary7Qx2Lw9"
CANARY_SESSION_TOKEN = "relSESSIONtoken0canary4Fz8Mb1"
CANARY_ENV_SECRET = "relENVsecret0canary3Vt6Nc5"
CANARY_ENV_TOKEN = "relENVtoken0canary8Hs2Pk7"
CANARY_TSIG = base64.b64encode(b"relTSIGcanary-wrong-key-000000!!").decode()


class _Captured(Exception):
    pass


def module_specs():
    """{module: argument_spec} as each module's main() builds it (AnsibleModule is stopped at its door)."""
    from ansible.module_utils import basic
    from ansible_collections.deliverability.ses.plugins.module_utils import aws
    import ansible_collections.deliverability.ses.plugins.modules as pkg

    specs = {}

    class Capture:
        def __init__(self, argument_spec=None, **kwargs):
            raise _Captured(argument_spec)

    saved = aws.AnsibleModule, basic.AnsibleModule
    aws.AnsibleModule = basic.AnsibleModule = Capture
    try:
        for info in pkgutil.iter_modules(pkg.__path__):
            mod = importlib.import_module("%s.%s" % (pkg.__name__, info.name))
            if hasattr(mod, "AnsibleModule"):
                mod.AnsibleModule = Capture
            try:
                mod.main()
            except _Captured as captured:
                specs[info.name] = captured.args[0]
    finally:
        aws.AnsibleModule, basic.AnsibleModule = saved
    return specs


def secret_options(spec, prefix=""):
    for name, opt in spec.items():
        path = prefix + name
        if any(w in name for w in SECRET_WORDS) and name not in NOT_SECRET:
            yield path, opt
        if opt.get("options"):
            yield from secret_options(opt["options"], path + ".")


def test_every_secret_option_is_no_log(figures):
    specs = module_specs()
    modules = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if p.stem != "__init__")
    assert sorted(specs) == modules, "could not read the argument spec of %s" % (set(modules) - set(specs))
    found = {}
    for module, spec in specs.items():
        for path, opt in secret_options(spec):
            assert opt.get("no_log") is True, "%s: option %s is not no_log" % (module, path)
            found.setdefault(path, []).append(module)
    for required in ("secret_key", "session_token"):
        assert len(found[required]) == len(specs), required
    assert "key_secret" in found and "dkim.private_key" in found
    record(figures, "secrets", "no_log_options", {k: len(v) for k, v in sorted(found.items())})


def _pem_key():
    """A fresh private key (PEM) and its public key (base64 DER, public: fragments shared with it are no leak)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return (key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()).decode(), base64.b64encode(public).decode())


def fragments(secret, size=20):
    """The secret and every 20-character window of its base64 body (an error that quotes a slice of a key
    escapes Ansible's masking, which only replaces whole values)."""
    body = "".join(line for line in secret.splitlines() if not line.startswith("-----"))
    out = {secret.strip()}
    out.update(body[i:i + size] for i in range(0, max(1, len(body) - size + 1), size // 2))
    return out


@pytest.mark.bind
def test_vvv_playbook_and_audit_log_show_no_secret(sandbox, bind, rfc2136, mail_zones, ansible_playbook, tmp_path,
                                                  figures):
    pem, public = _pem_key()
    broken_pem = pem.replace(pem.splitlines()[5], pem.splitlines()[5][::-1])  # still base64, not a key
    audit = tmp_path / "audit.jsonl"
    explicit = {"access_key": "AKIARELIABILITY", "secret_key": CANARY_SECRET_KEY,
                "session_token": CANARY_SESSION_TOKEN}
    sandbox.post("suppressions", {"entries": [{"email": "gone@" + mail_zones["mx"], "reason": "BOUNCE"}]})
    zone = rfc2136["zone"]
    tasks = [
        tolerant("byodkim identity", "email_identity", dict(explicit, identity="byo." + zone,
                                                             dkim={"mode": "byodkim", "selector": "s1",
                                                                   "private_key": pem})),
        tolerant("broken private key", "email_identity", dict(explicit, identity="byo2." + zone,
                                                               dkim={"mode": "byodkim", "selector": "s1",
                                                                     "private_key": broken_pem})),
        tolerant("easy identity from env credentials", "email_identity", {"identity": "easy." + zone}),
        tolerant("info", "email_identity_info", dict(explicit, identity="byo." + zone)),
        tolerant("records with tsig", "dns_records", dict(rfc2136, records=[
            {"name": "canary", "type": "TXT", "values": ["v=spf1 -all"]}])),
        tolerant("records with a wrong tsig", "dns_records", dict(rfc2136, key_secret=CANARY_TSIG, records=[
            {"name": "canary2", "type": "TXT", "values": ["v=spf1 -all"]}])),
        tolerant("spf with tsig", "spf", dict(rfc2136, domain=zone, mechanisms=["ip4:192.0.2.1"])),
        tolerant("dmarc with tsig", "dmarc", dict(rfc2136, domain=zone, policy="none",
                                                  external_destinations="ignore")),
        tolerant("suppress", "suppressed_destination", dict(explicit, email="new@" + mail_zones["mx"],
                                                            reason="COMPLAINT", audit_log=str(audit))),
        tolerant("delist", "suppressed_destination", dict(explicit, email="gone@" + mail_zones["mx"], state="absent",
                                                          reason_for_removal="secrets test", resolvers=[bind.server],
                                                          audit_log=str(audit))),
        tolerant("account", "account_suppression", dict(explicit, suppressed_reasons=["BOUNCE"],
                                                        audit_log=str(audit))),
        tolerant("list", "suppressed_destination_info", explicit),
        tolerant("pipeline", "feedback_pipeline", dict(explicit, name="secrets-test")),
        tolerant("reputation", "reputation_info", explicit),
        tolerant("alarms", "reputation_alarms", dict(explicit, levels=["warning"])),
    ]
    env = {"AWS_SECRET_ACCESS_KEY": CANARY_ENV_SECRET, "AWS_SESSION_TOKEN": CANARY_ENV_TOKEN}
    res = ansible_playbook(play(*tasks), verbosity=3, env=dict(env, **FAST))
    assert res.rc == 0, res
    status = {r["task"]: r["status"] for r in res.results}
    # the tasks really ran (a secret that never reached a module proves nothing)
    for name in ("byodkim identity", "easy identity from env credentials", "records with tsig", "spf with tsig",
                 "dmarc with tsig", "suppress", "delist", "account", "list", "pipeline", "reputation", "alarms"):
        assert status[name] == "ok", (name, res.task(name))
    for name in ("broken private key", "records with a wrong tsig"):
        assert status[name] == "failed", (name, res.task(name))
    assert res.task("broken private key")["msg"].startswith("dkim.private_key:")

    secrets = {CANARY_SECRET_KEY, CANARY_SESSION_TOKEN, CANARY_ENV_SECRET, CANARY_ENV_TOKEN, CANARY_TSIG,
               bind.key_secret}
    secrets |= {f for f in fragments(pem) | fragments(broken_pem) if f not in public}
    audit_text = audit.read_text()
    assert len(audit_text.splitlines()) == 3
    results_text = json.dumps(res.results)
    leaks = [s for s in secrets if s in res.output or s in results_text or s in audit_text]
    assert leaks == [], "secrets leaked: %s" % leaks
    record(figures, "secrets", "vvv_playbook", {"tasks": len(tasks), "secret_values_checked": len(secrets),
                                                "audit_lines": len(audit_text.splitlines()), "leaks": 0})
