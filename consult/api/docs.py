"""``/api/v1/openapi.json`` and ``/api/v1/docs``: the document, and a page rendered from it on
the server (no script, no CDN: the site's Content-Security-Policy forbids both)."""
from __future__ import annotations

from flask import jsonify, render_template

from consult.api.core import ANSWERED, TAGS, bp, problems
from consult.api.openapi import document

METHOD_ORDER = ["get", "post", "put", "delete"]


def _schema_label(schema: dict | None) -> str:
    if not schema:
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "allOf" in schema:
        return " + ".join(_schema_label(s) or "object" for s in schema["allOf"])
    if "anyOf" in schema:
        return " | ".join(_schema_label(s) for s in schema["anyOf"])
    if "const" in schema:
        return str(schema["const"])
    kind = schema.get("type", "")
    if isinstance(kind, list):
        kind = " | ".join(kind)
    if kind == "array":
        return f"array of {_schema_label(schema.get('items'))}"
    if kind == "object" and "properties" in schema and "items" in schema["properties"]:
        return f"page of {_schema_label(schema['properties']['items'].get('items'))}"
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"] if v is not None)
    return kind or "object"


def _resolved(doc: dict, schema: dict | None) -> dict | None:
    """A body's schema: the component it names."""
    if schema and "$ref" in schema:
        return doc["components"]["schemas"].get(schema["$ref"].rsplit("/", 1)[-1], {})
    return schema


def _operations(doc: dict) -> list[dict]:
    ops = []
    for path, methods in doc["paths"].items():
        for method in METHOD_ORDER:
            if method not in methods:
                continue
            op = methods[method]
            body = (op.get("requestBody") or {}).get("content", {}).get("application/json", {})
            body_schema = _resolved(doc, body.get("schema"))
            ops.append({
                "anchor": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
                "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                "description": op.get("description", ""), "tag": (op.get("tags") or [""])[0],
                "token": op.get("security") == [{"bearerAuth": []}],
                "parameters": [{"name": p["name"], "in": p["in"], "required": p.get("required"),
                                "type": _schema_label(p["schema"]),
                                "description": p.get("description")
                                or p["schema"].get("description", "")}
                               for p in op.get("parameters", [])],
                "body": [{"name": name, "type": _schema_label(schema),
                          "required": name in body_schema.get("required", []),
                          "description": schema.get("description", "")}
                         for name, schema in body_schema.get("properties", {}).items()]
                if body_schema else [],
                "responses": [{"status": status, "description": r.get("description", ""),
                               "type": _schema_label(next(iter(r.get("content", {}).values()),
                                                          {}).get("schema"))}
                              for status, r in op["responses"].items()],
            })
    return ops


@bp.get("/openapi.json", summary="This document", tags=[TAGS["Documentation"]], security=[],
        responses={"200": {"description": "OpenAPI 3.1", "content": {
            "application/json": {"schema": {"type": "object"}}}},
            "304": {"description": ANSWERED["304"]}, **problems("429")})
def openapi_json():
    return jsonify(document())


@bp.get("/docs", summary="This document as a page to read", tags=[TAGS["Documentation"]],
        security=[], responses={"200": {"description": "HTML", "content": {
            "text/html": {"schema": {"type": "string"}}}}, **problems("429")})
def docs_page():
    doc = document()
    schemas = [{"name": name, "fields": [
        {"name": field, "type": _schema_label(schema), "description": schema.get("description", ""),
         "required": field in s.get("required", [])}
        for field, schema in s.get("properties", {}).items()] or (
        [{"name": "(a value)", "type": _schema_label(s), "description": ""}] if "enum" in s
        else [])}
        for name, s in doc["components"]["schemas"].items()]
    return render_template("api/docs.html", doc=doc, operations=_operations(doc),
                           schemas=schemas)
