//! The quarterly write-off (核销) of warranty spare parts, as a pure reconciliation: for one
//! holder (a repair center, a dealer, an engineer's van stock) and one quarter, the parts its
//! ledger issued to cases against the parts those cases record and the old parts collected.
//! Three discrepancies are flagged, and nothing else:
//! - a **missing old part** (缺少旧件): a part used on a covered (三包) case whose old part is not
//!   accounted for, one per unit short. An old part is accounted for when HQ received it on a
//!   shipment (checked present), the holder keeps it under a tag, it was returned, or it was
//!   lost with approval;
//! - an **issue to a non-covered case** (非三包案件领用): warranty stock spent on paid service;
//! - a **count mismatch** (数量不符): per case and part number, the ledger issued another
//!   quantity than the case's part lines record.
//!
//! The input is plain values (HQ builds it from its read model), so the rule is the same at HQ,
//! in a test and in a benchmark. Money is counted in fen (分) as integers.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::DateTime;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Invalid, Result};
use crate::locale::{Locale, Localized};
use crate::rules::company_time::CompanyTimeZone;
use crate::rules::quarter::Quarter;

/// What a write-off reconciles: the holder's issues of the quarter, the cases they went to,
/// and the old parts HQ checked in on the holder's return shipments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WriteoffInput {
    pub holder: String,
    pub quarter: Quarter,
    /// Stock issued to cases from the holder's ledger, booked in the quarter.
    pub issues: Vec<IssuedPart>,
    /// The cases the issues went to, with their part lines (removed lines left out).
    pub cases: Vec<CaseParts>,
    /// The old parts on the holder's return shipments as HQ checked them.
    pub received: Vec<ReceivedOldPart>,
    /// The unit cost of each part number, as decimal yuan (`"12.50"`), for the voucher's
    /// amounts; a part without one is listed as unpriced.
    #[serde(default)]
    pub unit_costs: BTreeMap<String, String>,
    /// The zone whose calendar dates the quarter (the company's; Asia/Shanghai by default).
    #[serde(default)]
    pub time_zone: CompanyTimeZone,
}

/// One issue movement of the ledger: stock that left the holder for a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedPart {
    pub movement_id: String,
    pub case_id: String,
    pub part_number: String,
    /// At least 1.
    pub quantity: i64,
    /// When the movement was made, RFC 3339.
    pub at: String,
    /// A late movement of an earlier, closed quarter booked into this one: the quarter it is
    /// dated in. `None` for the quarter's own movements.
    #[serde(default)]
    pub correction_of: Option<Quarter>,
}

/// A case and the parts it records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseParts {
    pub case_id: String,
    /// The official number, once HQ gave one.
    pub number: Option<String>,
    /// The case's 三包 warranty decision: covered.
    pub covered: bool,
    pub lines: Vec<CaseLine>,
}

/// A part line of a case: the part used and what became of the old part it replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseLine {
    pub line_id: String,
    pub part_number: String,
    /// At least 1.
    pub quantity: i64,
    pub old_part: OldPart,
}

/// What became of the old parts of a line; it stands for all of the line's units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fate", rename_all = "snake_case")]
pub enum OldPart {
    /// Nothing recorded.
    Unrecorded,
    /// Kept at the holder under a tag.
    Kept { tag: String },
    /// Sent to HQ on a return shipment under a tag.
    Shipped { shipment_id: String, tag: String },
    /// Given back otherwise (to HQ by hand, to the manufacturing unit).
    Returned,
    /// Lost, with the approver's approval.
    LostApproved { reason: String },
    /// Lost, approval not (yet) given.
    LostPending { reason: String },
}

/// An old part listed on a return shipment, as HQ checked it in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedOldPart {
    pub shipment_id: String,
    pub tag: String,
    pub part_number: String,
    #[serde(default)]
    pub case_id: Option<String>,
    #[serde(default)]
    pub line_id: Option<String>,
    /// False: listed on the shipment but missing at HQ's check.
    pub received: bool,
}

/// The reconciliation of a holder's quarter: one line per case and part number, the
/// discrepancies, and the totals the voucher carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconciliation {
    pub holder: String,
    pub quarter: Quarter,
    pub lines: Vec<ReconciledLine>,
    pub discrepancies: Vec<Discrepancy>,
    pub totals: Totals,
}

/// One case and part number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconciledLine {
    pub case_id: String,
    pub number: Option<String>,
    /// The case's 三包 decision; `None` when the input holds no such case.
    pub covered: Option<bool>,
    pub part_number: String,
    /// Units the ledger issued to the case.
    pub issued: i64,
    /// Units the case's part lines record.
    pub recorded: i64,
    /// Units whose old part is accounted for (counted on covered cases only).
    pub accounted: i64,
    /// Units whose old part is missing (covered cases only).
    pub missing: i64,
    /// The issue movements, in id order.
    pub movements: Vec<String>,
    /// The case's part lines, in id order.
    pub line_ids: Vec<String>,
    /// Earlier quarters whose late movements are booked here as corrections.
    pub corrections_of: Vec<Quarter>,
    pub unit_cost_fen: Option<i64>,
    /// `issued` × unit cost.
    pub value_fen: Option<i64>,
    pub status: LineStatus,
    /// The kinds of discrepancy found on the line, in [`DiscrepancyKind`] order.
    pub kinds: Vec<DiscrepancyKind>,
}

/// Whether a line reconciles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineStatus {
    Reconciled,
    Discrepant,
}

/// The sums of a reconciliation; amounts in fen, over the priced parts only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub cases: i64,
    pub lines: i64,
    pub issued: i64,
    /// Units issued to covered cases.
    pub issued_covered: i64,
    /// Units issued to cases not covered (or unknown).
    pub issued_not_covered: i64,
    pub recorded: i64,
    pub accounted: i64,
    pub missing: i64,
    /// Issue movements booked as corrections of earlier quarters.
    pub corrections: i64,
    pub missing_old_parts: i64,
    pub issued_to_non_covered: i64,
    pub count_mismatches: i64,
    /// The value of everything issued.
    pub issued_fen: i64,
    /// The value written off: units issued to covered cases.
    pub written_off_fen: i64,
    /// The value of the missing old parts.
    pub missing_fen: i64,
    /// The value issued to non-covered cases.
    pub not_covered_fen: i64,
    /// Part numbers issued without a unit cost.
    pub unpriced: Vec<String>,
}

/// The kinds of discrepancy, in the order the voucher lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscrepancyKind {
    MissingOldPart,
    IssuedToNonCoveredCase,
    CountMismatch,
}

impl DiscrepancyKind {
    pub const ALL: [DiscrepancyKind; 3] = [
        DiscrepancyKind::MissingOldPart,
        DiscrepancyKind::IssuedToNonCoveredCase,
        DiscrepancyKind::CountMismatch,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DiscrepancyKind::MissingOldPart => "missing_old_part",
            DiscrepancyKind::IssuedToNonCoveredCase => "issued_to_non_covered_case",
            DiscrepancyKind::CountMismatch => "count_mismatch",
        }
    }
}

impl Localized for DiscrepancyKind {
    fn text(&self, l: Locale) -> String {
        match self {
            DiscrepancyKind::MissingOldPart => l.pick("缺少旧件", "missing old part"),
            DiscrepancyKind::IssuedToNonCoveredCase => {
                l.pick("领用于非三包案件", "issued to a non-covered case")
            }
            DiscrepancyKind::CountMismatch => l.pick("数量不符", "count mismatch"),
        }
        .to_owned()
    }
}

/// Why an old part is missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum MissingWhy {
    /// The line records no fate for its old part.
    Unrecorded,
    /// Kept, but without a tag to find it by.
    KeptWithoutTag,
    /// On a shipment HQ has not checked it in from (in transit, or never listed).
    NotReceived { shipment_id: String, tag: String },
    /// Listed on a shipment but missing at HQ's check.
    MissingAtHq { shipment_id: String, tag: String },
    /// Lost, and the loss not approved.
    LostWithoutApproval { reason: String },
}

/// A discrepancy, with the ids that find it; `text` explains it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Discrepancy {
    /// One unit (`unit` of `of`) of a covered case's part line whose old part is missing.
    MissingOldPart {
        case_id: String,
        number: Option<String>,
        line_id: String,
        part_number: String,
        unit: i64,
        of: i64,
        #[serde(flatten)]
        why: MissingWhy,
    },
    /// An issue movement to a case that is not covered (or that the input does not hold).
    IssuedToNonCoveredCase {
        movement_id: String,
        case_id: String,
        number: Option<String>,
        part_number: String,
        quantity: i64,
        /// False when the input holds no such case.
        case_known: bool,
    },
    /// The ledger issued `issued` units of the part to the case; its lines record `recorded`.
    CountMismatch {
        case_id: String,
        number: Option<String>,
        part_number: String,
        issued: i64,
        recorded: i64,
        movements: Vec<String>,
        line_ids: Vec<String>,
    },
}

impl Discrepancy {
    pub fn kind(&self) -> DiscrepancyKind {
        match self {
            Discrepancy::MissingOldPart { .. } => DiscrepancyKind::MissingOldPart,
            Discrepancy::IssuedToNonCoveredCase { .. } => DiscrepancyKind::IssuedToNonCoveredCase,
            Discrepancy::CountMismatch { .. } => DiscrepancyKind::CountMismatch,
        }
    }

    pub fn case_id(&self) -> &str {
        match self {
            Discrepancy::MissingOldPart { case_id, .. }
            | Discrepancy::IssuedToNonCoveredCase { case_id, .. }
            | Discrepancy::CountMismatch { case_id, .. } => case_id,
        }
    }

    /// The case's number, else its id.
    pub fn case_label(&self) -> &str {
        match self {
            Discrepancy::MissingOldPart { number, .. }
            | Discrepancy::IssuedToNonCoveredCase { number, .. }
            | Discrepancy::CountMismatch { number, .. } => {
                number.as_deref().unwrap_or(self.case_id())
            }
        }
    }

    pub fn part_number(&self) -> &str {
        match self {
            Discrepancy::MissingOldPart { part_number, .. }
            | Discrepancy::IssuedToNonCoveredCase { part_number, .. }
            | Discrepancy::CountMismatch { part_number, .. } => part_number,
        }
    }

    /// The movement or line it concerns (`movement m-1`, `line l-2`), for a list's id column.
    pub fn reference(&self) -> String {
        match self {
            Discrepancy::MissingOldPart { line_id, .. } => line_id.clone(),
            Discrepancy::IssuedToNonCoveredCase { movement_id, .. } => movement_id.clone(),
            Discrepancy::CountMismatch { movements, .. } => movements.join(", "),
        }
    }

    fn sort_key(&self) -> (DiscrepancyKind, String, String, String, i64) {
        let (a, b) = match self {
            Discrepancy::MissingOldPart { line_id, unit, .. } => (line_id.clone(), *unit),
            Discrepancy::IssuedToNonCoveredCase { movement_id, .. } => (movement_id.clone(), 0),
            Discrepancy::CountMismatch { .. } => (String::new(), 0),
        };
        (
            self.kind(),
            self.case_label().to_owned(),
            self.part_number().to_owned(),
            a,
            b,
        )
    }
}

impl Localized for Discrepancy {
    fn text(&self, l: Locale) -> String {
        let case = self.case_label();
        match self {
            Discrepancy::MissingOldPart {
                line_id,
                part_number,
                unit,
                of,
                why,
                ..
            } => {
                let why = match why {
                    MissingWhy::Unrecorded => l.pick(
                        "未登记旧件去向".to_owned(),
                        "no fate of the old part recorded".to_owned(),
                    ),
                    MissingWhy::KeptWithoutTag => l.pick(
                        "登记为留存但没有旧件标签".to_owned(),
                        "recorded as kept, but without a tag".to_owned(),
                    ),
                    MissingWhy::NotReceived { shipment_id, tag } => l.pick(
                        format!("登记为随返件单 {shipment_id} 寄回（标签 {tag}），总部尚未签收"),
                        format!(
                            "recorded as sent on shipment {shipment_id} (tag {tag}), not \
                             received at HQ"
                        ),
                    ),
                    MissingWhy::MissingAtHq { shipment_id, tag } => l.pick(
                        format!("列在返件单 {shipment_id} 上（标签 {tag}），总部验收时缺失"),
                        format!(
                            "listed on shipment {shipment_id} (tag {tag}) but missing at HQ's \
                             check"
                        ),
                    ),
                    MissingWhy::LostWithoutApproval { reason } => l.pick(
                        format!("登记为遗失（{reason}），未经批准"),
                        format!("recorded as lost ({reason}) without approval"),
                    ),
                };
                l.pick(
                    format!(
                        "案件 {case} 配件记录 {line_id}（{part_number}）第 {unit}/{of} 件缺少旧件：{why}"
                    ),
                    format!(
                        "case {case}, part line {line_id} ({part_number}), unit {unit} of {of}: \
                         old part missing: {why}"
                    ),
                )
            }
            Discrepancy::IssuedToNonCoveredCase {
                movement_id,
                part_number,
                quantity,
                case_known,
                ..
            } => {
                if *case_known {
                    l.pick(
                        format!(
                            "出库记录 {movement_id} 将 {quantity} 件 {part_number} 领用于案件 \
                             {case}，该案件不属于三包范围"
                        ),
                        format!(
                            "movement {movement_id} issued {quantity} × {part_number} to case \
                             {case}, which is not covered by the warranty (三包)"
                        ),
                    )
                } else {
                    l.pick(
                        format!(
                            "出库记录 {movement_id} 将 {quantity} 件 {part_number} 领用于案件 \
                             {case}，总部没有该案件，无法确认属于三包范围"
                        ),
                        format!(
                            "movement {movement_id} issued {quantity} × {part_number} to case \
                             {case}, which HQ does not hold, so it is not known to be covered"
                        ),
                    )
                }
            }
            Discrepancy::CountMismatch {
                part_number,
                issued,
                recorded,
                movements,
                ..
            } => {
                let ids = if movements.is_empty() {
                    l.pick("无".to_owned(), "none".to_owned())
                } else {
                    movements.join(", ")
                };
                l.pick(
                    format!(
                        "案件 {case} 的 {part_number}：台账出库 {issued} 件（出库记录 {ids}），\
                         案件登记使用 {recorded} 件"
                    ),
                    format!(
                        "case {case}, {part_number}: the ledger issued {issued} (movements \
                         {ids}), the case records {recorded}"
                    ),
                )
            }
        }
    }
}

/// An amount of decimal yuan (`"12.5"`, `"12.50"`, `"3"`) in fen; at most two decimals, not
/// negative.
pub fn parse_yuan(s: &str) -> Result<i64> {
    let refused = || Error::validation("unit_cost", Invalid::NotAmount);
    let s = s.trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || frac.len() > 2 || whole.len() > 15 {
        return Err(refused());
    }
    if s.ends_with('.') {
        return Err(refused());
    }
    let whole: i64 = whole.parse().map_err(|_| refused())?;
    let frac: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().map_err(|_| refused())? * 10,
        _ => frac.parse().map_err(|_| refused())?,
    };
    // At most 15 digits of yuan: far below i64's range in fen.
    Ok(whole * 100 + frac)
}

/// An amount in fen as yuan with two decimals (`1250` → `12.50`).
pub fn yuan_text(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

fn required(field: &'static str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        Err(Error::validation(field, Invalid::Required))
    } else {
        Ok(())
    }
}

fn positive(value: i64) -> Result<()> {
    if value < 1 {
        Err(Error::validation("quantity", Invalid::AtLeastOne))
    } else {
        Ok(())
    }
}

fn unique<'a>(seen: &mut HashSet<&'a str>, field: &'static str, id: &'a str) -> Result<()> {
    if seen.insert(id) {
        Ok(())
    } else {
        Err(Error::validation(
            field,
            Invalid::DuplicateId { id: id.to_owned() },
        ))
    }
}

fn too_big() -> Error {
    Error::validation("quantity", Invalid::AtMost { max: i64::MAX })
}

/// Checks what no reconciliation can be made of; nothing is reconciled then.
fn check(input: &WriteoffInput) -> Result<BTreeMap<String, i64>> {
    required("holder", &input.holder)?;
    let mut movements = HashSet::new();
    for issue in &input.issues {
        required("movement_id", &issue.movement_id)?;
        unique(&mut movements, "movement_id", &issue.movement_id)?;
        required("case_id", &issue.case_id)?;
        required("part_number", &issue.part_number)?;
        positive(issue.quantity)?;
        let at = DateTime::parse_from_rfc3339(&issue.at)
            .map_err(|_| Error::validation("timestamp", Invalid::NotTimestamp))?;
        let date = input.time_zone.date_of(at);
        let dated_in = issue.correction_of.unwrap_or(input.quarter);
        // A correction books a movement of an earlier quarter; one dated in this quarter or
        // later is the quarter's own and says so by having none.
        if !dated_in.contains(date) || dated_in > input.quarter {
            return Err(Error::validation(
                "timestamp",
                Invalid::OutsideQuarter {
                    at: issue.at.clone(),
                    quarter: dated_in.to_string(),
                },
            ));
        }
    }
    let mut cases = HashSet::new();
    let mut lines = HashSet::new();
    for case in &input.cases {
        required("case_id", &case.case_id)?;
        unique(&mut cases, "case_id", &case.case_id)?;
        for line in &case.lines {
            required("line_id", &line.line_id)?;
            unique(&mut lines, "line_id", &line.line_id)?;
            required("part_number", &line.part_number)?;
            positive(line.quantity)?;
        }
    }
    let mut tags = HashSet::new();
    for r in &input.received {
        required("tag", &r.tag)?;
        if !tags.insert((r.shipment_id.as_str(), r.tag.as_str())) {
            return Err(Error::validation(
                "tag",
                Invalid::DuplicateId {
                    id: format!("{}/{}", r.shipment_id, r.tag),
                },
            ));
        }
    }
    input
        .unit_costs
        .iter()
        .map(|(part, cost)| Ok((part.clone(), parse_yuan(cost)?)))
        .collect()
}

#[derive(Default)]
struct Group<'a> {
    issued: i64,
    recorded: i64,
    accounted: i64,
    missing: i64,
    movements: Vec<&'a IssuedPart>,
    lines: Vec<&'a CaseLine>,
}

/// Reconciles a holder's quarter. Refuses (with the field and the reason, nothing
/// reconciled) an input that is not one: an empty or duplicate id, a quantity below 1, a
/// movement dated outside its quarter, a unit cost that is not an amount.
pub fn reconcile(input: &WriteoffInput) -> Result<Reconciliation> {
    let costs = check(input)?;
    let cases: BTreeMap<&str, &CaseParts> = input
        .cases
        .iter()
        .map(|c| (c.case_id.as_str(), c))
        .collect();
    let received: BTreeMap<(&str, &str), &ReceivedOldPart> = input
        .received
        .iter()
        .map(|r| ((r.shipment_id.as_str(), r.tag.as_str()), r))
        .collect();

    let mut groups: BTreeMap<(&str, &str), Group> = BTreeMap::new();
    let mut discrepancies = Vec::new();
    for issue in &input.issues {
        let group = groups
            .entry((issue.case_id.as_str(), issue.part_number.as_str()))
            .or_default();
        group.issued = group
            .issued
            .checked_add(issue.quantity)
            .ok_or_else(too_big)?;
        group.movements.push(issue);
        let case = cases.get(issue.case_id.as_str());
        if !case.is_some_and(|c| c.covered) {
            discrepancies.push(Discrepancy::IssuedToNonCoveredCase {
                movement_id: issue.movement_id.clone(),
                case_id: issue.case_id.clone(),
                number: case.and_then(|c| c.number.clone()),
                part_number: issue.part_number.clone(),
                quantity: issue.quantity,
                case_known: case.is_some(),
            });
        }
    }
    for case in &input.cases {
        for line in &case.lines {
            let group = groups
                .entry((case.case_id.as_str(), line.part_number.as_str()))
                .or_default();
            group.recorded = group
                .recorded
                .checked_add(line.quantity)
                .ok_or_else(too_big)?;
            group.lines.push(line);
            // Old parts are the warranty's: a paid repair's old part is the customer's.
            if !case.covered {
                continue;
            }
            match missing_why(&line.old_part, &received) {
                None => group.accounted += line.quantity,
                Some(why) => {
                    group.missing += line.quantity;
                    for unit in 1..=line.quantity {
                        discrepancies.push(Discrepancy::MissingOldPart {
                            case_id: case.case_id.clone(),
                            number: case.number.clone(),
                            line_id: line.line_id.clone(),
                            part_number: line.part_number.clone(),
                            unit,
                            of: line.quantity,
                            why: why.clone(),
                        });
                    }
                }
            }
        }
    }

    let mut totals = Totals::default();
    let mut lines = Vec::with_capacity(groups.len());
    let mut unpriced = BTreeSet::new();
    for ((case_id, part_number), mut group) in groups {
        let case = cases.get(case_id);
        group
            .movements
            .sort_by(|a, b| a.movement_id.cmp(&b.movement_id));
        group.lines.sort_by(|a, b| a.line_id.cmp(&b.line_id));
        let movements: Vec<String> = group
            .movements
            .iter()
            .map(|m| m.movement_id.clone())
            .collect();
        let line_ids: Vec<String> = group.lines.iter().map(|l| l.line_id.clone()).collect();
        let mut kinds = Vec::new();
        if group.missing > 0 {
            kinds.push(DiscrepancyKind::MissingOldPart);
        }
        let covered = case.map(|c| c.covered);
        if group.issued > 0 && covered != Some(true) {
            kinds.push(DiscrepancyKind::IssuedToNonCoveredCase);
        }
        if group.issued != group.recorded {
            kinds.push(DiscrepancyKind::CountMismatch);
            discrepancies.push(Discrepancy::CountMismatch {
                case_id: case_id.to_owned(),
                number: case.and_then(|c| c.number.clone()),
                part_number: part_number.to_owned(),
                issued: group.issued,
                recorded: group.recorded,
                movements: movements.clone(),
                line_ids: line_ids.clone(),
            });
        }
        let unit_cost_fen = costs.get(part_number).copied();
        if unit_cost_fen.is_none() && group.issued > 0 {
            unpriced.insert(part_number.to_owned());
        }
        let value = |units: i64| -> Result<i64> {
            units
                .checked_mul(unit_cost_fen.unwrap_or(0))
                .ok_or_else(too_big)
        };
        let value_fen = unit_cost_fen.map(|_| value(group.issued)).transpose()?;
        let corrections_of: BTreeSet<Quarter> = group
            .movements
            .iter()
            .filter_map(|m| m.correction_of)
            .collect();
        totals.lines += 1;
        totals.issued += group.issued;
        totals.recorded += group.recorded;
        totals.accounted += group.accounted;
        totals.missing += group.missing;
        totals.corrections += group
            .movements
            .iter()
            .filter(|m| m.correction_of.is_some())
            .count() as i64;
        totals.issued_fen += value(group.issued)?;
        totals.missing_fen += value(group.missing)?;
        if covered == Some(true) {
            totals.issued_covered += group.issued;
            totals.written_off_fen += value(group.issued)?;
        } else {
            totals.issued_not_covered += group.issued;
            totals.not_covered_fen += value(group.issued)?;
        }
        lines.push(ReconciledLine {
            case_id: case_id.to_owned(),
            number: case.and_then(|c| c.number.clone()),
            covered,
            part_number: part_number.to_owned(),
            issued: group.issued,
            recorded: group.recorded,
            accounted: group.accounted,
            missing: group.missing,
            movements,
            line_ids,
            corrections_of: corrections_of.into_iter().collect(),
            unit_cost_fen,
            value_fen,
            status: if kinds.is_empty() {
                LineStatus::Reconciled
            } else {
                LineStatus::Discrepant
            },
            kinds,
        });
    }
    // Cached keys: a center's quarter has thousands of lines, and a key is built of strings.
    lines.sort_by_cached_key(|l| {
        let label = l.number.clone().unwrap_or_else(|| l.case_id.clone());
        (label, l.part_number.clone())
    });
    discrepancies.sort_by_cached_key(Discrepancy::sort_key);
    totals.cases = lines
        .iter()
        .map(|l| l.case_id.as_str())
        .collect::<BTreeSet<_>>()
        .len() as i64;
    for d in &discrepancies {
        match d.kind() {
            DiscrepancyKind::MissingOldPart => totals.missing_old_parts += 1,
            DiscrepancyKind::IssuedToNonCoveredCase => totals.issued_to_non_covered += 1,
            DiscrepancyKind::CountMismatch => totals.count_mismatches += 1,
        }
    }
    totals.unpriced = unpriced.into_iter().collect();
    Ok(Reconciliation {
        holder: input.holder.clone(),
        quarter: input.quarter,
        lines,
        discrepancies,
        totals,
    })
}

/// Why a line's old part is not accounted for; `None` when it is.
fn missing_why(
    old_part: &OldPart,
    received: &BTreeMap<(&str, &str), &ReceivedOldPart>,
) -> Option<MissingWhy> {
    match old_part {
        OldPart::Kept { tag } if !tag.trim().is_empty() => None,
        OldPart::Kept { .. } => Some(MissingWhy::KeptWithoutTag),
        OldPart::Returned | OldPart::LostApproved { .. } => None,
        OldPart::Unrecorded => Some(MissingWhy::Unrecorded),
        OldPart::LostPending { reason } => Some(MissingWhy::LostWithoutApproval {
            reason: reason.clone(),
        }),
        OldPart::Shipped { shipment_id, tag } => {
            match received.get(&(shipment_id.as_str(), tag.as_str())) {
                Some(r) if r.received => None,
                Some(_) => Some(MissingWhy::MissingAtHq {
                    shipment_id: shipment_id.clone(),
                    tag: tag.clone(),
                }),
                None => Some(MissingWhy::NotReceived {
                    shipment_id: shipment_id.clone(),
                    tag: tag.clone(),
                }),
            }
        }
    }
}

impl Reconciliation {
    /// The discrepancies of one kind.
    pub fn of_kind(&self, kind: DiscrepancyKind) -> impl Iterator<Item = &Discrepancy> {
        self.discrepancies.iter().filter(move |d| d.kind() == kind)
    }
}
