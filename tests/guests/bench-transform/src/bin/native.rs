//! The native side of figure 6: runs [`bench_transform::transform`] on a
//! sample input and prints the median time of one call, in nanoseconds.
//!
//! Usage: `bench-transform-native ORDERS CALLS`. A process of its own, so
//! that its global allocator (dlmalloc, as in the component) does not change
//! the allocator of the benchmark suite that spawns it.

use std::time::Instant;

#[global_allocator]
static GLOBAL: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let orders: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let calls: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let input = bench_transform::sample_input(orders);
    let mut times = Vec::with_capacity(calls);
    let mut bytes = 0;
    for _ in 0..calls {
        let start = Instant::now();
        let output = bench_transform::transform(std::hint::black_box(&input)).expect("transform");
        times.push(start.elapsed().as_nanos() as u64);
        bytes = std::hint::black_box(output).len();
    }
    times.sort_unstable();
    println!("{} {}", times[times.len() / 2], bytes);
}
