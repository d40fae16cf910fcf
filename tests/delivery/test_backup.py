"""`undersigned backup FILE` then `undersigned restore FILE` into an empty database gives the
same counts and the same lists, run as an operator runs them: the command line, in its own
process, on its own data folder (SQLite; PostgreSQL too in the PostgreSQL pass)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any, ClassVar
from unittest import TestCase, skipUnless
from urllib.parse import urlsplit, urlunsplit

from tests.delivery.common import SAMPLE_CSV

BIN = str(Path(sys.executable).with_name("undersigned"))
SLUG = "korea-peace-2018"
SEED = """
import datetime
from undersigned.delivery.dossier import DossierSource, dossier_files
from undersigned.delivery.services import delivery_record, snapshot_freeze, update_post
from undersigned.statements.models import Statement

statement = Statement.objects.get(slug="korea-peace-2018")
snapshot = snapshot_freeze(statement=statement)
delivery_record(
    snapshot=snapshot,
    delivered_on=datetime.date(2018, 12, 10),
    method="in_person",
    targets=statement.targets.all(),
    files=dossier_files(DossierSource.of_snapshot(snapshot), formats=("csv", "json")),
)
update_post(statement=statement, content={"en": {"title": "Delivered", "body": "Done."}})
"""
# Everything a backup must carry, read through the app's own selectors and exports.
FINGERPRINT = """
import json
from django.db.models import Sum
from undersigned.delivery.backup import database_summary
from undersigned.delivery.models import DeliveryFile, Snapshot
from undersigned.delivery.selectors import snapshot_table
from undersigned.signatures.exports import private_table, public_table
from undersigned.signatures.models import Tally
from undersigned.statements.models import Statement

result = {"tables": database_summary(), "statements": {}}
for statement in Statement.objects.order_by("slug"):
    result["statements"][statement.slug] = {
        "status": statement.status,
        "counts": {
            f"{d}:{k}": v
            for d, k, v in Tally.objects.filter(statement=statement)
            .values_list("dimension", "key")
            .annotate(v=Sum("value"))
            .values_list("dimension", "key", "v")
            .order_by("dimension", "key")
        },
        "public": list(public_table(statement, language="ko").rows),
        "private": list(private_table(statement).rows),
        "snapshots": [
            list(snapshot_table(s, language="en").rows)
            for s in Snapshot.objects.filter(statement=statement).order_by("number")
        ],
    }
result["files"] = sorted(DeliveryFile.objects.values_list("name", "sha256", "size"))
print(json.dumps(result, default=str, sort_keys=True))
"""


class BackupTests(TestCase):
    """Each database is a fresh data folder (and, for PostgreSQL, a scratch database)."""

    base_env: ClassVar[dict[str, str]]
    tmp: ClassVar[tempfile.TemporaryDirectory[str]]

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory()
        cls.base_env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
        }

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def env(self, name: str, database_url: str = "") -> dict[str, str]:
        data = Path(self.tmp.name) / name
        data.mkdir(exist_ok=True)
        env = {**self.base_env, "UNDERSIGNED_DATA_DIR": str(data), "SECRET_KEY": "k" * 50}
        if database_url:
            env["DATABASE_URL"] = database_url
        return env

    def cli(
        self, env: dict[str, str], *args: str, stdin: str = "", ok: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [BIN, *args], env=env, input=stdin, capture_output=True, text=True, timeout=300
        )
        if ok:
            self.assertEqual(result.returncode, 0, f"{args}: {result.stderr}")
        return result

    def fingerprint(self, env: dict[str, str]) -> dict[str, Any]:
        # The last line: Django's shell first says what it imported.
        output = self.cli(env, "manage", "shell", stdin=FINGERPRINT).stdout
        data: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
        return data

    def seed(self, env: dict[str, str]) -> None:
        self.cli(env, "manage", "migrate", "--verbosity", "0")
        self.cli(env, "manage", "loaddemo", "--organizations", "12", "--individuals", "25")
        self.cli(env, "import-signers", SLUG, str(SAMPLE_CSV), "--approve")
        self.cli(env, "manage", "shell", stdin=SEED)

    def check_round_trip(self, source: dict[str, str], target: dict[str, str], *fmt: str) -> None:
        backup = Path(self.tmp.name) / f"backup-{uuid.uuid4().hex[:8]}"
        made = self.cli(source, "backup", str(backup), *fmt)
        self.assertIn("sign-on(s)", made.stdout)
        self.assertNotIn("Traceback", made.stderr)
        restored = self.cli(target, "restore", str(backup))
        self.assertIn("Restored 1 statement(s)", restored.stdout)

        before, after = self.fingerprint(source), self.fingerprint(target)
        self.assertGreater(before["tables"]["signatures.Signature"], 40)
        self.assertGreater(before["tables"]["tracker.Action"], 0)
        self.assertEqual(before["tables"]["delivery.DeliveryFile"], 2)
        self.assertEqual(after["tables"], before["tables"])
        self.assertEqual(after["statements"], before["statements"])
        self.assertEqual(after["files"], before["files"])
        recount = self.cli(target, "recount", SLUG)
        self.assertIn("counters matched the sign-ons", recount.stdout)
        listed = self.cli(target, "export", SLUG, "--format", "csv")
        self.assertIn("뉴저지 한인 평화 포럼", listed.stdout)

        # A database that holds data is not replaced by mistake.
        refused = self.cli(target, "restore", str(backup), ok=False)
        self.assertEqual(refused.returncode, 1)
        self.assertEqual(
            refused.stderr.strip(),
            "undersigned: the database already holds data; restore into an empty database, "
            "or add --force to replace everything in it",
        )
        self.cli(target, "restore", str(backup), "--force")
        self.assertEqual(self.fingerprint(target)["tables"], before["tables"])

    def test_sqlite_backup_restores_into_an_empty_database(self) -> None:
        source = self.env("sqlite-a")
        self.seed(source)
        self.check_round_trip(source, self.env("sqlite-b"))
        # The portable format, into a third database.
        self.check_round_trip(source, self.env("sqlite-c"), "--format", "json")

    def test_mistakes_are_one_line(self) -> None:
        env = self.env("empty")
        missing = self.cli(env, "restore", "/nonexistent/backup.db", ok=False)
        self.assertEqual(
            missing.stderr.strip(), "undersigned: No backup file /nonexistent/backup.db."
        )
        junk = Path(self.tmp.name) / "junk.txt"
        junk.write_text("not a backup")
        result = self.cli(env, "restore", str(junk), ok=False)
        self.assertEqual(result.stderr.strip(), f"undersigned: {junk} is not an undersigned backup")
        for command in (["backup"], ["restore"], ["export"], ["import-signers"]):
            help_text = self.cli(env, *command, "--help")
            self.assertIn("usage:", help_text.stdout)

    @skipUnless(
        os.environ.get("DATABASE_URL", "").startswith("postgres"), "the PostgreSQL pass runs it"
    )
    def test_postgresql_backup_restores_into_an_empty_database(self) -> None:
        import psycopg

        url = urlsplit(os.environ["DATABASE_URL"])
        names = [f"undersigned_backup_{os.getpid()}_{n}" for n in ("a", "b")]
        admin = urlunsplit(url._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as connection:
            for name in names:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
                connection.execute(f'CREATE DATABASE "{name}"')
        try:
            source, target = (
                self.env(f"pg-{name}", urlunsplit(url._replace(path=f"/{name}"))) for name in names
            )
            self.seed(source)
            self.check_round_trip(source, target)
        finally:
            with psycopg.connect(admin, autocommit=True) as connection:
                for name in names:
                    connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
