//! The designer and the monitor in a real headless Chromium, against `serve <project dir>`
//! on 127.0.0.1 with the real `data` connector: open the workflow list, create a workflow,
//! add two steps (render a template from the trigger body, then hash the first step's text,
//! picked as a token from its output schema), Save with a bad literal (its error is shown
//! beside the field), fix it, Save, Start with a trigger body, and see the run, its actions'
//! inputs and outputs in the monitor; then the list of runs and the triggers. Screenshots of
//! each page go to `target/screenshots/`.

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use serde_json::Value;

use crate::server_browser::{Driver, browser, shot, wait_css, wait_text};
use crate::server_support::ServerProc;
use crate::support::*;
use crate::workflows_support::FlowProject;

const HOST_TOML: &str = r#"
[host]
state = "state/state.db"

[workflows]
listen = "127.0.0.1:0"

[[connector]]
name = "data"
component = "@DATA@"
service_provider = "/serviceProviders/data"
"#;

const CONNECTIONS: &str = r#"{
  "serviceProviderConnections": {
    "data": { "displayName": "Data transforms", "parameterValues": {},
              "serviceProvider": { "id": "/serviceProviders/data" } }
  }
}"#;

/// A workflow that is there from the start, so that the list is not empty.
const EXISTING: &str = r#"{"definition": {
  "triggers": {"manual": {"type": "Request", "kind": "Http"}},
  "actions": {"Compose": {"type": "Compose", "inputs": "@triggerBody()", "runAfter": {}}}
}}"#;

async fn find(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
}

async fn click(c: &Client, css: &str) {
    find(c, css).await.click().await.unwrap();
}

async fn select(c: &Client, css: &str, value: &str) {
    // The options of a select may arrive after the API answers. The option is clicked (as a
    // person picks it): a value with quotes, such as a token, is beyond `select_by_value`.
    let option = wait_css(c, &format!("{css} option[value=\"{value}\"]")).await;
    option.click().await.unwrap();
}

async fn type_into(c: &Client, css: &str, text: &str) {
    let e = find(c, css).await;
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

/// Fills step `i` as a call of `op` through the `data` connection, named `name`.
async fn step(c: &Client, i: usize, name: &str, op: &str) -> String {
    let at = format!("li.step[data-index=\"{i}\"]");
    wait_css(c, &format!("{at} .step-name")).await;
    type_into(c, &format!("{at} .step-name"), name).await;
    select(c, &format!("{at} .step-connection"), "data").await;
    select(c, &format!("{at} .step-operation"), op).await;
    at
}

#[test]
fn a_two_step_workflow_is_designed_saved_started_and_watched() {
    let p = FlowProject::with_files(
        "serve-designer",
        &[
            ("host.toml", HOST_TOML),
            ("connections.json", CONNECTIONS),
            ("existing/workflow.json", EXISTING),
        ],
    );
    let server = ServerProc::start_project(p.dir.clone(), &[]);
    let driver = Driver::start();
    let profile = scratch("chromium-profile-designer");
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tokio.block_on(async {
        let c = browser(&driver, &profile).await;
        c.goto(&server.url_with_token()).await.unwrap();
        wait_css(&c, "#catalog").await;
        click(&c, "a[data-nav=workflows]").await;
        wait_css(&c, "#workflows tr[data-workflow=existing]").await;
        shot(&c, "designer-workflows.png").await;

        // A new workflow with two steps.
        type_into(&c, "#new-workflow-name", "greet-and-hash").await;
        click(&c, "#create-workflow").await;
        wait_css(&c, "#add-step").await;
        click(&c, "#add-step").await;
        let first = step(&c, 0, "Render", "render-template").await;
        let template = format!("{first} [data-input=template] textarea");
        wait_css(&c, &template).await;
        type_into(&c, &template, "Hello {{name}}").await;
        // A bad literal first: `values` must be an object.
        type_into(
            &c,
            &format!("{first} [data-input=values] textarea"),
            "[1, 2]",
        )
        .await;
        click(&c, "#add-step").await;
        let second = step(&c, 1, "Hash", "hash").await;
        wait_css(&c, &format!("{second} [data-input=text] .input-mode")).await;
        select(
            &c,
            &format!("{second} [data-input=text] .input-mode"),
            "token",
        )
        .await;
        select(
            &c,
            &format!("{second} [data-input=text] .token-pick"),
            "body('Render')?['text']",
        )
        .await;
        let tokens = find(&c, &format!("{second} [data-input=text] .token-pick"))
            .await
            .text()
            .await
            .unwrap();
        assert!(tokens.contains("triggerBody()"), "{tokens}");
        click(&c, "#save").await;
        let shown = wait_text(
            &c,
            &format!("{first} [data-input=values] .field-error"),
            |t| t.contains("object"),
        )
        .await;
        assert!(shown.contains("object"), "{shown}");
        wait_css(&c, "#save-error").await;
        assert!(
            !p.dir.join("greet-and-hash/workflow.json").exists(),
            "a refused workflow is not written"
        );
        shot(&c, "designer-error.png").await;

        // Fixed, saved, started.
        type_into(
            &c,
            &format!("{first} [data-input=values] textarea"),
            "{\"name\": \"@triggerBody()?['name']\"}",
        )
        .await;
        click(&c, "#save").await;
        wait_css(&c, "#save-ok").await;
        shot(&c, "designer-saved.png").await;
        let saved: Value = serde_json::from_str(
            &std::fs::read_to_string(p.dir.join("greet-and-hash/workflow.json")).unwrap(),
        )
        .unwrap();
        let actions = &saved["definition"]["actions"];
        assert_eq!(
            actions["Hash"]["inputs"]["parameters"]["text"],
            "@body('Render')?['text']"
        );
        assert_eq!(actions["Hash"]["runAfter"]["Render"][0], "Succeeded");
        assert_eq!(
            actions["Render"]["inputs"]["parameters"]["template"],
            "Hello {{name}}"
        );
        type_into(&c, "#start-body", "{\"name\": \"Ada\"}").await;
        click(&c, "#start").await;

        // The monitor: the run and its actions.
        wait_css(&c, "#run .pill[data-status=Succeeded]").await;
        let outputs = wait_text(&c, "[data-action=Render] .action-outputs", |t| {
            t.contains("Hello Ada")
        })
        .await;
        assert!(outputs.contains("text"), "{outputs}");
        let inputs = find(&c, "[data-action=Hash] .action-inputs")
            .await
            .text()
            .await
            .unwrap();
        assert!(inputs.contains("Hello Ada"), "{inputs}");
        let digest = find(&c, "[data-action=Hash] .action-outputs")
            .await
            .text()
            .await
            .unwrap();
        assert!(digest.contains("digest"), "{digest}");
        shot(&c, "monitor-run.png").await;

        // Resubmit from the monitor: a new run of the same body.
        let first_run = find(&c, "#run-id").await.text().await.unwrap();
        click(&c, "#resubmit").await;
        let started = Instant::now();
        loop {
            let id = find(&c, "#run-id").await.text().await.unwrap_or_default();
            if !id.is_empty() && id != first_run {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no resubmitted run"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        wait_css(&c, "#run .pill[data-status=Succeeded]").await;

        // The list of runs and the triggers.
        click(&c, "a[data-nav=runs]").await;
        wait_css(&c, &format!("#runs tr[data-run=\"{first_run}\"]")).await;
        let triggers = wait_text(&c, "#triggers", |t| t.contains("greet-and-hash")).await;
        assert!(triggers.contains("listening"), "{triggers}");
        shot(&c, "monitor-runs.png").await;
        c.close().await.unwrap();
    });
}
