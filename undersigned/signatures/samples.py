"""Fictional sample signatories for the demo campaign (korea-peace-2018).

Every organization and person here is invented: the names are assembled at random from
made-up place words, common given names and surnames, and are not meant to be, or to
resemble, any real group or person. Websites and email addresses use only the reserved
``.example`` top-level domain and the ``example.com`` / ``example.org`` / ``example.net``
domains (RFC 2606), and phone numbers use the fictional 555-0100 to 555-0199 range, so no
record can reach anyone real.

Every record produced here is loaded with ``is_sample=True`` and is shown as sample data on
every page that lists it. The functions are deterministic: the same seed and count always
give the same records, so the demo looks the same on every machine.

Standard library only; the demo loader turns these dicts into ``Signature`` rows.
"""

from __future__ import annotations

import random
import re
from typing import NamedTuple

__all__ = ["sample_individuals", "sample_organizations"]

KOREA_PEACE_NETWORK = "korea-peace-network"
PEACE_TREATY_NOW = "peace-treaty-now"


class City(NamedTuple):
    name: str
    state: str
    area_code: str
    name_ko: str
    region: str  # key into REGIONS
    korean_weight: int  # how likely a Korean American group or person is based here
    other_weight: int  # the same for everyone else


# Real US cities, with their states and one of their real area codes.
CITIES: tuple[City, ...] = (
    City("Los Angeles", "CA", "213", "로스앤젤레스", "socal", 14, 8),
    City("Torrance", "CA", "310", "토런스", "socal", 4, 1),
    City("Irvine", "CA", "949", "어바인", "socal", 4, 2),
    City("Garden Grove", "CA", "714", "가든그로브", "socal", 4, 1),
    City("Fullerton", "CA", "714", "풀러턴", "socal", 3, 1),
    City("San Diego", "CA", "619", "샌디에이고", "socal", 2, 3),
    City("Oakland", "CA", "510", "오클랜드", "norcal", 3, 5),
    City("Berkeley", "CA", "510", "버클리", "norcal", 2, 4),
    City("San Francisco", "CA", "415", "샌프란시스코", "norcal", 3, 5),
    City("San Jose", "CA", "408", "새너제이", "norcal", 3, 2),
    City("Seattle", "WA", "206", "시애틀", "pnw", 5, 5),
    City("Federal Way", "WA", "253", "페더럴웨이", "pnw", 3, 1),
    City("Lynnwood", "WA", "425", "린우드", "pnw", 2, 1),
    City("Portland", "OR", "503", "포틀랜드", "pnw", 1, 4),
    City("Honolulu", "HI", "808", "호놀룰루", "hawaii", 4, 3),
    City("Anchorage", "AK", "907", "앵커리지", "alaska", 1, 1),
    City("Las Vegas", "NV", "702", "라스베이거스", "southwest", 2, 2),
    City("Phoenix", "AZ", "602", "피닉스", "southwest", 1, 2),
    City("Denver", "CO", "303", "덴버", "colorado", 2, 3),
    City("Dallas", "TX", "214", "댈러스", "texas", 4, 3),
    City("Carrollton", "TX", "972", "캐럴턴", "texas", 2, 1),
    City("Houston", "TX", "713", "휴스턴", "texas", 3, 3),
    City("Austin", "TX", "512", "오스틴", "texas", 1, 3),
    City("Minneapolis", "MN", "612", "미니애폴리스", "uppermidwest", 2, 5),
    City("St. Paul", "MN", "651", "세인트폴", "uppermidwest", 1, 3),
    City("Madison", "WI", "608", "매디슨", "uppermidwest", 1, 3),
    City("Chicago", "IL", "312", "시카고", "chicago", 7, 7),
    City("Glenview", "IL", "847", "글렌뷰", "chicago", 2, 1),
    City("Detroit", "MI", "313", "디트로이트", "greatlakes", 1, 3),
    City("Ann Arbor", "MI", "734", "앤아버", "greatlakes", 1, 3),
    City("Columbus", "OH", "614", "콜럼버스", "greatlakes", 1, 2),
    City("Atlanta", "GA", "404", "애틀랜타", "southeast", 5, 4),
    City("Duluth", "GA", "770", "둘루스", "southeast", 3, 1),
    City("Nashville", "TN", "615", "내슈빌", "southeast", 1, 2),
    City("Raleigh", "NC", "919", "롤리", "southeast", 1, 2),
    City("Durham", "NC", "919", "더럼", "southeast", 1, 3),
    City("Annandale", "VA", "703", "애넌데일", "dmv", 5, 1),
    City("Centreville", "VA", "703", "센터빌", "dmv", 2, 1),
    City("Washington", "DC", "202", "워싱턴", "dmv", 4, 7),
    City("Baltimore", "MD", "410", "볼티모어", "dmv", 1, 3),
    City("Ellicott City", "MD", "410", "엘리콧시티", "dmv", 2, 1),
    City("Philadelphia", "PA", "215", "필라델피아", "delval", 4, 5),
    City("Pittsburgh", "PA", "412", "피츠버그", "delval", 1, 2),
    City("Fort Lee", "NJ", "201", "포트리", "newjersey", 6, 1),
    City("Palisades Park", "NJ", "201", "팰리세이즈파크", "newjersey", 5, 1),
    City("Englewood Cliffs", "NJ", "201", "잉글우드클리프스", "newjersey", 2, 1),
    City("Princeton", "NJ", "609", "프린스턴", "newjersey", 1, 2),
    City("New York", "NY", "212", "뉴욕", "nymetro", 10, 10),
    City("Flushing", "NY", "718", "플러싱", "nymetro", 7, 2),
    City("Brooklyn", "NY", "718", "브루클린", "nymetro", 2, 5),
    City("Boston", "MA", "617", "보스턴", "newengland", 3, 5),
    City("Cambridge", "MA", "617", "케임브리지", "newengland", 2, 3),
    City("Providence", "RI", "401", "프로비던스", "newengland", 1, 2),
    City("New Haven", "CT", "203", "뉴헤이븐", "newengland", 1, 2),
)

# Region labels for regional groups: key -> (English, Korean).
REGIONS: dict[str, tuple[str, str]] = {
    "socal": ("Southern California", "남가주"),
    "norcal": ("Northern California", "북가주"),
    "pnw": ("Pacific Northwest", "서북미"),
    "hawaii": ("Hawaii", "하와이"),
    "alaska": ("Alaska", "알래스카"),
    "southwest": ("Desert Southwest", "남서부"),
    "colorado": ("Colorado Front Range", "콜로라도"),
    "texas": ("Texas", "텍사스"),
    "uppermidwest": ("Upper Midwest", "중북부"),
    "chicago": ("Greater Chicago", "시카고 지역"),
    "greatlakes": ("Great Lakes", "오대호 지역"),
    "southeast": ("Southeast", "동남부"),
    "dmv": ("Greater Washington", "워싱턴 수도권"),
    "delval": ("Pennsylvania", "펜실베이니아"),
    "newjersey": ("New Jersey", "뉴저지"),
    "nymetro": ("New York Metro", "뉴욕 지역"),
    "newengland": ("New England", "뉴잉글랜드"),
}

# Invented place words that give the non-Korean-American groups their names.
PLACE_WORDS: tuple[str, ...] = (
    "Bluestone",
    "Cedar Lane",
    "Riverbend",
    "Willow Creek",
    "Lantern Hill",
    "Three Rivers",
    "Pinecrest",
    "Stonebridge",
    "Juniper Street",
    "Magnolia Avenue",
    "Larkspur",
    "Tidewater",
    "Prairie Light",
    "Red Clay",
    "North Fork",
    "Saltmarsh",
    "Elmwood",
    "Copper Hill",
    "Mill Creek",
    "Seven Pines",
    "Ironwood",
    "Blue Heron",
    "Oak Hollow",
    "Sparrow Lake",
    "Quarry Hill",
    "Lamplight",
    "Wild Rose",
    "Harbor Bell",
    "Foxglove",
    "Canal Street",
    "Thistle Park",
    "Old Orchard",
    "Kestrel Point",
    "Birch Hollow",
    "Sandpiper",
    "Chestnut Ridge",
    "Gravel Road",
    "Lighthouse Row",
    "Clover Field",
    "Morning Bell",
)

# Templates by category. "{p}" is a place word, "{c}" a city, "{r}" a region label.
OTHER_TEMPLATES: dict[str, tuple[str, ...]] = {
    "local": (
        "{p} Peace Circle",
        "{p} Neighbors for Korean Peace",
        "{p} Peace and Justice Committee",
        "{p} Friday Vigil for Peace",
        "{p} Friends of Korea",
        "{p} Study Group on Korea",
        "{p} Peace Forum",
        "{p} Mothers for Diplomacy",
        "{p} Peace Library Circle",
    ),
    "regional": (
        "{r} Coalition for Korean Peace",
        "{r} Peace Council",
        "{r} Network for Diplomacy",
        "{r} Alliance for a Korean Peace Treaty",
        "{r} Peace Educators' Circle",
    ),
    "faith": (
        "{p} United Methodist Church Peace Team",
        "{p} Friends Meeting Peace Committee",
        "{p} Mennonite Fellowship",
        "{p} Presbyterian Church Peacemaking Committee",
        "{p} Unitarian Universalist Congregation",
        "{p} Catholic Worker House",
        "{p} Zen Community",
        "{p} Interfaith Peace Council",
        "{p} Jewish Peace Havurah",
        "{p} Baptist Church Social Justice Ministry",
        "{p} Episcopal Peace Commission",
        "{p} Lutheran Church Global Mission Team",
    ),
    "labor": (
        "{p} Workers' Solidarity Council",
        "{p} Teachers for Peace",
        "{p} Nurses for Peace",
        "{p} Transit Workers' Peace Caucus",
        "{p} Building Trades Peace Caucus",
    ),
    "academic": (
        "{p} College Peace Studies Program",
        "{p} Institute for Pacific Peace Studies",
        "{p} University Korea Studies Working Group",
        "{p} College Asian American Studies Collective",
    ),
    "other": (
        "{p} Community Radio Collective",
        "{p} Artists for Peace",
        "{p} Documentary Collective",
        "{p} Youth Drumming Ensemble",
        "{p} Book Club for Peace",
    ),
}

# Curated invented names for the few national and international groups.
OTHER_NATIONAL: tuple[str, ...] = (
    "Citizens' Campaign for Pacific Diplomacy",
    "National Coalition for a Korean Peace Agreement",
    "Americans for Diplomacy in Northeast Asia",
    "Veterans and Families for Korean Reconciliation",
    "Common Ground Peace Council",
    "Lantern Bridge Alliance",
    "National Network of Peace Educators",
    "Campaign for Family Reunions Across the DMZ",
    "Nuclear-Free Pacific Citizens' Network",
    "Women's Caucus for Korean Peace",
)
OTHER_INTERNATIONAL: tuple[str, ...] = (
    "Transpacific Peace Exchange",
    "Pacific Bridges Reconciliation Forum",
    "Global Citizens for a Korea Peace Treaty",
    "Harbor-to-Harbor Peace Exchange",
    "Friends of Korea Across the Pacific",
    "Open Roads Humanitarian Alliance",
)

# Korean American groups: (English template, Korean template). "{c}"/"{ck}" is the city,
# "{r}"/"{rk}" the region, in English and Korean.
KOREAN_TEMPLATES: dict[str, tuple[tuple[str, str], ...]] = {
    "local": (
        ("Korean American Peace Forum of {c}", "{ck} 한인 평화 포럼"),
        ("{c} Korean Community Peace Committee", "{ck} 한인사회 평화위원회"),
        ("{c} Peace Stepping Stones", "{ck} 평화 징검다리"),
        ("{c} Korean Seniors for Reunification", "{ck} 한인 어르신 통일모임"),
        ("{c} Divided Families Peace Gathering", "{ck} 이산가족 평화모임"),
        ("{c} Korean Women's Peace Circle", "{ck} 한인 여성 평화모임"),
        ("{c} Korean American Youth for Peace", "{ck} 한인 청년 평화행동"),
        ("{c} Korean Peace Garden Circle", "{ck} 평화 텃밭 모임"),
        ("{c} Korean Parents for a Peaceful Peninsula", "한반도 평화를 바라는 {ck} 한인 학부모회"),
    ),
    "regional": (
        ("{r} Korean American Peace Alliance", "{rk} 한인 평화연대"),
        ("{r} Korean Americans for a Peace Treaty", "{rk} 평화협정 촉구 한인모임"),
        ("{r} Korean Community Reunification Forum", "{rk} 한인 통일 한마당"),
    ),
    "faith": (
        ("{c} Korean Church Council for Peace", "{ck} 한인교회 평화협의회"),
        ("{c} Korean Catholic Justice and Peace Circle", "{ck} 한인 가톨릭 정의평화모임"),
        ("{c} Korean Buddhist Peace Sangha", "{ck} 한인 불자 평화모임"),
        ("{c} Korean Christian Women for Peace", "{ck} 한인 기독여성 평화모임"),
        ("{c} Korean Pastors' Fellowship for Reunification", "{ck} 한인 목회자 통일기도회"),
    ),
    "labor": (
        ("{c} Korean Workers' Peace Committee", "{ck} 한인 노동자 평화위원회"),
        ("{c} Korean Restaurant Workers' Circle", "{ck} 한인 식당노동자 모임"),
    ),
    "academic": (
        ("{c} Korean American Scholars for Peace", "{ck} 한인 학자 평화모임"),
        ("{c} Korean Graduate Students for Peace", "{ck} 한인 대학원생 평화모임"),
    ),
    "other": (
        ("{c} Pungmul Collective", "{ck} 풍물패 한울림"),
        ("{c} Korean Community Film Club", "{ck} 한인 영화모임"),
        ("{c} Korean American Students for Peace", "{ck} 한인 학생 평화모임"),
    ),
}
KOREAN_NATIONAL: tuple[tuple[str, str], ...] = (
    ("Korean American Assembly for Peace and Reunification", "재미한인 평화통일 한마당"),
    ("Korean American Parents for Peace", "재미한인 학부모 평화모임"),
    ("Korean American Seniors for Family Reunions", "재미한인 어르신 상봉추진모임"),
    ("Korean American Young Leaders for Peace", "재미한인 청년 평화리더모임"),
)
KOREAN_INTERNATIONAL: tuple[tuple[str, str], ...] = (
    ("Diaspora Koreans for a Peace Treaty", "평화협정을 바라는 해외동포 모임"),
    ("Overseas Korean Peace Bridge", "해외동포 평화다리"),
)

CATEGORY_WEIGHTS: dict[str, int] = {
    "local": 34,
    "regional": 17,
    "faith": 20,
    "national": 6,
    "international": 4,
    "labor": 6,
    "academic": 7,
    "other": 6,
}

CONTACT_TITLES: dict[str, tuple[str, ...]] = {
    "local": ("Coordinator", "Chair", "Co-chair", "Organizer", "Secretary", "Steering Committee"),
    "regional": ("Coordinator", "Co-chair", "Executive Director", "Board President", "Secretary"),
    "faith": ("Pastor", "Chair, Peace Committee", "Elder", "Mission Committee Chair", "Minister"),
    "national": ("Executive Director", "Policy Director", "Board Chair", "Program Director"),
    "international": ("Executive Director", "Program Coordinator", "Board Chair"),
    "labor": ("President", "Secretary-Treasurer", "Organizer", "Political Director"),
    "academic": ("Director", "Faculty Advisor", "Professor", "Program Coordinator"),
    "other": ("Coordinator", "Founder", "Producer", "Artistic Director", "President"),
}

# Korean names: (Latin, Hangul). Surnames in their common American spellings.
KOREAN_SURNAMES: tuple[tuple[str, str], ...] = (
    ("Kim", "김"),
    ("Lee", "이"),
    ("Yi", "이"),
    ("Park", "박"),
    ("Choi", "최"),
    ("Jung", "정"),
    ("Chung", "정"),
    ("Kang", "강"),
    ("Cho", "조"),
    ("Yoon", "윤"),
    ("Jang", "장"),
    ("Lim", "임"),
    ("Han", "한"),
    ("Oh", "오"),
    ("Seo", "서"),
    ("Shin", "신"),
    ("Kwon", "권"),
    ("Hwang", "황"),
    ("Ahn", "안"),
    ("Song", "송"),
    ("Yoo", "유"),
    ("Hong", "홍"),
    ("Jeon", "전"),
    ("Ko", "고"),
    ("Moon", "문"),
    ("Yang", "양"),
    ("Son", "손"),
    ("Bae", "배"),
    ("Paik", "백"),
    ("Nam", "남"),
    ("Noh", "노"),
    ("Ha", "하"),
    ("Chang", "장"),
    ("Min", "민"),
    ("Byun", "변"),
)
KOREAN_GIVEN: tuple[tuple[str, str], ...] = (
    ("Jiyoung", "지영"),
    ("Minjun", "민준"),
    ("Seoyeon", "서연"),
    ("Hyunwoo", "현우"),
    ("Eunji", "은지"),
    ("Sungmin", "성민"),
    ("Jihoon", "지훈"),
    ("Soojin", "수진"),
    ("Younghee", "영희"),
    ("Hyejin", "혜진"),
    ("Donghyun", "동현"),
    ("Mikyung", "미경"),
    ("Sanghoon", "상훈"),
    ("Jaewon", "재원"),
    ("Yuna", "유나"),
    ("Kyungah", "경아"),
    ("Jinho", "진호"),
    ("Hana", "하나"),
    ("Seungwoo", "승우"),
    ("Minji", "민지"),
    ("Joonho", "준호"),
    ("Sunhee", "선희"),
    ("Byungchul", "병철"),
    ("Okja", "옥자"),
    ("Myungsook", "명숙"),
    ("Taehee", "태희"),
    ("Insook", "인숙"),
    ("Jongmin", "종민"),
    ("Haeun", "하은"),
    ("Yeonsu", "연수"),
    ("Sookyung", "수경"),
    ("Dongsoo", "동수"),
    ("Hyunjoo", "현주"),
    ("Kwangho", "광호"),
    ("Eunhee", "은희"),
    ("Sangmin", "상민"),
    ("Jisoo", "지수"),
    ("Wonjae", "원재"),
    ("Haemin", "해민"),
    ("Boram", "보람"),
)
# Korean Americans who go by an English given name (no Hangul name recorded).
ENGLISH_GIVEN_FOR_KOREAN: tuple[str, ...] = (
    "Grace",
    "David",
    "Esther",
    "Michael",
    "Hannah",
    "Paul",
    "Sarah",
    "Joseph",
    "Rachel",
    "Andrew",
    "Christine",
    "Peter",
    "Julie",
    "Daniel",
    "Stephanie",
    "John",
    "Eunice",
    "Samuel",
    "Jennifer",
    "Timothy",
    "Helen",
    "Jason",
    "Angela",
    "Brian",
)
OTHER_GIVEN: tuple[str, ...] = (
    "Maria",
    "James",
    "Aisha",
    "Carlos",
    "Emily",
    "Kwame",
    "Priya",
    "Thomas",
    "Linda",
    "Omar",
    "Rosa",
    "Megan",
    "Hiroshi",
    "Tuan",
    "Fatima",
    "Robert",
    "Keisha",
    "Miguel",
    "Susan",
    "Rahul",
    "Laura",
    "Marcus",
    "Ingrid",
    "Jamal",
    "Elena",
    "Patrick",
    "Mei",
    "Naomi",
    "Ruth",
    "Darnell",
    "Sofia",
    "Benjamin",
    "Lakshmi",
    "Gabriel",
    "Claire",
    "Yusuf",
    "Carmen",
    "Ethan",
    "Alice",
    "Nadia",
    "Walter",
    "Leilani",
    "Diego",
    "Margaret",
    "Abdul",
    "Theresa",
)
OTHER_SURNAMES: tuple[str, ...] = (
    "Johnson",
    "Garcia",
    "Nguyen",
    "Williams",
    "Okafor",
    "Patel",
    "Rodriguez",
    "Chen",
    "Murphy",
    "Goldberg",
    "Washington",
    "Tanaka",
    "Kowalski",
    "Hernandez",
    "Brown",
    "Schmidt",
    "O'Brien",
    "Cohen",
    "Rivera",
    "Yamamoto",
    "Singh",
    "Jackson",
    "Olsen",
    "Mendoza",
    "Baker",
    "Fischer",
    "Lopez",
    "Davis",
    "Thompson",
    "Ali",
    "Mensah",
    "Kealoha",
    "Romero",
    "Sullivan",
    "Novak",
    "Haddad",
    "Iverson",
    "Castillo",
    "Friedman",
    "Wright",
    "Espinoza",
    "Abernathy",
)

# Roles and the invented institutions that go with them.
UNIVERSITIES = ("Example State University", "University of Example", "Example City College")
ROLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Professor of History", UNIVERSITIES),
    ("Associate Professor of Asian American Studies", UNIVERSITIES),
    ("Professor of Political Science", UNIVERSITIES),
    ("Lecturer in Korean Studies", UNIVERSITIES),
    ("Graduate student, Sociology", UNIVERSITIES),
    ("Professor of Ethics", ("Example Theological Seminary",)),
    ("Pastor", ("Example Valley Presbyterian Church", "Example Korean Methodist Church")),
    ("Elder", ("Example Korean United Church", "Example Valley Presbyterian Church")),
    ("Retired teacher", ("Example Public Schools",)),
    ("Public school teacher", ("Example Public Schools",)),
    ("Nurse", ("Example General Hospital", "Example Community Clinic")),
    ("Physician", ("Example General Hospital", "Example Community Clinic")),
    ("Attorney", ("Example Law Group", "Example Legal Aid Society")),
    ("Social worker", ("Example Family Services", "Example Senior Center")),
    ("Community organizer", ("Example Neighborhood Alliance", "Example Family Services")),
    ("Librarian", ("Example Public Library",)),
    ("Reporter", ("Example Tribune", "Example Korean Weekly")),
    ("Research engineer", ("Example Institute of Technology",)),
    ("Program director", ("Example Senior Center", "Example Youth Center")),
)
STANDALONE_AFFILIATIONS: tuple[str, ...] = (
    "U.S. Army veteran",
    "U.S. Navy veteran",
    "Retired",
    "Member, Example Friends Meeting",
    "Daughter of a separated family",
    "Son of a separated family",
    "Korean War veteran's son",
)

PERSONAL_DOMAINS: tuple[str, ...] = ("example.com", "example.org", "example.net")
ORG_TLDS: tuple[str, ...] = ("example", "example.org")

_STOPWORDS = frozenset({"of", "for", "the", "and", "a", "to", "on", "at", "in", "across"})


def _weighted_city(rng: random.Random, korean: bool) -> City:
    weights = [c.korean_weight if korean else c.other_weight for c in CITIES]
    return rng.choices(CITIES, weights=weights, k=1)[0]


def _phone(rng: random.Random, city: City) -> str:
    return f"{city.area_code}-555-01{rng.randint(0, 99):02d}"


def _domain_label(name: str) -> str:
    """A DNS label from an organization name: its words run together, or initials plus the
    last word when that would be too long."""
    words = [w for w in re.findall(r"[a-z0-9]+", name.lower()) if w not in _STOPWORDS]
    label = "".join(words)
    if len(label) > 30:
        label = "".join(w[0] for w in words[:-1]) + words[-1]
    return label[:40]


def _person_name(rng: random.Random, korean: bool) -> tuple[str, str]:
    """(Latin name, Hangul name or "")."""
    if korean:
        surname, surname_ko = rng.choice(KOREAN_SURNAMES)
        if rng.random() < 0.7:
            given, given_ko = rng.choice(KOREAN_GIVEN)
            return f"{given} {surname}", surname_ko + given_ko
        return f"{rng.choice(ENGLISH_GIVEN_FOR_KOREAN)} {surname}", ""
    return f"{rng.choice(OTHER_GIVEN)} {rng.choice(OTHER_SURNAMES)}", ""


def _org_name(rng: random.Random, category: str, korean: bool, city: City) -> tuple[str, str]:
    """(Latin name, Hangul name or "") for one organization."""
    region, region_ko = REGIONS[city.region]
    if korean:
        if category == "national":
            return rng.choice(KOREAN_NATIONAL)
        if category == "international":
            return rng.choice(KOREAN_INTERNATIONAL)
        en, ko = rng.choice(KOREAN_TEMPLATES[category])
        fields = {"c": city.name, "ck": city.name_ko, "r": region, "rk": region_ko}
        return en.format(**fields), ko.format(**fields)
    if category == "national":
        return rng.choice(OTHER_NATIONAL), ""
    if category == "international":
        return rng.choice(OTHER_INTERNATIONAL), ""
    template = rng.choice(OTHER_TEMPLATES[category])
    return template.format(p=rng.choice(PLACE_WORDS), c=city.name, r=region), ""


def _org_networks(rng: random.Random, korean: bool) -> list[str]:
    roll = rng.random()
    if korean:
        if roll < 0.70:
            return [PEACE_TREATY_NOW]
        if roll < 0.85:
            return [KOREA_PEACE_NETWORK, PEACE_TREATY_NOW]
        return []
    if roll < 0.65:
        return [KOREA_PEACE_NETWORK]
    if roll < 0.70:
        return [KOREA_PEACE_NETWORK, PEACE_TREATY_NOW]
    return []


def sample_organizations(seed: int = 2018, count: int = 150) -> list[dict[str, object]]:
    """``count`` fictional organizations, about 40% of them Korean American groups with a
    Hangul name; the same ``seed`` always gives the same list."""
    rng = random.Random(seed)
    categories = list(CATEGORY_WEIGHTS)
    weights = list(CATEGORY_WEIGHTS.values())
    seen_names: set[str] = set()
    seen_domains: set[str] = set()
    records: list[dict[str, object]] = []
    while len(records) < count:
        korean = rng.random() < 0.4
        for _attempt in range(50):
            category = rng.choices(categories, weights=weights, k=1)[0]
            if category in {"national", "international"}:
                # Headquartered in a big city.
                city = rng.choice([c for c in CITIES if c.other_weight >= 5])
            else:
                city = _weighted_city(rng, korean)
            name, name_alt = _org_name(rng, category, korean, city)
            if name not in seen_names:
                break
        else:
            # Only for very large counts: the templates are used up, so number the rest.
            name = f"{name} ({len(records) + 1})"
            name_alt = f"{name_alt} ({len(records) + 1})" if name_alt else ""
        seen_names.add(name)

        label = _domain_label(name)
        domain = f"{label}.{rng.choice(ORG_TLDS)}"
        serial = 2
        while domain in seen_domains:
            domain = f"{label}{serial}.{domain.split('.', 1)[1]}"
            serial += 1
        seen_domains.add(domain)

        contact_name, _contact_alt = _person_name(rng, korean)
        given, surname = contact_name.split(" ", 1)
        if rng.random() < 0.5:
            local_part = re.sub(r"[^a-z]", "", given[0].lower() + surname.lower())
        else:
            local_part = rng.choice(("info", "contact", "office", "peace", "hello"))

        records.append(
            {
                "kind": "organization",
                "name": name,
                "name_alt": name_alt,
                "category": category,
                "city": city.name,
                "region": city.state,
                "country": "US",
                "website": f"https://{domain}",
                "contact_name": contact_name,
                "contact_title": rng.choice(CONTACT_TITLES[category]),
                "phone": _phone(rng, city),
                "email": f"{local_part}@{domain}",
                "networks": _org_networks(rng, korean),
                "display": "full",
                "language": "ko" if korean and rng.random() < 0.85 else "en",
            }
        )
    return records


def _affiliation(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.5:
        return ""
    if roll < 0.9:
        role, institutions = rng.choice(ROLES)
        return f"{role}, {rng.choice(institutions)}"
    return rng.choice(STANDALONE_AFFILIATIONS)


def _email(rng: random.Random, name: str, seen: set[str]) -> str:
    parts = re.sub(r"[^a-z ]", "", name.lower()).split()
    given, surname = parts[0], parts[-1]
    styles = (f"{given}.{surname}", f"{given[0]}{surname}", f"{given}{surname[0]}", given)
    domain = rng.choice(PERSONAL_DOMAINS)
    local = rng.choice(styles)
    email = f"{local}@{domain}"
    while email in seen:
        email = f"{local}{rng.randint(1, 999)}@{domain}"
    seen.add(email)
    return email


def sample_individuals(seed: int = 2018, count: int = 300) -> list[dict[str, object]]:
    """``count`` fictional individuals, about 45% of them Korean Americans (some with a
    Hangul name); the same ``seed`` always gives the same list."""
    rng = random.Random(seed)
    seen_names: set[str] = set()
    seen_emails: set[str] = set()
    records: list[dict[str, object]] = []
    initials = "ABCDEFGHJKLMNPRSTW"
    while len(records) < count:
        korean = rng.random() < 0.45
        name, name_alt = _person_name(rng, korean)
        if name in seen_names:
            # Common names repeat in real lists too; a middle initial keeps ours apart.
            given, surname = name.split(" ", 1)
            name = f"{given} {rng.choice(initials)}. {surname}"
            if name in seen_names:
                continue
        seen_names.add(name)
        city = _weighted_city(rng, korean)
        if name_alt:
            language = "ko" if rng.random() < 0.6 else "en"
        elif korean:
            language = "ko" if rng.random() < 0.1 else "en"
        else:
            language = "en"
        display = rng.choices(("full", "name", "initials", "hidden"), weights=(70, 15, 10, 5))[0]
        records.append(
            {
                "kind": "individual",
                "name": name,
                "name_alt": name_alt,
                "affiliation": _affiliation(rng),
                "city": city.name,
                "region": city.state,
                "country": "US",
                "email": _email(rng, name, seen_emails),
                "display": display,
                "language": language,
                "wants_updates": rng.random() < 0.55,
            }
        )
    return records
