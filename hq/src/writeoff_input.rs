//! What a quarterly write-off reconciles, read from HQ's read model (never from documents):
//! the holder's issues booked in the quarter (its own and the corrections of closed quarters),
//! the cases they went to with their part lines and old parts, the old parts HQ checked in on
//! the holder's shipments, and the catalog's unit costs. Also the read-model rows of a case's
//! part lines that the write-off reads, written from each case's view.

use std::collections::HashMap;

use chrono_tz::Tz;
use fieldcore::{
    CaseLine, CaseParts, CaseView, CompanyTimeZone, IssuedPart, OldPart, OldPartCustody,
    PartsCatalog, Quarter, ReceivedOldPart, WriteoffInput, yuan_text,
};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::storage::{IssuedCase, PartLineRow, Tx};

/// The write-off's input for `holder`'s `quarter`.
pub async fn input(
    tx: &mut dyn Tx,
    holder: &str,
    quarter: Quarter,
    time_zone: Tz,
) -> Result<WriteoffInput> {
    let booked = quarter.to_string();
    let movements = tx.ledger_movements(holder, Some(&booked)).await?;
    let issues: Vec<IssuedPart> = movements
        .iter()
        .filter(|m| m.kind == "issue")
        .filter_map(|m| {
            Some(IssuedPart {
                movement_id: m.movement_id.clone(),
                case_id: m.case_id.clone()?,
                part_number: m.part_number.clone(),
                quantity: m.quantity,
                at: chrono::DateTime::from_timestamp(m.at, 0)?
                    .with_timezone(&time_zone)
                    .to_rfc3339(),
                correction_of: m.correction_of.as_deref().and_then(|q| q.parse().ok()),
            })
        })
        .collect();
    let known = tx.issued_cases(holder, &booked).await?;
    let lines = tx.issued_part_lines(holder, &booked).await?;
    let mut cases: Vec<CaseParts> = known
        .into_iter()
        .map(|c| CaseParts {
            case_id: c.case_id,
            number: Some(c.number),
            covered: c.covered.unwrap_or(false),
            lines: Vec::new(),
        })
        .collect();
    // A center's quarter has thousands of cases: look them up by id, not by a scan per line.
    let index: HashMap<String, usize> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| (c.case_id.clone(), i))
        .collect();
    for line in lines {
        let old_part: OldPart = serde_json::from_str(&line.old_part).map_err(|e| {
            Error::internal(format!(
                "case {} line {}: old part: {e}",
                line.case_id, line.line_id
            ))
        })?;
        if let Some(case) = index.get(&line.case_id).map(|&i| &mut cases[i]) {
            case.lines.push(CaseLine {
                line_id: line.line_id,
                part_number: line.part_number,
                quantity: line.quantity,
                old_part,
            });
        }
    }
    let received = tx
        .ledger_shipment_parts(Some(holder))
        .await?
        .into_iter()
        .filter_map(|p| {
            Some(ReceivedOldPart {
                received: p.received?,
                shipment_id: p.shipment_id,
                tag: p.tag,
                part_number: p.part_number,
                case_id: p.case_id,
                line_id: p.line,
            })
        })
        .collect();
    let unit_costs = match tx.reference().await? {
        Some(reference) => PartsCatalog::from_catalogs_json(&reference.catalogs_json)
            .ok()
            .flatten()
            .map(|catalog| {
                catalog
                    .parts()
                    .map(|p| (p.part_number.clone(), yuan_text(p.unit_cost_fen)))
                    .collect()
            })
            .unwrap_or_default(),
        None => Default::default(),
    };
    Ok(WriteoffInput {
        holder: holder.to_owned(),
        quarter,
        issues,
        cases,
        received,
        unit_costs,
        time_zone: CompanyTimeZone(time_zone),
    })
}

/// The old part of a line as the write-off reads it.
pub fn old_part_of(custody: &OldPartCustody) -> OldPart {
    match custody {
        OldPartCustody::Unrecorded => OldPart::Unrecorded,
        OldPartCustody::Kept { tag } => OldPart::Kept { tag: tag.clone() },
        OldPartCustody::Shipped { shipment, tag } => OldPart::Shipped {
            shipment_id: shipment.clone(),
            tag: tag.clone(),
        },
        OldPartCustody::Returned => OldPart::Returned,
        OldPartCustody::LostApproved { reason, .. } => OldPart::LostApproved {
            reason: reason.clone(),
        },
        // A loss not approved (waiting, or rejected) does not account for the part.
        OldPartCustody::LostAwaitingApproval { reason, .. }
        | OldPartCustody::LostRejected { reason, .. } => OldPart::LostPending {
            reason: reason.clone(),
        },
    }
}

/// The read-model rows of a case's warranty and part lines (removed lines left out).
pub fn part_lines_of(
    id: Uuid,
    number: &str,
    view: &CaseView,
) -> Result<(IssuedCase, Vec<PartLineRow>)> {
    let covered = view.warranty.as_ref().map(|_| view.covered());
    let case_id = id.to_string();
    let lines = view
        .old_part_custody()
        .into_iter()
        .map(|p| {
            Ok(PartLineRow {
                case_id: case_id.clone(),
                line_id: p.line_id,
                case_number: number.to_owned(),
                covered: covered.unwrap_or(false),
                part_number: p.part_number,
                quantity: i64::from(p.quantity),
                old_part: serde_json::to_string(&old_part_of(&p.custody))
                    .map_err(|e| Error::internal(format!("an old part as JSON: {e}")))?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((
        IssuedCase {
            case_id,
            number: number.to_owned(),
            covered,
        },
        lines,
    ))
}

/// Approves `holder`'s write-off of `quarter` (archiving its voucher) and closes the quarter's
/// ledger in the same transaction: HQ writes `closing.writeoff` listing every movement the
/// ledger holds, so a movement that arrives in it later is a correction of the next quarter.
pub async fn approve_and_close(
    storage: &crate::Storage,
    blobs: crate::blobs::BlobStore,
    holder: fieldcore::Holder,
    quarter: Quarter,
    approval: crate::writeoff::Approval,
) -> Result<crate::writeoff::Approved> {
    storage
        .transaction(move |tx| {
            Box::pin(async move {
                let key = holder.to_string();
                let approved =
                    crate::writeoff::approve(tx, &blobs, &key, quarter, &approval).await?;
                let ledger = fieldcore::ledger_id(&holder, quarter);
                let movements: Vec<String> = tx
                    .ledger_movements(&key, None)
                    .await?
                    .into_iter()
                    .filter(|m| m.ledger_id == ledger)
                    .map(|m| m.movement_id)
                    .collect();
                let closing = fieldcore::Closing {
                    quarter,
                    movements,
                    at: approval.at,
                    by: approval.by.name.clone(),
                };
                crate::ledgers::write_hq_entry(
                    tx,
                    &approval.by,
                    approval.at,
                    &holder,
                    quarter,
                    crate::ledgers::HqLedgerEntry::new("closing", "writeoff", &closing)?,
                )
                .await?;
                Ok(approved)
            })
        })
        .await
}
