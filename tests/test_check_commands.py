"""Tests for ``smsconfirm check number`` and ``smsconfirm check due``."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import pytest

from smsconfirm_tui.cli import main
from smsconfirm_tui.commands.check_phone_due import UsageError, parse_open_days, parse_visit_date


def test_check_number_text(capsys: pytest.CaptureFixture[str]) -> None:
    exit_code = main(["check", "number", "079 000 00 12 (Mama)"])
    lines = capsys.readouterr().out.splitlines()

    assert exit_code == 0
    assert "e164         +41790000012" in lines
    assert "kind         mobile" in lines
    assert "sms_capable  yes" in lines
    assert "display      079 000 00 12" in lines
    assert "note         Mama" in lines
    assert "problem      -" in lines


def test_check_number_json(capsys: pytest.CaptureFixture[str]) -> None:
    exit_code = main(["check", "number", "058 000 00 12", "--json"])
    result = json.loads(capsys.readouterr().out)

    assert exit_code == 0
    assert result["e164"] == "+41580000012"
    assert result["kind"] == "business"
    assert result["sms_capable"] is False
    assert result["unsure"] is False


def test_check_number_invalid(capsys: pytest.CaptureFixture[str]) -> None:
    exit_code = main(["check", "number", "079 ABC 00 12", "--json"])
    result = json.loads(capsys.readouterr().out)

    assert exit_code == 0
    assert result["kind"] == "invalid"
    assert result["problem"] == "letters inside the number"
    assert result["e164"] is None


def test_check_number_region(capsys: pytest.CaptureFixture[str]) -> None:
    exit_code = main(["check", "number", "0151 23456789", "--region", "de", "--json"])
    result = json.loads(capsys.readouterr().out)

    assert exit_code == 0
    assert result["e164"] == "+4915123456789"
    assert result["region"] == "DE"


def test_check_number_bad_region(capsys: pytest.CaptureFixture[str]) -> None:
    exit_code = main(["check", "number", "079 000 00 12", "--region", "XX"])
    captured = capsys.readouterr()

    assert exit_code == 2
    assert captured.out == ""
    assert "'XX'" in captured.err
    assert len(captured.err.splitlines()) == 1


def test_check_number_subprocess() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "smsconfirm_tui",
            "check",
            "number",
            "+41 (0)79 000 00 12",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["display"] == "079 000 00 12"


def test_check_due_text(capsys: pytest.CaptureFixture[str]) -> None:
    exit_code = main(["check", "due", "2025-06-10", "--open-days", "tue-sat"])
    lines = capsys.readouterr().out.splitlines()

    assert exit_code == 0
    assert "visit date  2025-06-10 Tuesday" in lines
    assert "open days   tue, wed, thu, fri, sat" in lines
    assert any(line.split()[:3] == ["2", "2025-06-07", "Saturday"] for line in lines)
    assert any("2025-06-08: closed on Sunday" in line for line in lines)


def test_check_due_json(capsys: pytest.CaptureFixture[str]) -> None:
    exit_code = main(["check", "due", "10.06.2025", "--canton", "zh", "--json"])
    result = json.loads(capsys.readouterr().out)
    rows = result["due_days"]

    assert exit_code == 0
    assert result["canton"] == "ZH"
    assert [row["lead_days"] for row in rows] == list(range(8))
    assert rows[0]["due"] == "2025-06-10"
    assert rows[1]["due"] == "2025-06-07"
    assert rows[1]["weekday"] == "Saturday"
    assert rows[1]["moves"] == [
        "2025-06-09: public holiday: Pentecost Monday",
        "2025-06-08: closed on Sunday",
    ]


def test_check_due_closed_visit_day(capsys: pytest.CaptureFixture[str]) -> None:
    exit_code = main(["check", "due", "25.12.2025", "--json"])
    result = json.loads(capsys.readouterr().out)

    assert exit_code == 0
    assert result["visit_day_closed"] == "public holiday: Christmas Day"


@pytest.mark.parametrize(
    ("arguments", "value"),
    [
        (["2025-13-01"], "'2025-13-01'"),
        (["32.1."], "'32.1.'"),
        (["tomorrow"], "'tomorrow'"),
        (["2025-06-10", "--canton", "XX"], "'XX'"),
        (["2025-06-10", "--open-days", "mon,funday"], "'funday'"),
        (["2025-06-10", "--open-days", ","], "','"),
    ],
)
def test_check_due_errors(
    capsys: pytest.CaptureFixture[str], arguments: list[str], value: str
) -> None:
    exit_code = main(["check", "due", *arguments])
    captured = capsys.readouterr()

    assert exit_code == 2
    assert captured.out == ""
    assert value in captured.err
    assert len(captured.err.splitlines()) == 1


# typed date, expected date (today is 2025-03-01)
DATE_CASES = [
    ("2025-06-10", date(2025, 6, 10)),
    ("10.06.2025", date(2025, 6, 10)),
    ("10.6.2026", date(2026, 6, 10)),
    ("10.6.", date(2025, 6, 10)),
    ("1.2", date(2025, 2, 1)),
    (" 10.6. ", date(2025, 6, 10)),
]


@pytest.mark.parametrize(("text", "expected"), DATE_CASES)
def test_parse_visit_date(text: str, expected: date) -> None:
    assert parse_visit_date(text, today=date(2025, 3, 1)) == expected


@pytest.mark.parametrize("text", ["", "30.2.", "10/06/2025", "2025-6-1x"])
def test_parse_visit_date_invalid(text: str) -> None:
    with pytest.raises(UsageError, match="invalid date"):
        parse_visit_date(text, today=date(2025, 3, 1))


# typed open days, weekday numbers
OPEN_DAY_CASES = [
    ("mon-sat", frozenset(range(6))),
    ("tue-sat", frozenset({1, 2, 3, 4, 5})),
    ("Mon,Wed, Friday", frozenset({0, 2, 4})),
    ("fri-mon", frozenset({4, 5, 6, 0})),
    ("sun", frozenset({6})),
]


@pytest.mark.parametrize(("text", "expected"), OPEN_DAY_CASES)
def test_parse_open_days(text: str, expected: frozenset[int]) -> None:
    assert parse_open_days(text) == expected
