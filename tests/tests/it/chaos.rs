//! The chaos suite: the fake's seeded random faults (`Faults::chaos`) at every layer and every
//! step of run, stream, upload, download and pagination, against the public API, with the
//! client's invariants checked after every call:
//!
//! - at most one prediction created per call (the fake's create log);
//! - after a create, success, or an error carrying the id whenever the answer named it, and
//!   never another id;
//! - no token in any error's Display or Debug, nor in tracing output;
//! - no request carrying the token to another origin;
//! - every call returns within its deadline plus the one attempt a create may finish, plus slack;
//! - never a partial or wrong file at a download's destination, nor a temporary file left;
//! - peak memory bounded (the high-water mark of a process running only the seeds).
//!
//! `CHAOS_SEEDS` (default 2000) seeds from `CHAOS_FROM` (default 0) run on `CHAOS_THREADS`
//! (default 16) threads; `CHAOS_SEED=N` runs one. A failure prints its seed and the command
//! that replays it.

use futures::{StreamExt, TryStreamExt};
use replicate_fake::{FakeReplicate, Script};
use replicate_typed::runtime::FilePart;
use replicate_typed::{
    Client, CreateOptions, Error, ModelRef, RetryPolicy, RunOptions, StreamOptions,
};
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_millis(1000);
const IDLE: Duration = Duration::from_millis(500);
const DEADLINE: Duration = Duration::from_secs(2);
/// Scheduling on a loaded 2-core machine, and the fake's own pauses.
const SLACK: Duration = Duration::from_millis(1500);
/// Peak resident memory of the whole test process, every thread's calls included.
const MAX_PEAK_BYTES: u64 = 400 << 20;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs the seeds in a process of their own (this test binary, running [`chaos_seeds`]), so that
/// its peak memory is the chaos calls' alone, not that of the tests running beside it.
#[test]
fn random_faults_never_break_an_invariant() {
    let exe = std::env::current_exe().expect("the test binary's path");
    let output = std::process::Command::new(exe)
        .args(["chaos::chaos_seeds", "--exact", "--ignored", "--nocapture"])
        .env("CHAOS_CHILD", "1")
        .output()
        .expect("run the chaos seeds");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    for line in stdout.lines().filter(|l| l.starts_with("chaos")) {
        println!("{line}");
    }
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{stdout}\n{stderr}"
    );
    let peak: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("chaos-peak-bytes: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(peak < MAX_PEAK_BYTES, "peak memory {} MiB", peak >> 20);
}

#[test]
#[ignore = "run by random_faults_never_break_an_invariant, in a process of its own"]
fn chaos_seeds() {
    if std::env::var_os("CHAOS_CHILD").is_none() {
        return;
    }
    let (from, count) = match std::env::var("CHAOS_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        Some(seed) => (seed, 1),
        None => (env_u64("CHAOS_FROM", 0), env_u64("CHAOS_SEEDS", 2000)),
    };
    let threads = env_u64("CHAOS_THREADS", 16).clamp(1, 64);
    let next = Arc::new(Mutex::new(from));
    let failures: Arc<Mutex<Vec<(u64, String)>>> = Arc::default();
    let stats: Arc<Stats> = Arc::default();
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (next, failures, stats) =
                (Arc::clone(&next), Arc::clone(&failures), Arc::clone(&stats));
            std::thread::spawn(move || worker(&next, from + count, &failures, &stats))
        })
        .collect();
    for w in workers {
        w.join().expect("a chaos worker panicked");
    }
    let peak = peak_memory();
    println!(
        "chaos: {count} seeds from {from} in {:.1}s on {threads} threads, peak memory {} MiB",
        started.elapsed().as_secs_f64(),
        peak.unwrap_or(0) >> 20
    );
    for (op, (ok, err)) in stats.lock().unwrap().iter() {
        println!("chaos: {op}: {ok} succeeded, {err} ended with an error");
    }
    let failures = failures.lock().unwrap();
    let shown: Vec<String> = failures
        .iter()
        .take(10)
        .map(|(seed, why)| {
            format!(
                "seed {seed}: {why}\n  replay: CHAOS_SEED={seed} cargo test -p replicate-e2e --test it -- chaos:: --nocapture"
            )
        })
        .collect();
    let seeds: Vec<String> = failures.iter().map(|(seed, _)| seed.to_string()).collect();
    assert!(
        failures.is_empty(),
        "{} of {count} seeds broke an invariant (seeds {}):\n{}",
        failures.len(),
        seeds.join(" "),
        shown.join("\n")
    );
    println!("chaos-peak-bytes: {}", peak.unwrap_or(0));
}

/// The process's peak resident memory (`VmHWM`), where the system tells it.
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Per kind of call: how many succeeded and how many ended with an error (both are fine; the
/// invariants hold either way), to show that the faults let some calls through.
type Stats = Mutex<std::collections::BTreeMap<&'static str, (u32, u32)>>;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Takes seeds until none are left, each on this thread's runtime, with tracing captured.
fn worker(next: &Mutex<u64>, end: u64, failures: &Mutex<Vec<(u64, String)>>, stats: &Stats) {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    loop {
        let seed = {
            let mut next = next.lock().unwrap();
            if *next >= end {
                return;
            }
            *next += 1;
            *next - 1
        };
        captured.0.lock().unwrap().clear();
        let mut result = runtime.block_on(one_seed(seed)).map(|(op, ok)| {
            let mut stats = stats.lock().unwrap();
            let entry = stats.entry(op).or_insert((0, 0));
            if ok {
                entry.0 += 1;
            } else {
                entry.1 += 1;
            }
        });
        let logs = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
        if logs.contains(&secret(seed)) {
            result = Err(format!(
                "the token reached the tracing output: {}",
                excerpt(&logs, &secret(seed))
            ));
        }
        if let Err(why) = result {
            failures.lock().unwrap().push((seed, why));
        }
    }
}

fn secret(seed: u64) -> String {
    format!("chaos{seed}SECRET")
}

fn excerpt(text: &str, needle: &str) -> String {
    let at = text.find(needle).unwrap_or(0);
    let chars: String = text[at..].chars().take(120).collect();
    let before: String = text[..at]
        .chars()
        .rev()
        .take(120)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{:?}", before + &chars)
}

/// What one call did, for the checks.
enum Call {
    Run(Result<serde_json::Value, Error>),
    Stream(Result<Vec<replicate_typed::StreamEvent>, Error>),
    Download(Result<u64, Error>),
    Upload(Result<replicate_typed::types::FileResponse, Error>),
    List(Vec<Result<replicate_typed::Prediction, Error>>),
}

/// One seed's call: its kind and whether it succeeded, or the invariant it broke.
async fn one_seed(seed: u64) -> Result<(&'static str, bool), String> {
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x5eed);
    let server = FakeReplicate::start().await;
    let other = FakeReplicate::start().await;
    server.script(
        "chaos/stream",
        Script::Stream(vec!["a".into(), "b".into(), "c".into()]),
    );
    server.seed_predictions(3);
    server.set_page_size(1);
    server.faults().chaos(seed, Some(&other.url("")));
    let client = Client::builder()
        .token(format!("r8_{}", secret(seed)))
        .base_url(server.base_url())
        .timeout(TIMEOUT)
        .idle_timeout(IDLE)
        .deadline(DEADLINE)
        .max_response_size(8 << 20)
        .retry_policy(RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(50),
            max_retry_after: Duration::from_secs(1),
            max_throttled_retries: 4,
        })
        .build()
        .map_err(|e| e.to_string())?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let target = dir.path().join("out.bin");
    let file_name = format!("chaos-{seed}.bin");
    let start = Instant::now();
    let op = rng.u32(0..5);
    // The longest this call may take: its deadline, plus one create attempt that is never cut
    // short (with the server's hold), plus slack.
    let prefer = Duration::from_secs(rng.u64(0..=2));
    let (call, bound) = match op {
        0 => {
            let mut options = RunOptions::new()
                .deadline(DEADLINE)
                .poll_intervals(Duration::from_millis(10), Duration::from_millis(40));
            options = if prefer.is_zero() {
                options.prefer_wait(None)
            } else {
                options.prefer_wait(
                    replicate_typed::runtime::Prefer::wait_seconds(prefer.as_secs()).ok(),
                )
            };
            let out = client
                .run_json_with("chaos/echo", json!({"call": seed}), options)
                .await;
            (Call::Run(out), DEADLINE + TIMEOUT + prefer)
        }
        1 => {
            let options = CreateOptions {
                stream: true,
                ..CreateOptions::default()
            };
            let model = ModelRef::parse("chaos/stream").unwrap();
            let out = match client
                .create_prediction(&model, json!({"call": seed}), options)
                .await
            {
                Err(e) => Err(e),
                Ok(p) => match p.urls.stream.clone() {
                    None => Err(Error::Stream("no stream URL".into()).after_create(&p.id)),
                    Some(url) => {
                        let stream = StreamOptions {
                            idle_timeout: IDLE,
                            max_reconnects: 3,
                            reconnect_delay: Duration::from_millis(10),
                            max_reconnect_delay: Duration::from_millis(200),
                            ..StreamOptions::default()
                        };
                        client
                            .stream_events(url, stream)
                            .try_collect::<Vec<_>>()
                            .await
                            .map_err(|e| e.after_create(&p.id))
                    }
                },
            };
            // Create, then up to 4 events × 4 connects, each bounded by the idle timeout.
            (
                Call::Stream(out),
                DEADLINE + TIMEOUT + 16 * (IDLE + Duration::from_millis(200)),
            )
        }
        2 => {
            let url = server.url(&format!("/fake-output/{file_name}"));
            let out = client.download_to_path(&url, &target).await;
            (Call::Download(out), DEADLINE)
        }
        3 => {
            let file = FilePart::new(vec![seed as u8; 2048])
                .filename("chaos.bin")
                .content_type("application/octet-stream");
            (Call::Upload(client.upload(file).await), DEADLINE + TIMEOUT)
        }
        _ => {
            let items: Vec<_> = client
                .predictions()
                .list()
                .into_stream()
                .take(10)
                .collect()
                .await;
            (Call::List(items), 5 * DEADLINE)
        }
    };
    let elapsed = start.elapsed();
    let mut errors: Vec<&Error> = Vec::new();
    match &call {
        Call::Run(Err(e))
        | Call::Stream(Err(e))
        | Call::Download(Err(e))
        | Call::Upload(Err(e)) => errors.push(e),
        Call::List(items) => errors.extend(items.iter().filter_map(|i| i.as_ref().err())),
        _ => {}
    }
    let label = match op {
        0 => "run",
        1 => "stream",
        2 => "download",
        3 => "upload",
        _ => "list",
    };
    let fail = |why: String| Err(format!("{label}: {why}"));

    // Within the deadline.
    if elapsed > bound + SLACK {
        return fail(format!(
            "took {elapsed:?}, bound {bound:?}: {:?}",
            errors.first()
        ));
    }
    // No token in errors.
    for e in &errors {
        for shown in [e.to_string(), format!("{e:?}")] {
            if shown.contains(&secret(seed)) {
                return fail(format!(
                    "the token is in an error: {}",
                    excerpt(&shown, &secret(seed))
                ));
            }
        }
    }
    // No token to another origin.
    for r in other.requests() {
        if r.headers.iter().any(|(_, v)| v.contains(&secret(seed))) {
            return fail(format!(
                "the token went to another origin: {} {}",
                r.method, r.path
            ));
        }
    }
    // Creates: at most one per call; the id kept whenever the answer named it.
    let creates: Vec<_> = server
        .creates()
        .into_iter()
        .filter(|c| c.input["call"] == json!(seed))
        .collect();
    if creates.len() > 1 {
        return fail(format!("{} predictions created by one call", creates.len()));
    }
    let error = match &call {
        Call::Run(Err(e)) | Call::Stream(Err(e)) => Some(e),
        _ => None,
    };
    if let Some(e) = error {
        if std::env::var("CHAOS_DEBUG").is_ok() {
            eprintln!(
                "seed {seed}: creates {:?} error {e}",
                creates.first().map(|c| c.answer_named_id)
            );
        }
        match (creates.first(), e.prediction_id()) {
            (Some(c), Some(id)) if id != c.id => {
                return fail(format!("the error names {id}, the server created {}", c.id))
            }
            (Some(c), None) if c.answer_named_id => {
                return fail(format!(
                    "created {} (its answer named it) but the error lost it: {e:?}",
                    c.id
                ))
            }
            (None, Some(id)) => {
                return fail(format!("nothing was created, yet the error names {id}"))
            }
            _ => {}
        }
    }
    // A stream that ends well delivered every event once, in order.
    if let Call::Stream(Ok(events)) = &call {
        use replicate_typed::StreamEvent;
        let outputs: Vec<&str> = events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::Output(text) => Some(text.as_str()),
                _ => None,
            })
            .collect();
        if outputs != ["a", "b", "c"] || !matches!(events.last(), Some(StreamEvent::Done { .. })) {
            return fail(format!("the stream delivered {events:?}"));
        }
    }
    if matches!(&call, Call::Run(Ok(_))) && creates.len() != 1 {
        return fail("a run succeeded without a create on the server".into());
    }
    // Downloads: the whole file or nothing, and no temporary file left.
    if let Call::Download(result) = &call {
        let expected: Vec<u8> = file_name.bytes().cycle().take(1000).collect();
        let on_disk = std::fs::read(&target).ok();
        match (result, on_disk) {
            (Ok(n), Some(bytes)) if *n == 1000 && bytes == expected => {}
            (Ok(n), bytes) => {
                return fail(format!(
                    "download reported {n} bytes, the file holds {:?}",
                    bytes.map(|b| b.len())
                ))
            }
            (Err(e), Some(_)) => return fail(format!("a failed download left a file: {e}")),
            (Err(_), None) => {}
        }
        let left = std::fs::read_dir(dir.path())
            .map(|d| d.count())
            .unwrap_or(0);
        let expected_left = usize::from(result.is_ok());
        if left != expected_left {
            return fail(format!("{left} files in the folder after the download"));
        }
    }
    Ok((label, errors.is_empty()))
}
