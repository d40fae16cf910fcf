"""The one base class: a released statement, standing personas, a real SMTP server, and a
helper that runs the email worker's own code on the queued jobs."""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any, ClassVar
from urllib.parse import urlsplit

import django_rq
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import connection, connections
from django.test import TestCase, override_settings
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from rq import SimpleWorker

from tests.smtp import SMTPServer
from undersigned.accounts.models import Role, StatementRole
from undersigned.signatures import services
from undersigned.signatures.models import Signature
from undersigned.signatures.screening import form_started_token
from undersigned.statements.models import Statement
from undersigned.statements.services import statement_create, statement_open

CONTENT = {
    "en": {
        "title": "End the Korean War",
        "summary": "A test statement.",
        "preamble": "We, the undersigned,",
        "body": "First paragraph.\n\nSecond paragraph.",
        "demands": ["Declare an end to the war.", "Lift the travel ban."],
    },
    "ko": {
        "title": "한국전쟁을 끝내라",
        "summary": "시험용 성명.",
        "preamble": "우리 서명자들은",
        "body": "첫 문단.\n\n둘째 문단.",
        "demands": ["종전을 선언하라.", "여행 금지를 해제하라."],
    },
}

ORG = {
    "kind": "organization",
    "name": "East Bay Peace Circle",
    "name_alt": "이스트베이 평화모임",
    "category": "local",
    "city": "Oakland",
    "region": "CA",
    "country": "US",
    "website": "https://eastbaypeacecircle.example",
    "contact_name": "Grace Lim",
    "contact_title": "Director",
    "email": "director@eastbaypeacecircle.example",
    "phone": "510-555-0134",
}
PERSON = {
    "kind": "individual",
    "name": "Jiyoung Park",
    "name_alt": "박지영",
    "affiliation": "Example State University",
    "city": "Seattle",
    "region": "WA",
    "country": "US",
    "email": "j.park@example.org",
    "display": "full",
}

LINK = re.compile(r"https?://\S+/(confirm|withdraw)/(\S+?)/")


def drop_connection_under(thread_connection: Any) -> int:
    """As a restarted database does: end the server side of this thread's connection.
    Returns the backend's process id."""
    thread_connection.ensure_connection()
    pid = thread_connection.connection.info.backend_pid
    other = type(connections["default"])(thread_connection.settings_dict)
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    return pid


def run_rq_worker() -> int:
    """RQ's worker in burst mode, in this process (so it sees the test's transaction)."""
    queue = django_rq.get_queue("default")
    before, failed_before = queue.finished_job_registry.count, queue.failed_job_registry.count
    worker = django_rq.get_worker(
        "default", job_class="django_tasks_rq.Job", worker_class=SimpleWorker
    )
    worker.work(burst=True, with_scheduler=False)
    # Compared with before, not with zero: the registries outlive a test run in Redis.
    assert queue.failed_job_registry.count == failed_before, "an email job failed"
    return int(queue.finished_job_registry.count - before)


class MailTestMixin:
    """A real SMTP server for the test class, the email worker's own code to run the queued
    jobs, and helpers to read what was sent. Shared by BaseTestCase and the browser tests."""

    smtp: ClassVar[SMTPServer]

    @classmethod
    def setUpClass(cls) -> None:
        cls.smtp = SMTPServer().start()
        cls._smtp_settings = override_settings(**cls.smtp.settings())
        cls._smtp_settings.enable()
        super().setUpClass()  # type: ignore[misc]

    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()  # type: ignore[misc]
        cls._smtp_settings.disable()
        cls.smtp.stop()

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        self.smtp.clear()
        caches["local"].clear()
        if settings.REDIS_URL:
            django_rq.get_queue("default").empty()

    def run_worker(self) -> int:
        """Run the queued email jobs with the queue's own worker code; returns how many ran."""
        # Sign-on emails are queued on commit, and Redis is told of every job on commit; a
        # TestCase never commits, so run those now (in a live-server test the server's
        # thread commits and this list is empty).
        callbacks, connection.run_on_commit = connection.run_on_commit, []
        for _sids, callback, _robust in callbacks:
            callback()
        # Sign-on emails wait up to 50 ms to share a job (services._email_jobs).
        services._email_jobs.flush()
        if settings.REDIS_URL:
            return run_rq_worker()
        worker = Worker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="test",
            excluded_queue_names=[],
        )
        ran = 0
        while (job := DBTaskResult.objects.ready().first()) is not None:
            job.claim("test")
            worker.run_task(job)
            job.refresh_from_db()
            assert job.status == "SUCCESSFUL", job.traceback
            ran += 1
        return ran

    def mail_to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.smtp.messages if address in str(m["To"])]

    def link(self, message: EmailMessage, purpose: str) -> str:
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        for match in LINK.finditer(body.get_content()):
            if match.group(1) == purpose:
                return urlsplit(match.group(0)).path
        raise AssertionError(f"no {purpose} link in {body.get_content()!r}")


class BaseTestCase(MailTestMixin, TestCase):
    statement: Statement

    @classmethod
    def setUpTestData(cls) -> None:
        User = get_user_model()
        cls.owner = User.objects.create_user(
            "owner@coalition.example", "owner@coalition.example", "x" * 12, is_staff=True
        )
        cls.moderator = User.objects.create_user(
            "mod@coalition.example", "mod@coalition.example", "x" * 12, is_staff=True
        )
        cls.outsider = User.objects.create_user(
            "outsider@elsewhere.example", "outsider@elsewhere.example", "x" * 12
        )
        cls.statement = statement_create(
            slug="end-the-war",
            content=CONTENT,
            targets=[{"name": "President of the United States"}],
            goal_organizations=100,
            goal_individuals=1000,
        )
        statement_open(statement=cls.statement, public=True)
        StatementRole.objects.create(statement=cls.statement, user=cls.owner, role=Role.OWNER)
        StatementRole.objects.create(
            statement=cls.statement, user=cls.moderator, role=Role.MODERATOR
        )

    # Helpers -------------------------------------------------------------------------
    def form_data(self, fields: dict[str, Any]) -> dict[str, Any]:
        """The POST a browser sends: prefixed fields plus the form's start time, as handed out."""
        prefix = "org" if fields["kind"] == "organization" else "ind"
        return {
            f"{prefix}-started": form_started_token(),
            **{f"{prefix}-{k}": v for k, v in fields.items()},
        }

    def sign(self, fields: dict[str, Any], *, language: str = "en", **extra: Any) -> Any:
        base = "" if language == "en" else f"/{language}"
        return self.client.post(
            f"{base}/s/{self.statement.slug}/sign/", self.form_data(fields), **extra
        )

    def signature(self, email: str) -> Signature:
        return Signature.objects.get(statement=self.statement, email=email)
