"""Edits to a client's confirmation profile, with their audit-log entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from smsconfirm_tui.store.mirror import Mirror

LANGUAGES = ("de", "fr", "it", "en")
MAX_LEAD_DAYS = 14


class ProfileError(ValueError):
    """A profile value is out of range; the message names the value and the rule."""


@dataclass(frozen=True)
class ProfileChange:
    field: str
    old_value: object
    new_value: object


def validate_profile(sms_on: bool, lead_days: int | None, language: str) -> None:
    if lead_days is not None and not 0 <= lead_days <= MAX_LEAD_DAYS:
        raise ProfileError(
            f"lead time {lead_days} is out of range: enter 0 to {MAX_LEAD_DAYS} days"
        )
    if language not in LANGUAGES and language != "":
        raise ProfileError(f"language {language!r} is not supported: use one of {', '.join(LANGUAGES)}")


def save_profile(
    mirror: Mirror,
    client_id: str,
    *,
    sms_on: bool,
    lead_days: int | None,
    language: str,
    actor: str,
    now: datetime,
) -> list[ProfileChange]:
    """Store the profile as edited in the product and log each changed field.

    Returns the changes; an unchanged profile writes nothing.
    """
    validate_profile(sms_on, lead_days, language)
    with mirror.transaction():
        current = mirror.client(client_id)
        if current is None:
            raise ProfileError(f"client {client_id!r} not found in the mirror: run a sync first")
        changes = [
            ProfileChange(field, old, new)
            for field, old, new in (
                ("sms_on", current.sms_on, sms_on),
                ("lead_days", current.lead_days, lead_days),
                ("language", current.language, language),
            )
            if old != new
        ]
        if not changes:
            return []
        mirror.connection.execute(
            "INSERT INTO profile_edits (client_id, confirm_sms, confirm_days, language, edited_at, "
            "edited_by) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (client_id) DO UPDATE SET "
            "confirm_sms = excluded.confirm_sms, confirm_days = excluded.confirm_days, "
            "language = excluded.language, edited_at = excluded.edited_at, "
            "edited_by = excluded.edited_by",
            (client_id, int(sms_on), lead_days, language, _local_stamp(now), actor),
        )
        for change in changes:
            mirror.add_audit(
                at=now,
                actor=actor,
                action="profile_edit",
                client_id=client_id,
                field=change.field,
                old_value=change.old_value,
                new_value=change.new_value,
            )
    return changes


def _local_stamp(now: datetime) -> str:
    """Format a time like the salon database's ``updated_at`` so the two compare as text."""
    from smsconfirm_tui.domain.calendar import ZURICH

    return now.astimezone(ZURICH).strftime("%Y-%m-%d %H:%M:%S")
