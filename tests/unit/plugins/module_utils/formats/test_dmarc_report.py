"""DMARC aggregate report reading: containers, schemas, and the hostile corpus (each with a clear outcome)."""

from __future__ import annotations

import io
import zipfile

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.runners import dmarc_ingest, dmarc_sources

from ansible_collections.deliverability.ses.plugins.module_utils.formats import dmarc_report

from ansible_collections.deliverability.ses.plugins.module_utils.formats import dmarc_containers
from ansible_collections.deliverability.ses.plugins.module_utils.store.evidence import SqliteEvidenceStore
from tests.fixtures import dmarc_reports as gen

L = dmarc_report.Limits()
DAY = 1767225600  # 2026-01-01


def _xml(schema="rfc7489", org="google.com", rid="r1", domain="example.test", total=1000):
    recs = gen.source_records(domain, total)
    return gen.report_xml(org, "noreply@" + org, rid, domain, DAY, DAY + 86399, recs, schema=schema), recs


def _read(data, name="f"):
    out = []
    for member, stream in dmarc_containers.open_reports(data, name, L):
        out.append(dmarc_report.parse_xml(stream, L))
    return out


@pytest.mark.parametrize("schema", ["rfc7489", "rfc9990", "draft"])
def test_three_schemas_read_alike(schema):
    xml, recs = _xml(schema)
    (rep,) = _read(xml)
    assert rep["schema"] == schema and rep["org_name"] == "google.com" and rep["report_id"] == "r1"
    assert rep["domain"] == "example.test" and rep["date_begin"] == DAY
    assert rep["messages"] == sum(r["count"] for r in recs) and rep["record_count"] == len(recs)
    crm = next(r for r in rep["records"] if r["source_ip"] == "203.0.113.7")
    got = (crm["dkim"], crm["spf"], crm["dkim_domain"], crm["spf_domain"])
    assert got == ("fail", "fail", "crm.example", "crm.example")
    ses = next(r for r in rep["records"] if r["source_ip"] == "54.240.8.10")
    assert (ses["dkim"], ses["spf"], ses["spf_domain"]) == ("pass", "fail", "amazonses.com")


def test_containers_gzip_zip_mime_mbox():
    xml, dummy = _xml()
    odd_mime = gen.mime(gen.gz(xml), "google.com!example.test!1!2.xml.gz", "dmarc@example.test", odd=True)
    zip_mime = gen.mime(gen.zipped(xml), "r.zip", "dmarc@example.test")
    for data in (gen.gz(xml), gen.zipped(xml), odd_mime, zip_mime, gen.gz(xml) + b"\x00\x00padding"):
        (rep,) = _read(data)
        assert rep["report_id"] == "r1" and rep["messages"] > 0
    reps = _read(gen.mbox([odd_mime, zip_mime]))
    assert [r["report_id"] for r in reps] == ["r1", "r1"]
    # a zip with a gzip inside (seen from one reporter)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("report.xml.gz", gen.gz(xml))
    assert _read(buf.getvalue())[0]["report_id"] == "r1"


def test_tolerated_breakage_is_repaired_and_said():
    xml, dummy = _xml(org="Bad & Co")
    broken = xml.replace(b"Bad &amp; Co", b"B\xe4d & Co") + b"\n<!-- trailing -->junk"
    (rep,) = _read(broken)
    assert rep["org_name"] == "B\ufffdd & Co"
    assert set(rep["repairs"]) >= {"invalid UTF-8 replaced", "bare & escaped", "data after </feedback> dropped"}
    # a declaration that lies about the encoding
    (rep,) = _read(xml.replace(b'encoding="UTF-8"', b'encoding="bogus-8"'))
    assert rep["report_id"] == "r1"


BILLION = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
           b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><feedback>&lol3;</feedback>')
XXE = b'<?xml version="1.0"?><!DOCTYPE feedback [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><feedback>&xxe;</feedback>'


def _zip_bomb():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("r.xml", b"<feedback>" + b" " * (80 * 1024 * 1024))
    return buf.getvalue()


def hostile_corpus():
    xml, dummy = _xml()
    return {
        "entity-expansion.xml": (BILLION, "forbidden"),
        "external-entity.xml": (XXE, "forbidden"),
        "zip-bomb.zip": (_zip_bomb(), "bomb"),
        "gzip-bomb.xml.gz": (gen.gz(b"<feedback>" + b" " * (50 * 1024 * 1024)), "bomb"),
        "truncated.xml.gz": (gen.gz(xml)[:-100], "truncated"),
        "truncated.xml": (xml[:len(xml) // 2], "truncated"),
        "wrong-schema.xml": (b'<?xml version="1.0"?><html><body>not a report</body></html>', "schema"),
        "no-metadata.xml": (b"<feedback><policy_published><domain>x.test</domain></policy_published></feedback>",
                            "schema"),
        "empty.xml": (b"", "empty"),
        "whitespace.xml": (b"   \n", "unknown_format"),
        "no-attachment.eml": (b"From: a@b.test\nSubject: hi\n\nno report here\n", "no_report"),
        "bad.zip": (b"PK\x03\x04garbage", "bad_zip"),
    }


def test_hostile_corpus_each_has_a_clear_outcome_and_nothing_else_is_lost(tmp_path):
    store = SqliteEvidenceStore(str(tmp_path / "e.sqlite"))
    qdir = tmp_path / "q"
    ing = dmarc_ingest.Ingester(store, L, quarantine=dmarc_sources.local_quarantine(str(qdir)))
    good, dummy = _xml(rid="good-1")
    corpus = hostile_corpus()
    names = sorted(corpus)
    for i, name in enumerate(names):
        ing.ingest(name, corpus[name][0])
        if i == len(names) // 2:
            ing.ingest("good.xml.gz", gen.gz(good))  # a good report in the middle of the hostile ones
    by = {o["source"]: o for o in ing.outcomes}
    for name in names:
        outcome = by[name]
        assert outcome["status"] == "quarantined", outcome
        assert outcome["errors"][0]["kind"] == corpus[name][1], (name, outcome)
        assert (qdir / ("%s-%s" % (outcome["quarantined_to"].split("/")[-1].split("-")[0], name))).exists()
    assert by["good.xml.gz"]["status"] == "ingested" and by["good.xml.gz"]["new"] == 1
    assert ing.totals["quarantined"] == len(names) and ing.totals["reports_new"] == 1
    assert store.counts()["reports"] == 1
    assert "passwd" not in str(by["external-entity.xml"]) or "root:" not in str(by["external-entity.xml"])
    # a second run: every source is remembered, nothing is quarantined or counted again
    again = dmarc_ingest.Ingester(store, L, quarantine=dmarc_sources.local_quarantine(str(qdir)))
    for name in names:
        again.ingest(name, corpus[name][0])
    again.ingest("good.xml.gz", gen.gz(good))
    assert {o["status"] for o in again.outcomes} == {"seen"}
    assert store.counts()["reports"] == 1


def test_partial_mbox_keeps_the_good_reports(tmp_path):
    store = SqliteEvidenceStore(str(tmp_path / "e.sqlite"))
    a, dummy = _xml(rid="a")
    b, dummy = _xml(rid="b")
    box = gen.mbox([gen.mime(gen.gz(a), "a.xml.gz", "d@x.test"), gen.mime(XXE, "evil.xml", "d@x.test"),
                    gen.mime(gen.zipped(b), "b.zip", "d@x.test")])
    ing = dmarc_ingest.Ingester(store, L, quarantine=dmarc_sources.local_quarantine(str(tmp_path / "q")))
    out = ing.ingest("box.mbox", box)
    assert out["status"] == "partial" and out["new"] == 2 and out["errors"][0]["kind"] == "forbidden", out
    assert store.counts()["reports"] == 2


def test_dedup_by_reporter_and_report_id_and_check_mode_writes_nothing(tmp_path):
    path = tmp_path / "e.sqlite"
    xml, recs = _xml(rid="same")
    ro = SqliteEvidenceStore(str(path), read_only=True)
    ing = dmarc_ingest.Ingester(ro, L, check_mode=True, quarantine=dmarc_sources.local_quarantine(str(tmp_path / "q")))
    ing.ingest("a.xml", xml)
    ing.ingest("a.xml.gz", gen.gz(xml))  # same report, other wrapping: a duplicate even in check mode
    ing.ingest("bad.xml", XXE)
    assert (ing.totals["reports_new"], ing.totals["reports_duplicate"], ing.totals["quarantined"]) == (1, 1, 1)
    assert not path.exists() and not (tmp_path / "q").exists()
    store = SqliteEvidenceStore(str(path))
    ing = dmarc_ingest.Ingester(store, L)
    ing.ingest("a.xml", xml)
    ing.ingest("a.xml.gz", gen.gz(xml))
    other_org, dummy = _xml(rid="same", org="Yahoo")
    ing.ingest("y.xml", other_org)  # the same id from another reporter is another report
    assert (ing.totals["reports_new"], ing.totals["reports_duplicate"]) == (2, 1)
    rows = store.rows("example.test", "2026-01-01", "2026-01-01")
    assert sum(r["messages"] for r in rows) == 2 * sum(r["count"] for r in recs)


def test_what_the_world_sends_empty_org_wrapper_version_ipv6_idn():
    xml, recs = _xml()
    empty_org = xml.replace(b"<org_name>google.com</org_name>", b"<org_name/>")
    (rep,) = _read(empty_org)
    assert rep["org_name"] == "google.com" and any("empty org_name" in n for n in rep["repairs"])
    missing_org = xml.replace(b"<org_name>google.com</org_name>", b"")
    assert _read(missing_org)[0]["org_name"] == "google.com"
    wrapped = xml.replace(b"<feedback>", b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><feedback>', 1) \
        .replace(b"</feedback>", b"</feedback><xs:element name='x'/></xs:schema>")
    (rep,) = _read(wrapped)
    assert rep["report_id"] == "r1" and rep["messages"] == sum(r["count"] for r in recs)
    assert any("stray <schema>" in n for n in rep["repairs"]), rep["repairs"]
    with pytest.raises(dmarc_report.ReportError) as err:
        _read(b"<xs:schema xmlns:xs='x'><other/></xs:schema>")
    assert "no <feedback>" in err.value.message
    v2 = xml.replace(b"<version>1.0</version>", b"<version>2.0</version>")
    assert _read(v2)[0]["schema"] == "rfc9990"
    v6 = xml.replace(b"<source_ip>54.240.8.10</source_ip>", b"<source_ip>2001:DB8:0:0::0:1</source_ip>")
    assert "2001:db8::1" in [r["source_ip"] for r in _read(v6)[0]["records"]]
    idn = xml.replace(b"<domain>example.test</domain>", "<domain>straße.de</domain>".encode(), 1)
    puny = xml.replace(b"<domain>example.test</domain>", b"<domain>XN--STRAE-OQA.de.</domain>", 1)
    assert _read(idn)[0]["domain"] == _read(puny)[0]["domain"] == "xn--strae-oqa.de"


def test_quarantined_sources_are_retried_when_the_parser_changed(tmp_path, monkeypatch):
    store = SqliteEvidenceStore(str(tmp_path / "e.sqlite"))
    xml, dummy = _xml(rid="retry-1")
    wrapped = xml.replace(b"<feedback>", b"<wrapper><feedback>", 1).replace(b"</feedback>", b"</feedback></wrapper>")
    # an older reader refused it
    store.mark_source("sha256:x", "old.xml", "quarantined", "the root element is <wrapper>", 0, parser="1")
    ing = dmarc_ingest.Ingester(store, L)
    out = ing.ingest("old.xml", wrapped, fingerprint="sha256:x")
    assert out["status"] == "ingested" and out["new"] == 1 and "parser" in out["retried"]
    assert store.source_seen("sha256:x")["parser"] == dmarc_report.PARSER_VERSION
    # refused by this reader: not read again, unless retry_quarantined
    bad = b"<feedback><report_metadata></report_metadata></feedback>"
    assert dmarc_ingest.Ingester(store, L).ingest("bad.xml", bad)["status"] == "quarantined"
    assert dmarc_ingest.Ingester(store, L).ingest("bad.xml", bad)["status"] == "seen"
    forced = dmarc_ingest.Ingester(store, L, retry_quarantined=True)
    assert forced.ingest("bad.xml", bad)["status"] == "quarantined" and forced.totals["retried"] == 1


def test_zip_level_failures_are_counted_unreadable(tmp_path):
    store = SqliteEvidenceStore(str(tmp_path / "e.sqlite"))
    ing = dmarc_ingest.Ingester(store, L)
    out = ing.ingest("broken.zip", b"PK\x03\x04" + b"\x00" * 40)
    assert out["status"] == "quarantined" and ing.totals["reports_unreadable"] == 1, (out, ing.totals)
    ing2 = dmarc_ingest.Ingester(store, L)
    xml, dummy = _xml(rid="noted")
    ing2.ingest("n.xml", xml.replace(b"<org_name>google.com</org_name>", b"<org_name></org_name>"))
    notes = store.db.execute("SELECT org, notes, trust FROM reports WHERE report_id = 'noted'").fetchall()
    assert notes == [("google.com", "empty org_name: the domain of <email> (google.com) used", "operator")], notes


def test_spilled_sums_record_the_same_rows_and_digest(tmp_path, monkeypatch):
    """Past Sums.SPILL_AT distinct rows the per-report sums move to a temporary SQLite database: the rows and
    the report's digest are the same as when they stay in memory."""
    recs = [gen.record("192.0.2.%d" % (i % 40), 1 + i % 7, "example.test", "example.test", "pass" if i % 3 else "fail",
                       "amazonses.com", "pass", disposition=("none", "quarantine", "reject")[i % 3]) for i in range(200)]
    xml = gen.report_xml("google.com", "noreply@google.com", "spill", "example.test", DAY, DAY + 86399, recs)
    seen = []
    for spill_at in (10 ** 6, 7):
        monkeypatch.setattr(dmarc_ingest.Sums, "SPILL_AT", spill_at)
        store = SqliteEvidenceStore(str(tmp_path / ("s%d.sqlite" % spill_at)))
        assert dmarc_ingest.Ingester(store, L).ingest("s.xml", xml)["new"] == 1
        rows = sorted(store.db.execute("SELECT * FROM evidence").fetchall())
        digest = store.report_digest("google.com", "spill")
        seen.append((rows, digest))
    assert seen[0] == seen[1] and len(seen[0][0]) == 40
    assert sum(r[8] for r in seen[0][0]) == sum(r["count"] for r in recs)


def _kind(data):
    try:
        dmarc_report.parse_xml(io.BufferedReader(io.BytesIO(data)), L)  # XML as such: UTF-16 is not sniffed
    except dmarc_report.ReportError as exc:
        return exc.kind
    return "read"


def test_the_prolog_guard_refuses_a_dtd_in_any_encoding_and_wherever_the_prolog_ends():
    """The DTD check reads the prolog (the only place a DOCTYPE is well-formed): in UTF-16, after more than a
    chunk of comments, or as the DOCTYPE of a report that is otherwise fine - refused; after the root element
    it is not well-formed XML (and nothing of it is read)."""
    xml, dummy = _xml()
    body = xml.split(b"?>", 1)[1]
    dtd = b'<!DOCTYPE feedback [<!ENTITY x "y">]>'
    assert _kind(b'<?xml version="1.0"?>' + dtd + body) == "forbidden"
    utf16 = ('<?xml version="1.0" encoding="UTF-16"?>' + dtd.decode() + body.decode()).encode("utf-16")
    assert _kind(utf16) == "forbidden"
    assert _kind(('<?xml version="1.0" encoding="UTF-16"?>' + body.decode()).encode("utf-16")) == "read"
    long_prolog = b'<?xml version="1.0"?>' + b"<!-- padding -->" * 10000 + dtd + body
    assert len(long_prolog) > 2 * 64 * 1024 and _kind(long_prolog) == "forbidden"
    late = body.replace(b"<report_metadata>", dtd + b"<report_metadata>", 1)
    assert _kind(late) in ("xml", "schema")


def test_records_read_alike_whatever_the_namespace_layout_and_a_late_error_is_not_lost():
    """<record> children in another namespace than <record> are read by local name, to the same records; a
    report of several chunks broken after its start is repaired with every record read exactly once."""
    xml, recs = _xml(schema="rfc9990", total=5000)
    (plain,) = _read(xml)
    mixed = xml.replace(b'<feedback xmlns="urn:ietf:params:xml:ns:dmarc-2.0">',
                        b'<d:feedback xmlns:d="urn:ietf:params:xml:ns:dmarc-2.0">').replace(
        b"</feedback>", b"</d:feedback>").replace(b"<record>", b"<d:record>").replace(b"</record>", b"</d:record>")
    for tag in (b"version", b"report_metadata", b"policy_published"):
        mixed = mixed.replace(b"<%s>" % tag, b"<d:%s>" % tag).replace(b"</%s>" % tag, b"</d:%s>" % tag)
    (other,) = _read(mixed)
    assert other["records"] == plain["records"] and other["schema"] == "rfc9990" and plain["record_count"] == len(recs)
    big, recs = _xml(total=400000)
    big = gen.report_xml("google.com", "noreply@google.com", "big", "example.test", DAY, DAY + 86399,
                         [dict(r, ip="192.0.2.%d" % (i % 250 + 1)) for i, r in enumerate(recs * 400)])
    cut = len(big) * 2 // 3
    at = big.index(b"<header_from>", cut)
    broken = big[:at] + b"<header_from>x\x01" + big[at + len(b"<header_from>"):]
    assert len(broken) > 4 * 64 * 1024
    (whole,) = _read(big)
    (fixed,) = _read(broken)
    assert fixed["repairs"] and fixed["record_count"] == whole["record_count"] == len(recs) * 400
    assert fixed["messages"] == whole["messages"]


def _peak(tmp_path, n):
    import tracemalloc
    recs = [gen.record("10.0.%d.%d" % (i // 250 % 250, i % 250 + 1), 3, "big.test", "big.test", "pass",
                       "amazonses.com", "pass") for i in range(n)]
    path = tmp_path / ("big%d.xml" % n)
    path.write_bytes(gen.report_xml("google.com", "noreply@google.com", "b", "big.test", DAY, DAY + 86399, recs))
    del recs
    seen = []
    tracemalloc.start()
    try:
        with open(path, "rb") as fh:
            rep = dmarc_report.parse_xml(fh, L, on_record=lambda r: seen.append(1))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert rep["record_count"] == len(seen) == n
    return peak


def test_memory_stays_flat_whatever_the_number_of_records(tmp_path):
    """Each record is dropped from the tree once read: 40,000 records peak where 20,000 do (keeping the 20,000
    more as elements would take about 25 MB more). The copy kept for a repair stops at 8 MB either way."""
    small, large = _peak(tmp_path, 20000), _peak(tmp_path, 40000)
    assert large - small < 2 * 1024 * 1024, (small, large)


def test_report_digest_is_the_one_stores_already_hold():
    """Digests recorded by earlier versions stay comparable (a re-sent report is a duplicate, not a conflict):
    the digest equals the formula it was defined with, computed here independently."""
    import hashlib
    import json
    import random
    rng = random.Random(7)
    report = {"domain": "example.test", "date_begin": DAY, "date_end": DAY + 86399,
              "policy": {"p": "none", "domain": "example.test"}}
    sums = [(("192.0.2.%d" % i, "h%d.test" % i, "example.test", "amazonses.com"),
             [rng.randrange(10 ** 9) for dummy in range(6)]) for i in range(50)]
    head = json.dumps(["example.test", DAY, DAY + 86399, sorted(report["policy"].items())],
                      separators=(",", ":")).encode()
    total = 0
    for key, values in sums:
        row = ("%s|%s|%s|%s|%s" % (key + (",".join(map(str, values)),))).encode()
        total = (total + int.from_bytes(hashlib.sha256(row).digest()[:16], "big")) % (1 << 128)
    expected = "sha256:" + hashlib.sha256(head + b"#50#" + str(total).encode()).hexdigest()
    assert dmarc_ingest.report_digest(report, sums) == expected
    assert dmarc_ingest.report_digest(report, list(reversed(sums))) == expected  # order-independent
