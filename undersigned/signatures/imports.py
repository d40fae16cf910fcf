"""Import sign-ons from the CSV export of a form tool (a Google Forms sign-on sheet, say).

Columns are matched to fields from their headers, in English or Korean ("Email Address",
"단체명", "State / 주"); `--map COL=FIELD` overrides a guess. Every row goes through the sign-on
form's own validation (SignatureForm), so an imported sign-on meets the same rules as one
typed on the site; rows are then checked against the sign-ons already stored and against the
earlier rows of the file, by normalised email, per kind. The outcome of every row (added,
duplicate, error with its reason, empty) is reported with its line in the file, and a dry run
reports the same without writing anything.

Imported sign-ons are marked `source=import`. By default they are stored confirmed (the
organizer vouches for the sheet); organizations still wait for approval where the statement
moderates them, unless `approve`. With `send_confirmation` they are stored pending instead,
and each signer gets the confirmation email a web sign-on gets.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from undersigned.audit.services import audit_log
from undersigned.lib.emails import email_key
from undersigned.lib.progress import progress
from undersigned.lib.text import clean_line, has_hangul
from undersigned.signatures.forms import SignatureForm
from undersigned.signatures.models import Category, Display, EmailOwed, Signature, Source, Status
from undersigned.signatures.services import (
    PRIVATE_FIELDS,
    PUBLIC_FIELDS,
    _derive,
    _enqueue_email,
    _tally_add,
)
from undersigned.statements.models import Kind, Statement

Actor = AbstractBaseUser | AnonymousUser | None
CHUNK = 500

# Field: what a column holds. `person` and `title` are the form tool's "your name" and
# "title or affiliation" questions: the contact person and their title for an organization,
# the signer and their affiliation for an individual.
FIELDS = (
    "timestamp",
    "email",
    "kind",
    "organization",
    "person",
    "title",
    "name",
    "name_alt",
    "affiliation",
    "category",
    "city",
    "region",
    "country",
    "website",
    "contact_name",
    "contact_title",
    "phone",
    "display",
    "updates",
    "language",
    "ignore",
)

# Header words per field, English and Korean, tried in this order (a header containing
# "name" may ask for the organization's name, the person's, or consent to list the name).
RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("timestamp", ("timestamp", "submitted at", "submission date", "타임스탬프", "제출 시간")),
    ("updates", ("updates", "newsletter", "keep me informed", "소식", "업데이트", "뉴스레터")),
    ("display", ("publicly", "list my name", "display", "이름 공개", "공개 동의", "공개")),
    ("email", ("email address", "email", "e-mail", "이메일 주소", "이메일", "전자우편")),
    (
        "category",
        ("category", "type of organization", "organization type", "단체 유형", "단체 종류"),
    ),
    ("kind", ("signing as", "sign as", "signer type", "서명 유형", "서명 구분", "서명 주체")),
    (
        "name_alt",
        ("name in another script", "name in korean", "korean name", "한글 이름", "영문 이름"),
    ),
    (
        "organization",
        ("organization", "organisation", "단체명", "단체 이름", "단체", "기관명", "기관"),
    ),
    ("person", ("your name", "full name", "name", "성명", "이름", "성함")),
    ("title", ("title", "affiliation", "position", "직함", "소속", "직위", "직책")),
    ("city", ("city", "town", "도시")),
    ("region", ("state", "region", "province", "주", "지역")),
    ("country", ("country", "국가", "나라")),
    ("phone", ("phone", "telephone", "mobile", "전화번호", "전화", "휴대폰")),
    ("website", ("website", "web site", "homepage", "url", "웹사이트", "홈페이지")),
    ("language", ("language", "언어")),
)

YES = {"yes", "y", "true", "1", "on", "agree", "i agree", "예", "네", "동의", "동의함", "o"}
NO = {"no", "n", "false", "0", "off", "아니오", "아니요", "아니", "비동의", "동의 안 함", "x"}
ORGANIZATION_WORDS = ("organization", "organisation", "group", "단체", "기관")
INDIVIDUAL_WORDS = ("individual", "person", "myself", "개인")
CATEGORY_WORDS = {
    Category.NATIONAL: ("national", "전국"),
    Category.REGIONAL: ("regional", "광역"),
    Category.LOCAL: ("local", "지역", "풀뿌리"),
    Category.INTERNATIONAL: ("international", "국제"),
    Category.FAITH: ("faith", "religious", "church", "종교"),
    Category.LABOR: ("labor", "labour", "union", "노동"),
    Category.ACADEMIC: ("academic", "university", "학술", "대학"),
}
US_STATES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "district of columbia": "DC",
    "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID", "illinois": "IL",
    "indiana": "IN", "iowa": "IA", "kansas": "KS", "kentucky": "KY", "louisiana": "LA",
    "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI",
    "minnesota": "MN", "mississippi": "MS", "missouri": "MO", "montana": "MT",
    "nebraska": "NE", "nevada": "NV", "new hampshire": "NH", "new jersey": "NJ",
    "new mexico": "NM", "new york": "NY", "north carolina": "NC", "north dakota": "ND",
    "ohio": "OH", "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA",
    "rhode island": "RI", "south carolina": "SC", "south dakota": "SD", "tennessee": "TN",
    "texas": "TX", "utah": "UT", "vermont": "VT", "virginia": "VA", "washington": "WA",
    "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY", "puerto rico": "PR",
}  # fmt: skip
# Time zones form tools write after a timestamp ("2018/11/02 9:14:03 AM EST").
ZONES = {
    "UTC": 0, "GMT": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6,
    "PST": -8, "PDT": -7, "AKST": -9, "HST": -10, "KST": 9, "JST": 9,
}  # fmt: skip
TIME_FORMATS = (
    "%Y/%m/%d %I:%M:%S %p",
    "%Y/%m/%d %H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
    "%Y-%m-%d %H:%M:%S",
    "%Y. %m. %d %p %I:%M:%S",  # Korean Google Sheets: 2018. 11. 2 오전 9:14:03
    "%Y. %m. %d %H:%M:%S",
)
_SPLIT = re.compile(r"^(?P<outer>[^()]+?)\s*\((?P<inner>[^()]+)\)$")


class ImportFileError(ValueError):
    """The file cannot be imported at all (unreadable, no header, a column mapping that does
    not fit). Its message is one line for the command line."""


# Columns ----------------------------------------------------------------------------------------
def _words(header: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", header).casefold().split())


def _matches(header: str, keyword: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(keyword)}(?!\w)", header) is not None


def guess_mapping(headers: Sequence[str]) -> dict[int, str]:
    """Column index -> field, for the headers a form tool writes. Each field is taken by the
    first column that asks for it; columns not understood are left out (ignored)."""
    mapping: dict[int, str] = {}
    taken: set[str] = set()
    for index, header in enumerate(headers):
        words = _words(header)
        for field_name, keywords in RULES:
            if field_name in taken:
                continue
            if any(_matches(words, k) for k in keywords):
                mapping[index] = field_name
                taken.add(field_name)
                break
    return mapping


def resolve_mapping(headers: Sequence[str], overrides: Sequence[str] = ()) -> dict[int, str]:
    """The guessed mapping with `COL=FIELD` overrides applied. COL is a header (any case) or
    a column number counted from 1; FIELD `ignore` drops the column."""
    mapping = guess_mapping(headers)
    by_header = {_words(h): i for i, h in enumerate(headers)}
    for item in overrides:
        column, sep, field_name = item.rpartition("=")
        column, field_name = column.strip(), field_name.strip().lower()
        if not sep or not column:
            raise ImportFileError(f"--map takes COL=FIELD, not {item!r}")
        if field_name not in FIELDS:
            raise ImportFileError(
                f"--map {item!r}: unknown field {field_name!r}; fields: {', '.join(FIELDS)}"
            )
        if column.isdigit() and 1 <= int(column) <= len(headers):
            index = int(column) - 1
        elif _words(column) in by_header:
            index = by_header[_words(column)]
        else:
            raise ImportFileError(f"--map {item!r}: no column {column!r} in the file")
        if field_name != "ignore":
            for other, name in list(mapping.items()):
                if name == field_name and other != index:
                    del mapping[other]
        mapping[index] = field_name
    mapping = {i: f for i, f in mapping.items() if f != "ignore"}
    fields = set(mapping.values())
    if "email" not in fields:
        raise ImportFileError(
            "no column holds the email address; name it with --map 'HEADER=email'"
        )
    if not fields & {"name", "person", "organization"}:
        raise ImportFileError(
            "no column holds a name; name it with --map 'HEADER=person' (or organization, name)"
        )
    return mapping


# Reading ----------------------------------------------------------------------------------------
def _decode(raw: bytes) -> str:
    """UTF-8 (with or without the BOM Excel and Google write); else the Korean Windows
    encoding Excel uses on Korean systems."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("cp949")
        except UnicodeDecodeError:
            raise ImportFileError(_("the file is neither UTF-8 nor Korean (CP949) text")) from None


def _dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        return csv.excel


@dataclass
class Record:
    line: int
    cells: list[str]


def read_records(text: str) -> tuple[list[str], Iterator[Record]]:
    """The header and the records, each with the line of the file it starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), dialect=_dialect(text[:8192]))
    try:
        headers = next(reader)
    except StopIteration:
        raise ImportFileError(_("the file is empty")) from None
    except csv.Error as exc:
        raise ImportFileError(_("not a CSV file: %(error)s") % {"error": exc}) from None
    if not any(h.strip() for h in headers):
        raise ImportFileError(_("the first line holds no column headers"))

    def records() -> Iterator[Record]:
        start = reader.line_num + 1
        try:
            for cells in reader:
                yield Record(line=start, cells=cells)
                start = reader.line_num + 1
        except csv.Error as exc:
            raise ImportFileError(
                _("line %(line)s: %(error)s") % {"line": start, "error": exc}
            ) from None

    return [h.strip() for h in headers], records()


# Values -----------------------------------------------------------------------------------------
class BadValue(ValueError):
    pass


def _yes_no(value: str, question: str) -> bool | None:
    v = _words(value).strip(".!")
    if not v:
        return None
    if v in YES:
        return True
    if v in NO:
        return False
    raise BadValue(
        _("“%(value)s” is not a yes or no answer (%(question)s)")
        % {"value": value, "question": question}
    )


def _kind(value: str, organization: str) -> str:
    v = _words(value)
    if not v:
        return Kind.ORGANIZATION if organization else Kind.INDIVIDUAL
    org = any(w in v for w in ORGANIZATION_WORDS)
    ind = any(w in v for w in INDIVIDUAL_WORDS)
    if org != ind:
        return Kind.ORGANIZATION if org else Kind.INDIVIDUAL
    if v in Kind.values:
        return v
    raise BadValue(_("“%(value)s” is neither an organization nor an individual") % {"value": value})


def _category(value: str) -> str:
    v = _words(value)
    if not v:
        return Category.OTHER
    if v in Category.values:
        return v
    for category, words in CATEGORY_WORDS.items():
        if any(w in v for w in words):
            return category
    return Category.OTHER


def _display(value: str, question: str) -> str:
    v = _words(value)
    if v in Display.values:
        return v
    answer = _yes_no(value, question)
    return Display.HIDDEN if answer is False else Display.FULL


# What people type that the country list does not call so.
COUNTRY_ALIASES = {
    "usa": "US", "u.s.": "US", "u.s.a.": "US", "united states": "US", "america": "US",
    "미합중국": "US", "korea": "KR", "republic of korea": "KR", "대한민국": "KR", "남한": "KR",
    "dprk": "KP", "조선민주주의인민공화국": "KP", "uk": "GB", "영국": "GB",
}  # fmt: skip


def _country(value: str) -> str:
    v = clean_line(value)
    if not v:
        return ""
    if len(v) == 2 and v.upper() in dict(countries):
        return v.upper()
    if v.casefold() in COUNTRY_ALIASES:
        return COUNTRY_ALIASES[v.casefold()]
    for language in ("en", "ko"):
        code = countries.by_name(v, language=language)
        if code:
            return str(code)
    raise BadValue(_("“%(value)s” is not a country we know") % {"value": value})


def _region(value: str, country: str) -> str:
    v = clean_line(value)
    if country in ("", "US"):
        code = US_STATES.get(v.casefold())
        if code:
            return code
        if len(v) == 2 and v.upper() in US_STATES.values():
            return v.upper()
    return v


def _language(value: str, fallback: str) -> str:
    v = _words(value)
    if v.startswith(("ko", "한국", "조선")):
        return "ko"
    if v.startswith(("en", "영어")):
        return "en"
    return fallback


def _split_scripts(value: str) -> tuple[str, str]:
    """'뉴저지 한인 평화 포럼 (Korean American Peace Forum of NJ)' -> both names, apart."""
    match = _SPLIT.match(clean_line(value))
    if match:
        outer, inner = match["outer"].strip(), match["inner"].strip()
        if outer and inner and has_hangul(outer) != has_hangul(inner):
            return outer, inner
    return value, ""


def _timestamp(value: str) -> datetime.datetime | None:
    """When the form was sent, if the column says so in a format form tools write."""
    v = clean_line(value).replace("오전", "AM").replace("오후", "PM")
    if not v:
        return None
    offset = None
    head, _sep, zone = v.rpartition(" ")
    if zone.upper() in ZONES:
        v, offset = head, ZONES[zone.upper()]
    try:
        parsed = datetime.datetime.fromisoformat(v)
    except ValueError:
        parsed = None
        for fmt in TIME_FORMATS:
            try:
                parsed = datetime.datetime.strptime(v, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        if offset is not None:
            parsed = parsed.replace(tzinfo=datetime.timezone(datetime.timedelta(hours=offset)))
        else:
            parsed = timezone.make_aware(parsed)
    if parsed > timezone.now():
        return None
    return parsed


# Rows -------------------------------------------------------------------------------------------
@dataclass
class RowOutcome:
    line: int
    outcome: str  # added | duplicate | error | empty
    name: str = ""
    reason: str = ""


@dataclass
class ImportReport:
    filename: str
    headers: list[str]
    mapping: dict[int, str]
    dry_run: bool
    rows: list[RowOutcome] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def added(self) -> int:
        return self.count("added")

    @property
    def duplicates(self) -> int:
        return self.count("duplicate")

    @property
    def errors(self) -> int:
        return self.count("error")

    @property
    def empty(self) -> int:
        return self.count("empty")


@dataclass
class Candidate:
    line: int
    kind: str
    key: str
    data: dict[str, Any]
    language: str
    created_at: datetime.datetime | None


def _short(name: str) -> str:
    """A name as the report shows it: one line, at most 80 characters."""
    name = clean_line(name)
    return name if len(name) <= 80 else name[:79] + "…"


def _form_errors(form: SignatureForm) -> str:
    messages = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            messages.append(f"{label}: {error}" if label else str(error))
    return "; ".join(messages)


def _prepare(
    record: Record, mapping: dict[int, str], headers: list[str], statement: Statement
) -> Candidate | RowOutcome:
    """One row, validated as the sign-on form validates; a Candidate or why it cannot be."""
    values: dict[str, str] = {}
    questions: dict[str, str] = {}
    for index, field_name in mapping.items():
        values[field_name] = record.cells[index].strip() if index < len(record.cells) else ""
        questions[field_name] = headers[index]
    if not any(cell.strip() for cell in record.cells):
        return RowOutcome(record.line, "empty", reason=_("empty row"))
    get = values.get
    shown_name = _short(get("organization") or get("name") or get("person") or "")
    try:
        kind = _kind(get("kind", ""), get("organization", ""))
        country = _country(get("country", ""))
        display = _display(get("display", ""), questions.get("display", "display"))
        updates = _yes_no(get("updates", ""), questions.get("updates", "updates"))
    except BadValue as exc:
        return RowOutcome(record.line, "error", shown_name, str(exc))
    data: dict[str, Any] = {
        "kind": kind,
        "email": get("email", ""),
        "name_alt": get("name_alt", ""),
        "city": get("city", ""),
        "region": _region(get("region", ""), country),
        "country": country,
        "website": get("website", ""),
        "phone": get("phone", ""),
        "display": display if kind == Kind.INDIVIDUAL else Display.FULL,
        "wants_updates": "on" if updates else "",
    }
    if kind == Kind.ORGANIZATION:
        data["name"] = get("organization") or get("name", "")
        data["contact_name"] = get("contact_name") or get("person", "")
        data["contact_title"] = get("contact_title") or get("title", "")
        data["category"] = _category(get("category", ""))
    else:
        data["name"] = get("name") or get("person", "")
        data["affiliation"] = get("affiliation") or get("title") or get("organization", "")
    if not data["name_alt"]:
        data["name"], data["name_alt"] = _split_scripts(data["name"])
    form = SignatureForm(data, statement=statement)
    if not form.is_valid():
        return RowOutcome(
            record.line, "error", _short(data["name"]) or shown_name, _form_errors(form)
        )
    cleaned = dict(form.cleaned_data)
    if kind == Kind.ORGANIZATION and display == Display.HIDDEN:
        # The organization's answer to "list my name publicly?" is honoured too.
        cleaned["display"] = Display.HIDDEN
    korean_answers = any(has_hangul(get(f, "")) for f in ("kind", "display", "updates"))
    fallback = "ko" if korean_answers else statement.default_language
    return Candidate(
        line=record.line,
        kind=kind,
        key=email_key(cleaned["email"]),
        data=cleaned,
        language=_language(get("language", ""), fallback),
        created_at=_timestamp(get("timestamp", "")),
    )


# Import -----------------------------------------------------------------------------------------
def _store(
    candidate: Candidate,
    *,
    statement: Statement,
    status: str,
    send_confirmation: bool,
    filename: str,
    actor: Actor,
) -> bool:
    """Write one sign-on as a web sign-on would be written; false if it exists meanwhile."""
    version = statement.current_version
    assert version is not None
    now = timezone.now()
    data = candidate.data
    signature = Signature(
        statement=statement,
        version=version,
        version_hash=version.content_hash,
        kind=candidate.kind,
        status=status,
        email_key=candidate.key,
        language=candidate.language,
        source=Source.IMPORT,
        email_owed=EmailOwed.CONFIRM if send_confirmation else EmailOwed.NONE,
        display=data.get("display") or Display.FULL,
        wants_updates=bool(data.get("wants_updates")),
        confirmed_at=None if status == Status.PENDING else now,
        decided_at=now if status == Status.APPROVED else None,
        **{f: data.get(f, "") or "" for f in (*PUBLIC_FIELDS, *PRIVATE_FIELDS)},
    )
    _derive(signature, statement)
    try:
        with transaction.atomic():
            signature.save(force_insert=True)
    except IntegrityError:
        return False
    if candidate.created_at:
        # When the signer sent the form, not when the organizer imported it.
        Signature.objects.filter(pk=signature.pk).update(created_at=candidate.created_at)
    _tally_add(signature, counted=int(signature.counted), listed=int(signature.listed))
    if send_confirmation:
        _enqueue_email(signature.pk)
    audit_log(
        action="signature.imported",
        obj=signature,
        statement_id=statement.pk,
        actor=actor,
        actor_label="" if actor and actor.is_authenticated else "import",
        data={"file": filename, "line": candidate.line, "status": status},
    )
    return True


def signatures_import(
    *,
    statement: Statement,
    file: IO[bytes] | str | os.PathLike[str],
    mapping: Sequence[str] = (),
    dry_run: bool = False,
    send_confirmation: bool = False,
    approve: bool = False,
    actor: Actor = None,
    stream: Any = None,
) -> ImportReport:
    """Import a CSV of sign-ons into `statement`; see the module's docstring.

    `mapping` holds `COL=FIELD` overrides of the guessed columns. Rows are written in
    transactions of CHUNK rows, so a failure midway keeps what was stored before it and a
    second run of the same file skips those rows as duplicates.
    """
    if statement.current_version is None:
        raise ImportFileError(_("the statement has no text yet"))
    if send_confirmation and approve:
        raise ImportFileError("choose --send-confirmation or --approve, not both")
    if isinstance(file, (str, os.PathLike)):
        filename = os.path.basename(os.fspath(file))
        try:
            with open(file, "rb") as handle:
                raw = handle.read()
        except OSError as exc:
            raise ImportFileError(f"cannot read {os.fspath(file)}: {exc.strerror}") from None
    else:
        filename = os.path.basename(getattr(file, "name", "") or "upload.csv")
        raw = file.read()
    text = _decode(raw)
    headers, _records = read_records(text)
    total = sum(1 for _record in read_records(text)[1])
    column_map = resolve_mapping(headers, mapping)
    report = ImportReport(filename=filename, headers=headers, mapping=column_map, dry_run=dry_run)
    seen: dict[tuple[str, str], int] = {}

    def handle_chunk(chunk: list[Record]) -> None:
        candidates: list[Candidate] = []
        outcomes: dict[int, RowOutcome] = {}
        for record in chunk:
            prepared = _prepare(record, column_map, headers, statement)
            if isinstance(prepared, RowOutcome):
                outcomes[record.line] = prepared
            else:
                candidates.append(prepared)
        existing = {
            (kind, key): status
            for kind, key, status in Signature.objects.filter(
                statement=statement, email_key__in={c.key for c in candidates}
            ).values_list("kind", "email_key", "status")
        }
        with transaction.atomic():
            for candidate in candidates:
                name = _short(str(candidate.data.get("name", "")))
                identity = (candidate.kind, candidate.key)
                if identity in seen:
                    outcomes[candidate.line] = RowOutcome(
                        candidate.line,
                        "duplicate",
                        name,
                        _("same email as line %(line)s") % {"line": seen[identity]},
                    )
                    continue
                seen[identity] = candidate.line
                if identity in existing:
                    reason = (
                        _("this address withdrew its signature; it is not added again")
                        if existing[identity] == Status.WITHDRAWN
                        else _("already signed")
                    )
                    outcomes[candidate.line] = RowOutcome(candidate.line, "duplicate", name, reason)
                    continue
                if send_confirmation:
                    status = Status.PENDING
                elif approve and statement.is_moderated(candidate.kind):
                    status = Status.APPROVED
                else:
                    status = Status.CONFIRMED
                stored = dry_run or _store(
                    candidate,
                    statement=statement,
                    status=status,
                    send_confirmation=send_confirmation,
                    filename=filename,
                    actor=actor,
                )
                outcomes[candidate.line] = (
                    RowOutcome(candidate.line, "added", name)
                    if stored
                    else RowOutcome(candidate.line, "duplicate", name, _("already signed"))
                )
        report.rows.extend(outcomes[record.line] for record in chunk)

    chunk: list[Record] = []
    for record in progress(_records, total=total, label="import", stream=stream):
        chunk.append(record)
        if len(chunk) >= CHUNK:
            handle_chunk(chunk)
            chunk = []
    if chunk:
        handle_chunk(chunk)
    if not dry_run and report.added:
        with transaction.atomic():
            audit_log(
                action="statement.imported",
                obj=statement,
                statement_id=statement.pk,
                actor=actor,
                actor_label="" if actor and actor.is_authenticated else "import",
                data={
                    "file": filename,
                    "added": report.added,
                    "duplicates": report.duplicates,
                    "errors": report.errors,
                    "status": "pending" if send_confirmation else "confirmed",
                },
            )
    return report


def describe_mapping(report: ImportReport) -> list[str]:
    """'Email Address -> email' per column, for the command's output."""
    lines = []
    for index, header in enumerate(report.headers):
        target = report.mapping.get(index, "ignore")
        lines.append(f"  {index + 1}. {header or '(no header)'} -> {target}")
    return lines
