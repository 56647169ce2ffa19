//! Issue 15's figures: the import of a definition of over 1 MB with more
//! than 200 operations (target: at most 2 s, reading, checking and
//! composing, no compiler), and one call of an imported operation against
//! the same call of the hand-written `tasks` connector (`get-task`), both
//! against one task API on 127.0.0.1 (target: imported p50 at most 1.2x).
//! Every loop is bounded in count and time; the server accepts a bounded
//! number of connections.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use connector_host::capabilities::Grants;
use connector_host::{Connection, ConnectorOptions, Runtime, RuntimeOptions};
use connector_import::Import;
use serde_json::{Value, json};

use crate::Ctx;
use crate::report::{Entry, Report, Target, us};
use crate::stats::{Batch, Contender, interleave, median, ratio_of_rounds};

/// A Swagger 2.0 document of `ops` operations, each with parameters, a
/// body and a response schema of its own, padded by descriptions.
fn large_definition(ops: usize, words: usize) -> Value {
    let text = "lorem ipsum dolor sit amet ".repeat(words);
    let mut paths = serde_json::Map::new();
    let mut definitions = serde_json::Map::new();
    for i in 0..ops {
        let props: serde_json::Map<String, Value> = (0..12)
            .map(|p| {
                (
                    format!("field{p}"),
                    json!({"type": "string", "description": text, "x-ms-summary": format!("Field {p}")}),
                )
            })
            .collect();
        definitions.insert(
            format!("Thing{i}"),
            json!({"type": "object", "properties": props}),
        );
        let op = json!({
            "operationId": format!("updateThing{i}"),
            "summary": format!("Update thing {i}"),
            "description": text,
            "parameters": [
                {"name": "id", "in": "path", "required": true, "type": "string", "description": text},
                {"name": "mode", "in": "query", "type": "string", "enum": ["fast", "safe"], "default": "safe"},
                {"name": "X-Trace", "in": "header", "type": "string"},
                {"name": "body", "in": "body", "schema": {"$ref": format!("#/definitions/Thing{i}")}}
            ],
            "responses": {"200": {"description": "ok", "schema": {"$ref": format!("#/definitions/Thing{i}")}}}
        });
        paths.insert(format!("/things{i}/{{id}}"), json!({"put": op}));
    }
    json!({
        "swagger": "2.0",
        "info": {"title": "Large API", "version": "1.0"},
        "host": "large.example.com",
        "securityDefinitions": {"key": {"type": "apiKey", "in": "header", "name": "X-Key"}},
        "paths": paths,
        "definitions": definitions
    })
}

/// Import time of a 1 MB definition.
fn import_time(ctx: &Ctx, report: &mut Report) -> Result<()> {
    let base = std::fs::read(ctx.guest("example_openapi"))
        .context("example_openapi.wasm is not built; run `make guests`")?;
    let dir = ctx.scratch("fig15-import")?;
    let path = dir.join("large.json");
    let text = serde_json::to_string_pretty(&large_definition(240, 8))?;
    anyhow::ensure!(
        text.len() > 1 << 20,
        "the definition is only {} bytes",
        text.len()
    );
    std::fs::write(&path, &text)?;
    let rounds = if ctx.quick { 2 } else { 5 };
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..rounds {
        let start = Instant::now();
        let import = Import::read(&path);
        anyhow::ensure!(import.errors() == 0, "{:?}", import.problems.first());
        let component = import.build(&base)?;
        times.push(start.elapsed().as_secs_f64());
        size = component.len();
        anyhow::ensure!(import.coverage().imported == 240, "{}", import.summary());
    }
    let t = median(&times);
    println!(
        "  import of {} KiB, 240 operations: median {t:.3} s",
        text.len() >> 10
    );
    report.add(Entry {
        figure: 15,
        what: "import of a 1 MB Swagger 2.0 definition with 240 operations (read, check, compose; library)",
        measured: format!(
            "{} KiB definition -> {} KiB component; median {:.0} ms over {rounds} rounds",
            text.len() >> 10,
            size >> 10,
            t * 1000.0
        ),
        ratio_of: "seconds over 2 s",
        ratio: t / 2.0,
        target: Target::AtMost(1.0),
        if_missed: "the importer walks and converts every schema of the definition once per operation",
        data: json!({"bytes": text.len(), "operations": 240, "seconds": times}),
    });
    Ok(())
}

/// A task API on 127.0.0.1: `GET /tasks/1` answers one task (to the bearer
/// token `t0k-9f3a`), anything else 404. One request per connection, at most
/// `limit` connections.
fn task_api(limit: usize) -> Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let host = listener.local_addr()?.to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(limit) {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut buf = Vec::new();
            let mut chunk = [0u8; 2048];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let head = String::from_utf8_lossy(&buf).to_ascii_lowercase();
            let (status, body) = if head.starts_with("get /tasks/1 ")
                && head.contains("authorization: bearer t0k-9f3a")
            {
                (
                    200,
                    r#"{"id": 1, "title": "Write the bench", "status": "open", "created": 1700000000}"#,
                )
            } else {
                (404, r#"{"message": "no such task"}"#)
            };
            let _ = stream.write_all(
                format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            );
        }
    });
    Ok(host)
}

/// An OpenAPI 3 definition of the task API's `GET /tasks/{id}`, as an
/// author would write it for the import.
fn tasks_definition(dir: &Path) -> Result<std::path::PathBuf> {
    let task = json!({"type": "object", "required": ["id", "title", "status"], "properties": {
        "id": {"type": "integer"}, "title": {"type": "string"}, "description": {"type": "string"},
        "status": {"type": "string", "enum": ["open", "done"]}, "created": {"type": "integer"}}});
    let doc = json!({
        "openapi": "3.0.3",
        "info": {"title": "Tasks", "version": "1.0.0"},
        "servers": [{"url": "https://tasks.example.com"}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": {"/tasks/{id}": {"get": {
            "operationId": "getTask",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}],
            "responses": {"200": {"description": "the task", "content": {"application/json": {"schema": task}}}}
        }}}
    });
    let path = dir.join("tasks-openapi.json");
    std::fs::write(&path, serde_json::to_string(&doc)?)?;
    Ok(path)
}

/// An imported operation's call against the hand-written connector's.
fn call_ratio(ctx: &Ctx, report: &mut Report) -> Result<()> {
    let base = std::fs::read(ctx.guest("example_openapi"))
        .context("example_openapi.wasm is not built; run `make guests`")?;
    let tasks = ctx.guest("example_tasks");
    anyhow::ensure!(
        tasks.exists(),
        "{} is not built; run `make guests`",
        tasks.display()
    );
    let dir = ctx.scratch("fig15-call")?;
    let import = Import::read(&tasks_definition(&dir)?);
    anyhow::ensure!(import.errors() == 0, "{:?}", import.problems);
    let imported = dir.join("tasks-imported.wasm");
    std::fs::write(&imported, import.build(&base)?)?;

    let runtime = Runtime::new(RuntimeOptions {
        cache_dir: Some(ctx.out.join("cache")),
        ..RuntimeOptions::default()
    })?;
    let options = || ConnectorOptions {
        grants: Grants {
            http: vec!["http://{host} private".parse().expect("a grant")],
            ..Grants::default()
        },
        ..ConnectorOptions::default()
    };
    let hand = runtime.load(&tasks, options())?;
    let generic = runtime.load(&imported, options())?;
    let calls = if ctx.quick { 40 } else { 200 };
    let rounds = ctx.rounds();
    let host = task_api((calls + calls / 10 + 2) * 2 * (rounds + 1))?;
    let mut conn = Connection::new();
    conn.set("host", host);
    conn.set("use_tls", "false");
    conn.set("token", "t0k-9f3a");
    let input = json!({"id": 1});
    // Both must work before either is timed.
    let a = hand.invoke("get-task", &conn, &input)?;
    let b = generic.invoke("get-task", &conn, &input)?;
    anyhow::ensure!(
        a.body.to_value()? == b.body.to_value()?,
        "the two answers differ"
    );
    let batch = Batch {
        calls,
        max_time: ctx.time(Duration::from_secs(10)),
    };
    let mut contenders: Vec<Contender> = vec![
        (
            "imported",
            Box::new(|| {
                generic
                    .invoke("get-task", &conn, &input)
                    .expect("imported get-task");
            }),
        ),
        (
            "tasks",
            Box::new(|| {
                hand.invoke("get-task", &conn, &input)
                    .expect("tasks get-task");
            }),
        ),
    ];
    let samples = interleave(rounds, batch, &mut contenders);
    let ratio = ratio_of_rounds(&samples[0], &samples[1]);
    println!(
        "  get-task p50: imported {} tasks {} (ratio {ratio:.2})",
        us(samples[0].p50()),
        us(samples[1].p50())
    );
    report.add(Entry {
        figure: 15,
        what: "one call of an imported operation versus the hand-written tasks connector (get-task, same local API)",
        measured: format!(
            "p50 imported {} (p99 {}), tasks {} (p99 {}); a fresh instance and a new connection per call each",
            us(samples[0].p50()),
            us(samples[0].p99()),
            us(samples[1].p50()),
            us(samples[1].p99())
        ),
        ratio_of: "imported p50 / tasks p50",
        ratio,
        target: Target::AtMost(1.2),
        if_missed: "the generic connector parses its embedded definition on every call (each call is a fresh instance)",
        data: json!({"imported_us": samples[0].round_medians_us, "tasks_us": samples[1].round_medians_us}),
    });
    Ok(())
}

/// Both figures of issue 15.
pub fn figure15(ctx: &Ctx, report: &mut Report) -> Result<()> {
    import_time(ctx, report)?;
    call_ratio(ctx, report)
}
