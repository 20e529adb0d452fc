//! `fieldctl demo`: the main job, a field visit synced through an HQ embedded on loopback
//! ([`hq`]) and the exchange of a pump through HQ's approvals and the warehouse ([`exchange`]),
//! or with `--offline` the same visit on one device ([`visit`]); each run in fresh
//! databases, and the final case printed at the end. Built with the `demo` feature (a
//! default), the only part of fieldctl that needs the HQ server.

mod exchange;
mod hq;
mod photos;
mod visit;

use std::path::{Path, PathBuf};

use fieldcore::{CaseView, PhotoInfo, Timestamp};
use serde_json::json;
use uuid::Uuid;

use crate::case;
use crate::device::Env;
use crate::error::{CliError, Result};
use crate::output::{Printer, locale, view_json};

pub fn run(env: &Env, offline: bool, out: &Printer) -> Result<()> {
    if offline {
        let path = match env.explicit_db() {
            Some(path) => path.to_path_buf(),
            None => fresh_database()?,
        };
        let done = visit::run(env, &path, out)?;
        return print_end(out, &path, &done.steps, &done.view, &done.photos, done.now);
    }
    let folder = match env.explicit_db() {
        Some(path) => path.parent().map(Path::to_path_buf).unwrap_or_default(),
        None => fresh_database()?
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
    };
    let (database, view, mut phone) = hq::run(&folder, out)?;
    let photos = phone.photos(view.id)?;
    print_end(out, &database, &[], &view, &photos, phone.now())
}

/// A new folder under the system's temporary folder, so the demo can run again and again.
fn fresh_database() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("fieldctl-demo-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).map_err(|source| CliError::DemoFolder {
        path: dir.clone(),
        source,
    })?;
    Ok(dir.join("fieldctl.db"))
}

/// The end of the demo: the final case and where its database is.
fn print_end(
    out: &Printer,
    database: &Path,
    steps: &[String],
    view: &CaseView,
    photos: &[PhotoInfo],
    now: Timestamp,
) -> Result<()> {
    if out.is_json() {
        return out.json(&json!({
            "database": database.display().to_string(),
            "steps": steps,
            "case": view_json(view, now)?,
        }));
    }
    let database = database.display();
    out.text(&format!(
        "\n{}\n{}\n",
        case::render(view, photos, None, now),
        locale().pick(
            format!("数据库：{database}"),
            format!("database: {database}")
        )
    ))
}
