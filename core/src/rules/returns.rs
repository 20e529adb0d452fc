//! The rules of returns and exchanges (退换货): the return window, the approval chain, the
//! receiving checks A–G (退货异常), when a return is a batch return and when its re-inspection
//! is due. Pure functions over plain values, each returning what it decided and why, so the
//! device (offline), HQ and the forms all reach and show the same result.
//!
//! Boundary policy, as for the warranty: the window is counted in calendar months from the
//! purchase (delivery) date and its last day is inside; a month without the matching day ends
//! on its last day.

use std::collections::BTreeMap;

use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::locale::{Locale, Localized};

/// A step of an approval chain: its name (`review`, `approve`) and the HQ role that decides it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainStep {
    pub step: String,
    pub role: String,
}

impl ChainStep {
    pub(crate) fn new(step: &str, role: &str) -> ChainStep {
        ChainStep {
            step: step.into(),
            role: role.into(),
        }
    }
}

/// Returns and exchanges as a deployment configures them (DOMAIN "Returns and exchanges").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReturnPolicy {
    /// The return window for customers in the company's home region, in months.
    pub home_region_months: u32,
    /// The return window elsewhere, in months.
    pub elsewhere_months: u32,
    /// Who decides a return or exchange request, in order; the last step's approval issues
    /// the RMA number.
    pub chain: Vec<ChainStep>,
    /// Who approves a replenishment notice (补货通知) before a replacement ships.
    pub replenishment_chain: Vec<ChainStep>,
    /// Days after the goods arrive by which every unit must be re-inspected.
    pub reinspection_days: u32,
    /// A request of at least this many units is a batch return, which needs a return-analysis
    /// report (退货分析改善报告) before the case closes; so is a return on a case HQ escalated
    /// as a batch fault (the same fault at several customers).
    pub batch_units: u32,
}

impl Default for ReturnPolicy {
    fn default() -> ReturnPolicy {
        ReturnPolicy {
            // DOMAIN: within one month of delivery in the home region, six months elsewhere.
            home_region_months: 1,
            elsewhere_months: 6,
            // DOMAIN: reviewed by the customer-service manager, approved by a vice president.
            chain: vec![
                ChainStep::new("review", "cs_manager"),
                ChainStep::new("approve", "vp"),
            ],
            replenishment_chain: vec![ChainStep::new("approve", "cs_manager")],
            reinspection_days: 5,
            // Ten units of one product in one return is more than a customer's own spares: a
            // lot, whose cause the analysis report must find.
            batch_units: 10,
        }
    }
}

/// What the return window says about a request made on `requested` (a local date).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowCheck {
    pub within: bool,
    pub home_region: bool,
    pub months: u32,
    /// The purchase or delivery date counted from; `None` when the case has none.
    pub from: Option<NaiveDate>,
    /// The window's last day; `None` without a date to count from.
    pub last_day: Option<NaiveDate>,
    pub requested: NaiveDate,
}

/// Whether a request made on `requested` is inside the return window.
pub fn window(
    policy: &ReturnPolicy,
    home_region: bool,
    purchase: Option<NaiveDate>,
    requested: NaiveDate,
) -> WindowCheck {
    let months = if home_region {
        policy.home_region_months
    } else {
        policy.elsewhere_months
    };
    let last_day = purchase.and_then(|p| p.checked_add_months(Months::new(months)));
    WindowCheck {
        within: last_day.is_some_and(|last| requested <= last)
            && purchase.is_some_and(|p| p <= requested),
        home_region,
        months,
        from: purchase,
        last_day,
        requested,
    }
}

impl Localized for WindowCheck {
    fn text(&self, l: Locale) -> String {
        let region = if self.home_region {
            l.pick("本地区客户", "customers in the home region")
        } else {
            l.pick("外地客户", "customers elsewhere")
        };
        let months = self.months;
        let span = if months == 1 {
            "1 month".to_owned()
        } else {
            format!("{months} months")
        };
        match (self.from, self.last_day) {
            (Some(from), Some(last)) if self.within => l.pick(
                format!(
                    "在退货期限内：{region}自 {from} 起 {months} 个月，至 {last} 为止；申请日 {}",
                    self.requested
                ),
                format!(
                    "within the return window: {span} from {from} for {region}, \
                     until {last}; requested {}",
                    self.requested
                ),
            ),
            (Some(from), Some(last)) => l.pick(
                format!(
                    "超出退货期限：{region}自 {from} 起 {months} 个月，至 {last} 为止；申请日 {}",
                    self.requested
                ),
                format!(
                    "outside the return window: {span} from {from} for {region} \
                     ended {last}; requested {}",
                    self.requested
                ),
            ),
            _ => l.pick(
                format!("无法核对退货期限：案件没有购买或交货日期（{region} {months} 个月）"),
                format!(
                    "the return window cannot be checked: the case has no purchase or \
                     delivery date ({span} for {region})"
                ),
            ),
        }
    }
}

/// One step's decision as the chain reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepDecision<'a> {
    pub step: &'a str,
    pub approved: bool,
}

/// Where a request stands in its approval chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainState {
    /// Waiting for this step (and its role).
    Waiting(ChainStep),
    /// Every step approved.
    Approved,
    /// Rejected at this step; the request ends.
    Rejected { step: String },
}

/// The request's place in `chain` given the decisions recorded so far (any order). A step's
/// decision counts only once every earlier step is approved, so a decision written out of
/// turn (a policy changed between steps) never skips a step.
pub fn chain_state(chain: &[ChainStep], decisions: &[StepDecision<'_>]) -> ChainState {
    for step in chain {
        match decisions.iter().find(|d| d.step == step.step) {
            None => return ChainState::Waiting(step.clone()),
            Some(d) if !d.approved => {
                return ChainState::Rejected {
                    step: step.step.clone(),
                };
            }
            Some(_) => {}
        }
    }
    ChainState::Approved
}

/// The receiving checks of the procedure, each a reason to flag a receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ReceivingCheck {
    /// No RMA number, or no record of it.
    A,
    /// The goods differ from the notice (model, quantity).
    B,
    /// Loose returns without a labelled reason or sorting.
    C,
    /// Packaging not as required.
    D,
    /// One RMA number with several products mixed.
    E,
    /// Goods not covered by the approved RMA, or carrying an older RMA number.
    F,
    /// No defect marking at all.
    G,
}

impl ReceivingCheck {
    pub const ALL: [ReceivingCheck; 7] = [
        ReceivingCheck::A,
        ReceivingCheck::B,
        ReceivingCheck::C,
        ReceivingCheck::D,
        ReceivingCheck::E,
        ReceivingCheck::F,
        ReceivingCheck::G,
    ];

    pub fn letter(self) -> char {
        match self {
            ReceivingCheck::A => 'A',
            ReceivingCheck::B => 'B',
            ReceivingCheck::C => 'C',
            ReceivingCheck::D => 'D',
            ReceivingCheck::E => 'E',
            ReceivingCheck::F => 'F',
            ReceivingCheck::G => 'G',
        }
    }

    pub fn parse(s: &str) -> Option<ReceivingCheck> {
        let s = s.trim();
        ReceivingCheck::ALL
            .into_iter()
            .find(|c| s.eq_ignore_ascii_case(&c.letter().to_string()))
    }

    /// Goods flagged A–D may be refused at the door; E–G are received and flagged.
    pub fn allows_refusal(self) -> bool {
        matches!(
            self,
            ReceivingCheck::A | ReceivingCheck::B | ReceivingCheck::C | ReceivingCheck::D
        )
    }
}

impl Localized for ReceivingCheck {
    fn text(&self, l: Locale) -> String {
        let (zh, en) = match self {
            ReceivingCheck::A => (
                "无退货编号或无该编号记录",
                "no RMA number, or no record of it",
            ),
            ReceivingCheck::B => (
                "货物与通知不符（编号、型号、数量）",
                "goods differ from the notice (RMA number, model, quantity)",
            ),
            ReceivingCheck::C => (
                "散件退回，未标明退货原因或未分类",
                "loose returns without a labelled reason or sorting",
            ),
            ReceivingCheck::D => ("包装不符合要求", "packaging not as required"),
            ReceivingCheck::E => (
                "一个退货编号下混装多种产品",
                "one RMA number with several products mixed",
            ),
            ReceivingCheck::F => (
                "货物不在批准的退货范围内，或使用旧的退货编号",
                "goods not covered by the approved RMA, or carrying an older RMA number",
            ),
            ReceivingCheck::G => ("无任何故障标识", "no defect marking at all"),
        };
        format!("{} {}", self.letter(), l.pick(zh, en))
    }
}

/// How the goods arrived packed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Packing {
    /// Packed as the procedure requires.
    AsRequired,
    /// In a package, but not as required (damaged, unsuitable).
    NotAsRequired,
    /// Loose units, not packed.
    Loose,
}

impl Packing {
    pub const ALL: [Packing; 3] = [Packing::AsRequired, Packing::NotAsRequired, Packing::Loose];

    pub fn as_str(self) -> &'static str {
        match self {
            Packing::AsRequired => "as_required",
            Packing::NotAsRequired => "not_as_required",
            Packing::Loose => "loose",
        }
    }

    pub fn parse(s: &str) -> Option<Packing> {
        let s = s.trim().replace('-', "_");
        Packing::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

impl Localized for Packing {
    fn text(&self, l: Locale) -> String {
        let (zh, en) = match self {
            Packing::AsRequired => ("包装符合要求", "packed as required"),
            Packing::NotAsRequired => ("包装不符合要求", "packed, not as required"),
            Packing::Loose => ("散件", "loose"),
        };
        l.pick(zh, en).into()
    }
}

/// What the notice (the approved request) says is coming back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice<'a> {
    pub number: &'a str,
    pub model: &'a str,
    pub quantity: u32,
    /// The serials the request lists; empty when it lists none.
    pub serials: Vec<&'a str>,
}

/// One line of goods as counted at the door.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted<'a> {
    pub model: &'a str,
    pub serial: Option<&'a str>,
    pub quantity: u32,
}

/// What the receiver found, as the checks read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival<'a> {
    /// The RMA number on the goods, scanned or typed; `None` when there is none.
    pub number: Option<&'a str>,
    pub counted: Vec<Counted<'a>>,
    pub packing: Packing,
    /// Every unit carries a label with its return reason.
    pub labelled: bool,
    /// The units are sorted by product.
    pub sorted: bool,
    /// The units carry a defect marking.
    pub defect_marked: bool,
}

/// A check the goods raised, with what raised it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raised {
    pub check: ReceivingCheck,
    pub why: CheckReason,
}

/// Why a check was raised, as a receipt shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckReason {
    NoNumber,
    UnknownNumber {
        number: String,
    },
    QuantityDiffers {
        model: String,
        notice: u32,
        counted: u32,
    },
    LooseUnlabelled,
    LooseUnsorted,
    Packaging,
    Mixed {
        models: Vec<String>,
    },
    NotCovered {
        what: String,
    },
    OlderNumber {
        number: String,
        current: String,
    },
    NoDefectMarking,
}

impl Localized for CheckReason {
    fn text(&self, l: Locale) -> String {
        match self {
            CheckReason::NoNumber => l
                .pick("货物上没有退货编号", "the goods carry no RMA number")
                .into(),
            CheckReason::UnknownNumber { number } => l.pick(
                format!("本设备没有退货编号 {number} 的记录（同步后由总部核对）"),
                format!("no record of RMA number {number} here (HQ confirms it at sync)"),
            ),
            CheckReason::QuantityDiffers {
                model,
                notice,
                counted,
            } => l.pick(
                format!("{model}：通知 {notice} 台，实收 {counted} 台"),
                format!("{model}: {notice} on the notice, {counted} counted"),
            ),
            CheckReason::LooseUnlabelled => l
                .pick(
                    "散件未标明退货原因",
                    "loose units without a labelled reason",
                )
                .into(),
            CheckReason::LooseUnsorted => l.pick("散件未分类", "loose units not sorted").into(),
            CheckReason::Packaging => l.pick("包装不符合要求", "packaging not as required").into(),
            CheckReason::Mixed { models } => l.pick(
                format!("混装型号：{}", models.join("、")),
                format!("models mixed: {}", models.join(", ")),
            ),
            CheckReason::NotCovered { what } => l.pick(
                format!("{what} 不在批准的退货范围内"),
                format!("{what} is not covered by the approved RMA"),
            ),
            CheckReason::OlderNumber { number, current } => l.pick(
                format!("使用旧的退货编号 {number}（现行编号 {current}）"),
                format!("carries the older RMA number {number} (current {current})"),
            ),
            CheckReason::NoDefectMarking => l.pick("无故障标识", "no defect marking").into(),
        }
    }
}

/// The checks the goods raise, in letter order, given the notices the device knows for the
/// case: `current` is the newest approved request's notice, `older` the case's earlier RMA
/// numbers. A number the device has no record of raises A until HQ's record of it arrives:
/// the receipt is re-read against every notice that syncs in, so the flag clears by itself.
pub fn receiving_checks(
    arrival: &Arrival<'_>,
    current: Option<&Notice<'_>>,
    older: &[&str],
) -> Vec<Raised> {
    let mut raised = Vec::new();
    let mut raise = |check, why| raised.push(Raised { check, why });
    let number = arrival.number.map(str::trim).filter(|n| !n.is_empty());
    let matched = match (number, current) {
        // Goods without a number are still judged against the notice of the return the
        // receiver took them in for.
        (None, _) => {
            raise(ReceivingCheck::A, CheckReason::NoNumber);
            current
        }
        (Some(n), Some(notice)) if same_number(n, notice.number) => Some(notice),
        (Some(n), Some(notice)) if older.iter().any(|o| same_number(n, o)) => {
            raise(
                ReceivingCheck::F,
                CheckReason::OlderNumber {
                    number: n.to_owned(),
                    current: notice.number.to_owned(),
                },
            );
            Some(notice)
        }
        (Some(n), _) => {
            raise(
                ReceivingCheck::A,
                CheckReason::UnknownNumber {
                    number: n.to_owned(),
                },
            );
            None
        }
    };
    let mut per_model: BTreeMap<String, u32> = BTreeMap::new();
    for line in &arrival.counted {
        *per_model.entry(line.model.trim().to_owned()).or_default() += line.quantity;
    }
    if let Some(notice) = matched {
        let counted = per_model
            .iter()
            .find(|(m, _)| same_model(m, notice.model))
            .map(|(_, q)| *q)
            .unwrap_or(0);
        if counted != notice.quantity {
            raise(
                ReceivingCheck::B,
                CheckReason::QuantityDiffers {
                    model: notice.model.to_owned(),
                    notice: notice.quantity,
                    counted,
                },
            );
        }
    }
    if arrival.packing == Packing::Loose {
        if !arrival.labelled {
            raise(ReceivingCheck::C, CheckReason::LooseUnlabelled);
        } else if !arrival.sorted {
            raise(ReceivingCheck::C, CheckReason::LooseUnsorted);
        }
    }
    if arrival.packing == Packing::NotAsRequired {
        raise(ReceivingCheck::D, CheckReason::Packaging);
    }
    if per_model.len() > 1 {
        raise(
            ReceivingCheck::E,
            CheckReason::Mixed {
                models: per_model.keys().cloned().collect(),
            },
        );
    }
    if let Some(notice) = matched {
        for model in per_model.keys().filter(|m| !same_model(m, notice.model)) {
            raise(
                ReceivingCheck::F,
                CheckReason::NotCovered {
                    what: model.clone(),
                },
            );
        }
        if !notice.serials.is_empty() {
            for serial in arrival.counted.iter().filter_map(|c| c.serial) {
                if !notice.serials.iter().any(|s| s.trim() == serial.trim()) {
                    raise(
                        ReceivingCheck::F,
                        CheckReason::NotCovered {
                            what: serial.trim().to_owned(),
                        },
                    );
                }
            }
        }
    }
    if !arrival.defect_marked {
        raise(ReceivingCheck::G, CheckReason::NoDefectMarking);
    }
    raised.sort_by_key(|r| r.check);
    raised
}

/// RMA numbers compare as typed by people: case and surrounding spaces do not matter.
fn same_number(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

fn same_model(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Whether a return of `units` units is a batch return under `policy`, or because HQ
/// escalated the case as a batch fault.
pub fn is_batch(policy: &ReturnPolicy, units: u32, batch_fault: bool) -> bool {
    batch_fault || (policy.batch_units > 0 && units >= policy.batch_units)
}

/// The last day of the re-inspection of goods that arrived on `arrived` (a local date).
pub fn reinspection_last_day(policy: &ReturnPolicy, arrived: NaiveDate) -> Option<NaiveDate> {
    arrived.checked_add_days(Days::new(u64::from(policy.reinspection_days)))
}

/// `R` + `YYMM-NNNN`: the month of the final approval and that month's running number.
pub fn format_rma_number(month: &str, running: u32) -> String {
    format!("R{month}-{running:04}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_window_is_one_month_at_home_and_six_elsewhere_last_day_inside() {
        let p = ReturnPolicy::default();
        // (home, purchase, requested, within)
        let table = [
            (true, "2026-10-15", "2026-11-15", true),
            (true, "2026-10-15", "2026-11-16", false),
            (true, "2026-10-15", "2026-10-15", true),
            (true, "2026-01-31", "2026-02-28", true),
            (true, "2026-01-31", "2026-03-01", false),
            (false, "2026-05-15", "2026-11-15", true),
            (false, "2026-05-15", "2026-11-16", false),
            (false, "2026-08-31", "2027-02-28", true),
            (false, "2026-08-31", "2027-03-01", false),
            // Requested before the purchase: not a date inside the window.
            (true, "2026-10-15", "2026-10-14", false),
        ];
        for (home, purchase, requested, within) in table {
            let w = window(&p, home, Some(d(purchase)), d(requested));
            assert_eq!(w.within, within, "{home} {purchase} {requested}");
            assert_eq!(w.months, if home { 1 } else { 6 });
        }
        let none = window(&p, true, None, d("2026-11-01"));
        assert!(!none.within);
        assert!(none.text(Locale::En).contains("cannot be checked"));
        let w = window(&p, true, Some(d("2026-10-15")), d("2026-11-16"));
        assert_eq!(
            w.text(Locale::En),
            "outside the return window: 1 month from 2026-10-15 for customers in the home \
             region ended 2026-11-15; requested 2026-11-16"
        );
        assert!(w.text(Locale::ZhCn).contains("超出退货期限"));
    }

    #[test]
    fn the_chain_waits_for_each_step_in_order_and_a_rejection_ends_it() {
        let chain = ReturnPolicy::default().chain;
        let dec = |step, approved| StepDecision { step, approved };
        assert_eq!(
            chain_state(&chain, &[]),
            ChainState::Waiting(chain[0].clone())
        );
        assert_eq!(
            chain_state(&chain, &[dec("review", true)]),
            ChainState::Waiting(chain[1].clone())
        );
        assert_eq!(
            chain_state(&chain, &[dec("approve", true), dec("review", true)]),
            ChainState::Approved
        );
        assert_eq!(
            chain_state(&chain, &[dec("review", false)]),
            ChainState::Rejected {
                step: "review".into()
            }
        );
        // An approval out of turn does not skip the review.
        assert_eq!(
            chain_state(&chain, &[dec("approve", true)]),
            ChainState::Waiting(chain[0].clone())
        );
    }

    fn notice() -> Notice<'static> {
        Notice {
            number: "R2611-0001",
            model: "QJ-200",
            quantity: 2,
            serials: vec!["P-1", "P-2"],
        }
    }

    fn good_arrival() -> Arrival<'static> {
        Arrival {
            number: Some("R2611-0001"),
            counted: vec![
                Counted {
                    model: "QJ-200",
                    serial: Some("P-1"),
                    quantity: 1,
                },
                Counted {
                    model: "QJ-200",
                    serial: Some("P-2"),
                    quantity: 1,
                },
            ],
            packing: Packing::AsRequired,
            labelled: true,
            sorted: true,
            defect_marked: true,
        }
    }

    fn letters(raised: &[Raised]) -> String {
        raised.iter().map(|r| r.check.letter()).collect()
    }

    #[test]
    fn each_check_is_raised_by_its_situation_and_not_otherwise() {
        let n = notice();
        assert_eq!(
            letters(&receiving_checks(&good_arrival(), Some(&n), &[])),
            ""
        );
        let case = |f: &dyn Fn(&mut Arrival<'static>), expected: &str| {
            let mut a = good_arrival();
            f(&mut a);
            assert_eq!(
                letters(&receiving_checks(&a, Some(&n), &["R2605-0007"])),
                expected
            );
        };
        case(&|a| a.number = None, "A");
        case(&|a| a.number = Some("R2611-0999"), "A");
        case(&|a| a.counted.truncate(1), "B");
        case(
            &|a| {
                a.packing = Packing::Loose;
                a.labelled = false;
            },
            "C",
        );
        case(
            &|a| {
                a.packing = Packing::Loose;
                a.sorted = false;
            },
            "C",
        );
        // Loose but labelled and sorted is no anomaly.
        case(&|a| a.packing = Packing::Loose, "");
        case(&|a| a.packing = Packing::NotAsRequired, "D");
        case(
            &|a| {
                a.counted[1].model = "Y2-90";
                a.counted[1].serial = None;
                a.counted.push(Counted {
                    model: "QJ-200",
                    serial: Some("P-2"),
                    quantity: 1,
                });
            },
            "EF",
        );
        case(&|a| a.counted[1].serial = Some("P-9"), "F");
        case(&|a| a.number = Some("r2605-0007 "), "F");
        case(&|a| a.defect_marked = false, "G");
        // Without any notice on the tablet, a typed number is unknown: A, and nothing that
        // needs the notice is judged.
        let a = good_arrival();
        assert_eq!(letters(&receiving_checks(&a, None, &[])), "A");
        // Case and spaces in a typed number do not matter.
        let mut a = good_arrival();
        a.number = Some(" r2611-0001");
        assert_eq!(letters(&receiving_checks(&a, Some(&n), &[])), "");
    }

    #[test]
    fn only_a_to_d_allow_a_refusal_at_the_door() {
        let refusable: String = ReceivingCheck::ALL
            .into_iter()
            .filter(|c| c.allows_refusal())
            .map(|c| c.letter())
            .collect();
        assert_eq!(refusable, "ABCD");
        assert_eq!(ReceivingCheck::parse("e"), Some(ReceivingCheck::E));
        assert_eq!(ReceivingCheck::parse("H"), None);
    }

    #[test]
    fn batch_returns_and_the_reinspection_day() {
        let p = ReturnPolicy::default();
        assert!(!is_batch(&p, 9, false));
        assert!(is_batch(&p, 10, false));
        assert!(is_batch(&p, 1, true));
        assert_eq!(
            reinspection_last_day(&p, d("2026-11-28")),
            Some(d("2026-12-03"))
        );
        assert_eq!(format_rma_number("2611", 7), "R2611-0007");
        assert_eq!(format_rma_number("2611", 10_000), "R2611-10000");
    }

    proptest! {
        /// A request inside the window stays inside on every earlier day back to the purchase,
        /// and a request outside it stays outside on every later day.
        #[test]
        fn the_window_is_one_interval(
            home in any::<bool>(),
            purchase_day in 0i64..3000,
            offset in 0i64..400,
            step in 1i64..60,
        ) {
            let p = ReturnPolicy::default();
            let purchase = d("2020-01-01") + chrono::Duration::days(purchase_day);
            let day = purchase + chrono::Duration::days(offset);
            let w = window(&p, home, Some(purchase), day);
            if w.within {
                let earlier = (day - chrono::Duration::days(step)).max(purchase);
                prop_assert!(window(&p, home, Some(purchase), earlier).within);
            } else {
                let later = day + chrono::Duration::days(step);
                prop_assert!(!window(&p, home, Some(purchase), later).within);
            }
        }

        /// A check is raised only by its situation: goods matching the notice in every way
        /// but the one changed raise exactly the letters that change names.
        #[test]
        fn only_packing_and_marking_change_c_d_g(
            packing in prop::sample::select(Packing::ALL.to_vec()),
            labelled in any::<bool>(),
            sorted in any::<bool>(),
            marked in any::<bool>(),
        ) {
            let n = notice();
            let mut a = good_arrival();
            a.packing = packing;
            a.labelled = labelled;
            a.sorted = sorted;
            a.defect_marked = marked;
            let got = letters(&receiving_checks(&a, Some(&n), &[]));
            let mut want = String::new();
            if packing == Packing::Loose && !(labelled && sorted) { want.push('C'); }
            if packing == Packing::NotAsRequired { want.push('D'); }
            if !marked { want.push('G'); }
            prop_assert_eq!(got, want);
        }
    }
}
