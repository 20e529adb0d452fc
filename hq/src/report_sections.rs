//! The sections of the monthly product-quality report (产品质量信息月报), computed purely from
//! read-model rows: no I/O, no clock (the caller passes "now"), so every number is testable
//! from known rows. docs/quality-report.md defines each number.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::storage::{
    EscalationRow, MonthCount, PartLineRow, ReportCaseRow, ReportKey, ReturnSummary, ShipmentRow,
};

/// A calendar month of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Month {
    pub year: i32,
    /// 1–12.
    pub month: u32,
}

impl Month {
    /// `YYYY-MM`; anything else (or a month out of 1–12, a year before 2000) is a typed
    /// refusal in both languages.
    pub fn parse(text: &str) -> Result<Month> {
        let bad = || {
            Error::refused(
                format!("the month is written YYYY-MM (2026-11), not {text:?}"),
                format!("月份应写作 YYYY-MM（如 2026-11），而不是 {text:?}"),
            )
        };
        let (y, m) = text.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) || !(2000..=2099).contains(&year) {
            return Err(bad());
        }
        Ok(Month { year, month })
    }

    /// `YYMM`, as the read model and case numbers count months.
    pub fn yymm(self) -> String {
        format!("{:02}{:02}", self.year.rem_euclid(100), self.month)
    }

    /// The month of a read-model `YYMM` (20YY).
    pub fn from_yymm(yymm: &str) -> Option<Month> {
        if yymm.len() != 4 {
            return None;
        }
        let year: i32 = yymm.get(..2)?.parse().ok()?;
        let month: u32 = yymm.get(2..)?.parse().ok()?;
        (1..=12).contains(&month).then_some(Month {
            year: 2000 + year,
            month,
        })
    }

    /// The month `n` months earlier.
    pub fn minus(self, n: u32) -> Month {
        let index = self.year * 12 + self.month as i32 - 1 - n as i32;
        Month {
            year: index.div_euclid(12),
            month: index.rem_euclid(12) as u32 + 1,
        }
    }

    pub fn next(self) -> Month {
        self.minus(0).plus_one()
    }

    fn plus_one(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// The first day.
    pub fn first_day(self) -> NaiveDate {
        // Months are 1–12 and years 2000–2099 by construction: the date exists.
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// `[start, end)` of the month in `tz`, Unix seconds.
    pub fn bounds(self, tz: Tz) -> (i64, i64) {
        let start = |m: Month| {
            tz.from_local_datetime(&m.first_day().and_time(chrono::NaiveTime::MIN))
                .earliest()
                .map(|t| t.timestamp())
                .unwrap_or_default()
        };
        (start(self), start(self.plus_one()))
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// A fault description folded so that the same fault typed twice is one: trimmed, lower case,
/// runs of white space as one space.
pub fn fault_key(description: &str) -> String {
    description
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// One complaint in the report's lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplaintLine {
    pub case_id: Uuid,
    pub number: String,
    /// Unix seconds.
    pub received_at: i64,
    /// `YYYY-MM`.
    pub month: String,
    pub customer: String,
    pub region: String,
    pub channel: String,
    pub model: String,
    pub category: String,
    pub serial_number: String,
    /// `design_manufacturing`, `storage_transport`, `customer_misuse`; `None` unconfirmed.
    pub cause: Option<String>,
    pub quality_fault: Option<bool>,
    pub status: String,
    pub fault: String,
    /// Recurring by the report's definition (model and fault, or the serial again).
    pub recurring: bool,
}

/// A count under one key, with how many of them are product-quality faults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    pub key: String,
    pub count: i64,
    pub quality: i64,
}

/// Product-quality faults (causes a and b), non-quality (c), not confirmed yet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualitySplit {
    pub quality: i64,
    pub non_quality: i64,
    pub unconfirmed: i64,
}

/// A model and fault complained of at least twice in the 12 months ending with the month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecurringGroup {
    pub model: String,
    pub fault: String,
    pub in_month: i64,
    pub in_window: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frequency {
    pub recurring: i64,
    pub occasional: i64,
    /// Complaints whose serial was complained of before within 365 days.
    pub repeat_serials: i64,
    /// Complaints whose model and fault recur in the window.
    pub repeat_model_fault: i64,
    pub groups: Vec<RecurringGroup>,
}

/// Complaints of one month, for the trend and the season.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthPoint {
    /// `YYYY-MM`.
    pub month: String,
    pub total: i64,
    pub quality: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Returns {
    /// Return and exchange requests on the month's complaints.
    pub requests: i64,
    pub returns: i64,
    pub exchanges: i64,
    /// Units on those requests.
    pub units: i64,
    pub returned_units: i64,
    pub exchanged_units: i64,
    /// Complaints with at least one request.
    pub complaints_with_request: i64,
    /// complaints_with_request / complaints × 100; `None` without complaints.
    pub rate_of_complaints_pct: Option<f64>,
    /// Units delivered in the month (imported shipments); `None` when none were imported.
    pub delivered: Option<i64>,
    /// units / delivered × 100; `None` without deliveries.
    pub rate_of_delivered_pct: Option<f64>,
}

/// PPM of one model: quality faults per million units delivered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PpmRow {
    pub model: String,
    /// `None` when no shipment of the model was imported for the month.
    pub delivered: Option<i64>,
    pub quality_faults: i64,
    pub ppm: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ppm {
    pub rows: Vec<PpmRow>,
    /// Over the models with deliveries.
    pub delivered: i64,
    pub quality_faults: i64,
    pub ppm: Option<f64>,
}

/// Cost of quality, in fen (CNY minor units).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostOfQuality {
    /// Paid-service charges in CNY billed on the month's complaints.
    pub charges_fen: i64,
    pub charged_cases: i64,
    /// Charges in another currency, counted but not summed.
    pub other_currency_charges: i64,
    /// Part lines under the 三包 warranty at catalog cost: the company's cost.
    pub warranty_parts_fen: i64,
    /// Part lines of paid service at catalog cost.
    pub paid_parts_fen: i64,
    /// Part lines whose part number the catalog does not list: not costed.
    pub uncosted_lines: i64,
    /// Complaints asking for compensation.
    pub compensation_requests: i64,
    /// Compensation paid in CNY on the month's complaints (`decisions.compensation`).
    /// Reports issued before it was recorded read 0.
    #[serde(default)]
    pub compensation_fen: i64,
    #[serde(default)]
    pub compensated_cases: i64,
    /// Compensation in another currency, counted but not summed.
    #[serde(default)]
    pub other_currency_compensations: i64,
    /// Units replaced by exchange or taken back by return (from the returns section).
    pub exchanged_units: i64,
    pub returned_units: i64,
    /// warranty_parts_fen + paid_parts_fen + compensation_fen − charges_fen: parts spent and
    /// compensation paid, less what customers paid.
    pub net_fen: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlines {
    /// Closed with no deadline missed.
    pub met: i64,
    /// At least one deadline missed (recorded, or open and past due at generation).
    pub missed: i64,
    /// Open, nothing missed yet.
    pub open_in_time: i64,
    /// Missed-deadline records on the month's complaints.
    pub missed_records: i64,
}

/// A corrective action requested: a major incident or a batch fault raised in the month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectiveAction {
    pub escalation_id: Uuid,
    /// `major_incident` or `batch_fault`.
    pub kind: String,
    pub model: Option<String>,
    pub batch: Option<String>,
    pub raised_at: i64,
    pub cases: i64,
    pub acknowledged_by: Option<String>,
}

/// The report of one month, as generated (a draft) or as frozen when issued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthlyReport {
    /// `YYYY-MM`.
    pub month: String,
    /// Unix seconds.
    pub generated_at: i64,
    /// The company's time zone (IANA name): the exports print times in it.
    pub time_zone: String,
    pub complaints: Vec<ComplaintLine>,
    pub total: i64,
    pub by_category: Vec<Count>,
    pub by_model: Vec<Count>,
    pub by_cause: Vec<Count>,
    pub quality: QualitySplit,
    pub by_region: Vec<Count>,
    pub by_channel: Vec<Count>,
    pub by_customer: Vec<Count>,
    pub frequency: Frequency,
    /// The 12 months ending with the month, oldest first.
    pub trend: Vec<MonthPoint>,
    /// The same month of earlier years with complaints, oldest first, then the month itself.
    pub season: Vec<MonthPoint>,
    pub returns: Returns,
    pub ppm: Ppm,
    pub cost: CostOfQuality,
    pub deadlines: Deadlines,
    pub corrective_actions: Vec<CorrectiveAction>,
    /// Complaints of earlier issued months that reached HQ after their month was issued.
    pub late_records: Vec<ComplaintLine>,
}

/// Everything a report is computed from.
pub struct Inputs<'a> {
    pub month: Month,
    /// "Now", Unix seconds: what is past due is decided against it.
    pub now: i64,
    pub time_zone: Tz,
    /// The month's complaints.
    pub cases: &'a [ReportCaseRow],
    /// Complaints of the 13 months ending with the month (the serial look-back is 365 days).
    pub keys: &'a [ReportKey],
    pub month_counts: &'a [MonthCount],
    pub part_lines: &'a [PartLineRow],
    /// Unit cost in fen per part number (the parts catalog).
    pub catalog: &'a HashMap<String, i64>,
    pub returns: &'a [ReturnSummary],
    /// The month's shipments.
    pub shipments: &'a [ShipmentRow],
    pub escalations: &'a [EscalationRow],
    pub late: &'a [ReportCaseRow],
}

const YEAR_SECONDS: i64 = 365 * 24 * 3600;

/// Computes every section.
pub fn compute(input: &Inputs<'_>) -> MonthlyReport {
    let cases = input.cases;
    let recurring = recurring_cases(input);
    let complaints: Vec<ComplaintLine> = cases
        .iter()
        .map(|c| line_of(c, recurring.contains(&c.case_id)))
        .collect();
    let frequency = frequency(input, &recurring);
    let returns = returns(input);
    MonthlyReport {
        month: input.month.to_string(),
        generated_at: input.now,
        time_zone: input.time_zone.name().to_owned(),
        total: cases.len() as i64,
        by_category: count_by(cases, |c| c.product_category.clone()),
        by_model: count_by(cases, |c| c.product_model.clone()),
        by_cause: count_by(cases, |c| {
            c.defect_cause
                .clone()
                .unwrap_or_else(|| UNCONFIRMED.to_owned())
        }),
        quality: quality_split(cases),
        by_region: count_by(cases, |c| c.region.clone()),
        by_channel: count_by(cases, |c| {
            c.channel.clone().unwrap_or_else(|| UNKNOWN.to_owned())
        }),
        by_customer: count_by(cases, |c| c.customer_name.clone()),
        frequency,
        trend: trend(input.month, input.month_counts),
        season: season(input.month, input.month_counts),
        ppm: ppm(cases, input.shipments),
        cost: cost(input, &returns),
        returns,
        deadlines: deadlines(cases, input.now),
        corrective_actions: corrective_actions(input),
        late_records: input.late.iter().map(|c| line_of(c, false)).collect(),
        complaints,
    }
}

/// The key of complaints whose defect is not confirmed yet.
pub const UNCONFIRMED: &str = "unconfirmed";
/// The key of complaints whose report row predates schema 13 (not reindexed).
pub const UNKNOWN: &str = "unknown";

pub fn line_of(c: &ReportCaseRow, recurring: bool) -> ComplaintLine {
    ComplaintLine {
        case_id: c.case_id,
        number: c.number.clone(),
        received_at: c.received_at,
        month: Month::from_yymm(&c.received_month)
            .map(|m| m.to_string())
            .unwrap_or_else(|| c.received_month.clone()),
        customer: c.customer_name.clone(),
        region: c.region.clone(),
        channel: c.channel.clone().unwrap_or_else(|| UNKNOWN.to_owned()),
        model: c.product_model.clone(),
        category: c.product_category.clone(),
        serial_number: c.serial_number.clone(),
        cause: c.defect_cause.clone(),
        quality_fault: c.quality_fault,
        status: c.status.clone(),
        fault: c.fault.clone().unwrap_or_default(),
        recurring,
    }
}

/// Counts by key, most first, then by key.
pub fn count_by(cases: &[ReportCaseRow], key: impl Fn(&ReportCaseRow) -> String) -> Vec<Count> {
    let mut counts: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for c in cases {
        let entry = counts.entry(key(c)).or_default();
        entry.0 += 1;
        entry.1 += i64::from(c.quality_fault == Some(true));
    }
    let mut out: Vec<Count> = counts
        .into_iter()
        .map(|(key, (count, quality))| Count {
            key,
            count,
            quality,
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    out
}

pub fn quality_split(cases: &[ReportCaseRow]) -> QualitySplit {
    let mut split = QualitySplit::default();
    for c in cases {
        match c.quality_fault {
            Some(true) => split.quality += 1,
            Some(false) => split.non_quality += 1,
            None => split.unconfirmed += 1,
        }
    }
    split
}

/// The months of the model-and-fault window: the 12 ending with `month`, as `YYMM`.
pub fn window_months(month: Month) -> Vec<String> {
    (0..12).rev().map(|n| month.minus(n).yymm()).collect()
}

/// The months whose complaints the report reads keys of: the window and the month before it
/// (the serial look-back of 365 days reaches into it).
pub fn key_months(month: Month) -> Vec<String> {
    (0..13).rev().map(|n| month.minus(n).yymm()).collect()
}

/// (model, fault) → complaints in the window. An empty fault is never "the same fault".
fn model_fault_counts(input: &Inputs<'_>) -> HashMap<(String, String), i64> {
    let window: HashSet<String> = window_months(input.month).into_iter().collect();
    let (_, end) = input.month.bounds(input.time_zone);
    let mut counts = HashMap::new();
    for k in input.keys {
        let Some(fault) = k.fault.as_deref().filter(|f| !f.is_empty()) else {
            continue;
        };
        let in_window = window.contains(&month_key(k.received_at, input.time_zone));
        if in_window && k.received_at < end {
            *counts
                .entry((k.product_model.clone(), fault.to_owned()))
                .or_insert(0) += 1;
        }
    }
    counts
}

fn month_key(at: i64, tz: Tz) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| crate::numbering::month_of(&t.with_timezone(&tz)))
        .unwrap_or_default()
}

/// Complaints of the month whose serial was complained of in the 365 days before.
fn repeat_serials(input: &Inputs<'_>) -> HashSet<Uuid> {
    let mut by_serial: HashMap<&str, Vec<i64>> = HashMap::new();
    for k in input.keys {
        if !k.serial_number.trim().is_empty() {
            by_serial
                .entry(k.serial_number.trim())
                .or_default()
                .push(k.received_at);
        }
    }
    input
        .cases
        .iter()
        .filter(|c| {
            by_serial.get(c.serial_number.trim()).is_some_and(|times| {
                times
                    .iter()
                    .any(|t| *t < c.received_at && *t >= c.received_at - YEAR_SECONDS)
            })
        })
        .map(|c| c.case_id)
        .collect()
}

fn repeat_model_fault(input: &Inputs<'_>) -> HashSet<Uuid> {
    let counts = model_fault_counts(input);
    input
        .cases
        .iter()
        .filter(|c| {
            c.fault
                .as_deref()
                .filter(|f| !f.is_empty())
                .is_some_and(|f| {
                    counts
                        .get(&(c.product_model.clone(), f.to_owned()))
                        .is_some_and(|n| *n >= 2)
                })
        })
        .map(|c| c.case_id)
        .collect()
}

/// The month's recurring complaints: model and fault repeat, or the serial again.
pub fn recurring_cases(input: &Inputs<'_>) -> HashSet<Uuid> {
    let mut set = repeat_model_fault(input);
    set.extend(repeat_serials(input));
    set
}

fn frequency(input: &Inputs<'_>, recurring: &HashSet<Uuid>) -> Frequency {
    let counts = model_fault_counts(input);
    let mut in_month: BTreeMap<(String, String), i64> = BTreeMap::new();
    for c in input.cases {
        if let Some(f) = c.fault.as_deref().filter(|f| !f.is_empty()) {
            *in_month
                .entry((c.product_model.clone(), f.to_owned()))
                .or_insert(0) += 1;
        }
    }
    let mut groups: Vec<RecurringGroup> = in_month
        .into_iter()
        .filter_map(|((model, fault), n)| {
            let window = counts
                .get(&(model.clone(), fault.clone()))
                .copied()
                .unwrap_or(0);
            (window >= 2).then_some(RecurringGroup {
                model,
                fault,
                in_month: n,
                in_window: window,
            })
        })
        .collect();
    groups.sort_by(|a, b| {
        b.in_window
            .cmp(&a.in_window)
            .then_with(|| (&a.model, &a.fault).cmp(&(&b.model, &b.fault)))
    });
    let total = input.cases.len() as i64;
    let recurring_n = recurring.len() as i64;
    Frequency {
        recurring: recurring_n,
        occasional: total - recurring_n,
        repeat_serials: repeat_serials(input).len() as i64,
        repeat_model_fault: repeat_model_fault(input).len() as i64,
        groups,
    }
}

fn point(month: Month, counts: &HashMap<&str, &MonthCount>) -> MonthPoint {
    let c = counts.get(month.yymm().as_str());
    MonthPoint {
        month: month.to_string(),
        total: c.map_or(0, |c| c.total),
        quality: c.map_or(0, |c| c.quality),
    }
}

pub fn trend(month: Month, counts: &[MonthCount]) -> Vec<MonthPoint> {
    let by_month: HashMap<&str, &MonthCount> =
        counts.iter().map(|c| (c.month.as_str(), c)).collect();
    (0..12)
        .rev()
        .map(|n| point(month.minus(n), &by_month))
        .collect()
}

/// The same calendar month of every earlier year that has complaints, then the month.
pub fn season(month: Month, counts: &[MonthCount]) -> Vec<MonthPoint> {
    let by_month: HashMap<&str, &MonthCount> =
        counts.iter().map(|c| (c.month.as_str(), c)).collect();
    let years: BTreeSet<i32> = counts
        .iter()
        .filter_map(|c| Month::from_yymm(&c.month))
        .filter(|m| m.month == month.month && m.year < month.year)
        .map(|m| m.year)
        .collect();
    years
        .into_iter()
        .map(|year| Month {
            year,
            month: month.month,
        })
        .chain(std::iter::once(month))
        .map(|m| point(m, &by_month))
        .collect()
}

fn pct(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| round2(part as f64 * 100.0 / whole as f64))
}

/// Two decimals, as the report prints rates.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn returns(input: &Inputs<'_>) -> Returns {
    let mut r = Returns::default();
    let mut with_request = HashSet::new();
    for ret in input.returns {
        r.requests += 1;
        r.units += ret.units;
        with_request.insert(ret.case_id);
        if ret.kind == "exchange" {
            r.exchanges += 1;
            r.exchanged_units += ret.units;
        } else {
            r.returns += 1;
            r.returned_units += ret.units;
        }
    }
    r.complaints_with_request = with_request.len() as i64;
    r.rate_of_complaints_pct = pct(r.complaints_with_request, input.cases.len() as i64);
    let delivered: i64 = input.shipments.iter().map(|s| s.quantity).sum();
    r.delivered = (!input.shipments.is_empty()).then_some(delivered);
    r.rate_of_delivered_pct = pct(r.units, delivered);
    r
}

/// Quality faults per million delivered: faults × 1,000,000 / delivered, one decimal.
pub fn ppm_of(faults: i64, delivered: i64) -> Option<f64> {
    (delivered > 0)
        .then(|| ((faults as f64 * 1_000_000.0 / delivered as f64) * 10.0).round() / 10.0)
}

pub fn ppm(cases: &[ReportCaseRow], shipments: &[ShipmentRow]) -> Ppm {
    let mut faults: BTreeMap<String, i64> = BTreeMap::new();
    for c in cases.iter().filter(|c| c.quality_fault == Some(true)) {
        *faults.entry(c.product_model.clone()).or_insert(0) += 1;
    }
    let mut delivered: BTreeMap<String, i64> = BTreeMap::new();
    for s in shipments {
        *delivered.entry(s.product_model.clone()).or_insert(0) += s.quantity;
    }
    let models: BTreeSet<&String> = faults.keys().chain(delivered.keys()).collect();
    let rows: Vec<PpmRow> = models
        .into_iter()
        .map(|m| {
            let d = delivered.get(m).copied();
            let f = faults.get(m).copied().unwrap_or(0);
            PpmRow {
                model: m.clone(),
                delivered: d,
                quality_faults: f,
                ppm: d.and_then(|d| ppm_of(f, d)),
            }
        })
        .collect();
    let total_delivered: i64 = delivered.values().sum();
    let total_faults: i64 = rows
        .iter()
        .filter(|r| r.delivered.is_some())
        .map(|r| r.quality_faults)
        .sum();
    Ppm {
        rows,
        delivered: total_delivered,
        quality_faults: total_faults,
        ppm: ppm_of(total_faults, total_delivered),
    }
}

fn cost(input: &Inputs<'_>, returns: &Returns) -> CostOfQuality {
    let mut c = CostOfQuality::default();
    for case in input.cases {
        if let Some(amount) = case.charge_minor {
            match case.charge_currency.as_deref() {
                None | Some("CNY") => {
                    c.charges_fen += amount;
                    c.charged_cases += 1;
                }
                Some(_) => c.other_currency_charges += 1,
            }
        }
        if case.customer_request.as_deref() == Some("compensation") {
            c.compensation_requests += 1;
        }
        // A compensation of 0 is one withdrawn: not a compensated case.
        if let Some(amount) = case.compensation_minor.filter(|a| *a > 0) {
            match case.compensation_currency.as_deref() {
                None | Some("CNY") => {
                    c.compensation_fen += amount;
                    c.compensated_cases += 1;
                }
                Some(_) => c.other_currency_compensations += 1,
            }
        }
    }
    for line in input.part_lines {
        match input.catalog.get(&line.part_number) {
            Some(unit) if line.covered => c.warranty_parts_fen += unit * line.quantity,
            Some(unit) => c.paid_parts_fen += unit * line.quantity,
            None => c.uncosted_lines += 1,
        }
    }
    c.exchanged_units = returns.exchanged_units;
    c.returned_units = returns.returned_units;
    c.net_fen = c.warranty_parts_fen + c.paid_parts_fen + c.compensation_fen - c.charges_fen;
    c
}

pub fn deadlines(cases: &[ReportCaseRow], now: i64) -> Deadlines {
    let mut d = Deadlines::default();
    for c in cases {
        d.missed_records += c.missed_deadlines;
        let overdue = c.next_due_at.is_some_and(|due| due < now);
        if c.missed_deadlines > 0 || overdue {
            d.missed += 1;
        } else if c.status == "closed" {
            d.met += 1;
        } else {
            d.open_in_time += 1;
        }
    }
    d
}

fn corrective_actions(input: &Inputs<'_>) -> Vec<CorrectiveAction> {
    let (start, end) = input.month.bounds(input.time_zone);
    let mut out: Vec<CorrectiveAction> = input
        .escalations
        .iter()
        .filter(|e| e.kind == "major_incident" || e.kind == "batch_fault")
        .filter(|e| e.raised_at >= start && e.raised_at < end)
        .map(|e| CorrectiveAction {
            escalation_id: e.escalation_id,
            kind: e.kind.clone(),
            model: e.product_model.clone(),
            batch: e.production_batch.clone(),
            raised_at: e.raised_at,
            cases: e.cases.len() as i64,
            acknowledged_by: e.acked_by.clone(),
        })
        .collect();
    out.sort_by_key(|a| (a.raised_at, a.escalation_id));
    out
}

/// The parts catalog's unit costs in fen, from the reference catalogs JSON; a catalog that
/// does not read costs nothing (its lines are counted as not costed).
pub fn catalog_costs(catalogs_json: &str) -> HashMap<String, i64> {
    match fieldcore::PartsCatalog::from_catalogs_json(catalogs_json) {
        Ok(Some(catalog)) => catalog
            .parts()
            .map(|p| (p.part_number.clone(), p.unit_cost_fen))
            .collect(),
        Ok(None) => HashMap::new(),
        Err(e) => {
            tracing::warn!(error = %e, "report: the parts catalog does not read");
            HashMap::new()
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn case(n: u32, model: &str, quality: Option<bool>, serial: &str, at: i64) -> ReportCaseRow {
        ReportCaseRow {
            case_id: Uuid::from_u128(n as u128),
            number: format!("2611-{n:04}"),
            status: "registered".into(),
            customer_name: "A".into(),
            region: "R".into(),
            market: "domestic".into(),
            product_model: model.into(),
            product_category: "motor".into(),
            serial_number: serial.into(),
            received_at: at,
            received_month: "2611".into(),
            closed_at: None,
            defect_cause: quality.map(|q| {
                if q {
                    "design_manufacturing".into()
                } else {
                    "customer_misuse".into()
                }
            }),
            quality_fault: quality,
            warranty_covered: None,
            charge_minor: None,
            charge_currency: None,
            compensation_minor: None,
            compensation_currency: None,
            missed_deadlines: 0,
            next_due_at: None,
            center: None,
            engineer: "wang".into(),
            channel: Some("phone".into()),
            customer_request: Some("repair".into()),
            fault: Some("noise".into()),
            production_batch: None,
            major_incident: Some(false),
            outcome: None,
        }
    }

    #[test]
    fn months_parse_and_step() {
        let m = Month::parse("2026-01").unwrap();
        assert_eq!(m.yymm(), "2601");
        assert_eq!(m.minus(1).to_string(), "2025-12");
        assert_eq!(m.minus(13).to_string(), "2024-12");
        assert_eq!(m.next().to_string(), "2026-02");
        assert_eq!(
            Month::parse("2025-12").unwrap().next().to_string(),
            "2026-01"
        );
        for bad in [
            "2026-13", "2026-00", "26-11", "2026/11", "", "2026-1", "abcd-ef",
        ] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Month::from_yymm("2611"),
            Some(Month::parse("2026-11").unwrap())
        );
        let (start, end) = m.bounds(chrono_tz::Asia::Shanghai);
        assert_eq!(end - start, 31 * 86400);
    }

    #[test]
    fn fault_keys_fold_spaces_and_case() {
        assert_eq!(fault_key("  Bearing   NOISE \n"), "bearing noise");
        assert_eq!(fault_key("轴承 异响"), "轴承 异响");
    }

    #[test]
    fn ppm_is_faults_per_million_delivered() {
        let cases = vec![
            case(1, "A", Some(true), "s1", 0),
            case(2, "A", Some(true), "s2", 0),
            case(3, "A", Some(false), "s3", 0),
            case(4, "B", Some(true), "s4", 0),
        ];
        let shipments = vec![ShipmentRow {
            month: "2611".into(),
            product_model: "A".into(),
            quantity: 4000,
        }];
        let p = ppm(&cases, &shipments);
        assert_eq!(p.rows.len(), 2);
        assert_eq!(p.rows[0].ppm, Some(500.0));
        assert_eq!(p.rows[1].delivered, None);
        assert_eq!(p.rows[1].ppm, None);
        assert_eq!(p.delivered, 4000);
        assert_eq!(p.quality_faults, 2, "B has no deliveries: not in the total");
        assert_eq!(p.ppm, Some(500.0));
    }

    #[test]
    fn deadlines_split_met_missed_and_open() {
        let mut a = case(1, "A", None, "", 0);
        a.status = "closed".into();
        let mut b = case(2, "A", None, "", 0);
        b.missed_deadlines = 2;
        let mut c = case(3, "A", None, "", 0);
        c.next_due_at = Some(99);
        let mut d = case(4, "A", None, "", 0);
        d.next_due_at = Some(101);
        let got = deadlines(&[a, b, c, d], 100);
        assert_eq!(
            got,
            Deadlines {
                met: 1,
                missed: 2,
                open_in_time: 1,
                missed_records: 2
            }
        );
    }

    proptest! {
        /// Whatever the cases, the splits add up to the total and the counts by key too.
        #[test]
        fn sections_add_up(rows in proptest::collection::vec(
            (0u8..3, proptest::option::of(any::<bool>()), 0u8..4, 0i64..1_000_000), 0..60)
        ) {
            let cases: Vec<ReportCaseRow> = rows
                .iter()
                .enumerate()
                .map(|(i, (m, q, s, at))| {
                    case(i as u32, &format!("M{m}"), *q, &format!("S{s}"), *at)
                })
                .collect();
            let total = cases.len() as i64;
            let split = quality_split(&cases);
            prop_assert_eq!(split.quality + split.non_quality + split.unconfirmed, total);
            let by_model = count_by(&cases, |c| c.product_model.clone());
            prop_assert_eq!(by_model.iter().map(|c| c.count).sum::<i64>(), total);
            prop_assert_eq!(by_model.iter().map(|c| c.quality).sum::<i64>(), split.quality);
            let keys: Vec<ReportKey> = cases
                .iter()
                .map(|c| ReportKey {
                    case_id: c.case_id,
                    product_model: c.product_model.clone(),
                    fault: c.fault.clone(),
                    serial_number: c.serial_number.clone(),
                    received_at: c.received_at,
                })
                .collect();
            let catalog = HashMap::new();
            let input = Inputs {
                month: Month::parse("2026-11").unwrap(),
                now: 0,
                time_zone: chrono_tz::Asia::Shanghai,
                cases: &cases,
                keys: &keys,
                month_counts: &[],
                part_lines: &[],
                catalog: &catalog,
                returns: &[],
                shipments: &[],
                escalations: &[],
                late: &[],
            };
            let report = compute(&input);
            prop_assert_eq!(report.frequency.recurring + report.frequency.occasional, total);
            let d = report.deadlines;
            prop_assert_eq!(d.met + d.missed + d.open_in_time, total);
            prop_assert_eq!(report.trend.len(), 12);
        }
    }
}
