"""Rows of the demo salon database while the generator builds them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Salon:
    id: str
    name: str
    phone: str
    canton: str
    sender: str
    staff: tuple[str, ...]


@dataclass
class Client:
    id: str
    first_name: str
    last_name: str
    mobile_phone: str = ""
    home_phone: str = ""
    work_phone: str = ""
    language: str = ""
    confirm_sms: int = 0
    confirm_days: int | None = None
    updated_at: str = ""
    # The fields below only steer the generator and are not written out.
    home_salon_id: str = "S1"
    gender: str = "f"
    in_random_visits: bool = True


@dataclass
class Appointment:
    client_id: str
    salon_id: str
    starts_at: str
    ends_at: str
    service: str
    staff: str
    status: str
    updated_at: str
    id: str = field(default="")
