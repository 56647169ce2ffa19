//! Measures expression evaluation: `@body('A')?['items'][0]['name']` parsed once and evaluated
//! many times against a scope whose body has 100 items (the target: >= 1,000,000/s).
//!
//! `cargo run --release -p connector-workflows --example expr_bench [iterations]`

use std::hint::black_box;
use std::time::Instant;

use connector_workflows::expr::{StaticScope, Template};
use serde_json::json;

fn main() {
    let iterations: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5_000_000);
    let items: Vec<_> = (0..100)
        .map(|i| json!({"name": format!("item-{i}"), "id": i}))
        .collect();
    let scope = StaticScope::new().with_action_body("A", json!({"items": items, "count": 100}));

    let cases = [
        ("access", "@body('A')?['items'][0]['name']"),
        (
            "interpolation",
            "Name: @{body('A')?['items'][0]['name']} (@{body('A')['count']})",
        ),
        (
            "functions",
            "@concat(toUpper(body('A')?['items'][1]['name']), '-', string(add(1, 2)))",
        ),
    ];
    for (label, source) in cases {
        let template = Template::parse(source).expect("the benchmark expression parses");
        // Warm up, and check the answer once, so a broken evaluator cannot post a figure.
        let first = template.eval(&scope).expect("evaluates").into_owned();
        let start = Instant::now();
        for _ in 0..iterations {
            black_box(template.eval(black_box(&scope)).expect("evaluates"));
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{label:<14} {:>12.0} evaluations/s  ({:.0} ns each, {iterations} runs) -> {first}",
            iterations as f64 / secs,
            secs * 1e9 / iterations as f64
        );
    }

    let start = Instant::now();
    let parses = iterations / 10;
    for _ in 0..parses {
        black_box(Template::parse(black_box(cases[0].1)).expect("parses"));
    }
    let secs = start.elapsed().as_secs_f64();
    println!("{:<14} {:>12.0} parses/s", "parse", parses as f64 / secs);
}
