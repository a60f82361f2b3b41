"""The sandbox's WSGI application: request log, fault injection, SES routing, moto for the rest."""

from __future__ import annotations

import io
import json
import random
import threading
import time
from urllib.parse import parse_qs

from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from . import endpoints, route53_rules, ses_v1_api, sesv2_api
from .ses_core import LOCK, Sandbox, SesError
from .wire import parse_timestamp as parse_time
from .wire import (fault_response, identify, is_mutating, parse_rest_json, raw_path, rate_limit_response,
                   rest_json_error, rest_json_response, router, signing_region, xml_error)

REDACT = ("DomainSigningPrivateKey", "SecretAccessKey", "SessionToken")


def _redact(value):
    if isinstance(value, dict):
        return {k: ("***" if k in REDACT else _redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class Faults:
    def __init__(self):
        self.rules: list[dict] = []
        self.rng = random.Random(0)
        self.injected: dict[str, int] = {}

    def set(self, rules, seed=0):
        for rule in rules:
            if rule.get("kind") not in ("throttle", "error", "latency", "not_found"):
                raise ValueError("fault kind must be throttle, error, latency or not_found: %r" % rule)
        self.rules = [dict(r, _used=0) for r in rules]
        self.rng = random.Random(seed)

    def pick(self, service, operation, region=None):
        """Return (latency_seconds, error_kind or None). A rule with ``region`` matches requests signed for that
        region only (a multi-region endpoint's send is matched against the region it would go to)."""
        latency, error = 0.0, None
        for rule in self.rules:
            if rule.get("service") not in (None, "*", service):
                continue
            if rule.get("region") not in (None, "*", region):
                continue
            if rule.get("operation") not in (None, "*", operation):
                continue
            if rule.get("count") is not None and rule["_used"] >= rule["count"]:
                continue
            if self.rng.random() >= float(rule.get("rate", 1.0)):
                continue
            rule["_used"] += 1
            if rule["kind"] == "latency":
                latency += float(rule.get("latency_ms", 100)) / 1000.0
            elif error is None:
                error = rule["kind"]
            key = "%s:%s" % (rule["kind"], operation)
            self.injected[key] = self.injected.get(key, 0) + 1
        return latency, error


class RateLimits:
    """Token buckets per (service, operation), as AWS throttles the SES control plane.

    A rule ``{"service"?: "sesv2", "operation": "GetEmailIdentity" | "*", "rate": R, "burst"?: B}`` gives every
    matching operation its own bucket of B tokens (default max(1, R)) refilled at R per second. A request that
    finds less than one token is refused without being applied and takes no token, as SES answers a throttled call.
    """

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.lock = threading.Lock()
        self.rules: list[dict] = []
        self.buckets: dict[tuple, list] = {}
        self.allowed: dict[str, int] = {}
        self.throttled: dict[str, int] = {}

    def set(self, rules):
        clean = []
        for rule in rules:
            unknown = set(rule) - {"service", "operation", "rate", "burst"}
            if unknown:
                raise ValueError("unknown rate-limit key(s) %s" % ", ".join(sorted(unknown)))
            rate = float(rule.get("rate", 0))
            if rate <= 0:
                raise ValueError("rate must be a number of requests per second above 0: %r" % rule)
            burst = float(rule.get("burst") or max(1.0, rate))
            if burst < 1:
                raise ValueError("burst must be at least 1: %r" % rule)
            clean.append({"service": rule.get("service", "sesv2"), "operation": rule.get("operation", "*"),
                          "rate": rate, "burst": burst})
        with self.lock:
            self.rules = clean
            self.buckets.clear()
            self.allowed.clear()
            self.throttled.clear()

    def _rule(self, service, operation):
        exact = [r for r in self.rules if r["service"] in ("*", service) and r["operation"] == operation]
        wild = [r for r in self.rules if r["service"] in ("*", service) and r["operation"] == "*"]
        return (exact or wild or [None])[0]

    def take(self, service, operation) -> bool:
        """True when the request may proceed (a token was taken), False when it is throttled."""
        if not self.rules or not operation:
            return True
        with self.lock:
            rule = self._rule(service, operation)
            if rule is None:
                return True
            now = self.clock()
            key = (service, operation)
            bucket = self.buckets.get(key)
            if bucket is None:
                bucket = self.buckets[key] = [rule["burst"], now]
            tokens = min(rule["burst"], bucket[0] + (now - bucket[1]) * rule["rate"])
            bucket[1] = now
            if tokens >= 1.0:
                bucket[0] = tokens - 1.0
                self.allowed[operation] = self.allowed.get(operation, 0) + 1
                return True
            bucket[0] = tokens
            self.throttled[operation] = self.throttled.get(operation, 0) + 1
            return False

    def state(self):
        with self.lock:
            return {"rules": list(self.rules), "allowed": dict(self.allowed), "throttled": dict(self.throttled)}


class SandboxApp:
    def __init__(self, config=None, request_log_path=None):
        route53_rules.install()
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.sandbox = Sandbox(config)
        self.faults = Faults()
        self.rate_limits = RateLimits()
        self.log: list[dict] = []
        self.log_lock = threading.Lock()
        self.dynamodb_lock = threading.Lock()
        self.seq = 0
        self.builtins = []  # callables that put the sandbox's built-in state back (after start and every reset)
        self.log_file = open(request_log_path, "a", encoding="utf-8") if request_log_path else None
        router("sesv2")  # build the route table before the first request

    # ------------------------------------------------------------------ WSGI
    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_sandbox/"):
            return self.control(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        service, operation, params, protocol = identify(environ, body)
        region = signing_region(environ)
        latency, fault = self.faults.pick(service, operation, region)
        if latency:
            time.sleep(latency)
        if fault is None and service in ("sesv2", "ses") and not self.rate_limits.take(service, operation):
            fault = "rate_limit"
        status = headers = out = None
        sesv2 = service == "sesv2" and operation in sesv2_api.HANDLERS
        if sesv2:
            try:
                params = self._sesv2_params(environ, body)
            except (ValueError, TypeError) as exc:
                status, headers, out = rest_json_error("BadRequestException", "Malformed request: %s" % exc, 400)
        if region is None and status is None and fault is None:
            region, status, headers, out = self._global(service, operation, params, protocol)
        region = region or "us-east-1"
        if fault == "rate_limit":
            status, headers, out = rate_limit_response(protocol or "query")
        elif fault:
            # a faulted request is refused before it is applied, as AWS does with throttling
            status, headers, out = fault_response(protocol or "query", fault)
        elif status is None and sesv2:
            status, headers, out = self._sesv2(params, operation, region)
        elif service == "ses" and protocol == "query" and operation in ses_v1_api.HANDLERS:
            status, headers, out = self._ses_v1(params, operation, region)
        self._record(service, operation, params, fault, latency, status, region)
        if status is None:
            if service == "dynamodb":
                # DynamoDB applies a conditional write atomically; moto's backend does not lock, so two
                # threads could both pass a condition. One request at a time restores DynamoDB's guarantee.
                with self.dynamodb_lock:
                    return list(self.moto(environ, start_response))
            return self.moto(environ, start_response)
        start_response("%d %s" % (status, _REASON.get(status, "OK")), headers + [("Content-Length", str(len(out)))])
        return [out]

    @staticmethod
    def _sesv2_params(environ, body):
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        op, uri = router("sesv2").match(environ["REQUEST_METHOD"], raw_path(environ), query)
        return parse_rest_json(op, uri, query, _Headers(environ), body)

    def _sesv2(self, params, operation, region):
        try:
            with LOCK:
                payload = sesv2_api.handle(self.sandbox.region(DEFAULT_ACCOUNT_ID, region), operation, params)
        except SesError as exc:
            return rest_json_error(exc.code, exc.message, exc.status)
        return rest_json_response(payload)

    def _ses_v1(self, form, action, region):
        try:
            with LOCK:
                out = ses_v1_api.handle(self.sandbox.region(DEFAULT_ACCOUNT_ID, region), action, form)
        except SesError as exc:
            code = {"NotFoundException": "InvalidParameterValue",
                    "BadRequestException": "InvalidParameterValue"}.get(exc.code, exc.code)
            return xml_error(code, exc.message, 400)
        except KeyError as exc:
            return xml_error("MissingParameter", "Missing parameter %s" % exc, 400)
        return 200, [("Content-Type", "text/xml")], out

    def _global(self, service, operation, params, protocol):
        """A SigV4a request (it names no region): SendEmail through a multi-region endpoint goes to the region the
        endpoint routes it to - the primary, or the secondary while the primary's SendEmail is faulted. Returns
        (region, status, headers, out) - status None when the request goes on to that region."""
        if service != "sesv2" or operation != "SendEmail" or not params.get("EndpointId"):
            return (None,) + rest_json_error("BadRequestException", "A request signed with SigV4a must be a "
                                             "SendEmail with EndpointId (a multi-region endpoint).", 400)
        try:
            with LOCK:
                target = endpoints.route(self.sandbox, DEFAULT_ACCOUNT_ID, params["EndpointId"],
                                         lambda r: self.faults.pick("sesv2", "SendEmail", r)[1] is not None)
        except SesError as exc:
            return (None,) + rest_json_error(exc.code, exc.message, exc.status)
        if target is None:
            return (None,) + fault_response(protocol or "rest-json", "error")
        return target, None, None, None

    def _record(self, service, operation, params, fault, latency, status, region=None):
        with self.log_lock:
            self.seq += 1
            entry = {"seq": self.seq, "time": time.time(), "service": service, "operation": operation,
                     "mutating": is_mutating(operation), "params": _redact(params or {}),
                     "fault": fault, "latency": latency, "status": status, "region": region}
            self.log.append(entry)
            if self.log_file:
                self.log_file.write(json.dumps(entry, default=str) + "\n")
                self.log_file.flush()

    # ------------------------------------------------------------------ control API
    def control(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        path = environ["PATH_INFO"][len("/_sandbox/"):].strip("/")
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            data = json.loads(raw) if raw else {}
            result = self._control(method, path, query, data)
            status = 200
        except (SesError, ValueError, KeyError, TypeError) as exc:
            result, status = {"error": str(exc)}, 400
        out = json.dumps(result, default=str).encode()
        start_response("%d %s" % (status, _REASON.get(status, "OK")),
                       [("Content-Type", "application/json"), ("Content-Length", str(len(out)))])
        return [out]

    def _control(self, method, path, query, data):
        sb = self.sandbox
        region = data.get("region") or query.get("region") or "us-east-1"
        if path == "health":
            return {"ok": True}
        if path == "requests":
            if method == "DELETE":
                with self.log_lock:
                    self.log.clear()
                return {"ok": True}
            since = int(query.get("since", 0))
            with self.log_lock:
                return {"requests": [e for e in self.log if e["seq"] > since], "last": self.seq}
        if path == "faults":
            if method == "DELETE":
                self.faults.set([])
                return {"ok": True, "injected": self.faults.injected}
            if method == "GET":
                return {"rules": self.faults.rules, "injected": self.faults.injected}
            self.faults.set(data.get("rules", []), data.get("seed", 0))
            return {"ok": True}
        if path == "rate-limits":
            if method == "DELETE":
                self.rate_limits.set([])
            elif method == "POST":
                self.rate_limits.set(data.get("rules", []))
            return self.rate_limits.state()
        if path == "config":
            if method == "POST":
                with LOCK:
                    sb.configure(data)
            return sb.config
        if path == "recipients":
            with LOCK:
                if method == "DELETE":
                    sb.recipient_rules.clear()
                else:
                    sb.set_recipients(data.get("rules", []))
            return {"rules": [[p, b] for p, b in sb.recipient_rules]}
        if path == "suppressions":
            with LOCK:
                reg = sb.region(DEFAULT_ACCOUNT_ID, region)
                for e in data.get("entries", []):
                    when = parse_time(e["last_update_time"]) if e.get("last_update_time") else None
                    reg.put_suppressed({"EmailAddress": e["email"], "Reason": e.get("reason", "BOUNCE")}, when=when,
                                       message_id=e.get("message_id"), feedback_id=e.get("feedback_id"))
                return {"count": len(reg.suppressed)}
        if path == "verify-email":
            with LOCK:
                ident = sb.region(DEFAULT_ACCOUNT_ID, region).get(data["identity"])
                ident.verified_email = True
            return {"ok": True}
        if path == "identity-state":
            # lets a test age an identity (e.g. to see DKIM FAILED) without waiting 72 hours
            with LOCK:
                ident = sb.region(DEFAULT_ACCOUNT_ID, region).get(data["identity"])
                for key in ("dkim_status", "mail_from_status"):
                    if key in data:
                        setattr(ident, key, data[key])
                if "verification_error" in data:
                    # what DNS cannot produce (SERVICE_ERROR, the REPLICATION_* errors); null clears it
                    ident.forced_verification_error = data["verification_error"]
                    ident.dkim_checked = 0.0
                if "age_seconds" in data:
                    import datetime as _dt
                    delta = _dt.timedelta(seconds=float(data["age_seconds"]))
                    ident.dkim_pending_since -= delta
                    if ident.mail_from_pending_since:
                        ident.mail_from_pending_since -= delta
                    if ident.last_key_length_change:
                        ident.last_key_length_change -= delta
                    ident.dkim_checked = 0.0
            return {"ok": True}
        if path == "account":
            with LOCK:
                reg = sb.region(DEFAULT_ACCOUNT_ID, region)
                if "enforcement_status" in data:
                    reg.enforcement_status = data["enforcement_status"]
                if "sending_enabled" in data:
                    reg.sending_enabled = bool(data["sending_enabled"])
                if "production_access" in data:
                    reg.set_production_access(data["production_access"])
                return dict(reg.counts, enforcement_status=reg.enforcement_status,
                            sending_enabled=reg.sending_enabled, production_access=reg.production_access)
        if path == "inbound":
            # a message arriving at SES receiving (a receiver mailing a DMARC report to the rua address)
            import base64
            from . import inbound
            raw = base64.b64decode(data["raw_base64"]) if "raw_base64" in data else data["raw"].encode("utf-8")
            with LOCK:
                return inbound.deliver(DEFAULT_ACCOUNT_ID, region, raw, data.get("recipients"))
        if path == "dkim-keys":
            # the public DKIM keys of the world's domains (reporters) that receiving verifies signatures with
            from . import inbound
            with LOCK:
                for entry in data.get("keys", []):
                    inbound.DKIM_KEYS[(entry["selector"].lower(), entry["domain"].lower())] = entry["public_key"]
                return {"keys": len(inbound.DKIM_KEYS)}
        if path == "reset":
            from moto.moto_api._internal.models import moto_api_backend
            from . import inbound
            inbound.DKIM_KEYS.clear()
            with LOCK:
                sb.reset()
                moto_api_backend.reset()
                for rebuild in self.builtins:
                    rebuild()
            self.faults.set([])
            # a reset account starts with no fault history: a test must not read an earlier test's counters
            self.faults.injected = {}
            self.rate_limits.set([])
            with self.log_lock:
                self.log.clear()
            return {"ok": True}
        raise ValueError("unknown sandbox control path /_sandbox/%s" % path)


class _Headers:
    def __init__(self, environ):
        self.environ = environ

    def get(self, name):
        return self.environ.get("HTTP_" + name.upper().replace("-", "_"))


_REASON = {200: "OK", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error",
           501: "Not Implemented", 503: "Service Unavailable"}
