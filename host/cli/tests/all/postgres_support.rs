//! A private PostgreSQL for the tests: a new cluster in a temporary folder,
//! listening on 127.0.0.1 only, on a free port, with password (SCRAM)
//! authentication; stopped and deleted when dropped.
//!
//! Debian's `postgresql` package gives the binaries (`scripts/test-services.sh`
//! installs it). PostgreSQL refuses to run as root, so as root the cluster
//! runs as the `postgres` user the package creates (through `runuser`).

use crate::support::free_port;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The superuser of the test cluster and its password.
pub const PG_USER: &str = "connector";
pub const PG_PASSWORD: &str = "pg-test-Secret-93";

/// A running test cluster.
pub struct PgCluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    server: Option<Child>,
}

fn pg_bin() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("postgres").exists() && b.join("initdb").exists())
        .collect();
    found.sort_by_key(|b| {
        b.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    found.pop().unwrap_or_else(|| {
        panic!(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/postgres); run \
             scripts/test-services.sh (it installs Debian's postgresql)"
        )
    })
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A command that runs `program` as the cluster's owner.
fn as_owner(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

impl PgCluster {
    /// Creates and starts a cluster; waits (at most 30 s) until it accepts
    /// connections.
    pub fn start(label: &str) -> Self {
        let bin = pg_bin();
        let dir = std::env::temp_dir().join(format!(
            "connector-pg-{label}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let pwfile = dir.join("pw");
        std::fs::write(&pwfile, PG_PASSWORD).unwrap();
        if is_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .unwrap();
            assert!(status.success(), "chown the cluster folder to postgres");
        }
        let out = as_owner(&bin.join("initdb"))
            .arg("-D")
            .arg(dir.join("data"))
            .args([
                "-U",
                PG_USER,
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--no-sync",
            ])
            .arg(format!("--pwfile={}", pwfile.display()))
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut cluster = Self {
            dir,
            bin,
            port: 0,
            server: None,
        };
        // A port found free may be taken before the server binds it: retry.
        for _ in 0..5 {
            let port = free_port();
            let log = std::fs::File::create(cluster.dir.join("server.log")).unwrap();
            let child = as_owner(&cluster.bin.join("postgres"))
                .arg("-D")
                .arg(cluster.dir.join("data"))
                .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
                .arg("-k")
                .arg(&cluster.dir)
                .args(["-c", "max_connections=200"])
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("start postgres");
            cluster.server = Some(child);
            cluster.port = port;
            if cluster.wait_ready() {
                return cluster;
            }
            cluster.stop();
        }
        panic!("PostgreSQL did not start: {}", cluster.log());
    }

    fn wait_ready(&mut self) -> bool {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            if let Some(Some(_)) = self.server.as_mut().map(|c| c.try_wait().unwrap()) {
                return false;
            }
            let ready = Command::new(self.bin.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q"])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if ready {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// The server's log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// Creates the database `name`; returns its URL (without the password,
    /// which clients take from `PGPASSWORD`).
    pub fn database(&self, name: &str) -> String {
        let out = self
            .psql("postgres")
            .arg("-c")
            .arg(format!("CREATE DATABASE \"{name}\""))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "CREATE DATABASE {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.url(name)
    }

    /// The URL of database `name`, without the password.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://{PG_USER}@127.0.0.1:{}/{name}", self.port)
    }

    fn psql(&self, database: &str) -> Command {
        let mut c = Command::new(self.bin.join("psql"));
        c.arg(self.url(database))
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .env("PGPASSWORD", PG_PASSWORD)
            .env_remove("PGPASSFILE");
        c
    }

    /// Runs `sql` in `database`; returns the rows, one line each, fields
    /// separated by `|`.
    pub fn query(&self, database: &str, sql: &str) -> Vec<String> {
        self.try_query(database, sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// [`PgCluster::query`], or the error (a table no host created yet).
    pub fn try_query(&self, database: &str, sql: &str) -> Result<Vec<String>, String> {
        let out = self.psql(database).arg("-c").arg(sql).output().unwrap();
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect())
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.server.take() {
            let _ = as_owner(&self.bin.join("pg_ctl"))
                .arg("-D")
                .arg(self.dir.join("data"))
                .args(["stop", "-m", "immediate", "-w", "-t", "10"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
