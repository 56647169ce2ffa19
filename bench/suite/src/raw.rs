//! The raw side of figures 2-6 and 9: the same component, called with
//! wasmtime's APIs directly, with no host around it.
//!
//! It links only what the bench connector imports (WASI p2 and the
//! contract's `log`), gives each store a plain WASI context, sets fuel and
//! an epoch deadline when the engine has them, and checks nothing. Whatever
//! the host does on top (limits, captured output, JSON checks, capability
//! policy) is what the host-over-raw ratios measure.

use std::path::Path;

use anyhow::Result;
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "connector",
});

/// The bench connector needs no connection.
const NO_CONNECTION: Vec<(String, String)> = Vec::new();

/// The call context of contract 0.2.0, as little as a caller can pass: no
/// run, no step, the first attempt. Made per call, as a host makes one.
fn no_context() -> connector::provider::types::CallContext {
    connector::provider::types::CallContext {
        run_id: String::new(),
        step: String::new(),
        attempt: 1,
        idempotency_key: String::new(),
        remaining_ms: u64::MAX,
    }
}

/// The store data of a raw call.
pub struct RawState {
    wasi: WasiCtx,
    table: ResourceTable,
}

impl WasiView for RawState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl connector::provider::log::Host for RawState {
    fn log(&mut self, _: connector::provider::log::Level, _: String, _: Vec<(String, String)>) {}
}

impl connector::provider::types::Host for RawState {}

/// One component pre-instantiated on an engine of its own.
pub struct Raw {
    engine: Engine,
    pre: ConnectorPre<RawState>,
    fuel: bool,
    epoch: bool,
}

impl Raw {
    /// Compiles `path` with `config`. `fuel` and `epoch` must match what
    /// `config` enables.
    pub fn new(config: &Config, path: &Path, fuel: bool, epoch: bool) -> Result<Self> {
        let engine = Engine::new(config)?;
        let component = Component::from_file(&engine, path)
            .map_err(|e| anyhow::anyhow!("compiling {}: {e}", path.display()))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        Connector::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)?;
        let pre = ConnectorPre::new(linker.instantiate_pre(&component)?)?;
        Ok(Self {
            engine,
            pre,
            fuel,
            epoch,
        })
    }

    fn store(&self) -> Store<RawState> {
        let mut store = Store::new(
            &self.engine,
            RawState {
                wasi: WasiCtx::builder().build(),
                table: ResourceTable::new(),
            },
        );
        self.arm(&mut store);
        store
    }

    fn arm(&self, store: &mut Store<RawState>) {
        if self.fuel {
            store.set_fuel(u64::MAX / 2).unwrap();
        }
        if self.epoch {
            store.set_epoch_deadline(u64::MAX / 2);
        }
    }

    /// A fresh store and instance, one `invoke`, and the drop of both:
    /// returns the body's length.
    pub fn fresh_invoke(&self, operation: &str, input: &String) -> usize {
        let mut store = self.store();
        let guest = self.pre.instantiate(&mut store).expect("instantiate");
        let response = guest
            .connector_provider_provider()
            .call_invoke(&mut store, operation, &NO_CONNECTION, input, &no_context())
            .expect("call")
            .expect("invoke");
        response.body.len()
    }

    /// A live instance for repeated calls.
    pub fn live(&self) -> Live<'_> {
        let mut store = self.store();
        let guest = self.pre.instantiate(&mut store).expect("instantiate");
        Live {
            raw: self,
            store,
            guest,
        }
    }
}

/// An instance kept between calls.
pub struct Live<'a> {
    raw: &'a Raw,
    store: Store<RawState>,
    guest: Connector,
}

impl Live<'_> {
    /// One `invoke` into the live instance; returns the body's length.
    pub fn invoke(&mut self, operation: &str, input: &String) -> usize {
        self.raw.arm(&mut self.store);
        let response = self
            .guest
            .connector_provider_provider()
            .call_invoke(
                &mut self.store,
                operation,
                &NO_CONNECTION,
                input,
                &no_context(),
            )
            .expect("call")
            .expect("invoke");
        response.body.len()
    }
}
