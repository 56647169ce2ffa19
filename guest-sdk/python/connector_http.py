"""A small blocking HTTP client for Python connectors, over ``wasi:http``.

Connector operations are synchronous calls, so the client blocks: send a
request, get the whole response::

    import connector_http as http

    response = http.get(f"https://{host}/api/v3/PublicHolidays/2026/DE",
                        headers={"accept": "application/json"})
    response.raise_for_status()          # 404 -> NotFound, 429 -> Throttled, ...
    holidays = response.json()

Failures are ``connector_sdk`` errors, so one that a handler does not catch
reaches the caller as a typed ``connector-error``:

- the host refused the request (the operator did not grant the origin with
  ``--allow-http``, or it resolves to an address the grant does not allow):
  ``RequestDenied``, a ``Forbidden`` error with the code ``outbound-denied``;
- no response (DNS, connect, TLS, timeout, a reset): ``Unreachable``, a
  ``Transient`` error with the code ``unreachable``;
- a URL the client cannot send: ``BadUrl``, ``InvalidInput`` ``bad-url``;
- a body larger than ``max_body``: ``TooLarge``, ``Internal`` ``response-too-large``;
- ``Response.raise_for_status()``: the error kind of the status (see there).

The component must import ``wasi:http``: build it against the world
``connector-http`` of ``guest-sdk/wit-http`` (the contract plus outbound
HTTP) rather than the contract's ``connector``::

    componentize-py -d guest-sdk/wit-http -w connector-http componentize \\
        -p . -p guest-sdk/python app -o app.wasm
"""

import json as _json
from typing import Any, Dict, List, Optional, Tuple

from componentize_py_types import Err, Ok
from wit_world.imports import outgoing_handler as _handler
from wit_world.imports import streams as _streams
from wit_world.imports import wasi_http_types as _http

from connector_sdk import (ConnectorError, Conflict, Forbidden, Internal, InvalidInput,
                           NotFound, Throttled, Transient, Unauthorized)

__all__ = [
    "request", "get", "post", "put", "patch", "delete", "Response", "HttpError",
    "RequestDenied", "Unreachable", "BadUrl", "TooLarge", "DEFAULT_MAX_BODY",
]

#: Largest response body read, so that a huge answer cannot exhaust the guest.
DEFAULT_MAX_BODY = 16 << 20

_CHUNK = 64 << 10


class HttpError(ConnectorError):
    """A request that got no usable response. Each subclass is also the
    ``connector_sdk`` error of the kind a runtime should act on."""


class RequestDenied(HttpError, Forbidden):
    """The host refused the request: its origin is not granted, or it
    resolves to an address the grant does not allow."""

    def __init__(self, message: str):
        super().__init__("outbound-denied", message)


class Unreachable(HttpError, Transient):
    """No response: DNS, connect, TLS, timeout or a broken connection."""

    def __init__(self, message: str):
        super().__init__("unreachable", message)


class BadUrl(HttpError, InvalidInput):
    """A URL (or header) the client cannot send."""

    def __init__(self, message: str):
        super().__init__("bad-url", message)


class TooLarge(HttpError, Internal):
    """The response body was larger than the limit."""

    def __init__(self, limit: int):
        super().__init__("response-too-large", f"the response body is larger than {limit} bytes")


class Response:
    """A whole HTTP response: ``status``, ``headers`` (names in lower case,
    in order) and ``body`` (bytes)."""

    def __init__(self, url: str, status: int, headers: List[Tuple[str, str]], body: bytes):
        self.url = url
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name: str) -> Optional[str]:
        """The first value of a header, or None."""
        name = name.lower()
        return next((value for key, value in self.headers if key == name), None)

    def text(self) -> str:
        """The body as text (UTF-8; invalid bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON; ``Internal`` ``bad-response`` if it is not."""
        try:
            return _json.loads(self.body)
        except ValueError as e:
            raise Internal("bad-response", f"{self.url} answered something that is not JSON: {e}")

    def raise_for_status(self) -> "Response":
        """The response itself for a status below 400; otherwise raises the
        error of the kind a runtime acts on: 400 and 422 ``InvalidInput``
        (``rejected``), 401 ``Unauthorized``, 403 ``Forbidden``, 404
        ``NotFound``, 409 ``Conflict``, 429 ``Throttled`` (with the
        ``retry-after`` seconds), 5xx ``Transient`` (``server-error``), any
        other ``Internal`` (``unexpected-status``). The message is the API's
        ``error`` or ``message`` field when it sends JSON, else the status."""
        if self.status < 400:
            return self
        message = f"{self.url} answered {self.status}"
        try:
            detail = _json.loads(self.body)
            if isinstance(detail, dict):
                text = detail.get("error") or detail.get("message")
                if isinstance(text, str) and text:
                    message = f"{message}: {text[:200]}"
        except ValueError:
            pass
        status = self.status
        if status in (400, 422):
            raise InvalidInput("rejected", message)
        if status == 401:
            raise Unauthorized("unauthorized", message)
        if status == 403:
            raise Forbidden("forbidden", message)
        if status == 404:
            raise NotFound("not-found", message)
        if status == 409:
            raise Conflict("conflict", message)
        if status == 429:
            retry_after = self.header("retry-after")
            seconds = int(retry_after) if retry_after and retry_after.strip().isdigit() else 1
            raise Throttled("throttled", message, retry_after_ms=seconds * 1000)
        if 500 <= status <= 599:
            raise Transient("server-error", message)
        raise Internal("unexpected-status", message)


def get(url: str, **kwargs: Any) -> Response:
    """``GET url``; see ``request`` for the keyword arguments."""
    return request("GET", url, **kwargs)


def post(url: str, **kwargs: Any) -> Response:
    """``POST url``."""
    return request("POST", url, **kwargs)


def put(url: str, **kwargs: Any) -> Response:
    """``PUT url``."""
    return request("PUT", url, **kwargs)


def patch(url: str, **kwargs: Any) -> Response:
    """``PATCH url``."""
    return request("PATCH", url, **kwargs)


def delete(url: str, **kwargs: Any) -> Response:
    """``DELETE url``."""
    return request("DELETE", url, **kwargs)


_NO_JSON = object()

_METHODS = {
    "GET": _http.Method_Get, "HEAD": _http.Method_Head, "POST": _http.Method_Post,
    "PUT": _http.Method_Put, "DELETE": _http.Method_Delete, "PATCH": _http.Method_Patch,
    "OPTIONS": _http.Method_Options,
}

# What the host answers when it refuses a request.
_DENIED = (_http.ErrorCode_HttpRequestDenied, _http.ErrorCode_DestinationIpProhibited)


def request(method: str, url: str, *, headers: Optional[Dict[str, str]] = None,
            body: Optional[bytes] = None, json: Any = _NO_JSON,
            max_body: int = DEFAULT_MAX_BODY) -> Response:
    """Sends a request and reads the whole response.

    ``headers`` is a dict of header names to values; ``body`` raw bytes, or
    ``json`` a value sent as JSON (with its content type). A body is sent
    with its length, not chunked. Raises ``HttpError`` (a typed connector
    error) when there is no response; a response with an error status is
    returned (see ``Response.raise_for_status``).
    """
    scheme, authority, path_and_query = _split_url(url)
    fields: List[Tuple[str, bytes]] = [(k.lower(), str(v).encode()) for k, v in
                                       (headers or {}).items()]
    if json is not _NO_JSON:
        body = _json.dumps(json, separators=(",", ":")).encode()
        if not any(name == "content-type" for name, _ in fields):
            fields.append(("content-type", b"application/json"))
    if body is not None and not any(name == "content-length" for name, _ in fields):
        fields.append(("content-length", str(len(body)).encode()))
    try:
        header_fields = _http.Fields.from_list(fields)
    except Err as e:
        raise BadUrl(f"a header of the request to {url} is not valid: {_name(e.value)}")
    outgoing = _http.OutgoingRequest(header_fields)
    method_variant = _METHODS.get(method.upper())
    for setter, value, what in (
        (outgoing.set_method,
         method_variant() if method_variant else _http.Method_Other(method.upper()), "method"),
        (outgoing.set_scheme, scheme, "scheme"),
        (outgoing.set_authority, authority, "host"),
        (outgoing.set_path_with_query, path_and_query, "path"),
    ):
        try:
            setter(value)
        except Err:
            raise BadUrl(f"{url!r}: the {what} is not valid")
    outgoing_body = outgoing.body()
    try:
        future = _handler.handle(outgoing, None)
    except Err as e:
        outgoing_body.__exit__(None, None, None)
        raise _error(url, e.value)
    try:
        with outgoing_body.write() as stream:
            data = body or b""
            for start in range(0, len(data), 4096):
                stream.blocking_write_and_flush(data[start:start + 4096])
    except Err as e:
        # The host drops the body of a request it refuses (an origin that is
        # not granted), so the write fails first: the response future says why.
        refused = _refusal(future, url)
        if refused is not None:
            raise refused
        raise Unreachable(f"writing the request body to {url}: {_stream_error(e.value)}")
    try:
        _http.OutgoingBody.finish(outgoing_body, None)
    except Err as e:
        raise _error(url, e.value)

    with future:
        while True:
            result = future.get()
            if result is not None:
                break
            with future.subscribe() as pollable:
                pollable.block()
    if isinstance(result, Err) or not isinstance(result, Ok):
        raise Unreachable(f"the response from {url} was already taken")
    if isinstance(result.value, Err):
        raise _error(url, result.value.value)
    incoming = result.value.value

    with incoming:
        status = incoming.status()
        with incoming.headers() as response_headers:
            header_list = [(name.lower(), value.decode("utf-8", errors="replace"))
                           for name, value in response_headers.entries()]
        incoming_body = incoming.consume()
        chunks = []
        size = 0
        with incoming_body.stream() as stream:
            while True:
                try:
                    chunk = stream.blocking_read(_CHUNK)
                except Err as e:
                    if isinstance(e.value, _streams.StreamError_Closed):
                        break
                    raise Unreachable(f"reading the response from {url}: "
                                      f"{_stream_error(e.value)}")
                size += len(chunk)
                if size > max_body:
                    raise TooLarge(max_body)
                chunks.append(chunk)
        _http.IncomingBody.finish(incoming_body).__exit__(None, None, None)
    return Response(url, status, header_list, b"".join(chunks))


def _refusal(future: Any, url: str) -> Optional[HttpError]:
    """The error the response future ended with, once it is ready, if any."""
    while True:
        result = future.get()
        if result is not None:
            break
        with future.subscribe() as pollable:
            pollable.block()
    if isinstance(result, Ok) and isinstance(result.value, Err):
        return _error(url, result.value.value)
    return None


def _split_url(url: str):
    """(scheme, authority, path and query) of an http(s) URL."""
    scheme_text, sep, rest = url.partition("://")
    if not sep:
        raise BadUrl(f"{url!r} has no scheme (expected http:// or https://)")
    scheme_text = scheme_text.lower()
    if scheme_text == "http":
        scheme = _http.Scheme_Http()
    elif scheme_text == "https":
        scheme = _http.Scheme_Https()
    else:
        raise BadUrl(f"{url!r}: the scheme {scheme_text!r} is not http or https")
    rest = rest.split("#", 1)[0]
    cut = min([i for i in (rest.find("/"), rest.find("?")) if i >= 0], default=len(rest))
    authority, path = rest[:cut], rest[cut:]
    if not authority or "@" in authority:
        raise BadUrl(f"{url!r} has no host, or has user information")
    if not path:
        path = "/"
    elif path.startswith("?"):
        path = "/" + path
    return scheme, authority, path


def _name(value: Any) -> str:
    """A variant's name: ``ErrorCode_ConnectionRefused`` -> ``connection-refused``."""
    name = type(value).__name__.split("_", 1)[-1]
    return "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")


def _error(url: str, code: Any) -> HttpError:
    if isinstance(code, _http.ErrorCode_DestinationIpProhibited):
        return RequestDenied(f"the host refused the request to {url}: its host name resolves "
                             f"to a loopback or private address, which the grant does not allow "
                             f"(the operator allows that by ending the grant with ` private`)")
    if isinstance(code, _DENIED):
        return RequestDenied(f"the host refused the request to {url} ({_name(code)}); the "
                             f"operator must grant its origin (--allow-http), and a connection "
                             f"value that fills the grant must be a host[:port]")
    if isinstance(code, (_http.ErrorCode_HttpRequestUriInvalid,
                         _http.ErrorCode_HttpRequestMethodInvalid)):
        return BadUrl(f"{url}: {_name(code)}")
    return Unreachable(f"no response from {url}: {_name(code)}")


def _stream_error(value: Any) -> str:
    if isinstance(value, _streams.StreamError_LastOperationFailed):
        try:
            return value.value.to_debug_string()
        except Exception:  # the error resource may be gone
            return "the stream failed"
    return "the stream closed"
