"""A real Celery worker starts on each broker `make run` and CI use, and answers the app's control channel."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]


def _start_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "marketplace",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--hostname=test-worker@%h",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _ping_until_answer(env: dict, deadline_s: float = 40) -> str:
    """Ask from a separate process, as the web process would: its own connection to the same broker."""
    code = "from marketplace.celery import app; print(app.control.ping(timeout=2))"
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
        if "test-worker@" in out.stdout:
            return out.stdout
    return ""


def _assert_worker_answers(env: dict):
    worker = _start_worker(env)
    try:
        assert "pong" in _ping_until_answer(env)
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_worker_answers_on_the_embedded_filesystem_broker(tmp_path):
    env = {**os.environ, "VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "marketplace.settings"}
    env.pop("REDIS_URL", None)
    _assert_worker_answers(env)
    assert (tmp_path / "celery" / "control").is_dir()


@pytest.mark.redis
def test_worker_answers_on_redis():
    env = {**os.environ, "REDIS_URL": settings.REDIS_URL, "DJANGO_SETTINGS_MODULE": "marketplace.settings"}
    _assert_worker_answers(env)
