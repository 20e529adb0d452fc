//! What HQ sends back in a sync response (docs/sync-protocol.md, "What HQ sends back"): the
//! cases the device asked for whole, then the visible cases touched after its cursor, within
//! the response's byte budget.

use std::collections::HashSet;

use fieldcore::{ByteBuf, CasePull, MAX_MESSAGE_BYTES, MAX_PULL_CASES};
use uuid::Uuid;

use crate::error::Result;
use crate::storage::{CaseRow, DeviceAuth, PullQuery, Tx};

/// Pull payloads stop short of the message limit, leaving room for the framing.
const PULL_BUDGET: usize = MAX_MESSAGE_BYTES - 256 * 1024;

pub(crate) struct Pulled {
    pub(crate) pulls: Vec<CasePull>,
    /// Cases sent whole, with the sequence number they were sent as of.
    pub(crate) documents: Vec<(Uuid, u64)>,
    pub(crate) cursor: u64,
    pub(crate) more: bool,
    pub(crate) bytes: usize,
}

/// Spec, "What HQ sends back": `want_full` cases whole, then the visible cases touched after
/// the cursor in sequence order, each as changes (the device holds it) or whole (it does not).
pub(crate) async fn pulls(
    tx: &mut dyn Tx,
    device: &DeviceAuth,
    want_full: &[Uuid],
    cursor: u64,
    max_pull: u32,
    current: u64,
) -> Result<Pulled> {
    let cap = max_pull.clamp(1, MAX_PULL_CASES) as usize;
    let mut out = Pulled {
        pulls: Vec::new(),
        documents: Vec::new(),
        cursor,
        more: false,
        bytes: 0,
    };
    let mut sent: HashSet<Uuid> = HashSet::new();

    let mut wanted: Vec<Uuid> = Vec::new();
    for id in want_full {
        if sent.insert(*id) {
            wanted.push(*id);
        }
    }
    let wanted_cases = tx.cases(&wanted).await?;
    // A case the user may no longer see is silently not sent.
    let wanted: Vec<&CaseRow> = wanted
        .iter()
        .filter_map(|id| wanted_cases.get(id))
        .filter(|c| device.user.may_access(c))
        .take(cap)
        .collect();
    let ids: Vec<Uuid> = wanted.iter().map(|c| c.case_id).collect();
    let mut histories = tx.histories(&ids).await?;
    for case in wanted {
        let changes = histories.remove(&case.case_id).unwrap_or_default();
        out.bytes += wire_size(&changes);
        out.documents.push((case.case_id, case.sync_seq));
        out.pulls.push(CasePull {
            case_id: case.case_id,
            changes: changes.into_iter().map(ByteBuf::from).collect(),
            whole: true,
            number: case.number.clone(),
        });
    }

    let remaining = cap.saturating_sub(out.pulls.len());
    let query = PullQuery {
        device_id: device.device_id,
        scope: device.user.scope()?,
        cursor,
        limit: u32::try_from(remaining + 1).unwrap_or(u32::MAX),
    };
    let mut candidates = tx.pull_candidates(&query).await?;
    if candidates.len() > remaining {
        out.more = true;
        candidates.truncate(remaining);
    }
    let whole: Vec<Uuid> = candidates
        .iter()
        .filter(|c| !c.device_has_it)
        .map(|c| c.case_id)
        .collect();
    let partial: Vec<Uuid> = candidates
        .iter()
        .filter(|c| c.device_has_it)
        .map(|c| c.case_id)
        .collect();
    let mut histories = tx.histories(&whole).await?;
    let mut after = tx.changes_after(&partial, cursor, device.device_id).await?;
    let mut last_seq = None;
    for candidate in candidates {
        let id = candidate.case_id;
        if sent.contains(&id) {
            // Already sent whole because the device asked for it.
            last_seq = Some(candidate.sync_seq);
            continue;
        }
        let changes = if candidate.device_has_it {
            after.remove(&id).unwrap_or_default()
        } else {
            histories.remove(&id).unwrap_or_default()
        };
        let size = wire_size(&changes);
        if out.bytes + size > PULL_BUDGET && !out.pulls.is_empty() {
            out.more = true;
            break;
        }
        out.bytes += size;
        if !candidate.device_has_it {
            out.documents.push((id, candidate.sync_seq));
        }
        out.pulls.push(CasePull {
            case_id: id,
            changes: changes.into_iter().map(ByteBuf::from).collect(),
            whole: !candidate.device_has_it,
            number: candidate.number,
        });
        sent.insert(id);
        last_seq = Some(candidate.sync_seq);
    }
    out.cursor = if out.more {
        last_seq.unwrap_or(cursor)
    } else {
        current
    };
    Ok(out)
}

/// About how many bytes a pull of these chunks takes in the response: the chunks, a length
/// prefix each, the case id, the flag and the number.
fn wire_size(chunks: &[Vec<u8>]) -> usize {
    chunks.iter().map(|c| c.len() + 4).sum::<usize>() + 40
}
