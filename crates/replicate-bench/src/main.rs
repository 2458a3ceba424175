//! `replicate-bench`: see the crate docs; normally run as `cargo xtask bench`.

use replicate_bench::faults::{self, Section};
use replicate_bench::measure::{self, Sample, SseSample};
use replicate_bench::official::{self, Driver, Lang};
use replicate_bench::report::{self, Row, Target};
use replicate_bench::server::{self, ServerChild, TOKEN};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "\
usage: replicate-bench [options]
       replicate-bench serve [--server-threads N]

  --quick              N=300 (600 concurrent), 1 round: a smoke test
  --no-official        skip the official Python and JS clients
  --faults-only        only the faults section (throttled batch, large SSE event, webhook
                       verification); skips everything else
  --calls N            sequential calls per round (default 3000)
  --concurrent-calls N concurrent calls per round (default 6000)
  --concurrency N      requests in flight (default 64)
  --rounds N           interleaved rounds; medians are reported (default 3)
  --sse-events N       events of the event-stream measurement (default 200000)
  --server-threads N   runtime threads of the fake server (default 1)
  --multi-thread       run the Rust clients on a 2-thread tokio runtime (default: current_thread)
  --time-limit SECS    longest one configuration may run (default 120)
  --cache-dir DIR      where the official clients are installed (default <workspace>/.cache/bench)";

#[derive(Debug, Clone)]
struct Options {
    calls: u64,
    concurrent_calls: u64,
    concurrency: usize,
    rounds: usize,
    official: bool,
    faults_only: bool,
    sse_events: usize,
    server_threads: usize,
    multi_thread: bool,
    limit: Duration,
    cache_dir: PathBuf,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            calls: 3000,
            concurrent_calls: 6000,
            concurrency: 64,
            rounds: 3,
            official: true,
            faults_only: false,
            sse_events: server::DEFAULT_SSE_EVENTS,
            server_threads: 1,
            multi_thread: false,
            limit: Duration::from_secs(120),
            // crates/replicate-bench -> the workspace root.
            cache_dir: Path::new(env!("CARGO_MANIFEST_DIR"))
                .ancestors()
                .nth(2)
                .unwrap_or(Path::new("."))
                .join(".cache/bench"),
        }
    }
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    fn number<T: std::str::FromStr>(flag: &str, value: Option<&String>) -> Result<T, String> {
        let value = value.ok_or_else(|| format!("{flag} needs a value"))?;
        value
            .parse()
            .map_err(|_| format!("{flag}: not a valid number: {value}"))
    }
    let mut options = Options::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => {
                options.calls = 300;
                options.concurrent_calls = 600;
                options.rounds = 1;
            }
            "--no-official" => options.official = false,
            "--faults-only" => options.faults_only = true,
            "--multi-thread" => options.multi_thread = true,
            "--calls" => options.calls = number(arg, args.next())?,
            "--concurrent-calls" => options.concurrent_calls = number(arg, args.next())?,
            "--concurrency" => options.concurrency = number(arg, args.next())?,
            "--rounds" => options.rounds = number(arg, args.next())?,
            "--sse-events" => options.sse_events = number(arg, args.next())?,
            "--server-threads" => options.server_threads = number(arg, args.next())?,
            "--time-limit" => {
                options.limit = Duration::from_secs(number(arg, args.next())?);
            }
            "--cache-dir" => {
                options.cache_dir = args
                    .next()
                    .map(PathBuf::from)
                    .ok_or("--cache-dir needs a value")?;
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if options.rounds == 0 || options.concurrency == 0 || options.calls == 0 {
        return Err("--rounds, --concurrency and --calls must be at least 1".into());
    }
    if options.sse_events > 10 * server::DEFAULT_SSE_EVENTS {
        return Err(format!(
            "--sse-events is at most {}",
            10 * server::DEFAULT_SSE_EVENTS
        ));
    }
    Ok(options)
}

/// One configuration to measure in every round.
#[derive(Debug, Clone, Copy)]
enum Job {
    Ours {
        concurrency: usize,
        calls: u64,
    },
    Raw {
        concurrency: usize,
        calls: u64,
    },
    Official {
        driver: usize,
        concurrency: usize,
        calls: u64,
    },
    Sse,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("serve") {
        let threads = match parse_options(&args[1..]) {
            Ok(options) => options.server_threads,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        };
        return match server::run_child(threads) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("fake server: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let options = match parse_options(&args) {
        Ok(options) => options,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    match bench(&options) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs every configuration; Ok(false) when any request failed.
fn bench(options: &Options) -> Result<bool, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let server = ServerChild::start(&exe, options.server_threads)?;
    let origin = server.origin().to_string();
    let runtime = if options.multi_thread {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    }
    .map_err(|e| format!("cannot start the tokio runtime: {e}"))?;
    let runtime_name = if options.multi_thread {
        "tokio multi_thread (2 workers)"
    } else {
        "tokio current_thread"
    };
    if options.faults_only {
        eprintln!(
            "bench: fake server at {origin} ({} threads, child process); Rust clients on {runtime_name}; faults only",
            options.server_threads
        );
        let section = faults::run(&runtime, &origin, options.limit);
        drop(server);
        println!();
        print_faults(&section);
        return Ok(faults_ok(&section));
    }

    let c = options.concurrency;
    let (seq, conc) = (options.calls, options.concurrent_calls);
    let mut rows = vec![
        Row::new("rust replicate-typed  sequential", seq),
        Row::new("rust raw reqwest       sequential", seq),
        Row::new(format!("rust replicate-typed  {c} concurrent"), conc),
        Row::new(format!("rust raw reqwest       {c} concurrent"), conc),
    ];
    let mut jobs: Vec<(Job, usize)> = vec![
        (
            Job::Ours {
                concurrency: 1,
                calls: seq,
            },
            0,
        ),
        (
            Job::Raw {
                concurrency: 1,
                calls: seq,
            },
            1,
        ),
        (
            Job::Ours {
                concurrency: c,
                calls: conc,
            },
            2,
        ),
        (
            Job::Raw {
                concurrency: c,
                calls: conc,
            },
            3,
        ),
    ];

    let mut drivers: Vec<Driver> = Vec::new();
    let officials = [
        (
            Lang::Python,
            format!("python replicate {}", official::PYTHON_VERSION),
            format!("{c} threads"),
        ),
        (
            Lang::Js,
            format!("js replicate {}", official::JS_VERSION),
            format!("Promise.all x{c}"),
        ),
    ];
    for (lang, name, concurrent) in officials {
        let seq_name = format!("{name:<22} sequential");
        let conc_name = format!("{name:<22} {concurrent}");
        let setup = if !options.official {
            Err("--no-official".to_string())
        } else {
            match lang {
                Lang::Python => official::setup_python(&options.cache_dir),
                Lang::Js => official::setup_js(&options.cache_dir),
            }
        };
        match setup {
            Ok(driver) => {
                let index = drivers.len();
                drivers.push(driver);
                for (row_name, concurrency, calls) in [(seq_name, 1, seq), (conc_name, c, conc)] {
                    jobs.push((
                        Job::Official {
                            driver: index,
                            concurrency,
                            calls,
                        },
                        rows.len(),
                    ));
                    rows.push(Row::new(row_name, calls));
                }
            }
            Err(why) => {
                let why = why.replace('\n', "\n    ");
                eprintln!("bench: skipped {}: {why}", lang.name());
                rows.push(Row::skipped(seq_name, seq, why.clone()));
                rows.push(Row::skipped(conc_name, conc, why));
            }
        }
    }
    jobs.push((Job::Sse, usize::MAX));
    let mut sse_samples: Vec<SseSample> = Vec::new();

    eprintln!(
        "bench: fake server at {origin} ({} threads, child process); Rust clients on {runtime_name}; {} rounds",
        options.server_threads, options.rounds
    );
    for round in 0..options.rounds {
        eprintln!("bench: round {}/{}", round + 1, options.rounds);
        // Rotate the order every round so no configuration always runs first or last.
        for k in 0..jobs.len() {
            let (job, row) = jobs[(k + round) % jobs.len()];
            if let Job::Sse = job {
                let client = measure::our_client(&origin, TOKEN);
                let sample = runtime.block_on(measure::sse(
                    &client,
                    &origin,
                    options.sse_events,
                    options.limit,
                ));
                eprintln!(
                    "  {:<44} {:>10.0} events/s {:>8.1} MB/s  errors {}",
                    "rust replicate-typed  stream_events",
                    sample.events_per_second(),
                    sample.mb_per_second(),
                    sample.errors
                );
                sse_samples.push(sample);
                continue;
            }
            let sample = run_job(job, &runtime, &origin, &drivers, options.limit);
            eprintln!(
                "  {:<44} {:>10.0} req/s  ({} calls in {:.2} s, errors {})",
                rows[row].name,
                sample.rps(),
                sample.calls,
                sample.seconds,
                sample.errors
            );
            rows[row].samples.push(sample);
        }
    }
    let faults_section = faults::run(&runtime, &origin, options.limit);
    drop(server);

    let ncpu = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!();
    println!(
        "replicate-bench: GET /v1/predictions/{{id}} (~{} B JSON) on a loopback fake server ({} threads, child process), {ncpu} CPUs",
        server::prediction_json().len(),
        options.server_threads
    );
    println!(
        "Rust clients on {runtime_name}; {} interleaved rounds, median reported; warm-up excluded",
        options.rounds
    );
    println!();
    println!("{}", report::header());
    for row in &rows {
        println!("{}", row.line());
    }
    let sse_errors: u64 = sse_samples.iter().map(|s| s.errors).sum();
    let events_per_s = report::median(
        &sse_samples
            .iter()
            .map(SseSample::events_per_second)
            .collect::<Vec<_>>(),
    );
    let mb_per_s = report::median(
        &sse_samples
            .iter()
            .map(SseSample::mb_per_second)
            .collect::<Vec<_>>(),
    );
    println!();
    println!(
        "SSE: stream_events over {} output events ({:.1} MB): median {:.0} events/s, {:.1} MB/s, errors {sse_errors}",
        options.sse_events,
        sse_samples.first().map_or(0, |s| s.bytes) as f64 / 1e6,
        events_per_s,
        mb_per_s
    );
    println!();
    print_faults(&faults_section);
    println!();
    println!("{}", report::ratio_header());
    let ratios = [
        (
            "raw-reqwest/ours req/s, sequential",
            1,
            0,
            Target::AtMost(1.05),
        ),
        (
            "raw-reqwest/ours req/s, concurrent",
            3,
            2,
            Target::AtMost(1.05),
        ),
        ("ours/python req/s, sequential", 0, 4, Target::AtLeast(10.0)),
        ("ours/python req/s, concurrent", 2, 5, Target::AtLeast(10.0)),
        ("ours/js req/s, sequential", 0, 6, Target::AtLeast(3.0)),
        ("ours/js req/s, concurrent", 2, 7, Target::AtLeast(3.0)),
    ];
    for (name, numerator, denominator, target) in ratios {
        println!(
            "{}",
            report::ratio_line(name, &rows[numerator], &rows[denominator], target)
        );
    }

    let mut ok = true;
    for row in &rows {
        if row.errors() > 0 {
            ok = false;
            println!(
                "FAILED: {}: {} failed requests; first: {}",
                row.name.trim(),
                row.errors(),
                row.first_error().unwrap_or("?")
            );
        }
    }
    if let Some(e) = sse_samples.iter().find_map(|s| s.first_error.as_deref()) {
        ok = false;
        println!("FAILED: stream_events: {e}");
    }
    ok &= faults_ok(&faults_section);
    Ok(ok)
}

/// Prints the faults section.
fn print_faults(section: &Section) {
    println!("faults:");
    for line in &section.lines {
        println!("  {line}");
    }
}

/// Prints the section's failures; true when there are none.
fn faults_ok(section: &Section) -> bool {
    for failure in &section.failures {
        println!("FAILED: faults: {failure}");
    }
    section.failures.is_empty()
}

fn run_job(
    job: Job,
    runtime: &tokio::runtime::Runtime,
    origin: &str,
    drivers: &[Driver],
    limit: Duration,
) -> Sample {
    match job {
        Job::Ours { concurrency, calls } => {
            let client = measure::our_client(origin, TOKEN);
            runtime.block_on(measure::ours(&client, calls, concurrency, limit))
        }
        Job::Raw { concurrency, calls } => {
            let http = replicate_typed::tls::reqwest_builder(&[])
                .unwrap()
                .build()
                .unwrap();
            runtime.block_on(measure::raw(
                &http,
                origin,
                TOKEN,
                calls,
                concurrency,
                limit,
            ))
        }
        Job::Official {
            driver,
            concurrency,
            calls,
        } => drivers[driver].run(origin, calls, concurrency, limit),
        Job::Sse => unreachable!("handled by the caller"),
    }
}
