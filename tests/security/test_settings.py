"""Item 3 of issue 14: an unset DEBUG is production, and the development mailbox (which shows password-reset
links) is reachable only by staff, only when DEV_MAILBOX is on."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
SHOW = (
    "import json, marketplace.settings as s; print(json.dumps({'DEBUG': s.DEBUG, 'VAR_DIR': str(s.VAR_DIR), "
    "'SSL': s.SECURE_SSL_REDIRECT, 'MAILBOX': s.DEV_MAILBOX, 'COOKIE': s.SESSION_COOKIE_SECURE}))"
)


def _settings_in(folder: Path, env_file: str, **environ) -> subprocess.CompletedProcess:
    """Import a copy of the settings module whose project folder is `folder` (so its `.env` is ours)."""
    (folder / "marketplace").mkdir()
    shutil.copy(ROOT / "marketplace" / "settings.py", folder / "marketplace" / "settings.py")
    (folder / "marketplace" / "__init__.py").write_text("")
    (folder / ".env").write_text(env_file)
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    return subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=folder,
        env={**keep, "PYTHONPATH": str(folder), **environ},
        capture_output=True,
        text=True,
    )


def test_an_unset_debug_means_production_and_a_secret_key_is_required(tmp_path):
    out = _settings_in(tmp_path, "")
    assert out.returncode != 0
    assert "SECRET_KEY" in out.stderr


def test_production_values_when_debug_is_unset(tmp_path):
    out = _settings_in(tmp_path, "SECRET_KEY=x\nALLOWED_HOSTS=example.com\n")
    values = json.loads(out.stdout)
    assert values["DEBUG"] is False
    assert values["SSL"] is True
    assert values["COOKIE"] is True
    assert values["MAILBOX"] is False


def test_dot_env_is_read_before_any_setting_even_var_dir(tmp_path):
    out = _settings_in(tmp_path, f"DEBUG=1\nVAR_DIR={tmp_path / 'elsewhere'}\n")
    values = json.loads(out.stdout)
    assert values["DEBUG"] is True
    assert values["VAR_DIR"] == str(tmp_path / "elsewhere")


def test_make_run_and_run_dev_ask_for_development_explicitly():
    assert "export DEBUG=1 DEV_MAILBOX=1" in (ROOT / "bin" / "run-dev").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert "run: export DEBUG = 1" in makefile
    assert "run: export DEV_MAILBOX = 1" in makefile


@pytest.fixture
def mailbox(settings, tmp_path):
    """A mailbox folder holding one password-reset e-mail, written by the file backend as in development."""
    settings.MAILBOX_DIR = tmp_path / "mail"
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(settings.MAILBOX_DIR)
    mail.send_mail("Reset your password", "https://example.test/reset/secret-key/", None, ["victim@example.com"])
    return settings


@pytest.mark.django_db
def test_the_mailbox_is_not_there_unless_dev_mailbox_is_on(client, mailbox):
    mailbox.DEV_MAILBOX = False
    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse("dev-mailbox")).status_code == 404


@pytest.mark.django_db
def test_the_mailbox_is_for_staff_only(client, mailbox):
    mailbox.DEV_MAILBOX = True
    anonymous = client.get(reverse("dev-mailbox"))
    assert anonymous.status_code == 302
    assert reverse("account_login") in anonymous["Location"]

    client.force_login(UserFactory())
    assert client.get(reverse("dev-mailbox")).status_code == 404
    name = next(mailbox.MAILBOX_DIR.glob("*.log")).name
    assert client.get(reverse("dev-mailbox-message", args=[f"{name}:0"])).status_code == 404

    client.force_login(UserFactory(is_staff=True))
    page = client.get(reverse("dev-mailbox"))
    assert page.status_code == 200
    assert b"Reset your password" in page.content
    message = client.get(reverse("dev-mailbox-message", args=[f"{name}:0"]))
    assert b"secret-key" in message.content
