//! `deadline check`: every deadline of a complaint received at a moment, computed by the same
//! core functions the store uses, under the default policies; no database is opened or created.

use std::collections::BTreeMap;

use fieldcore::{Market, Milestone, Policies, Status, Timestamp};
use serde::Serialize;

use crate::args::DeadlineCheckArgs;
use crate::error::Result;
use crate::input;
use crate::output::{self, Printer, Text};

/// The procedures' "5 working days from the first responder's acceptance" (DOMAIN), shown
/// beside the policy's own closing rule.
const WORKING_DAYS: u32 = 5;

#[derive(Debug, Serialize)]
struct DeadlineCheck {
    received_at: Timestamp,
    market: Market,
    /// Milestone (and `working_days`) → due moment. Deadlines that count from a later event
    /// are absent here and listed in `after_event`.
    due: BTreeMap<&'static str, Timestamp>,
    /// Milestone → what it counts from, for the deadlines not yet known.
    after_event: BTreeMap<&'static str, String>,
    /// Why the working days were counted Monday to Friday somewhere, if they were.
    calendar_note: Option<String>,
}

pub fn check(args: &DeadlineCheckArgs, out: &Printer) -> Result<()> {
    let received_at = input::time("received_at", &args.received_at)?;
    let market = Market::from(args.market);
    let policies = Policies::default();
    let deadlines = &policies.deadlines;
    let mut due = BTreeMap::new();
    let mut after_event = BTreeMap::new();
    // A newly received case: every milestone is open.
    for d in fieldcore::pending_deadlines(deadlines, received_at, market, Status::Registered) {
        if d.milestone == Milestone::Report {
            // The report is due after the investigation, which has not happened yet.
            after_event.insert(
                d.milestone.as_str(),
                format!("{} days after the investigation", deadlines.report_days),
            );
        } else {
            due.insert(d.milestone.as_str(), d.due_at);
        }
    }
    let working = fieldcore::working_days_due(&deadlines.calendar, received_at, WORKING_DAYS);
    due.insert("working_days", working.due_at);
    let report = DeadlineCheck {
        received_at,
        market,
        due,
        after_event,
        calendar_note: working.fallback.map(|f| f.to_string()),
    };
    if out.is_json() {
        return out.json(&report);
    }
    out.text(&text(&report))
}

fn text(report: &DeadlineCheck) -> String {
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
        let label = if name == "working_days" {
            format!("{WORKING_DAYS} working days")
        } else {
            name.to_owned()
        };
        rows.push([label, when]);
    }
    output::aligned(&mut text, &rows);
    if let Some(note) = &report.calendar_note {
        text.line(format!("note: {note}"));
    }
    text.into_string()
}
