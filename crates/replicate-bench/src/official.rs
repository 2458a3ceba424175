//! The official clients, Python `replicate==1.0.7` and JS `replicate@1.4.0`: installed on first
//! use into the bench cache folder (a venv and an npm prefix), driven by small scripts written
//! there at run time. Each driver run prints one JSON line: calls, seconds, errors.

use crate::measure::Sample;
use crate::server::{PREDICTION_ID, TOKEN};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The Python package measured.
pub const PYTHON_PACKAGE: &str = "replicate";
/// Its version.
pub const PYTHON_VERSION: &str = "1.0.7";
/// The npm package measured.
pub const JS_PACKAGE: &str = "replicate";
/// Its version.
pub const JS_VERSION: &str = "1.4.0";

const INSTALL_LIMIT: Duration = Duration::from_secs(600);

/// The Python driver: `driver.py ID BASE_URL CALLS CONCURRENCY LIMIT_SECONDS TOKEN`.
pub const PYTHON_DRIVER: &str = r#"# Written by replicate-bench; drives the official Python client against the fake server.
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import replicate

pid, base_url = sys.argv[1], sys.argv[2]
calls, concurrency, limit = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
token = sys.argv[6]
# base_url has no /v1: the Python client adds it to every path.
client = replicate.Client(api_token=token, base_url=base_url)


def one():
    try:
        p = client.predictions.get(pid)
        if p.status != "succeeded" or p.id != pid:
            return "unexpected prediction: status=%r id=%r" % (p.status, p.id)
        return None
    except Exception as e:  # every failure is counted, never timed as a success
        return "%s: %s" % (type(e).__name__, e)


SKIPPED = object()
deadline = 0.0


def timed(_):
    if time.monotonic() >= deadline:
        return SKIPPED
    return one()


warm = [one()]  # also creates the lazily built HTTP client before any thread uses it
if concurrency <= 1:
    deadline = time.monotonic() + limit
    start = time.perf_counter()
    results = [timed(i) for i in range(calls)]
    seconds = time.perf_counter() - start
else:
    with ThreadPoolExecutor(concurrency) as pool:
        warm += list(pool.map(lambda _: one(), range(concurrency)))
        deadline = time.monotonic() + limit
        start = time.perf_counter()
        results = list(pool.map(timed, range(calls)))
        seconds = time.perf_counter() - start
done = [r for r in results if r is not SKIPPED]
failures = [r for r in warm + done if r is not None]
print(json.dumps({
    "calls": len(done),
    "seconds": seconds,
    "errors": len(failures),
    "first_error": failures[0] if failures else None,
    "truncated": len(done) < calls,
}))
"#;

/// The JS driver: `driver.mjs ID BASE_URL CALLS CONCURRENCY LIMIT_SECONDS TOKEN`.
pub const JS_DRIVER: &str = r#"// Written by replicate-bench; drives the official JS client against the fake server.
import Replicate from "replicate";

const [pid, baseUrl, callsArg, concurrencyArg, limitArg, token] = process.argv.slice(2);
const calls = Number(callsArg);
const concurrency = Number(concurrencyArg);
const limitMs = Number(limitArg) * 1000;
const replicate = new Replicate({ auth: token, baseUrl });

async function one() {
  try {
    const p = await replicate.predictions.get(pid);
    if (p.status !== "succeeded" || p.id !== pid) {
      return `unexpected prediction: status=${p.status} id=${p.id}`;
    }
    return null;
  } catch (e) {
    // every failure is counted, never timed as a success
    return String((e && e.message) || e);
  }
}

const warm = [];
const results = [];
let start;
let deadline;
if (concurrency <= 1) {
  warm.push(await one());
  start = performance.now();
  deadline = start + limitMs;
  for (let i = 0; i < calls && performance.now() < deadline; i++) {
    results.push(await one());
  }
} else {
  warm.push(...(await Promise.all(Array.from({ length: concurrency }, () => one()))));
  start = performance.now();
  deadline = start + limitMs;
  for (let done = 0; done < calls && performance.now() < deadline; ) {
    const n = Math.min(concurrency, calls - done);
    results.push(...(await Promise.all(Array.from({ length: n }, () => one()))));
    done += n;
  }
}
const seconds = (performance.now() - start) / 1000;
const failures = warm.concat(results).filter((r) => r !== null);
console.log(JSON.stringify({
  calls: results.length,
  seconds,
  errors: failures.length,
  first_error: failures.length ? failures[0] : null,
  truncated: results.length < calls,
}));
"#;

/// Which official client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Python `replicate`.
    Python,
    /// JS `replicate`.
    Js,
}

impl Lang {
    /// `python` / `js`.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Python => "python",
            Lang::Js => "js",
        }
    }
}

/// An installed official client and its driver script.
#[derive(Debug, Clone)]
pub struct Driver {
    /// Which client.
    pub lang: Lang,
    program: PathBuf,
    script: PathBuf,
}

/// The result of a command run with a time limit.
struct Output {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Runs `command` to completion, killing it after `limit`.
fn run(mut command: Command, limit: Duration) -> Result<Output, String> {
    let shown = format!("{command:?}");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .spawn()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_string(&mut text);
            }
            text
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{shown} took longer than {limit:?} and was stopped"
                ));
            }
            Err(e) => return Err(format!("cannot wait for {shown}: {e}")),
        }
    };
    Ok(Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

/// Runs `command`, failing unless it exits 0.
fn run_ok(command: Command, limit: Duration) -> Result<Output, String> {
    let shown = format!("{command:?}");
    let output = run(command, limit)?;
    if output.status.success() {
        Ok(output)
    } else {
        let tail: String = {
            let text = format!("{}{}", output.stdout, output.stderr);
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(8)..].join("\n  ")
        };
        Err(format!("{shown} failed ({}):\n  {tail}", output.status))
    }
}

fn installed_python_version(python: &Path) -> Option<String> {
    let mut command = Command::new(python);
    command.args([
        "-c",
        "import importlib.metadata as m, replicate; print(m.version('replicate'))",
    ]);
    let output = run(command, Duration::from_secs(60)).ok()?;
    output
        .status
        .success()
        .then(|| output.stdout.trim().to_string())
}

/// Installs `replicate==1.0.7` into `cache/venv` when missing; writes `cache/driver.py`.
pub fn setup_python(cache: &Path) -> Result<Driver, String> {
    let venv = cache.join("venv");
    let python = venv.join("bin").join("python");
    if installed_python_version(&python).as_deref() != Some(PYTHON_VERSION) {
        eprintln!(
            "bench: installing {PYTHON_PACKAGE}=={PYTHON_VERSION} into {}",
            venv.display()
        );
        std::fs::create_dir_all(cache).map_err(|e| format!("cannot create {cache:?}: {e}"))?;
        if !python.exists() {
            let mut command = Command::new("python3");
            command.arg("-m").arg("venv").arg(&venv);
            run_ok(command, INSTALL_LIMIT)?;
        }
        let mut command = Command::new(&python);
        command.args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            &format!("{PYTHON_PACKAGE}=={PYTHON_VERSION}"),
        ]);
        run_ok(command, INSTALL_LIMIT)?;
        let found = installed_python_version(&python);
        if found.as_deref() != Some(PYTHON_VERSION) {
            return Err(format!(
                "after installing, the venv has replicate {found:?}, not {PYTHON_VERSION}"
            ));
        }
    }
    let script = cache.join("driver.py");
    std::fs::write(&script, PYTHON_DRIVER).map_err(|e| format!("cannot write {script:?}: {e}"))?;
    Ok(Driver {
        lang: Lang::Python,
        program: python,
        script,
    })
}

fn installed_js_version(prefix: &Path) -> Option<String> {
    let manifest = prefix
        .join("node_modules")
        .join(JS_PACKAGE)
        .join("package.json");
    let text = std::fs::read_to_string(manifest).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    value.get("version")?.as_str().map(str::to_string)
}

/// Installs `replicate@1.4.0` under `cache/js` when missing; writes `cache/js/driver.mjs`.
pub fn setup_js(cache: &Path) -> Result<Driver, String> {
    let prefix = cache.join("js");
    let mut node = Command::new("node");
    node.arg("--version");
    run_ok(node, Duration::from_secs(60))?;
    if installed_js_version(&prefix).as_deref() != Some(JS_VERSION) {
        eprintln!(
            "bench: installing {JS_PACKAGE}@{JS_VERSION} into {}",
            prefix.display()
        );
        std::fs::create_dir_all(&prefix).map_err(|e| format!("cannot create {prefix:?}: {e}"))?;
        let mut command = Command::new("npm");
        command.arg("install").arg("--prefix").arg(&prefix).args([
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            &format!("{JS_PACKAGE}@{JS_VERSION}"),
        ]);
        run_ok(command, INSTALL_LIMIT)?;
        let found = installed_js_version(&prefix);
        if found.as_deref() != Some(JS_VERSION) {
            return Err(format!(
                "after installing, {prefix:?} has replicate {found:?}, not {JS_VERSION}"
            ));
        }
    }
    // Beside node_modules, so that `import "replicate"` resolves to the installed package.
    let script = prefix.join("driver.mjs");
    std::fs::write(&script, JS_DRIVER).map_err(|e| format!("cannot write {script:?}: {e}"))?;
    Ok(Driver {
        lang: Lang::Js,
        program: PathBuf::from("node"),
        script,
    })
}

/// Parses a driver's JSON line.
pub fn parse_result(stdout: &str) -> Result<Sample, String> {
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .ok_or_else(|| format!("the driver printed no result line: {stdout:?}"))?;
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("bad result line {line:?}: {e}"))?;
    let number = |key: &str| {
        value
            .get(key)
            .and_then(serde_json::Value::as_f64)
            .ok_or_else(|| format!("result line {line:?} has no number `{key}`"))
    };
    Ok(Sample {
        calls: number("calls")? as u64,
        errors: number("errors")? as u64,
        seconds: number("seconds")?,
        first_error: value
            .get("first_error")
            .and_then(serde_json::Value::as_str)
            .map(str::to_string),
        truncated: value
            .get("truncated")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false),
    })
}

impl Driver {
    /// One driver run: `calls` gets with `concurrency` in flight, against the server at
    /// `origin` (`http://127.0.0.1:PORT`). A driver that crashes counts as one error.
    pub fn run(&self, origin: &str, calls: u64, concurrency: usize, limit: Duration) -> Sample {
        let base_url = match self.lang {
            // The Python client appends /v1 itself; the JS client's baseUrl includes it.
            Lang::Python => origin.to_string(),
            Lang::Js => format!("{origin}/v1"),
        };
        let mut command = Command::new(&self.program);
        command.arg(&self.script).args([
            PREDICTION_ID,
            &base_url,
            &calls.to_string(),
            &concurrency.to_string(),
            &limit.as_secs_f64().to_string(),
            TOKEN,
        ]);
        if let Some(dir) = self.script.parent() {
            command.current_dir(dir);
        }
        let outcome = run(command, limit + Duration::from_secs(120)).and_then(|output| {
            if output.status.success() {
                parse_result(&output.stdout)
            } else {
                Err(format!(
                    "the {} driver failed ({}): {}",
                    self.lang.name(),
                    output.status,
                    output.stderr.trim()
                ))
            }
        });
        outcome.unwrap_or_else(|e| Sample {
            errors: 1,
            first_error: Some(e),
            truncated: true,
            ..Sample::default()
        })
    }
}
