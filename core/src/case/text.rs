//! Cases as plain text, pure: the full case view as `fieldctl case show` and `fieldhq case
//! show` print it, and the small formatting rules (times, money, deadlines, photo lines) every
//! text of a case shares.

use serde::Serialize;

use crate::case::correction_text::CorrectionText;
use crate::case::facts;
use crate::case::records::{PhotoRecord, Stamp, VisitBody};
use crate::case::view::{CaseView, DecisionView, UnknownContent};
use crate::locale::Locale;
use crate::model::{ProofOfPurchase, Timestamp};
use crate::rules::deadlines::{self, Due};

/// The first responder: an HQ user with their id, or the free text of an older case.
fn first_responder_text(r: &crate::model::Registration) -> String {
    match r.first_responder_id {
        Some(id) => format!("{} (HQ user {id})", r.first_responder),
        None => format!("{} (free text)", r.first_responder),
    }
}

/// Width of the label column.
const LABEL: usize = 12;

/// Hex digits of a hash shown in lists; the core's own summaries use as many.
const SHORT_HASH: usize = 12;

const CAPTION_WIDTH: usize = 32;

/// What a case's text shows beyond its document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseTextExtras {
    /// Lines after "Updated", as (label, value): a device's standing with HQ, HQ's engineer
    /// and repair center.
    pub header: Vec<(String, String)>,
    /// One line per photo when the caller knows more than the document (a device: upload
    /// states, see [`photo_line`]); `None` prints the view's photos.
    pub photos: Option<Vec<String>>,
}

/// The whole case as text, the way `fieldctl case show` and `fieldhq case show` print it:
/// facts, decisions with who and when, conflicts numbered for `resolve-conflict`, photos, the
/// append-only entries and the history. `now` decides what is overdue.
pub fn case_text(v: &CaseView, extras: &CaseTextExtras, now: Timestamp) -> String {
    let mut t = Text::default();
    let r = &v.registration;
    field(
        &mut t,
        "Case",
        format!(
            "{} · {}",
            v.id,
            v.number
                .as_deref()
                .map(|n| format!("number {n}"))
                .unwrap_or_else(|| "no official number yet".to_owned())
        ),
    );
    field(
        &mut t,
        "Status",
        format!(
            "{} · round {} (started {}){}",
            status_text(v),
            v.round,
            time_text(&v.round_started_at),
            resolved_note(&v.status.current.resolved_by)
        ),
    );
    field(&mut t, "Next", due_text(&v.next_due, now));
    field(&mut t, "Updated", time_text(&v.updated_at));
    for (label, value) in &extras.header {
        field(&mut t, label, value);
    }
    t.line("");

    field(
        &mut t,
        "Customer",
        format!("{} · {}", r.customer_name, r.customer_phone),
    );
    field(&mut t, "Address", &r.customer_address);
    field(
        &mut t,
        "Region",
        format!(
            "{}{} · {}",
            r.region,
            if r.home_region { " (home region)" } else { "" },
            name(&r.market)
        ),
    );
    field(
        &mut t,
        "Product",
        format!(
            "{} {} · serial {}",
            r.product_category, r.product_model, r.serial_number
        ),
    );
    let proof = match &r.proof_of_purchase {
        ProofOfPurchase::Invoice(n) => format!("invoice {n}"),
        ProofOfPurchase::Voucher(n) => format!("voucher {n}"),
        ProofOfPurchase::None => "no proof of purchase".to_owned(),
    };
    field(
        &mut t,
        "Dates",
        format!(
            "made {} · purchased {} · {proof}",
            date_or_unknown(r.manufacture_date),
            date_or_unknown(r.purchase_date)
        ),
    );
    field(&mut t, "Fault", &r.fault_description);
    field(
        &mut t,
        "Request",
        format!(
            "{} · via {} · received {} · first responder {}",
            name(&r.customer_request),
            name(&r.channel),
            time_text(&r.received_at),
            first_responder_text(r)
        ),
    );
    t.line("");

    if !v.escalations.is_empty() {
        section(&mut t, "Escalations", v.escalations.len());
        for e in &v.escalations {
            t.line(format!(
                "  {} {}",
                time_text(&e.raised_at),
                e.text(crate::Locale::En)
            ));
        }
    }
    if !v.handovers.is_empty() {
        section(&mut t, "First responder handovers", v.handovers.len());
        for h in &v.handovers {
            t.line(format!(
                "  {} {}: {} → {}: {}",
                time_text(&h.stamp.at),
                h.stamp.by,
                h.body.from,
                h.body.to,
                h.body.reason
            ));
        }
    }

    match &v.defect {
        None => field(&mut t, "Defect", "not confirmed yet"),
        Some(d) => {
            let rec = &d.current.value;
            field(
                &mut t,
                "Defect",
                format!(
                    "{} ({}) · {}",
                    rec.cause.as_str(),
                    if rec.quality_fault {
                        "quality fault"
                    } else {
                        "non-quality fault"
                    },
                    decided_by(d)
                ),
            );
            if rec.major_incident {
                detail(
                    &mut t,
                    "MAJOR QUALITY INCIDENT: report to management at once",
                );
            }
            detail(&mut t, format!("findings: {}", rec.findings));
            if !rec.measurements.is_empty() {
                let measured: Vec<String> = rec
                    .measurements
                    .iter()
                    .map(|m| {
                        format!("{} {} {}", m.name, m.value, m.unit)
                            .trim_end()
                            .to_owned()
                    })
                    .collect();
                detail(&mut t, format!("measured: {}", measured.join("; ")));
            }
            for hash in &rec.evidence_photos {
                detail(&mut t, format!("evidence photo {hash}"));
            }
        }
    }
    match &v.warranty {
        None => field(&mut t, "Warranty", "not decided yet"),
        Some(w) => {
            let d = &w.current.value.decision;
            let period = match (d.months, d.period_end) {
                (Some(m), Some(end)) => format!(" · {m} months, ends {end}"),
                _ => String::new(),
            };
            field(
                &mut t,
                "Warranty",
                format!(
                    "{} ({}){period} · {}",
                    if d.covered { "covered" } else { "not covered" },
                    d.rule.as_str(),
                    decided_by(w)
                ),
            );
            detail(&mut t, &d.explanation);
            for hash in &w.current.value.evidence_photos {
                detail(&mut t, format!("evidence photo {hash}"));
            }
            // The case text is English until the whole of it takes a locale; the typed texts
            // are ready for either.
            if let Some(stale) = &v.warranty_stale {
                detail(
                    &mut t,
                    format!("STALE: {}", CorrectionText::Stale.text(Locale::En)),
                );
                for f in &stale.facts {
                    detail(
                        &mut t,
                        CorrectionText::StaleFact {
                            field: &f.field,
                            decided_on: &f.decided_on,
                            now: &f.now,
                        }
                        .text(Locale::En),
                    );
                }
            }
        }
    }
    match &v.charge {
        None => field(&mut t, "Charge", "none"),
        Some(c) => field(
            &mut t,
            "Charge",
            format!(
                "{} · {}",
                money_text(c.current.value.amount_minor, &c.current.value.currency),
                decided_by(c)
            ),
        ),
    }
    match &v.resolution {
        None => field(&mut t, "Resolution", "not resolved yet"),
        Some(res) => {
            field(
                &mut t,
                "Resolution",
                format!("{} · {}", name(&res.current.value.outcome), decided_by(res)),
            );
            detail(&mut t, &res.current.value.summary);
        }
    }

    deadline_records(&mut t, v);
    if !v.corrections.is_empty() {
        section(
            &mut t,
            &CorrectionText::Corrections.text(Locale::En),
            v.corrections.len(),
        );
        for c in &v.corrections {
            let mut parts: Vec<String> = c
                .body
                .changes
                .iter()
                .map(|ch| {
                    CorrectionText::Changed {
                        field: &ch.field,
                        from: &facts::display(&ch.from),
                        to: &facts::display(&ch.to),
                    }
                    .text(Locale::En)
                })
                .collect();
            if let Some(photo) = &c.body.invoice_photo {
                parts.push(CorrectionText::InvoicePhoto(short_hash(photo)).text(Locale::En));
            }
            t.line(format!("  {} · {}", parts.join(", "), stamped(&c.stamp)));
            t.line(format!(
                "    {}",
                CorrectionText::Reason(&c.body.reason).text(Locale::En)
            ));
        }
    }

    if !v.conflicts.is_empty() {
        t.line("");
        t.line(format!(
            "Conflicts: resolve with `fieldctl case resolve-conflict {} --field FIELD --choose N`",
            v.id
        ));
        for c in &v.conflicts {
            t.line(format!("  {}", c.field));
            for (i, alt) in c.alternatives.iter().enumerate() {
                t.line(format!(
                    "    [{i}] {} by {} on device {} at {}",
                    alt.value,
                    alt.by,
                    alt.device,
                    time_text(&alt.at)
                ));
            }
        }
    }
    if !v.concurrent_facts.is_empty() {
        t.line("");
        t.line("Concurrent facts (first shown, all kept):");
        for f in &v.concurrent_facts {
            t.line(format!("  {}: {}", f.field, f.values.join(" | ")));
        }
    }

    if !v.unknown.is_empty() {
        t.line("");
        t.line(format!(
            "Unknown content ({}): written by a newer version of the app; kept and synced as it \
             is. Update the app to see and work on it.",
            v.unknown.len()
        ));
        for u in &v.unknown {
            t.line(format!("  UNKNOWN {}", unknown_line(u)));
        }
    }

    let photos: Vec<String> = match &extras.photos {
        Some(lines) => lines.clone(),
        None => v
            .photos
            .iter()
            .map(|p| photo_line(&p.hash, &p.record, None))
            .collect(),
    };
    section(&mut t, "Photos", photos.len());
    for line in &photos {
        t.line(format!("  {line}"));
    }

    section(&mut t, "Parts", v.parts.len());
    for p in &v.parts {
        let part = &p.part;
        let mut line = format!(
            "  {} · {} · {} x{}",
            p.id, part.part_number, part.specification, part.quantity
        );
        if let Some(serial) = &part.new_serial {
            line.push_str(&format!(" · new serial {serial}"));
        }
        if part.old_part_kept {
            line.push_str(" · old part kept");
            if let Some(serial) = &part.old_part_serial {
                line.push_str(&format!(" (serial {serial})"));
            }
            line.push_str(if p.old_part_returned {
                ", returned"
            } else {
                ", not returned yet"
            });
        }
        line.push_str(&format!(" · {}", stamped(&p.stamp)));
        t.line(line);
        if p.reversed {
            detail(
                &mut t,
                format!(
                    "REMOVED: {}",
                    p.reversal_reason.as_deref().unwrap_or("no reason given")
                ),
            );
        }
    }

    section(&mut t, "Notes", v.notes.len());
    for n in &v.notes {
        t.line(format!(
            "  {} {}: {}",
            time_text(&n.stamp.at),
            n.stamp.by,
            n.body.text
        ));
    }

    section(&mut t, "Visits", v.visits.len());
    for visit in &v.visits {
        let what = match &visit.body {
            VisitBody::Scheduled { planned_for } => {
                format!("visit planned for {}", time_text(planned_for))
            }
            VisitBody::Arrived => "arrived on site".to_owned(),
            VisitBody::TripRequested {
                reason,
                planned_for,
            } => {
                let mut what = format!("trip requested ({reason})");
                if let Some(at) = planned_for {
                    what.push_str(&format!(" for {}", time_text(at)));
                }
                what.push_str(&match v.approvals.iter().find(|a| a.request == visit.id) {
                    None => " · waiting for HQ".to_owned(),
                    Some(a) => format!(
                        " · {} by {} {}{}",
                        if a.approved { "approved" } else { "rejected" },
                        a.by,
                        time_text(&a.at),
                        a.reason
                            .as_deref()
                            .map(|r| format!(": {r}"))
                            .unwrap_or_default()
                    ),
                });
                what
            }
            VisitBody::Emergency { reason } => format!("emergency visit: {reason}"),
        };
        t.line(format!(
            "  {} {}: {what}",
            time_text(&visit.stamp.at),
            visit.stamp.by
        ));
    }

    section(&mut t, "Confirmations", v.confirmations.len());
    for c in &v.confirmations {
        let input = &c.body.input;
        let mut line = format!(
            "  {} {}: {} {} the outcome of round {}",
            time_text(&c.stamp.at),
            c.stamp.by,
            input.customer_name,
            if input.accepted {
                "accepted"
            } else {
                "rejected"
            },
            c.body.round
        );
        if let Some(reason) = &input.reason {
            line.push_str(&format!(" ({reason})"));
        }
        if let Some(hash) = &input.signature_hash {
            line.push_str(&format!(" · signature {hash}"));
        }
        t.line(line);
    }

    if !v.rounds.is_empty() {
        section(&mut t, "Rounds", v.rounds.len());
        for round in &v.rounds {
            t.line(format!(
                "  round {} started {} by {}: {}",
                round.body.round,
                time_text(&round.stamp.at),
                round.stamp.by,
                round.body.reason
            ));
        }
    }

    section(&mut t, "History", v.events.len());
    for e in &v.events {
        t.line(format!(
            "  {} {} {}: {}",
            time_text(&e.stamp.at),
            e.stamp.by,
            e.body.action,
            e.body.summary
        ));
    }
    t.into_string()
}

fn field(t: &mut Text, label: &str, value: impl AsRef<str>) {
    t.line(format!("{label:<LABEL$}{}", value.as_ref()));
}

fn detail(t: &mut Text, value: impl AsRef<str>) {
    t.line(format!("{:<LABEL$}{}", "", value.as_ref()));
}

fn section(t: &mut Text, title: &str, count: usize) {
    t.line("");
    if count == 0 {
        t.line(format!("{title}: none"));
    } else {
        t.line(format!("{title} ({count}):"));
    }
}

fn stamped(stamp: &Stamp) -> String {
    format!("by {} at {}", stamp.by, time_text(&stamp.at))
}

fn decided_by<T>(d: &DecisionView<T>) -> String {
    format!(
        "{}{}",
        stamped(&d.current.stamp),
        resolved_note(&d.current.resolved_by)
    )
}

fn resolved_note(resolved_by: &Option<Stamp>) -> String {
    resolved_by
        .as_ref()
        .map(|s| format!(" (chosen {})", stamped(s)))
        .unwrap_or_default()
}

fn date_or_unknown(date: Option<chrono::NaiveDate>) -> String {
    date.map_or_else(|| "unknown".to_owned(), |d| d.to_string())
}

/// A time as people read it, in the offset it was recorded with.
pub fn time_text(at: &Timestamp) -> String {
    at.format("%Y-%m-%d %H:%M %:z").to_string()
}

/// Minor units as a major-unit amount with two decimals: 12050 CNY → "120.50 CNY".
pub fn money_text(amount_minor: i64, currency: &str) -> String {
    let sign = if amount_minor < 0 { "-" } else { "" };
    let abs = amount_minor.unsigned_abs();
    format!("{sign}{}.{:02} {currency}", abs / 100, abs % 100)
}

/// What the deadlines count from and what met them, shown only when recorded.
fn deadline_records(t: &mut Text, v: &CaseView) {
    if let Some(qa) = &v.passed_to_qa {
        field(t, "Quality", format!("passed to QA · {}", decided_by(qa)));
        detail(t, &qa.current.value.reason);
    }
    if let Some(r) = &v.remedy {
        let round = r.current.value.round;
        field(t, "Remedy", format!("round {round} · {}", decided_by(r)));
        detail(t, &r.current.value.proposal);
    }
    if let Some(r) = &v.report {
        let report = &r.current.value;
        field(
            t,
            "Report",
            format!("round {} · {}", report.round, decided_by(r)),
        );
        detail(t, format!("findings: {}", report.findings));
        detail(t, format!("cause: {}", report.cause));
        detail(t, format!("handling: {}", report.handling));
    }
    if let Some(a) = &v.agreed_deadline {
        let agreed = &a.current.value;
        field(
            t,
            "Agreed date",
            format!(
                "{} with {} · round {} · {}",
                agreed.date,
                agreed.with_whom,
                agreed.round,
                decided_by(a)
            ),
        );
    }
    for m in &v.missed_deadlines {
        field(
            t,
            "Missed",
            format!(
                "{} of round {} due {}, noticed {} by {}",
                m.value.milestone.as_str(),
                m.value.round,
                time_text(&m.value.due_at),
                time_text(&m.stamp.at),
                m.stamp.by
            ),
        );
    }
}

/// "reply due 2026-03-02 09:30 +08:00", with " OVERDUE" when it has passed.
pub fn due_text(due: &Option<Due>, now: Timestamp) -> String {
    match due {
        None => "nothing due".to_owned(),
        Some(d) => format!(
            "{} due {}{}",
            d.milestone.as_str(),
            time_text(&d.due_at),
            if deadlines::is_overdue(d, now) {
                " OVERDUE"
            } else {
                ""
            }
        ),
    }
}

/// The snake_case name serde gives an enum value.
pub fn name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::from("?"),
    }
}

/// At most `max` characters, the last one an ellipsis when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

pub fn short_hash(hash: &str) -> &str {
    hash.get(..SHORT_HASH).unwrap_or(hash)
}

/// "2048×1536".
pub fn dimensions(record: &PhotoRecord) -> String {
    format!("{}×{}", record.width, record.height)
}

/// One line of a case's photo section: kind, caption, short hash, size in pixels, and the
/// upload state (its name) where the caller knows it.
pub fn photo_line(hash: &str, record: &PhotoRecord, upload: Option<&str>) -> String {
    let mut line = format!("{} · ", record.kind.as_str());
    if !record.caption.trim().is_empty() {
        line.push_str(&format!("{} · ", truncate(&record.caption, CAPTION_WIDTH)));
    }
    line.push_str(&format!("{} · {}", short_hash(hash), dimensions(record)));
    if let Some(upload) = upload {
        line.push_str(&format!(" · {upload}"));
    }
    line
}

/// Lines of text built without `fmt::Result` plumbing.
#[derive(Default)]
struct Text(String);

impl Text {
    fn line(&mut self, line: impl AsRef<str>) {
        self.0.push_str(line.as_ref());
        self.0.push('\n');
    }

    fn into_string(self) -> String {
        self.0
    }
}

/// The case's status as text; one this version does not know is marked, with what to do.
pub fn status_text(view: &CaseView) -> String {
    match view.status() {
        crate::model::CaseStatus::Known(status) => status.as_str().to_owned(),
        crate::model::CaseStatus::Unknown(text) => {
            format!("{text} (UNKNOWN to this version: update the app)")
        }
    }
}

/// One item of unknown content: what and where, with its raw JSON where it has some.
fn unknown_line(u: &UnknownContent) -> String {
    match u {
        UnknownContent::Status { value } => format!("status `{value}`"),
        UnknownContent::Fact { key, json } => format!("fact {key} = {json}"),
        UnknownContent::Decision { field, json } => format!("decision {field} = {json}"),
        UnknownContent::Entry {
            collection,
            id,
            entry_kind,
            json,
        } => format!("{collection} entry {id} of kind `{entry_kind}`: {json}"),
        UnknownContent::RootKey { key } => format!("`{key}` (not shown by this version)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_has_two_decimals() {
        assert_eq!(money_text(12050, "CNY"), "120.50 CNY");
        assert_eq!(money_text(5, "CNY"), "0.05 CNY");
        assert_eq!(money_text(0, "CNY"), "0.00 CNY");
        assert_eq!(money_text(-150, "EUR"), "-1.50 EUR");
        assert_eq!(money_text(i64::MIN, "X"), "-92233720368547758.08 X");
    }

    #[test]
    fn long_names_are_cut() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abcd", 4), "abcd");
    }
}
