//! Administration: users, device enrolment and revocation, assignment and routing, reference
//! data, listings (the read model's included) and reindexing. The `fieldhq` binary's subcommands call these; so do tests and
//! `fieldctl demo`, on the same [`Storage`] a running HQ uses.

use chrono_tz::Tz;
use fieldcore::{CaseView, ReferenceData};
use uuid::Uuid;

use crate::access::{Role, User};
use crate::auth;
use crate::error::{Error, Result};
use crate::read_model;
use crate::storage::{
    CaseIndexQuery, CaseIndexRow, CaseInfo, CaseRow, DeviceInfo, LockMode, NewDevice, Storage, Tx,
    unix_now,
};

/// What enrolment returns: the token is shown once and never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    pub device_id: Uuid,
    pub token: String,
}

/// Creates a user. A technician needs the repair center they work for; nobody else has one.
pub async fn add_user(
    storage: &Storage,
    name: &str,
    role: Role,
    center: Option<&str>,
) -> Result<User> {
    let name = name.trim().to_owned();
    if name.is_empty() {
        return Err(Error::Invalid("a user needs a name".into()));
    }
    let center = center
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    match (role, &center) {
        (Role::Technician, None) => {
            return Err(Error::Invalid("a technician needs --center".into()));
        }
        (role, Some(_)) if role != Role::Technician => {
            return Err(Error::Invalid("only a technician has a center".into()));
        }
        _ => {}
    }
    storage
        .transaction(move |tx| {
            Box::pin(async move {
                tx.insert_user(&name, role, center.as_deref(), unix_now())
                    .await
            })
        })
        .await
}

/// Enrols a new device for a user and returns its id and its token, which is shown once.
pub async fn enrol_device(storage: &Storage, user: &str, label: Option<&str>) -> Result<Enrolment> {
    let user = user.to_owned();
    let label = label.map(str::to_owned);
    let token = auth::new_token();
    let token_hash =
        auth::token_hash(&token).ok_or_else(|| Error::internal("a fresh token does not hash"))?;
    let device_id = Uuid::now_v7();
    storage
        .transaction(move |tx| {
            Box::pin(async move {
                let user = user_named(tx, &user).await?;
                tx.insert_device(&NewDevice {
                    device_id,
                    user_id: user.id,
                    label,
                    token_hash,
                    created_at: unix_now(),
                })
                .await
            })
        })
        .await?;
    tracing::info!(device = %device_id, "device enrolled");
    Ok(Enrolment { device_id, token })
}

/// Revokes a device (a lost phone): its next request is refused with 401.
pub async fn revoke_device(storage: &Storage, device_id: Uuid) -> Result<()> {
    let found = storage
        .transaction(move |tx| Box::pin(async move { tx.revoke_device(device_id).await }))
        .await?;
    if !found {
        return Err(Error::NotFound(format!("no device {device_id}")));
    }
    tracing::info!(device = %device_id, "device revoked");
    Ok(())
}

pub async fn list_devices(storage: &Storage) -> Result<Vec<DeviceInfo>> {
    storage
        .transaction(|tx| Box::pin(async move { tx.devices().await }))
        .await
}

/// Assigns a case (by id or number) to an engineer. The assignment takes a sequence number,
/// so the engineer's devices pull the case, whole, at their next sync. The case's read-model
/// row (its months counted in `time_zone`) is refreshed in the same transaction.
pub async fn assign(
    storage: &Storage,
    case: &str,
    engineer: &str,
    time_zone: Tz,
) -> Result<CaseRow> {
    let case = case.to_owned();
    let engineer = engineer.to_owned();
    storage
        .transaction(move |tx| {
            Box::pin(async move {
                let user = user_named(tx, &engineer).await?;
                if user.role != Role::Engineer {
                    return Err(Error::Invalid(format!(
                        "{engineer} is a {}, not an engineer",
                        user.role
                    )));
                }
                let mut row = lock_case_named(tx, &case).await?;
                let seq = tx.allocate_seqs(1).await?;
                tx.set_assignment(row.case_id, user.id, seq).await?;
                read_model::refresh_cases(tx, &[row.case_id], time_zone).await?;
                row.assigned_engineer = Some(user.id);
                row.sync_seq = seq;
                Ok(row)
            })
        })
        .await
}

/// Routes a case (by id or number) to a repair center; like an assignment, it takes a
/// sequence number so the center's tablets pull it, and refreshes the read-model row.
pub async fn route(storage: &Storage, case: &str, center: &str, time_zone: Tz) -> Result<CaseRow> {
    let case = case.to_owned();
    let center = center.trim().to_owned();
    if center.is_empty() {
        return Err(Error::Invalid("a center needs a name".into()));
    }
    storage
        .transaction(move |tx| {
            Box::pin(async move {
                let mut row = lock_case_named(tx, &case).await?;
                let seq = tx.allocate_seqs(1).await?;
                tx.set_route(row.case_id, &center, seq).await?;
                read_model::refresh_cases(tx, &[row.case_id], time_zone).await?;
                row.routed_center = Some(center);
                row.sync_seq = seq;
                Ok(row)
            })
        })
        .await
}

/// Publishes new reference data and returns its version. The policies must be
/// `fieldcore::Policies` as JSON; the catalogs a JSON whose `parts` key, if any, is a parts
/// catalog (docs/sync-protocol.md); without new catalogs the current ones are kept.
pub async fn set_reference(
    storage: &Storage,
    policies_json: &str,
    catalogs_json: Option<&str>,
) -> Result<u64> {
    serde_json::from_str::<fieldcore::Policies>(policies_json)
        .map_err(|e| Error::Invalid(format!("the policies are not valid: {e}")))?;
    if let Some(catalogs) = catalogs_json {
        serde_json::from_str::<serde_json::Value>(catalogs)
            .map_err(|e| Error::Invalid(format!("the catalogs are not JSON: {e}")))?;
        // The `parts` key is the parts catalog devices check part lines against (ADR 0022):
        // a malformed one is refused here, so no device ever receives it.
        if let Err(e) = fieldcore::PartsCatalog::from_catalogs_json(catalogs) {
            let text = |l| match &e {
                fieldcore::Error::Validation { reason, .. } => {
                    fieldcore::Localized::text(reason, l)
                }
                other => fieldcore::Localized::text(other, l),
            };
            return Err(Error::refused(
                format!(
                    "the parts catalog is not valid: {}",
                    text(fieldcore::Locale::En)
                ),
                format!("配件目录无效：{}", text(fieldcore::Locale::ZhCn)),
            ));
        }
    }
    let policies = policies_json.to_owned();
    let catalogs = catalogs_json.map(str::to_owned);
    storage
        .transaction(move |tx| {
            Box::pin(async move {
                let catalogs = match catalogs {
                    Some(c) => c,
                    None => tx
                        .reference()
                        .await?
                        .map(|r| r.catalogs_json)
                        .unwrap_or_else(|| "{}".to_owned()),
                };
                tx.insert_reference(&policies, &catalogs, unix_now()).await
            })
        })
        .await
}

/// The reference data devices currently receive.
pub async fn reference(storage: &Storage) -> Result<Option<ReferenceData>> {
    storage
        .transaction(|tx| Box::pin(async move { tx.reference().await }))
        .await
}

pub async fn list_cases(storage: &Storage) -> Result<Vec<CaseInfo>> {
    storage
        .transaction(|tx| Box::pin(async move { tx.list_cases().await }))
        .await
}

/// The read model's rows `query` selects (see [`CaseIndexQuery`]).
pub async fn case_index(storage: &Storage, query: CaseIndexQuery) -> Result<Vec<CaseIndexRow>> {
    storage
        .transaction(move |tx| Box::pin(async move { tx.query_case_index(&query).await }))
        .await
}

/// One case in full, for `fieldhq case show`.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseDetail {
    pub row: CaseRow,
    pub view: CaseView,
    /// The assigned engineer's name, if any.
    pub engineer: Option<String>,
    pub created_by: String,
}

/// A case (by id or number) read from its whole history with the current policies.
pub async fn case_detail(storage: &Storage, case: &str) -> Result<CaseDetail> {
    let case = case.to_owned();
    storage
        .transaction(move |tx| {
            Box::pin(async move {
                let row = case_named(tx, &case).await?;
                let policies = read_model::current_policies(tx).await?;
                let view = read_model::load_views(tx, &[row.case_id], &policies)
                    .await?
                    .remove(&row.case_id)
                    .ok_or_else(|| Error::NotFound(format!("case {case} has no changes")))?
                    .map_err(|reason| {
                        Error::internal(format!("case {case} cannot be read: {reason}"))
                    })?;
                let ids: Vec<i64> = row
                    .assigned_engineer
                    .into_iter()
                    .chain([row.created_by])
                    .collect();
                let users = tx.users_by_id(&ids).await?;
                let name = |id: i64| users.get(&id).map(|u| u.name.clone());
                Ok(CaseDetail {
                    engineer: row.assigned_engineer.and_then(name),
                    created_by: name(row.created_by).unwrap_or_default(),
                    row,
                    view,
                })
            })
        })
        .await
}

/// Rebuilds every case's read-model row from its document (see [`read_model::reindex`]).
pub async fn reindex(storage: &Storage, time_zone: Tz) -> Result<read_model::Reindexed> {
    read_model::reindex(storage, time_zone).await
}

async fn user_named(tx: &mut dyn Tx, name: &str) -> Result<User> {
    tx.user_by_name(name)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no user named {name:?}")))
}

/// A case by its id or its official number, locked for writing with the log after it (the
/// order [`Tx::lock_cases`] asks for), as it is under the locks.
pub(crate) async fn lock_case_named(tx: &mut dyn Tx, reference: &str) -> Result<CaseRow> {
    let id = case_named(tx, reference).await?.case_id;
    tx.lock_cases(&[id]).await?;
    tx.lock_log(LockMode::Exclusive).await?;
    case_named(tx, reference).await
}

/// A case by its id or its official number.
pub(crate) async fn case_named(tx: &mut dyn Tx, reference: &str) -> Result<CaseRow> {
    let reference = reference.trim();
    let found = match reference.parse::<Uuid>() {
        Ok(id) => tx.cases(&[id]).await?.remove(&id),
        Err(_) => tx.case_by_number(reference).await?,
    };
    found.ok_or_else(|| Error::NotFound(format!("no case {reference}")))
}
