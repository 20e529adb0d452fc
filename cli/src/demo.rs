//! The demo: one complete on-site service visit, scripted with realistic data and run through
//! the real store and clock, from the customer's call to the closed case.

use std::path::PathBuf;

use chrono::{Duration, Local, Timelike};
use fieldcore::Command;
use fieldcore::model::{
    Cause, Channel, ConfirmationInput, CustomerRequest, DefectInput, Market, Measurement, Outcome,
    PartInput, ProofOfPurchase, Registration, Timestamp,
};
use uuid::Uuid;

use crate::commands::Env;
use crate::error::{CliError, Result};
use crate::output::Printer;

/// Stand-ins for photo content hashes until photo storage exists: SHA-256 of fixed strings.
const BEARING_PHOTO: &str = "6ace81b64d3d6d5daebd644e649abadafeb891c782a96fc9429a4097f56495ee";
const SIGNATURE: &str = "7d2ed9ec36002e34b37ba234e80250781fff39ee8d9282a6ab15d7ae902c7960";

pub fn run(env: &Env, out: &Printer) -> Result<()> {
    let path = match env.explicit_db() {
        Some(path) => path.to_path_buf(),
        None => fresh_database()?,
    };
    let mut store = env.open_at(&path)?;
    let now = store.now();

    let registration = complaint(now, &env.user);
    let view = store.register(&registration)?;
    let id = view.id;
    let mut steps = vec![format!(
        "registered case {id}: {} {} (serial {}) for {} → {}",
        registration.product_category,
        registration.product_model,
        registration.serial_number,
        registration.customer_name,
        view.status().as_str()
    )];
    out.line(&format!(" 1. {}", steps[0]))?;

    let mut last = view;
    for command in visit(now) {
        let (view, applied) = store.execute(id, &command)?;
        let summary = view
            .events
            .iter()
            .rev()
            .find(|e| e.body.action == command.name())
            .map(|e| e.body.summary.clone())
            .unwrap_or_default();
        let line = match (&command, &applied.entry_id) {
            (Command::RecordPart(_), Some(line)) => format!(" (line {line})"),
            _ => String::new(),
        };
        let step = format!(
            "{}: {summary}{line} → {}",
            command.name(),
            view.status().as_str()
        );
        out.line(&format!("{:>2}. {step}", steps.len() + 1))?;
        steps.push(step);
        last = view;
    }
    out.demo(&path, &steps, &last, store.now())
}

/// A new folder under the system's temporary folder, so the demo can run again and again.
fn fresh_database() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("fieldctl-demo-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).map_err(|source| CliError::DemoFolder {
        path: dir.clone(),
        source,
    })?;
    Ok(dir.join("fieldctl.db"))
}

/// The customer's call: a 7.5 kW motor bought five months ago, running hot and noisy.
fn complaint(now: Timestamp, user: &str) -> Registration {
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
    }
}

/// A planned time as people give it, without seconds.
fn on_the_minute(at: Timestamp) -> Timestamp {
    at.with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(at)
}

/// The rest of the visit, in order.
fn visit(now: Timestamp) -> Vec<Command> {
    vec![
        Command::Acknowledge {
            note: Some(
                "Told the plant manager an engineer will come today; blower no. 2 stays off \
                 until then."
                    .into(),
            ),
        },
        Command::ScheduleVisit {
            planned_for: on_the_minute(now + Duration::hours(2)),
        },
        Command::ArriveOnSite,
        Command::ConfirmDefect(DefectInput {
            cause: Cause::DesignManufacturing,
            findings: "Drive-end bearing 6308 rough and discoloured; bearing seat on the end \
                       shield machined 0.04 mm oversize, so the outer ring creeps and overheats. \
                       Winding insulation sound."
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
            evidence_photos: vec![BEARING_PHOTO.into()],
        }),
        Command::DecideWarranty {
            evidence_photos: vec![BEARING_PHOTO.into()],
            charge: None,
        },
        Command::RecordPart(PartInput {
            part_number: "6308-2Z/C3".into(),
            specification: "deep groove ball bearing 40×90×23 mm, drive end".into(),
            quantity: 1,
            new_serial: None,
            old_part_kept: true,
            old_part_serial: None,
        }),
        Command::AddNote {
            text: "Old bearing bagged and labelled with the case id for return and write-off; \
                   end shield sleeved to nominal fit."
                .into(),
        },
        Command::Resolve {
            outcome: Outcome::PartsReplaced,
            summary: "Drive-end bearing replaced and bearing seat sleeved; 30 min test run under \
                      load: 71 °C, vibration 1.6 mm/s."
                .into(),
        },
        Command::ConfirmCustomer(ConfirmationInput {
            customer_name: "Wang Lei".into(),
            accepted: true,
            reason: None,
            signature_hash: Some(SIGNATURE.into()),
        }),
        Command::Close,
    ]
}
