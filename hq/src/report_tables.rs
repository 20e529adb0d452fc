//! The monthly report as localized tables, one per section: what both exports (the Excel
//! workbook's sheets and the HTML page's tables) print, so the two never disagree.

use chrono::TimeZone;
use chrono_tz::Tz;
use fieldcore::{Locale, Localized};
use serde::de::DeserializeOwned;

use crate::report::{ReportState, ReportView};
use crate::report_sections::{ComplaintLine, Count, Month, MonthPoint};

/// One cell: numbers stay numbers, times stay times.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// An amount in fen, printed in yuan.
    Fen(i64),
    /// A rate or PPM (already rounded).
    Real(f64),
    /// A moment, Unix seconds, printed in the report's time zone.
    Time(i64),
    /// A calendar month (printed `YYYY-MM`; in Excel, the first day formatted as a month).
    Month(Month),
    Empty,
}

/// What a table is for, so the exports may chart it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    None,
    /// Columns of the counts by key (column 1), keys in column 0.
    Columns,
    /// A line per numeric column over the months of column 0.
    Trend,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Stable id (`summary`, `by_category`, …): the HTML anchors and the tests use it.
    pub id: &'static str,
    /// The sheet's name and the section's title, in the locale (Excel: at most 31 chars).
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    pub chart: Chart,
}

/// A name of the core's vocabulary (`design_manufacturing`, `phone`, `closed`) in the
/// locale; a name it does not know as written.
fn label<T: DeserializeOwned + Localized>(name: &str, l: Locale) -> String {
    serde_json::from_value::<T>(serde_json::Value::String(name.to_owned()))
        .map(|v| v.text(l))
        .unwrap_or_else(|_| match name {
            crate::report_sections::UNCONFIRMED => l.pick("未鉴定", "unconfirmed").to_owned(),
            crate::report_sections::UNKNOWN => l.pick("未知", "unknown").to_owned(),
            other => other.to_owned(),
        })
}

fn yes_no(v: Option<bool>, l: Locale) -> String {
    match v {
        Some(true) => l.pick("是", "yes"),
        Some(false) => l.pick("否", "no"),
        None => l.pick("未鉴定", "unconfirmed"),
    }
    .to_owned()
}

fn kv(rows: Vec<(&str, &str, Cell)>, l: Locale) -> Vec<Vec<Cell>> {
    rows.into_iter()
        .map(|(zh, en, v)| vec![Cell::Text(l.pick(zh, en).to_owned()), v])
        .collect()
}

fn heads(l: Locale, pairs: &[(&str, &str)]) -> Vec<String> {
    pairs
        .iter()
        .map(|(zh, en)| l.pick(*zh, *en).to_owned())
        .collect()
}

fn opt_real(v: Option<f64>) -> Cell {
    v.map_or(Cell::Empty, Cell::Real)
}

fn counts(
    id: &'static str,
    title: (&str, &str),
    key: (&str, &str),
    rows: &[Count],
    name: impl Fn(&str) -> String,
    l: Locale,
) -> Table {
    Table {
        id,
        title: l.pick(title.0, title.1).to_owned(),
        headers: heads(
            l,
            &[
                key,
                ("投诉数", "complaints"),
                ("质量故障", "quality faults"),
            ],
        ),
        rows: rows
            .iter()
            .map(|c| {
                vec![
                    Cell::Text(name(&c.key)),
                    Cell::Int(c.count),
                    Cell::Int(c.quality),
                ]
            })
            .collect(),
        chart: Chart::Columns,
    }
}

fn complaint_table(
    id: &'static str,
    title: (&str, &str),
    lines: &[ComplaintLine],
    l: Locale,
) -> Table {
    Table {
        id,
        title: l.pick(title.0, title.1).to_owned(),
        headers: heads(
            l,
            &[
                ("案件编号", "case number"),
                ("受理时间", "received"),
                ("客户", "customer"),
                ("地区", "region"),
                ("渠道", "channel"),
                ("型号", "model"),
                ("类别", "category"),
                ("出厂编号", "serial number"),
                ("故障原因", "cause"),
                ("质量故障", "quality fault"),
                ("状态", "status"),
                ("故障描述", "fault"),
                ("重复发生", "recurring"),
            ],
        ),
        rows: lines
            .iter()
            .map(|c| {
                vec![
                    Cell::Text(c.number.clone()),
                    Cell::Time(c.received_at),
                    Cell::Text(c.customer.clone()),
                    Cell::Text(c.region.clone()),
                    Cell::Text(label::<fieldcore::Channel>(&c.channel, l)),
                    Cell::Text(c.model.clone()),
                    Cell::Text(c.category.clone()),
                    Cell::Text(c.serial_number.clone()),
                    Cell::Text(
                        c.cause
                            .as_deref()
                            .map(|x| label::<fieldcore::Cause>(x, l))
                            .unwrap_or_else(|| l.pick("未鉴定", "unconfirmed").to_owned()),
                    ),
                    Cell::Text(yes_no(c.quality_fault, l)),
                    Cell::Text(label::<fieldcore::Status>(&c.status, l)),
                    Cell::Text(c.fault.clone()),
                    Cell::Text(yes_no(Some(c.recurring), l)),
                ]
            })
            .collect(),
        chart: Chart::None,
    }
}

fn months_table(id: &'static str, title: (&str, &str), points: &[MonthPoint], l: Locale) -> Table {
    Table {
        id,
        title: l.pick(title.0, title.1).to_owned(),
        headers: heads(
            l,
            &[
                ("月份", "month"),
                ("投诉数", "complaints"),
                ("质量故障", "quality faults"),
            ],
        ),
        rows: points
            .iter()
            .map(|p| {
                vec![
                    Month::parse(&p.month).map_or(Cell::Text(p.month.clone()), Cell::Month),
                    Cell::Int(p.total),
                    Cell::Int(p.quality),
                ]
            })
            .collect(),
        chart: Chart::Trend,
    }
}

/// Every section of the report as a table, in the report's order.
pub fn tables(view: &ReportView, l: Locale) -> Vec<Table> {
    let r = &view.report;
    let (state, issued_by, issued_at) = match &view.state {
        ReportState::Draft => (l.pick("草稿", "draft"), Cell::Empty, Cell::Empty),
        ReportState::Issued { by, at } => (
            l.pick("已签发", "issued"),
            Cell::Text(by.clone()),
            Cell::Time(*at),
        ),
    };
    let month = Month::parse(&r.month).map_or(Cell::Text(r.month.clone()), Cell::Month);
    let summary = Table {
        id: "summary",
        title: l.pick("概要", "Summary").to_owned(),
        headers: heads(l, &[("项目", "item"), ("数值", "value")]),
        rows: kv(
            vec![
                ("月份", "month", month),
                ("状态", "state", Cell::Text(state.to_owned())),
                ("签发人", "issued by", issued_by),
                ("签发时间", "issued at", issued_at),
                ("生成时间", "generated at", Cell::Time(r.generated_at)),
                ("投诉总数", "complaints", Cell::Int(r.total)),
                ("质量故障", "quality faults", Cell::Int(r.quality.quality)),
                (
                    "非质量故障",
                    "non-quality faults",
                    Cell::Int(r.quality.non_quality),
                ),
                (
                    "未鉴定",
                    "not confirmed yet",
                    Cell::Int(r.quality.unconfirmed),
                ),
                ("重复发生", "recurring", Cell::Int(r.frequency.recurring)),
                ("偶发", "occasional", Cell::Int(r.frequency.occasional)),
                (
                    "退换货申请",
                    "return and exchange requests",
                    Cell::Int(r.returns.requests),
                ),
                ("PPM", "PPM", opt_real(r.ppm.ppm)),
                (
                    "质量成本（元）",
                    "cost of quality (CNY)",
                    Cell::Fen(r.cost.net_fen),
                ),
                ("期限达成", "deadlines met", Cell::Int(r.deadlines.met)),
                (
                    "期限未达成",
                    "deadlines missed",
                    Cell::Int(r.deadlines.missed),
                ),
                (
                    "要求纠正措施",
                    "corrective actions requested",
                    Cell::Int(r.corrective_actions.len() as i64),
                ),
                (
                    "迟到记录",
                    "late records",
                    Cell::Int(r.late_records.len() as i64),
                ),
                (
                    "补录",
                    "amendments",
                    Cell::Int(view.amendments.len() as i64),
                ),
            ],
            l,
        ),
        chart: Chart::None,
    };
    let quality = Table {
        id: "quality",
        title: l.pick("质量与非质量", "Quality vs non-quality").to_owned(),
        headers: heads(l, &[("分类", "kind"), ("投诉数", "complaints")]),
        rows: kv(
            vec![
                ("质量故障", "quality fault", Cell::Int(r.quality.quality)),
                (
                    "非质量故障",
                    "non-quality fault",
                    Cell::Int(r.quality.non_quality),
                ),
                (
                    "未鉴定",
                    "not confirmed yet",
                    Cell::Int(r.quality.unconfirmed),
                ),
            ],
            l,
        ),
        chart: Chart::Columns,
    };
    let frequency = Table {
        id: "frequency",
        title: l.pick("频次", "Frequency").to_owned(),
        headers: heads(
            l,
            &[
                ("型号", "model"),
                ("故障", "fault"),
                ("本月", "this month"),
                ("12个月内", "in 12 months"),
            ],
        ),
        rows: [
            (l.pick("重复发生", "recurring"), r.frequency.recurring),
            (l.pick("偶发", "occasional"), r.frequency.occasional),
            (
                l.pick("同型号同故障", "same model and fault"),
                r.frequency.repeat_model_fault,
            ),
            (
                l.pick("同一出厂编号再次投诉", "same serial again"),
                r.frequency.repeat_serials,
            ),
        ]
        .into_iter()
        .map(|(k, n)| {
            vec![
                Cell::Text(k.to_owned()),
                Cell::Empty,
                Cell::Int(n),
                Cell::Empty,
            ]
        })
        .chain(r.frequency.groups.iter().map(|g| {
            vec![
                Cell::Text(g.model.clone()),
                Cell::Text(g.fault.clone()),
                Cell::Int(g.in_month),
                Cell::Int(g.in_window),
            ]
        }))
        .collect(),
        chart: Chart::None,
    };
    let ret = &r.returns;
    let returns = Table {
        id: "returns",
        title: l.pick("退货", "Returns").to_owned(),
        headers: heads(l, &[("项目", "item"), ("数值", "value")]),
        rows: kv(
            vec![
                ("退换货申请", "requests", Cell::Int(ret.requests)),
                ("退货", "returns", Cell::Int(ret.returns)),
                ("换货", "exchanges", Cell::Int(ret.exchanges)),
                ("数量（台）", "units", Cell::Int(ret.units)),
                ("退货数量", "returned units", Cell::Int(ret.returned_units)),
                (
                    "换货数量",
                    "exchanged units",
                    Cell::Int(ret.exchanged_units),
                ),
                (
                    "有退换货的投诉",
                    "complaints with a request",
                    Cell::Int(ret.complaints_with_request),
                ),
                (
                    "占投诉比例（%）",
                    "share of complaints (%)",
                    opt_real(ret.rate_of_complaints_pct),
                ),
                (
                    "当月交付数量",
                    "units delivered",
                    ret.delivered.map_or(Cell::Empty, Cell::Int),
                ),
                (
                    "退货率（%）",
                    "returns rate (%)",
                    opt_real(ret.rate_of_delivered_pct),
                ),
            ],
            l,
        ),
        chart: Chart::None,
    };
    let ppm = Table {
        id: "ppm",
        title: "PPM".to_owned(),
        headers: heads(
            l,
            &[
                ("型号", "model"),
                ("交付数量", "delivered"),
                ("质量故障", "quality faults"),
                ("PPM", "PPM"),
            ],
        ),
        rows: r
            .ppm
            .rows
            .iter()
            .map(|p| {
                vec![
                    Cell::Text(p.model.clone()),
                    p.delivered.map_or(Cell::Empty, Cell::Int),
                    Cell::Int(p.quality_faults),
                    opt_real(p.ppm),
                ]
            })
            .chain(std::iter::once(vec![
                Cell::Text(l.pick("合计", "total").to_owned()),
                Cell::Int(r.ppm.delivered),
                Cell::Int(r.ppm.quality_faults),
                opt_real(r.ppm.ppm),
            ]))
            .collect(),
        chart: Chart::None,
    };
    let c = &r.cost;
    let cost = Table {
        id: "cost",
        title: l.pick("质量成本", "Cost of quality").to_owned(),
        headers: heads(l, &[("项目", "item"), ("数值", "value")]),
        rows: kv(
            vec![
                (
                    "三包配件成本（元）",
                    "warranty parts at catalog cost (CNY)",
                    Cell::Fen(c.warranty_parts_fen),
                ),
                (
                    "有偿服务配件成本（元）",
                    "paid-service parts at catalog cost (CNY)",
                    Cell::Fen(c.paid_parts_fen),
                ),
                (
                    "收费（元）",
                    "charges billed (CNY)",
                    Cell::Fen(c.charges_fen),
                ),
                ("收费案件", "charged cases", Cell::Int(c.charged_cases)),
                (
                    "其他币种收费",
                    "charges in another currency",
                    Cell::Int(c.other_currency_charges),
                ),
                (
                    "目录外配件行",
                    "part lines not in the catalog",
                    Cell::Int(c.uncosted_lines),
                ),
                (
                    "要求赔偿的投诉",
                    "compensation requests",
                    Cell::Int(c.compensation_requests),
                ),
                (
                    "赔偿（元）",
                    "compensation paid (CNY)",
                    Cell::Fen(c.compensation_fen),
                ),
                (
                    "赔偿案件",
                    "compensated cases",
                    Cell::Int(c.compensated_cases),
                ),
                (
                    "其他币种赔偿",
                    "compensation in another currency",
                    Cell::Int(c.other_currency_compensations),
                ),
                ("换货数量", "exchanged units", Cell::Int(c.exchanged_units)),
                ("退货数量", "returned units", Cell::Int(c.returned_units)),
                (
                    "净质量成本（元）",
                    "net cost of quality (CNY)",
                    Cell::Fen(c.net_fen),
                ),
            ],
            l,
        ),
        chart: Chart::None,
    };
    let d = &r.deadlines;
    let deadlines = Table {
        id: "deadlines",
        title: l.pick("期限", "Deadlines").to_owned(),
        headers: heads(l, &[("项目", "item"), ("投诉数", "complaints")]),
        rows: kv(
            vec![
                (
                    "已结案且未超期",
                    "closed, no deadline missed",
                    Cell::Int(d.met),
                ),
                ("超期", "a deadline missed", Cell::Int(d.missed)),
                ("处理中且未超期", "open, in time", Cell::Int(d.open_in_time)),
                (
                    "超期记录数",
                    "missed-deadline records",
                    Cell::Int(d.missed_records),
                ),
            ],
            l,
        ),
        chart: Chart::Columns,
    };
    let actions = Table {
        id: "corrective_actions",
        title: l.pick("纠正措施", "Corrective actions").to_owned(),
        headers: heads(
            l,
            &[
                ("类型", "kind"),
                ("型号", "model"),
                ("批次", "batch"),
                ("提出时间", "raised"),
                ("案件数", "cases"),
                ("确认人", "acknowledged by"),
            ],
        ),
        rows: r
            .corrective_actions
            .iter()
            .map(|a| {
                let kind = match a.kind.as_str() {
                    "major_incident" => l.pick("重大质量事故", "major incident"),
                    _ => l.pick("批量故障", "batch fault"),
                };
                vec![
                    Cell::Text(kind.to_owned()),
                    a.model.clone().map_or(Cell::Empty, Cell::Text),
                    a.batch.clone().map_or(Cell::Empty, Cell::Text),
                    Cell::Time(a.raised_at),
                    Cell::Int(a.cases),
                    a.acknowledged_by.clone().map_or(Cell::Empty, Cell::Text),
                ]
            })
            .collect(),
        chart: Chart::None,
    };
    vec![
        summary,
        complaint_table("complaints", ("投诉明细", "Complaints"), &r.complaints, l),
        counts(
            "by_category",
            ("按类别", "By category"),
            ("类别", "category"),
            &r.by_category,
            |k| k.to_owned(),
            l,
        ),
        counts(
            "by_model",
            ("按型号", "By model"),
            ("型号", "model"),
            &r.by_model,
            |k| k.to_owned(),
            l,
        ),
        counts(
            "by_cause",
            ("按原因", "By cause"),
            ("故障原因", "cause"),
            &r.by_cause,
            |k| label::<fieldcore::Cause>(k, l),
            l,
        ),
        quality,
        counts(
            "by_region",
            ("按地区", "By region"),
            ("地区", "region"),
            &r.by_region,
            |k| k.to_owned(),
            l,
        ),
        counts(
            "by_channel",
            ("按渠道", "By channel"),
            ("渠道", "channel"),
            &r.by_channel,
            |k| label::<fieldcore::Channel>(k, l),
            l,
        ),
        counts(
            "by_customer",
            ("按客户", "By customer"),
            ("客户", "customer"),
            &r.by_customer,
            |k| k.to_owned(),
            l,
        ),
        frequency,
        months_table("trend", ("趋势", "Trend"), &r.trend, l),
        months_table("season", ("季节", "Season"), &r.season, l),
        returns,
        ppm,
        cost,
        deadlines,
        actions,
        complaint_table(
            "late_records",
            ("迟到记录", "Late records"),
            &r.late_records,
            l,
        ),
        complaint_table("amendments", ("补录", "Amendments"), &view.amendments, l),
    ]
}

/// A moment in the report's time zone, `YYYY-MM-DD HH:MM`.
pub fn time_text(at: i64, time_zone: &str) -> String {
    let tz: Tz = time_zone.parse().unwrap_or(crate::state::DEFAULT_TIME_ZONE);
    tz.timestamp_opt(at, 0)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// Fen as yuan with two decimals.
pub fn yuan_text(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", fen.abs() / 100, fen.abs() % 100)
}

/// A cell as text (HTML, and what the tests compare).
pub fn cell_text(cell: &Cell, time_zone: &str) -> String {
    match cell {
        Cell::Text(t) => t.clone(),
        Cell::Int(n) => n.to_string(),
        Cell::Fen(f) => yuan_text(*f),
        Cell::Real(x) => format!("{x}"),
        Cell::Time(t) => time_text(*t, time_zone),
        Cell::Month(m) => m.to_string(),
        Cell::Empty => String::new(),
    }
}
