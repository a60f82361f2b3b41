"""Wire formats: which operation a request is, parsing REST-JSON input, and protocol-correct errors.

Routing uses botocore's own service models, so a path the SDK produces is a path the sandbox knows.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import uuid
from pathlib import Path
from urllib.parse import parse_qs, unquote

import botocore.session

_SESSION = botocore.session.get_session()
_ROUTERS: dict = {}
_SIGNING = {}  # signing name -> service name (for the services the sandbox tells apart)

READ_PREFIXES = ("Get", "List", "Describe", "Test", "Receive")


def is_mutating(operation: str | None) -> bool:
    return bool(operation) and not operation.startswith(READ_PREFIXES)


def _models(service: str):
    """botocore's model, then the one the AWS CLI bundles (it may be older: paths differ)."""
    yield _SESSION.get_service_model(service)
    try:
        import awscli
        from botocore.model import ServiceModel
    except ImportError:
        return
    base = Path(awscli.__file__).parent / "botocore" / "data" / service
    for path in sorted(base.glob("*/service-2.json*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as f:
            yield ServiceModel(json.load(f), service_name=service)


class RestRouter:
    """Match (method, raw path) of a REST service to an operation of its botocore model(s)."""

    def __init__(self, service: str):
        self.routes = []
        seen = set()
        for model in _models(service):
            self._add(model, seen)
        # the most specific (longest literal) route wins, as in the SDK's own test routers
        self.routes.sort(key=lambda r: -r[0])

    def _add(self, model, seen):
        for name in model.operation_names:
            op = model.operation_model(name)
            if (op.http["method"], op.http["requestUri"]) in seen:
                continue
            seen.add((op.http["method"], op.http["requestUri"]))
            uri = op.http["requestUri"]
            path, _, query = uri.partition("?")
            pattern = "^"
            for part in re.split(r"(\{[^}]+\})", path):
                if part.startswith("{"):
                    label = part[1:-1]
                    if label.endswith("+"):
                        pattern += "(?P<%s>.+)" % label[:-1]
                    else:
                        pattern += "(?P<%s>[^/]+)" % label
                else:
                    pattern += re.escape(part)
            pattern += "/?$"
            literal = len(re.sub(r"\{[^}]+\}", "", path))
            required_query = [q.split("=")[0] for q in query.split("&") if q and "=" not in q]
            self.routes.append((literal, op.http["method"], re.compile(pattern), required_query, op))

    def match(self, method: str, raw_path: str, query: dict):
        for _, m, rx, req_q, op in self.routes:
            if m != method:
                continue
            found = rx.match(raw_path)
            if found and all(q in query for q in req_q):
                return op, {k: unquote(v) for k, v in found.groupdict().items()}
        return None, None


def router(service: str) -> RestRouter:
    if service not in _ROUTERS:
        _ROUTERS[service] = RestRouter(service)
    return _ROUTERS[service]


def _convert(shape, value):
    t = shape.type_name
    if t == "integer" or t == "long":
        return int(value)
    if t == "boolean":
        return value in ("true", "True", True)
    if t == "timestamp":
        return parse_timestamp(value)
    return value


def parse_timestamp(value):
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value, dt.timezone.utc)
    if isinstance(value, str):
        try:
            return dt.datetime.fromtimestamp(float(value), dt.timezone.utc)
        except ValueError:
            pass
        v = value.replace("Z", "+00:00")
        parsed = dt.datetime.fromisoformat(v)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.timezone.utc)
        return parsed
    return value


def _convert_body(shape, value):
    """Convert timestamps found in a JSON body according to the input shape."""
    if shape is None or value is None:
        return value
    t = shape.type_name
    if t == "structure" and isinstance(value, dict):
        return {k: _convert_body(shape.members.get(k), v) for k, v in value.items()}
    if t == "list" and isinstance(value, list):
        return [_convert_body(shape.member, v) for v in value]
    if t == "map" and isinstance(value, dict):
        return {k: _convert_body(shape.value, v) for k, v in value.items()}
    if t == "timestamp":
        return parse_timestamp(value)
    return value


def parse_rest_json(op, uri_params: dict, query: dict, headers, body: bytes) -> dict:
    params: dict = {}
    shape = op.input_shape
    if shape is None:
        return params
    data = json.loads(body) if body else {}
    for name, member in shape.members.items():
        loc = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if loc == "uri":
            if wire in uri_params:
                params[name] = uri_params[wire]
        elif loc == "querystring":
            if wire in query:
                values = query[wire]
                if member.type_name == "list":
                    params[name] = [_convert(member.member, v) for v in values]
                else:
                    params[name] = _convert(member, values[0])
        elif loc == "header":
            if headers.get(wire) is not None:
                params[name] = _convert(member, headers.get(wire))
        elif name in data:
            params[name] = _convert_body(member, data[name])
    return params


def _json_default(value):
    if isinstance(value, dt.datetime):
        return value.timestamp()
    raise TypeError(type(value).__name__)


def rest_json_response(payload: dict, status: int = 200):
    body = json.dumps(payload, default=_json_default).encode()
    return status, [("Content-Type", "application/json"), ("x-amzn-RequestId", str(uuid.uuid4()))], body


def rest_json_error(code: str, message: str, status: int):
    body = json.dumps({"message": message}).encode()
    return status, [("Content-Type", "application/json"), ("x-amzn-ErrorType", code),
                    ("x-amzn-RequestId", str(uuid.uuid4()))], body


def xml_error(code: str, message: str, status: int, sender: bool = True):
    body = ("<ErrorResponse><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error>"
            "<RequestId>%s</RequestId></ErrorResponse>" % ("Sender" if sender else "Receiver", code,
                                                           xml_escape(message), uuid.uuid4())).encode()
    return status, [("Content-Type", "text/xml")], body


def json_error(code: str, message: str, status: int):
    body = json.dumps({"__type": code, "message": message}).encode()
    return status, [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-query-error", "%s;Sender" % code)], body


def xml_escape(text) -> str:
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def signing_service(environ) -> str | None:
    """The service of the credential scope: ``<key>/<date>/<region>/<service>/aws4_request`` (SigV4) or
    ``<key>/<date>/<service>/aws4_request`` (SigV4a, which signs for a set of regions, not one)."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    found = re.search(r"Credential=[^/]+/\d{8}/(?:[^/]+/)?([^/]+)/aws4_request", auth)
    return found.group(1) if found else None


def signing_region(environ) -> str | None:
    """The region the request was signed for; None for SigV4a (``AWS4-ECDSA-P256-SHA256``): such a request names
    no region (``X-Amz-Region-Set: *``) and goes where its multi-region endpoint routes it."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if auth.startswith("AWS4-ECDSA-P256-SHA256"):
        return None
    found = re.search(r"Credential=[^/]+/[^/]+/([^/]+)/", auth)
    return found.group(1) if found else "us-east-1"


def identify(environ, body: bytes):
    """Return (service, operation, params, protocol) for the request log; best effort, never raises."""
    try:
        return _identify(environ, body)
    except Exception:  # noqa: BLE001 - the log must not break a request
        return signing_service(environ), None, {}, None


REST_SERVICES = {"route53": "route53", "s3": "s3"}


def raw_path(environ) -> str:
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
    return raw.split("?", 1)[0]


def _identify(environ, body: bytes):
    signing = signing_service(environ)
    path = raw_path(environ)
    method = environ.get("REQUEST_METHOD", "GET")
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    target = environ.get("HTTP_X_AMZ_TARGET")
    ctype = environ.get("CONTENT_TYPE", "")
    if signing == "ses" and path.startswith("/v2/"):
        op, uri = router("sesv2").match(method, path, query)
        return "sesv2", op.name if op else None, uri or {}, "rest-json"
    if target:
        service = signing or target.split("_")[0].lower()
        params = json.loads(body) if body else {}
        return service, target.rsplit(".", 1)[-1], params, "json"
    found = re.match(r"^/service/[^/]+/operation/([^/]+)$", path)
    if found:
        return signing, found.group(1), {}, "cbor"
    if signing in REST_SERVICES:
        op, uri = router(REST_SERVICES[signing]).match(method, path, query)
        return signing, op.name if op else None, uri or {}, "rest-xml"
    form = {}
    if body and "x-www-form-urlencoded" in ctype:
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
    form.update({k: v[0] for k, v in query.items()})
    return signing, form.get("Action"), form, "query"


def rate_limit_response(protocol: str):
    """What SES answers when a token bucket is empty: SES v2 sends HTTP 429 with the error type in the
    ``x-amzn-ErrorType`` header and ``{"message": "Too Many Requests"}``; SES v1 (query) a 400 ``Throttling``."""
    if protocol == "rest-json":
        return rest_json_error("TooManyRequestsException", "Too Many Requests", 429)
    return xml_error("Throttling", "Rate exceeded", 400)


def fault_response(protocol: str, kind: str):
    """A throttling or server error in the shape the protocol's clients parse.

    ``not_found`` imitates eventual consistency: a resource that was just created is not visible yet.
    """
    if kind == "not_found":
        if protocol == "rest-json":
            return rest_json_error("NotFoundException", "Resource does not exist yet (sandbox fault)", 404)
        if protocol == "json":
            return json_error("ResourceNotFoundException", "Resource does not exist yet (sandbox fault)", 400)
        return xml_error("InvalidParameterValue", "Resource does not exist yet (sandbox fault)", 400)
    if kind == "throttle":
        if protocol == "rest-json":
            return rest_json_error("TooManyRequestsException", "Too many requests (sandbox fault)", 429)
        if protocol == "json":
            return json_error("ThrottlingException", "Rate exceeded (sandbox fault)", 400)
        if protocol in ("query", "rest-xml"):
            return xml_error("Throttling", "Rate exceeded (sandbox fault)", 400)
        return 503, [("Content-Type", "text/plain")], b"Slow down (sandbox fault)"
    if protocol == "rest-json":
        return rest_json_error("InternalFailure", "Internal failure (sandbox fault)", 500)
    if protocol == "json":
        return json_error("InternalFailure", "Internal failure (sandbox fault)", 500)
    if protocol in ("query", "rest-xml"):
        return xml_error("InternalFailure", "Internal failure (sandbox fault)", 500, sender=False)
    return 500, [("Content-Type", "text/plain")], b"Internal failure (sandbox fault)"
