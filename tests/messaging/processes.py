"""The real processes messaging tests start beside the test run, on the test database: ASGI servers (uvicorn,
so WebSockets are real) and a Celery worker. They inherit the suite's environment (tests/settings.py)."""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


def environment(tmp_path) -> dict:
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "marketplace.settings",
    }
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def asgi_server(env):
    """A uvicorn process serving the project; yields its base URL once it accepts connections."""
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "marketplace.asgi:application",
        "--port",
        str(port),
        "--lifespan",
        "off",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("the ASGI server did not start") from None
                time.sleep(0.2)  # polling a port that has nothing to await on
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)


@contextmanager
def celery_worker(env):
    command = [sys.executable, "-m", "celery", "-A", "marketplace", "worker", "--pool=solo", "--loglevel=WARNING"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def session_cookie(user) -> str:
    """The session cookie value a browser holds once `user` has logged in."""
    browser = Client()
    browser.force_login(user)
    return browser.cookies["sessionid"].value
