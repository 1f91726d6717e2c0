"""schemathesis against the OpenAPI document, in process: every operation, a fixed seed and a
bounded number of examples, with a seeded database and a valid token. No answer may be a
server error, and every answer must match the document (status, content type, body, headers).
"""
from __future__ import annotations

import time
from collections import Counter

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import (
    content_type_conformance, not_a_server_error, response_headers_conformance,
    response_schema_conformance, status_code_conformance,
)

from consult.api.tokens import create_token
from consult.extensions import db
from tests import api_world
from tests.conftest import SUITE_SEED

SEED = SUITE_SEED  # fixed by default; TEST_SEED draws other examples (and a failure names it)
MAX_EXAMPLES = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]


def test_schemathesis_finds_no_server_error_and_no_schema_violation(app, monkeypatch):
    world = api_world.build(monkeypatch)
    raw = api_world.token(app.test_client(), world.residents[2])
    known_ids = {
        "topic_id": world.topic.id, "comment_id": world.comment.id, "vote_id": world.vote.id,
        "meeting_id": world.meeting.id, "studio_id": world.studio.id,
        "session_id": world.session.id, "community_id": world.community.id,
        "user_id": world.representative.id, "reservation_id": 1,
    }
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    started = time.monotonic()
    operations = 0
    statuses: Counter = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        names = {p.name for p in operation.iter_parameters() if p.location == "path"} \
            if hasattr(operation, "iter_parameters") else set()
        strategies = [operation.as_strategy()]
        if names:  # also with ids that exist, so the answers are not all 404
            strategies.append(operation.as_strategy(
                path_parameters={n: known_ids[n] for n in names if n in known_ids}))
        revoking = operation.method.upper() == "DELETE" and operation.path.endswith("/current")

        for strategy in strategies:
            @hypothesis.seed(SEED)
            @hypothesis.settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                                 derandomize=False, phases=[Phase.explicit, Phase.generate],
                                 suppress_health_check=list(HealthCheck))
            @hypothesis.given(case=strategy)
            def run(case):
                token = raw
                if revoking:  # give it a token of its own, so the others keep theirs
                    _row, token = create_token(world.residents[3], "schemathesis")
                    db.session.commit()
                response = case.call(headers={"Authorization": f"Bearer {token}"})
                statuses[(operation.method.upper(), operation.path, response.status_code)] += 1
                case.validate_response(response, checks=CHECKS)

            run()
    elapsed = time.monotonic() - started
    print(f"schemathesis: {operations} operations, {sum(statuses.values())} requests in "
          f"{elapsed:.1f} s")
    for key, n in sorted(statuses.items()):
        print(*key, n)
    assert operations == len(schema.get_all_operations() and list(schema.get_all_operations()))
    # The known ids reached real answers, not only 404s.
    assert {(m, s) for (m, _p, s) in statuses} >= {("GET", 200), ("POST", 201), ("PUT", 200)}
