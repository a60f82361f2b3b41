"""Onboarding's check mode shows every record it would write (issue 27, item 5), and writes nothing.

Through ansible-playbook --check --diff on a new domain in a real BIND zone: the three DKIM CNAMEs (placeholder
tokens: SES makes them when it creates the identity), the MAIL FROM MX and SPF, the apex SPF and DMARC each appear
in the diff; the sandbox's request log has no mutating call, dig shows the zone unchanged, no journal is written.
"""

from __future__ import annotations

from pathlib import Path

from tests.integration.operator.helpers import axfr, rfc2136_vars

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK = str(ROOT / "playbooks" / "onboard_domain.yml")


def _diff_labels(res):
    """Every "name TYPE" a task's diff shows as it would be after (a list of diffs or one)."""
    out = set()
    for r in res.results:
        diffs = r["result"].get("diff") or []
        for d in diffs if isinstance(diffs, list) else [diffs]:
            after = d.get("after") if isinstance(d, dict) else None
            if isinstance(after, dict):
                out.update(k for k in after if isinstance(k, str) and " " in k)
    return out


def test_check_diff_shows_all_seven_records_and_writes_nothing(ansible_playbook, sandbox, bind, zone, amazonses,
                                                               tmp_path):
    before = axfr(bind, zone)
    mark = sandbox.mark()
    res = ansible_playbook(PLAYBOOK, check=True, diff=True, extra_vars=rfc2136_vars(bind, zone, tmp_path / "journal"))
    assert res.rc == 0, res
    assert sandbox.mutating_calls(since=mark) == []
    assert axfr(bind, zone) == before and not (tmp_path / "journal").exists()
    want = {"ses-assigns-token-%d._domainkey.%s CNAME" % (i, zone) for i in (1, 2, 3)} | {
        "mail.%s MX" % zone, "mail.%s TXT" % zone, "%s TXT" % zone, "_dmarc.%s TXT" % zone}
    shown = _diff_labels(res)
    assert want <= shown, (sorted(want - shown), sorted(shown))
    for label in want:  # and in what the operator reads
        assert label.split()[0] in res.stdout, label
    assert "10 feedback-smtp.us-east-1.amazonses.com" in res.stdout
    assert "ses-assigns-token-1..3" in res.stdout  # says the DKIM names are placeholders
