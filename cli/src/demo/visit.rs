//! `demo --offline`: one complete on-site service visit on one device, scripted with realistic
//! data and run through the real store and clock, from the customer's call to the closed case;
//! and the parts of the script the HQ story reuses (the complaint, the defect found).

use std::path::Path;

use chrono::{Duration, Local, Timelike};
use fieldcore::{
    CaseId, Cause, Channel, ConfirmationInput, CustomerRequest, DefectInput, Market, Measurement,
    Outcome, PartInput, PhotoKind, ProofOfPurchase, Registration, Timestamp,
};
use fieldcore::{CaseView, Command, Localized, PhotoInfo, Store};

use super::photos as demo_photos;
use crate::device::Env;
use crate::error::Result;
use crate::output::{Printer, locale};
use crate::photo::{dimensions, short_hash, size};

/// What the visit leaves: its numbered steps, the final case and its photos, and the store's
/// time at the end.
pub struct Done {
    pub steps: Vec<String>,
    pub view: CaseView,
    pub photos: Vec<PhotoInfo>,
    pub now: Timestamp,
}

/// Runs the visit on the database at `path`, printing each step as it goes.
pub fn run(env: &Env, path: &Path, out: &Printer) -> Result<Done> {
    let mut store = env.open_at(path)?;
    let now = store.now();

    let registration = complaint(now, &env.user);
    let view = store.register(&registration)?;
    let mut visit = Visit {
        id: view.id,
        store: &mut store,
        out,
        steps: Vec::new(),
        last: view,
    };
    visit.step(locale().pick(
        format!(
            "登记案件 {}：{} {}（出厂编号 {}），客户 {}",
            visit.id,
            registration.product_category,
            registration.product_model,
            registration.serial_number,
            registration.customer_name,
        ),
        format!(
            "registered case {}: {} {} (serial {}) for {}",
            visit.id,
            registration.product_category,
            registration.product_model,
            registration.serial_number,
            registration.customer_name,
        ),
    ))?;

    visit.photo(
        PhotoKind::Nameplate,
        "Nameplate on the motor housing",
        demo_photos::nameplate()?,
    )?;
    visit.command(Command::Acknowledge {
        note: Some(
            "Told the plant manager an engineer will come today; blower no. 2 stays off until \
             then."
                .into(),
        ),
    })?;
    visit.command(Command::ScheduleVisit {
        planned_for: on_the_minute(now + Duration::hours(2)),
    })?;
    visit.command(Command::ArriveOnSite)?;
    let bearing = visit.photo(
        PhotoKind::Defect,
        "Drive-end bearing 6308: discoloured outer race, pitting",
        demo_photos::bearing_defect()?,
    )?;
    visit.command(confirm_defect(bearing.clone()))?;
    visit.command(Command::DecideWarranty {
        evidence_photos: vec![bearing],
        charge: None,
    })?;
    visit.command(Command::RecordPart(PartInput {
        part_number: "6308-2Z/C3".into(),
        specification: "deep groove ball bearing 40×90×23 mm, drive end".into(),
        quantity: 1,
        new_serial: None,
        old_part_kept: true,
        old_part_serial: None,
        off_catalog_reason: None,
    }))?;
    // A covered case closes only with its old part accounted for: kept under a tag.
    if let Some(line) = visit.last.parts.last().map(|l| l.id.clone()) {
        visit.command(Command::KeepOldPart {
            line_id: line,
            tag: "JS-2611-0042".into(),
        })?;
    }
    visit.command(Command::AddNote {
        text: "Old bearing bagged and labelled with the case id for return and write-off; end \
               shield sleeved to nominal fit."
            .into(),
    })?;
    visit.command(Command::Resolve {
        outcome: Outcome::PartsReplaced,
        summary: "Drive-end bearing replaced and bearing seat sleeved; 30 min test run under \
                  load: 71 °C, vibration 1.6 mm/s."
            .into(),
    })?;
    let signature = visit.photo(
        PhotoKind::Signature,
        "Signature of Wang Lei, plant manager",
        demo_photos::signature()?,
    )?;
    visit.command(Command::ConfirmCustomer(ConfirmationInput {
        customer_name: "Wang Lei".into(),
        accepted: true,
        reason: None,
        signature_hash: Some(signature),
    }))?;
    visit.command(Command::Close)?;

    let Visit {
        id, steps, last, ..
    } = visit;
    let photos = store.photos(id)?;
    Ok(Done {
        steps,
        view: last,
        photos,
        now: store.now(),
    })
}

/// The visit as it goes: each step runs on the store and prints a numbered line.
struct Visit<'a> {
    id: CaseId,
    store: &'a mut Store,
    out: &'a Printer,
    steps: Vec<String>,
    last: CaseView,
}

impl Visit<'_> {
    fn step(&mut self, what: String) -> Result<()> {
        let step = format!("{what} → {}", status_text(&self.last));
        self.out
            .line(&format!("{:>2}. {step}", self.steps.len() + 1))?;
        self.steps.push(step);
        Ok(())
    }

    fn command(&mut self, command: Command) -> Result<()> {
        let (view, applied) = self.store.execute(self.id, &command)?;
        let summary = summary_of(&view, &command);
        let line = match (&command, &applied.entry_id) {
            (Command::RecordPart(_), Some(line)) => {
                locale().pick(format!("（记录 {line}）"), format!(" (line {line})"))
            }
            _ => String::new(),
        };
        self.last = view;
        let action = action_text(&command);
        self.step(locale().pick(
            format!("{action}：{summary}{line}"),
            format!("{action}: {summary}{line}"),
        ))
    }

    /// Imports a photo the engineer took and gives its hash, to cite as evidence.
    fn photo(&mut self, kind: PhotoKind, caption: &str, jpeg: Vec<u8>) -> Result<String> {
        let (view, hash) = self.store.import_photo(self.id, &jpeg, kind, caption)?;
        let what = match view.photos.iter().find(|p| p.hash == hash) {
            Some(photo) => format!(
                "{} · {}",
                dimensions(&photo.record),
                size(photo.record.size)
            ),
            None => String::new(),
        };
        self.last = view;
        let l = locale();
        let (action, kind, hash_text) = (
            fieldcore::event_action_text("attach_photo", l),
            kind.text(l),
            short_hash(&hash),
        );
        self.step(l.pick(
            format!("{action}：{kind}照片 {hash_text}（{what}）"),
            format!("{action}: {kind} photo {hash_text} ({what})"),
        ))?;
        Ok(hash)
    }
}

/// The customer's call: a 7.5 kW motor bought five months ago, running hot and noisy.
pub fn complaint(now: Timestamp, user: &str) -> Registration {
    let today = now.with_timezone(&Local).date_naive();
    let days_ago = |days| today - Duration::days(days);
    Registration {
        customer_name: "Changzhou Hengyuan Water Treatment Co., Ltd.".into(),
        customer_phone: "+86 519 8562 3301".into(),
        customer_address: "No. 18 Huanghe West Road, Xinbei District, Changzhou, Jiangsu".into(),
        region: "Jiangsu".into(),
        home_region: true,
        market: Market::Domestic,
        product_model: "YE3-132M-4".into(),
        product_category: "motor".into(),
        serial_number: "YE3132M4-2505-01873".into(),
        manufacture_date: Some(days_ago(190)),
        purchase_date: Some(days_ago(152)),
        proof_of_purchase: ProofOfPurchase::Invoice("32011825-00417736".into()),
        fault_description: "7.5 kW motor driving aeration blower no. 2 runs hot and grinds at the \
                            drive end after about 20 minutes; the thermal relay tripped twice \
                            this week."
            .into(),
        customer_request: CustomerRequest::Repair,
        channel: Channel::Phone,
        received_at: now - Duration::hours(3),
        first_responder: user.to_owned(),
        first_responder_id: None,
        production_batch: None,
    }
}

/// A planned time as people give it, without seconds.
fn on_the_minute(at: Timestamp) -> Timestamp {
    at.with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(at)
}

/// What the engineer found, with the photo that shows it.
pub fn confirm_defect(evidence: String) -> Command {
    Command::ConfirmDefect(DefectInput {
        cause: Cause::DesignManufacturing,
        findings: "Drive-end bearing 6308 rough and discoloured; bearing seat on the end shield \
                   machined 0.04 mm oversize, so the outer ring creeps and overheats. Winding \
                   insulation sound."
            .into(),
        measurements: vec![
            Measurement {
                name: "insulation resistance (500 V)".into(),
                value: 550.0,
                unit: "MΩ".into(),
            },
            Measurement {
                name: "winding temperature after 20 min".into(),
                value: 118.0,
                unit: "°C".into(),
            },
        ],
        major_incident: false,
        evidence_photos: vec![evidence],
    })
}

/// What the case's history says `command` did (its latest event of that kind), for the story,
/// in the output's language: the core's history text, so the demo words it as `case show` does.
pub fn summary_of(view: &CaseView, command: &Command) -> String {
    view.events
        .iter()
        .rev()
        .find(|e| e.body.action == command.name())
        .map(|e| fieldcore::history_text(&e.body, locale()))
        .unwrap_or_default()
}

/// The command's name as the history names it in the output's language (`close`, 结案).
pub fn action_text(command: &Command) -> String {
    fieldcore::event_action_text(command.name(), locale())
}

/// The case's status in the output's language; English keeps the machine name the demo always
/// printed (`visit_scheduled`), also for a status a newer app wrote.
pub fn status_text(view: &CaseView) -> String {
    let status = view.status();
    let l = locale();
    l.pick(status.text(l), status.as_str().to_owned())
}
