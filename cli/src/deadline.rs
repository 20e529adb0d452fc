//! `deadline check`: every deadline of a complaint received at a moment, computed by the same
//! core functions the store uses, under the default policies (the company's time zone and
//! working-day calendar included); no database is opened or created.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use fieldcore::{DeadlineInputs, Market, Milestone, Policies, Timestamp};
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
    let calendar_note = match (agreed_date, deadlines.working_days) {
        (None, Some(days)) => {
            fieldcore::working_days_due(&deadlines.calendar, deadlines.time_zone, received_at, days)
                .fallback
                .map(|f| f.to_string())
        }
        _ => None,
    };
    let report = DeadlineCheck {
        received_at,
        market,
        agreed_date,
        due,
        after_event,
        calendar_note,
    };
    if out.is_json() {
        return out.json(&report);
    }
    out.text(&text(&report, deadlines.working_days))
}

fn text(report: &DeadlineCheck, working_days: Option<u32>) -> String {
    let mut text = Text::default();
    let market = match report.market {
        Market::Domestic => "domestic",
        Market::Foreign => "foreign",
    };
    text.line(format!(
        "received {} ({market})",
        report.received_at.to_rfc3339()
    ));
    let mut rows = vec![["deadline".to_owned(), "due".to_owned()]];
    let order = ["reply", "remedy", "report", "working_days", "close"];
    for name in order {
        let when = match (report.due.get(name), report.after_event.get(name)) {
            (Some(at), _) => at.to_rfc3339(),
            (None, Some(after)) => after.clone(),
            (None, None) => continue,
        };
        let label = match (name, report.agreed_date, working_days) {
            ("working_days", Some(_), _) => "agreed date".to_owned(),
            ("working_days", None, Some(days)) => format!("{days} working days"),
            _ => name.to_owned(),
        };
        rows.push([label, when]);
    }
    output::aligned(&mut text, &rows);
    if let Some(note) = &report.calendar_note {
        text.line(format!("note: {note}"));
    }
    text.into_string()
}
