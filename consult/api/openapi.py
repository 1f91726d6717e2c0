"""The OpenAPI 3.1 document of ``/api/v1``, generated from the views' declarations.

Each route of the blueprint names its path, query and body models and its answers
(consult/api/schemas.py, consult/api/core.py's ``read``/``write``); flask-openapi3 turns them
into operations and component schemas as the routes are registered, and :func:`document` adds
what belongs to the whole API: the description, the tags, the bearer scheme and the problem
document. ``tests/api/test_api.py`` checks that every API route is in it and that it is valid
OpenAPI 3.1; schemathesis checks the answers against it.
"""
from __future__ import annotations

from copy import deepcopy
from functools import cache

from flask_openapi3.models import APISpec, Components, Info, Schema, Server

from consult.api.core import TAGS, bp
from consult.api.schemas import PER_PAGE_MAX, Problem

DESCRIPTION = (
    "The JSON API of Consult (有事好商量) for mini-program clients and open-data users. "
    "Public reads need no token. Writes need a bearer token from POST /api/v1/tokens, sent as "
    "`Authorization: Bearer <token>`; the session cookie of the web pages is not accepted. "
    "Errors are RFC 9457 problem documents (`application/problem+json`) with a stable `type` "
    "per kind of error and the `field` that was wrong. A 422 means the request breaks this "
    "document; a value the document allows but the server's data does not (an option that is "
    "not the vote's, a slot of another session, a comment too many this minute) is 409, a "
    "scope one may not propose in 403. Text may not hold the character U+0000, which cannot "
    "be stored: a request with one is answered 400. A query parameter sent empty (`?stage=`) "
    "counts as not sent. Lists are paged (`page`, `per_page` ≤ "
    f"{PER_PAGE_MAX}) with a `total`; public reads carry an ETag (send If-None-Match to get "
    "304). Rate limits apply per address and per token. Times are ISO 8601 in UTC (Z). A "
    "method an address does not accept answers 405, an unknown address 404, both as problem "
    "documents.")


@cache
def _document() -> dict:
    problem = Problem.model_json_schema(mode="serialization")
    spec = APISpec(
        openapi="3.1.0", info=Info(title="Consult API", version="1.0.0",
                                   description=DESCRIPTION),
        servers=[Server(url="/")], tags=list(TAGS.values()), paths=bp.paths,
        components=Components(
            schemas={**bp.components_schemas, "Problem": Schema(**problem)},
            securitySchemes={"bearerAuth": {
                "type": "http", "scheme": "bearer",
                "description": "A token from POST /api/v1/tokens"}}))
    doc = spec.model_dump(mode="json", by_alias=True, exclude_unset=True, warnings=False)
    for item in doc["paths"].values():
        for parameter in (p for op in item.values() if isinstance(op, dict)
                          for p in op.get("parameters", [])):
            if parameter["in"] == "query":  # schemas.Query: an empty value counts as absent
                parameter["allowEmptyValue"] = True
    return doc


def document() -> dict:
    return deepcopy(_document())
