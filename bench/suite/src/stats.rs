//! Medians, percentiles and interleaved rounds.
//!
//! The machine this runs on is shared and noisy, so no figure rests on one
//! run: contenders take turns within each round (the order alternating from
//! round to round), and a ratio is the median over rounds of the ratio of
//! the two contenders' medians in that round. Drift that hits one round hits
//! both contenders.

use std::time::{Duration, Instant};

/// Samples of one contender, pooled over rounds, with each round's median.
#[derive(Debug, Default, Clone)]
pub struct Samples {
    /// Every sample, in microseconds.
    pub all_us: Vec<f64>,
    /// The median of each round, in microseconds.
    pub round_medians_us: Vec<f64>,
}

impl Samples {
    /// The median of the pooled samples.
    pub fn p50(&self) -> f64 {
        percentile(&self.all_us, 0.50)
    }

    /// The 99th percentile of the pooled samples.
    pub fn p99(&self) -> f64 {
        percentile(&self.all_us, 0.99)
    }

    fn push_round(&mut self, round: Vec<f64>) {
        self.round_medians_us.push(percentile(&round, 0.5));
        self.all_us.extend(round);
    }
}

/// The `p` quantile (0..=1) of `values`, by nearest rank; NaN when empty.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The median of `values`.
pub fn median(values: &[f64]) -> f64 {
    percentile(values, 0.5)
}

/// The median over rounds of `a[i] / b[i]`.
pub fn ratio_of_rounds(a: &Samples, b: &Samples) -> f64 {
    let ratios: Vec<f64> = a
        .round_medians_us
        .iter()
        .zip(&b.round_medians_us)
        .map(|(a, b)| a / b)
        .collect();
    median(&ratios)
}

/// Bounds on one contender's batch in one round.
#[derive(Debug, Clone, Copy)]
pub struct Batch {
    /// Most calls per round.
    pub calls: usize,
    /// Longest a round may take (at least one call is made).
    pub max_time: Duration,
}

/// One contender: a name and a call to time.
pub type Contender<'a> = (&'a str, Box<dyn FnMut() + 'a>);

/// Runs `rounds` rounds; in each, every contender makes a batch of timed
/// calls, in an order that alternates from round to round. A warm-up batch
/// of a tenth of the calls comes first and is not counted.
pub fn interleave(rounds: usize, batch: Batch, contenders: &mut [Contender<'_>]) -> Vec<Samples> {
    let batches = vec![batch; contenders.len()];
    interleave_with(rounds, &batches, true, contenders)
}

/// [`interleave`] with a batch bound for each contender, and the warm-up
/// batch optional (a compile needs none).
pub fn interleave_with(
    rounds: usize,
    batches: &[Batch],
    warm_up: bool,
    contenders: &mut [Contender<'_>],
) -> Vec<Samples> {
    let mut samples = vec![Samples::default(); contenders.len()];
    if warm_up {
        for ((_, call), batch) in contenders.iter_mut().zip(batches) {
            timed_batch(call, (batch.calls / 10).max(1), batch.max_time / 10);
        }
    }
    for round in 0..rounds {
        let order: Vec<usize> = if round % 2 == 0 {
            (0..contenders.len()).collect()
        } else {
            (0..contenders.len()).rev().collect()
        };
        for i in order {
            let times = timed_batch(&mut contenders[i].1, batches[i].calls, batches[i].max_time);
            samples[i].push_round(times);
        }
    }
    samples
}

fn timed_batch(call: &mut Box<dyn FnMut() + '_>, calls: usize, max_time: Duration) -> Vec<f64> {
    let start = Instant::now();
    let mut times = Vec::with_capacity(calls);
    while times.len() < calls && (times.is_empty() || start.elapsed() < max_time) {
        let t = Instant::now();
        call();
        times.push(t.elapsed().as_secs_f64() * 1e6);
    }
    times
}

/// Calls from `threads` threads for `duration`, each thread calling what
/// `make` gives it (so that each can own an instance); calls per second.
pub fn throughput<'a, F>(threads: usize, duration: Duration, make: &F) -> f64
where
    F: Fn() -> Box<dyn FnMut() + 'a> + Sync + ?Sized,
{
    let barrier = std::sync::Barrier::new(threads);
    let counts: Vec<usize> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let barrier = &barrier;
                scope.spawn(move || {
                    let mut call = make();
                    call();
                    barrier.wait();
                    let start = Instant::now();
                    let mut n = 0;
                    while start.elapsed() < duration {
                        call();
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    counts.iter().sum::<usize>() as f64 / duration.as_secs_f64()
}

/// Resident memory of this process, in bytes (Linux; 0 elsewhere).
pub fn rss_bytes() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<usize>().ok())
        })
        .map_or(0, |kib| kib * 1024)
}

/// The one-minute load average (Linux; NaN elsewhere): how busy the machine
/// was, for figures that need both cores.
pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}
