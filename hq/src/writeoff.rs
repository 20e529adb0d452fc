//! The quarterly write-off (核销) at HQ (ADR 0023): a holder's quarter is reconciled by the
//! core's pure rule ([`fieldcore::reconcile_writeoff`]) and the run recorded (`writeoffs`, one
//! row per holder and quarter; a new run replaces the last); a customer-service manager or
//! quality approves it once, which makes the voucher (Excel, PDF, HTML) and archives it in
//! the blob store, content-addressed, its hashes in the row. An approved write-off never
//! changes: a second approval, or a new run, is refused with nothing written.
//!
//! The functions take the caller's transaction, so the read model that builds the
//! [`WriteoffInput`] and the write-off itself commit together.

use chrono::DateTime;
use chrono_tz::Tz;
use fieldcore::{Locale, Localized, Quarter, Reconciliation, Timestamp, WriteoffInput};

use crate::access::{Role, User};
use crate::blobs::BlobStore;
use crate::error::{Error, Result};
pub use crate::storage::WriteoffRow;
use crate::storage::{Tx, WriteoffApproval, WriteoffRun};
use crate::voucher::{self, VoucherApproval};

/// The roles that may approve a write-off: the head of customer service, who keeps the parts
/// ledger, and quality, who checks old parts with the warehouse (DOMAIN "Spare parts").
pub const APPROVER_ROLES: [Role; 2] = [Role::CsManager, Role::Quality];

/// `run` and `approved`, as `writeoffs.status` holds them.
pub const RUN: &str = "run";
pub const APPROVED: &str = "approved";

/// What an approval needs besides the write-off: who, when, the HQ's name on the voucher, the
/// company's time zone, and the font the PDF is set in ([`crate::forms::load_font`]).
#[derive(Debug, Clone)]
pub struct Approval {
    pub by: User,
    pub at: Timestamp,
    pub hq_name: String,
    pub time_zone: Tz,
    pub font: Vec<u8>,
}

/// An approved write-off and its archived voucher's hashes.
#[derive(Debug, Clone, PartialEq)]
pub struct Approved {
    pub row: WriteoffRow,
    pub reconciliation: Reconciliation,
}

/// An approved write-off's voucher as archived.
#[derive(Debug, Clone, PartialEq)]
pub struct Voucher {
    pub row: WriteoffRow,
    pub reconciliation: Reconciliation,
    pub xlsx: Vec<u8>,
    pub pdf: Vec<u8>,
    pub html: String,
}

fn refused_input(e: fieldcore::Error) -> Error {
    Error::refused(
        format!("the write-off's input is refused: {}", e.text(Locale::En)),
        format!("核销数据不合格：{}", e.text(Locale::ZhCn)),
    )
}

fn already_approved(row: &WriteoffRow) -> Error {
    let by = row.approved_by.clone().unwrap_or_default();
    Error::refused(
        format!(
            "the write-off of {} for {} was approved by {by}; an approved write-off is final \
             (book late movements as corrections in the next quarter)",
            row.holder, row.quarter
        ),
        format!(
            "{} {} 季度的核销已由 {by} 批准，批准后不能更改（迟到的出入库记入下一季度的更正）",
            row.holder, row.quarter
        ),
    )
}

fn not_run(holder: &str, quarter: Quarter) -> Error {
    Error::refused(
        format!("the write-off of {holder} for {quarter} has not been run"),
        format!("{holder} {quarter} 季度尚未核对，无法批准或导出"),
    )
}

/// Reconciles `input` and records the run (`run_by`, at `at`), replacing an earlier run of
/// the holder's quarter. Refused, with nothing written, when the input is not a quarter of a
/// holder (the core's reason) or the quarter's write-off is approved already.
pub async fn run_recorded(
    tx: &mut dyn Tx,
    input: &WriteoffInput,
    run_by: Option<&str>,
    at: Timestamp,
) -> Result<Reconciliation> {
    let (reconciliation, run) = reconcile(input, run_by, at)?;
    record(tx, &run, reconciliation.discrepancies.len()).await?;
    Ok(reconciliation)
}

/// Reconciles `input` and makes the row a run records, touching no database: a quarter's run
/// of every holder ([`crate::writeoff_quarter`]) does this beside the others' reads and writes.
pub fn reconcile(
    input: &WriteoffInput,
    run_by: Option<&str>,
    at: Timestamp,
) -> Result<(Reconciliation, WriteoffRun)> {
    let reconciliation = fieldcore::reconcile_writeoff(input).map_err(refused_input)?;
    let json = serde_json::to_string(&reconciliation)
        .map_err(|e| Error::internal(format!("the reconciliation as JSON: {e}")))?;
    let run = WriteoffRun {
        holder: reconciliation.holder.clone(),
        quarter: reconciliation.quarter.to_string(),
        reconciliation_json: json,
        run_at: at.timestamp(),
        run_by: run_by.map(str::to_owned),
    };
    Ok((reconciliation, run))
}

/// Records `run` (with its count of `discrepancies`, for the log), replacing an earlier run;
/// refused, with nothing written, when the quarter's write-off is approved already.
pub async fn record(tx: &mut dyn Tx, run: &WriteoffRun, discrepancies: usize) -> Result<()> {
    if !tx.put_writeoff_run(run).await? {
        let row = tx
            .writeoff(&run.holder, &run.quarter)
            .await?
            .ok_or_else(|| Error::internal("a write-off neither stored nor present"))?;
        return Err(already_approved(&row));
    }
    tracing::info!(
        holder = %run.holder,
        quarter = %run.quarter,
        discrepancies,
        "write-off run recorded"
    );
    Ok(())
}

fn time_of(secs: i64) -> Result<Timestamp> {
    DateTime::from_timestamp(secs, 0)
        .map(|t| t.fixed_offset())
        .ok_or_else(|| Error::internal("a stored time out of range"))
}

fn reconciliation_of(row: &WriteoffRow) -> Result<Reconciliation> {
    serde_json::from_str(&row.reconciliation_json)
        .map_err(|e| Error::internal(format!("stored reconciliation of {}: {e}", row.holder)))
}

/// Approves the recorded run of `holder`'s `quarter`: makes the voucher, stores its files as
/// blobs and records the approval with their hashes. Refused, with nothing written, when the
/// approver's role is not one of [`APPROVER_ROLES`], there is no run, or it is approved
/// already (an approval is given once).
///
/// The blobs are written before the row: should the transaction then fail, the files stay
/// in the blob folder unnamed by any row, which costs space and says nothing.
pub async fn approve(
    tx: &mut dyn Tx,
    blobs: &BlobStore,
    holder: &str,
    quarter: Quarter,
    approval: &Approval,
) -> Result<Approved> {
    let by = &approval.by;
    if !APPROVER_ROLES.contains(&by.role) {
        return Err(Error::refused(
            format!(
                "approval by the wrong role refused at HQ: {} is {}; a write-off is approved by \
                 cs_manager or quality",
                by.name, by.role
            ),
            format!(
                "总部拒绝了错误角色的审批：{} 是{}；核销须由{}或{}批准",
                by.name,
                by.role.text(Locale::ZhCn),
                Role::CsManager.text(Locale::ZhCn),
                Role::Quality.text(Locale::ZhCn)
            ),
        ));
    }
    let row = tx
        .writeoff(holder, &quarter.to_string())
        .await?
        .ok_or_else(|| not_run(holder, quarter))?;
    if row.status == APPROVED {
        return Err(already_approved(&row));
    }
    let reconciliation = reconciliation_of(&row)?;
    let stated = VoucherApproval {
        approved_by: by.name.clone(),
        approver_role: by.role,
        approved_at: approval.at,
        run_at: time_of(row.run_at)?,
        hq_name: approval.hq_name.clone(),
        time_zone: approval.time_zone,
    };
    let xlsx = voucher::xlsx(&reconciliation, &stated)?;
    let pdf = voucher::pdf(&reconciliation, &stated, &approval.font)?;
    let html = voucher::html(&reconciliation, &stated);
    let mut hashes = Vec::new();
    for bytes in [&xlsx, &pdf, html.as_bytes()] {
        let hash = fieldcore::sha256_hex(bytes);
        blobs.put(&hash, bytes).await?;
        hashes.push(hash);
    }
    let [xlsx_hash, pdf_hash, html_hash] =
        <[String; 3]>::try_from(hashes).map_err(|_| Error::internal("three voucher files"))?;
    let record = WriteoffApproval {
        holder: row.holder.clone(),
        quarter: row.quarter.clone(),
        approved_by: by.name.clone(),
        approved_at: approval.at.timestamp(),
        voucher_xlsx_sha256: xlsx_hash,
        voucher_pdf_sha256: pdf_hash,
        voucher_html_sha256: html_hash,
    };
    if !tx.approve_writeoff(&record).await? {
        // Another approval committed between the read and this update.
        let row = tx
            .writeoff(holder, &row.quarter)
            .await?
            .ok_or_else(|| not_run(holder, quarter))?;
        return Err(already_approved(&row));
    }
    let row = tx
        .writeoff(holder, &row.quarter)
        .await?
        .ok_or_else(|| not_run(holder, quarter))?;
    tracing::info!(holder, %quarter, by = %by.name, "write-off approved, voucher archived");
    Ok(Approved {
        row,
        reconciliation,
    })
}

/// The archived voucher of an approved write-off, its files read back from the blob store and
/// checked against their recorded hashes.
pub async fn export(
    tx: &mut dyn Tx,
    blobs: &BlobStore,
    holder: &str,
    quarter: Quarter,
) -> Result<Voucher> {
    let row = tx
        .writeoff(holder, &quarter.to_string())
        .await?
        .ok_or_else(|| not_run(holder, quarter))?;
    if row.status != APPROVED {
        return Err(Error::refused(
            format!(
                "the write-off of {holder} for {quarter} is not approved yet; its voucher is \
                 made on approval"
            ),
            format!("{holder} {quarter} 季度的核销尚未批准，批准后才生成核销凭证"),
        ));
    }
    let read = async |hash: &Option<String>| -> Result<Vec<u8>> {
        let hash = hash
            .as_deref()
            .ok_or_else(|| Error::internal("an approved write-off without its voucher"))?;
        let bytes = blobs.get(hash).await?.ok_or_else(|| {
            Error::internal(format!(
                "the archived voucher {hash} is missing from the blobs"
            ))
        })?;
        if fieldcore::sha256_hex(&bytes) != hash {
            return Err(Error::internal(format!(
                "the archived voucher {hash} does not match its hash"
            )));
        }
        Ok(bytes)
    };
    let xlsx = read(&row.voucher_xlsx_sha256).await?;
    let pdf = read(&row.voucher_pdf_sha256).await?;
    let html = String::from_utf8(read(&row.voucher_html_sha256).await?)
        .map_err(|_| Error::internal("the archived HTML voucher is not UTF-8"))?;
    Ok(Voucher {
        reconciliation: reconciliation_of(&row)?,
        row,
        xlsx,
        pdf,
        html,
    })
}

/// The write-off of `holder`'s `quarter`, if it was run.
pub async fn get(tx: &mut dyn Tx, holder: &str, quarter: Quarter) -> Result<Option<WriteoffRow>> {
    tx.writeoff(holder, &quarter.to_string()).await
}

/// Every write-off recorded (or a holder's), by holder and quarter.
pub async fn list(tx: &mut dyn Tx, holder: Option<&str>) -> Result<Vec<WriteoffRow>> {
    tx.writeoffs(holder).await
}
