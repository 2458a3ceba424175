//! Benchmark: generating the full client from `spec/openapi.json` (and from the real
//! `latest.json` when `../shared` is present). Prints the median, min and max wall time over
//! repeated runs, and the process's peak resident memory.
//!
//! Run with `cargo bench -p replicate-bench --bench generate`. Target: median under 100 ms.

use std::path::Path;
use std::time::{Duration, Instant};

const RUNS: usize = 31;

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn bench(label: &str, text: &str) {
    let opts = replicate_codegen::Options::default();
    let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
    let mut ops = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        let out = replicate_codegen::generate_client(text, &opts).expect("generation succeeds");
        times.push(start.elapsed());
        ops = out.operations;
        std::hint::black_box(out);
    }
    times.sort();
    println!(
        "{label}: {ops} operations, median {:.1} ms (min {:.1}, max {:.1}) over {RUNS} runs",
        times[RUNS / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[RUNS - 1].as_secs_f64() * 1e3,
    );
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let before = peak_rss_kib();
    let ours = std::fs::read_to_string(root.join("spec/openapi.json")).expect("spec/openapi.json");
    bench("spec/openapi.json", &ours);
    match std::fs::read_to_string(root.join("../shared/replicate-openapi/latest.json")) {
        Ok(latest) => bench("shared latest.json", &latest),
        Err(_) => println!("shared latest.json: skipped (../shared is not beside the checkout)"),
    }
    if let (Some(b), Some(a)) = (before, peak_rss_kib()) {
        println!(
            "peak RSS: {:.1} MiB (process start: {:.1} MiB)",
            a as f64 / 1024.0,
            b as f64 / 1024.0
        );
    }
}
