"""The suite's settings: the project's own, with the development values a test run needs asked for explicitly
(an unset DEBUG means production, which would redirect the test client to https and want a static manifest).
Processes the tests start (a Celery worker, a server) inherit these variables."""

import os

os.environ["DEBUG"] = "1"
os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")

from marketplace.settings import *  # noqa: E402,F403
