//! The `fieldhq` binary: `serve` runs the HQ server; the other subcommands administer the same
//! storage (users, devices, assignment, routing, reference data) and may run while it serves.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::TypedValueParser as _;
use clap::{Parser, Subcommand};
use fieldcore::{Locale, Localized, label_padded, text_width};
use fieldhq::blob_s3::S3Config;
use fieldhq::blobs::{BlobLocation, BlobStore};
use fieldhq::storage::{CaseIndexQuery, CaseIndexRow, EscalationRow};
use fieldhq::{Role, ServeConfig, Storage, StorageConfig, admin};
use uuid::Uuid;

mod archive_cli;
mod parts_cli;
mod report_cli;
mod writeoff_cli;

#[derive(Parser)]
#[command(
    name = "fieldhq",
    version,
    about = "FieldCore HQ server and its administration"
)]
struct Cli {
    /// The data folder: the SQLite database (unless --database-url) and the photo blobs.
    #[arg(long, global = true, default_value = "fieldhq-data")]
    data: PathBuf,
    /// Use PostgreSQL (postgres://user@host/db) instead of the embedded SQLite database.
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Connections this process keeps to PostgreSQL at most. With several instances on one
    /// database, give each its share of what the database serves at once
    /// (docs/operations.md, "Database connections").
    #[arg(
        long,
        global = true,
        env = "FIELDHQ_DATABASE_CONNECTIONS",
        default_value_t = fieldhq::DEFAULT_DATABASE_CONNECTIONS,
        value_parser = clap::value_parser!(u16).range(1..).map(usize::from),
        value_name = "N"
    )]
    database_connections: usize,
    /// Where the blobs (photos, signatures, vouchers) are kept: a folder, or
    /// s3://BUCKET/PREFIX for S3-compatible object storage, whose credentials come from
    /// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) [default: the
    /// data folder's `blobs`].
    #[arg(
        long,
        global = true,
        env = "FIELDHQ_BLOBS",
        value_name = "DIR|s3://BUCKET/PREFIX"
    )]
    blobs: Option<String>,
    /// The object storage's URL when it is not AWS S3 (MinIO, Garage, Ceph, Alibaba Cloud
    /// OSS), e.g. http://127.0.0.1:3900 or https://oss-cn-hangzhou.aliyuncs.com.
    #[arg(long, global = true, env = "FIELDHQ_S3_ENDPOINT", value_name = "URL")]
    s3_endpoint: Option<String>,
    /// The object storage's region.
    #[arg(
        long,
        global = true,
        env = "FIELDHQ_S3_REGION",
        default_value = "us-east-1"
    )]
    s3_region: String,
    /// Path-style requests (ENDPOINT/BUCKET/KEY) instead of virtual-hosted ones
    /// (BUCKET.ENDPOINT/KEY): what MinIO, Garage and most self-hosted services need.
    #[arg(long, global = true, env = "FIELDHQ_S3_PATH_STYLE")]
    s3_path_style: bool,
    /// Log level: error, warn, info, debug, trace (also FIELDHQ_LOG).
    #[arg(long, global = true)]
    log: Option<String>,
    /// The company's time zone (IANA name): a case number's month, and the read model's,
    /// is the month the complaint was received there.
    #[arg(
        long,
        global = true,
        default_value = "Asia/Shanghai",
        env = "FIELDHQ_TIME_ZONE"
    )]
    time_zone: chrono_tz::Tz,
    /// The language of what the administration commands print: zh-CN or en [default: zh-CN
    /// when $LANG says zh, else en]. The server's log stays English.
    #[arg(long, global = true, value_name = "LANG")]
    lang: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server until SIGINT or SIGTERM.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8640")]
        addr: SocketAddr,
        /// The most one case's stored history may take, in MiB; a push that would grow a case
        /// past it is rejected for that case.
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=1024))]
        case_limit_mib: u64,
        #[command(flatten)]
        limits: LimitArgs,
        /// Mark the console's cookies Secure on every response, not only on requests a TLS
        /// proxy forwarded with `X-Forwarded-Proto: https`.
        #[arg(long)]
        console_secure_cookies: bool,
    },
    /// Users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Devices and their tokens.
    Device {
        #[command(subcommand)]
        command: DeviceCommand,
    },
    /// Assign a case (id or number) to an engineer.
    Assign {
        case: String,
        #[arg(long)]
        engineer: String,
    },
    /// Route a case (id or number) to a repair center.
    Route {
        case: String,
        #[arg(long)]
        center: String,
    },
    /// Reference data devices receive: policies and catalogs.
    Reference {
        #[command(subcommand)]
        command: ReferenceCommand,
    },
    /// Cases, from the read model.
    Case {
        #[command(subcommand)]
        command: CaseCommand,
    },
    /// Rebuild every case's read-model row from its document; prints how many.
    Reindex,
    /// Escalations: major quality incidents, batch faults, overdue cases.
    Escalation {
        #[command(subcommand)]
        command: EscalationCommand,
    },
    /// Trip requests (出差申请) made on devices: approve or reject.
    Trip {
        #[command(subcommand)]
        command: TripCommand,
    },
    /// Returns and exchanges (退换货): the approval chain, RMA numbers, printed forms.
    Rma {
        #[command(subcommand)]
        command: RmaCommand,
    },
    /// Warranty spare parts (三包配件): requisitions and purchases, issuing stock, old-part
    /// shipments, balances.
    Parts {
        #[command(subcommand)]
        command: parts_cli::PartsCommand,
    },
    /// The quarterly write-off (核销) of a holder's warranty parts: run, approve, export.
    Writeoff {
        #[command(subcommand)]
        command: writeoff_cli::WriteoffCommand,
    },
    /// The monthly product-quality report (产品质量信息月报): generate, issue, re-open, export.
    Report {
        #[command(subcommand)]
        command: report_cli::ReportCommand,
    },
    /// Delivered quantities per month and model, for the report's PPM.
    Shipments {
        #[command(subcommand)]
        command: report_cli::ShipmentsCommand,
    },
    /// Move closed cases to an archive folder or bucket (`archive restore NUMBER` puts one
    /// back).
    Archive(archive_cli::ArchiveArgs),
    /// Copy the embedded database (online) and the photo folder into an empty folder.
    Backup {
        #[arg(long, value_name = "DIR")]
        to: PathBuf,
    },
}

/// The transport limits of `serve` (docs/operations.md); defaults are `Limits::default()`.
#[derive(clap::Args, Debug, Clone, Copy, PartialEq, Eq)]
struct LimitArgs {
    /// Seconds a connection may take to send a request's headers; also the keep-alive idle
    /// timeout.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_timeout_secs: u64,
    /// Seconds a request body may stall (no bytes arriving) before the request is dropped.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3600))]
    body_stall_secs: u64,
    /// Seconds one request may take in all, body included (then `408`).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86400))]
    request_timeout_secs: u64,
    /// Open connections at most; more are answered `503` and closed. Keep it well under the
    /// process's open-file limit (`ulimit -n`).
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_connections: u64,
    /// Open connections from one address at most (none by default). Only for an HQ clients
    /// reach directly: behind a reverse proxy every connection is the proxy's.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_connections_per_source: Option<u64>,
    /// MiB of request bodies in flight at most; a request that does not fit is answered `503`.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(16..=1_048_576))]
    max_body_mib_in_flight: u64,
    /// Failed authentications per address (or token prefix) within a minute that lock it out.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    auth_failures: u32,
    /// Seconds a locked-out address or token prefix is answered `429`.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86400))]
    auth_lockout_secs: u64,
    /// MiB of blob uploads no case names that one device may leave on HQ.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(0..=1_048_576))]
    blob_quota_mib: u64,
    /// Hours an upload no case names is kept before it is removed.
    #[arg(long, default_value_t = 168, value_parser = clap::value_parser!(u64).range(1..=87_600))]
    blob_grace_hours: u64,
}

impl LimitArgs {
    fn limits(self) -> fieldhq::Limits {
        use std::time::Duration;
        const MIB: u64 = 1024 * 1024;
        fieldhq::Limits {
            header_read_timeout: Duration::from_secs(self.header_timeout_secs),
            body_stall_timeout: Duration::from_secs(self.body_stall_secs),
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            // At most 1,000,000 by the parser: fits any usize HQ runs on.
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
            max_connections_per_source: self
                .max_connections_per_source
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            max_body_bytes_in_flight: self.max_body_mib_in_flight * MIB,
            auth_failures: self.auth_failures,
            auth_lockout: Duration::from_secs(self.auth_lockout_secs),
            blob_quota_bytes: self.blob_quota_mib * MIB,
            blob_grace: Duration::from_secs(self.blob_grace_hours * 3600),
            ..fieldhq::Limits::default()
        }
    }
}

#[derive(Subcommand)]
enum EscalationCommand {
    /// List escalations, latest first.
    List {
        /// Only those not acknowledged yet.
        #[arg(long)]
        open: bool,
        /// One JSON array instead of a table (times in Unix seconds).
        #[arg(long)]
        json: bool,
    },
    /// Acknowledge an escalation as an HQ staff user; the cases' devices show it.
    Ack {
        id: String,
        #[arg(long)]
        by: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Record every missed deadline in its case, and escalate every case overdue by longer
    /// than the policy's delay (for a cron job).
    Scan {
        /// The time to scan at, RFC 3339 (now by default).
        #[arg(long)]
        at: Option<String>,
    },
}

#[derive(Subcommand)]
enum TripCommand {
    /// Approve the case's (number or id) waiting trip request.
    Approve {
        case: String,
        #[arg(long)]
        by: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Reject the case's waiting trip request, with a reason.
    Reject {
        case: String,
        #[arg(long)]
        by: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand)]
enum RmaCommand {
    /// List returns and exchanges (every filter given must hold), oldest request first.
    List {
        /// Only those waiting for a decision of this role (cs-manager, vp, ...).
        #[arg(long)]
        waiting_for: Option<String>,
        /// awaiting_approval, rejected, awaiting_goods, awaiting_inspection,
        /// awaiting_analysis, awaiting_replenishment, awaiting_customer, done.
        #[arg(long)]
        state: Option<String>,
        /// The case (number or id).
        #[arg(long)]
        case: Option<String>,
        /// The product model.
        #[arg(long)]
        model: Option<String>,
        /// Only those whose re-inspection is past due.
        #[arg(long)]
        overdue: bool,
        /// One JSON array instead of a table (times in Unix seconds).
        #[arg(long)]
        json: bool,
    },
    /// Approve the step waiting in the case (number or id): a return request's, else a
    /// replenishment notice's. The final approval of a request issues its RMA number.
    Approve {
        case: String,
        #[arg(long)]
        by: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Reject the step waiting in the case, with the reason the requester sees; the request
    /// ends.
    Reject {
        case: String,
        #[arg(long)]
        by: String,
        #[arg(long)]
        reason: String,
    },
    /// Print one return (by RMA number, or the latest of a case by its number or id).
    Show {
        number: String,
        #[arg(long)]
        json: bool,
    },
    /// Print the forms of a return: the return/exchange/repair slip, the return receipt, the
    /// exchange slip, with the photos' thumbnails.
    Print {
        /// The RMA number (or the case's number or id: its latest return).
        number: String,
        /// html or pdf.
        #[arg(long, default_value = "html")]
        format: String,
        /// The file to write [default: <RMA number>.<format>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// A TrueType/OpenType font (or collection) with Chinese glyphs, for PDF
        /// [default: fieldhq::forms::DEFAULT_FONTS, the first present].
        #[arg(long)]
        font: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user.
    Add {
        name: String,
        /// engineer, technician, hq-staff, cs-manager, vp, quality or warehouse.
        #[arg(long)]
        role: String,
        /// The repair center of a technician.
        #[arg(long)]
        center: Option<String>,
        /// Read a console password from standard input (one line) and set it: HQ roles
        /// only; the user can then sign in at /console.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set or reset a user's console password, read from standard input (one line); the
    /// user's open console sessions end.
    Password {
        name: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum DeviceCommand {
    /// Enrol a device for a user; prints its id and its token, once.
    Enrol {
        user: String,
        #[arg(long)]
        label: Option<String>,
    },
    /// Revoke a device: its next request is refused.
    Revoke { device: String },
    /// List devices.
    List,
}

#[derive(Subcommand)]
enum ReferenceCommand {
    /// Publish new reference data (a new version).
    Set {
        /// fieldcore policies as JSON.
        #[arg(long)]
        policies: PathBuf,
        /// Product and parts catalogs as JSON; the current ones are kept if absent.
        #[arg(long)]
        catalogs: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum CaseCommand {
    /// List cases (every filter given must hold), by number; overdue ones by due time.
    List {
        /// Only cases with an open deadline already past.
        #[arg(long)]
        overdue: bool,
        /// registered, acknowledged, ..., closed, reopened.
        #[arg(long)]
        status: Option<String>,
        /// The month the complaint was received, YYMM.
        #[arg(long)]
        month: Option<String>,
        /// The product model.
        #[arg(long)]
        model: Option<String>,
        /// The repair center the case is routed to.
        #[arg(long)]
        center: Option<String>,
        /// The confirmed defect cause: design_manufacturing, storage_transport, customer_misuse.
        #[arg(long)]
        cause: Option<String>,
        /// One JSON array instead of a table (times in Unix seconds).
        #[arg(long)]
        json: bool,
    },
    /// Print one case (by number or id) in full, as `fieldctl case show` does.
    Show {
        case: String,
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(cli.log.as_deref());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("fieldhq: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Refusals are worded in both languages; an unknown --lang is reported by `run`.
    let lang_env = std::env::var("LANG").ok();
    let locale = Locale::choose(cli.lang.as_deref(), lang_env.as_deref()).unwrap_or(Locale::En);
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fieldhq: {}", e.text(locale));
            ExitCode::FAILURE
        }
    }
}

/// One line of standard input: a password given with `--password-stdin`, never on the command
/// line (where `ps` and the shell history would show it).
fn read_password() -> fieldhq::Result<String> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn init_logs(level: Option<&str>) {
    let level = level
        .map(str::to_owned)
        .or_else(|| std::env::var("FIELDHQ_LOG").ok())
        .and_then(|l| l.parse::<tracing::Level>().ok())
        .unwrap_or(tracing::Level::INFO);
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    // automerge logs what it finds wrong in a document it loads, at ERROR for some faults; the
    // documents are the clients', so their faults would become HQ's error lines at a client's
    // will. HQ reports every refused push itself; automerge's own lines show only when HQ is
    // debugged.
    let automerge = if level >= tracing::Level::DEBUG {
        tracing_subscriber::filter::LevelFilter::from_level(level)
    } else {
        tracing_subscriber::filter::LevelFilter::OFF
    };
    let filter = tracing_subscriber::filter::Targets::new()
        .with_default(level)
        .with_target("automerge", automerge);
    let format = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    tracing_subscriber::registry()
        .with(format)
        .with(filter)
        .init();
}

/// The `--s3-*` settings, shared by every location a command takes (`--blobs`, `archive
/// --to`, `archive restore --from`).
#[derive(Debug, Clone)]
pub struct S3Settings {
    endpoint: Option<String>,
    region: String,
    path_style: bool,
}

impl S3Settings {
    fn of(cli: &Cli) -> S3Settings {
        S3Settings {
            endpoint: cli.s3_endpoint.clone(),
            region: cli.s3_region.clone(),
            path_style: cli.s3_path_style,
        }
    }

    /// A folder, or an `s3://BUCKET/PREFIX` location with these settings and the credentials
    /// from the environment.
    pub fn location(&self, value: &str) -> fieldhq::Result<BlobLocation> {
        if value.starts_with("s3://") {
            Ok(BlobLocation::S3(S3Config::from_env(
                value,
                self.endpoint.clone(),
                self.region.clone(),
                self.path_style,
                |name| std::env::var(name).ok(),
            )?))
        } else {
            Ok(BlobLocation::Folder(PathBuf::from(value)))
        }
    }
}

/// Where `--blobs` says the blobs are.
fn blob_location(cli: &Cli) -> fieldhq::Result<BlobLocation> {
    match cli.blobs.as_deref() {
        None => Ok(BlobLocation::in_data_dir(&cli.data)),
        Some(value) => S3Settings::of(cli).location(value),
    }
}

async fn run(cli: Cli) -> fieldhq::Result<()> {
    let storage_config = StorageConfig {
        data_dir: cli.data.clone(),
        database_url: cli.database_url.clone(),
        database_connections: cli.database_connections,
    };
    let time_zone = cli.time_zone;
    // Asked for only by the commands that touch blobs: the others run without S3 credentials.
    let blobs = blob_location(&cli);
    let s3 = S3Settings::of(&cli);
    let lang_env = std::env::var("LANG").ok();
    let l = Locale::choose(cli.lang.as_deref(), lang_env.as_deref())
        .ok_or_else(|| fieldhq::Error::Invalid("--lang is zh-CN or en".into()))?;
    if let Command::Serve {
        addr,
        case_limit_mib,
        limits,
        console_secure_cookies,
    } = cli.command
    {
        let mut config = ServeConfig::new(addr, cli.data);
        config.database_url = cli.database_url;
        config.database_connections = cli.database_connections;
        config.blobs = Some(blobs?);
        config.time_zone = time_zone;
        config.case_limit_bytes = case_limit_mib * 1024 * 1024;
        config.limits = limits.limits();
        config.console.secure_cookies = console_secure_cookies;
        let hq = fieldhq::serve(config).await?;
        println!("fieldhq listening on {}", hq.url());
        stop_signal().await;
        tracing::info!("stop signal received; finishing requests in flight");
        return hq.shutdown().await;
    }
    if let Command::Backup { to } = &cli.command {
        return archive_cli::backup(&cli.data, cli.database_url.as_deref(), to, l);
    }
    let storage = Storage::open(&storage_config).await?;
    match cli.command {
        Command::Serve { .. } | Command::Backup { .. } => Ok(()),
        Command::Archive(args) => {
            archive_cli::run(&storage, &blobs?, &s3, args, time_zone, l).await
        }
        Command::User {
            command:
                UserCommand::Add {
                    name,
                    role,
                    center,
                    password_stdin,
                },
        } => {
            let role = Role::parse(&role).ok_or_else(|| {
                fieldhq::Error::Invalid(format!(
                    "--role is one of {}",
                    fieldcore::Role::ALL
                        .map(|r| r.as_str().replace('_', "-"))
                        .join(", ")
                ))
            })?;
            // The password is read and checked first, so a refused one adds no user.
            let password = if password_stdin {
                if !fieldhq::console::access::CONSOLE_ROLES.contains(&role) {
                    return Err(fieldhq::Error::refused(
                        format!("a {role} works on a device and has no console password"),
                        format!("{}在设备上工作，没有控制台密码", role.text(Locale::ZhCn)),
                    ));
                }
                Some(read_password()?)
            } else {
                None
            };
            let user = admin::add_user(&storage, &name, role, center.as_deref()).await?;
            if let Some(password) = password {
                let at = chrono::Utc::now().timestamp();
                fieldhq::console::auth::set_password(&storage, &user.name, &password, at).await?;
            }
            let (name, role) = (&user.name, &user.role);
            // The procedures' names for the roles; English keeps the stored name.
            let zh_role = role.text(fieldcore::Locale::ZhCn);
            println!(
                "{}",
                l.pick(
                    format!("已添加用户 {name}（{zh_role}）"),
                    format!("user {name} ({role}) added")
                )
            );
            Ok(())
        }
        Command::User {
            command: UserCommand::Password { name, .. },
        } => {
            let password = read_password()?;
            let at = chrono::Utc::now().timestamp();
            let user = fieldhq::console::auth::set_password(&storage, &name, &password, at).await?;
            let name = &user.name;
            println!(
                "{}",
                l.pick(
                    format!("已设置 {name} 的控制台密码"),
                    format!("console password of {name} set")
                )
            );
            Ok(())
        }
        Command::Device { command } => device(&storage, command, l).await,
        Command::Assign { case, engineer } => {
            let row = admin::assign(&storage, &case, &engineer, time_zone).await?;
            let case = label(&row);
            println!(
                "{}",
                l.pick(
                    format!("案件 {case} 已派给 {engineer}"),
                    format!("case {case} assigned to {engineer}")
                )
            );
            Ok(())
        }
        Command::Route { case, center } => {
            let row = admin::route(&storage, &case, &center, time_zone).await?;
            let case = label(&row);
            println!(
                "{}",
                l.pick(
                    format!("案件 {case} 已转至维修中心 {center}"),
                    format!("case {case} routed to {center}")
                )
            );
            Ok(())
        }
        Command::Reference {
            command: ReferenceCommand::Set { policies, catalogs },
        } => {
            let policies = std::fs::read_to_string(&policies)?;
            let catalogs = catalogs.map(std::fs::read_to_string).transpose()?;
            let version = admin::set_reference(&storage, &policies, catalogs.as_deref()).await?;
            println!(
                "{}",
                l.pick(
                    format!("已发布第 {version} 版参考数据"),
                    format!("reference data version {version} published")
                )
            );
            // New deadlines re-date every case's row.
            let done = admin::reindex(&storage, time_zone).await?;
            println!("{}", reindexed(done.cases, l));
            Ok(())
        }
        Command::Case { command } => case(&storage, command, time_zone, l).await,
        Command::Escalation { command } => escalation(&storage, command, time_zone, l).await,
        Command::Trip { command } => {
            let now = chrono::Local::now().fixed_offset();
            let (case, by, decision) = match command {
                TripCommand::Approve { case, by, note } => {
                    (case, by, fieldhq::trips::TripDecision::Approve { note })
                }
                TripCommand::Reject { case, by, reason } => {
                    (case, by, fieldhq::trips::TripDecision::Reject { reason })
                }
            };
            let record =
                fieldhq::trips::decide(&storage, &case, &by, decision, now, time_zone).await?;
            let request = &record.request;
            let (zh, en) = if record.approved {
                ("批准", "approved")
            } else {
                ("驳回", "rejected")
            };
            println!(
                "{}",
                l.pick(
                    format!("案件 {case} 的出差申请 {request} 已由 {by} {zh}"),
                    format!("trip request {request} of case {case} {en} by {by}")
                )
            );
            Ok(())
        }
        Command::Rma { command } => rma(&storage, &blobs?, command, time_zone, l).await,
        Command::Parts { command } => parts_cli::run(&storage, command, time_zone, l).await,
        Command::Writeoff { command } => {
            writeoff_cli::run(&storage, &blobs?, command, time_zone, l).await
        }
        Command::Report { command } => report_cli::run(&storage, command, time_zone, l).await,
        Command::Shipments { command } => report_cli::shipments(&storage, command, l).await,
        Command::Reindex => {
            let done = admin::reindex(&storage, time_zone).await?;
            println!("{}", reindexed(done.cases, l));
            if done.unreadable > 0 {
                let n = done.unreadable;
                println!(
                    "{}",
                    l.pick(
                        format!("{n} 个案件无法读取，保留了原有的索引行（见日志）"),
                        format!("{n} cases could not be read and kept their rows (see the log)")
                    )
                );
            }
            Ok(())
        }
    }
}

async fn device(storage: &Storage, command: DeviceCommand, l: Locale) -> fieldhq::Result<()> {
    match command {
        DeviceCommand::Enrol { user, label } => {
            let enrolment = admin::enrol_device(storage, &user, label.as_deref()).await?;
            let (device, token) = l.pick(("设备", "令牌"), ("device", "token"));
            println!("{}{}", label_padded(device, 7), enrolment.device_id);
            println!("{}{}", label_padded(token, 7), enrolment.token);
            println!(
                "{}",
                l.pick(
                    "（令牌只在此时显示一次；总部只保存它的哈希值）",
                    "(the token is shown only now; HQ keeps only its hash)"
                )
            );
        }
        DeviceCommand::Revoke { device } => {
            let id = device
                .parse()
                .map_err(|_| fieldhq::Error::Invalid("a device id is a UUID".into()))?;
            admin::revoke_device(storage, id).await?;
            println!(
                "{}",
                l.pick(format!("设备 {id} 已吊销"), format!("device {id} revoked"))
            );
        }
        DeviceCommand::List => {
            // Columns in terminal columns (a Chinese character takes two): the id's 36 and
            // two spaces, then 11, 11 and 6 and one space each.
            let line = |cells: [&str; 5]| {
                format!(
                    "{}  {} {} {} {}",
                    label_padded(cells[0], 36),
                    label_padded(cells[1], 11),
                    label_padded(cells[2], 11),
                    label_padded(cells[3], 6),
                    cells[4]
                )
            };
            println!(
                "{}",
                line(l.pick(
                    ["设备编号", "用户", "标签", "已绑定", "已吊销"],
                    ["device id", "user", "label", "bound", "revoked"]
                ))
            );
            let (yes, no) = l.pick(("是", "否"), ("yes", "no"));
            for d in admin::list_devices(storage).await? {
                let id = d.device_id.to_string();
                println!(
                    "{}",
                    line([
                        &id,
                        &d.user,
                        d.label.as_deref().unwrap_or("-"),
                        if d.actor.is_some() { yes } else { no },
                        if d.revoked { yes } else { no },
                    ])
                );
            }
        }
    }
    Ok(())
}

async fn case(
    storage: &Storage,
    command: CaseCommand,
    time_zone: chrono_tz::Tz,
    l: Locale,
) -> fieldhq::Result<()> {
    match command {
        CaseCommand::List {
            overdue,
            status,
            month,
            model,
            center,
            cause,
            json,
        } => {
            let now = fieldhq::read_model::now_seconds();
            let query = CaseIndexQuery {
                overdue_at: overdue.then_some(now),
                status,
                month,
                model,
                defect_cause: cause,
                center,
                ..CaseIndexQuery::default()
            };
            let rows = admin::case_index(storage, query).await?;
            if json {
                print_json(&list_json(&rows, now)?)
            } else {
                print!("{}", list_table(&rows, now, time_zone, l));
                Ok(())
            }
        }
        CaseCommand::Show { case, json } => {
            let detail = admin::case_detail(storage, &case).await?;
            let now = chrono::Utc::now().fixed_offset();
            if json {
                let mut value = to_json(&detail.view)?;
                if let serde_json::Value::Object(object) = &mut value {
                    object.insert("overdue".into(), detail.view.is_overdue(now).into());
                    object.insert("engineer".into(), detail.engineer.clone().into());
                    object.insert("created_by".into(), detail.created_by.clone().into());
                    object.insert("center".into(), detail.row.routed_center.clone().into());
                }
                return print_json(&value);
            }
            let created_by = &detail.created_by;
            let extras = fieldcore::CaseTextExtras {
                header: vec![
                    (
                        l.pick("工程师", "Engineer").to_owned(),
                        detail.engineer.clone().unwrap_or_else(|| {
                            l.pick(
                                format!("无（由 {created_by} 创建）"),
                                format!("none (created by {created_by})"),
                            )
                        }),
                    ),
                    (
                        l.pick("维修中心", "Center").to_owned(),
                        detail
                            .row
                            .routed_center
                            .clone()
                            .unwrap_or_else(|| l.pick("无", "none").to_owned()),
                    ),
                ],
                photos: None,
            };
            print!("{}", fieldcore::case_text(&detail.view, &extras, now, l));
            Ok(())
        }
    }
}

async fn escalation(
    storage: &Storage,
    command: EscalationCommand,
    time_zone: chrono_tz::Tz,
    l: Locale,
) -> fieldhq::Result<()> {
    match command {
        EscalationCommand::List { open, json } => {
            let rows: Vec<EscalationRow> = fieldhq::escalation::list(storage)
                .await?
                .into_iter()
                .filter(|r| !open || r.acked_at.is_none())
                .collect();
            if json {
                return print_json(&to_json(&rows)?);
            }
            if rows.is_empty() {
                println!("{}", l.pick("没有升级事项", "no escalations"));
                return Ok(());
            }
            for row in &rows {
                let record = fieldhq::escalation::record_of(row);
                println!(
                    "{}  {}  {}",
                    row.escalation_id,
                    local_time(row.raised_at, time_zone),
                    record.text(l)
                );
                let cases: Vec<String> = row.cases.iter().map(Uuid::to_string).collect();
                let cases = cases.join(", ");
                println!(
                    "{}",
                    l.pick(format!("    案件：{cases}"), format!("    cases: {cases}"))
                );
            }
            println!(
                "{}",
                count(rows.len(), "条升级事项", "escalation", "escalations", l)
            );
            Ok(())
        }
        EscalationCommand::Ack { id, by, note } => {
            let id: Uuid = id
                .parse()
                .map_err(|_| fieldhq::Error::Invalid("an escalation id is a UUID".into()))?;
            let now = chrono::Local::now().fixed_offset();
            let row =
                fieldhq::escalation::acknowledge(storage, id, &by, note.as_deref(), now, time_zone)
                    .await?;
            let (id, cases) = (
                row.escalation_id,
                count(row.cases.len(), "个案件", "case", "cases", l),
            );
            println!(
                "{}",
                l.pick(
                    format!("升级事项 {id} 已由 {by} 确认（{cases}）"),
                    format!("escalation {id} acknowledged by {by} ({cases})")
                )
            );
            Ok(())
        }
        EscalationCommand::Scan { at } => {
            let now = match at {
                Some(at) => chrono::DateTime::parse_from_rfc3339(&at).map_err(|e| {
                    fieldhq::Error::Invalid(format!("--at is not an RFC 3339 time: {e}"))
                })?,
                None => chrono::Local::now().fixed_offset(),
            };
            let raised = fieldhq::escalation::scan(storage, now, time_zone).await?;
            let n = raised.len();
            println!(
                "{}",
                l.pick(
                    format!("已发起 {n} 条逾期升级事项"),
                    format!(
                        "{n} overdue escalation{} raised",
                        if n == 1 { "" } else { "s" }
                    )
                )
            );
            Ok(())
        }
    }
}

async fn rma(
    storage: &Storage,
    blobs: &BlobLocation,
    command: RmaCommand,
    time_zone: chrono_tz::Tz,
    l: Locale,
) -> fieldhq::Result<()> {
    use fieldhq::returns::{self, ReturnDecision, ReturnFilter};
    match command {
        RmaCommand::List {
            waiting_for,
            state,
            case,
            model,
            overdue,
            json,
        } => {
            let now = fieldhq::read_model::now_seconds();
            let rows = returns::list(
                storage,
                ReturnFilter {
                    waiting_for,
                    state,
                    rma_number: None,
                    case,
                    model,
                    reinspection_overdue_at: overdue.then_some(now),
                },
            )
            .await?;
            if json {
                let mut out = Vec::with_capacity(rows.len());
                for row in &rows {
                    let mut value = to_json(row)?;
                    if let serde_json::Value::Object(object) = &mut value {
                        object.insert(
                            "reinspection_overdue".into(),
                            row.reinspection_overdue(now).into(),
                        );
                    }
                    out.push(value);
                }
                return print_json(&serde_json::Value::Array(out));
            }
            print!("{}", rma_table(&rows, now, time_zone, l));
            Ok(())
        }
        RmaCommand::Approve { case, by, note } => {
            let now = chrono::Local::now().fixed_offset();
            let decided = returns::decide(
                storage,
                &case,
                &by,
                ReturnDecision::Approve { note },
                now,
                time_zone,
            )
            .await?;
            println!("{}", decided_text(&case, &decided, l));
            Ok(())
        }
        RmaCommand::Reject { case, by, reason } => {
            let now = chrono::Local::now().fixed_offset();
            let decided = returns::decide(
                storage,
                &case,
                &by,
                ReturnDecision::Reject { reason },
                now,
                time_zone,
            )
            .await?;
            println!("{}", decided_text(&case, &decided, l));
            Ok(())
        }
        RmaCommand::Show { number, json } => {
            let detail = returns::detail(storage, &number).await?;
            if json {
                return print_json(&to_json(&detail.ret)?);
            }
            print!("{}", fieldhq::forms::text(&detail, time_zone, l));
            Ok(())
        }
        RmaCommand::Print {
            number,
            format,
            out,
            font,
        } => {
            let format = fieldhq::forms::Format::parse(&format).ok_or_else(|| {
                fieldhq::Error::refused("--format is html or pdf", "--format 须为 html 或 pdf")
            })?;
            let detail = returns::detail(storage, &number).await?;
            let blobs = BlobStore::connect(blobs, false).await?;
            let photos = fieldhq::forms::thumbnails(&detail, &blobs).await?;
            let bytes = match format {
                fieldhq::forms::Format::Html => {
                    fieldhq::forms::html(&detail, &photos, time_zone).into_bytes()
                }
                fieldhq::forms::Format::Pdf => {
                    let font = fieldhq::forms::load_font(font.as_deref())?;
                    fieldhq::forms::pdf(&detail, &photos, &font, time_zone)?
                }
            };
            let name = detail
                .ret
                .rma
                .as_ref()
                .map(|r| r.number.clone())
                .unwrap_or_else(|| detail.ret.id.clone());
            let out = out.unwrap_or_else(|| PathBuf::from(format!("{name}.{}", format.as_str())));
            std::fs::write(&out, &bytes)?;
            let path = out.display();
            println!(
                "{}",
                l.pick(
                    format!("已将 {name} 的单据写入 {path}"),
                    format!("the forms of {name} written to {path}")
                )
            );
            Ok(())
        }
    }
}

/// What `fieldhq rma approve|reject` prints.
fn decided_text(case: &str, decided: &fieldhq::returns::ReturnDecided, l: Locale) -> String {
    let r = &decided.record;
    let case = decided.case_number.as_deref().unwrap_or(case);
    let step = r.step.as_deref().unwrap_or("");
    let (what_zh, what_en) = if r.kind == "replenishment" {
        ("补货通知", "replenishment notice")
    } else {
        ("退换货申请", "return request")
    };
    let (zh, en) = if r.approved {
        ("批准", "approved")
    } else {
        ("驳回", "rejected")
    };
    let by = &r.by;
    let mut text = l.pick(
        format!(
            "案件 {case} 的{what_zh} {} 的“{step}”步骤已由 {by} {zh}",
            r.request
        ),
        format!(
            "step {step} of {what_en} {} of case {case} {en} by {by}",
            r.request
        ),
    );
    if let Some(number) = &decided.rma_number {
        text.push('\n');
        text.push_str(&l.pick(
            format!("已发放退货编号（RMA）{number}"),
            format!("RMA number {number} issued"),
        ));
    }
    text
}

/// The returns as a table, one line each.
fn rma_table(
    rows: &[fieldhq::returns::ReturnSummary],
    now: i64,
    time_zone: chrono_tz::Tz,
    l: Locale,
) -> String {
    if rows.is_empty() {
        return format!("{}\n", l.pick("没有退换货", "no returns"));
    }
    let widths = [11, 10, 8, 22, 12, 14, 6, 16];
    let head = l.pick(
        [
            "退货编号",
            "案件编号",
            "类型",
            "状态",
            "待审批",
            "型号",
            "数量",
            "申请时间",
        ],
        [
            "RMA",
            "case",
            "kind",
            "state",
            "waiting for",
            "model",
            "units",
            "requested",
        ],
    );
    let line = |cells: &[String]| {
        let mut out: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| label_padded(c, w))
            .collect();
        out.extend(cells.iter().skip(widths.len()).cloned());
        format!("{}\n", out.join(" ").trim_end())
    };
    let mut out = line(&head.map(str::to_owned));
    for r in rows {
        let kind = match r.kind.as_str() {
            "exchange" => l.pick("换货", "exchange"),
            _ => l.pick("退货", "return"),
        };
        let state = fieldhq::forms::state_text(&r.state, l);
        let waiting = r
            .waiting_role
            .as_deref()
            .map(|role| fieldhq::forms::role_text(role, l))
            .unwrap_or_else(|| "-".into());
        let mut cells = vec![
            r.rma_number.clone().unwrap_or_else(|| "-".into()),
            r.case_number.clone(),
            kind.to_owned(),
            state,
            waiting,
            r.model.clone(),
            r.units.to_string(),
            local_time(r.requested_at, time_zone),
        ];
        if r.reinspection_overdue(now) {
            cells.push(l.pick("复检已逾期", "RE-INSPECTION OVERDUE").to_owned());
        }
        out.push_str(&line(&cells));
    }
    out.push_str(&count(rows.len(), "条退换货", "return", "returns", l));
    out.push('\n');
    out
}

/// The read-model rows as JSON, each with `overdue` as of `now`.
fn list_json(rows: &[CaseIndexRow], now: i64) -> fieldhq::Result<serde_json::Value> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut value = to_json(row)?;
        if let serde_json::Value::Object(object) = &mut value {
            object.insert("overdue".into(), row.is_overdue(now).into());
        }
        out.push(value);
    }
    Ok(serde_json::Value::Array(out))
}

fn to_json<T: serde::Serialize>(value: &T) -> fieldhq::Result<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| fieldhq::Error::internal(format!("JSON: {e}")))
}

fn print_json(value: &serde_json::Value) -> fieldhq::Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| fieldhq::Error::internal(format!("JSON: {e}")))?;
    println!("{text}");
    Ok(())
}

/// The `case list` table; times in the company's time zone, widths in terminal columns.
fn list_table(rows: &[CaseIndexRow], now: i64, time_zone: chrono_tz::Tz, l: Locale) -> String {
    if rows.is_empty() {
        return format!("{}\n", l.pick("没有案件", "no cases"));
    }
    let mut table = vec![
        l.pick(
            [
                "编号",
                "状态",
                "客户",
                "型号",
                "工程师",
                "维修中心",
                "下一期限",
                "",
            ],
            [
                "NUMBER", "STATUS", "CUSTOMER", "MODEL", "ENGINEER", "CENTER", "NEXT DUE", "",
            ],
        )
        .map(str::to_owned),
    ];
    for row in rows {
        let next = match (&row.next_due_milestone, row.next_due_at) {
            (Some(milestone), Some(at)) => format!(
                "{} {}",
                fieldcore::Milestone::parse(milestone)
                    .map_or_else(|| milestone.clone(), |m| m.text(l)),
                local_time(at, time_zone)
            ),
            _ => "-".to_owned(),
        };
        let mut flags = Vec::new();
        if row.is_overdue(now) {
            flags.push(l.pick("已逾期", "OVERDUE"));
        }
        if row.has_conflict {
            flags.push(l.pick("有冲突", "CONFLICT"));
        }
        table.push([
            row.number.clone(),
            match fieldcore::Status::parse(&row.status) {
                Some(status) if l == Locale::ZhCn => status.text(l),
                _ => row.status.clone(),
            },
            fieldcore::truncate_text(&row.customer_name, 28),
            row.product_model.clone(),
            row.engineer.clone(),
            row.center.clone().unwrap_or_else(|| "-".to_owned()),
            next,
            flags.join(" "),
        ]);
    }
    let mut widths = [0usize; 8];
    for line in &table {
        for (w, cell) in widths.iter_mut().zip(line) {
            *w = (*w).max(text_width(cell));
        }
    }
    let mut out = String::new();
    for line in &table {
        let cells: Vec<String> = line
            .iter()
            .zip(widths)
            .map(|(cell, w)| label_padded(cell, w))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out.push_str(&count(rows.len(), "个案件", "case", "cases", l));
    out.push('\n');
    out
}

/// "3 cases" / "3 个案件": a count and its noun, plural in English only.
fn count(n: usize, zh: &str, en_one: &str, en_many: &str, l: Locale) -> String {
    l.pick(
        format!("{n} {zh}"),
        format!("{n} {}", if n == 1 { en_one } else { en_many }),
    )
}

/// How many cases a reindex rebuilt.
fn reindexed(cases: impl std::fmt::Display, l: Locale) -> String {
    l.pick(
        format!("已重建 {cases} 个案件的索引"),
        format!("{cases} cases reindexed"),
    )
}

/// Unix seconds as "2026-11-03 09:00" in the company's time zone.
fn local_time(at: i64, time_zone: chrono_tz::Tz) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| {
            t.with_timezone(&time_zone)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|| at.to_string())
}

fn label(row: &fieldhq::storage::CaseRow) -> String {
    row.number
        .clone()
        .unwrap_or_else(|| row.case_id.to_string())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (what service managers send).
async fn stop_signal() {
    let interrupt = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::panic)]

    use super::*;

    /// `fieldhq serve` with no limit flags runs with the library's defaults, so
    /// docs/operations.md (which lists the flags' defaults) and `Limits::default()` agree.
    #[test]
    fn serve_flags_default_to_the_library_limits() {
        let Ok(cli) = Cli::try_parse_from(["fieldhq", "serve"]) else {
            panic!("`fieldhq serve` parses");
        };
        let Command::Serve { limits, .. } = cli.command else {
            panic!("the serve command");
        };
        assert_eq!(limits.limits(), fieldhq::Limits::default());
        assert_eq!(
            cli.database_connections,
            fieldhq::DEFAULT_DATABASE_CONNECTIONS
        );
        let Ok(cli) = Cli::try_parse_from(["fieldhq", "serve", "--database-connections", "4"])
        else {
            panic!("--database-connections parses");
        };
        assert_eq!(cli.database_connections, 4);
        assert!(
            Cli::try_parse_from(["fieldhq", "serve", "--database-connections", "0"]).is_err(),
            "an HQ needs at least one connection"
        );
        let Ok(cli) = Cli::try_parse_from([
            "fieldhq",
            "serve",
            "--max-connections",
            "900",
            "--max-connections-per-source",
            "32",
            "--blob-quota-mib",
            "0",
        ]) else {
            panic!("the flags parse");
        };
        let Command::Serve { limits, .. } = cli.command else {
            panic!("the serve command");
        };
        let limits = limits.limits();
        assert_eq!(limits.max_connections, 900);
        assert_eq!(limits.max_connections_per_source, Some(32));
        assert_eq!(limits.blob_quota_bytes, 0);
        assert!(
            Cli::try_parse_from(["fieldhq", "serve", "--max-body-mib-in-flight", "8"]).is_err(),
            "the budget holds at least one whole body"
        );
    }
}
