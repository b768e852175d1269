"""The human-readable API reference, rendered server-side from the OpenAPI document.

Plain HTML with inline CSS and no scripts or external assets: the machines it is read on
may be offline.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from html import escape
from typing import Any

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h2{border-bottom:1px solid #ccc;padding-bottom:.2rem;margin-top:2.5rem}
code,pre{font-family:ui-monospace,monospace;font-size:13px}
pre{background:#f4f4f4;padding:.8rem;overflow-x:auto;white-space:pre-wrap}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#fafafa}.method{font-weight:bold;color:#05a}
"""

Schema = Mapping[str, Any]


def _resolve(schema: Schema, schemas: Mapping[str, Schema]) -> tuple[str | None, Schema]:
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return name, schemas.get(name, {})
    return None, schema


def type_label(schema: Schema) -> str:
    """A short human description of a property's JSON schema, e.g. ``integer or string``."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " or ".join(dict.fromkeys(type_label(option) for option in schema["anyOf"]))
    if "const" in schema:
        return json.dumps(schema["const"])
    if "enum" in schema:
        return "one of " + ", ".join(json.dumps(value) for value in schema["enum"])
    kind = str(schema.get("type", "any"))
    if kind == "array":
        return f"array of {type_label(schema.get('items', {}))}"
    limits = [
        f"{label} {schema[key]}"
        for key, label in (
            ("minimum", "≥"), ("maximum", "≤"), ("minLength", "min length"),
            ("maxLength", "max length"),
        )
        if key in schema
    ]
    return f"{kind} ({', '.join(limits)})" if limits else kind


def _nested_refs(schema: Schema) -> Iterator[str]:
    for value in schema.values():
        if isinstance(value, Mapping):
            if "$ref" in value:
                yield str(value["$ref"]).rsplit("/", 1)[-1]
            yield from _nested_refs(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, Mapping):
                    yield from _nested_refs({"item": item})


def fields_table(name: str, schemas: Mapping[str, Schema], seen: set[str]) -> str:
    """A table of the model's fields, followed by tables of the models nested in it."""
    schema = schemas.get(name, {})
    seen.add(name)
    required = set(schema.get("required", ()))
    rows = "".join(
        "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>".format(
            escape(field),
            escape(type_label(prop)),
            "yes" if field in required else "no",
            escape(str(prop.get("description", ""))),
            "" if "default" not in prop else f"<code>{escape(json.dumps(prop['default']))}</code>",
        )
        for field, prop in schema.get("properties", {}).items()
    )
    html = (
        f"<table><tr><th>{escape(name)} field</th><th>Type</th><th>Required</th>"
        f"<th>Description</th><th>Default</th></tr>{rows}</table>"
    )
    for nested in dict.fromkeys(_nested_refs(schema)):
        if nested not in seen:
            html += fields_table(nested, schemas, seen)
    return html


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def curl_example(method: str, url: str, operation: Schema) -> str:
    """A copy-pasteable curl command in the seed's own style."""
    first = "curl --location" + ("" if method == "GET" else f" --request {method}")
    lines = [f"{first} {_quote(url)}"]
    if operation.get("security"):
        lines += ["--header 'account: YOUR_ACCOUNT_ID'", "--header 'auth: YOUR_ACCOUNT_AUTH'"]
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body is not None:
        lines.append("--header 'Content-Type: application/json'")
        lines.append("--data " + _quote(json.dumps(body.get("example", {}))))
    return " \\\n  ".join(lines)


def _endpoint(
    method: str, path: str, op: Schema, base_url: str, schemas: Mapping[str, Schema]
) -> str:
    html = [
        f"<h2 id='{escape(op.get('operationId', ''))}'><span class='method'>{method}</span> "
        f"<code>{escape(path)}</code></h2>",
        f"<p><strong>{escape(str(op.get('summary', '')))}</strong></p>",
    ]
    if op.get("description"):
        html.append(f"<p>{escape(str(op['description']))}</p>")
    if not op.get("security"):
        html.append("<p>No credentials needed.</p>")
    body = op.get("requestBody", {}).get("content", {}).get("application/json")
    if body is not None:
        name, _ = _resolve(body["schema"], schemas)
        if name:
            html.append("<h3>Request body</h3>" + fields_table(name, schemas, set()))
    success = op["responses"]["200"]["content"]["application/json"]["schema"]
    inner = success["properties"]["response"]
    refs = [part for part in inner.get("allOf", []) if "SuccessFlag" not in part.get("$ref", "")]
    if refs:
        name, _ = _resolve(refs[0], schemas)
        if name:
            html.append("<h3>Response fields</h3>" + fields_table(name, schemas, set()))
    html.append("<h3>Example</h3><pre>" + escape(curl_example(method, base_url + path, op))
                + "</pre>")
    errors = sorted(status for status in op["responses"] if status != "200")
    html.append(f"<p>Error statuses: {', '.join(errors)}.</p>")
    return "\n".join(html)


def render_docs(document: Mapping[str, Any], base_url: str) -> str:
    """The whole reference page for ``document``, with curl lines aimed at ``base_url``."""
    info = document.get("info", {})
    schemas: Mapping[str, Schema] = document.get("components", {}).get("schemas", {})
    endpoints = [
        (method.upper(), path, op)
        for path, operations in document.get("paths", {}).items()
        for method, op in operations.items()
    ]
    index = "".join(
        f"<li><a href='#{escape(op['operationId'])}'>{method} {escape(path)}</a> "
        f"— {escape(str(op.get('summary', '')))}</li>"
        for method, path, op in endpoints
    )
    sections = "\n".join(
        _endpoint(method, path, op, base_url, schemas) for method, path, op in endpoints
    )
    title = escape(str(info.get("title", "API")))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title><style>{_STYLE}</style></head>
<body><h1>{title} <small>{escape(str(info.get("version", "")))}</small></h1>
<p>Every answer is <code>{{"response": {{..., "success": "true"}}}}</code>; failures carry
<code>"success": "false"</code>, a stable <code>error</code> code, a <code>message</code>,
<code>details</code> and the <code>request_id</code> also sent as the
<code>X-Request-Id</code> header. Send the headers <code>account</code> and <code>auth</code>
on every call. Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a>.
Probes (plain JSON, no credentials): <code>/healthz</code>, <code>/readyz</code>.</p>
<ul>{index}</ul>
{sections}
</body></html>
"""
