//! Helpers of the workflow project tests: an example project copied into a scratch folder
//! (its components pointed at the built guests), the run history read through the CLI, and
//! the journal read straight from the state file as another process would.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::support::*;

/// A workflow project in a scratch folder.
pub struct FlowProject {
    pub dir: PathBuf,
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "state" {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        if src.is_dir() {
            copy_dir(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

impl FlowProject {
    /// A copy of `examples/<name>` whose components are the built guests.
    pub fn example(label: &str, name: &str) -> Self {
        let dir = scratch(label).join(name);
        copy_dir(&repo().join("examples").join(name), &dir);
        let host = dir.join("host.toml");
        let text = std::fs::read_to_string(&host).unwrap();
        for guest_name in ["example_files", "example_data", "example_tasks"] {
            // Fails with the command that builds it when a guest the project names is missing.
            if text.contains(guest_name) {
                guest(guest_name);
            }
        }
        let built = repo().join("target/wasm32-wasip2/release/");
        let text = text.replace("../../target/wasm32-wasip2/release/", s(&built));
        std::fs::write(&host, text).unwrap();
        Self { dir }
    }

    /// An empty project with these files (`path` -> text); `@FILES@` and `@DATA@` in them
    /// are the built `files` and `data` components.
    pub fn with_files(label: &str, files: &[(&str, &str)]) -> Self {
        let dir = scratch(label);
        for (path, text) in files {
            let text = text
                .replace("@FILES@", s(&guest("example_files")))
                .replace("@DATA@", s(&guest("example_data")));
            let p = dir.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        Self { dir }
    }

    /// The folder as a CLI argument.
    pub fn arg(&self) -> &str {
        s(&self.dir)
    }

    /// Replaces `from` with `to` in `host.toml`.
    pub fn edit_host_toml(&self, from: &str, to: &str) {
        let path = self.dir.join("host.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "host.toml has no {from:?}");
        std::fs::write(path, text.replace(from, to)).unwrap();
    }

    /// `runs <project> --json`.
    pub fn runs(&self) -> Vec<Value> {
        let r = cli(&["runs", self.arg(), "--json", "--limit", "0"]);
        assert_eq!(r.code, 0, "{r:?}");
        serde_json::from_str::<Value>(&r.stdout)
            .unwrap()
            .as_array()
            .cloned()
            .unwrap()
    }

    /// `runs show <project> RUN --json`.
    pub fn show(&self, run: &str) -> Value {
        let r = cli(&["runs", "show", self.arg(), run, "--json"]);
        assert_eq!(r.code, 0, "{r:?}");
        serde_json::from_str(&r.stdout).unwrap()
    }

    /// The state file.
    pub fn state_file(&self) -> PathBuf {
        self.dir.join("state/state.db")
    }

    /// Every journal entry of every run, read with SQLite as another process would:
    /// (run id, entry).
    pub fn journal(&self) -> Vec<(String, Value)> {
        self.try_journal().expect("the journal table exists")
    }

    /// [`Self::journal`], or `None` while the host has not created its tables yet.
    pub fn try_journal(&self) -> Option<Vec<(String, Value)>> {
        let conn = rusqlite::Connection::open(self.state_file()).ok()?;
        let mut stmt = conn
            .prepare("SELECT run_id, entry FROM flow_journal ORDER BY run_id, seq")
            .ok()?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .ok()?;
        let mut out = Vec::new();
        for r in rows {
            let (id, text) = r.ok()?;
            out.push((id, serde_json::from_str(&text).unwrap()));
        }
        Some(out)
    }

    /// Starts `connector-host run <project>` in the background, with `env`; its standard
    /// error goes to `host.log` beside the project.
    pub fn spawn_run(&self, env: &[(&str, &str)]) -> Child {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.with_extension("log"))
            .unwrap();
        let mut c = Command::new(env!("CARGO_BIN_EXE_connector-host"));
        c.arg("run")
            .arg(&self.dir)
            .env("CONNECTOR_HOST_CACHE_DIR", shared_cache_dir())
            .env_remove("CONNECTOR_HOST_LOG")
            .stdout(Stdio::null())
            .stderr(log);
        for (k, v) in env {
            c.env(k, v);
        }
        c.spawn().expect("start connector-host run")
    }

    /// What the hosts started by [`Self::spawn_run`] wrote to standard error.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.with_extension("log")).unwrap_or_default()
    }
}

pub use crate::support::free_port;

/// The `step_finished` entries of `run`'s journal whose step ends with `/name` or is `name`.
pub fn finished_steps<'a>(journal: &'a [(String, Value)], run: &str, name: &str) -> Vec<&'a Value> {
    journal
        .iter()
        .filter(|(id, e)| id == run && e["entry"] == "step_finished")
        .map(|(_, e)| e)
        .filter(|e| {
            let step = e["step"].as_str().unwrap_or("");
            step == name || step.ends_with(&format!("/{name}"))
        })
        .collect()
}
