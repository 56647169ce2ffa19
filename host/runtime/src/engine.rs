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
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch advances. A call's wall-clock deadline is rounded up
/// to a whole number of ticks, so this is the resolution of `--timeout`.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Largest stack a guest may use, in bytes. Deep recursion past it is a
/// `stack overflow` trap, not a crash of the host.
pub const MAX_WASM_STACK: usize = 1 << 20;

/// The operator's choices about the engine, shared by every connector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineOptions {
    /// Meter fuel, so that [`Limits::fuel`](crate::Limits::fuel) bounds the
    /// work of a call. Off is the epoch-only mode: calls are bounded by their
    /// wall-clock timeout alone, and guest code runs faster (fuel metering
    /// costs about 1.4 times on JSON work; see `BENCHMARKS.md`). Changing it
    /// recompiles every connector (the cache keys on it).
    pub fuel: bool,
    /// Allocate instances from a pool of reserved slots instead of mapping
    /// fresh memory for each call. See [`PoolingOptions`].
    pub pooling: Option<PoolingOptions>,
    /// Guard regions around linear memories and signal-based traps
    /// (wasmtime's own default) instead of explicit bounds checks.
    ///
    /// Off by default. With guard regions every fresh instance costs the
    /// process two `mprotect` calls (the slot's accessible size grown for
    /// the guest, then shrunk back before the next instance), each a TLB
    /// shootdown that stalls every other core, so fresh-instance calls do
    /// not scale with threads. With explicit bounds checks and no guard,
    /// wasmtime leaves a slot's accessible size as it is (the guest's own
    /// length is checked on every access) and resets its contents as
    /// before, so nothing survives a call: a fresh 1 KB call is about 1.7
    /// times cheaper and two threads do more than one; guest code that
    /// works on memory runs about 1.2 times slower (`BENCHMARKS.md`,
    /// figure 12). Changing it recompiles every connector (the cache keys
    /// on it).
    pub guard_pages: bool,
}

/// Fuel on, the pooling allocator with its default sizes (a fresh instance
/// per call costs about 2.4 times less than with on-demand allocation,
/// `BENCHMARKS.md` figure 2), and explicit bounds checks instead of guard
/// regions (see [`EngineOptions::guard_pages`]).
impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            fuel: true,
            pooling: Some(PoolingOptions::default()),
            guard_pages: false,
        }
    }
}

/// The pooling instance allocator: every instance (so every call, as each
/// call has a fresh instance) takes a slot of memory, tables and instance
/// data reserved once at start-up, and gives it back when the call ends.
/// Pages a call dirtied are reset in place (up to `keep_resident_bytes`, the
/// dirty ones found by the kernel's `PAGEMAP_SCAN` where it has it) instead
/// of being unmapped and faulted in again by the next call.
///
/// The pool is the host's hard ceiling: a call that finds no free slot fails
/// to instantiate, and no linear memory grows past `max_memory_bytes`, so a
/// connector whose [`Limits::max_memory_bytes`](crate::Limits) is larger is
/// refused at load (the pool would cut it below the limit it was promised).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolingOptions {
    /// Component instances alive at once across every connector: the most
    /// calls the host runs at once. Size it to real concurrency (the
    /// threads that run calls, or the sum of the connectors' concurrency
    /// limits if lower). A call that finds the pool full fails at once with
    /// the concurrency limit, as when a connector's own limit is reached.
    pub instances: u32,
    /// The largest any linear memory may grow to; at least every loaded
    /// connector's `Limits::max_memory_bytes`.
    pub max_memory_bytes: usize,
    /// Bytes of each linear memory (and of each table) reset in place
    /// rather than unmapped when a slot is given back.
    pub keep_resident_bytes: usize,
    /// Elements any table may have; at least every connector's
    /// `Limits::max_table_elements`.
    pub max_table_elements: usize,
}

/// 128 instances; memories up to 4 GiB (all a 32-bit memory can address,
/// so the pool never cuts a connector below its own memory limit, which the
/// per-call limiter enforces); 1 MiB kept resident; tables as large as the
/// default table limit. The pool reserves address space, not memory: about
/// 4 GiB for each of its 512 memory slots, faulted in only where used.
impl Default for PoolingOptions {
    fn default() -> Self {
        Self {
            instances: 128,
            max_memory_bytes: 4 << 30,
            keep_resident_bytes: 1 << 20,
            max_table_elements: crate::Limits::default().max_table_elements,
        }
    }
}

/// Core instances, memories and tables that one component instance may hold
/// in the pool. A Rust connector has 2-4 core instances and one memory; the
/// Python and JavaScript ones have more.
const POOL_CORE_INSTANCES_PER_COMPONENT: u32 = 32;
const POOL_MEMORIES_PER_COMPONENT: u32 = 4;
const POOL_TABLES_PER_COMPONENT: u32 = 8;

/// Builds the engine configuration every connector runs under, with the
/// default [`EngineOptions`].
pub fn config() -> Config {
    config_for(&EngineOptions::default())
}

/// Builds the engine configuration for `options`.
pub fn config_for(options: &EngineOptions) -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.consume_fuel(options.fuel);
    config.epoch_interruption(true);
    config.max_wasm_stack(MAX_WASM_STACK);
    config.parallel_compilation(true);
    // The host calls guests synchronously, on threads of its own; nothing
    // needs the component-model async machinery.
    config.concurrency_support(false);
    if !options.guard_pages {
        // Explicit bounds checks: no guard region, so wasmtime need not
        // change a slot's protection between instances (see the field).
        config
            .signals_based_traps(false)
            .memory_guard_size(0)
            .guard_before_linear_memory(false);
    }
    if let Some(pool) = &options.pooling {
        let mut pooling = PoolingAllocationConfig::new();
        let instances = pool.instances.max(1);
        pooling
            .total_component_instances(instances)
            .total_core_instances(instances.saturating_mul(POOL_CORE_INSTANCES_PER_COMPONENT))
            .total_memories(instances.saturating_mul(POOL_MEMORIES_PER_COMPONENT))
            .total_tables(instances.saturating_mul(POOL_TABLES_PER_COMPONENT))
            .max_core_instances_per_component(POOL_CORE_INSTANCES_PER_COMPONENT)
            .max_memories_per_component(POOL_MEMORIES_PER_COMPONENT)
            .max_tables_per_component(POOL_TABLES_PER_COMPONENT)
            .max_memory_size(pool.max_memory_bytes)
            .table_elements(pool.max_table_elements)
            .linear_memory_keep_resident(pool.keep_resident_bytes)
            .table_keep_resident(pool.keep_resident_bytes)
            .pagemap_scan(Enabled::Auto);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
    }
    config
}

/// Builds the engine.
pub fn new_engine() -> Result<Engine> {
    new_engine_for(&EngineOptions::default())
}

/// Builds the engine for `options`.
pub fn new_engine_for(options: &EngineOptions) -> Result<Engine> {
    Engine::new(&config_for(options))
        .map_err(|e| anyhow::anyhow!("failed to create the wasmtime engine: {e}"))
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
