"""``smsconfirm explain``: the rule, due day, number, moves, message and reply of one visit."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest

from smsconfirm_tui.cli import main
from smsconfirm_tui.domain.status import VisitStatus
from smsconfirm_tui.explain import (
    VisitNotFound,
    explain_client_day,
    explain_visit,
    split_visit_key,
)

TOMORROW = date(2026, 12, 5)


def first_row(routine, status: VisitStatus):
    return next(row for row in routine.rows_for_day(TOMORROW) if row.status is status)


def move_visit(routine, row, new_start: datetime) -> None:
    with routine.mirror.transaction() as connection:
        for line in row.visit.lines:
            connection.execute(
                "UPDATE appointments SET starts_at = ? WHERE id = ?",
                (new_start.strftime("%Y-%m-%d %H:%M"), line.id),
            )


def test_split_key_with_slash_in_client() -> None:
    assert split_visit_key("S1/K/17/2026-12-05", ["S1", "S2"]) == ("S1", "K/17", date(2026, 12, 5))


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("S1/K1/5.12.2026", "must end with a date"),
        ("S9/K1/2026-12-05", "known salon id"),
        ("S1/2026-12-05", "known salon id"),
    ],
)
def test_split_key_invalid(key: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        split_visit_key(key, ["S1", "S2"])


def test_explain_unsent_visit(demo):
    routine = demo.routine
    row = first_row(routine, VisitStatus.TO_SEND)

    result = explain_visit(routine, row.key)

    assert result["visit"] == row.key
    assert result["status"] == "to_send"
    assert result["rule"] == "SMS confirmation is on and nothing was sent yet"
    assert result["moved"] is False
    assert result["due"]["lead_days"] == row.lead_days
    assert result["due"]["due_day"] == row.due.due.due.isoformat()
    assert result["due"]["state"] == str(row.due.state)
    assert result["number"]["e164"] == row.client.phone_e164
    assert result["message"] is None
    assert result["reply"] is None


def test_explain_needs_setup(demo):
    routine = demo.routine
    row = first_row(routine, VisitStatus.NEEDS_SETUP)

    result = explain_visit(routine, row.key)

    assert result["status"] == "needs_setup"
    assert result["rule"] == "mobile number present but SMS confirmation is off"
    assert result["profile"]["sms_on"] is False


def test_explain_no_mobile_reads_fields(demo):
    routine = demo.routine
    rows = routine.rows_for_day(TOMORROW)
    row = next(row for row in rows if row.status is VisitStatus.NO_MOBILE and row.client.mobile_phone.strip())

    result = explain_visit(routine, row.key)
    mobile = result["number"]["fields"]["mobile"]

    assert result["number"]["e164"] is None
    assert mobile["typed"] == row.client.mobile_phone
    assert mobile["sms_capable"] is False


def test_explain_sent_and_replied(demo):
    routine = demo.routine
    routine.send(routine.plan_send(routine.rows_for_day(TOMORROW)))
    routine.fetch_replies()
    row = first_row(routine, VisitStatus.CONFIRMED)

    result = explain_visit(routine, row.key)

    assert result["status"] == "confirmed"
    assert result["rule"] == "the client replied yes"
    assert result["message"]["state"] == "sent"
    assert result["message"]["lines"] == sorted(line.id for line in row.visit.active_lines)
    assert result["reply"]["class"] == "yes"
    assert result["reply"]["text"] == row.reply.text


def test_explain_moved_day(demo):
    routine = demo.routine
    row = first_row(routine, VisitStatus.TO_SEND)
    routine.send(routine.plan_send([row]))
    move_visit(routine, row, datetime.combine(date(2026, 12, 8), row.visit.starts_at.time()))
    new_key = row.key.replace("2026-12-05", "2026-12-08")

    result = explain_visit(routine, new_key)

    assert result["status"] == "to_send"
    assert result["moved"] is True
    assert result["rule"] == "the visit moved after its SMS went out"
    assert row.key in result["moved_because"]
    assert result["message"]["visit"] == row.key
    with pytest.raises(VisitNotFound, match=new_key):
        explain_visit(routine, row.key)


def test_explain_client_and_day(demo):
    routine = demo.routine
    row = first_row(routine, VisitStatus.TO_SEND)

    result = explain_client_day(routine, row.client.id, TOMORROW)

    assert result["visit"] == row.key


def test_explain_client_without_visit(demo):
    with pytest.raises(VisitNotFound, match="no appointment on 2026-12-05"):
        explain_client_day(demo.routine, "NOBODY", TOMORROW)


def test_explain_unknown_visit(demo):
    with pytest.raises(VisitNotFound, match="not found"):
        explain_visit(demo.routine, "S1/NOBODY/2026-12-05")


def run_cli(demo, capsys, *args: str) -> tuple[int, str, str]:
    home = str(demo.routine.mirror_path.parent.parent)
    code = main(["explain", "--home", home, "--now", "2026-12-04T09:00", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_explain_cli_json(demo, capsys):
    row = first_row(demo.routine, VisitStatus.TO_SEND)

    code, out, _err = run_cli(demo, capsys, row.key, "--json")
    result = json.loads(out)

    assert code == 0
    assert result["visit"] == row.key
    assert result["status"] == "to_send"


def test_explain_cli_client_date_text(demo, capsys):
    row = first_row(demo.routine, VisitStatus.TO_SEND)

    code, out, _err = run_cli(demo, capsys, row.client.id, "5.12.2026")

    assert code == 0
    assert f"visit       {row.key}" in out
    assert "rule        SMS confirmation is on and nothing was sent yet" in out
    assert "due day" in out


def test_explain_cli_errors(demo, capsys):
    code, _out, err = run_cli(demo, capsys, "S1/K1/tomorrow")
    assert code == 2
    assert "invalid visit key 'S1/K1/tomorrow'" in err

    code, _out, err = run_cli(demo, capsys, "S1/NOBODY/2026-12-05")
    assert code == 1
    assert "not found" in err

    code, _out, err = run_cli(demo, capsys, "K1", "31.02.2026")
    assert code == 2
    assert "invalid date '31.02.2026'" in err


def test_explain_cli_escapes_control_text(demo, capsys):
    routine = demo.routine
    row = first_row(routine, VisitStatus.TO_SEND)
    with routine.mirror.transaction() as connection:
        connection.execute(
            "UPDATE clients SET last_name = ? WHERE id = ?", ("X\x1b[2J[red]", row.client.id)
        )

    code, out, _err = run_cli(demo, capsys, row.key)

    assert code == 0
    assert "\x1b" not in out
    assert "X\\x1b[2J[red]" in out


def test_explain_cli_error_escapes_key(demo, capsys):
    code, _out, err = run_cli(demo, capsys, "S1/K\x1b]2;PWNED\x07/2026-12-05")

    assert code == 1
    assert "\x1b" not in err
    assert "\x07" not in err
    assert "not found" in err


def test_explain_cli_without_mirror(tmp_path, capsys):
    code = main(["explain", "--home", str(tmp_path / "empty"), "S1/K1/2026-12-05"])

    assert code == 2
    assert "run smsconfirm sync first" in capsys.readouterr().err
