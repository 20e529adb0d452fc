//! Moves the WAL into the database file on a background thread, so that no command pays for a
//! checkpoint: SQLite's automatic checkpoint runs inside whichever commit crosses the threshold
//! and made that commit the slowest of a few hundred.

use std::path::Path;
use std::sync::mpsc::{self, Sender};
use std::thread::JoinHandle;

use rusqlite::Connection;

/// Commits between two checkpoint requests; about SQLite's default WAL threshold given the
/// pages one command touches (document change, projection and its indexes, outbox).
pub const COMMITS_PER_CHECKPOINT: u32 = 100;

pub struct Checkpointer {
    nudge: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
    commits: u32,
}

impl Checkpointer {
    /// Starts the thread with its own connection to `path`.
    pub fn start(path: &Path) -> rusqlite::Result<Checkpointer> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let (nudge, nudged) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("fieldcore-checkpoint".into())
            .spawn(move || {
                while nudged.recv().is_ok() {
                    // Collapse a backlog of nudges into one checkpoint.
                    while nudged.try_recv().is_ok() {}
                    // PASSIVE never blocks the writer; what it cannot copy now waits for the
                    // next nudge. Errors only delay the checkpoint, so they are not fatal.
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
                let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            })
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        Ok(Checkpointer {
            nudge: Some(nudge),
            thread: Some(thread),
            commits: 0,
        })
    }

    /// Counts a commit and asks for a checkpoint every [`COMMITS_PER_CHECKPOINT`].
    pub fn committed(&mut self) {
        self.commits += 1;
        if self.commits >= COMMITS_PER_CHECKPOINT {
            self.commits = 0;
            if let Some(nudge) = &self.nudge {
                let _ = nudge.send(());
            }
        }
    }
}

impl Drop for Checkpointer {
    /// Lets the thread finish its last checkpoint, so a closed store leaves a short WAL.
    fn drop(&mut self) {
        self.nudge.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
