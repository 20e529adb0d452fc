//! The `fieldhq` binary: `serve` runs the HQ server; the other subcommands administer the same
//! storage (users, devices, assignment, routing, reference data) and may run while it serves.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use fieldhq::{Role, ServeConfig, Storage, StorageConfig, admin};

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
    /// Log level: error, warn, info, debug, trace (also FIELDHQ_LOG).
    #[arg(long, global = true)]
    log: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server until SIGINT or SIGTERM.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8640")]
        addr: SocketAddr,
        /// The company's time zone (IANA name): a case number's month is the month the
        /// complaint was received there.
        #[arg(long, default_value = "Asia/Shanghai", env = "FIELDHQ_TIME_ZONE")]
        time_zone: chrono_tz::Tz,
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
    /// Cases.
    Case {
        #[command(subcommand)]
        command: CaseCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user.
    Add {
        name: String,
        /// engineer, technician or hq-staff.
        #[arg(long)]
        role: String,
        /// The repair center of a technician.
        #[arg(long)]
        center: Option<String>,
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
    /// List every case with its number, creator, assignment and routing.
    List,
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
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fieldhq: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_logs(level: Option<&str>) {
    let level = level
        .map(str::to_owned)
        .or_else(|| std::env::var("FIELDHQ_LOG").ok())
        .and_then(|l| l.parse::<tracing::Level>().ok())
        .unwrap_or(tracing::Level::INFO);
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}

async fn run(cli: Cli) -> fieldhq::Result<()> {
    let storage_config = StorageConfig {
        data_dir: cli.data.clone(),
        database_url: cli.database_url.clone(),
    };
    if let Command::Serve { addr, time_zone } = cli.command {
        let mut config = ServeConfig::new(addr, cli.data);
        config.database_url = cli.database_url;
        config.time_zone = time_zone;
        let hq = fieldhq::serve(config).await?;
        println!("fieldhq listening on {}", hq.url());
        stop_signal().await;
        tracing::info!("stop signal received; finishing requests in flight");
        return hq.shutdown().await;
    }
    let storage = Storage::open(&storage_config).await?;
    match cli.command {
        Command::Serve { .. } => Ok(()),
        Command::User {
            command: UserCommand::Add { name, role, center },
        } => {
            let role = Role::parse(&role).ok_or_else(|| {
                fieldhq::Error::Invalid("--role is engineer, technician or hq-staff".into())
            })?;
            let user = admin::add_user(&storage, &name, role, center.as_deref()).await?;
            println!("user {} ({}) added", user.name, user.role);
            Ok(())
        }
        Command::Device { command } => device(&storage, command).await,
        Command::Assign { case, engineer } => {
            let row = admin::assign(&storage, &case, &engineer).await?;
            println!("case {} assigned to {engineer}", label(&row));
            Ok(())
        }
        Command::Route { case, center } => {
            let row = admin::route(&storage, &case, &center).await?;
            println!("case {} routed to {center}", label(&row));
            Ok(())
        }
        Command::Reference {
            command: ReferenceCommand::Set { policies, catalogs },
        } => {
            let policies = std::fs::read_to_string(&policies)?;
            let catalogs = catalogs.map(std::fs::read_to_string).transpose()?;
            let version = admin::set_reference(&storage, &policies, catalogs.as_deref()).await?;
            println!("reference data version {version} published");
            Ok(())
        }
        Command::Case {
            command: CaseCommand::List,
        } => {
            println!(
                "number      case id                               created by  engineer    center      seq  changes"
            );
            for case in admin::list_cases(&storage).await? {
                println!(
                    "{:<11} {}  {:<11} {:<11} {:<11} {:>4} {:>8}",
                    case.number.unwrap_or_default(),
                    case.case_id,
                    case.created_by,
                    case.assigned_engineer.unwrap_or_else(|| "-".into()),
                    case.routed_center.unwrap_or_else(|| "-".into()),
                    case.sync_seq,
                    case.changes
                );
            }
            Ok(())
        }
    }
}

async fn device(storage: &Storage, command: DeviceCommand) -> fieldhq::Result<()> {
    match command {
        DeviceCommand::Enrol { user, label } => {
            let enrolment = admin::enrol_device(storage, &user, label.as_deref()).await?;
            println!("device {}", enrolment.device_id);
            println!("token  {}", enrolment.token);
            println!("(the token is shown only now; HQ keeps only its hash)");
        }
        DeviceCommand::Revoke { device } => {
            let id = device
                .parse()
                .map_err(|_| fieldhq::Error::Invalid("a device id is a UUID".into()))?;
            admin::revoke_device(storage, id).await?;
            println!("device {id} revoked");
        }
        DeviceCommand::List => {
            println!(
                "device id                             user        label       bound  revoked"
            );
            for d in admin::list_devices(storage).await? {
                println!(
                    "{}  {:<11} {:<11} {:<6} {}",
                    d.device_id,
                    d.user,
                    d.label.unwrap_or_else(|| "-".into()),
                    if d.actor.is_some() { "yes" } else { "no" },
                    if d.revoked { "yes" } else { "no" }
                );
            }
        }
    }
    Ok(())
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
