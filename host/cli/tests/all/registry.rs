//! Signed connector packages, the trust policy and the OCI registry, end to
//! end: keys made by `key new`, components signed and certified by the CLI,
//! `run --once` refusing what `[trust]` refuses (naming the rule and the
//! key) before any of it runs, a tampering sweep over every byte of a
//! bundle and its statements, and push / pull / load by tag and by digest
//! against a real registry (Debian's docker-registry) on 127.0.0.1, with a
//! registry that is down, answers garbage, holds altered blobs or moved a tag.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use connector_host::registry::SecretKey;
use connector_host::registry::bundle::Bundle;
use connector_host::registry::envelope::Envelope;
use connector_host::registry::sign::{Claim, ReportSummary, statement};
use connector_host::registry::statement::{ConnectorId, StatementKind};
use connector_host::registry::verify::{ComponentDigest, verify};

use crate::registry_support::*;
use crate::support::*;
use crate::triggers_support::HostDir;

/// A key pair made by the CLI: (secret key file, public key file, id).
fn keypair(dir: &Path, name: &str) -> (PathBuf, PathBuf, String) {
    let r = cli(&["key", "new", name, "--dir", s(dir)]);
    assert_eq!(r.code, 0, "{r:?}");
    let id = r.stdout.trim().to_string();
    assert!(id.starts_with("ed25519:"), "{r:?}");
    (
        dir.join(format!("{name}.key")),
        dir.join(format!("{name}.pub")),
        id,
    )
}

/// A copy of a built guest in `dir`, so that its bundle lands there.
fn copy_guest(dir: &Path, name: &str, as_name: &str) -> PathBuf {
    let path = dir.join(as_name);
    std::fs::copy(guest(name), &path).unwrap();
    path
}

/// A host configuration running the `source` connector from `component`
/// once, with `trust` appended.
fn host(label: &str, component: &str, trust: &str) -> HostDir {
    HostDir::new(
        label,
        &format!(
            r#"
[[connector]]
name = "source"
component = "{component}"
dirs = ["./scratch::/scratch"]

[[connection]]
name = "src"
connector = "source"

[[trigger]]
name = "seq"
connection = "src"
operation = "sequence"
input = {{ batch = 2, total = 2, drain = false }}

{trust}
"#
        ),
    )
}

fn run_once(h: &HostDir, cache: &Path) -> Run {
    cli_with_cache(cache, &["run", h.config_arg(), "--once"])
}

/// Asserts a refusal at load: exit 1, every `needle` in stderr, and no event
/// delivered (nothing of the connector ran).
fn assert_refused(r: &Run, h: &HostDir, needles: &[&str]) {
    assert_eq!(r.code, 1, "{r:?}");
    for needle in needles {
        assert!(r.stderr.contains(needle), "missing {needle:?} in {r:?}");
    }
    assert!(!r.stderr.contains("panicked"), "{r:?}");
    assert!(
        !h.dir.join("events.jsonl").exists(),
        "events were delivered: {r:?}"
    );
}

#[test]
fn keys_sign_verify_and_describe() {
    let dir = scratch("reg-keys");
    let (alice_key, alice_pub, alice) = keypair(&dir, "alice");
    let (_, bob_pub, _) = keypair(&dir, "bob");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&alice_key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the secret key must be created 0600");
    }
    let again = cli(&["key", "new", "alice", "--dir", s(&dir)]);
    assert_eq!(again.code, 2, "a key is never overwritten: {again:?}");
    assert_eq!(cli(&["key", "id", s(&alice_pub)]).stdout.trim(), alice);
    assert_eq!(cli(&["key", "id", s(&alice_key)]).stdout.trim(), alice);

    let comp = copy_guest(&dir, "test_source", "source.wasm");
    let unsigned = cli(&["verify", s(&comp)]);
    assert_eq!(unsigned.code, 1, "{unsigned:?}");
    assert!(unsigned.stderr.contains("not signed"), "{unsigned:?}");

    let r = cli(&[
        "sign",
        s(&comp),
        "--key",
        s(&alice_key),
        "--name",
        "Alice",
        "--expires",
        "30d",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(dir.join("source.wasm.sig").exists());

    let ok = cli(&["verify", s(&comp), "--key", s(&alice_pub)]);
    assert_eq!(ok.code, 0, "{ok:?}");
    assert!(
        ok.stdout.contains("verified") && ok.stdout.contains(&format!("signed by {alice} (Alice)")),
        "{ok:?}"
    );
    let by_id = cli(&["verify", s(&comp), "--key", &alice]);
    assert_eq!(by_id.code, 0, "{by_id:?}");

    let wrong = cli(&["verify", s(&comp), "--key", s(&bob_pub)]);
    assert_eq!(wrong.code, 1, "{wrong:?}");
    assert!(
        wrong.stderr.contains("`--key`")
            && wrong.stderr.contains(&alice)
            && wrong.stderr.contains("not a trusted key"),
        "{wrong:?}"
    );

    let d = cli(&["describe", s(&comp)]);
    assert_eq!(d.code, 0, "{d:?}");
    assert!(
        d.stdout.contains("Signatures:")
            && d.stdout.contains(&format!("signed by {alice} (Alice)")),
        "{d:?}"
    );
    let json = cli(&["describe", s(&comp), "--json"]);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["signatures"]["signatures"][0]["key"], alice.as_str());
    assert_eq!(v["service"]["id"], "source");

    // A secret key others can read is refused.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&alice_key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let r = cli(&["sign", s(&comp), "--key", s(&alice_key)]);
        assert_eq!(r.code, 2, "{r:?}");
        assert!(r.stderr.contains("chmod 600"), "{r:?}");
    }
}

/// Every byte flip in a component, its bundle, its statements or its
/// signatures is refused. Library calls, so that every position is tried.
#[test]
fn every_flipped_byte_is_refused() {
    let bytes = std::fs::read(guest("test_source")).unwrap();
    let digest = ComponentDigest::of(&bytes);
    let author = SecretKey::generate().unwrap();
    let certifier = SecretKey::generate().unwrap();
    let claim = |kind, report| Claim {
        kind,
        connector: ConnectorId {
            id: "source".into(),
            version: "0.1.0".into(),
        },
        contract: "connector:provider@0.1.0".into(),
        component: digest.clone(),
        valid_for: Some(chrono::Duration::days(1)),
        report,
    };
    let report =
        serde_json::json!({"checks": [{"name": "load", "outcome": "pass", "detail": "ok"}]});
    let mut bundle = Bundle::new();
    bundle.add(Envelope::sign(
        &statement(
            &claim(StatementKind::Signature, None),
            &author,
            Some("a".into()),
        ),
        &author,
    ));
    bundle.add(Envelope::sign(
        &statement(
            &claim(
                StatementKind::Certification,
                Some(ReportSummary {
                    report,
                    passed: 1,
                    failed: 0,
                    skipped: 0,
                }),
            ),
            &certifier,
            None,
        ),
        &certifier,
    ));
    let now = chrono::Utc::now();
    let checked = |b: &[u8], component: &ComponentDigest| {
        Bundle::parse(b, "bundle")
            .ok()
            .and_then(|bundle| verify(&bundle, component, now).ok())
    };
    let file = bundle.to_bytes();
    let good = checked(&file, &digest).expect("the untouched bundle verifies");
    assert_eq!((good.signatures.len(), good.certifications.len()), (1, 1));

    // The component: 512 positions spread over it, and the first 64.
    let mut component_flips = 0;
    let step = (bytes.len() / 512).max(1);
    for i in (0..64).chain((0..bytes.len()).step_by(step)) {
        let mut flipped = bytes.clone();
        flipped[i] ^= 0x01;
        assert!(
            checked(&file, &ComponentDigest::of(&flipped)).is_none(),
            "component byte {i}"
        );
        component_flips += 1;
    }

    // The bundle file: every byte, with two different flips.
    let mut bundle_flips = 0;
    for i in 0..file.len() {
        for mask in [0x01u8, 0x80] {
            let mut flipped = file.clone();
            flipped[i] ^= mask;
            assert!(
                checked(&flipped, &digest).is_none(),
                "bundle byte {i} ^ {mask:#x}: {:?}",
                String::from_utf8_lossy(&flipped[i.saturating_sub(20)..(i + 20).min(file.len())])
            );
            bundle_flips += 1;
        }
    }

    // Each statement and each signature, decoded, flipped and re-encoded,
    // so that the bundle stays well-formed and only the signature can tell.
    let mut statement_flips = 0;
    for e in 0..bundle.envelopes.len() {
        let payload = STANDARD.decode(&bundle.envelopes[e].payload).unwrap();
        for i in 0..payload.len() {
            let mut flipped = payload.clone();
            flipped[i] ^= 0x01;
            let mut b = bundle.clone();
            b.envelopes[e].payload = STANDARD.encode(&flipped);
            assert!(verify(&b, &digest, now).is_err(), "statement {e} byte {i}");
            statement_flips += 1;
        }
        let sig = STANDARD
            .decode(&bundle.envelopes[e].signatures[0].sig)
            .unwrap();
        for i in 0..sig.len() {
            let mut flipped = sig.clone();
            flipped[i] ^= 0x01;
            let mut b = bundle.clone();
            b.envelopes[e].signatures[0].sig = STANDARD.encode(&flipped);
            assert!(verify(&b, &digest, now).is_err(), "signature {e} byte {i}");
            statement_flips += 1;
        }
    }
    eprintln!(
        "refused {component_flips} component, {bundle_flips} bundle and {statement_flips} statement/signature flips"
    );
    assert!(component_flips >= 512 && bundle_flips > 2000 && statement_flips > 500);
}

#[test]
fn the_trust_policy_is_enforced_at_load() {
    let dir = scratch("reg-policy");
    let cache = dir.join("cache");
    let (alice_key, alice_pub, alice) = keypair(&dir, "alice");
    let (_, bob_pub, bob) = keypair(&dir, "bob");
    let (cert_key, cert_pub, certifier) = keypair(&dir, "certifier");
    let comp = copy_guest(&dir, "test_source", "source.wasm");
    let c = s(&comp);
    let keys = |k: &Path| format!("\"{}\"", s(k));

    // No [trust]: an unsigned component runs as before.
    let h = host("reg-policy-none", c, "");
    let r = run_once(&h, &cache);
    assert_eq!(r.code, 0, "{r:?}");

    // [trust]: unsigned is refused by default.
    let trust_alice = format!("[trust]\nkeys = [{}]\n", keys(&alice_pub));
    let h = host("reg-policy-unsigned", c, &trust_alice);
    assert_refused(
        &run_once(&h, &cache),
        &h,
        &[
            "trust.allow_unsigned = false",
            "not signed",
            "connector source",
        ],
    );

    // Signed by a trusted key: runs, and says who signed.
    let r = cli(&["sign", c, "--key", s(&alice_key)]);
    assert_eq!(r.code, 0, "{r:?}");
    let h = host("reg-policy-alice", c, &trust_alice);
    let r = run_once(&h, &cache);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains(&format!("signed by {alice}")), "{r:?}");
    assert_eq!(h.event_ids("seq").len(), 2);

    // Signed, but not by a trusted key: the rule and both keys are named.
    let h = host(
        "reg-policy-bob",
        c,
        &format!("[trust]\nkeys = [{}]\n", keys(&bob_pub)),
    );
    assert_refused(
        &run_once(&h, &cache),
        &h,
        &["`trust.keys`", &alice, &bob, "not a trusted key"],
    );

    // A connector's own table replaces the global keys.
    let per = format!(
        "[trust]\nkeys = [{}]\n[trust.connector.source]\nkeys = [\"{alice}\"]\n",
        keys(&bob_pub)
    );
    let r = run_once(&host("reg-policy-per", c, &per), &cache);
    assert_eq!(r.code, 0, "{r:?}");
    let bob_only = format!(
        "[trust]\nkeys = [\"{alice}\"]\n[trust.connector.source]\nkeys = [{}]\n",
        keys(&bob_pub)
    );
    let h = host("reg-policy-per-bob", c, &bob_only);
    assert_refused(
        &run_once(&h, &cache),
        &h,
        &["`trust.connector.source.keys`", &alice],
    );

    // Certification required: refused until a certifier signs a passing report.
    let certified = format!(
        "[trust]\nkeys = [{}]\nrequire_certification = true\ncertifiers = [{}]\n",
        keys(&alice_pub),
        keys(&cert_pub)
    );
    let h = host("reg-policy-nocert", c, &certified);
    assert_refused(
        &run_once(&h, &cache),
        &h,
        &["trust.require_certification = true", "no certification"],
    );
    let spec = repo().join("tests/guests/source/connector-test.toml");
    let r = cli(&[
        "certify",
        c,
        "--spec",
        s(&spec),
        "--key",
        s(&cert_key),
        "--name",
        "Kit",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("PASS"), "{r:?}");
    let h = host("reg-policy-cert", c, &certified);
    let r = run_once(&h, &cache);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains(&format!("certified by {certifier}")),
        "{r:?}"
    );
    let d = cli(&["describe", c]);
    assert!(
        d.stdout
            .contains(&format!("certified by {certifier} (Kit)"))
            && d.stdout.contains("conformance kit passed"),
        "{d:?}"
    );
    let wrong_certifier = format!(
        "[trust]\nkeys = [{}]\nrequire_certification = true\ncertifiers = [\"{bob}\"]\n",
        keys(&alice_pub)
    );
    let h = host("reg-policy-wrongcert", c, &wrong_certifier);
    assert_refused(
        &run_once(&h, &cache),
        &h,
        &["`trust.certifiers`", &certifier, "not a trusted certifier"],
    );

    // A changed component no longer matches its statements.
    let tampered = dir.join("tampered.wasm");
    let mut bytes = std::fs::read(&comp).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0x01;
    std::fs::write(&tampered, &bytes).unwrap();
    std::fs::copy(dir.join("source.wasm.sig"), dir.join("tampered.wasm.sig")).unwrap();
    let h = host("reg-policy-tampered", s(&tampered), &trust_alice);
    assert_refused(&run_once(&h, &cache), &h, &["do not verify", "altered"]);
    let v = cli(&["verify", s(&tampered)]);
    assert_eq!(v.code, 1, "{v:?}");
    assert_eq!(cli(&["describe", s(&tampered)]).code, 1);

    // An expired statement.
    let short = copy_guest(&dir, "test_source", "short.wasm");
    let r = cli(&["sign", s(&short), "--key", s(&alice_key), "--expires", "1s"]);
    assert_eq!(r.code, 0, "{r:?}");
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let h = host("reg-policy-expired", s(&short), &trust_alice);
    assert_refused(&run_once(&h, &cache), &h, &["expired"]);

    // A policy that cannot be read is a usage error naming the key.
    let h = host(
        "reg-policy-bad",
        c,
        "[trust]\nkeys = [\"missing.pub\"]\nallow_unsigend = true\n",
    );
    let r = run_once(&h, &cache);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("trust"), "{r:?}");
    let h = host(
        "reg-policy-bad-key",
        c,
        "[trust]\nkeys = [\"missing.pub\"]\n",
    );
    let r = run_once(&h, &cache);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("trust.keys[0]") && r.stderr.contains("missing.pub"),
        "{r:?}"
    );
}

#[test]
fn certify_signs_only_a_passing_report() {
    let dir = scratch("reg-certify");
    let (cert_key, _, _) = keypair(&dir, "certifier");
    let comp = copy_guest(&dir, "test_source", "source.wasm");
    // A spec naming an operation the connector does not have: the `spec`
    // check fails, so nothing may be signed.
    let spec = dir.join("bad-spec.toml");
    std::fs::write(&spec, "[[actions.no-such-action.examples]]\ninput = {}\n").unwrap();
    let r = cli(&[
        "certify",
        s(&comp),
        "--spec",
        s(&spec),
        "--key",
        s(&cert_key),
    ]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout.contains("FAIL") && r.stderr.contains("not certified"),
        "{r:?}"
    );
    assert!(
        !dir.join("source.wasm.sig").exists(),
        "a failing run must sign nothing"
    );
}

#[test]
fn push_pull_and_load_by_tag_and_by_digest() {
    let registry = Registry::start("reg-oci");
    let dir = scratch("reg-oci-work");
    let cache = dir.join("cache");
    let (alice_key, alice_pub, alice) = keypair(&dir, "alice");
    let comp = copy_guest(&dir, "test_source", "source.wasm");
    assert_eq!(cli(&["sign", s(&comp), "--key", s(&alice_key)]).code, 0);
    let tag_ref = registry.url("connectors/source:1.0");
    let r = cli_with_cache(&cache, &["push", s(&comp), &tag_ref]);
    assert_eq!(r.code, 0, "{r:?}");
    let pinned = r.stdout.trim().to_string();
    assert!(
        pinned.starts_with(&registry.url("connectors/source@sha256:")),
        "{r:?}"
    );
    assert!(r.stderr.contains("signatures at tag sha256-"), "{r:?}");

    // Pull by tag and by digest: the same bytes, and the bundle beside them.
    let out = dir.join("pulled.wasm");
    let r = cli_with_cache(&cache, &["pull", &tag_ref, "--out", s(&out)]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout.trim(), pinned);
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&comp).unwrap());
    assert!(r.stderr.contains(&format!("signed by {alice}")), "{r:?}");
    assert_eq!(cli(&["verify", s(&out), "--key", s(&alice_pub)]).code, 0);
    let r = cli_with_cache(&cache, &["pull", &pinned]);
    assert_eq!(r.code, 0, "{r:?}");

    // The manifest follows the CNCF wasm layout.
    let manifest = http_get_json(registry.addr, "/v2/connectors/source/manifests/1.0");
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.wasm.config.v0+json"
    );
    assert_eq!(manifest["layers"].as_array().unwrap().len(), 1);
    assert_eq!(manifest["layers"][0]["mediaType"], "application/wasm");
    let config = http_get_json(
        registry.addr,
        &format!(
            "/v2/connectors/source/blobs/{}",
            manifest["config"]["digest"].as_str().unwrap()
        ),
    );
    assert!(
        config["component"]["exports"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e
                .as_str()
                .unwrap()
                .starts_with("connector:provider/provider@"))
    );

    // Load by tag and by digest, under a policy.
    let trust = format!("[trust]\nkeys = [\"{alice}\"]\n");
    let r = run_once(&host("reg-oci-tag", &tag_ref, &trust), &cache);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains(&format!("signed by {alice}")), "{r:?}");
    let r = run_once(&host("reg-oci-digest", &pinned, &trust), &cache);
    assert_eq!(r.code, 0, "{r:?}");
    // Unsigned in the registry: refused under the policy.
    let plain = copy_guest(&dir, "test_source", "plain.wasm");
    let plain_ref = registry.url("connectors/plain:1.0");
    assert_eq!(
        cli_with_cache(&cache, &["push", s(&plain), &plain_ref]).code,
        0
    );
    let fresh_cache = dir.join("cache-fresh");
    let h = host("reg-oci-unsigned", &plain_ref, &trust);
    assert_refused(
        &run_once(&h, &fresh_cache),
        &h,
        &["trust.allow_unsigned = false", "not signed"],
    );

    // With the registry gone, a digest-pinned component loads from the
    // pull cache; a tag cannot be resolved and is a clear error.
    drop(registry);
    let r = run_once(&host("reg-oci-offline", &pinned, &trust), &cache);
    assert_eq!(r.code, 0, "{r:?}");
    let h = host("reg-oci-down", &tag_ref, &trust);
    assert_refused(&run_once(&h, &cache), &h, &["cannot be reached"]);
}

#[test]
fn registry_failures_are_clear_errors_and_nothing_unverified_is_cached() {
    let dir = scratch("reg-fail");
    let cache = dir.join("cache");
    let comp = copy_guest(&dir, "test_source", "source.wasm");
    let digest = ComponentDigest::of(&std::fs::read(&comp).unwrap()).digest;
    let cached_blob = cache
        .join("oci/blobs/sha256")
        .join(digest.strip_prefix("sha256:").unwrap());

    // Nothing listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let r = cli_with_cache(&cache, &["pull", &format!("oci://{closed}/x/y:1")]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("cannot be reached"), "{r:?}");

    // A server that answers garbage: HTTP with a body that is not a
    // manifest, and bytes that are not HTTP at all.
    for answer in [
        &b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot json!"[..],
        &b"\x00\x01\x02 this is not HTTP\r\n\r\n"[..],
    ] {
        let garbage = Garbage::start(answer);
        let r = cli_with_cache(&cache, &["pull", &format!("oci://{}/x/y:1", garbage.addr)]);
        assert_eq!(r.code, 1, "{r:?}");
        assert!(r.stderr.starts_with("error: oci://") && !r.stderr.contains("panicked"), "{r:?}");
    }

    let registry = Registry::start("reg-fail-registry");
    let push = |path: &Path, reference: &str| {
        let r = cli_with_cache(&cache, &["push", s(path), reference]);
        assert_eq!(r.code, 0, "{r:?}");
        r.stdout.trim().to_string()
    };
    // A tag that moved: pinned to the first push, now pointing at another.
    let first = push(&comp, &registry.url("moving:1"));
    let pinned_digest = first.rsplit_once('@').unwrap().1.to_string();
    let other = copy_guest(&dir, "example_data", "data.wasm");
    push(&other, &registry.url("moving:1"));
    let r = cli_with_cache(
        &cache,
        &[
            "pull",
            &format!("{}@{pinned_digest}", registry.url("moving:1")),
        ],
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("moved") && r.stderr.contains(&pinned_digest),
        "{r:?}"
    );
    // A digest the registry does not have.
    let r = cli_with_cache(
        &cache,
        &[
            "pull",
            &format!("{}@sha256:{}", registry.url("moving"), "0".repeat(64)),
        ],
    );
    assert_eq!(r.code, 1, "{r:?}");

    // A component layer altered in the registry's storage: refused, and
    // nothing of it is in the pull cache.
    push(&comp, &registry.url("altered:1"));
    let _ = std::fs::remove_file(&cached_blob);
    let stored = registry.blob_file(&digest);
    let mut bytes = std::fs::read(&stored).unwrap();
    let n = bytes.len();
    bytes[n / 3] ^= 0x01;
    std::fs::write(&stored, &bytes).unwrap();
    let r = cli_with_cache(&cache, &["pull", &registry.url("altered:1")]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.to_lowercase().contains("digest"), "{r:?}");
    assert!(!cached_blob.exists(), "an unverified blob was cached");

    // A manifest altered in storage, pulled by its digest.
    let pinned = push(&other, &registry.url("manifest:1"));
    let manifest_digest = pinned.rsplit_once('@').unwrap().1;
    let stored = registry.blob_file(manifest_digest);
    let mut bytes = std::fs::read(&stored).unwrap();
    let i = bytes.iter().position(|b| *b == b'{').unwrap() + 1;
    bytes.insert(i, b' ');
    std::fs::write(&stored, &bytes).unwrap();
    let r = cli_with_cache(&dir.join("cache-2"), &["pull", &pinned]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        !dir.join("cache-2/oci/manifests").exists(),
        "an unverified manifest was cached: {r:?}"
    );
}

/// GET `path` from the registry and parse the body as JSON.
fn http_get_json(addr: std::net::SocketAddr, path: &str) -> Value {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/vnd.oci.image.manifest.v1+json\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}
