//! fieldbench: FieldCore's benchmark suites. Each measures one concern in a release build and
//! prints one JSON object: `cargo run --release -p fieldbench -- <store|photos|parts|scale|sync|console> --json`
//! (docs/benchmarks.md holds the numbers measured and what each figure means).

mod blob_upload;
mod console_list;
mod error;
mod measure;
mod parts;
mod pg_schema;
mod photos;
mod real_photos;
mod report;
mod scale;
mod store;
mod sync;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde_json::{Value, json};

use crate::error::BenchError;

#[derive(Debug, Parser)]
#[command(
    name = "fieldbench",
    version,
    about = "FieldCore's benchmarks: each suite prints one JSON object"
)]
struct Cli {
    /// The object on one line (errors too, as {"error": {...}}); without it, indented
    #[arg(long, global = true)]
    json: bool,

    #[command(subcommand)]
    suite: Suite,
}

#[derive(Debug, Subcommand)]
enum Suite {
    /// The store at field scale: command, open, list and search latency, memory, size
    Store {
        /// How many cases to fill the store with
        #[arg(long, default_value_t = 10_000)]
        cases: usize,
    },
    /// Internal: the read-only process whose peak memory `store` reports
    #[command(hide = true)]
    StoreRssProbe {
        #[arg(long)]
        store: PathBuf,
    },
    /// Photo import: a 12 MP phone photo through the pipeline into files, against the
    /// image crate's own resize, then real photos (fetched by bench/real-photos.sh)
    Photos {
        /// How many timed imports with each resizer
        #[arg(long, default_value_t = 11)]
        runs: usize,
    },
    /// Internal: the process that only imports, whose peak memory `photos` reports
    #[command(hide = true)]
    PhotosRssProbe {
        #[arg(long)]
        photo: PathBuf,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Warranty parts: a center's balance over a quarter of 5,000 movements on the tablet, and
    /// HQ's write-off of 50 such centers on SQLite and PostgreSQL
    Parts,
    /// HQ on PostgreSQL under load: an empty sync's latency while another device pushes
    /// 100 MB (needs FIELDHQ_TEST_PG_URL)
    Scale,
    /// HQ's console at 100,000 cases: the case list's server time over its filters, the
    /// monthly quality report generated and exported to Excel, on SQLite and PostgreSQL
    Console,
    /// Sync with a real HQ on loopback: 10,000 cases changed, unchanged and bootstrapped
    /// against plain per-case automerge sync, then 50 concurrent devices and 500 at once
    Sync {
        /// Cases on the device that is already in sync
        #[arg(long, default_value_t = 10_000)]
        cases: usize,
        /// Devices syncing changes concurrently for the throughput figure
        #[arg(long, default_value_t = 50)]
        clients: usize,
        /// How long the concurrent devices run, in seconds
        #[arg(long, default_value_t = 10)]
        client_seconds: u64,
        /// Devices that each sync once, all at the same moment
        #[arg(long, default_value_t = 500)]
        devices: usize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.suite) {
        Ok(value) => match print(&value, cli.json) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: could not write the result: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("error: {e}");
            if cli.json {
                let error = json!({ "error": { "kind": "bench", "message": e.to_string() } });
                let _ = print(&error, true);
            }
            ExitCode::FAILURE
        }
    }
}

fn run(suite: Suite) -> Result<Value, BenchError> {
    match suite {
        Suite::Store { cases } => store::store(cases),
        Suite::StoreRssProbe { store } => store::store_rss_probe(&store),
        Suite::Photos { runs } => photos::photos(runs),
        Suite::Parts => parts::parts(),
        Suite::Scale => scale::scale(),
        Suite::Console => report::report().map(Value::Object),
        Suite::PhotosRssProbe { photo, runs } => photos::photos_rss_probe(&photo, runs),
        Suite::Sync {
            cases,
            clients,
            client_seconds,
            devices,
        } => sync::sync(sync::SyncBench {
            cases,
            clients,
            client_seconds,
            devices,
        }),
    }
}

/// One object on one line with `--json`, indented otherwise.
fn print(value: &Value, one_line: bool) -> std::io::Result<()> {
    let text = if one_line {
        value.to_string()
    } else {
        serde_json::to_string_pretty(value).map_err(std::io::Error::from)?
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()
}
