//! The server's security against a real `connector-host serve` on
//! 127.0.0.1: calls without the token, with a foreign Host or a foreign
//! Origin are refused; the page carries a CSP without inline script; the
//! token is made once, owner-only; other addresses need `--public` and TLS,
//! and TLS works with certificate files; and no secret value of a
//! connection ever appears in a response or the server's log, even when the
//! hostile connector tries to leak it every way it knows.

use serde_json::json;

use crate::server_support::*;
use crate::support::*;

#[test]
fn no_secret_reaches_a_response_even_when_the_connector_leaks_it() {
    let server = ServerProc::start("server-secrets");
    hostile_connection(&server);
    let mut seen = Vec::new();
    for place in ["error", "panic", "body", "log", "stderr", "stdout"] {
        let r = server.post(
            "/api/connectors/hostile/operations/leak-secret/invoke",
            &json!({"connection": "h1", "input": {"where": place}}),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(
            !r.body.contains(SECRET),
            "leak-secret where={place} reached the response: {}",
            r.body
        );
        seen.push((
            place,
            r.json()["ok"].clone(),
            r.json()["error"]["category"].clone(),
        ));
    }
    // The body that holds the secret is refused whole, not passed on.
    assert_eq!(seen[2].1, false, "{seen:?}");
    assert_eq!(seen[2].2, "bad-output");
    // Dynamic values titled with the secret, and the input echoed back.
    let r = server.post(
        "/api/connectors/hostile/operations/pick/dynamic-values",
        &json!({"connection": "h1", "property": "choice", "input": {"mode": "leak-secret"}}),
    );
    assert!(!r.body.contains(SECRET), "{}", r.body);
    let r = server.post(
        "/api/connectors/hostile/operations/echo/invoke",
        &json!({"connection": "h1", "input": {"x": SECRET}}),
    );
    assert!(!r.body.contains(SECRET), "{}", r.body);
    for path in [
        "/api/connections",
        "/api/connections/h1",
        "/api/connectors",
        "/api/connectors/hostile",
        "/api/ready",
    ] {
        assert!(!server.get(path).body.contains(SECRET), "{path}");
    }
    // Nor the server's log.
    let log = server.stderr.lock().unwrap().clone();
    assert!(!log.contains(SECRET), "{log}");
    let code = server.stop();
    assert_eq!(code, 0);
}

#[test]
fn calls_without_the_token_from_foreign_hosts_or_origins_are_refused() {
    let server = ServerProc::start("server-guard");
    let origin = format!("http://{}", server.host());
    let h = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    // No token, a wrong one, a token in a cookie or the query.
    for path in [
        "/api/health",
        "/api/connectors",
        "/api/connections",
        "/api/openapi.json",
    ] {
        let r = server.send("GET", path, None, &[]);
        assert_eq!(r.status, 401, "{path}: {}", r.body);
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
        assert_eq!(
            server
                .send("GET", path, None, &h(&[("Authorization", "Bearer wrong")]))
                .status,
            401
        );
        let cookie = format!("token={}", server.token);
        assert_eq!(
            server
                .send("GET", path, None, &h(&[("Cookie", &cookie)]))
                .status,
            401
        );
        assert_eq!(
            server
                .send("GET", &format!("{path}?token={}", server.token), None, &[])
                .status,
            401
        );
    }
    let r = server.send(
        "POST",
        "/api/connectors/data/operations/hash/invoke",
        Some("{}"),
        &[],
    );
    assert_eq!(r.status, 401);

    // DNS rebinding: a foreign Host is refused, page and API alike.
    let mut with_token = server.auth();
    with_token.push((
        "Host".into(),
        format!("evil.example:{}", server.addr.port()),
    ));
    let r = server.send("GET", "/api/connectors", None, &with_token);
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (403, Some("bad-host"))
    );
    assert_eq!(
        server
            .send("GET", "/", None, &h(&[("Host", "evil.example")]))
            .status,
        403
    );
    for good in [
        format!("localhost:{}", server.addr.port()),
        format!("[::1]:{}", server.addr.port()),
    ] {
        let mut hd = server.auth();
        hd.push(("Host".into(), good.clone()));
        assert_eq!(
            server.send("GET", "/api/health", None, &hd).status,
            200,
            "{good}"
        );
    }

    // CSRF: a state-changing request from another origin is refused.
    let post = |extra: &[(&str, &str)]| {
        let mut hd = server.auth();
        hd.extend(h(extra));
        server.send(
            "POST",
            "/api/connectors/data/operations/hash/invoke",
            Some(r#"{"input":{"text":"a"}}"#),
            &hd,
        )
    };
    assert_eq!(post(&[("Origin", "http://evil.example")]).status, 403);
    assert_eq!(post(&[("Origin", "null")]).status, 403);
    assert_eq!(post(&[("Sec-Fetch-Site", "cross-site")]).status, 403);
    assert_eq!(post(&[("Origin", &origin)]).status, 200);
    assert_eq!(
        post(&[("Origin", &origin), ("Sec-Fetch-Site", "same-origin")]).status,
        200
    );
    // No CORS: nothing allows another origin to read answers.
    let pre = server.send(
        "OPTIONS",
        "/api/connectors",
        None,
        &h(&[
            ("Origin", "http://evil.example"),
            ("Access-Control-Request-Method", "GET"),
        ]),
    );
    assert!(
        pre.header("access-control-allow-origin").is_none(),
        "{pre:?}"
    );

    // The page: served without the token, under a CSP with no inline script.
    let page = server.send("GET", "/", None, &[]);
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("script-src 'self'")
            && !csp.contains("unsafe-inline")
            && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    for chunk in page.body.split("<script").skip(1) {
        let tag = chunk.split('>').next().unwrap();
        assert!(
            tag.contains("src="),
            "an inline script in the page: <script{tag}>"
        );
    }
    let js = server.send("GET", "/assets/app.js", None, &[]);
    assert_eq!(js.status, 200);
    assert!(
        js.header("content-type")
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(js.header("content-security-policy").is_some());
    assert_eq!(
        server.send("GET", "/assets/../token", None, &[]).status,
        404
    );
    assert!(!page.body.contains(&server.token) && !js.body.contains(&server.token));
}

#[test]
fn the_token_is_printed_once_and_other_addresses_need_public_and_tls() {
    let server = ServerProc::start("server-token");
    let first = server.stderr.lock().unwrap().clone();
    assert!(
        first.contains(&format!("#token={}", server.token)),
        "{first}"
    );
    let dir = server.dir.clone();
    let token = server.token.clone();
    assert_eq!(server.stop(), 0);
    let again = ServerProc::start_in(dir.clone(), &[]);
    assert_eq!(again.token, token, "the token survives restarts");
    let second = again.stderr.lock().unwrap().clone();
    assert!(!second.contains(&token), "printed again: {second}");
    assert!(second.contains("the API token is in"), "{second}");
    drop(again);

    let config = dir.join("host.toml");
    let run = cli(&[
        "serve",
        s(&config),
        "--listen",
        "0.0.0.0:0",
        "--state-dir",
        s(&dir.join("state")),
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("not a loopback address") && run.stderr.contains("--public"),
        "{run:?}"
    );
    let run = cli(&[
        "serve",
        s(&config),
        "--listen",
        "0.0.0.0:0",
        "--public",
        "--state-dir",
        s(&dir.join("state")),
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("without TLS"), "{run:?}");
    let junk = dir.join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let run = cli(&[
        "serve",
        s(&config),
        "--listen",
        "0.0.0.0:0",
        "--public",
        "--tls-cert",
        s(&junk),
        "--tls-key",
        s(&junk),
        "--state-dir",
        s(&dir.join("state")),
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("TLS"), "{run:?}");
    // A token file others can read is refused rather than used.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            dir.join("state/token"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        let run = cli(&[
            "serve",
            s(&config),
            "--listen",
            "127.0.0.1:0",
            "--state-dir",
            s(&dir.join("state")),
        ]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(run.stderr.contains("readable by other users"), "{run:?}");
    }
}

#[test]
fn tls_with_certificate_files() {
    let server = ServerProc::start("server-tls-config");
    let dir = server.dir.clone();
    drop(server);
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl (Debian package openssl) makes the test certificate");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    // 127.0.0.1 is loopback, so --public is not needed; TLS still applies.
    let tls = ServerProc::start_tls(dir, &cert, &key);
    let out = std::process::Command::new("curl")
        .args(["-sS", "--max-time", "20", "--cacert"])
        .arg(&cert)
        .args(["-H", &format!("Authorization: Bearer {}", tls.token)])
        .arg(format!("https://localhost:{}/api/health", tls.addr.port()))
        .output()
        .expect("curl");
    let body = String::from_utf8_lossy(&out.stdout);
    assert!(
        body.contains("\"status\":\"ok\""),
        "{body} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Plain HTTP to the TLS port gets no API answer.
    let plain = std::process::Command::new("curl")
        .args(["-sS", "--max-time", "5"])
        .arg(format!("http://127.0.0.1:{}/api/health", tls.addr.port()))
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&plain.stdout).contains("status"));
}
