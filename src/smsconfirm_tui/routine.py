"""The service object the app and the command line call for each step of the routine.

Everything here is plain Python: tests call it without a terminal. Each
thread gets its own mirror connection, because SQLite connections must not
be shared between threads.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from smsconfirm_tui.config import Config
from smsconfirm_tui.domain.calendar import (
    MAX_LEAD_DAYS,
    ZURICH,
    DueCheck,
    DueState,
    SalonCalendar,
    check_due,
    next_working_day,
    too_late_reason,
    visits_due_window,
    zurich_now,
)
from smsconfirm_tui.domain.status import MessageState, StatusFacts, VisitStatus, decide_status
from smsconfirm_tui.domain.sms_text import segment_info
from smsconfirm_tui.domain.templates import MessageFields, render_message
from smsconfirm_tui.domain.visits import Visit, format_local, group_visits
from smsconfirm_tui.gateway.base import Gateway
from smsconfirm_tui.sending import outbox
from smsconfirm_tui.sending.replies import FetchSummary, attach_reply, dismiss_reply, fetch_replies, resolve_reply
from smsconfirm_tui.sending.stop_ack import queued_stop_acks, send_stop_acks
from smsconfirm_tui.sending.sender import Sender, SendProgress, SendSummary, reconcile, refresh_deliveries
from smsconfirm_tui.store.attention import (
    CallMark,
    call_marks,
    days_with_answers,
    days_with_confirmations,
    set_call_mark,
)
from smsconfirm_tui.store.mirror import ClientRow, MessageRow, Mirror, ReplyRow, SalonRow
from smsconfirm_tui.store.profiles import ProfileChange, save_profile

if TYPE_CHECKING:
    from smsconfirm_tui.sync.batches import SyncProgress
    from smsconfirm_tui.sync.errors import SyncSummary

SENDABLE = frozenset({VisitStatus.TO_SEND, VisitStatus.FAILED})


@dataclass(frozen=True)
class DayRow:
    """One visit as a row of the day list."""

    visit: Visit
    client: ClientRow
    salon: SalonRow
    lead_days: int
    status: VisitStatus
    rule: str
    moved: bool
    message: MessageRow | None
    reply: ReplyRow | None
    due: DueCheck | None
    # The confirmation that no longer counts because the visit moved: sent
    # for another start time, or for another day when it names a line of
    # this visit.
    moved_from: MessageRow | None = None

    @property
    def key(self) -> str:
        return self.visit.key

    @property
    def too_late(self) -> bool:
        """True when the visit has started or starts within the salon's minimum notice."""
        return self.due is not None and self.due.state is DueState.TOO_LATE

    @property
    def can_send(self) -> bool:
        """True when staff may tick the row: not sent yet, with a mobile number, not too late."""
        return self.status in SENDABLE and self.client.phone_e164 is not None and not self.too_late


@dataclass(frozen=True)
class CallRow:
    """A declined visit on the call list, with staff's marks."""

    row: DayRow
    called: CallMark | None
    rebooked: CallMark | None


@dataclass(frozen=True)
class Attention:
    """Counts of the visits and replies that need staff, over today and all later days."""

    unclear: int
    declined: int  # declined visits without a called or rebooked mark
    unassigned: int

    @property
    def total(self) -> int:
        return self.unclear + self.declined + self.unassigned


@dataclass(frozen=True)
class SendPlan:
    rows: tuple[DayRow, ...]
    preview: str  # the text of the first message
    texts: tuple[str, ...] = ()  # the text of each row's message, in row order
    segments: int = 0  # SMS segments of all messages together
    cost: float = 0.0  # estimated CHF: segments times the configured price per segment
    long_messages: int = 0  # messages with more segments than the configured maximum
    max_segments: int = 2
    outside_hours: tuple[str, ...] = ()  # names of salons outside their sending hours now
    supports_replies: bool = True  # whether the gateway returns client replies
    override_hours: bool = False  # staff chose to send outside the sending hours
    stop_acks: int = 0  # queued acknowledgements of stop replies, sent with this plan

    @property
    def count(self) -> int:
        """Return how many SMS this plan sends: confirmations and stop acknowledgements."""
        return len(self.rows) + self.stop_acks


class SendRefused(ValueError):
    """The send may not start. The message states why and what staff can do."""


class Routine:
    def __init__(
        self,
        config: Config,
        mirror_path: Path,
        gateway_factory: Callable[[], Gateway],
        clock: Callable[[], datetime] = zurich_now,
    ) -> None:
        self.config = config
        self.mirror_path = Path(mirror_path)
        self.gateway_factory = gateway_factory
        self.clock = clock
        self._local = threading.local()
        self._mirrors: list[Mirror] = []
        self._lock = threading.Lock()

    # -- plumbing ---------------------------------------------------------

    @property
    def mirror(self) -> Mirror:
        mirror = getattr(self._local, "mirror", None)
        if mirror is None:
            mirror = Mirror(self.mirror_path)
            self._local.mirror = mirror
            with self._lock:
                self._mirrors.append(mirror)
        return mirror

    def close(self) -> None:
        with self._lock:
            for mirror in self._mirrors:
                try:
                    mirror.close()
                except Exception:  # noqa: BLE001 - a connection of a finished thread
                    pass
            self._mirrors.clear()
            # A later call, e.g. a test reading the audit log after the app
            # closed, opens a fresh connection instead of a closed one.
            self._local = threading.local()

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return self.clock().date()

    @property
    def actor(self) -> str:
        return self.config.actor

    def calendar(self, salon: SalonRow) -> SalonCalendar:
        settings = self.config.salon_settings(salon.id)
        canton = settings.canton or salon.canton or "ZH"
        return _calendar(canton, settings.open_days)

    def next_working_day(self, day: date, salon_id: str | None = None) -> date:
        """Return the next working day after ``day`` of one salon, or of the first salon to open.

        Without ``salon_id`` it is the earliest next working day of all
        salons, because the list of one day shows the visits of every salon.
        """
        salons = self.mirror.salons()
        if salon_id is not None:
            chosen = [salons[salon_id]] if salon_id in salons else []
        else:
            chosen = list(salons.values())
        if not chosen:
            calendar = _calendar("ZH", self.config.salon_settings(salon_id or "").open_days)
            return next_working_day(calendar, day)
        return min(next_working_day(self.calendar(salon), day) for salon in chosen)

    def last_sync(self) -> str | None:
        return self.mirror.get_meta("last_sync_at")

    # -- sync ---------------------------------------------------------------

    def last_sync_at(self) -> datetime | None:
        """Return when the mirror was last synced, in the clock's time zone, or None if never."""
        text = self.last_sync()
        if not text:
            return None
        return datetime.fromisoformat(text).astimezone(self.now().tzinfo)

    def sync_is_stale(self) -> bool:
        """Tell whether the last sync is older than ``sync_max_age_hours``, or missing."""
        last = self.last_sync_at()
        return last is None or self.now() - last > timedelta(hours=self.config.sync_max_age_hours)

    def sync(
        self,
        *,
        progress: Callable[[SyncProgress], None] | None = None,
        is_cancelled: Callable[[], bool] = lambda: False,
    ) -> SyncSummary:
        """Read the configured salon database into the mirror; raises SyncError on a bad source."""
        from smsconfirm_tui.sync.errors import SyncError
        from smsconfirm_tui.sync.merge import merge_source
        from smsconfirm_tui.sync.sources import open_source

        if self.config.source is None:
            raise SyncError("no salon database is configured: set [source] in the config file")
        source = open_source(self.config.source)
        try:
            return merge_source(
                self.mirror, source, now=self.now(), actor=self.actor, progress=progress, is_cancelled=is_cancelled
            )
        finally:
            source.close()

    # -- the lists --------------------------------------------------------

    def rows_for_day(self, day: date) -> list[DayRow]:
        return self._rows(group_visits(self.mirror.appointment_lines(day, day)))

    def rows_due(self) -> list[DayRow]:
        """Return the visits due today by each client's own lead time, late ones included.

        A late visit stays in the list while it got no SMS or got it today,
        and a visit that starts within the minimum notice is never in it.
        """
        today = self.today()
        first, last = self.due_window(today)
        visits = group_visits(self.mirror.appointment_lines(first, last))
        rows = self._rows(visits)
        return [row for row in rows if _due_now(row, today)]

    def due_window(self, today: date) -> tuple[date, date]:
        """Return the range of visit dates that can be due or late on ``today`` in any salon."""
        lead = self.config.default_lead_days
        longest = self.mirror.max_lead_days()
        if longest is not None and 0 <= longest <= MAX_LEAD_DAYS:
            lead = max(lead, longest)
        salons = list(self.mirror.salons().values())
        if not salons:
            return today, today
        last = max(visits_due_window(self.calendar(salon), today, max_lead=lead)[1] for salon in salons)
        return today, last

    def lead_days(self, client: ClientRow) -> tuple[int, str]:
        """Return the client's lead time in days and where it comes from, in English."""
        default = self.config.default_lead_days
        if client.lead_days is None:
            return default, "salon default, the client has none"
        if not 0 <= client.lead_days <= MAX_LEAD_DAYS:
            return default, (
                f"salon default, because the client's {client.lead_days} "
                f"is outside 0 to {MAX_LEAD_DAYS} days"
            )
        return client.lead_days, "client profile"

    def row(self, visit_key: str, day: date) -> DayRow | None:
        for row in self.rows_for_day(day):
            if row.key == visit_key:
                return row
        return None

    def _rows(self, visits: list[Visit]) -> list[DayRow]:
        mirror = self.mirror
        salons = mirror.salons()
        clients = mirror.clients(visit.client_id for visit in visits)
        messages = mirror.messages_for_visits(visit.key for visit in visits)
        by_line = mirror.messages_for_lines(line.id for visit in visits for line in visit.active_lines)
        latest_ids = [found[-1].id for found in messages.values()]
        replies = mirror.latest_replies(latest_ids)
        now = self.now()
        min_notice = timedelta(hours=self.config.min_notice_hours)
        rows: list[DayRow] = []
        for visit in visits:
            client = clients.get(visit.client_id)
            salon = salons.get(visit.salon_id)
            if client is None or salon is None:
                continue
            lead_days = self.lead_days(client)[0]
            earlier_days = [
                message
                for line in visit.active_lines
                for message in by_line.get(line.id, ())
                if message.visit_key != visit.key
            ]
            rows.append(
                assess_visit(visit, client, salon, lead_days, messages.get(visit.key, []),
                             earlier_days, replies, self.calendar(salon), now, min_notice)
            )
        return rows

    # -- profile ----------------------------------------------------------

    def client(self, client_id: str) -> ClientRow | None:
        return self.mirror.client(client_id)

    def save_profile(self, client_id: str, *, sms_on: bool, lead_days: int | None, language: str) -> list[ProfileChange]:
        return save_profile(self.mirror, client_id, sms_on=sms_on, lead_days=lead_days,
                            language=language, actor=self.actor, now=self.now())

    # -- sending ----------------------------------------------------------

    def message_text(self, row: DayRow) -> str:
        fields = MessageFields(
            first_name=row.client.first_name,
            salon=row.salon.name,
            starts_at=row.visit.starts_at,
            salon_phone=row.salon.phone,
            language=row.client.language or "de",
        )
        return render_message(fields, self.config.templates or None)

    def sender_name(self, row: DayRow) -> str:
        """Return the SMS sender: the config's name for the salon, else the salon database's."""
        return self.config.salon_settings(row.salon.id).sender or row.salon.sender

    def plan_send(self, rows: list[DayRow]) -> SendPlan:
        """Keep the rows that can get an SMS now, with their texts, segments, cost and warnings.

        The minimum notice is checked again at this moment, because the rows
        may have been loaded long before staff press send.
        """
        now = self.now()
        min_notice = timedelta(hours=self.config.min_notice_hours)
        sendable = tuple(
            row
            for row in rows
            if row.can_send
            and not row.client.opted_out
            and too_late_reason(row.visit.starts_at.replace(tzinfo=ZURICH), now, min_notice) is None
        )
        texts = tuple(self.message_text(row) for row in sendable)
        acks = queued_stop_acks(self.mirror)
        counts = [segment_info(text).segments for text in (*texts, *(text for _, text in acks))]
        gateway = self.config.gateway
        salons = self.mirror.salons()
        salon_ids = {row.salon.id for row in sendable} | {salon_id for salon_id, _ in acks}
        outside = sorted({
            salons[salon_id].name if salon_id in salons else salon_id
            for salon_id in salon_ids
            if not self.config.salon_settings(salon_id).sending_hours.contains(now)
        })
        if texts:
            preview = texts[0]
        elif acks:
            preview = acks[0][1]
        else:
            preview = ""
        return SendPlan(
            rows=sendable,
            preview=preview,
            texts=texts,
            segments=sum(counts),
            cost=round(sum(counts) * gateway.price_per_segment, 2),
            long_messages=sum(1 for count in counts if count > gateway.max_segments),
            max_segments=gateway.max_segments,
            outside_hours=tuple(outside),
            supports_replies=self.supports_replies(),
            stop_acks=len(acks),
        )

    def send(
        self,
        plan: SendPlan,
        *,
        on_progress: Callable[[SendProgress], None] | None = None,
        is_cancelled: Callable[[], bool] = lambda: False,
        override_hours: bool = False,
    ) -> SendSummary:
        """Write the plan's messages to the outbox, then send them.

        Outside a salon's sending hours this raises SendRefused, unless staff
        override it; the override is written to the audit log.
        """
        override_hours = override_hours or plan.override_hours
        if plan.outside_hours and not override_hours:
            raise SendRefused(
                f"outside the sending hours of {', '.join(plan.outside_hours)}: send later or override"
            )
        if plan.outside_hours:
            with self.mirror.transaction():
                self.mirror.add_audit(at=self.now(), actor=self.actor, action="send_outside_hours",
                                      detail=f"{plan.count} SMS for {', '.join(plan.outside_hours)}")
        items = [
            outbox.OutboxItem(
                visit_key=row.key,
                visit_starts_at=row.visit.starts_at,
                client_id=row.client.id,
                salon_id=row.salon.id,
                to_e164=row.client.phone_e164 or "",
                text=text,
                sender=self.sender_name(row),
                line_ids=tuple(line.id for line in row.visit.active_lines),
            )
            for row, text in zip(plan.rows, plan.texts or [self.message_text(row) for row in plan.rows])
        ]
        gateway = self.gateway_factory()
        try:
            ids = outbox.enqueue(self.mirror, items, actor=self.actor, now=self.now(), provider=gateway.name)
            settings = self.config.gateway
            sender = Sender(self.mirror, gateway, sender_id=_sender_id(), clock=self.clock,
                            concurrency=settings.concurrency, rate_limit=settings.rate_limit,
                            min_notice=timedelta(hours=self.config.min_notice_hours))
            summary = sender.send(ids, on_progress=on_progress, is_cancelled=is_cancelled)
            if plan.stop_acks and not is_cancelled():
                acknowledged = send_stop_acks(self.mirror, gateway, now=self.now(), sender_id=_sender_id())
                summary.progress.total += plan.stop_acks
                summary.progress.done += plan.stop_acks
                summary.progress.sent += acknowledged
            return summary
        finally:
            gateway.close()

    def reconcile(self) -> int:
        gateway = self.gateway_factory()
        try:
            return reconcile(self.mirror, gateway, now=self.now())
        finally:
            gateway.close()

    def fetch_deliveries(self) -> int:
        """Fetch delivery reports for sent messages; return how many rows changed."""
        gateway = self.gateway_factory()
        try:
            return refresh_deliveries(self.mirror, gateway, now=self.now())
        finally:
            gateway.close()

    # -- replies ----------------------------------------------------------

    def supports_replies(self) -> bool:
        """Return whether the configured gateway returns client replies."""
        gateway = self.gateway_factory()
        try:
            return bool(gateway.supports_replies)
        finally:
            gateway.close()

    def fetch_replies(self) -> FetchSummary:
        gateway = self.gateway_factory()
        try:
            return fetch_replies(self.mirror, gateway, now=self.now(), sender_id=_sender_id())
        finally:
            gateway.close()

    def resolve_reply(self, reply_id: int, resolution: str, note: str | None = None) -> None:
        resolve_reply(self.mirror, reply_id, resolution, actor=self.actor, now=self.now(), note=note)

    def unassigned_replies(self) -> list[ReplyRow]:
        return self.mirror.unassigned_replies()

    def attach_reply(self, reply_id: int, visit_key: str) -> None:
        attach_reply(self.mirror, reply_id, visit_key, actor=self.actor, now=self.now())

    def dismiss_reply(self, reply_id: int) -> None:
        dismiss_reply(self.mirror, reply_id, actor=self.actor, now=self.now())

    def attach_candidates(self, reply: ReplyRow) -> list[DayRow]:
        """Return the visits from today on whose confirmation SMS went out, the reply's number first."""
        candidates = [
            row
            for day in days_with_confirmations(self.mirror, self.today())
            for row in self.rows_for_day(day)
            if row.message is not None and row.message.state in ("sent", "unknown")
        ]
        candidates.sort(key=lambda row: (row.client.phone_e164 != reply.from_e164, row.visit.starts_at))
        return candidates

    def rows_answered(self, answers: tuple[str, ...], status: VisitStatus) -> list[DayRow]:
        """Return the visits from today on that have ``status`` because of a reply in ``answers``."""
        days = days_with_answers(self.mirror, answers, self.today())
        return [row for day in days for row in self.rows_for_day(day) if row.status is status]

    def call_list(self) -> list[CallRow]:
        """Return the declined visits from today on, for staff to phone and rebook."""
        return self._calls(self.rows_answered(("no",), VisitStatus.DECLINED))

    def _calls(self, declined: list[DayRow]) -> list[CallRow]:
        marks = call_marks(self.mirror, (row.key for row in declined))
        return [
            CallRow(row, marks.get(row.key, {}).get("called"), marks.get(row.key, {}).get("rebooked"))
            for row in declined
        ]

    def set_call_mark(self, row: DayRow, mark: str, on: bool) -> bool:
        return set_call_mark(self.mirror, row.key, row.client.id, mark, on, actor=self.actor, now=self.now())

    def attention(self) -> Attention:
        days = days_with_answers(self.mirror, ("unclear", "no"), self.today())
        rows = [row for day in days for row in self.rows_for_day(day)]
        unclear = sum(1 for row in rows if row.status is VisitStatus.UNCLEAR)
        calls = self._calls([row for row in rows if row.status is VisitStatus.DECLINED])
        declined = sum(1 for call in calls if call.called is None and call.rebooked is None)
        return Attention(unclear, declined, len(self.unassigned_replies()))


def assess_visit(
    visit: Visit,
    client: ClientRow,
    salon: SalonRow,
    lead_days: int,
    history: list[MessageRow],
    earlier_days: list[MessageRow],
    replies: dict[int, ReplyRow],
    calendar: SalonCalendar,
    now: datetime,
    min_notice: timedelta,
) -> DayRow:
    """Decide one visit's status and due state from rows already read from the mirror.

    ``history`` holds the visit's own messages, oldest first, and
    ``earlier_days`` the messages that confirmed one of its lines under
    another day's visit key. ``replies`` maps a message id to its newest reply.
    """
    current, moved_from = _pick_message(visit, history, earlier_days)
    reply = replies.get(current.id) if current is not None else None
    decision = decide_status(
        StatusFacts(
            cancelled=visit.cancelled,
            opted_out=client.opted_out,
            sms_on=client.sms_on,
            has_mobile=client.phone_e164 is not None,
            has_invalid_number=client.phone_invalid,
            message_state=MessageState(current.state) if current is not None else None,
            reply_class=reply.reply_class if reply is not None else None,
            resolution=reply.resolution if reply is not None else None,
            moved=moved_from is not None,
        )
    )
    start = visit.starts_at.replace(tzinfo=ZURICH)
    due = check_due(calendar, start, lead_days, now, min_notice)
    return DayRow(visit, client, salon, lead_days, decision.status, decision.rule,
                  moved_from is not None, current, reply, due, moved_from)


# Message states after which the client may hold an SMS naming the old time.
_OUT_STATES = frozenset({MessageState.SENT, MessageState.UNKNOWN, MessageState.SENDING})


def _pick_message(
    visit: Visit, history: list[MessageRow], earlier_days: list[MessageRow]
) -> tuple[MessageRow | None, MessageRow | None]:
    """Return the message for the visit's current start time, and the one it moved from.

    The second is set only when no message counts for the current start
    time but an SMS for an earlier start time or day went out.
    """
    starts_at = format_local(visit.starts_at)
    current = None
    for message in reversed(history):
        if message.visit_starts_at == starts_at and message.state != MessageState.DROPPED:
            current = message
            break
    sent_elsewhere = [
        message
        for message in (*history, *earlier_days)
        if message.state in _OUT_STATES
        and (message.visit_key != visit.key or message.visit_starts_at != starts_at)
    ]
    if current is not None and current.state not in (MessageState.QUEUED, MessageState.FAILED):
        # A visit moved away and back: the SMS for this time counts only while
        # no later SMS named another time.
        later = [message for message in sent_elsewhere if _went_out(message) > _went_out(current)]
        if not later:
            return current, None
        return None, max(later, key=_went_out)
    if not sent_elsewhere:
        return current, None
    return current, max(sent_elsewhere, key=lambda message: message.id)


def _went_out(message: MessageRow) -> int:
    """Return the message's place in the order of claims: a larger number went out later."""
    return message.claim_seq or 0


def _due_now(row: DayRow, today: date) -> bool:
    """Decide whether a row belongs in "confirm in advance" on ``today``."""
    if row.status is VisitStatus.CANCELLED or row.due is None:
        return False
    if row.due.state is DueState.DUE:
        return True
    if row.due.state is not DueState.LATE:
        return False
    # A late visit stays while it got no SMS (a failed one counts as not
    # sent). One sent today stays too, so the list does not shrink after a send.
    message = row.message
    if message is None or message.state not in _OUT_STATES:
        return True
    written = datetime.fromisoformat(message.created_at).astimezone(ZURICH).date()
    return written == today


def _sender_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


_CALENDARS: dict[tuple[str, frozenset[int]], SalonCalendar] = {}


def _calendar(canton: str, open_days: frozenset[int]) -> SalonCalendar:
    key = (canton, open_days)
    if key not in _CALENDARS:
        _CALENDARS[key] = SalonCalendar(canton=canton, open_weekdays=open_days)
    return _CALENDARS[key]
