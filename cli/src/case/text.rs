//! Cases as text: the full case view the way `case show` prints it (facts, decisions with who
//! and when, conflicts numbered for `resolve-conflict`, photos, the append-only entries and the
//! history), the `case list` table and the warranty answer.

use chrono::DateTime;
use fieldcore::CaseSyncState;
use fieldcore::DecisionView;
use fieldcore::{CaseView, Page, PhotoInfo, WarrantyDecision};
use fieldcore::{ProofOfPurchase, Timestamp};
use fieldcore::{Stamp, UnknownContent, VisitBody};

use crate::output::{Text, aligned, due, money, name, time, truncate};
use crate::photo;

/// Width of the label column.
const LABEL: usize = 12;

/// `photos` are the case's photos with their upload state, as `Store::photos` gives them.
/// The whole case as text; `sync` adds how it stands with HQ (left out where the store was
/// never synced, as in the offline demo).
pub fn render(
    v: &CaseView,
    photos: &[PhotoInfo],
    sync: Option<CaseSyncState>,
    now: Timestamp,
) -> String {
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
            crate::output::status_text(v),
            v.round,
            time(&v.round_started_at),
            resolved_note(&v.status.current.resolved_by)
        ),
    );
    field(&mut t, "Next", due(&v.next_due, now));
    field(&mut t, "Updated", time(&v.updated_at));
    if let Some(sync) = sync {
        field(&mut t, "HQ", sync_text(sync));
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
            time(&r.received_at),
            r.first_responder
        ),
    );
    t.line("");

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
        }
    }
    match &v.charge {
        None => field(&mut t, "Charge", "none"),
        Some(c) => field(
            &mut t,
            "Charge",
            format!(
                "{} · {}",
                money(c.current.value.amount_minor, &c.current.value.currency),
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
                    time(&alt.at)
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

    section(&mut t, "Photos", photos.len());
    for photo in photos {
        t.line(format!("  {}", photo::line(photo)));
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
            time(&n.stamp.at),
            n.stamp.by,
            n.body.text
        ));
    }

    section(&mut t, "Visits", v.visits.len());
    for visit in &v.visits {
        let what = match &visit.body {
            VisitBody::Scheduled { planned_for } => {
                format!("visit planned for {}", time(planned_for))
            }
            VisitBody::Arrived => "arrived on site".to_owned(),
        };
        t.line(format!(
            "  {} {}: {what}",
            time(&visit.stamp.at),
            visit.stamp.by
        ));
    }

    section(&mut t, "Confirmations", v.confirmations.len());
    for c in &v.confirmations {
        let input = &c.body.input;
        let mut line = format!(
            "  {} {}: {} {} the outcome of round {}",
            time(&c.stamp.at),
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
                time(&round.stamp.at),
                round.stamp.by,
                round.body.reason
            ));
        }
    }

    section(&mut t, "History", v.events.len());
    for e in &v.events {
        t.line(format!(
            "  {} {} {}: {}",
            time(&e.stamp.at),
            e.stamp.by,
            e.body.action,
            e.body.summary
        ));
    }
    t.into_string()
}

fn sync_text(sync: CaseSyncState) -> &'static str {
    match sync {
        CaseSyncState::Pending => "pending: local work not yet at HQ",
        CaseSyncState::Synced => "synced",
        CaseSyncState::Conflict => "synced, with a conflict to resolve",
        CaseSyncState::Refused => {
            "refused: HQ took this case from you; your unsent work is kept on this device"
        }
        CaseSyncState::Quarantined => {
            "quarantined: HQ sent changes this app version cannot read; set aside, the rest syncs on"
        }
    }
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
    format!("by {} at {}", stamp.by, time(&stamp.at))
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

const SHORT_ID: usize = 13;
const CUSTOMER_WIDTH: usize = 28;

/// The list screen: one row per case and the cursor of the next page.
pub fn list_table(page: &Page) -> String {
    let mut text = Text::default();
    if page.rows.is_empty() {
        text.line("no cases");
        return text.into_string();
    }
    let ids: Vec<&str> = page.rows.iter().map(|r| r.case.case_id.as_str()).collect();
    let short = short_ids(&ids);
    let mut rows = vec![[
        "CASE".to_owned(),
        "STATUS".to_owned(),
        "CUSTOMER".to_owned(),
        "MODEL".to_owned(),
        "SERIAL".to_owned(),
        "NEXT DUE".to_owned(),
        String::new(),
    ]];
    for (row, short) in page.rows.iter().zip(short) {
        let c = &row.case;
        let next = match (&c.next_due_kind, &c.next_due_at) {
            (Some(kind), Some(at)) => format!(
                "{kind} {}",
                DateTime::parse_from_rfc3339(at)
                    .map(|t| time(&t))
                    .unwrap_or_else(|_| at.clone())
            ),
            _ => "-".to_owned(),
        };
        let mut flags = Vec::new();
        if row.overdue {
            flags.push("OVERDUE");
        }
        if c.has_conflict {
            flags.push("CONFLICT");
        }
        if fieldcore::Status::parse(&c.status).is_none() {
            flags.push("UNKNOWN STATUS: update the app");
        }
        rows.push([
            c.number.clone().unwrap_or(short),
            c.status.clone(),
            truncate(&c.customer_name, CUSTOMER_WIDTH),
            c.product_model.clone(),
            c.serial_number.clone(),
            next,
            flags.join(" "),
        ]);
    }
    aligned(&mut text, &rows);
    let count = page.rows.len();
    text.line(format!("{count} case{}", if count == 1 { "" } else { "s" }));
    if let Some(next) = &page.next {
        text.line(format!("next page: --after {next} (with the same filters)"));
    }
    text.into_string()
}

/// The shortest id prefixes, at least [`SHORT_ID`] characters, that tell the rows apart.
/// UUIDv7 ids start with their creation time, so shorter prefixes collide within a minute.
fn short_ids(ids: &[&str]) -> Vec<String> {
    ids.iter()
        .map(|id| {
            let mut len = SHORT_ID.min(id.len());
            while len < id.len()
                && ids
                    .iter()
                    .any(|other| other != id && other.get(..len) == id.get(..len))
            {
                len += 1;
            }
            id.get(..len).unwrap_or(id).trim_end_matches('-').to_owned()
        })
        .collect()
}

/// The `warranty check` answer: covered or not, by which rule, the period, and why.
pub fn warranty_text(d: &WarrantyDecision) -> String {
    let mut text = Text::default();
    text.line(format!("covered: {}", if d.covered { "yes" } else { "no" }));
    text.line(format!("rule: {}", d.rule.as_str()));
    text.line(match (d.months, d.period_end) {
        (Some(months), Some(end)) => {
            format!("period: {months} months, ends {end} (inclusive)")
        }
        _ => "period: none applies".to_owned(),
    });
    text.line(format!("explanation: {}", d.explanation));
    text.into_string()
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
    fn short_ids_grow_until_unique() {
        let ids = [
            "0195f1c2-7b2c-7abc-8def-000000000001",
            "0195f1c2-7b2c-7abd-8def-000000000002",
            "0195f1c2-7b2d-7abc-8def-000000000003",
        ];
        let short = short_ids(&ids);
        assert_eq!(short[0], "0195f1c2-7b2c-7abc");
        assert_eq!(short[1], "0195f1c2-7b2c-7abd");
        assert_eq!(short[2], "0195f1c2-7b2d");
        for (s, id) in short.iter().zip(ids) {
            assert!(id.starts_with(s.as_str()));
        }
    }

    #[test]
    fn unknown_content_is_shown_marked_with_the_update_hint() {
        use fieldcore::{
            CaseStatus, Channel, CustomerRequest, Market, ProofOfPurchase, Registration, Store,
        };
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("d.db"), "wang").unwrap();
        let received_at = store.now();
        let mut view = store
            .register(&Registration {
                customer_name: "Pump Station".into(),
                customer_phone: "+86 311 5555 0101".into(),
                customer_address: "12 Canal Road".into(),
                region: "Hebei".into(),
                home_region: true,
                market: Market::Domestic,
                product_model: "YE3".into(),
                product_category: "motor".into(),
                serial_number: "S-1".into(),
                manufacture_date: None,
                purchase_date: None,
                proof_of_purchase: ProofOfPurchase::None,
                fault_description: "trips".into(),
                customer_request: CustomerRequest::Repair,
                channel: Channel::Phone,
                received_at,
                first_responder: "Wang".into(),
            })
            .unwrap();
        assert!(!render(&view, &[], None, received_at).contains("UNKNOWN"));
        view.status.current.value = CaseStatus::Unknown("escalated".into());
        view.unknown = vec![
            UnknownContent::Status {
                value: "escalated".into(),
            },
            UnknownContent::Fact {
                key: "warranty_card".into(),
                json: r#""WC-7""#.into(),
            },
        ];
        let text = render(&view, &[], None, received_at);
        assert!(text.contains("escalated (UNKNOWN to this version: update the app)"));
        assert!(text.contains("Unknown content (2)"));
        assert!(text.contains("Update the app"));
        assert!(text.contains(r#"UNKNOWN fact warranty_card = "WC-7""#));
        assert!(crate::output::status_line(&view, received_at).contains("escalated (UNKNOWN"));
    }
}
