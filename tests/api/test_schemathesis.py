"""Fuzz /api/v1 from its own OpenAPI document with schemathesis, against a live server over a
database with public, collecting and draft statements and signatories: no answer may be a
server error, and every answer must be one the document describes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.test import LiveServerTestCase

from tests.base import CONTENT, ORG, PERSON
from undersigned.signatures.services import signature_approve, signature_confirm, signature_create
from undersigned.statements.services import statement_create, statement_open

CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    )
)


def schemathesis_command() -> str:
    """The schemathesis program of this environment; skip outside CI when it is missing."""
    found = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or shutil.which(
        "schemathesis"
    )
    if found:
        return found
    message = "schemathesis is not installed (pip install -e '.[dev]')"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}, and CI must run every test", pytrace=False)
    pytest.skip(message)


class SchemathesisTests(LiveServerTestCase):
    def setUp(self) -> None:
        super().setUp()
        statement = statement_create(
            slug="end-the-war", content=CONTENT, targets=[{"name": "President"}]
        )
        statement_open(statement=statement, public=True)
        for fields in (ORG, PERSON, {**PERSON, "email": "n@example.org", "display": "initials"}):
            result = signature_create(statement=statement, data=fields)  # type: ignore[arg-type]
            signature = result.signature
            signature_confirm(signature_id=signature.pk, nonce=signature.nonce)
            signature_approve(signature_ids=[signature.pk], actor=None)
        statement_open(statement=statement_create(slug="quiet-one", content=CONTENT))
        statement_create(slug="draft-one", content=CONTENT)

    def test_it_finds_no_server_error_and_no_answer_outside_the_document(self) -> None:
        command = schemathesis_command()
        # Run in an empty folder: schemathesis keeps a cache of earlier findings in its
        # working directory, and each run must stand on its own.
        workdir = tempfile.TemporaryDirectory()
        self.addCleanup(workdir.cleanup)
        run = subprocess.run(
            [
                command,
                "run",
                f"{self.live_server_url}/api/v1/openapi.json",
                "--checks",
                CHECKS,
                "--max-examples",
                "20",
                "--workers",
                "1",
                "--phases",
                "fuzzing",
                "--generation-database",
                "none",
                "--no-color",
                "--request-timeout",
                "20",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=workdir.name,
            check=False,
        )
        report = run.stdout[-6000:] + run.stderr[-2000:]
        self.assertEqual(run.returncode, 0, report)
        self.assertIn("Tested:", run.stdout, report)
