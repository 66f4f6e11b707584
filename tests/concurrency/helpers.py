"""Running service calls at the same moment, each thread on its own database connection."""

import threading

from django.db import connection

from kernel.errors import DomainError


def race(*calls):
    """Run the calls in threads released together; return each one's result or its DomainError."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, fn):
        try:
            barrier.wait()
            results[index] = fn()
        except DomainError as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
