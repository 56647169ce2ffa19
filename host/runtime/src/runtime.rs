//! The [`Runtime`]: one engine, one linker, one compiled-component cache,
//! shared by every connector the host loads.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Result;
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::{Component, Linker};

use crate::bindings;
use crate::cache::{ComponentCache, Origin};
use crate::connector::Connector;
use crate::description::Problem;
use crate::engine::{self, EngineOptions, EpochTicker};
use crate::error::LoadError;
use crate::loader;
use crate::state::{HostState, LogSink, TracingSink};

pub use crate::connector::Inspection;
pub use crate::options::{ConnectorOptions, LoadReport};

/// How the runtime is set up.
pub struct RuntimeOptions {
    /// Where compiled components are cached; `None` compiles every time.
    pub cache_dir: Option<PathBuf>,
    /// Where guest log records go.
    pub log_sink: Arc<dyn LogSink>,
    /// Fuel metering and the instance allocator (see [`EngineOptions`]).
    pub engine: EngineOptions,
    /// Told about loads that take long (a first compile); `None` says nothing.
    pub load_progress: Option<Arc<dyn crate::progress::LoadProgress>>,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        Self {
            cache_dir: ComponentCache::default_dir(),
            log_sink: Arc::new(TracingSink),
            engine: EngineOptions::default(),
            load_progress: None,
        }
    }
}

/// The host runtime.
pub struct Runtime {
    engine: Engine,
    linker: Linker<HostState>,
    cache: Option<ComponentCache>,
    log_sink: Arc<dyn LogSink>,
    ticker: Arc<EpochTicker>,
    engine_options: EngineOptions,
    load_progress: Option<Arc<dyn crate::progress::LoadProgress>>,
    /// Components this runtime has compiled or loaded, by the SHA-256 of
    /// their bytes, so that loading the same connector again (another
    /// trigger, other options) shares its compiled code instead of mapping
    /// another copy: about 0.6-1 MB resident per load of a Rust connector
    /// (`BENCHMARKS.md`, figure 9). They stay loaded for the runtime's
    /// life; a runtime sees few distinct components.
    components: Mutex<HashMap<[u8; 32], Component>>,
}

impl Runtime {
    /// Creates the engine, links the host's imports and starts the epoch ticker.
    pub fn new(options: RuntimeOptions) -> Result<Self> {
        let engine = engine::new_engine_for(&options.engine)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(|e| anyhow::anyhow!("linking WASI: {e}"))?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_sync(&mut linker)
            .map_err(|e| anyhow::anyhow!("linking wasi:http: {e}"))?;
        crate::deadline::add_to_linker(&mut linker)
            .map_err(|e| anyhow::anyhow!("linking the deadline-bounded clock: {e}"))?;
        crate::waits::add_to_linker(&mut linker)
            .map_err(|e| anyhow::anyhow!("linking the deadline-bounded waits: {e}"))?;
        crate::capabilities::symlinks::add_to_linker(&mut linker)
            .map_err(|e| anyhow::anyhow!("linking the symlink check: {e}"))?;
        bindings::add_to_linker(&mut linker)
            .map_err(|e| anyhow::anyhow!("linking the contract's imports: {e}"))?;
        let ticker = EpochTicker::start(&engine)?;
        Ok(Self {
            engine,
            linker,
            cache: options.cache_dir.map(ComponentCache::new),
            log_sink: options.log_sink,
            ticker: Arc::new(ticker),
            engine_options: options.engine,
            load_progress: options.load_progress,
            components: Mutex::new(HashMap::new()),
        })
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// How the engine was set up.
    pub fn engine_options(&self) -> &EngineOptions {
        &self.engine_options
    }

    /// The compiled-component cache, if any.
    pub fn cache(&self) -> Option<&ComponentCache> {
        self.cache.as_ref()
    }

    /// Loads a connector whose description must be free of problems.
    pub fn load(&self, path: &Path, options: ConnectorOptions) -> Result<Connector, LoadError> {
        let inspection = self.inspect(path, options)?;
        if !inspection.problems.is_empty() {
            return Err(LoadError::Description {
                path: path.to_path_buf(),
                problems: inspection.problems,
            });
        }
        Ok(inspection.connector)
    }

    /// Loads a connector and reports the problems of its description
    /// instead of failing on them (what `validate` needs).
    pub fn inspect(&self, path: &Path, options: ConnectorOptions) -> Result<Inspection, LoadError> {
        for grant in &options.grants.dirs {
            grant.check().map_err(LoadError::Grant)?;
        }
        if let Some(pool) = &self.engine_options.pooling {
            let limits = &options.limits;
            if limits.max_memory_bytes > pool.max_memory_bytes
                || limits.max_table_elements > pool.max_table_elements
            {
                return Err(LoadError::Grant(anyhow::anyhow!(
                    "{}: its limits (memory {} bytes, tables {} elements) exceed the \
                     pooling allocator's slots (memory {} bytes, tables {} elements); \
                     lower the limits or size the pool to them",
                    path.display(),
                    limits.max_memory_bytes,
                    limits.max_table_elements,
                    pool.max_memory_bytes,
                    pool.max_table_elements
                )));
            }
        }
        let bytes = loader::read(path)?;
        loader::check_header(path, &bytes)?;
        let started = std::time::Instant::now();
        let digest: [u8; 32] = Sha256::digest(&bytes).into();
        let known = self
            .components
            .lock()
            .ok()
            .and_then(|c| c.get(&digest).cloned());
        // Only a compile is slow: not code this runtime holds, nor a cache entry.
        let compiling = known.is_none()
            && self.load_progress.is_some()
            && self
                .cache
                .as_ref()
                .is_none_or(|c| !c.entry_path(&self.engine, &bytes).exists());
        let watch = self
            .load_progress
            .clone()
            .filter(|_| compiling)
            .map(|p| crate::progress::Watch::start(p, path, bytes.len()));
        let loaded = match (known, &self.cache) {
            // Loaded before by this runtime: share its compiled code.
            (Some(component), _) => Ok(crate::cache::Loaded {
                component,
                origin: Origin::Cache,
                elapsed: started.elapsed(),
                cache_warnings: Vec::new(),
            }),
            (None, Some(cache)) => cache.load_or_compile(&self.engine, &bytes),
            (None, None) => {
                let start = std::time::Instant::now();
                wasmtime::component::Component::from_binary(&self.engine, &bytes).map(|component| {
                    crate::cache::Loaded {
                        component,
                        origin: Origin::Compiled,
                        elapsed: start.elapsed(),
                        cache_warnings: Vec::new(),
                    }
                })
            }
        }
        .map_err(|e| LoadError::Invalid {
            path: path.to_path_buf(),
            message: first_line(&format!("{e:#}")),
        });
        drop(watch);
        let loaded = loaded?;
        for warning in &loaded.cache_warnings {
            tracing::warn!("{warning}");
        }
        let version =
            loader::check_contract(&self.engine, &loaded.component).map_err(|problems| {
                LoadError::Contract {
                    path: path.to_path_buf(),
                    problems,
                }
            })?;
        if let Ok(mut components) = self.components.lock() {
            components
                .entry(digest)
                .or_insert_with(|| loaded.component.clone());
        }
        let contract_error = |message: String| LoadError::Contract {
            path: path.to_path_buf(),
            problems: vec![Problem::new("component", message)],
        };
        let instance_pre = self
            .linker
            .instantiate_pre(&loaded.component)
            .map_err(|e| contract_error(format!("cannot be linked: {e:#}")))?;
        let pre = bindings::GuestPre::new(version, instance_pre)
            .map_err(|e| contract_error(format!("its exports do not match the contract: {e:#}")))?;
        let report = LoadReport {
            origin: loaded.origin,
            elapsed: loaded.elapsed,
            cache_warnings: loaded.cache_warnings,
        };
        tracing::info!(
            component = %path.display(),
            contract = %version,
            origin = ?report.origin,
            elapsed_ms = report.elapsed.as_secs_f64() * 1000.0,
            "{}",
            match report.origin {
                Origin::Cache => "loaded compiled component from cache",
                Origin::Compiled => "compiled component",
            }
        );
        Connector::describe_and_build(
            path,
            pre,
            options,
            self.log_sink.clone(),
            self.ticker.clone(),
            self.engine_options.fuel,
            report,
        )
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or(text).to_string()
}
