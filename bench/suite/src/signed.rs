//! Figure 10: loading a signed component under a trust policy versus an
//! unsigned cached load (issue 16: at most 1.1x).
//!
//! Each round builds two fresh runtimes over one warm compiled-component
//! cache (so each load reads the cache from disk, as a host start does) and
//! times, interleaved: `Runtime::load` of the unsigned component, and
//! `admit` (read, hash, verify the bundle, apply the policy, copy into the
//! pull store, which after the first round is already there) followed by
//! `Runtime::load` of the admitted file. Runtime creation is not timed.

use std::time::Instant;

use anyhow::{Context, Result};
use connector_host::registry::policy::{Rules, TrustedKey};
use connector_host::registry::sign::{Claim, add_to_bundle, statement};
use connector_host::registry::statement::{ConnectorId, StatementKind};
use connector_host::registry::{ComponentDigest, SecretKey, Store, admit};
use connector_host::{ConnectorOptions, Runtime, RuntimeOptions};
use serde_json::json;

use crate::Ctx;
use crate::report::{Entry, Report, Target, us};
use crate::stats::median;

pub fn figure10(ctx: &Ctx, report: &mut Report) -> Result<()> {
    let what = "signed load vs unsigned cached load: example_calendar (Python)";
    let source = ctx.guest("example_calendar");
    if !source.exists() {
        report.not_measured(
            10,
            what,
            Target::AtMost(1.1),
            format!(
                "{} is not built here (the Python toolchain step of `make` did not run)",
                source.display()
            ),
        );
        return Ok(());
    }
    let dir = ctx.scratch("fig10")?;
    let cache = dir.join("cache");
    let component = dir.join("calendar.wasm");
    std::fs::copy(&source, &component).context("copying the component")?;
    let runtime = || {
        Runtime::new(RuntimeOptions {
            cache_dir: Some(cache.clone()),
            ..RuntimeOptions::default()
        })
    };
    // Warm the cache (the compile) and sign.
    let first = runtime()?.load(&component, ConnectorOptions::default())?;
    let service = first.description().service.clone();
    drop(first);
    let key = SecretKey::generate()?;
    let bytes = std::fs::read(&component)?;
    let claim = Claim {
        kind: StatementKind::Signature,
        connector: ConnectorId {
            id: service.id.clone(),
            version: service.version.clone(),
        },
        contract: "connector:provider@0.1.0".into(),
        component: ComponentDigest::of(&bytes),
        valid_for: None,
        report: None,
    };
    add_to_bundle(&component, &statement(&claim, &key, None), &key)?;
    let rules = Rules {
        connector: "calendar".into(),
        keys: vec![TrustedKey {
            key: key.public(),
            source: "bench".into(),
        }],
        keys_rule: "trust.keys".into(),
        certifiers: Vec::new(),
        certifiers_rule: "trust.certifiers".into(),
        allow_unsigned: false,
        allow_unsigned_rule: "trust.allow_unsigned".into(),
        require_certification: false,
        require_certification_rule: "trust.require_certification".into(),
    };
    let store = Store::new(dir.join("store"));
    let rounds = if ctx.quick { 3 } else { 9 };
    let (mut unsigned, mut signed) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let rt = runtime()?;
        let t = Instant::now();
        let c = rt.load(&component, ConnectorOptions::default())?;
        unsigned.push(t.elapsed().as_secs_f64() * 1e6);
        drop(c);
        let rt = runtime()?;
        let t = Instant::now();
        let admitted = admit("calendar", &component, &store, Some(&rules))?;
        let c = rt.load(&admitted.path, ConnectorOptions::default())?;
        signed.push(t.elapsed().as_secs_f64() * 1e6);
        drop(c);
    }
    let (u, s) = (median(&unsigned), median(&signed));
    report.add(Entry {
        figure: 10,
        what,
        measured: format!(
            "{} KB: unsigned cached load {}, signed (verify + policy + load) {}",
            bytes.len() / 1024,
            us(u),
            us(s)
        ),
        ratio_of: "signed load / unsigned cached load",
        ratio: s / u,
        target: Target::AtMost(1.1),
        if_missed: "admission hashes the component's bytes once more than the runtime does (the runtime loads by path and hashes again for its cache key)",
        data: json!({"bytes": bytes.len(), "unsigned_us": u, "signed_us": s, "rounds": rounds}),
    });
    Ok(())
}
