//! The conformance kit (`connector-host test`): every example connector, in
//! all three languages, passes its spec; and the kit fails, on the right
//! checks, for connectors that misbehave, describe themselves wrongly, or
//! do not do what their spec says.

use std::path::PathBuf;

use connector_host::conformance::{self, Outcome, Report, Spec};
use connector_host::{ConnectorOptions, Limits};

use crate::support::*;

/// The spec of an example, e.g. `guest-examples/rust/data`.
fn example_spec(dir: &str) -> PathBuf {
    repo().join(dir).join("connector-test.toml")
}

/// Runs `connector-host test` on an example with its spec, and checks that
/// every check passed, the exit code says so and the JUnit XML agrees.
fn passes(guest_name: &str, dir: &str) {
    let junit = scratch("junit").join("report.xml");
    let run = cli(&[
        "test",
        s(&guest(guest_name)),
        "--spec",
        s(&example_spec(dir)),
        "--junit",
        s(&junit),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("PASSED:"), "{run:?}");
    assert!(
        run.stdout.lines().all(|l| !l.starts_with("FAIL")),
        "{run:?}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(xml.contains("failures=\"0\""), "{xml}");
    assert!(xml.contains("<testcase "), "{xml}");
}

#[test]
fn the_rust_data_example_passes() {
    passes("example_data", "guest-examples/rust/data");
}

#[test]
fn the_rust_files_example_passes() {
    passes("example_files", "guest-examples/rust/files");
}

#[test]
fn the_python_calendar_example_passes() {
    passes("example_calendar", "guest-examples/python/calendar");
}

#[test]
fn the_js_text_example_passes() {
    passes("example_text", "guest-examples/js/text");
}

/// The `source` test connector, with its push trigger `webhook`: the spec
/// beside it gives example events (one item, two, none, a refused GET) and
/// malformed ones (not JSON, no id, a number).
#[test]
fn the_source_test_connector_passes_with_its_push_trigger() {
    passes("test_source", "tests/guests/source");
}

/// Runs the kit through the library with a spec written to a scratch file.
fn run_kit(guest_name: &str, spec_text: Option<&str>, limits: Limits) -> Report {
    let spec_path = spec_text.map(|text| {
        let path = scratch("spec").join("connector-test.toml");
        std::fs::write(&path, text).unwrap();
        path
    });
    let spec = spec_path.as_deref().map(|p| Spec::read(p).expect("spec"));
    conformance::run(
        &runtime(),
        &guest(guest_name),
        spec_path.as_deref().zip(spec.as_ref()),
        ConnectorOptions {
            limits,
            ..ConnectorOptions::default()
        },
    )
    .expect("the run is set up")
}

/// The check called `name`, which must exist.
fn check<'a>(report: &'a Report, name: &str) -> &'a conformance::Check {
    report
        .check(name)
        .unwrap_or_else(|| panic!("no check {name:?}; the report:\n{}", report.to_text()))
}

fn assert_outcome(report: &Report, name: &str, outcome: Outcome, says: &str) {
    let c = check(report, name);
    assert_eq!(
        c.outcome,
        outcome,
        "{name}: {}\n{}",
        c.detail,
        report.to_text()
    );
    assert!(
        c.detail.contains(says),
        "{name} should say {says:?}: {}",
        c.detail
    );
}

#[test]
fn a_malformed_connector_fails_describe_and_schemas() {
    let report = run_kit("test_malformed", None, Limits::default());
    assert!(!report.is_pass());
    assert_outcome(&report, "contract", Outcome::Pass, "connector:provider");
    assert_outcome(&report, "describe", Outcome::Fail, "service.version");
    assert_outcome(
        &report,
        "describe",
        Outcome::Fail,
        "id is used by more than one operation",
    );
    assert_outcome(&report, "schemas", Outcome::Fail, "bad-input-schema");
    assert_outcome(&report, "schemas", Outcome::Fail, "bad-output-schema");
    assert_outcome(&report, "calls", Outcome::Skip, "description has problems");

    let run = cli(&["test", s(&guest("test_malformed"))]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("FAIL  describe"), "{run:?}");
}

const HOSTILE_SPEC: &str = r#"
[[actions.ok.examples]]
input = {}
output = { ok = true }

[[actions.spin.examples]]
input = {}

[[actions.panic.examples]]
input = {}

[[actions.invalid-json.examples]]
input = {}

[[actions.wrong-shape.examples]]
input = {}

[[actions.echo.examples]]
input = { word = "hi" }
output = { word = "hi" }

[actions.grow-memory]
skip = "covered by the hostile tests"
[actions.recurse]
skip = "covered by the hostile tests"
[actions.huge-output]
skip = "covered by the hostile tests"
[actions.log-flood]
skip = "covered by the hostile tests"

[triggers.ticks]
bad-states = [{ n = "seven" }]
"#;

#[test]
fn a_hostile_connector_fails_the_checks_it_breaks() {
    let report = run_kit(
        "test_hostile",
        Some(HOSTILE_SPEC),
        Limits {
            fuel: Some(50_000_000),
            ..Limits::default()
        },
    );
    assert!(!report.is_pass());
    // What works passes...
    assert_outcome(&report, "describe", Outcome::Pass, "service hostile");
    assert_outcome(
        &report,
        "action ok: example 1",
        Outcome::Pass,
        "equal to the expected output",
    );
    assert_outcome(
        &report,
        "trigger ticks: first poll",
        Outcome::Pass,
        "1 item",
    );
    assert_outcome(
        &report,
        "trigger ticks: next poll",
        Outcome::Pass,
        "round-trips",
    );
    assert_outcome(
        &report,
        "trigger ticks: bad state 1",
        Outcome::Pass,
        "bad-state",
    );
    assert_outcome(&report, "action log-flood", Outcome::Skip, "covered by");
    // ...and each misbehaviour fails its own check.
    assert_outcome(
        &report,
        "action spin: example 1",
        Outcome::Fail,
        "fuel limit",
    );
    assert_outcome(
        &report,
        "action panic: example 1",
        Outcome::Fail,
        "guest panic",
    );
    assert_outcome(
        &report,
        "action invalid-json: example 1",
        Outcome::Fail,
        "not JSON",
    );
    assert_outcome(
        &report,
        "action wrong-shape: example 1",
        Outcome::Fail,
        "/count",
    );
    assert_outcome(&report, "limits", Outcome::Fail, "action spin: example 1");
    // The hostile guest echoes any input, even one that breaks its schema:
    // the host refuses it, but the connector called directly does not.
    assert_outcome(
        &report,
        "action echo: refuses an array instead of an object",
        Outcome::Fail,
        "the connector accepts it",
    );
    assert_outcome(
        &report,
        "action spin: invalid inputs",
        Outcome::Skip,
        "an example failed",
    );
}

#[test]
fn a_healthy_connector_fails_a_spec_it_does_not_meet() {
    let report = run_kit(
        "example_data",
        Some(
            r#"
[[actions.hash.examples]]
input = { text = "hello", algorithm = "sha256" }
output = { digest = "not the digest", algorithm = "sha256" }

[[actions.base64.examples]]
input = { text = "aGk=", direction = "decode" }
error = "invalid-input"

[actions.json-select]
invalid = [{ document = 1, pointer = "/a" }]

[[actions.json-select.examples]]
input = { document = 1, pointer = "" }

[actions.csv-to-json]
skip = "not under test here"

[actions.render-template]
skip = "not under test here"

[actions.no-such-action]
skip = "names nothing"
"#,
        ),
        Limits::default(),
    );
    assert!(!report.is_pass());
    assert_outcome(
        &report,
        "action hash: example 1",
        Outcome::Fail,
        "differs from the expected output at /digest",
    );
    assert_outcome(
        &report,
        "action base64: example 1",
        Outcome::Fail,
        "expected an error of kind invalid-input",
    );
    assert_outcome(
        &report,
        "action json-select: spec's invalid input 1",
        Outcome::Fail,
        "the input schema accepts",
    );
    assert_outcome(
        &report,
        "spec",
        Outcome::Fail,
        "no operation \"no-such-action\"",
    );
    assert_outcome(&report, "limits", Outcome::Pass, "no call hit a limit");
}

#[test]
fn a_connection_the_connector_accepts_is_not_a_bad_one() {
    let dir = scratch("conformance-conn");
    let report = run_kit(
        "example_files",
        Some(&format!(
            r#"
[grants]
dirs = ["{}::/data"]

[connection]
bad = [{{ root = "/data" }}, {{ colour = "blue" }}]

[actions.list-files]
skip = "not under test here"
[actions.read-file]
skip = "not under test here"
[actions.write-file]
skip = "not under test here"
[actions.delete-file]
skip = "not under test here"
"#,
            dir.display()
        )),
        Limits::default(),
    );
    assert_outcome(&report, "connection.good", Outcome::Pass, "accepts");
    assert_outcome(&report, "connection.bad 1", Outcome::Fail, "accepts it");
    assert_outcome(
        &report,
        "connection.bad 2",
        Outcome::Fail,
        "the host refuses it before calling",
    );
}

#[test]
fn without_a_spec_every_action_lacks_examples() {
    let run = cli(&["test", s(&guest("example_data"))]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("spec: none"), "{run:?}");
    assert!(
        run.stdout.contains("FAIL  action hash: examples")
            && run.stdout.contains("no example input in the spec"),
        "{run:?}"
    );
}

#[test]
fn a_broken_spec_is_a_usage_error_naming_the_file() {
    let dir = scratch("conformance-bad-spec");
    let spec = dir.join("connector-test.toml");
    for (text, says) in [
        ("[actions.hash]\nexamplez = []\n", "unknown field"),
        (
            "[[actions.hash.examples]]\ninput = {}\nerror = \"nope\"\n",
            "is not an error kind",
        ),
        ("not toml at all [", "is not valid"),
    ] {
        std::fs::write(&spec, text).unwrap();
        let run = cli(&["test", s(&guest("example_data")), "--spec", s(&spec)]);
        assert_eq!(run.code, 2, "{text}: {run:?}");
        assert!(run.stderr.contains("connector-test.toml"), "{run:?}");
        assert!(
            run.stderr.contains(says),
            "{text} should say {says:?}: {run:?}"
        );
    }
    let run = cli(&[
        "test",
        s(&guest("example_data")),
        "--spec",
        "/no/such/spec.toml",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("cannot read the spec"), "{run:?}");
}

#[test]
fn a_file_that_is_not_a_component_fails_the_load_check() {
    let path = write_scratch_file("conformance-not-wasm", "x.wasm", b"hello");
    let run = cli(&["test", s(&path)]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("FAIL  load"), "{run:?}");
    assert!(run.stdout.contains("text file"), "{run:?}");
}

/// The `tasks` example, a REST connector, against the task-tracker API
/// served on 127.0.0.1: its spec grants the origin and names the
/// connection (the server's address is only known once it runs, so the
/// spec is written here). It passes the kit as a whole: connections,
/// examples, trigger states, limits, and the direct-input checks (called
/// without the host's schema check, it answers `[]`, a missing or mistyped
/// property and an unknown property with invalid-input, since its inputs are
/// serde structs with `deny_unknown_fields` read by connector-sdk).
#[test]
fn the_rust_tasks_example_passes() {
    let api = crate::taskapi::TaskApi::start("conformance-token");
    let spec = format!(
        r#"
[grants]
http = ["http://{{host}} private"]

[connection]
good = {{ host = "{host}", use_tls = "false", token = "conformance-token" }}
bad = [{{ host = "{host}", use_tls = "false", token = "wrong-token" }}]

[[actions.list-tasks.examples]]
input = {{}}
output = {{ tasks = [] }}

[[actions.get-task.examples]]
name = "a task that does not exist"
input = {{ id = 999 }}
error = "not-found"

[[actions.create-task.examples]]
input = {{ title = "Write docs" }}
status = 201

[[actions.update-task.examples]]
input = {{ id = 1, status = "done" }}

[triggers.task-created]
bad-states = ["garbage", {{ after_id = "one" }}]

# The push trigger, fed by the API's webhook calls (as taskapi.rs sends them).
[[triggers.task-changed.events]]
name = "a task was created"
json = {{ id = "evt-1", change = "created", task = {{ id = 1, title = "Write docs", status = "open" }} }}
ids = ["evt-1"]

[[triggers.task-changed.bad-events]]
body = "not json"
code = "bad-json"

[[triggers.task-changed.bad-events]]
json = {{ id = "evt-2", change = "deleted", task = {{ id = 1 }} }}
code = "bad-event"
"#,
        host = api.host()
    );
    let report = run_kit("example_tasks", Some(&spec), Limits::default());
    assert!(report.is_pass(), "{}", report.to_text());
    for name in [
        "connection.good",
        "connection.bad 1",
        "action list-tasks: example 1",
        "action get-task: example 1 (a task that does not exist)",
        "action create-task: example 1",
        "action update-task: example 1",
        "trigger task-created: first poll",
        "trigger task-created: next poll",
        "trigger task-created: bad state 1",
        "trigger task-created: bad state 2",
        "trigger task-changed: push binding",
        "trigger task-changed: event 1 (a task was created)",
        "trigger task-changed: bad event 1",
        "trigger task-changed: bad event 2",
        "limits",
    ] {
        assert_outcome(&report, name, Outcome::Pass, "");
    }
    // 0.2.0: the subscription round trip against the kit's own listener
    // (the API was told the kit's callback URL, then forgot it again), and
    // the dynamic values of every property that names them.
    assert_outcome(
        &report,
        "trigger task-changed: subscription",
        Outcome::Pass,
        "a second unsubscribe is not an error",
    );
    assert!(api.subscribers().is_empty(), "{:?}", api.subscribers());
    let dynamic: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| c.name.starts_with("dynamic-values "))
        .map(|c| c.name.as_str())
        .collect();
    assert!(!dynamic.is_empty(), "{}", report.to_text());
    for name in dynamic {
        assert_outcome(&report, name, Outcome::Pass, "choice(s)");
    }
    // The checks it failed before the port: input that breaks the schema,
    // given to the connector directly.
    for (name, says) in [
        (
            "action list-tasks: refuses an array instead of an object",
            "answers invalid-input (bad-input)",
        ),
        (
            "action create-task: refuses an unknown property",
            "answers invalid-input (bad-input)",
        ),
        (
            "action get-task: refuses `id` of the wrong type",
            "answers invalid-input (bad-input)",
        ),
        (
            "action update-task: refuses input without the required `id`",
            "answers invalid-input (bad-input)",
        ),
        (
            "trigger task-created: refuses an unknown property",
            "answers invalid-input (bad-input)",
        ),
    ] {
        assert_outcome(&report, name, Outcome::Pass, says);
    }
    assert!(
        report.checks.iter().all(|c| c.outcome != Outcome::Fail),
        "{}",
        report.to_text()
    );
}

/// The HTTP operations of the Python and JavaScript examples, run by the kit
/// against the test server on 127.0.0.1 (their own specs, beside them, grant
/// nothing and check the refusals; a spec with a server's address is written
/// here, as for `tasks`). The other operations are covered by those specs.
#[test]
fn the_polyglot_http_operations_pass_against_a_granted_server() {
    let api = crate::taskapi::TaskApi::start("unused");
    let calendar_spec = format!(
        r#"
[grants]
http = ["http://{{holidays_host}} private"]

[connection]
good = {{ holidays_host = "{host}", holidays_use_tls = "false" }}

[[actions.public-holidays.examples]]
input = {{ country = "DE", year = 2026, nationwide_only = true }}

[[actions.public-holidays.examples]]
name = "a country the API does not know"
input = {{ country = "XX", year = 2026 }}
error = "not-found"
code = "unknown-country"

[[actions.business-days-in-country.examples]]
input = {{ start = "2026-04-27", end = "2026-05-04", country = "DE" }}
output = {{ business_days = 4, weekend_days = 2, holidays = 1, holiday_names = ["2026-05-01 Labour Day"] }}

[actions.add-duration]
skip = "covered by the example's own spec"
[actions.difference]
skip = "covered by the example's own spec"
[actions.business-days]
skip = "covered by the example's own spec"
[actions.format-date]
skip = "covered by the example's own spec"
[triggers.recurrence]
skip = "covered by the example's own spec"
"#,
        host = api.host()
    );
    let report = run_kit("example_calendar", Some(&calendar_spec), Limits::default());
    assert!(report.is_pass(), "{}", report.to_text());
    assert_outcome(
        &report,
        "action business-days-in-country: example 1",
        Outcome::Pass,
        "equal to the expected output",
    );
    assert_outcome(
        &report,
        "action public-holidays: refuses an unknown property",
        Outcome::Pass,
        "invalid-input (bad-input)",
    );

    let text_spec = format!(
        r#"
[grants]
http = ["http://{{site}} private"]

[connection]
good = {{ site = "{host}", site_use_tls = "false" }}

[[actions.fetch-text.examples]]
input = {{ url = "/texts/page.html" }}
output = {{ url = "{origin}/texts/page.html", content_type = "text/html", characters = 38, truncated = false, text = "Fox & dog\nThe quick fox.\nA lazy dog \u263A." }}

[[actions.fetch-text.examples]]
name = "a page that is not there"
input = {{ url = "/texts/gone.html" }}
error = "not-found"
code = "page-not-found"

[[actions.analyze-url.examples]]
input = {{ url = "/texts/fox.txt", top = 1 }}
output = {{ url = "{origin}/texts/fox.txt", content_type = "text/plain", words = 15, characters = 78, lines = 3, sentences = 3, reading_minutes = 1, top_words = [{{ word = "dog", count = 2 }}] }}

[actions.slugify]
skip = "covered by the example's own spec"
[actions.word-count]
skip = "covered by the example's own spec"
[actions.change-case]
skip = "covered by the example's own spec"
[actions.extract]
skip = "covered by the example's own spec"
[triggers.reminder-due]
skip = "covered by the example's own spec"
"#,
        host = api.host(),
        origin = api.origin()
    );
    let report = run_kit("example_text", Some(&text_spec), Limits::default());
    assert!(report.is_pass(), "{}", report.to_text());
    assert_outcome(
        &report,
        "action analyze-url: example 1",
        Outcome::Pass,
        "equal to the expected output",
    );
    let seen = api.seen.lock().unwrap().clone();
    assert!(seen.contains(&"GET /texts/fox.txt".to_string()), "{seen:?}");
}

#[test]
fn push_triggers_that_misbehave_fail_the_right_checks() {
    // The source connector's `pigeon` asks for a binding no host supports,
    // and a spec that expects what its `webhook` does not do.
    let report = run_kit(
        "test_source",
        Some(
            r#"
[triggers.sequence]
skip = "not under test here"
[triggers.sequence-batch]
skip = "not under test here"

[triggers.webhook]
input = { name = "orders" }

[[triggers.webhook.events]]
json = { id = "o-1" }
ids = ["o-2"]

[[triggers.webhook.events]]
json = { id = "o-1" }
error = "invalid-input"

[[triggers.webhook.bad-events]]
name = "a good event"
json = { id = "o-1" }

[[triggers.webhook.bad-events]]
name = "the wrong code"
body = "not json"
code = "missing-id"
"#,
        ),
        Limits::default(),
    );
    assert!(!report.is_pass());
    assert_outcome(
        &report,
        "trigger webhook: push binding",
        Outcome::Pass,
        "/hooks/orders",
    );
    assert_outcome(
        &report,
        "trigger webhook: event 1",
        Outcome::Fail,
        "expected [\"o-2\"]",
    );
    assert_outcome(
        &report,
        "trigger webhook: event 2",
        Outcome::Fail,
        "expected an error of kind invalid-input",
    );
    assert_outcome(
        &report,
        "trigger webhook: bad event 1 (a good event)",
        Outcome::Fail,
        "accepted it (1 item(s))",
    );
    assert_outcome(
        &report,
        "trigger webhook: bad event 2 (the wrong code)",
        Outcome::Fail,
        "with the code missing-id",
    );
    assert_outcome(
        &report,
        "trigger pigeon: push binding",
        Outcome::Fail,
        "\"carrier-pigeon\" binding; this host supports only \"webhook\"",
    );
    assert_outcome(
        &report,
        "trigger pigeon: events",
        Outcome::Fail,
        "no example event in the spec",
    );
    assert_outcome(
        &report,
        "trigger pigeon: invalid inputs",
        Outcome::Skip,
        "push-binding failed",
    );

    // The hostile connector's `hooked` traps, spins and breaks its output
    // schema in handle-event: each is a failed check, never a crash of the kit.
    let actions: String = [
        "ok",
        "spin",
        "grow-memory",
        "recurse",
        "panic",
        "huge-output",
        "invalid-json",
        "wrong-shape",
        "log-flood",
        "echo",
    ]
    .iter()
    .map(|id| format!("[actions.{id}]\nskip = \"not under test here\"\n"))
    .collect();
    let spec = format!(
        r#"{actions}
[triggers.ticks]
skip = "not under test here"

[[triggers.hooked.events]]
name = "fine"
json = {{ n = 1 }}
ids = ["hooked-1"]

[[triggers.hooked.events]]
name = "panics"
json = {{ panic = true }}

[[triggers.hooked.events]]
name = "spins"
json = {{ spin = true }}

[[triggers.hooked.events]]
name = "breaks the output schema"
json = {{ wrong = true }}
"#
    );
    let limits = Limits {
        fuel: Some(50_000_000),
        ..Limits::default()
    };
    let report = run_kit("test_hostile", Some(&spec), limits.clone());
    assert_outcome(
        &report,
        "trigger hooked: push binding",
        Outcome::Pass,
        "/hooks/hostile",
    );
    assert_outcome(
        &report,
        "trigger hooked: event 1 (fine)",
        Outcome::Pass,
        "valid against the output schema",
    );
    assert_outcome(
        &report,
        "trigger hooked: event 2 (panics)",
        Outcome::Fail,
        "guest panic",
    );
    assert_outcome(
        &report,
        "trigger hooked: event 3 (spins)",
        Outcome::Fail,
        "fuel limit",
    );
    assert_outcome(
        &report,
        "trigger hooked: event 4 (breaks the output schema)",
        Outcome::Fail,
        "/n",
    );
    assert_outcome(
        &report,
        "trigger hooked: garbage event",
        Outcome::Fail,
        "an event it cannot read must be an invalid-input error",
    );
    assert_outcome(&report, "limits", Outcome::Fail, "hooked");

    // Binding information that is not a JSON object.
    let spec = format!(
        "{actions}\n[triggers.ticks]\nskip = \"not under test here\"\n\n\
         [triggers.hooked]\ninput = {{ bad_info = true }}\n"
    );
    let report = run_kit("test_hostile", Some(&spec), limits);
    assert_outcome(
        &report,
        "trigger hooked: push binding",
        Outcome::Fail,
        "not a JSON object",
    );
}

#[test]
fn a_spec_for_push_triggers_is_checked() {
    let dir = scratch("conformance-push-spec");
    let spec = dir.join("connector-test.toml");
    for (text, says) in [
        (
            "[[triggers.webhook.events]]\nbody = \"x\"\njson = 1\n",
            "gives both `body` and `json`",
        ),
        (
            "[[triggers.webhook.events]]\njson = 1\nerror = \"invalid-input\"\nitems = 0\n",
            "expects both an error and items",
        ),
        (
            "[[triggers.webhook.bad-events]]\njson = 1\nerror = \"not-found\"\n",
            "a bad event must be an invalid-input error",
        ),
        (
            "[[triggers.webhook.events]]\njson = 1\nerror = \"nope\"\n",
            "is not an error kind",
        ),
    ] {
        std::fs::write(&spec, text).unwrap();
        let run = cli(&["test", s(&guest("test_source")), "--spec", s(&spec)]);
        assert_eq!(run.code, 2, "{text}: {run:?}");
        assert!(
            run.stderr.contains(says),
            "{text} should say {says:?}: {run:?}"
        );
    }
    // Events for a polling trigger, bad states for a push trigger: the
    // `spec` check names both.
    let report = run_kit(
        "test_source",
        Some(
            "[[triggers.sequence.events]]\njson = 1\n\n[triggers.webhook]\ninput = { name = \"x\" }\nbad-states = [1]\n",
        ),
        Limits::default(),
    );
    assert_outcome(
        &report,
        "spec",
        Outcome::Fail,
        "\"sequence\" is a polling trigger; events and bad-events are for push triggers",
    );
    assert_outcome(
        &report,
        "spec",
        Outcome::Fail,
        "\"webhook\" is a push trigger; bad-states are for polling triggers",
    );
}

#[test]
fn the_readme_spec_example_is_valid() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let example = readme
        .split("The spec (`connector-test.toml`):")
        .nth(1)
        .and_then(|section| section.split("```toml\n").nth(1))
        .and_then(|rest| rest.split("```").next())
        .expect("the README has a spec example");
    let path = scratch("readme-spec").join("connector-test.toml");
    std::fs::write(&path, example).unwrap();
    let spec = Spec::read(&path).unwrap_or_else(|e| panic!("the README's spec: {e:#}"));
    let push = &spec.triggers["order-created"];
    assert_eq!(push.events.len(), 1);
    assert_eq!(push.bad_events.len(), 1);
    let event = push.events[0].raw_event("/unused");
    assert_eq!(event.path, "/hooks/orders?shop=north");
    assert!(
        event
            .headers
            .contains(&("content-type".into(), "application/json".into())),
        "{event:?}"
    );
}

/// The kit's checks of the 0.2.0 additions, obeyed and violated, on the
/// hostile connector: `pick`'s dynamic values pass with a plain input and
/// fail with one that makes them answer a value that is not JSON; the
/// `subscribed` trigger's round trip against the kit's listener passes,
/// and fails when its input makes `subscribe` fail.
#[test]
fn dynamic_values_and_subscriptions_are_checked() {
    let good = run_kit(
        "test_hostile",
        Some(
            r#"
[[actions.pick.examples]]
input = { mode = "plain", choice = "a" }
"#,
        ),
        Limits::default(),
    );
    assert_outcome(
        &good,
        "dynamic-values pick.choice",
        Outcome::Pass,
        "2 choice(s)",
    );
    assert_outcome(
        &good,
        "trigger subscribed: subscription",
        Outcome::Pass,
        "a second unsubscribe is not an error",
    );
    // A 0.1.0 connector has neither, and the kit asks for neither.
    let old = run_kit("test_source", None, Limits::default());
    assert!(
        old.checks
            .iter()
            .all(|c| !c.name.starts_with("dynamic-values") && !c.name.ends_with(": subscription")),
        "{}",
        old.to_text()
    );

    let bad = run_kit(
        "test_hostile",
        Some(
            r#"
[[actions.pick.examples]]
input = { mode = "not-json", choice = "a" }

[triggers.subscribed]
input = { fail = true }
"#,
        ),
        Limits::default(),
    );
    assert_outcome(
        &bad,
        "dynamic-values pick.choice",
        Outcome::Fail,
        "not JSON",
    );
    assert_outcome(
        &bad,
        "trigger subscribed: subscription",
        Outcome::Fail,
        "subscribe to http://127.0.0.1:",
    );
}
