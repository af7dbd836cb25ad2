"""Who hears of a complaint's events, and what they read.

OPDs get an in-app notice for every event that needs them (a new complaint, the reporter's
answer, a reminder, an escalation) and, when their Telegram chat or email is configured, a
delivery; reporters hear of every status change through the channel they came from, and the
reporters of duplicates merged into a complaint hear of its answers and its end. What goes
to an OPD never names the reporter (anonymous or not: officers see identity, where allowed, in
the console only). A delivery is its notification row (lapor.domain.delivery), written in
the same transaction as the change it tells of.

A reporter reads their messages in the language they filed in (`complaint.language`): the
texts below are written in Indonesian and marked for the catalog, and `Notices.translate`
(the catalog read with Babel, lapor.infra.translations) gives their English, so a text and
its English are each written once, for the pages and the messages alike. Officers read
Indonesian.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from lapor.domain import tracking, workflow
from lapor.domain.deadlines import current_stage, next_deadline
from lapor.domain.language import N_, Translate, as_written
from lapor.domain.timefmt import human, long_date
from models import Agency, Channel, Complaint, ComplaintEvent, Notification, Reporter
from models import ComplaintStatus as S
from models import NotificationStatus as N

EXCERPT = 300

# What an OPD is told, in Indonesian (its officers' emails and chats); a staff member who
# reads the console in English sees the in-app title reworded (`reworded`).
AGENCY_SUBJECTS = {
    "route": N_("Pengaduan baru untuk {agency}"),
    "verify": N_("Pengaduan baru untuk {agency}"),
    "transfer": N_("Pengaduan dialihkan ke {agency}"),
    "provide_info": N_("Pelapor memberi keterangan tambahan"),
    "reopen": N_("Pelapor membuka kembali pengaduan"),
    "remind": N_("Pengingat batas waktu"),
    "escalate": N_("Eskalasi tingkat {level}: pengaduan melewati batas waktu"),
}
REPORTER_SUBJECT = N_("Pengaduan {code}: {status}")
# The receipt says what the receipt page says (lapor/templates/track.html, _own_view.html):
# the same texts, so the same English.
RECEIVED = N_("Pengaduan Anda sudah kami terima. Kode pelacakannya:")
VERIFYING = N_("Sedang diverifikasi: petugas akan menentukan OPD yang berwenang.")
SENT_TO = N_("Diteruskan ke")
ANSWER_HOW = N_("Jawab dengan membalas (reply) pesan ini, atau lewat halaman lacak.")
TRACK_YOURS = N_("Lacak pengaduan Anda: {url}")
TRACK_THAT = N_("Lacak pengaduan {code}: {url}")
# Appended when an email to a reporter is sent (workers.notify), with the link made then.
PRIVATE_LINK_INTRO = N_(
    "Tautan pribadi Anda untuk melihat, menjawab, menilai atau membuka kembali pengaduan ini "
    "(jangan dibagikan: siapa pun yang memegangnya dapat bertindak atas nama Anda):"
)
MERGED = N_(
    "Pengaduan Anda digabung dengan pengaduan {original} karena isinya sama. Anda akan menerima "
    "jawaban dan kabar penyelesaian pengaduan {original} juga."
)
# What the reporters of merged duplicates hear of the original: its answers and its end (not
# its questions to its own reporter, nor that reporter's reopening, which only they can act on).
FOLLOWED = frozenset({"respond", "resolve", "forward", "close"})
# Only staff write these notes for the public; a closing's note speaks of the original's reporter.
SHARED_NOTES = frozenset({"respond", "resolve", "forward"})
FOLLOWER_SUBJECT = N_("Pengaduan {code} (digabung dengan {original}): {status}")
FOLLOWER_INTRO = N_(
    "Pengaduan Anda {code} digabung dengan pengaduan {original} karena isinya sama. Kabar "
    "terbaru pengaduan {original}: {label}."
)
NEW_KEY_SUBJECT = N_("Tautan pribadi baru untuk pengaduan {code}")
NEW_KEY_BODY = N_(
    "Tautan pribadi baru untuk pengaduan {code} diminta lewat halaman Lapor. Tautan di bawah "
    "menggantikan tautan dan kunci lama, yang kini tidak berlaku lagi. Bila Anda tidak "
    "memintanya, abaikan email ini: tanpa tautan ini tidak ada yang dapat bertindak atas nama Anda."
)


@dataclass(frozen=True)
class Notices:
    """Which delivery channels this installation has, and where its pages are."""

    public_url: str
    tz: ZoneInfo
    telegram: bool = False
    email: bool = False
    # A reporter's text in the language they filed in (the default: as written, Indonesian).
    translate: Translate = as_written

    def words_for(self, complaint: Complaint) -> Callable[[str], str]:
        """The texts of messages to this complaint's reporter, in their language."""
        return lambda text: self.translate(text, complaint.language)

    def after_event(
        self,
        session: Session,
        complaint: Complaint,
        event: ComplaintEvent,
        *,
        target: Agency | None = None,
    ) -> list[Notification]:
        """Write the notices an event calls for (no commit); `target` is whom a reminder or
        an escalation is for."""
        rows = [
            *self._to_agencies(session, complaint, event, target),
            *self._to_reporter(session, complaint, event),
            *self._to_followers(session, complaint, event),
        ]
        session.add_all(rows)
        return rows

    def _to_agencies(
        self, session: Session, complaint: Complaint, event: ComplaintEvent, target: Agency | None
    ) -> list[Notification]:
        subject = AGENCY_SUBJECTS.get(event.action)
        if subject is None:
            return []
        responsible = session.get(Agency, complaint.agency_id) if complaint.agency_id else None
        audience = [target or responsible]
        if event.action == "escalate" and responsible is not None and responsible is not target:
            audience.append(responsible)  # the OPD learns it was escalated, in the app
        rows = []
        for index, agency in enumerate(a for a in audience if a is not None):
            title = subject.format(agency=agency.short_name, level=event.data.get("level", ""))
            body = self._agency_body(complaint, event, title)
            rows.append(self._row(complaint, event, "inapp", None, title, body, agency=agency))
            if index > 0:
                continue
            if self.telegram and agency.telegram_chat_id:
                chat = str(agency.telegram_chat_id)
                rows.append(self._row(complaint, event, "telegram", chat, title, body, agency))
            if self.email and agency.email:
                rows.append(self._row(complaint, event, "email", agency.email, title, body, agency))
        return rows

    def _to_reporter(
        self, session: Session, complaint: Complaint, event: ComplaintEvent
    ) -> list[Notification]:
        changed = event.status_from != event.status_to or event.action == "submit"
        if not (changed or event.action == "new_key") or complaint.reporter_id is None:
            return []
        reporter = session.get(Reporter, complaint.reporter_id)
        if reporter is None:
            return []
        if event.action == "new_key":
            return self._new_key_email(complaint, event, reporter)
        if complaint.channel == Channel.TELEGRAM and event.action == "submit":
            return []  # the bot answers a submission in the chat itself
        words = self.words_for(complaint)
        subject = words(REPORTER_SUBJECT).format(
            code=tracking.display(complaint.tracking_code),
            status=words(workflow.STATUS_LABELS[complaint.status]),
        )
        agency = session.get(Agency, complaint.agency_id) if complaint.agency_id else None
        body = self._reporter_body(complaint, event, subject, agency)
        return self._to_person(complaint, event, reporter, subject, body)

    def _to_person(
        self,
        complaint: Complaint,
        event: ComplaintEvent,
        reporter: Reporter,
        subject: str,
        body: str,
        kind: str | None = None,
    ) -> list[Notification]:
        """A message to a complaint's reporter by the channel they came from, if it is on."""
        if complaint.channel == Channel.TELEGRAM:
            channel, address = "telegram", reporter.telegram_chat_id if self.telegram else None
        else:
            channel, address = "email", reporter.email if self.email else None
        if not address:
            return []
        row = self._row(
            complaint, event, channel, str(address), subject, body, reporter=reporter, kind=kind
        )
        return [row]

    def _to_followers(
        self, session: Session, original: Complaint, event: ComplaintEvent
    ) -> list[Notification]:
        """The reporters of complaints merged into this one as duplicates hear of its answers
        and its end, each on their own complaint's row (their private link, their channel)."""
        if event.action not in FOLLOWED or original.id is None or not (self.email or self.telegram):
            return []
        with session.no_autoflush:  # the sweep writes its batch itself (lapor.infra.bulk)
            merged = session.exec(
                select(Complaint, Reporter)
                .join(Reporter, Reporter.id == Complaint.reporter_id)
                .where(Complaint.duplicate_of_id == original.id)
                .order_by(Complaint.id)
            ).all()
        heard = {original.reporter_id}  # one message per person, none twice to the original's
        rows = []
        for duplicate, reporter in merged:
            if reporter.id in heard:
                continue
            heard.add(reporter.id)
            rows += self._follower_row(original, event, duplicate, reporter)
        return rows

    def _follower_row(
        self, original: Complaint, event: ComplaintEvent, duplicate: Complaint, reporter: Reporter
    ) -> list[Notification]:
        code = tracking.display(duplicate.tracking_code)
        at = tracking.display(original.tracking_code)
        words = self.words_for(duplicate)
        status = words(workflow.STATUS_LABELS[original.status])
        subject = words(FOLLOWER_SUBJECT).format(code=code, original=at, status=status)
        body = self._follower_body(original, event, subject, code, words)
        # Not "resolve": the bot would offer the duplicate's reporter a rating it cannot give.
        kind = f"original_{event.action}"
        return self._to_person(duplicate, event, reporter, subject, body, kind)

    def _follower_body(
        self,
        original: Complaint,
        event: ComplaintEvent,
        subject: str,
        code: str,
        words: Callable[[str], str],
    ) -> str:
        at = tracking.display(original.tracking_code)
        label = words(workflow.ACTION_LABELS.get(workflow.Action(event.action), event.action))
        lines = [subject, "", words(FOLLOWER_INTRO).format(code=code, original=at, label=label)]
        # A confidential original's answers are for its own reporter only (as on its page).
        shared = event.action in SHARED_NOTES and event.public and not original.confidential
        if shared and event.note:
            lines += ["", event.note]
        url = f"{self.public_url.rstrip('/')}/lacak/{at}"
        lines += ["", words(TRACK_THAT).format(code=at, url=url)]
        return "\n".join(lines)

    def _new_key_email(
        self, complaint: Complaint, event: ComplaintEvent, reporter: Reporter
    ) -> list[Notification]:
        """The private link asked for by email (only ever by email: that is the proof)."""
        if not (self.email and reporter.email):
            return []
        code = tracking.display(complaint.tracking_code)
        words = self.words_for(complaint)
        subject = words(NEW_KEY_SUBJECT).format(code=code)
        body = words(NEW_KEY_BODY).format(code=code)
        return [
            self._row(complaint, event, "email", reporter.email, subject, body, reporter=reporter)
        ]

    def _agency_body(self, complaint: Complaint, event: ComplaintEvent, title: str) -> str:
        text = complaint.text if len(complaint.text) <= EXCERPT else complaint.text[:EXCERPT] + "…"
        place = ", ".join(p for p in (complaint.district, complaint.regency) if p) or "-"
        lines = [
            title,
            "",
            f"Kode: {tracking.display(complaint.tracking_code)}",
            f"Judul: {complaint.title or '-'}",
            f"Lokasi: {place}",
            f"Batas waktu: {human(next_deadline(complaint), self.tz)}",
        ]
        if event.action == "escalate":
            lines.append(f"Tingkat eskalasi: {event.data.get('level')} ({event.data.get('title')})")
        if event.note and event.public:
            lines.append(f"Catatan: {event.note}")
        lines += ["", text]
        return "\n".join(lines)

    def _reporter_body(
        self, complaint: Complaint, event: ComplaintEvent, subject: str, agency: Agency | None
    ) -> str:
        words = self.words_for(complaint)
        code = tracking.display(complaint.tracking_code)
        lines = [subject]
        if event.action == "submit":
            lines += ["", words(RECEIVED), code]
        if complaint.status == S.RECEIVED:
            lines += ["", words(VERIFYING)]
        elif complaint.status == S.ROUTED and agency is not None:
            lines += ["", f"{words(SENT_TO)} {agency.name}."]
        elif complaint.status == S.FORWARDED and complaint.forwarded_to:
            lines += ["", f"{words(SENT_TO)} {complaint.forwarded_to}."]
        if event.note and event.public:
            lines += ["", event.note]
        if event.action == "request_info":
            lines += ["", words(ANSWER_HOW)]
        elif event.action == "reject" and event.data.get("duplicate_of"):
            original = tracking.display(str(event.data["duplicate_of"]))
            lines += ["", words(MERGED).format(original=original)]
        if step := self._next_step(complaint, words):
            lines += ["", step]
        if complaint.channel == Channel.TELEGRAM:
            # An email gets the reporter's private link when it is sent (workers.notify).
            url = f"{self.public_url.rstrip('/')}/lacak/{code}"
            lines += ["", words(TRACK_YOURS).format(url=url)]
        return "\n".join(lines)

    def _next_step(self, complaint: Complaint, words: Callable[[str], str]) -> str | None:
        """What the reporter waits for now and by when, the day in words (none once ended)."""
        stage = current_stage(complaint)
        if stage is None:
            return None
        return words(stage.sentence) % {"date": long_date(stage.due, self.tz, complaint.language)}

    @staticmethod
    def _row(
        complaint: Complaint,
        event: ComplaintEvent,
        channel: str,
        address: str | None,
        subject: str,
        body: str,
        agency: Agency | None = None,
        reporter: Reporter | None = None,
        kind: str | None = None,
    ) -> Notification:
        inapp = channel == "inapp"
        return Notification(
            **workflow.complaint_link(complaint),
            kind=kind or event.action,
            agency_id=agency.id if agency else None,
            reporter_id=reporter.id if reporter else None,
            channel=channel,
            address=address,
            subject=subject[:200],
            body=body,
            status=N.SENT if inapp else N.PENDING,
            created_at=event.at,
            sent_at=event.at if inapp else None,
            next_attempt_at=None if inapp else event.at,
        )


def reworded(subject: str, words: Callable[[str], str]) -> str:
    """An OPD's notice title as stored (Indonesian) in another language's `words`: the title
    is one of AGENCY_SUBJECTS, its values (the OPD, the level) read back from it; any other
    title (cut short, or older wording) stays as it is."""
    for form in dict.fromkeys(AGENCY_SUBJECTS.values()):
        if values := _form(form).fullmatch(subject):
            return words(form).format(**values.groupdict())
    return subject


@cache
def _form(form: str) -> re.Pattern:
    """A subject form as a pattern: each {name} a group of that name."""
    parts = re.split(r"\{(\w+)\}", form)  # text, name, text, name, … text
    pattern = (f"(?P<{p}>.+?)" if i % 2 else re.escape(p) for i, p in enumerate(parts))
    return re.compile("".join(pattern))
