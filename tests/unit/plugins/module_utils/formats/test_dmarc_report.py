"""DMARC aggregate report reading: containers, schemas, and the hostile corpus (each with a clear outcome)."""

from __future__ import annotations

import io
import zipfile

import pytest

from ansible_collections.deliverability.ses.plugins.module_utils.runners import dmarc_ingest

from ansible_collections.deliverability.ses.plugins.module_utils.formats import dmarc_report
from ansible_collections.deliverability.ses.plugins.module_utils.store.evidence import SqliteEvidenceStore
from tests.fixtures import dmarc_reports as gen

L = dmarc_report.Limits()
DAY = 1767225600  # 2026-01-01


def _xml(schema="rfc7489", org="google.com", rid="r1", domain="example.test", total=1000):
    recs = gen.source_records(domain, total)
    return gen.report_xml(org, "noreply@" + org, rid, domain, DAY, DAY + 86399, recs, schema=schema), recs


def _read(data, name="f"):
    out = []
    for member, stream in dmarc_report.open_reports(data, name, L):
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
    ing = dmarc_ingest.Ingester(store, L, quarantine=dmarc_ingest.local_quarantine(str(qdir)))
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
    again = dmarc_ingest.Ingester(store, L, quarantine=dmarc_ingest.local_quarantine(str(qdir)))
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
    ing = dmarc_ingest.Ingester(store, L, quarantine=dmarc_ingest.local_quarantine(str(tmp_path / "q")))
    out = ing.ingest("box.mbox", box)
    assert out["status"] == "partial" and out["new"] == 2 and out["errors"][0]["kind"] == "forbidden", out
    assert store.counts()["reports"] == 2


def test_dedup_by_reporter_and_report_id_and_check_mode_writes_nothing(tmp_path):
    path = tmp_path / "e.sqlite"
    xml, recs = _xml(rid="same")
    ro = SqliteEvidenceStore(str(path), read_only=True)
    ing = dmarc_ingest.Ingester(ro, L, check_mode=True, quarantine=dmarc_ingest.local_quarantine(str(tmp_path / "q")))
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
