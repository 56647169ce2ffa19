//! The page in a real headless Chromium (Debian's `chromium` and
//! `chromium-driver`, installed by `scripts/install-chromium.sh`), driven
//! over WebDriver with fantoccini: open the catalog, open the `data`
//! connector and its `hash` operation, fill the generated form, Run, and see
//! the body; a bad input to `json-select` shows the host's error beside its
//! field; a connection with a masked secret is saved and tested. Each page
//! is saved as a screenshot under `target/screenshots/`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::server_support::*;
use crate::support::*;

/// chromedriver on a free loopback port, stopped on drop.
pub struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    pub fn start() -> Self {
        let missing = ["chromium", "chromedriver"].iter().find(|b| {
            Command::new("sh")
                .args(["-c", &format!("command -v {b}")])
                .output()
                .map(|o| !o.status.success())
                .unwrap_or(true)
        });
        assert!(
            missing.is_none(),
            "{} is not installed; run scripts/install-chromium.sh (apt-get install chromium chromium-driver)",
            missing.unwrap()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("chromedriver")
            .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "chromedriver did not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn screenshots() -> PathBuf {
    let dir = repo().join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub async fn browser(driver: &Driver, profile: &std::path::Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,1000",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session in chromium")
}

pub async fn wait_css(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css} on the page: {e}"))
}

pub async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(screenshots().join(name), png).unwrap();
}

/// Waits until the element's text satisfies `ok` (at most 20 s).
pub async fn wait_text(c: &Client, css: &str, ok: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    loop {
        if let Ok(e) = c.find(Locator::Css(css)).await
            && let Ok(t) = e.text().await
            && ok(&t)
        {
            return t;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{css} never showed the expected text"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[test]
fn the_page_runs_an_operation_from_its_generated_form() {
    let server = ServerProc::start("server-browser");
    let driver = Driver::start();
    let profile = scratch("chromium-profile");
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tokio.block_on(async {
        let c = browser(&driver, &profile).await;
        // The catalog, with the token taken from the fragment.
        c.goto(&server.url_with_token()).await.unwrap();
        wait_css(&c, "#catalog [data-connector=data]").await;
        let url = c.current_url().await.unwrap();
        assert!(
            !url.as_str().contains("token"),
            "the token stays in the address bar: {url}"
        );
        let cards = c
            .find_all(Locator::Css("#catalog .connector"))
            .await
            .unwrap();
        assert_eq!(cards.len(), 3);
        let card = c
            .find(Locator::Css("[data-connector=data]"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            card.contains("Data Operations")
                && card.contains("v0.1.0")
                && card.contains("contract"),
            "{card}"
        );
        shot(&c, "catalog.png").await;

        // The connector: important operations, advanced behind a toggle.
        c.find(Locator::Css("[data-connector=data]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_css(&c, "#important [data-operation=hash]").await;
        shot(&c, "connector-data.png").await;

        // The hash operation: fill the generated form and Run.
        c.find(Locator::Css("[data-operation=hash]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let text = wait_css(&c, "#field_text").await;
        text.send_keys("hello").await.unwrap();
        let algorithm = c.find(Locator::Css("#field_algorithm")).await.unwrap();
        assert_eq!(
            algorithm.tag_name().await.unwrap(),
            "select",
            "an enum is a select"
        );
        algorithm.select_by_label("sha256").await.unwrap();
        let required = c
            .find(Locator::Css("[data-pointer='/text'] .required"))
            .await;
        assert!(required.is_ok(), "the required mark is shown");
        let tokens = c
            .find(Locator::Css("#tokens"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(tokens.contains("?['digest']"), "{tokens}");
        c.find(Locator::Css("#run"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let body = wait_text(&c, "#result-body", |t| t.contains("digest")).await;
        assert!(
            body.contains("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
            "{body}"
        );
        assert_eq!(
            c.find(Locator::Css("#result-status"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
            "200"
        );
        shot(&c, "operation-hash-result.png").await;

        // A bad input: the host's error is shown beside the field.
        c.goto(&format!("http://{}/#/c/data/op/json-select", server.host()))
            .await
            .unwrap();
        let document = wait_css(&c, "#field_document").await;
        document.send_keys(r#"{"a": [1, 2]}"#).await.unwrap();
        c.find(Locator::Css("#field_pointer"))
            .await
            .unwrap()
            .send_keys("not-a-pointer")
            .await
            .unwrap();
        c.find(Locator::Css("#run"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let error = wait_text(&c, "[data-error-for='/pointer']", |t| !t.is_empty()).await;
        assert!(error.contains("does not match"), "{error}");
        let kind = c
            .find(Locator::Css("#result-error-kind"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(kind, "invalid-input");
        shot(&c, "operation-bad-input.png").await;
        // Fixed, it runs.
        let pointer = c.find(Locator::Css("#field_pointer")).await.unwrap();
        pointer.clear().await.unwrap();
        pointer.send_keys("/a/1").await.unwrap();
        c.find(Locator::Css("#run"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let body = wait_text(&c, "#result-body", |t| t.contains("found")).await;
        assert!(body.contains("\"value\": 2"), "{body}");
        assert!(
            c.find(Locator::Css("[data-error-for='/pointer']"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
                .is_empty()
        );

        // A form with numbers, booleans and defaults: csv-to-json.
        c.goto(&format!("http://{}/#/c/data/op/csv-to-json", server.host()))
            .await
            .unwrap();
        wait_css(&c, "#field_csv")
            .await
            .send_keys("a,b\n1,2")
            .await
            .unwrap();
        let header = c.find(Locator::Css("#field_header")).await.unwrap();
        assert_eq!(
            header.attr("type").await.unwrap().as_deref(),
            Some("checkbox")
        );
        assert!(
            header.is_selected().await.unwrap(),
            "the default true is checked"
        );
        c.find(Locator::Css("#run"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let body = wait_text(&c, "#result-body", |t| t.contains("rows")).await;
        assert!(body.contains("\"a\": \"1\""), "{body}");
        shot(&c, "operation-csv-result.png").await;

        // Advanced operations wait behind a toggle.
        c.goto(&format!("http://{}/#/c/files", server.host()))
            .await
            .unwrap();
        wait_css(&c, "#important [data-operation]").await;
        let advanced = c.find(Locator::Css("#advanced")).await.unwrap();
        assert!(
            !advanced.is_displayed().await.unwrap(),
            "advanced operations are hidden at first"
        );
        c.find(Locator::Css("#toggle-advanced"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        assert!(advanced.is_displayed().await.unwrap());
        assert!(
            !advanced
                .find_all(Locator::Css("[data-operation]"))
                .await
                .unwrap()
                .is_empty()
        );
        shot(&c, "connector-files-advanced.png").await;

        // A polling trigger: a number with bounds, a connection, Poll once.
        std::fs::write(server.dir.join("inbox/seen.txt"), "x").unwrap();
        c.goto(&format!(
            "http://{}/#/c/files/op/file-added-or-changed",
            server.host()
        ))
        .await
        .unwrap();
        let max = wait_css(&c, "#field_max_items").await;
        assert_eq!(max.attr("type").await.unwrap().as_deref(), Some("number"));
        assert_eq!(max.attr("min").await.unwrap().as_deref(), Some("1"));
        c.find(Locator::Css("#connection"))
            .await
            .unwrap()
            .select_by_value("inbox")
            .await
            .unwrap();
        c.find(Locator::Css("#run"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let body = wait_text(&c, "#result-body", |t| t.contains("items")).await;
        assert!(body.contains("seen.txt"), "{body}");
        shot(&c, "trigger-poll-result.png").await;

        // Connections: a secret field is masked; save, then test.
        c.goto(&format!("http://{}/#/connections", server.host()))
            .await
            .unwrap();
        let select = wait_css(&c, "#new-connector").await;
        select.select_by_value("hostile").await.unwrap();
        let secret = wait_css(&c, "#param-token").await;
        assert_eq!(
            secret.attr("type").await.unwrap().as_deref(),
            Some("password")
        );
        c.find(Locator::Css("#new-name"))
            .await
            .unwrap()
            .send_keys("from-page")
            .await
            .unwrap();
        secret.send_keys("page-secret-value-123").await.unwrap();
        shot(&c, "connections-form.png").await;
        c.find(Locator::Css("#save-connection"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_css(&c, "[data-connection=from-page]").await;
        c.find(Locator::Css("[data-test=from-page]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let result = wait_text(&c, "[data-connection=from-page] .test-result", |t| {
            t.contains("works") || t.contains(":")
        })
        .await;
        assert!(result.contains("connection works"), "{result}");
        let page = c.source().await.unwrap();
        assert!(
            !page.contains("page-secret-value-123"),
            "the secret came back to the page"
        );
        shot(&c, "connections.png").await;

        // Without the token (a fresh session), the page asks for it.
        c.execute("sessionStorage.clear()", vec![]).await.unwrap();
        c.goto(&format!("http://{}/", server.host())).await.unwrap();
        c.refresh().await.unwrap();
        wait_css(&c, "#token-input").await;
        shot(&c, "token-needed.png").await;
        c.close().await.unwrap();
    });
    let stored = std::fs::read_to_string(server.state.join("connections.json")).unwrap();
    assert!(stored.contains("from-page"));
}

/// The form generator on a schema with every kind of field the examples
/// do not have (nested objects, arrays of items, date-time, bounds, a
/// free-form JSON value), loaded from the served `form.js` into the page.
#[test]
fn the_form_generator_covers_nested_objects_arrays_and_formats() {
    let server = ServerProc::start("server-form");
    let driver = Driver::start();
    let profile = scratch("chromium-profile");
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tokio.block_on(async {
        let c = browser(&driver, &profile).await;
        c.goto(&server.url_with_token()).await.unwrap();
        wait_css(&c, "#catalog").await;
        let schema = json!({
            "type": "object",
            "required": ["name", "when", "tags", "count"],
            "properties": {
                "name": {"type": "string", "maxLength": 40, "description": "Who."},
                "when": {"type": "string", "format": "date-time"},
                "count": {"type": "integer", "minimum": 1, "maximum": 10, "default": 3},
                "ratio": {"type": "number"},
                "enabled": {"type": "boolean", "default": false},
                "address": {"type": "object", "required": ["city"], "properties": {
                    "city": {"type": "string", "maxLength": 50},
                    "zip": {"type": "string", "maxLength": 10}}},
                "tags": {"type": "array", "items": {"type": "string", "maxLength": 20}},
                "mode": {"enum": ["a", "b"]},
                "extra": {"description": "Anything."}
            }
        });
        c.execute_async(
            "const [schema, done] = arguments; import('/assets/form.js').then((m) => { \
             const f = m.buildForm(schema); document.getElementById('main').replaceChildren(f.node); \
             window.generated = f; done(true); }, (e) => done(String(e)));",
            vec![schema],
        )
        .await
        .unwrap();
        wait_css(&c, "#field_name").await.send_keys("Ada").await.unwrap();
        assert_eq!(c.find(Locator::Css("#field_when")).await.unwrap().attr("type").await.unwrap().as_deref(), Some("datetime-local"));
        c.execute("document.getElementById('field_when').value = '2026-03-01T09:30';", vec![]).await.unwrap();
        let count = c.find(Locator::Css("#field_count")).await.unwrap();
        assert_eq!(count.attr("max").await.unwrap().as_deref(), Some("10"));
        assert_eq!(count.prop("value").await.unwrap().as_deref(), Some("3"), "the default is filled in");
        c.find(Locator::Css("#field_address_city")).await.unwrap().send_keys("Oslo").await.unwrap();
        c.find(Locator::Css("#field_tags-add")).await.unwrap().click().await.unwrap();
        c.find(Locator::Css("#field_tags-add")).await.unwrap().click().await.unwrap();
        c.find(Locator::Css("#field_tags_0")).await.unwrap().send_keys("x").await.unwrap();
        c.find(Locator::Css("#field_tags_1")).await.unwrap().send_keys("y").await.unwrap();
        c.find(Locator::Css("#field_extra")).await.unwrap().send_keys(r#"{"k": 1}"#).await.unwrap();
        assert_eq!(c.find(Locator::Css("#field_mode")).await.unwrap().tag_name().await.unwrap(), "select");
        shot(&c, "form-generator.png").await;
        let value = c.execute("return JSON.stringify(window.generated.collect());", vec![]).await.unwrap();
        let value: serde_json::Value = serde_json::from_str(value.as_str().unwrap()).unwrap();
        assert_eq!(value, json!({
            "name": "Ada", "when": "2026-03-01T09:30:00Z", "count": 3, "enabled": false,
            "address": {"city": "Oslo"}, "tags": ["x", "y"], "extra": {"k": 1}
        }));
        // A required number left empty, and JSON that is not: errors beside the fields.
        count.clear().await.unwrap();
        c.find(Locator::Css("#field_extra")).await.unwrap().send_keys("}").await.unwrap();
        let thrown = c
            .execute("try { window.generated.collect(); return 'no error'; } catch (e) { return e.errors.map((x) => x.pointer).join(','); }", vec![])
            .await
            .unwrap();
        assert_eq!(thrown.as_str(), Some("/count,/extra"));
        let beside = c.find(Locator::Css("[data-error-for='/count']")).await.unwrap().text().await.unwrap();
        assert!(beside.contains("required"), "{beside}");
        let beside = c.find(Locator::Css("[data-error-for='/extra']")).await.unwrap().text().await.unwrap();
        assert!(beside.contains("not JSON"), "{beside}");
        shot(&c, "form-generator-errors.png").await;
        c.close().await.unwrap();
    });
}
