"""Write connector-host connectors in Python with little boilerplate.

A connector is a ``Connector`` with operations registered by decorators; each
handler takes plain Python values (the input parsed from JSON, with the
schema's top-level defaults filled in) and returns plain Python values (the
output body, serialized to JSON for you). Errors are exceptions: raise
``InvalidInput``, ``NotFound``, ``Conflict`` ... and the caller gets the
contract's ``connector-error`` of that kind::

    from connector_sdk import Connector, InvalidInput

    connector = Connector("hello", "Hello", "0.1.0", description="Greets people.")

    @connector.action(
        "greet",
        summary="Greet someone",
        input_schema={"type": "object", "properties": {"name": {"type": "string"}},
                      "required": ["name"], "additionalProperties": False},
        output_schema={"type": "object", "properties": {"message": {"type": "string"}}},
    )
    def greet(ctx, input):
        if not input["name"].strip():
            raise InvalidInput("empty-name", "the name is empty")
        return {"message": f"Hello, {input['name']}!"}

    # componentize-py looks for the exported interfaces' classes by name.
    Provider, Trigger = connector.exports()

Build with ``componentize-py -d wit -w connector componentize -p . app -o app.wasm``
(with this file on a ``-p`` path). It targets ``connector:provider@0.2.0``.

The additions of contract 0.2.0:

- **call context**: an action's or a poll's ``ctx`` has ``run_id``, ``step``,
  ``attempt``, ``idempotency_key`` and ``remaining_ms`` (empty, 1 and
  ``None`` in calls without one); pass ``ctx.idempotency_key`` to an API that
  deduplicates, so that a retried step does not do its work twice;
- **dynamic values**: ``@connector.dynamic_values("op", "property",
  depends_on=[...])`` registers ``handler(ctx, input) -> [Choice(value,
  title)]`` for one input property (``input`` is what is filled so far,
  partial and not checked); the helper writes the keyword ``x-dynamic-values``
  (``{"depends-on": [...]}``) into that property's schema, which is what tells
  the host to ask;
- **push triggers**: ``@connector.push_trigger(..., path="/hooks/x")``
  registers ``handler(ctx, input, event) -> [Item]`` for events of the
  host's webhook, and with ``subscribe=`` and ``unsubscribe=`` the
  subscription lifecycle (``needs-subscription``): the host calls
  ``subscribe(ctx, input, callback_url)`` when the trigger starts and stores
  what it returns (any JSON value), and ``unsubscribe(ctx, input,
  subscription)`` when the trigger is removed.

What the module does for every connector, so that its author does not:

- checks the top level of each input against the input schema (an object;
  required properties present; property types, enums, ``minimum`` and
  ``maximum``, ``minLength``, ``maxLength`` and ``pattern``; no unknown
  properties when ``additionalProperties`` is false) and answers
  ``invalid-input`` ``bad-input`` when it does not fit. The host validates
  inputs fully before calling, but a connector must not trust that blindly;
- parses a trigger's state, checks it against ``state_schema`` when one is
  given, and answers ``invalid-input`` ``bad-state`` for a state it cannot read;
- turns an unexpected exception into an ``internal`` error (and logs it)
  instead of a trap, and answers unknown operation ids, properties without
  dynamic values, and the push-trigger and subscription functions of
  operations that are not push triggers (or need no subscription), with
  ``invalid-input`` errors.
"""

import copy
import json
import re
import traceback
from typing import Any, Callable, Dict, List, Optional, Tuple

from componentize_py_types import Err
from wit_world import exports as _exports
from wit_world.imports import log as _log
try:
    from wit_world.imports import types as _wit
except ImportError:
    # A world that also imports wasi:http (guest-sdk/wit-http, for
    # connector_http) has two `types` interfaces, so componentize-py names
    # them by package.
    from wit_world.imports import connector_provider_types as _wit

__all__ = [
    "Connector",
    "Context",
    "ConnectorError",
    "InvalidInput",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "Conflict",
    "Throttled",
    "Transient",
    "Internal",
    "Reply",
    "Item",
    "Poll",
    "Choice",
    "Event",
    "parameter",
    "directory",
    "trace",
    "debug",
    "info",
    "warn",
    "error",
]

# --------------------------------------------------------------------------
# Errors

_ERROR_KINDS = {
    "invalid-input": _wit.ErrorKind.INVALID_INPUT,
    "unauthorized": _wit.ErrorKind.UNAUTHORIZED,
    "forbidden": _wit.ErrorKind.FORBIDDEN,
    "not-found": _wit.ErrorKind.NOT_FOUND,
    "conflict": _wit.ErrorKind.CONFLICT,
    "throttled": _wit.ErrorKind.THROTTLED,
    "transient": _wit.ErrorKind.TRANSIENT,
    "internal": _wit.ErrorKind.INTERNAL,
}


class ConnectorError(Exception):
    """A failure the connector reports: the contract's ``connector-error``.

    ``kind`` tells a runtime what to do next (see the subclasses), ``code``
    is short and machine-readable (``file-not-found``), ``message`` is for
    people and must not contain secrets.
    """

    kind = "internal"

    def __init__(self, code: str, message: str, *, kind: Optional[str] = None,
                 retry_after_ms: Optional[int] = None):
        super().__init__(message)
        if kind is not None:
            if kind not in _ERROR_KINDS:
                raise ValueError(f"unknown error kind {kind!r}; one of {', '.join(_ERROR_KINDS)}")
            self.kind = kind
        self.code = code
        self.message = message
        self.retry_after_ms = retry_after_ms

    def _to_wit(self) -> "_wit.ConnectorError":
        return _wit.ConnectorError(_ERROR_KINDS[self.kind], self.code, self.message,
                                   self.retry_after_ms)


class InvalidInput(ConnectorError):
    """The input (or a trigger's state) is wrong; the same input fails again."""
    kind = "invalid-input"


class Unauthorized(ConnectorError):
    """The connection's credentials were refused."""
    kind = "unauthorized"


class Forbidden(ConnectorError):
    """The credentials are valid but not allowed to do this."""
    kind = "forbidden"


class NotFound(ConnectorError):
    """The thing the input names does not exist."""
    kind = "not-found"


class Conflict(ConnectorError):
    """The request conflicts with the current state (e.g. it already exists)."""
    kind = "conflict"


class Throttled(ConnectorError):
    """The service asks to slow down; retry after ``retry_after_ms``."""
    kind = "throttled"

    def __init__(self, code: str, message: str, retry_after_ms: int):
        super().__init__(code, message, retry_after_ms=retry_after_ms)


class Transient(ConnectorError):
    """A passing failure; retrying may succeed."""
    kind = "transient"


class Internal(ConnectorError):
    """A bug or an unexpected state in the connector or the service."""
    kind = "internal"


# --------------------------------------------------------------------------
# Results


class Reply:
    """An action's answer with a status other than 200 (e.g. 201 Created).
    A handler that returns a plain body answers 200."""

    def __init__(self, status: int, body: Any):
        self.status = status
        self.body = body


class Item:
    """One thing a trigger found. ``id`` is stable: the same thing found
    again has the same id, so that the host delivers it once."""

    def __init__(self, id: str, body: Any):
        self.id = id
        self.body = body


_KEEP = object()


class Poll:
    """What one poll found.

    ``state`` is what the next poll gets (leave it out to keep the current
    state); ``poll_again_after_ms`` asks for the next poll sooner or later
    than the recurrence (``0``: at once, more items wait).
    """

    def __init__(self, items: List[Item], state: Any = _KEEP,
                 poll_again_after_ms: Optional[int] = None):
        self.items = items
        self.state = state
        self.poll_again_after_ms = poll_again_after_ms


class Choice:
    """One choice of a dynamic list: the ``value`` the property takes (any
    JSON value) and the ``title`` a person sees."""

    def __init__(self, value: Any, title: str):
        self.value = value
        self.title = title


class Event:
    """One event from a push trigger's source, as the host received it (for a
    webhook: the HTTP request): ``method``, ``path`` (with the query),
    ``headers`` (a dict, names in lower case) and ``body`` (bytes)."""

    def __init__(self, method: str, path: str, headers: List[Tuple[str, str]], body: bytes):
        self.method = method
        self.path = path
        self.headers = {k.lower(): v for k, v in headers}
        self.body = bytes(body)

    def json(self) -> Any:
        """The body as JSON; a body that is not JSON is ``invalid-input``
        ``bad-json``."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise InvalidInput("bad-json", f"the event body is not JSON: {e}")


# --------------------------------------------------------------------------
# Logging


def _write_log(level: "_log.Level", message: str, fields: Dict[str, Any]) -> None:
    _log.log(level, message, [(str(k), str(v)) for k, v in fields.items()])


def trace(message: str, **fields: Any) -> None:
    """Very detailed tracing."""
    _write_log(_log.Level.TRACE, message, fields)


def debug(message: str, **fields: Any) -> None:
    """Details for a connector author."""
    _write_log(_log.Level.DEBUG, message, fields)


def info(message: str, **fields: Any) -> None:
    """Normal progress."""
    _write_log(_log.Level.INFO, message, fields)


def warn(message: str, **fields: Any) -> None:
    """Something unexpected that the connector handled."""
    _write_log(_log.Level.WARN, message, fields)


def error(message: str, **fields: Any) -> None:
    """Something failed."""
    _write_log(_log.Level.ERROR, message, fields)


# --------------------------------------------------------------------------
# The description

_PARAMETER_KINDS = {
    "text": _wit.ParameterKind.TEXT,
    "secret": _wit.ParameterKind.SECRET,
    "integer": _wit.ParameterKind.INTEGER,
    "boolean": _wit.ParameterKind.BOOLEAN,
}

_VISIBILITIES = {
    "important": _wit.Visibility.IMPORTANT,
    "advanced": _wit.Visibility.ADVANCED,
    "internal": _wit.Visibility.INTERNAL,
}

_ITEM_MODES = {"single": _wit.ItemMode.SINGLE, "split": _wit.ItemMode.SPLIT}


def _one_of(what: str, value: str, table: Dict[str, Any]) -> Any:
    if value not in table:
        raise ValueError(f"{what} {value!r} is not one of {', '.join(table)}")
    return table[value]


def parameter(name: str, display_name: str, *, kind: str = "text", description: str = "",
              required: bool = False, default: Optional[str] = None) -> "_wit.ConnectionParameter":
    """A connection parameter; ``kind`` is text, secret, integer or boolean."""
    return _wit.ConnectionParameter(name, display_name, description,
                                    _one_of("parameter kind", kind, _PARAMETER_KINDS),
                                    required, default)


def directory(guest_path: str, description: str, *, writable: bool = False) -> "_wit.DirectoryNeed":
    """A directory the connector opens at ``guest_path``; the operator grants it."""
    return _wit.DirectoryNeed(guest_path, description, writable)


class Context:
    """The call a handler runs in: ``operation`` (its id), ``connection`` (a
    dict of the connection's values, defaults filled in by the host), and for
    actions and polls the call context: ``run_id``, ``step``, ``attempt``,
    ``idempotency_key`` and ``remaining_ms`` (the time the call had left when
    it began). Other calls have none: empty strings, attempt 1,
    ``remaining_ms`` ``None``."""

    def __init__(self, operation: str, connection: List[Tuple[str, str]], call=None):
        self.operation = operation
        self.connection = dict(connection)
        self.run_id = call.run_id if call is not None else ""
        self.step = call.step if call is not None else ""
        self.attempt = max(1, call.attempt) if call is not None else 1
        self.idempotency_key = call.idempotency_key if call is not None else ""
        self.remaining_ms = call.remaining_ms if call is not None else None


class _Operation:
    def __init__(self, op_id, kind, summary, description, visibility, input_schema,
                 output_schema, handler, trigger=None, state_schema=None):
        self.id = op_id
        self.kind = kind
        self.summary = summary
        self.description = description
        self.visibility = _one_of("visibility", visibility, _VISIBILITIES)
        self.input_schema = input_schema
        self.output_schema = output_schema
        self.handler = handler
        self.trigger = trigger
        self.state_schema = state_schema
        # property -> (depends_on, handler)
        self.dynamic: Dict[str, Tuple[List[str], Callable]] = {}
        # For push triggers: the webhook path, and (subscribe, unsubscribe).
        self.path: Optional[str] = None
        self.subscription: Optional[Tuple[Callable, Callable]] = None

    def manifest(self) -> "_wit.Operation":
        schema = self.input_schema
        if self.dynamic and isinstance(schema, dict) and isinstance(schema.get("properties"), dict):
            schema = copy.deepcopy(schema)
            for name, (depends_on, _) in self.dynamic.items():
                prop = schema["properties"].get(name)
                if isinstance(prop, dict):
                    prop[DYNAMIC_VALUES_KEYWORD] = (
                        {"depends-on": list(depends_on)} if depends_on else {})
        return _wit.Operation(self.id, self.summary, self.description, self.visibility,
                              self.kind, json.dumps(schema),
                              json.dumps(self.output_schema), self.trigger)


#: The keyword that marks an input property with dynamic values; its value is
#: ``{"depends-on": ["other-property", ...]}``, or ``{}`` when the list needs
#: no other input.
DYNAMIC_VALUES_KEYWORD = "x-dynamic-values"


class Connector:
    """A connector: its service description and its operations.

    ``Connector(id, display_name, version, description=..., brand_color=...,
    icon_uri=..., parameters=[parameter(...)], outbound_hosts=[...],
    directories=[directory(...)])``; then register operations with the
    ``action``, ``polling_trigger``, ``push_trigger`` and ``dynamic_values``
    decorators, and end the module with
    ``Provider, Trigger = connector.exports()``.
    """

    def __init__(self, id: str, display_name: str, version: str, *, description: str = "",
                 brand_color: str = "#6b7280", icon_uri: str = "",
                 parameters: Tuple = (), outbound_hosts: Tuple = (), directories: Tuple = ()):
        self.service = _wit.ServiceDescription(
            id, display_name, description, version, brand_color, icon_uri, list(parameters),
            _wit.Capabilities(list(outbound_hosts), list(directories)))
        self._operations: Dict[str, _Operation] = {}
        self._check: Optional[Callable[[Context], None]] = None

    def _register(self, op: _Operation) -> None:
        if op.id in self._operations:
            raise ValueError(f"operation {op.id!r} is registered twice")
        self._operations[op.id] = op

    def action(self, id: str, *, summary: str, input_schema: dict, output_schema: dict,
               description: str = "", visibility: str = "important"):
        """Registers an action: ``handler(ctx, input) -> body`` (answered with
        200) or ``Reply(status, body)``."""
        def register(handler):
            self._register(_Operation(id, _wit.OperationKind.ACTION, summary, description,
                                      visibility, input_schema, output_schema, handler))
            return handler
        return register

    def polling_trigger(self, id: str, *, summary: str, input_schema: dict,
                        output_schema: dict, description: str = "",
                        visibility: str = "important", every_seconds: int = 60,
                        item_mode: str = "split", state_schema: Optional[dict] = None):
        """Registers a polling trigger: ``handler(ctx, input, state) -> Poll``,
        where ``state`` is what the last poll returned (``None`` on the first).
        ``output_schema`` is the schema of one item's body."""
        settings = _wit.TriggerSettings(every_seconds,
                                        _one_of("item mode", item_mode, _ITEM_MODES), False)

        def register(handler):
            self._register(_Operation(id, _wit.OperationKind.POLLING_TRIGGER, summary,
                                      description, visibility, input_schema, output_schema,
                                      handler, trigger=settings, state_schema=state_schema))
            return handler
        return register

    def push_trigger(self, id: str, *, summary: str, input_schema: dict,
                     output_schema: dict, description: str = "",
                     visibility: str = "important", item_mode: str = "split",
                     path: Optional[str] = None, subscribe: Optional[Callable] = None,
                     unsubscribe: Optional[Callable] = None):
        """Registers a push trigger fed by the host's webhook at ``path``
        (default ``/hooks/<id>``): ``handler(ctx, input, event) -> [Item]``
        turns one ``Event`` into items. For an event source that must be told
        where to send, give both ``subscribe(ctx, input, callback_url) ->
        subscription`` (any JSON value; the host stores it) and
        ``unsubscribe(ctx, input, subscription)``: the trigger then says
        ``needs-subscription``. An already ended subscription should not be
        an error."""
        if (subscribe is None) != (unsubscribe is None):
            raise ValueError(f"push trigger {id!r}: give both subscribe and unsubscribe, or neither")
        settings = _wit.TriggerSettings(0, _one_of("item mode", item_mode, _ITEM_MODES),
                                        subscribe is not None)

        def register(handler):
            op = _Operation(id, _wit.OperationKind.PUSH_TRIGGER, summary, description,
                            visibility, input_schema, output_schema, handler, trigger=settings)
            op.path = path if path is not None else f"/hooks/{id}"
            if subscribe is not None:
                op.subscription = (subscribe, unsubscribe)
            self._register(op)
            return handler
        return register

    def dynamic_values(self, operation: str, property: str, *, depends_on: Tuple = ()):
        """Registers the choices of the input property ``property`` of
        ``operation`` (registered before): ``handler(ctx, input) ->
        [Choice(value, title)]``, where ``input`` holds the inputs filled so
        far (a dict, possibly partial, not checked against the schema).
        ``depends_on`` names the inputs the list is computed from."""
        op = self._operations.get(operation)
        if op is None:
            raise ValueError(f"dynamic values for {operation!r}: register the operation first")

        def register(handler):
            op.dynamic[property] = (list(depends_on), handler)
            return handler
        return register

    def connection_check(self, handler: Callable[[Context], None]):
        """Registers the "test connection" check: ``handler(ctx)`` raises a
        ``ConnectorError`` to refuse. Without one every connection passes."""
        self._check = handler
        return handler

    # -- dispatch --------------------------------------------------------

    def _find(self, op_id: str, kind, what: str) -> _Operation:
        op = self._operations.get(op_id)
        if op is None or op.kind != kind:
            raise InvalidInput("unknown-operation",
                               f"the {self.service.id} connector has no {what} named `{op_id}`")
        return op

    def _has_triggers(self) -> bool:
        return any(op.kind != _wit.OperationKind.ACTION for op in self._operations.values())

    def _no_push(self, op_id: str) -> ConnectorError:
        if not self._has_triggers():
            return InvalidInput("no-triggers",
                                f"the {self.service.id} connector has no triggers, "
                                f"so none named `{op_id}`")
        return InvalidInput("not-a-push-trigger",
                            f"the {self.service.id} connector has no push trigger "
                            f"named `{op_id}`")

    def _push(self, op_id: str) -> _Operation:
        op = self._operations.get(op_id)
        if op is None or op.kind != _wit.OperationKind.PUSH_TRIGGER:
            raise self._no_push(op_id)
        return op

    def _subscribed(self, op_id: str) -> _Operation:
        op = self._push(op_id)
        if op.subscription is None:
            raise InvalidInput("no-subscription",
                               f"the push trigger `{op_id}` does not need a subscription")
        return op

    def _push_binding(self, op_id: str, connection, input_text: str) -> "_wit.Binding":
        op = self._push(op_id)
        _parse_input(input_text, op.input_schema)
        return _wit.Binding("webhook", json.dumps({"path": op.path}))

    def _handle_event(self, op_id: str, connection, input_text: str, event) -> list:
        op = self._push(op_id)
        value = _parse_input(input_text, op.input_schema)
        result = op.handler(Context(op_id, connection), value,
                            Event(event.method, event.path, event.headers, event.body))
        if not isinstance(result, (list, tuple)):
            raise Internal("bad-event-result", f"the handler of `{op_id}` returned "
                                               f"{type(result).__name__}, not a list of Items")
        return [_wit.TriggerItem(str(item.id), _to_json(item.body, "item")) for item in result]

    def _subscribe(self, op_id: str, connection, input_text: str,
                   callback_url: str) -> "_wit.Subscription":
        op = self._subscribed(op_id)
        value = _parse_input(input_text, op.input_schema)
        subscription = op.subscription[0](Context(op_id, connection), value, callback_url)
        return _wit.Subscription(_to_json(subscription, "subscription"))

    def _unsubscribe(self, op_id: str, connection, input_text: str, subscription) -> None:
        op = self._subscribed(op_id)
        value = _parse_input(input_text, op.input_schema)
        try:
            data = json.loads(subscription.data)
        except ValueError as e:
            raise InvalidInput("bad-subscription",
                               f"the subscription is not one this trigger made: {e}")
        op.subscription[1](Context(op_id, connection), value, data)

    def _dynamic_values(self, op_id: str, prop: str, connection, input_text: str) -> list:
        op = self._operations.get(op_id)
        if op is None:
            raise InvalidInput("unknown-operation",
                               f"the {self.service.id} connector has no operation named `{op_id}`")
        if prop not in op.dynamic:
            raise InvalidInput("no-dynamic-values",
                               f"the input property `{prop}` of `{op_id}` has no dynamic values")
        try:
            value = json.loads(input_text)
        except ValueError as e:
            raise InvalidInput("bad-input", f"the input is not JSON: {e}")
        if not isinstance(value, dict):
            raise InvalidInput("bad-input",
                               f"the input does not fit the schema: expected an object, "
                               f"got {_json_type(value)}")
        choices = op.dynamic[prop][1](Context(op_id, connection), value)
        if not isinstance(choices, (list, tuple)):
            raise Internal("bad-choices", f"the dynamic values of `{prop}` are "
                                          f"{type(choices).__name__}, not a list of Choices")
        return [_wit.DynamicValue(_to_json(c.value, "choice"), str(c.title)) for c in choices]

    def _guard(self, operation: str, call: Callable[[], Any]) -> Any:
        """Runs a handler; errors become the contract's error case."""
        try:
            return call()
        except ConnectorError as e:
            raise Err(e._to_wit())
        except Exception as e:  # a bug: report it rather than trap
            error("unhandled exception", operation=operation,
                  traceback="".join(traceback.format_exception(e))[-2000:])
            raise Err(Internal("unhandled-exception",
                               f"{type(e).__name__}: {e}")._to_wit())

    def _invoke(self, op_id: str, connection, input_text: str, call) -> "_wit.Response":
        op = self._find(op_id, _wit.OperationKind.ACTION, "action")
        value = _parse_input(input_text, op.input_schema)
        result = op.handler(Context(op_id, connection, call), value)
        if isinstance(result, Reply):
            return _wit.Response(result.status, _to_json(result.body, "output"))
        return _wit.Response(200, _to_json(result, "output"))

    def _poll(self, op_id: str, connection, input_text: str,
              state_text: Optional[str], call) -> "_wit.PollResult":
        if not self._has_triggers():
            raise self._no_push(op_id)
        op = self._find(op_id, _wit.OperationKind.POLLING_TRIGGER, "polling trigger")
        value = _parse_input(input_text, op.input_schema)
        state = None
        if state_text is not None:
            try:
                state = json.loads(state_text)
            except ValueError as e:
                raise InvalidInput("bad-state", f"the trigger state is not JSON: {e}")
            if op.state_schema is not None:
                problem = _check(state, op.state_schema, fill_defaults=False)
                if problem:
                    raise InvalidInput("bad-state",
                                       f"the trigger state is not one this trigger returned: "
                                       f"{problem}; reset the trigger's state")
        result = op.handler(Context(op_id, connection, call), value, state)
        if not isinstance(result, Poll):
            raise Internal("bad-poll", f"the handler of `{op_id}` returned "
                                       f"{type(result).__name__}, not a Poll")
        items = [_wit.TriggerItem(str(item.id), _to_json(item.body, "item"))
                 for item in result.items]
        state_out = None if result.state is _KEEP else _to_json(result.state, "state")
        return _wit.PollResult(items, state_out, result.poll_again_after_ms)

    def exports(self):
        """The classes componentize-py exports: ``Provider, Trigger = connector.exports()``."""
        connector = self

        class Provider(_exports.Provider):
            def describe_service(self):
                return connector.service

            def list_operations(self):
                return [op.manifest() for op in connector._operations.values()]

            def check_connection(self, connection):
                if connector._check is not None:
                    check = connector._check
                    connector._guard("check-connection",
                                     lambda: check(Context("check-connection", connection)))

            def invoke(self, operation_id, connection, input, context):
                return connector._guard(
                    operation_id,
                    lambda: connector._invoke(operation_id, connection, input, context))

            def dynamic_values(self, operation_id, property, connection, input):
                return connector._guard(
                    operation_id,
                    lambda: connector._dynamic_values(operation_id, property, connection, input))

        class Trigger(_exports.Trigger):
            def poll(self, trigger_id, connection, input, state, context):
                return connector._guard(
                    trigger_id,
                    lambda: connector._poll(trigger_id, connection, input, state, context))

            def push_binding(self, trigger_id, connection, input):
                return connector._guard(
                    trigger_id, lambda: connector._push_binding(trigger_id, connection, input))

            def handle_event(self, trigger_id, connection, input, event):
                return connector._guard(
                    trigger_id,
                    lambda: connector._handle_event(trigger_id, connection, input, event))

            def subscribe(self, trigger_id, connection, input, callback_url):
                return connector._guard(
                    trigger_id,
                    lambda: connector._subscribe(trigger_id, connection, input, callback_url))

            def unsubscribe(self, trigger_id, connection, input, subscription):
                return connector._guard(
                    trigger_id,
                    lambda: connector._unsubscribe(trigger_id, connection, input, subscription))

        return Provider, Trigger


# --------------------------------------------------------------------------
# JSON in and out


def _to_json(value: Any, what: str) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as e:
        raise Internal("serialize", f"cannot serialize the {what}: {e}")


def _parse_input(text: str, schema: Any) -> Any:
    try:
        value = json.loads(text)
    except ValueError as e:
        raise InvalidInput("bad-input", f"the input is not JSON: {e}")
    problem = _check(value, schema, fill_defaults=True)
    if problem:
        raise InvalidInput("bad-input", f"the input does not fit the schema: {problem}")
    return value


_TYPE_CHECKS = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool))
    or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
}


def _type_ok(value: Any, schema: Any) -> bool:
    types = schema.get("type") if isinstance(schema, dict) else None
    if types is None:
        return True
    if isinstance(types, str):
        types = [types]
    return any(_TYPE_CHECKS.get(t, lambda v: True)(value) for t in types)


def _check(value: Any, schema: Any, *, fill_defaults: bool) -> Optional[str]:
    """Checks the top level of ``value`` against an object ``schema``: the
    type, required and unknown properties, and each property's type, enum,
    bounds and pattern. Fills in the properties' defaults. Returns the first
    problem."""
    if not isinstance(schema, dict):
        return None
    if not _type_ok(value, schema):
        return f"at /: expected {schema.get('type')}, got {_json_type(value)}"
    if not isinstance(value, dict):
        return None
    properties = schema.get("properties") or {}
    for name in schema.get("required") or []:
        if name not in value:
            return f"at /: the property `{name}` is required"
    if schema.get("additionalProperties") is False:
        for name in value:
            if name not in properties:
                return f"at /{name}: unknown property `{name}`"
    for name, subschema in properties.items():
        if not isinstance(subschema, dict):
            continue
        if name not in value:
            if fill_defaults and "default" in subschema:
                value[name] = copy.deepcopy(subschema["default"])
            continue
        item = value[name]
        if not _type_ok(item, subschema):
            return f"at /{name}: expected {subschema.get('type')}, got {_json_type(item)}"
        if "enum" in subschema and item not in subschema["enum"]:
            choices = ", ".join(json.dumps(c) for c in subschema["enum"])
            return f"at /{name}: {json.dumps(item)} is not one of {choices}"
        problem = _bounds(item, subschema)
        if problem:
            return f"at /{name}: {problem}"
    return None


def _bounds(value: Any, schema: dict) -> Optional[str]:
    """A number's ``minimum`` and ``maximum``, a string's ``minLength``,
    ``maxLength`` and ``pattern``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(schema.get("minimum"), (int, float)) and value < schema["minimum"]:
            return f"{json.dumps(value)} is less than the minimum {schema['minimum']}"
        if isinstance(schema.get("maximum"), (int, float)) and value > schema["maximum"]:
            return f"{json.dumps(value)} is greater than the maximum {schema['maximum']}"
    if isinstance(value, str):
        if isinstance(schema.get("minLength"), int) and len(value) < schema["minLength"]:
            return f"{json.dumps(value)} is shorter than {schema['minLength']} characters"
        if isinstance(schema.get("maxLength"), int) and len(value) > schema["maxLength"]:
            return f"{json.dumps(value)[:80]} is longer than {schema['maxLength']} characters"
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            try:
                matches = re.search(pattern, value) is not None
            except re.error:
                matches = True  # a pattern Python cannot read: the host checks it
            if not matches:
                return f"{json.dumps(value)[:80]} does not match the pattern {pattern}"
    return None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
