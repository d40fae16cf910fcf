"""`undersigned demo`'s tracker: every agreement, provision, action and demand history of the
data file, and the public pages, API and export built on them."""

from __future__ import annotations

import csv
import json
import tempfile
from io import StringIO
from itertools import pairwise
from pathlib import Path
from typing import Any, ClassVar

from django.core.management import call_command
from django.test import Client

from tests.base import BaseTestCase
from undersigned.statements.demo import demo_load
from undersigned.statements.models import Statement
from undersigned.tracker.demo import DATA
from undersigned.tracker.models import (
    Action,
    ActionLink,
    Agreement,
    AgreementLink,
    Assessment,
    Provision,
    Relation,
)

RECORD = json.loads(DATA.read_text(encoding="utf-8"))
DEMOLITION = "act-2020-06-16-liaison-office-demolished"


def row(html: str, element_id: str) -> str:
    """The ledger row (<tr id=...>...</tr>) of one action."""
    start = html.index(f'<tr id="{element_id}"')
    return html[start : html.index("</tr>", start)]


class TrackerDemoTests(BaseTestCase):
    demo: ClassVar[Statement]

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.demo = demo_load(organizations=3, individuals=3)

    def get(self, url: str, **params: Any) -> Any:
        # A client per page: a /ko/ page remembers the language for the next shared link.
        return Client().get(url, params)

    # The data -----------------------------------------------------------------------------
    def test_it_loads_the_four_demands_with_their_full_histories(self) -> None:
        self.assertEqual(self.demo.demands.count(), 4)
        for demand in RECORD["demands"]:
            with self.subTest(demand=demand["number"]):
                history = Assessment.objects.filter(
                    demand__statement=self.demo, demand__number=demand["number"]
                ).order_by("as_of", "id")
                self.assertEqual(history.count(), len(demand["history"]))
                self.assertEqual(
                    [(a.as_of.isoformat(), a.status) for a in history],
                    [(h["date"], h["status"]) for h in demand["history"]],
                )
                for entry in history:
                    self.assertGreaterEqual(entry.evidence.count(), 1)
                # Each entry supersedes the one before: one straight line.
                entries = list(history)
                self.assertIsNone(entries[0].supersedes_id)
                for before, after in pairwise(entries):
                    self.assertEqual(after.supersedes_id, before.pk)

    def test_it_loads_the_agreements_with_the_military_annex(self) -> None:
        self.assertEqual(Agreement.objects.count(), len(RECORD["agreements"]))
        self.assertEqual(
            set(Agreement.objects.values_list("key", flat=True)),
            {"PMJ", "SGP", "PYD", "CMA", "AF"},
        )
        self.assertTrue(
            AgreementLink.objects.filter(
                source__key="CMA", target__key="PYD", relation=Relation.ANNEXES
            ).exists()
        )
        self.assertEqual(Provision.objects.count(), len(RECORD["provisions"]))
        self.assertEqual(Provision.objects.filter(agreement__key="CMA").count(), 6)
        self.assertTrue(Provision.objects.filter(key="PYD-2.3/2.4").exists())
        self.assertEqual(
            dict(Agreement.objects.values_list("key", "pax_agt_id")),
            {"PMJ": 2104, "SGP": 2106, "PYD": 2105, "CMA": None, "AF": 223},
        )

    def test_it_loads_every_action_with_a_source(self) -> None:
        self.assertEqual(Action.objects.count(), len(RECORD["actions"]))
        self.assertFalse(Action.objects.filter(sources=None).exists())
        links = sum(len(a["links"]) for a in RECORD["actions"])
        self.assertEqual(ActionLink.objects.count(), links)
        demolition = Action.objects.get(key=DEMOLITION)
        assert demolition.reverses is not None
        self.assertEqual(demolition.reverses.key, "act-2018-09-14-liaison-office-opened")
        self.assertTrue(demolition.links.filter(provision__key="PMJ-1.3", effect="reverses"))
        unverified = {a["id"] for a in RECORD["actions"] if a["unverified"]}
        self.assertEqual(
            set(Action.objects.filter(unverified=True).values_list("key", flat=True)), unverified
        )

    def test_loading_again_changes_nothing(self) -> None:
        counts = [m.objects.count() for m in (Agreement, Provision, Action, Assessment)]
        demo_load()
        from undersigned.tracker.demo import tracker_load_demo

        report = tracker_load_demo(statement=self.demo)
        self.assertFalse(any(vars(report).values()))
        self.assertEqual(
            [m.objects.count() for m in (Agreement, Provision, Action, Assessment)], counts
        )

    def test_the_command_loads_the_tracker_for_an_older_demo_and_then_changes_nothing(self) -> None:
        out = StringIO()
        call_command("tracker_loaddemo", stdout=out)
        self.assertIn("already loaded", out.getvalue())

    # Pages ------------------------------------------------------------------------------------
    def test_the_demands_page_shows_each_status_and_dated_timeline(self) -> None:
        page = self.get(f"/s/{self.demo.slug}/demands/")
        self.assertContains(page, 'id="demand-4"')
        self.assertContains(page, "Establish a US liaison office in Pyongyang")
        self.assertContains(page, "Status now:")
        self.assertContains(page, '<time datetime="2025-10-30">')
        self.assertContains(page, 'class="status status-not_met">Not met<')
        self.assertContains(page, "https://amp.dw.com/en/no-trump-kim-meeting")
        self.assertContains(page, "Unverified")
        self.assertContains(page, "Provisional")
        self.assertContains(self.get(f"/s/{self.demo.slug}/"), f"/s/{self.demo.slug}/demands/")

    def test_the_demands_page_is_korean_on_korean_pages(self) -> None:
        page = self.get(f"/ko/s/{self.demo.slug}/demands/")
        self.assertContains(page, "요구 사항은 어떻게 되었나")
        self.assertContains(page, "평양에 미국 연락사무소를 설치하라")
        self.assertContains(page, "현재 상태:")
        self.assertContains(page, "교착")
        self.assertContains(page, "2025년 10월 30일")

    def test_the_agreement_pages_show_provisions_with_status(self) -> None:
        listing = self.get("/agreements/")
        for name in ("Panmunjom Declaration", "Singapore Joint Statement", "Agreed Framework"):
            self.assertContains(listing, name)
        self.assertContains(listing, "2104")
        cma = self.get("/agreements/CMA/")
        self.assertContains(cma, "is an annex to")
        self.assertContains(cma, 'href="/agreements/PYD/"')
        self.assertContains(cma, 'id="CMA-2b"')
        pmj = self.get("/agreements/PMJ/")
        section = pmj.content.decode().split('id="PMJ-1.3"')[1].split("</section>")[0]
        self.assertIn("Not assessed", section)
        self.assertIn('class="effect effect-reverses">reverses<', section)
        self.assertIn(f"/ledger/#{DEMOLITION}", section)
        self.assertEqual(self.get("/agreements/NOPE/").status_code, 404)
        self.assertEqual(self.get("/agreements/%00/").status_code, 404)
        self.assertEqual(self.get("/ledger/", agreement="P\x00").status_code, 404)
        korean = self.get("/ko/agreements/PMJ/")
        self.assertContains(korean, "판문점 선언")
        self.assertContains(korean, "개성 지역에")

    def test_the_ledger_sets_the_parties_side_by_side_and_marks_reversals(self) -> None:
        page = self.get("/ledger/")
        html = page.content.decode()
        header = html[html.index("<thead>") : html.index("</thead>")]
        self.assertLess(header.index("United States"), header.index("Democratic People"))
        self.assertIn("Republic of Korea", header)

        demolition = row(html, DEMOLITION)
        self.assertIn('class="reversal', demolition)
        self.assertIn("Reversal", demolition)
        self.assertIn('href="/agreements/PMJ/#PMJ-1.3"', demolition)
        self.assertIn('href="#act-2018-09-14-liaison-office-opened"', demolition)
        # In the DPRK's column, not the US's.
        self.assertIn('class="party-us empty"', demolition)
        self.assertIn('<td class="party-dprk" ', demolition)
        # The step it undid says so, and links forward.
        opened = row(html, "act-2018-09-14-liaison-office-opened")
        self.assertIn(f'href="#{DEMOLITION}"', opened)
        # A US step answering a DPRK step, in time order after it.
        suspension = row(html, "act-2018-06-18-ufg-suspended")
        self.assertIn('<td class="party-us" ', suspension)
        self.assertIn('href="#act-2018-04-20-dprk-test-moratorium"', suspension)
        self.assertLess(html.index('id="act-2018-04-20'), html.index('id="act-2018-06-18'))
        self.assertIn("Unverified", row(html, "act-2018-05-24-punggye-ri-demolition"))

        only_pmj = self.get("/ledger/", agreement="PMJ").content.decode()
        self.assertIn(DEMOLITION, only_pmj)
        self.assertNotIn("act-2018-08-travel-ban-renewed", only_pmj)
        korean = self.get("/ko/ledger/")
        self.assertContains(korean, "상호 조치 대조표")
        self.assertContains(korean, "번복")
        self.assertContains(korean, "개성 남북 공동연락사무소를 폭파했다")

    # API and export ---------------------------------------------------------------------------
    def test_the_api_gives_the_demands_with_their_histories(self) -> None:
        response = self.client.get(f"/api/v1/statements/{self.demo.slug}/demands")
        self.assertEqual(response.status_code, 200)
        demands = response.json()
        self.assertEqual([d["number"] for d in demands], [1, 2, 3, 4])
        for demand, record in zip(demands, RECORD["demands"], strict=True):
            self.assertEqual(len(demand["history"]), len(record["history"]))
            self.assertEqual(demand["status"], record["history"][-1]["status"])
            self.assertTrue(all(entry["sources"] for entry in demand["history"]))
        self.assertEqual(demands[0]["cited_provisions"][0]["pax_agt_id"], 2104)
        self.assertIn("ko", demands[0]["text"])
        missing = self.client.get("/api/v1/statements/no-such/demands")
        self.assertEqual(missing.status_code, 404)

    def test_the_api_gives_agreements_and_actions_with_pax_ids(self) -> None:
        agreements = {a["key"]: a for a in self.client.get("/api/v1/agreements").json()}
        self.assertEqual(agreements["PMJ"]["pax_agt_id"], 2104)
        self.assertEqual(agreements["AF"]["pax_agt_id"], 223)
        self.assertIn(
            {"relation": "annexes", "agreement": "PYD", "pax_agt_id": 2105},
            [{k: v for k, v in link.items() if k != "note"} for link in agreements["CMA"]["links"]],
        )
        self.assertEqual(len(agreements["PMJ"]["provisions"]), 14)

        actions = self.client.get("/api/v1/actions").json()
        self.assertEqual(len(actions), len(RECORD["actions"]))
        demolition = next(a for a in actions if a["key"] == DEMOLITION)
        self.assertEqual(demolition["reverses"], "act-2018-09-14-liaison-office-opened")
        self.assertIn(
            {"effect": "reverses", "agreement": "PMJ", "pax_agt_id": 2104, "provision": "PMJ-1.3"},
            [
                {k: link[k] for k in ("effect", "agreement", "pax_agt_id", "provision")}
                for link in demolition["links"]
            ],
        )
        by_us = self.client.get("/api/v1/actions", {"actor": "US"}).json()
        self.assertTrue(by_us)
        self.assertTrue(all(any(a["party"] == "US" for a in x["actors"]) for x in by_us))
        on_provision = self.client.get("/api/v1/actions", {"provision": "PMJ-1.3"}).json()
        self.assertIn(DEMOLITION, [a["key"] for a in on_provision])
        self.assertEqual(self.client.get("/api/v1/actions", {"actor": "x\x00"}).status_code, 400)

    def test_the_export_writes_csv_and_json_keeping_pax_ids(self) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "actions.csv"
            call_command("tracker_export", "--format", "csv", "--out", str(path), stderr=None)
            rows = list(csv.DictReader(path.open(encoding="utf-8")))
            self.assertIn("pax_agt_id", rows[0])
            demolition = [r for r in rows if r["action"] == DEMOLITION and r["provision"]]
            self.assertEqual(demolition[0]["pax_agt_id"], "2104")
            self.assertEqual(demolition[0]["effect"], "reverses")

            provisions = Path(folder) / "provisions.csv"
            call_command("tracker_export", "--table", "provisions", "--out", str(provisions))
            rows = list(csv.DictReader(provisions.open(encoding="utf-8")))
            self.assertEqual(len(rows), len(RECORD["provisions"]))
            self.assertEqual({r["pax_agt_id"] for r in rows if r["agreement"] == "SGP"}, {"2106"})

            document = Path(folder) / "tracker.json"
            call_command("tracker_export", "--format", "json", "--out", str(document))
            data = json.loads(document.read_text(encoding="utf-8"))
            self.assertEqual({a["key"]: a["pax_agt_id"] for a in data["agreements"]}["PYD"], 2105)
            self.assertEqual(len(data["actions"]), len(RECORD["actions"]))
            (statement,) = [s for s in data["statements"] if s["slug"] == self.demo.slug]
            self.assertEqual(len(statement["demands"][2]["history"]), 15)
