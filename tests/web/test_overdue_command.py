"""`fieldcheck overdue`: overdue items per community, as text or CSV, judged at a given time."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from fieldcheck.cli import main
from fieldcheck.extensions import db
from fieldcheck.reports.models import Report
from tests.web.reporting import INSIDE_C003, post_report

AT = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def setup_reports(app, client, people) -> dict[str, int]:
    ids = {}
    for name, where in (
        ("late1", None),
        ("late2", None),
        ("rectified", None),
        ("future", None),
        ("c3", INSIDE_C003),
    ):
        fields = {"lat": str(where[0]), "lon": str(where[1])} if where else {}
        ids[name] = post_report(client, people["insp"], **fields).get_json()["id"]
    with app.app_context():
        due = {
            "late1": AT - timedelta(hours=30),
            "late2": AT - timedelta(hours=2),
            "rectified": AT - timedelta(days=3),
            "future": AT + timedelta(hours=1),
            "c3": AT - timedelta(days=1),
        }
        for name, report_id in ids.items():
            row = db.session.get(Report, report_id)
            row.due_at = due[name]
            if name == "rectified":
                row.status = "rectified"
        db.session.commit()
    return ids


def run(app, *args):
    return app.test_cli_runner().invoke(main, ["overdue", *args])


def test_overdue_text_groups_by_community(app, client, people):
    ids = setup_reports(app, client, people)
    result = run(app, "--at", AT.isoformat())
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "3 overdue items at 2026-12-01 09:00 (Asia/Shanghai)"
    assert "C001 王城社区 (西工街道): 2" in lines
    assert "C003 涧河社区 (涧西街道): 1" in lines
    c001 = lines.index("C001 王城社区 (西工街道): 2")
    assert lines[c001 + 1].startswith(f"  #{ids['late1']} ENV-02 ")
    assert lines[c001 + 1].endswith("30 h overdue")
    assert lines[c001 + 2].startswith(f"  #{ids['late2']} ")
    assert f"#{ids['rectified']} " not in result.output and f"#{ids['future']} " not in result.output


def test_overdue_csv_file_opens_in_excel(app, client, people, tmp_path):
    ids = setup_reports(app, client, people)
    out = tmp_path / "overdue.csv"
    result = run(app, "--format", "csv", "-o", out, "--at", AT.isoformat())
    assert result.exit_code == 0, result.output
    assert result.stdout == f"3 overdue items written to {out}\n"  # (stderr: links are relative, see below)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [int(r["report_id"]) for r in rows] == [ids["late1"], ids["late2"], ids["c3"]]
    assert rows[0]["due_at"] == "2026-11-30T03:00:00+08:00"
    assert rows[0]["overdue_hours"] == "30.0"
    assert rows[2]["community_name"] == "涧河社区"
    assert rows[0]["report_url"] == f"/reports/{ids['late1']}"
    assert result.stderr.count("FIELDCHECK_PUBLIC_URL is not set") == 1


def test_overdue_csv_links_each_report_with_the_public_url(app, client, people, tmp_path):
    ids = setup_reports(app, client, people)
    app.config["PUBLIC_URL"] = "https://wmb.example.gov.cn/wmb"
    out = tmp_path / "overdue.csv"
    result = run(app, "--format", "csv", "-o", out, "--at", AT.isoformat())
    assert result.exit_code == 0 and result.stderr == ""
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert [r["report_url"] for r in rows] == [
        f"https://wmb.example.gov.cn/wmb/reports/{ids[k]}" for k in ("late1", "late2", "c3")
    ]


def test_nothing_overdue_says_so(app, client, people):
    result = run(app, "--at", "2026-01-01T08:00+08:00")
    assert result.exit_code == 0
    assert result.output == "no overdue items at 2026-01-01 08:00\n"


def test_a_time_without_offset_is_refused(app, people):
    result = run(app, "--at", "2026-12-01T09:00")
    assert result.exit_code != 0
    assert "--at needs a UTC offset" in result.output
    assert "Traceback" not in result.output


def test_an_unwritable_output_is_refused_cleanly(app, people, tmp_path):
    result = run(app, "-o", tmp_path / "missing" / "x.csv")
    assert result.exit_code != 0
    assert "cannot write" in result.output
