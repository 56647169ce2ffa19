"""`calendar`: date and time arithmetic for workflows, and a recurrence trigger.

A connector written in Python with the helper modules ``connector_sdk`` and
``connector_http`` (guest-sdk/python) and built into a component with
componentize-py. Most actions compute, and the trigger reads the clock that
every WASI component has; two actions call a public-holidays API over
``wasi:http`` (a Nager.Date-compatible API, ``https://date.nager.at`` unless
the connection names another), which the operator must grant
(``--allow-http https://date.nager.at``). So it is built against the world
``connector-http`` of guest-sdk/wit-http, which adds outbound HTTP to the
contract.

- ``add-duration``: a date-time plus (or minus) days, hours, minutes, seconds;
- ``difference``: the time between two date-times in a unit;
- ``business-days``: the weekdays between two dates, less holidays;
- ``format-date``: a date-time written in one of several formats;
- ``public-holidays`` (HTTP): a country's public holidays in a year;
- ``business-days-in-country`` (HTTP): as ``business-days``, with the
  country's nationwide public holidays fetched from the API;
- ``recurrence`` (polling trigger): fires once per slot of a schedule
  (every N minutes, hours or days from an anchor), catching up on the slots
  that passed since the last poll; its state is the last slot delivered.

Date-times are ISO 8601 with a UTC offset (``2026-03-01T09:30:00+01:00`` or
``...Z``): a date-time without one is ambiguous, so it is refused.
"""

import datetime as dt
import email.utils

import connector_http as http
from connector_sdk import Connector, Internal, InvalidInput, Item, NotFound, Poll, parameter

UTC = dt.timezone.utc

ICON = ("data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdC"
        "b3g9IjAgMCAyNCAyNCI+PHJlY3QgeD0iMyIgeT0iNSIgd2lkdGg9IjE4IiBoZWlnaHQ9IjE2IiByeD0iMiIgZmls"
        "bD0ibm9uZSIgc3Ryb2tlPSIjMmE5ZDhmIiBzdHJva2Utd2lkdGg9IjIiLz48cGF0aCBkPSJNMyAxMGgxOE04IDN2"
        "NE0xNiAzdjQiIHN0cm9rZT0iIzJhOWQ4ZiIgc3Ryb2tlLXdpZHRoPSIyIi8+PC9zdmc+")

connector = Connector(
    "calendar",
    "Calendar",
    "0.1.0",
    description="Adds durations to dates, measures the time between them, counts business "
                "days and formats dates; triggers on a recurring schedule.",
    brand_color="#2a9d8f",
    icon_uri=ICON,
    parameters=[
        parameter("holidays_host", "Holidays API host", default="date.nager.at",
                  description="Host (and optional port) of a Nager.Date-compatible public "
                              "holidays API, used by public-holidays and "
                              "business-days-in-country."),
        parameter("holidays_use_tls", "Holidays API over HTTPS", kind="boolean", default="true",
                  description="false to call the holidays API over plain HTTP (a local mirror)."),
    ],
    outbound_hosts=["https://{holidays_host}", "http://{holidays_host}"],
)

DATETIME = {
    "type": "string",
    "minLength": 1,
    "description": "An ISO 8601 date-time with a UTC offset, e.g. 2026-03-01T09:30:00+01:00.",
}
DATE = {
    "type": "string",
    "pattern": r"^\d{4}-\d{2}-\d{2}$",
    "description": "A date, YYYY-MM-DD.",
}
UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400, "weeks": 604800}
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def closed(properties, required=(), description="The operation's input."):
    """An object schema that allows exactly ``properties``."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "description": description,
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


def parse_datetime(text, field):
    """An aware datetime from ISO 8601 text, or ``invalid-input`` ``bad-datetime``."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput("bad-datetime", f"`{field}` is not an ISO 8601 date-time: {text!r}")
    if value.tzinfo is None:
        raise InvalidInput("bad-datetime",
                           f"`{field}` has no UTC offset ({text!r}); add one, e.g. Z or +01:00")
    return value


def parse_date(text, field):
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("bad-date", f"`{field}` is not a date YYYY-MM-DD: {text!r}")


def iso(value):
    """ISO 8601 text, with ``Z`` for UTC."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


@connector.action(
    "add-duration",
    summary="Add a duration to a date-time",
    description="Adds days, hours, minutes and seconds (each may be negative) to a date-time, "
                "keeping its UTC offset. Days are 24 hours.",
    input_schema=closed({
        "datetime": DATETIME,
        "days": {"type": "integer", "default": 0, "description": "Days to add."},
        "hours": {"type": "integer", "default": 0, "description": "Hours to add."},
        "minutes": {"type": "integer", "default": 0, "description": "Minutes to add."},
        "seconds": {"type": "integer", "default": 0, "description": "Seconds to add."},
    }, ["datetime"]),
    output_schema=closed({
        "datetime": {"type": "string", "description": "The result, ISO 8601."},
        "weekday": {"type": "string", "enum": WEEKDAYS, "description": "Its day of the week."},
    }, ["datetime", "weekday"], "The operation's output."),
)
def add_duration(ctx, input):
    start = parse_datetime(input["datetime"], "datetime")
    delta = dt.timedelta(days=input["days"], hours=input["hours"], minutes=input["minutes"],
                         seconds=input["seconds"])
    try:
        result = start + delta
    except OverflowError:
        raise InvalidInput("out-of-range", "the result is outside the years 1-9999")
    return {"datetime": iso(result), "weekday": WEEKDAYS[result.weekday()]}


@connector.action(
    "difference",
    summary="Time between two date-times",
    description="How much time passes from `start` to `end`, in a unit; negative when `end` "
                "is earlier. Fractions are kept.",
    input_schema=closed({
        "start": DATETIME,
        "end": DATETIME,
        "unit": {"type": "string", "enum": list(UNITS), "default": "seconds",
                 "description": "The unit of the result."},
    }, ["start", "end"]),
    output_schema=closed({
        "value": {"type": "number", "description": "The time between, in `unit`."},
        "unit": {"type": "string", "enum": list(UNITS)},
    }, ["value", "unit"], "The operation's output."),
)
def difference(ctx, input):
    start = parse_datetime(input["start"], "start")
    end = parse_datetime(input["end"], "end")
    seconds = (end - start).total_seconds()
    value = seconds / UNITS[input["unit"]]
    return {"value": int(value) if value.is_integer() else value, "unit": input["unit"]}


@connector.action(
    "business-days",
    summary="Count business days",
    description="Counts the days from `start` (included) to `end` (excluded) that are neither "
                "Saturday, Sunday nor one of `holidays`.",
    input_schema=closed({
        "start": DATE,
        "end": DATE,
        "holidays": {"type": "array", "items": DATE, "default": [],
                     "description": "Dates that are not business days."},
    }, ["start", "end"]),
    output_schema=closed({
        "business_days": {"type": "integer", "minimum": 0},
        "weekend_days": {"type": "integer", "minimum": 0},
        "holidays": {"type": "integer", "minimum": 0,
                     "description": "Holidays that fell on weekdays in the range."},
    }, ["business_days", "weekend_days", "holidays"], "The operation's output."),
)
def business_days(ctx, input):
    start, end = parse_range(input, max_years=100)
    holidays = {parse_date(text, "holidays") for text in input["holidays"]}
    return count_days(start, end, holidays)


def parse_range(input, max_years):
    """The dates ``start`` and ``end`` of an input, ``end`` not before ``start``."""
    start = parse_date(input["start"], "start")
    end = parse_date(input["end"], "end")
    if end < start:
        raise InvalidInput("bad-range", f"`end` ({end}) is before `start` ({start})")
    if (end - start).days > 366 * max_years:
        raise InvalidInput("bad-range", f"the range is longer than {max_years} years")
    return start, end


def count_days(start, end, holidays):
    """Business, weekend and holiday days from ``start`` (included) to ``end``."""
    counts = {"business_days": 0, "weekend_days": 0, "holidays": 0}
    day = start
    while day < end:
        if day.weekday() >= 5:
            counts["weekend_days"] += 1
        elif day in holidays:
            counts["holidays"] += 1
        else:
            counts["business_days"] += 1
        day += dt.timedelta(days=1)
    return counts


# --------------------------------------------------------------------------
# Public holidays, from an HTTP API

COUNTRY = {
    "type": "string",
    "pattern": "^[A-Za-z]{2}$",
    "description": "An ISO 3166-1 alpha-2 country code, e.g. DE or FR.",
}
HOLIDAY = {
    "type": "object",
    "properties": {
        "date": DATE,
        "name": {"type": "string", "description": "The holiday's name in English."},
        "local_name": {"type": "string", "description": "Its name in the country's language."},
        "nationwide": {"type": "boolean",
                       "description": "Whether the whole country has it (not only some regions)."},
    },
    "required": ["date", "name", "local_name", "nationwide"],
    "additionalProperties": False,
}


def fetch_holidays(ctx, country, year):
    """The public holidays of ``country`` in ``year``, from the holidays API:
    ``GET /api/v3/PublicHolidays/{year}/{country}``. A country the API does
    not know is ``not-found`` ``unknown-country``; other failures are the
    errors of connector_http (``forbidden`` ``outbound-denied`` when the
    operator did not grant the API, ``transient`` ``unreachable``, ...)."""
    scheme = "http" if ctx.connection.get("holidays_use_tls") == "false" else "https"
    host = ctx.connection.get("holidays_host") or "date.nager.at"
    url = f"{scheme}://{host}/api/v3/PublicHolidays/{year}/{country.upper()}"
    response = http.get(url, headers={"accept": "application/json"})
    try:
        response.raise_for_status()
    except NotFound:
        raise NotFound("unknown-country",
                       f"the holidays API has no public holidays for {country.upper()!r}")
    entries = response.json()
    if not isinstance(entries, list):
        raise Internal("bad-response", f"{url} answered something other than a list")
    holidays = []
    for entry in entries:
        try:
            holidays.append({
                "date": parse_date(entry["date"], "date").isoformat(),
                "name": str(entry["name"]),
                "local_name": str(entry.get("localName") or entry["name"]),
                "nationwide": bool(entry.get("global", True)),
            })
        except (KeyError, TypeError, InvalidInput) as e:
            raise Internal("bad-response", f"{url} answered a holiday that is not "
                                                f"{{date, name, ...}}: {e}")
    return holidays


@connector.action(
    "public-holidays",
    summary="Public holidays of a country",
    description="Lists a country's public holidays in a year, from the public holidays API "
                "(Nager.Date). The operator must grant the API's origin.",
    input_schema=closed({
        "country": COUNTRY,
        "year": {"type": "integer", "minimum": 1900, "maximum": 2199},
        "nationwide_only": {"type": "boolean", "default": False,
                            "description": "Leave out holidays of some regions only."},
    }, ["country", "year"]),
    output_schema=closed({
        "country": {"type": "string"},
        "year": {"type": "integer"},
        "holidays": {"type": "array", "items": HOLIDAY},
    }, ["country", "year", "holidays"], "The operation's output."),
)
def public_holidays(ctx, input):
    holidays = fetch_holidays(ctx, input["country"], input["year"])
    if input["nationwide_only"]:
        holidays = [h for h in holidays if h["nationwide"]]
    return {"country": input["country"].upper(), "year": input["year"], "holidays": holidays}


@connector.action(
    "business-days-in-country",
    summary="Count business days in a country",
    description="Counts the days from `start` (included) to `end` (excluded) that are neither "
                "Saturday, Sunday nor a nationwide public holiday of `country`, fetched from "
                "the public holidays API (one request per year of the range, at most 10).",
    input_schema=closed({
        "start": DATE,
        "end": DATE,
        "country": COUNTRY,
    }, ["start", "end", "country"]),
    output_schema=closed({
        "business_days": {"type": "integer", "minimum": 0},
        "weekend_days": {"type": "integer", "minimum": 0},
        "holidays": {"type": "integer", "minimum": 0,
                     "description": "Holidays that fell on weekdays in the range."},
        "holiday_names": {"type": "array", "items": {"type": "string"},
                          "description": "Those holidays, `YYYY-MM-DD name`."},
    }, ["business_days", "weekend_days", "holidays", "holiday_names"],
        "The operation's output."),
)
def business_days_in_country(ctx, input):
    start, end = parse_range(input, max_years=10)
    names = {}
    for year in range(start.year, end.year + 1):
        for holiday in fetch_holidays(ctx, input["country"], year):
            if holiday["nationwide"]:
                names[dt.date.fromisoformat(holiday["date"])] = holiday["name"]
    counts = count_days(start, end, set(names))
    counts["holiday_names"] = [f"{day.isoformat()} {name}" for day, name in sorted(names.items())
                               if start <= day < end and day.weekday() < 5]
    return counts


FORMATS = ["iso", "date", "time", "rfc2822", "unix", "weekday"]


@connector.action(
    "format-date",
    summary="Format a date-time",
    description="Writes a date-time as ISO 8601, its date, its time, RFC 2822 (e-mail "
                "headers), Unix seconds or its weekday, optionally at another UTC offset.",
    input_schema=closed({
        "datetime": DATETIME,
        "format": {"type": "string", "enum": FORMATS, "description": "How to write it."},
        "utc_offset_minutes": {"type": "integer", "minimum": -1439, "maximum": 1439,
                               "description": "Convert to this UTC offset first."},
    }, ["datetime", "format"]),
    output_schema=closed({
        "text": {"type": "string", "description": "The formatted date-time."},
    }, ["text"], "The operation's output."),
    visibility="advanced",
)
def format_date(ctx, input):
    value = parse_datetime(input["datetime"], "datetime")
    if "utc_offset_minutes" in input:
        value = value.astimezone(dt.timezone(dt.timedelta(minutes=input["utc_offset_minutes"])))
    fmt = input["format"]
    if fmt == "iso":
        text = iso(value)
    elif fmt == "date":
        text = value.date().isoformat()
    elif fmt == "time":
        text = value.timetz().isoformat()
    elif fmt == "rfc2822":
        text = email.utils.format_datetime(value)
    elif fmt == "unix":
        text = str(int(value.timestamp()))
    else:
        text = WEEKDAYS[value.weekday()]
    return {"text": text}


# --------------------------------------------------------------------------
# The recurrence trigger

RECURRENCE_STATE = {
    "type": "object",
    "properties": {"last": {"type": "string"}},
    "required": ["last"],
    "additionalProperties": False,
}


@connector.polling_trigger(
    "recurrence",
    summary="On a schedule",
    description="Fires once per slot of a schedule: every `every` `unit`s from `anchor`. The "
                "first poll fires for the latest slot that has begun; later polls fire for "
                "each slot begun since the last one delivered, oldest first, at most "
                "`max_items` at a time (the rest at once in the next poll).",
    input_schema=closed({
        "every": {"type": "integer", "minimum": 1, "maximum": 100000,
                  "description": "How many units between slots."},
        "unit": {"type": "string", "enum": ["minutes", "hours", "days"], "default": "hours"},
        "anchor": dict(DATETIME, default="2000-01-01T00:00:00Z",
                       description="A slot begins here; the others every `every` units "
                                   "before and after."),
        "max_items": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100,
                      "description": "At most this many slots per poll."},
    }, ["every"]),
    output_schema=closed({
        "slot": {"type": "string", "description": "When the slot began, ISO 8601 (UTC)."},
        "index": {"type": "integer", "description": "Slots since the anchor."},
    }, ["slot", "index"], "One slot of the schedule."),
    every_seconds=60,
    item_mode="split",
    state_schema=RECURRENCE_STATE,
)
def recurrence(ctx, input, state):
    anchor = parse_datetime(input["anchor"], "anchor").astimezone(UTC)
    step = dt.timedelta(seconds=input["every"] * UNITS[input["unit"]])
    now = dt.datetime.now(UTC)
    latest = (now - anchor) // step  # the index of the latest slot that has begun
    if state is None:
        first = latest
    else:
        try:
            last = parse_datetime(state["last"], "last").astimezone(UTC)
        except InvalidInput as e:
            raise InvalidInput("bad-state", f"the trigger state's `last` is not a date-time: "
                                            f"{e.message}; reset the trigger's state")
        # The first slot after the last one delivered; a schedule changed
        # since then simply continues from there.
        first = (last - anchor) // step + 1
    count = max(0, min(latest - first + 1, input["max_items"]))
    items = []
    for index in range(first, first + count):
        slot = iso(anchor + index * step)
        items.append(Item(slot, {"slot": slot, "index": index}))
    if not items:
        next_slot = anchor + (latest + 1) * step
        wait_ms = max(0, int((next_slot - now).total_seconds() * 1000))
        return Poll([], poll_again_after_ms=wait_ms)
    more = first + count <= latest
    return Poll(items, state={"last": items[-1].body["slot"]},
                poll_again_after_ms=0 if more else None)


Provider, Trigger = connector.exports()
