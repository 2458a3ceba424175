//! `cargo replicate`: typed Replicate models in your own crate.
//!
//! ```text
//! cargo replicate add OWNER/NAME[:VERSION]   fetch a version's schema into replicate/ and pin it
//! cargo replicate update [OWNER/NAME]        re-pin to the latest version; non-zero on a breaking change
//! cargo replicate check                      verify replicate/ against replicate/models.lock
//! cargo replicate generate --out DIR         write a standalone crate of the typed models
//! ```
//!
//! Fetching uses `replicate-typed` with `REPLICATE_API_TOKEN` (and `REPLICATE_BASE_URL`, e.g.
//! a local fake). The pinning logic is `replicate_build::pin`, shared with the build-script
//! route, which reads the same folder.

use clap::{Parser, Subcommand};
use replicate_build::{lock, pin, sources, LOCK_FILE};
use replicate_typed::Client;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "cargo replicate",
    bin_name = "cargo replicate",
    about = "Pin Replicate model versions and generate their typed inputs and outputs"
)]
struct Cli {
    /// The models folder (relative to the current directory).
    #[arg(long, global = true, default_value = "replicate")]
    dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Fetch a model version's schema into the folder and pin it in models.lock. Replacing a
    /// pinned version with a breaking change is refused (exit 2) like `update`.
    Add {
        /// `owner/name` (the latest version) or `owner/name:version`.
        model: String,
        /// Replace a pinned version even when the change breaks code using it.
        #[arg(long)]
        allow_breaking: bool,
    },
    /// Re-pin models (all, or one) to their latest version, printing what changes for
    /// callers. Exits with 2, changing nothing, when a change is breaking.
    Update {
        /// Only this model.
        model: Option<String>,
        /// Re-pin even when the change breaks code that compiled against the old version.
        #[arg(long)]
        allow_breaking: bool,
    },
    /// Verify the folder against models.lock, and that every schema generates (for CI).
    Check,
    /// Write a standalone crate of the typed models.
    Generate {
        /// Where to write the crate.
        #[arg(long)]
        out: PathBuf,
        /// The package name.
        #[arg(long, default_value = "replicate-models")]
        name: String,
        /// The crate's dependency on replicate-typed: a version (`0.1`), `path:DIR`,
        /// `git:URL`, or a TOML table (`{ git = "..", branch = ".." }`).
        #[arg(long)]
        client_dep: Option<String>,
    },
}

/// An outcome the command reports and exits on.
enum Failure {
    /// Something went wrong (exit 1).
    Error(String),
    /// A breaking change was refused (exit 2).
    Breaking,
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Failure {
        Failure::Error(e.to_string())
    }
}

fn main() -> ExitCode {
    // Run as `cargo replicate ..`, cargo passes `replicate` as the first argument.
    let mut args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("replicate") {
        args.remove(1);
    }
    let cli = Cli::parse_from(args);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Error(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
        Err(Failure::Breaking) => ExitCode::from(2),
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    let dir = cli.dir;
    let lock_path = dir.join(LOCK_FILE);
    match cli.command {
        Command::Add {
            model,
            allow_breaking,
        } => {
            let (owner, name, version) = pin::parse_reference(&model)?;
            let api = Api::from_env()?;
            let version = match version {
                Some(v) => v,
                None => api.latest_version(&owner, &name)?,
            };
            let fetched = api.version(&owner, &name, &version)?;
            let plan = pin::plan(&dir, &owner, &name, &fetched)?;
            println!("{}", pin::describe(&plan));
            if plan.is_breaking() && !allow_breaking {
                eprintln!(
                    "error: breaking changes above; nothing was changed (rerun with --allow-breaking to re-pin anyway)"
                );
                return Err(Failure::Breaking);
            }
            pin::apply(&plan, &lock_path)?;
            println!(
                "pinned {} {} in {}",
                plan.model,
                plan.new_version,
                lock_path.display()
            );
            Ok(())
        }
        Command::Update {
            model,
            allow_breaking,
        } => update(&dir, &lock_path, model, allow_breaking),
        Command::Check => {
            let problems = lock::check(&dir, &lock_path)?;
            if !problems.is_empty() {
                return Err(Failure::Error(format!(
                    "{} disagrees with {}:\n  {}\nrun `cargo replicate update` (or `add`) to pin what you mean",
                    dir.display(),
                    lock_path.display(),
                    problems.join("\n  ")
                )));
            }
            let sources = sources::load_sources(&dir, Path::new("."))?;
            let file = replicate_codegen::generate_models_file(
                &sources,
                &replicate_codegen::ModelsFileOptions {
                    module: None,
                    runtime_crate: "replicate_typed".into(),
                    command: "cargo replicate check".into(),
                },
            )?;
            println!(
                "check: {} models in {} match {} and generate",
                file.models,
                dir.display(),
                lock_path.display()
            );
            Ok(())
        }
        Command::Generate {
            out,
            name,
            client_dep,
        } => generate(&dir, &out, &name, client_dep.as_deref()),
    }
}

fn update(
    dir: &Path,
    lock_path: &Path,
    only: Option<String>,
    allow_breaking: bool,
) -> Result<(), Failure> {
    let pins = lock::read(lock_path)?;
    let models: Vec<String> = match only {
        Some(m) => {
            let (owner, name, _) = pin::parse_reference(&m)?;
            vec![format!("{owner}/{name}")]
        }
        None => pins.keys().cloned().collect(),
    };
    if models.is_empty() {
        return Err(Failure::Error(format!(
            "nothing is pinned in {} (add a model with `cargo replicate add owner/name`)",
            lock_path.display()
        )));
    }
    let api = Api::from_env()?;
    let mut plans = Vec::new();
    for model in &models {
        let (owner, name, _) = pin::parse_reference(model)?;
        let latest = api.latest_version(&owner, &name)?;
        let plan = pin::plan(dir, &owner, &name, &api.version(&owner, &name, &latest)?)?;
        println!("{}", pin::describe(&plan));
        plans.push(plan);
    }
    // All or nothing: one refused model leaves every pin as it was.
    if !allow_breaking && plans.iter().any(pin::Plan::is_breaking) {
        eprintln!(
            "error: breaking changes above; nothing was changed (rerun with --allow-breaking to re-pin anyway)"
        );
        return Err(Failure::Breaking);
    }
    for plan in plans.iter().filter(|p| !p.is_unchanged()) {
        pin::apply(plan, lock_path)?;
    }
    println!("updated {} in {}", models.join(", "), lock_path.display());
    Ok(())
}

fn generate(dir: &Path, out: &Path, name: &str, client_dep: Option<&str>) -> Result<(), Failure> {
    let sources = sources::load_sources(dir, Path::new("."))?;
    let options = replicate_codegen::StandaloneOptions {
        crate_name: name.to_string(),
        runtime_dep: dependency_spec(client_dep),
        spec_label: dir.display().to_string(),
        // Its own workspace root, so it builds wherever it is written (inside another
        // package's folder too); remove `[workspace]` to make it a member of yours.
        own_workspace: true,
        command: Some(format!("cargo replicate generate --dir {}", dir.display())),
        lenient: false,
    };
    let generated = replicate_codegen::generate_models_standalone(&sources, &options)?;
    for file in &generated.files {
        let path = out.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, &file.contents)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    println!(
        "generate: crate {name} with {} models in {} (replicate-typed = {})",
        generated.models,
        out.display(),
        options.runtime_dep
    );
    Ok(())
}

/// The TOML value of the `replicate-typed` dependency. Never a path into whichever checkout
/// built this tool: by default the version this tool was built with.
fn dependency_spec(spec: Option<&str>) -> String {
    match spec.map(str::trim) {
        None | Some("") => format!("{:?}", env!("CARGO_PKG_VERSION")),
        Some(table) if table.starts_with('{') => table.to_string(),
        Some(path) if path.starts_with("path:") => {
            replicate_codegen::path_dependency(&path["path:".len()..])
        }
        Some(git) if git.starts_with("git:") => format!("{{ git = {:?} }}", &git["git:".len()..]),
        Some(version) => format!("{version:?}"),
    }
}

/// The API, through our own client.
struct Api {
    client: Client,
    runtime: tokio::runtime::Runtime,
}

impl Api {
    fn from_env() -> Result<Api, Failure> {
        Ok(Api {
            client: Client::from_env()?,
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?,
        })
    }

    /// The raw JSON of a request (files keep exactly what the API said).
    fn raw(
        &self,
        request: Result<replicate_typed::runtime::RequestSpec, replicate_typed::Error>,
    ) -> Result<String, Failure> {
        let response = self
            .runtime
            .block_on(async { self.client.execute(request?).await })?;
        Ok(response.text()?)
    }

    fn latest_version(&self, owner: &str, name: &str) -> Result<String, Failure> {
        let text = self.raw(self.client.models().get(owner, name).into_request())?;
        let model: serde_json::Value = serde_json::from_str(&text)?;
        model
            .pointer("/latest_version/id")
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .ok_or_else(|| Failure::Error(format!("{owner}/{name} has no latest version")))
    }

    fn version(&self, owner: &str, name: &str, version: &str) -> Result<String, Failure> {
        self.raw(
            self.client
                .models()
                .versions()
                .get(owner, name, version)
                .into_request(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_specs() {
        assert_eq!(
            dependency_spec(None),
            format!("\"{}\"", env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(dependency_spec(Some("0.2")), "\"0.2\"");
        assert_eq!(
            dependency_spec(Some("path:../client")),
            "{ path = \"../client\" }"
        );
        assert_eq!(
            dependency_spec(Some("git:https://example.com/r.git")),
            "{ git = \"https://example.com/r.git\" }"
        );
        assert_eq!(
            dependency_spec(Some("{ git = \"x\", branch = \"main\" }")),
            "{ git = \"x\", branch = \"main\" }"
        );
    }

    #[test]
    fn parses_as_a_cargo_subcommand() {
        Cli::try_parse_from(["cargo replicate", "update", "acme/echo", "--allow-breaking"])
            .unwrap();
        Cli::try_parse_from(["cargo replicate", "--dir", "x", "generate", "--out", "o"]).unwrap();
        assert!(Cli::try_parse_from(["cargo replicate", "frobnicate"]).is_err());
    }
}
