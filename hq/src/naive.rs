//! `POST /v1/naive/{case_id}`: plain automerge sync for one case per request, the baseline
//! the benchmark compares the batched protocol against. The body is one
//! `automerge::sync::Message`; the answer is HQ's reply message (an empty body when HQ has
//! nothing to say). HQ's `sync::State` for (device, case) is kept between requests.
//!
//! It obeys the same rules as `/v1/sync`: the device's token, its bound actor (bound here by
//! the first change it sends, if it never synced), the user's right to the case, and the
//! numbering of a case HQ sees for the first time. It is deliberately naive in cost: each
//! request loads the case's whole history.

use automerge::sync::{Message, State, SyncDoc};
use automerge::{ActorId, Automerge};
use uuid::Uuid;

use crate::changes;
use crate::error::{Error, Result};
use crate::numbering;
use crate::state::AppState;
use crate::storage::{DeviceAuth, LockMode, LogRow, NewCase, Tx, unix_now};
use crate::sync::{authorised_device, bind_actor};

pub async fn run(
    state: &AppState,
    device: DeviceAuth,
    case_id: Uuid,
    body: Vec<u8>,
) -> Result<Vec<u8>> {
    let message =
        Message::decode(&body).map_err(|_| Error::malformed("the body is not a sync message"))?;
    let hq_actor = state.hq_actor().clone();
    let now = state.now();
    let device_id = device.device_id;
    state
        .storage()
        .transaction(move |tx| Box::pin(exchange(tx, device_id, case_id, message, hq_actor, now)))
        .await
}

async fn exchange(
    tx: &mut dyn Tx,
    device_id: Uuid,
    case_id: Uuid,
    message: Message,
    hq_actor: ActorId,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Result<Vec<u8>> {
    let device = authorised_device(tx, device_id).await?;
    tx.lock_cases(&[case_id]).await?;
    tx.lock_log(LockMode::Exclusive).await?;
    let case = tx.cases(&[case_id]).await?.remove(&case_id);
    if let Some(case) = &case
        && !device.user.may_access(case)
    {
        return Err(Error::forbidden(format!(
            "case {case_id}: this user may not sync it"
        )));
    }
    let history = tx
        .histories(&[case_id])
        .await?
        .remove(&case_id)
        .unwrap_or_default();
    let mut doc = if history.is_empty() {
        Automerge::new()
    } else {
        changes::load_document(&history.concat())
            .map_err(|_| Error::internal(format!("stored history of case {case_id}")))?
    };
    doc.set_actor(hq_actor.clone());
    let mut sync_state = match tx.naive_state(device_id, case_id).await? {
        Some(bytes) => {
            State::decode(&bytes).map_err(|_| Error::internal("stored naive sync state"))?
        }
        None => State::new(),
    };

    let before = doc.get_heads();
    doc.receive_sync_message(&mut sync_state, message)
        .map_err(|_| Error::malformed("the sync message's changes do not apply"))?;
    let new = doc.get_changes(&before);

    if let Some(first) = new.first() {
        let actor = first.actor_id().to_bytes().to_vec();
        bind_actor(tx, &device, &actor, &hq_actor).await?;
        if new
            .iter()
            .any(|c| c.actor_id().to_bytes() != actor.as_slice())
        {
            return Err(Error::forbidden(format!(
                "case {case_id}: a change is not authored by this device's actor"
            )));
        }
    }
    let roots = new.iter().filter(|c| c.deps().is_empty()).count();
    let creates = case.is_none() && !new.is_empty();
    if roots > usize::from(creates)
        || (creates && new.first().is_some_and(|c| !c.deps().is_empty()))
    {
        return Err(Error::malformed(format!(
            "case {case_id}: the changes do not extend one document"
        )));
    }
    if creates {
        fieldcore::check_schema(&doc)
            .map_err(|e| Error::malformed(format!("case {case_id}: {e}")))?;
        if fieldcore::case_id_of(&doc) != Some(case_id) {
            return Err(Error::malformed(format!(
                "case {case_id}: the document says it is another case"
            )));
        }
    }

    let count = new.len() + usize::from(creates);
    if count > 0 {
        let mut seq = tx.allocate_seqs(count as u64).await?;
        let mut rows: Vec<LogRow> = new
            .iter()
            .map(|change| {
                let row = LogRow {
                    seq,
                    case_id,
                    hash: change.hash(),
                    actor: change.actor_id().to_bytes().to_vec(),
                    actor_seq: change.seq(),
                    authored_by: Some(device_id),
                    bytes: changes::stored_bytes(change),
                };
                seq += 1;
                row
            })
            .collect();
        if creates {
            let month = numbering::month_of(&now);
            let number = numbering::format_number(&month, tx.allocate_numbers(&month, 1).await?);
            let change = numbering::number_change(&mut doc, &hq_actor, &number, &now)?;
            rows.push(LogRow {
                seq,
                case_id,
                hash: change.hash(),
                actor: hq_actor.to_bytes().to_vec(),
                actor_seq: change.seq(),
                authored_by: None,
                bytes: changes::stored_bytes(&change),
            });
            tx.insert_cases(&[NewCase {
                case_id,
                number,
                created_by: device.user.id,
                created_device: Some(device_id),
                routed_center: device.user.route_of_new_case(),
                sync_seq: seq,
                created_at: unix_now(),
            }])
            .await?;
            tx.append(&rows).await?;
        } else {
            tx.append(&rows).await?;
            tx.set_sync_seqs(&[(case_id, seq - 1)]).await?;
        }
        tx.mark_held_by_device(device_id, &[(case_id, 0)]).await?;
    }

    let reply = doc.generate_sync_message(&mut sync_state);
    // Only a case that exists has a state worth keeping (the row references the case).
    if case.is_some() || creates {
        tx.set_naive_state(device_id, case_id, &sync_state.encode())
            .await?;
    }
    Ok(reply.map(Message::encode).unwrap_or_default())
}
