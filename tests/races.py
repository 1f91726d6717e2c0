"""Running one attempt in many threads at once against PostgreSQL, for the race tests.

Each thread has its own app context, session and connection, starts its write transaction,
waits at a barrier so all go together, and commits on success. A refusal of the given kind
(``expected``) is rolled back and its message returned; anything else is returned as the
exception for the test's assertions to report."""
from __future__ import annotations

import threading

from consult.database import begin_write
from consult.extensions import db


def race(app, n: int, attempt, expected: type[Exception]) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def worker(i: int) -> None:
        with app.app_context():
            try:
                begin_write()
                barrier.wait(timeout=30)
                results[i] = attempt(i)
                db.session.commit()
            except expected as error:
                db.session.rollback()
                results[i] = error.message
            except Exception as error:  # noqa: BLE001 - reported by the caller's assertions
                db.session.rollback()
                results[i] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return results
