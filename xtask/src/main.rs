//! `cargo xtask`: the project's automation, in Rust.
//!
//! - `generate` writes the generated code from `spec/` (or checks it is fresh with `--check`;
//!   or writes a standalone crate from any spec with `--spec FILE --out DIR`).
//! - `fetch-spec` downloads the live OpenAPI description (and prints what changed).
//! - `changelog` writes the CHANGELOG section for what changed in `spec/openapi.json`.
//! - `diff-spec OLD [NEW]` prints the semantic diff of two specs, breaking vs compatible.
//! - `test` provisions the test tools and runs the whole test suite.
//! - `cog-schemas` regenerates the Cog test predictors' schema fixtures (or checks them).
//! - `bench` runs the throughput benchmark (`crates/replicate-bench`) in release mode; with
//!   `--generator`, the generator benchmark against progenitor instead.
//!
//! All logic that turns specs into code lives in `replicate-codegen`; this is the I/O shell.

// Generation allocates and frees many small token trees; glibc's allocator spent a quarter of
// `generate`'s time there (perf), mimalloc far less.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod add_model;
mod bench;
mod build_cost;
mod changelog;
mod cog;
mod diff;
mod fetch;
mod files;
mod generate;
mod models;
mod paths;
mod test_cmd;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Project automation for the Replicate Rust client"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate the client code from spec/ (or a standalone crate from --spec).
    Generate {
        /// Write nothing; fail listing stale files.
        #[arg(long)]
        check: bool,
        /// Generate a standalone crate from this spec file instead of the workspace code.
        #[arg(long, requires = "out")]
        spec: Option<PathBuf>,
        /// Output directory of the standalone crate.
        #[arg(long, requires = "spec")]
        out: Option<PathBuf>,
        /// Package name of the standalone crate (default: from the spec's `info.title`, e.g.
        /// `replicate-http-api`).
        #[arg(long)]
        name: Option<String>,
        /// Read an invalid but common spec with warnings instead of refusing it: a path
        /// variable no operation declares becomes a string parameter, a repeated operationId
        /// gets the method appended.
        #[arg(long, requires = "spec")]
        lenient: bool,
        /// Also write the CHANGELOG section for the spec's changes (see `changelog`).
        #[arg(long, conflicts_with_all = ["check", "spec"])]
        changelog: bool,
    },
    /// Write the CHANGELOG.md section describing what changed in spec/openapi.json since the
    /// last commit, for callers of the generated client.
    Changelog,
    /// Generate a standalone crate of typed models from every schema file in a folder.
    Models {
        /// Folder of model files (version objects, corpus files or bare `openapi_schema`s).
        #[arg(long)]
        schemas: PathBuf,
        /// Output directory of the crate.
        #[arg(long)]
        out: PathBuf,
        /// Crate name.
        #[arg(long, default_value = "replicate-models-generated")]
        name: String,
    },
    /// Fetch a model version's schema into spec/models/ and pin it in spec/models.lock.
    AddModel {
        /// `owner/name` (latest version) or `owner/name:version`.
        model: Option<String>,
        /// API base URL (default `REPLICATE_BASE_URL`, else Replicate's).
        #[arg(long)]
        base_url: Option<String>,
        /// Rewrite spec/models.lock from the files in spec/models/ instead.
        #[arg(long)]
        relock: bool,
    },
    /// Download the live OpenAPI description.
    FetchSpec {
        /// Where to download from.
        #[arg(long, default_value = fetch::DEFAULT_SPEC_URL)]
        url: String,
        /// Where to write it.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Semantic diff of two OpenAPI files: what changes for callers of the generated client.
    DiffSpec {
        /// The older spec.
        old: PathBuf,
        /// The newer spec [default: spec/openapi.json].
        new: Option<PathBuf>,
        /// Print JSON (for tools) instead of text.
        #[arg(long)]
        json: bool,
        /// Exit non-zero when any change is breaking.
        #[arg(long)]
        fail_on_breaking: bool,
    },
    /// Install Cog into .cache/cog and regenerate tests/cog/*/openapi_schema.json.
    CogSchemas {
        /// Write nothing; fail listing stale fixtures.
        #[arg(long)]
        check: bool,
    },
    /// Install what the tests need (into .cache/) and run the whole test suite.
    Test {
        /// Extra arguments for `cargo test`.
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Benchmark the client against raw reqwest and the official Python and JS clients
    /// (or, with --generator, our generator against progenitor).
    Bench {
        /// Time our generator against progenitor instead (builds progenitor on first use).
        #[arg(long)]
        generator: bool,
        /// Measure what a user's build pays instead: clean builds of a fresh app, `cargo
        /// install` and the build-script route, each beside its baseline (`--rounds N`,
        /// `--only a|b|c`).
        #[arg(long, conflicts_with = "generator")]
        build_cost: bool,
        /// Arguments for the benchmark (`--quick`, `--no-official`, `--help`; with --generator,
        /// `--rounds N`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate {
            check,
            spec: Some(spec),
            out: Some(out),
            name,
            lenient,
            ..
        } => generate::standalone(&spec, &out, name.as_deref().unwrap_or(""), check, lenient),
        Command::Generate {
            check, changelog, ..
        } => generate::workspace(check, changelog),
        Command::Changelog => changelog::run(&paths::workspace_root()),
        Command::Models { schemas, out, name } => models::standalone(&schemas, &out, &name),
        Command::AddModel { relock: true, .. } => add_model::relock(&paths::workspace_root()),
        Command::AddModel {
            model: Some(model),
            base_url,
            ..
        } => {
            let base = base_url
                .or_else(|| std::env::var("REPLICATE_BASE_URL").ok())
                .unwrap_or_else(|| "https://api.replicate.com/v1".into());
            match std::env::var("REPLICATE_API_TOKEN") {
                Ok(token) => add_model::run(&paths::workspace_root(), &model, &base, &token),
                Err(_) => Err("REPLICATE_API_TOKEN is not set".into()),
            }
        }
        Command::AddModel { .. } => Err("give a model (`owner/name[:version]`) or --relock".into()),
        Command::FetchSpec { url, out } => fetch::run(
            &url,
            &out.unwrap_or_else(|| paths::workspace_root().join("spec/openapi.json")),
        ),
        Command::DiffSpec {
            old,
            new,
            json,
            fail_on_breaking,
        } => diff::run(
            &old,
            &new.unwrap_or_else(|| paths::workspace_root().join(paths::CLIENT_SPEC)),
            json,
            fail_on_breaking,
        ),
        Command::CogSchemas { check } => cog::schemas(check),
        Command::Test { args } => test_cmd::run(&args),
        Command::Bench {
            build_cost: true,
            args,
            ..
        } => build_cost::run(&args),
        Command::Bench {
            generator, args, ..
        } => bench::run(generator, &args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
