//! Fuzzing the loader and the boundary: random bytes and mutated real
//! components into the loader (validate/describe), random JSON into invoke.
//! Nothing may panic or hang; every input ends in `Ok` or a typed error.
//!
//! A bounded run is part of the suite. `make fuzz` runs a longer one:
//! `CONNECTOR_HOST_FUZZ_SECS` bounds the time per test (default 10) and
//! `CONNECTOR_HOST_FUZZ_ITERS` the inputs (default 400); `CONNECTOR_HOST_FUZZ_SEED`
//! picks another sequence. A failure prints the seed and input number.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use connector_host::{Connection, ConnectorOptions, Limits, Runtime, RuntimeOptions};
use serde_json::{Map, Value, json};

use crate::support::*;

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Budget {
    seed: u64,
    iters: u64,
    until: Instant,
}

fn budget() -> Budget {
    Budget {
        seed: env_or("CONNECTOR_HOST_FUZZ_SEED", 0x5eed_c0de),
        iters: env_or("CONNECTOR_HOST_FUZZ_ITERS", 400),
        until: Instant::now() + Duration::from_secs(env_or("CONNECTOR_HOST_FUZZ_SECS", 10)),
    }
}

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut b = seed.to_vec();
    match rng.below(6) {
        0 => {
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
        }
        1 => b.truncate(8 + rng.below(b.len() - 8)),
        2 => {
            let at = rng.below(b.len());
            let n = 1 + rng.below(64);
            let junk = rng.bytes(n);
            b.splice(at..at, junk);
        }
        3 => {
            let from = 8 + rng.below(b.len() - 8);
            let to = (from + 1 + rng.below(256)).min(b.len());
            b.drain(from..to);
        }
        4 => {
            // Section lengths and counts are LEB128 near section starts:
            // large values there stress the parser's bounds checks.
            let i = 8 + rng.below(b.len() - 8);
            b[i] = 0xff;
            if i + 1 < b.len() {
                b[i + 1] = 0xff;
            }
        }
        _ => {
            let mut header = b"\0asm\x0d\0\x01\0".to_vec();
            let n = rng.below(4096);
            header.extend(rng.bytes(n));
            b = header;
        }
    }
    b
}

#[test]
fn loader_survives_random_and_mutated_components() {
    let b = budget();
    let mut rng = Rng(b.seed);
    let rt = Runtime::new(RuntimeOptions {
        cache_dir: None,
        ..RuntimeOptions::default()
    })
    .unwrap();
    let seeds: Vec<Vec<u8>> = ["test_malformed", "test_describe_panic", "example_data"]
        .iter()
        .map(|g| std::fs::read(guest(g)).unwrap())
        .collect();
    let dir = scratch("fuzz-loader");
    let path = dir.join("input.wasm");
    let limits = Limits {
        fuel: Some(100_000_000),
        timeout: Duration::from_secs(2),
        ..Limits::default()
    };
    let (mut ran, mut loaded) = (0u64, 0u64);
    while ran < b.iters && Instant::now() < b.until {
        let input = if rng.below(4) == 0 {
            let n = rng.below(2048);
            rng.bytes(n)
        } else {
            let seed = &seeds[rng.below(seeds.len())];
            mutate(&mut rng, seed)
        };
        std::fs::write(&path, &input).unwrap();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            rt.inspect(
                &path,
                ConnectorOptions {
                    limits: limits.clone(),
                    ..ConnectorOptions::default()
                },
            )
            .map(|i| i.problems.len())
        }));
        match outcome {
            Ok(Ok(_)) => loaded += 1,
            Ok(Err(e)) => assert!(!e.to_string().is_empty()),
            Err(_) => {
                let keep = dir.join(format!("crash-{}.wasm", ran));
                std::fs::write(&keep, &input).unwrap();
                panic!(
                    "the loader panicked on input {ran} (seed {:#x}); saved as {}",
                    b.seed,
                    keep.display()
                );
            }
        }
        ran += 1;
    }
    assert!(ran >= 20, "too few inputs ran in the time budget: {ran}");
    eprintln!(
        "fuzz: {ran} inputs into the loader, {loaded} loaded (seed {:#x})",
        b.seed
    );
}

fn random_json(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(if depth > 3 { 5 } else { 7 }) {
        0 => Value::Null,
        1 => json!(rng.below(2) == 0),
        2 => json!(rng.next() as i64),
        3 => json!((rng.next() as f64) / 7.0),
        4 => {
            let n = rng.below(12);
            let s: String = (0..n)
                .map(|_| char::from_u32(rng.below(0x3000) as u32).unwrap_or('?'))
                .collect();
            json!(s)
        }
        5 => Value::Array(
            (0..rng.below(5))
                .map(|_| random_json(rng, depth + 1))
                .collect(),
        ),
        _ => {
            let keys = [
                "text",
                "algorithm",
                "document",
                "pointer",
                "template",
                "values",
                "csv",
                "delimiter",
                "header",
                "direction",
                "strict",
                "encoding",
                "x",
            ];
            let mut map = Map::new();
            for _ in 0..rng.below(5) {
                map.insert(
                    keys[rng.below(keys.len())].to_string(),
                    random_json(rng, depth + 1),
                );
            }
            Value::Object(map)
        }
    }
}

/// A valid input for each of the data connector's operations.
fn valid_input(op: &str) -> Option<Value> {
    Some(match op {
        "json-select" => json!({"document": {"a": [1, {"b": 2}]}, "pointer": "/a/1/b"}),
        "render-template" => {
            json!({"template": "x {{a}} {{b.c}}", "values": {"a": 1, "b": {"c": "d"}}, "strict": false})
        }
        "csv-to-json" => json!({"csv": "a,b\n1,2\n", "delimiter": ",", "header": true}),
        "hash" => json!({"text": "abc", "algorithm": "sha512", "encoding": "base64"}),
        "base64" => json!({"text": "aGk=", "direction": "decode"}),
        _ => return None,
    })
}

#[test]
fn invoke_survives_random_json() {
    let b = budget();
    let mut rng = Rng(b.seed ^ 0xa5a5);
    let data = runtime()
        .load(&guest("example_data"), ConnectorOptions::default())
        .unwrap();
    let ops: Vec<String> = data
        .description()
        .operations
        .iter()
        .map(|o| o.id.clone())
        .collect();
    let (mut ran, mut accepted) = (0u64, 0u64);
    while ran < b.iters * 2 && Instant::now() < b.until {
        let op = &ops[rng.below(ops.len())];
        // Half the inputs are valid ones with one field replaced, so that
        // many pass the schema and reach the guest; the rest are anything.
        let input = match (rng.below(2), valid_input(op)) {
            (0, Some(mut valid)) => {
                let keys: Vec<String> = valid.as_object().unwrap().keys().cloned().collect();
                let key = &keys[rng.below(keys.len())];
                valid[key] = match rng.below(3) {
                    0 => random_json(&mut rng, 0),
                    _ => {
                        let n = rng.below(64);
                        json!(String::from_utf8_lossy(&rng.bytes(n)).into_owned())
                    }
                };
                valid
            }
            _ => random_json(&mut rng, 0),
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            data.invoke(op, &Connection::new(), &input)
        }));
        match outcome {
            Ok(Ok(_)) => accepted += 1,
            Ok(Err(e)) => assert!(!e.to_string().is_empty()),
            Err(_) => panic!(
                "invoke panicked on {op} with {input} (seed {:#x}, input {ran})",
                b.seed
            ),
        }
        ran += 1;
    }
    assert!(ran >= 50, "too few inputs ran: {ran}");
    assert!(
        accepted > 0,
        "no input reached the guest and succeeded; the generator is too weak"
    );
    eprintln!("fuzz: {ran} random inputs into invoke, {accepted} accepted");
}
