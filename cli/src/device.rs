//! This device: where its database is and who is working ([`Env`]), and running one core
//! command on a case and printing what it did ([`execute_in`]), which the case and photo
//! commands share.

use std::path::{Path, PathBuf};

use fieldcore::{CaseId, CaseView, Command, Role, Store};

use crate::error::{CliError, Result};
use crate::output::Printer;
use crate::reason::Reason;

const DEFAULT_DB: &str = "fieldctl.db";
const DEFAULT_USER: &str = "engineer";
const USER_VAR: &str = "FIELDCTL_USER";
const ROLE_VAR: &str = "FIELDCTL_ROLE";

/// Where the database is and who is working.
pub struct Env {
    db: Option<PathBuf>,
    pub user: String,
    /// As typed: checked when the store opens, so a wrong one is a usage error.
    role: Option<String>,
}

impl Env {
    /// From `--db`, `--user` and `--role`; the user falls back to $FIELDCTL_USER, then
    /// "engineer"; the role to $FIELDCTL_ROLE, then none (HQ checks at sync).
    pub fn new(db: Option<PathBuf>, user: Option<String>, role: Option<String>) -> Env {
        let role = role.or_else(|| {
            std::env::var(ROLE_VAR)
                .ok()
                .filter(|r| !r.trim().is_empty())
        });
        let user = user
            .or_else(|| {
                std::env::var(USER_VAR)
                    .ok()
                    .filter(|u| !u.trim().is_empty())
            })
            .unwrap_or_else(|| DEFAULT_USER.to_owned());
        Env { db, user, role }
    }

    /// The database named by `--db`, when one was.
    #[cfg(feature = "demo")]
    pub fn explicit_db(&self) -> Option<&Path> {
        self.db.as_deref()
    }

    /// The database: `--db`, else fieldctl.db in the current folder.
    pub fn db_path(&self) -> PathBuf {
        self.db.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_DB))
    }

    /// Opens (or creates) the database at `path`.
    pub fn open_at(&self, path: &Path) -> Result<Store> {
        if self.user.trim().is_empty() {
            return Err(CliError::invalid("user", Reason::Empty));
        }
        let role = match &self.role {
            Some(text) => Some(
                Role::parse(text.trim())
                    .ok_or_else(|| CliError::invalid("role", Reason::NotRole))?,
            ),
            None => None,
        };
        let mut store = Store::open(path, &self.user)?;
        store.set_role(role);
        Ok(store)
    }

    /// Opens the database, which must exist: a mistyped --db must not create an empty one.
    pub fn open_existing(&self) -> Result<Store> {
        let path = self.db_path();
        if !path.exists() {
            return Err(CliError::NoDatabase(path));
        }
        self.open_at(&path)
    }
}

/// Runs one core command on a case of an open store and prints what it did.
pub fn execute_in(store: &mut Store, id: CaseId, command: Command, out: &Printer) -> Result<()> {
    let (view, applied) = store.execute(id, &command)?;
    // The core writes a readable summary into the command's audit event: show that.
    let mut message = view
        .events
        .iter()
        .rev()
        .find(|e| e.body.action == command.name())
        .map(|e| e.body.summary.clone())
        .unwrap_or_else(|| command.name().replace('_', " "));
    if let (Command::RecordPart(_), Some(line)) = (&command, &applied.entry_id) {
        let label = crate::output::locale().pick("配件记录编号", "line id");
        message.push_str(&format!("\n{label}: {line}"));
    }
    out.case_changed(&view, applied.entry_id.as_deref(), &message, store.now())
}

/// What `command` did, worded from its audit event (its latest) in the output's language, as
/// the case's history words it.
pub fn event_summary(view: &CaseView, command: &Command) -> String {
    view.events
        .iter()
        .rev()
        .find(|e| e.body.action == command.name())
        .map(|e| fieldcore::history_text(&e.body, crate::output::locale()))
        .unwrap_or_else(|| command.name().replace('_', " "))
}
