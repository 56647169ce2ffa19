//! The wasmtime engine the host runs every connector on, and its epoch ticker.
//!
//! One engine serves every connector so that compiled code, the compiled
//! component cache and the epoch clock are shared. Fuel and epoch
//! interruption are both compiled in: fuel bounds the work a call may do,
//! the epoch bounds its wall-clock time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context, Result};
use wasmtime::{Config, Engine};

/// How often the epoch advances. A call's wall-clock deadline is rounded up
/// to a whole number of ticks, so this is the resolution of `--timeout`.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Largest stack a guest may use, in bytes. Deep recursion past it is a
/// `stack overflow` trap, not a crash of the host.
pub const MAX_WASM_STACK: usize = 1 << 20;

/// Builds the engine configuration every connector runs under.
pub fn config() -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.consume_fuel(true);
    config.epoch_interruption(true);
    config.max_wasm_stack(MAX_WASM_STACK);
    config.parallel_compilation(true);
    // The host calls guests synchronously, on threads of its own; nothing
    // needs the component-model async machinery.
    config.concurrency_support(false);
    config
}

/// Builds the engine.
pub fn new_engine() -> Result<Engine> {
    Engine::new(&config()).map_err(|e| anyhow::anyhow!("failed to create the wasmtime engine: {e}"))
}

/// A thread that advances the engine's epoch every [`EPOCH_TICK`], so that
/// stores with an epoch deadline are interrupted on time. Stops on drop.
pub struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    /// Starts ticking `engine`.
    pub fn start(engine: &Engine) -> Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let weak = engine.weak();
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("epoch-ticker".into())
            .spawn(move || {
                // The epoch follows the wall clock: a tick that comes late
                // (the thread overslept, the machine was busy) is caught up,
                // so a deadline of N ticks is N * EPOCH_TICK of real time.
                let start = std::time::Instant::now();
                let mut ticks: u128 = 0;
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    let Some(engine) = weak.upgrade() else { break };
                    let due = start.elapsed().as_nanos() / EPOCH_TICK.as_nanos();
                    while ticks < due {
                        engine.increment_epoch();
                        ticks += 1;
                    }
                }
            })
            .context("failed to start the epoch ticker thread")?;
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The number of epoch ticks that covers `timeout`, at least one.
pub fn ticks_for(timeout: Duration) -> u64 {
    let tick = EPOCH_TICK.as_nanos();
    (timeout.as_nanos().div_ceil(tick)).max(1) as u64
}
