"""An HTTP trace of every call to Nexus, for diagnosing a run: NEXUS_RAC_TRACE=1 (or `nexusctl -v`).

Level 1 prints one line per call: method, URL, status and time, plus a line per retry (what
urllib3 retried and why). Level 2 (NEXUS_RAC_TRACE=2, `nexusctl -vv`) adds the JSON bodies with
every secret-named field masked. Never printed, at any level: headers (the Authorization header
carries the admin password), credentials in a URL, and text bodies sent to Nexus (a password
change sends the bare password as text/plain).

Where the lines go: the Pulumi engine's log when this process has one (the program), else
stderr. A dynamic provider has no engine connection of its own; the engine reads its stderr and
shows every line as an info message of the stack, in the normal `pulumi up`/`preview` output —
no `pulumi -v=…` needed, and nothing at all when the switch is off (no per-call cost either: the
client then gets a plain `requests.Session`).
"""
from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
from typing import Any, Optional
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

SWITCH = "NEXUS_RAC_TRACE"
PREFIX = "nexus-trace:"
MASK = "[secret]"
MAX_BODY = 2000  # characters of a body shown at level 2
# Field names whose values are secrets in any Nexus body: passwords (users, proxies, LDAP, SMTP,
# HTTP proxy), S3 keys and session tokens, Azure and Google account keys, bearer tokens, webhook
# secrets, private keys.
SECRET_NAME = re.compile(r"pass(word|phrase)|secret|token|credential|private|keypem|authorization|accesskey"
                         r"|accountkey",
                         re.IGNORECASE)
_LOCK = threading.Lock()


def level() -> int:
    """0 off, 1 calls, 2 calls and masked bodies; from NEXUS_RAC_TRACE."""
    value = os.environ.get(SWITCH, "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return 0
    return 2 if value == "2" else 1


def session() -> requests.Session:
    """The client's HTTP session: traced when the switch is on."""
    return TracedSession() if level() else requests.Session()


def emit(line: str) -> None:
    """One trace line, to the engine's log when this process has one, else to stderr."""
    log = sys.modules.get("pulumi.log")  # only a Pulumi process has imported it: no import cost here
    if log is not None and log.get_engine() is not None:
        log.info(f"{PREFIX} {line}")
        return
    with _LOCK:
        print(f"{PREFIX} {line}", file=sys.stderr, flush=True)


def shown_url(url: str) -> str:
    """The URL without credentials (http://user:password@host)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def masked(value: Any) -> Any:
    """A JSON document with the value of every secret-named field replaced."""
    if isinstance(value, dict):
        return {k: MASK if SECRET_NAME.search(str(k)) and v not in (None, "") else masked(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value


def body_text(body: Any, sent: bool) -> Optional[str]:
    """A body as the trace shows it: masked JSON, cut at MAX_BODY; a text body sent to Nexus is
    never shown (it may be a bare password)."""
    if body in (None, b"", ""):
        return None
    if isinstance(body, (dict, list)):
        raw = json.dumps(body)
    else:
        raw = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    try:
        text = json.dumps(masked(json.loads(raw)), ensure_ascii=False)
    except ValueError:
        if sent:
            return f"({len(raw)} characters of text, not shown)"
        text = raw.strip()
    return text if len(text) <= MAX_BODY else text[:MAX_BODY] + f"… ({len(text)} characters)"


class TracedRetry(Retry):
    """urllib3's Retry, saying what it retries."""

    def increment(self, method: Optional[str] = None, url: Optional[str] = None, response: Any = None,
                  error: Optional[Exception] = None, _pool: Any = None, _stacktrace: Any = None) -> Retry:
        following = super().increment(method, url, response, error, _pool, _stacktrace)  # raises when used up
        cause = f"status {response.status}" if response is not None and error is None else \
            (type(error).__name__ if error is not None else "unknown")
        target = f"{_pool.scheme}://{_pool.host}:{_pool.port}{url}" if _pool is not None and url else (url or "")
        emit(f"{method} {shown_url(target)}: retry {len(following.history)} after {cause}")
        return following


def traced_retry(retry: Retry) -> Retry:
    """The same retry policy, traced."""
    if isinstance(retry, TracedRetry):
        return retry
    traced = TracedRetry.__new__(TracedRetry)
    traced.__dict__.update(retry.__dict__)
    return traced


class TracedSession(requests.Session):
    """A session that traces each request: one line when it ends, answered or not."""

    def mount(self, prefix: str, adapter: Any) -> None:
        if isinstance(adapter, HTTPAdapter):
            adapter.max_retries = traced_retry(adapter.max_retries)
        super().mount(prefix, adapter)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        detail = level() >= 2
        where = f"{method} {shown_url(url)}"
        if detail and (sent := body_text(kwargs.get("data") or kwargs.get("json"), sent=True)):
            emit(f"{where} request body: {sent}")
        started = time.monotonic()
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.RequestException as exc:
            emit(f"{where} → no answer after {_ms(started)}: {_cause(exc)}")
            raise
        emit(f"{where} → {response.status_code} in {_ms(started)}")
        if detail and (answer := body_text(response.content, sent=False)):
            emit(f"{where} response body: {answer}")
        return response


def _cause(exc: Exception) -> str:
    """The innermost reason of a failed request (requests wraps urllib3's MaxRetryError)."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return type(reason or exc).__name__


def _ms(started: float) -> str:
    return f"{(time.monotonic() - started) * 1000:.0f} ms"
