//! `deadline check`: every deadline of a complaint received at a moment, computed by the same
//! core functions the store uses, under the default policies (the company's time zone and
//! working-day calendar included); no database is opened or created.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use fieldcore::{DeadlineInputs, Localized, Market, Milestone, Policies, Timestamp};
use serde::Serialize;

use crate::args::DeadlineCheckArgs;
use crate::error::Result;
use crate::input;
use crate::output::{self, Printer, Text};

#[derive(Debug, Serialize)]
struct DeadlineCheck {
    received_at: Timestamp,
    market: Market,
    /// The date agreed with the customer, when given: it replaces the working days.
    agreed_date: Option<NaiveDate>,
    /// Milestone → due moment. Deadlines that count from a later event are absent here and
    /// listed in `after_event`.
    due: BTreeMap<&'static str, Timestamp>,
    /// Milestone → what it counts from, for the deadlines not yet known.
    after_event: BTreeMap<&'static str, String>,
    /// Why the working days were counted Monday to Friday somewhere, if they were.
    calendar_note: Option<String>,
    /// The year outside the calendar behind `calendar_note`, to word the note in either
    /// language.
    #[serde(skip)]
    fallback_year: Option<i32>,
}

pub fn check(args: &DeadlineCheckArgs, out: &Printer) -> Result<()> {
    let received_at = input::time("received_at", &args.received_at)?;
    let agreed_date = input::optional_date("agreed_date", args.agreed_date.as_deref())?;
    let market = Market::from(args.market);
    let policies = Policies::default();
    let deadlines = &policies.deadlines;
    // A newly received case, not yet accepted by HQ: the close counts from the receipt.
    let inputs = DeadlineInputs {
        agreed_date,
        ..DeadlineInputs::received(received_at, market)
    };
    let mut due = BTreeMap::new();
    for d in fieldcore::pending_deadlines(deadlines, &inputs) {
        due.insert(d.milestone.as_str(), d.due_at);
    }
    let mut after_event = BTreeMap::new();
    // The report is due after the investigation, which has not happened yet.
    after_event.insert(
        Milestone::Report.as_str(),
        format!("{} days after the investigation", deadlines.report_days),
    );
    let fallback = match (agreed_date, deadlines.working_days) {
        (None, Some(days)) => {
            fieldcore::working_days_due(&deadlines.calendar, deadlines.time_zone, received_at, days)
                .fallback
        }
        _ => None,
    };
    let report = DeadlineCheck {
        received_at,
        market,
        agreed_date,
        due,
        after_event,
        calendar_note: fallback.map(|f| f.to_string()),
        fallback_year: fallback.map(|f| f.year),
    };
    if out.is_json() {
        return out.json(&report);
    }
    out.text(&text(
        &report,
        deadlines.working_days,
        deadlines.report_days,
    ))
}

fn text(report: &DeadlineCheck, working_days: Option<u32>, report_days: u32) -> String {
    let l = output::locale();
    let mut text = Text::default();
    let market = match report.market {
        Market::Domestic => l.pick("国内", "domestic"),
        Market::Foreign => l.pick("国外", "foreign"),
    };
    let received = report.received_at.to_rfc3339();
    text.line(l.pick(
        format!("收到投诉 {received}（{market}）"),
        format!("received {received} ({market})"),
    ));
    let [deadline, due] = l
        .pick(["期限", "截止"], ["deadline", "due"])
        .map(str::to_owned);
    let mut rows = vec![[deadline, due]];
    for milestone in [
        Milestone::Reply,
        Milestone::Remedy,
        Milestone::Report,
        Milestone::WorkingDays,
        Milestone::Close,
    ] {
        let name = milestone.as_str();
        let when = match (report.due.get(name), report.after_event.get(name)) {
            (Some(at), _) => at.to_rfc3339(),
            // The JSON keeps the English phrase; the text words it in the output's language.
            (None, Some(_)) => l.pick(
                format!("调查后 {report_days} 天内"),
                format!("{report_days} days after the investigation"),
            ),
            (None, None) => continue,
        };
        let label = match (milestone, report.agreed_date, working_days) {
            (Milestone::WorkingDays, Some(_), _) => l.pick("约定日期", "agreed date").to_owned(),
            (Milestone::WorkingDays, None, Some(days)) => {
                l.pick(format!("{days} 个工作日"), format!("{days} working days"))
            }
            _ => l.pick(milestone.text(l), name.to_owned()),
        };
        rows.push([label, when]);
    }
    output::aligned(&mut text, &rows);
    if let (Some(note), Some(year)) = (&report.calendar_note, report.fallback_year) {
        text.line(l.pick(
            format!("注：{year} 年不在工作日历中，该年按周一至周五计算工作日"),
            format!("note: {note}"),
        ));
    }
    text.into_string()
}
