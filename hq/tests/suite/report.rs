//! The monthly product-quality report against a real HQ (issue 15, ADR 0025): a year of cases
//! made on a phone and synced, every section's numbers known in advance; the Excel workbook
//! read back cell by cell; late records and amendments; PPM against imported shipments; the
//! refusals (issued twice, re-opened by the wrong role, a bad shipments file).

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone};
use fieldcore::testing::{registration_for, t0};
use fieldcore::{
    Cause, Channel, Charge, Command, CustomerRequest, DefectInput, Freight, Locale, Outcome,
    PartInput, Registration, ReturnItem, ReturnKind, ReturnRequestInput,
};
use fieldhq::report::{self, ReportOptions, ReportState, ReportView};
use fieldhq::report_tables::{self, Cell};
use fieldhq::storage::CaseIndexQuery;
use fieldhq::{Error, Role, admin};
use uuid::Uuid;

use crate::common::{Backend, TestDevice, TestHq};

const TZ: chrono_tz::Tz = fieldhq::state::DEFAULT_TIME_ZONE;
const A: &str = "YE3-160M-4";
const B: &str = "QJ-200";
const C: &str = "C-1";

/// The report is generated a month after t0: every open case is past some deadline.
fn options() -> ReportOptions {
    ReportOptions {
        time_zone: TZ,
        now: (t0() + Duration::days(30)).timestamp(),
    }
}

fn at(y: i32, m: u32, d: u32) -> DateTime<FixedOffset> {
    TZ.with_ymd_and_hms(y, m, d, 10, 0, 0)
        .unwrap()
        .fixed_offset()
}

struct Spec {
    model: &'static str,
    category: &'static str,
    region: &'static str,
    channel: Channel,
    customer: &'static str,
    fault: &'static str,
    serial: String,
    received: DateTime<FixedOffset>,
    request: CustomerRequest,
}

fn registration(s: &Spec) -> Registration {
    let mut r = registration_for(&s.serial);
    r.product_model = s.model.into();
    r.product_category = s.category.into();
    r.region = s.region.into();
    r.channel = s.channel;
    r.customer_name = s.customer.into();
    r.fault_description = s.fault.into();
    r.received_at = s.received;
    r.customer_request = s.request;
    let day = s.received.date_naive();
    r.purchase_date = Some(day - Duration::days(60));
    r.manufacture_date = Some(day - Duration::days(90));
    r
}

fn spec(
    model: &'static str,
    fault: &'static str,
    serial: &str,
    received: DateTime<FixedOffset>,
) -> Spec {
    Spec {
        model,
        category: if model == B { "pump" } else { "motor" },
        region: "Hebei",
        channel: Channel::Phone,
        customer: "Acme Motors",
        fault,
        serial: serial.into(),
        received,
        request: CustomerRequest::Repair,
    }
}

fn confirm(device: &mut TestDevice, case: Uuid, cause: Cause, major_incident: bool) {
    device.execute(case, &Command::Acknowledge { note: None });
    device.execute(case, &Command::ArriveOnSite);
    device.execute(
        case,
        &Command::ConfirmDefect(DefectInput {
            cause,
            findings: "checked on site".into(),
            measurements: vec![],
            major_incident,
            evidence_photos: vec![],
        }),
    );
}

fn part(quantity: u32) -> Command {
    Command::RecordPart(PartInput {
        part_number: "BRG-6205".into(),
        specification: "6205-2RS bearing".into(),
        quantity,
        new_serial: None,
        old_part_kept: false,
        old_part_serial: None,
        off_catalog_reason: None,
    })
}

const CATALOGS: &str = r#"{"parts": [{"part_number": "BRG-6205", "specification": "6205-2RS bearing", "unit": "个", "unit_cost": "35.50"}]}"#;

/// The cases of the year: the designed month (2026-11) and the eleven before, and the same
/// month a year earlier. Returns the ids of the month's five complaints.
async fn a_year(hq: &TestHq) -> Vec<Uuid> {
    admin::set_reference(
        hq.storage(),
        &serde_json::to_string(&fieldcore::Policies::default()).unwrap(),
        Some(CATALOGS),
    )
    .await
    .unwrap();
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    // 2025-11 (the season): two complaints, one a quality fault.
    for i in 0..2 {
        let case = wang.register_case(&registration(&spec(
            C,
            "old fault",
            &format!("S25-{i}"),
            at(2025, 11, 5 + i),
        )));
        if i == 0 {
            confirm(&mut wang, case, Cause::DesignManufacturing, false);
        }
    }
    // 2025-12 to 2026-10: (n % 3) + 1 complaints in month n (1..=11), the first of each a
    // quality fault of model C; 2026-05 also has serial S-REPEAT, complained of again in 2026-11.
    for n in 1..=11u32 {
        let (y, m) = if n == 1 { (2025, 12) } else { (2026, n - 1) };
        for i in 0..(n % 3) + 1 {
            let serial = if (y, m, i) == (2026, 5, 0) {
                "S-REPEAT".to_owned()
            } else {
                format!("S{y}{m:02}-{i}")
            };
            // Faults differ across months: none of them recurs with the month's.
            let fault = ["winding burnt", "terminal loose", "fan broken"][i as usize];
            let case =
                wang.register_case(&registration(&spec(C, fault, &serial, at(y, m, 10 + i))));
            if i == 0 {
                confirm(&mut wang, case, Cause::DesignManufacturing, false);
            }
        }
    }
    wang.sync(hq).await;

    // The month: five complaints.
    let mut c1 = spec(A, "bearing noise", "A-1", at(2026, 11, 1));
    c1.customer = "Acme Motors";
    let c1 = wang.register_case(&registration(&c1));
    confirm(&mut wang, c1, Cause::DesignManufacturing, false);
    wang.execute(
        c1,
        &Command::DecideWarranty {
            evidence_photos: vec![],
            charge: None,
        },
    );
    wang.execute(c1, &part(2));
    wang.execute(
        c1,
        &Command::Resolve {
            outcome: Outcome::PartsReplaced,
            summary: "bearing replaced".into(),
        },
    );

    let mut c2 = spec(A, "  Bearing   NOISE ", "A-2", at(2026, 11, 1));
    c2.channel = Channel::Dealer;
    let c2 = wang.register_case(&registration(&c2));
    confirm(&mut wang, c2, Cause::StorageTransport, true);

    let mut c3 = spec(B, "leak", "B-1", at(2026, 11, 2));
    c3.region = "Henan";
    c3.channel = Channel::Email;
    c3.customer = "Beta Water";
    let c3 = wang.register_case(&registration(&c3));
    confirm(&mut wang, c3, Cause::CustomerMisuse, false);
    wang.execute(
        c3,
        &Command::DecideWarranty {
            evidence_photos: vec![],
            charge: Some(Charge {
                amount_minor: 12_000,
                currency: "CNY".into(),
            }),
        },
    );
    wang.execute(c3, &part(1));

    let mut c4 = spec(B, "seal leak", "B-2", at(2026, 11, 2));
    c4.region = "Henan";
    c4.customer = "Beta Water";
    let c4 = wang.register_case(&registration(&c4));
    wang.execute(
        c4,
        &Command::RequestReturn(ReturnRequestInput {
            kind: ReturnKind::Exchange,
            items: vec![ReturnItem {
                model: B.into(),
                serial: None,
                quantity: 2,
                reason: "seal failed".into(),
                fault: "leak".into(),
            }],
            freight: Freight::Company,
            why_not_on_site: "the pump must go back to the factory".into(),
            window_override: None,
        }),
    );

    let mut c5 = spec(A, "overheating", "S-REPEAT", at(2026, 11, 2));
    c5.customer = "Gamma Farms";
    c5.request = CustomerRequest::Compensation;
    let c5 = wang.register_case(&registration(&c5));
    // Compensation paid: ¥800 on c5 (first recorded wrongly, then corrected), and one in
    // another currency on c4, counted but not summed.
    let cny = |amount_minor| Charge {
        amount_minor,
        currency: "CNY".into(),
    };
    wang.execute(c5, &Command::SetCompensation(cny(8_000)));
    wang.execute(c5, &Command::SetCompensation(cny(80_000)));
    wang.execute(
        c4,
        &Command::SetCompensation(Charge {
            amount_minor: 5_000,
            currency: "USD".into(),
        }),
    );
    wang.sync(hq).await;
    vec![c1, c2, c3, c4, c5]
}

fn count(rows: &[fieldhq::report_sections::Count]) -> Vec<(String, i64, i64)> {
    rows.iter()
        .map(|c| (c.key.clone(), c.count, c.quality))
        .collect()
}

fn s(v: &str) -> String {
    v.to_owned()
}

pub async fn the_report_counts_a_generated_year(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let month = a_year(&hq).await;
    let done = report::import_shipments(
        hq.storage(),
        "month,model,quantity\n2026-11,YE3-160M-4,4000\n2026-11,QJ-200,1000\n2026-10,YE3-160M-4,9\n",
    )
    .await
    .unwrap();
    assert_eq!(done.rows, 3);
    assert_eq!(done.months, vec![s("2026-10"), s("2026-11")]);
    assert_eq!(done.units, 5009);

    let r = report::generate_with(hq.storage(), "2026-11", options())
        .await
        .unwrap();
    assert_eq!(r.month, "2026-11");
    assert_eq!(r.total, 5);
    let mut listed: Vec<Uuid> = r.complaints.iter().map(|c| c.case_id).collect();
    listed.sort();
    let mut expected = month.clone();
    expected.sort();
    assert_eq!(listed, expected);

    assert_eq!(
        count(&r.by_category),
        vec![(s("motor"), 3, 2), (s("pump"), 2, 0)]
    );
    assert_eq!(count(&r.by_model), vec![(s(A), 3, 2), (s(B), 2, 0)]);
    assert_eq!(
        count(&r.by_cause),
        vec![
            (s("unconfirmed"), 2, 0),
            (s("customer_misuse"), 1, 0),
            (s("design_manufacturing"), 1, 1),
            (s("storage_transport"), 1, 1),
        ]
    );
    assert_eq!(
        (
            r.quality.quality,
            r.quality.non_quality,
            r.quality.unconfirmed
        ),
        (2, 1, 2)
    );
    assert_eq!(
        count(&r.by_region),
        vec![(s("Hebei"), 3, 2), (s("Henan"), 2, 0)]
    );
    assert_eq!(
        count(&r.by_channel),
        vec![(s("phone"), 3, 1), (s("dealer"), 1, 1), (s("email"), 1, 0)]
    );
    assert_eq!(
        count(&r.by_customer),
        vec![
            (s("Acme Motors"), 2, 2),
            (s("Beta Water"), 2, 0),
            (s("Gamma Farms"), 1, 0)
        ]
    );

    // Recurring: c1 and c2 (model A, the same fault typed twice), c5 (its serial in 2026-05).
    let f = &r.frequency;
    assert_eq!((f.recurring, f.occasional), (3, 2));
    assert_eq!((f.repeat_model_fault, f.repeat_serials), (2, 1));
    assert_eq!(f.groups.len(), 1);
    assert_eq!(
        (f.groups[0].model.as_str(), f.groups[0].fault.as_str()),
        (A, "bearing noise")
    );
    assert_eq!((f.groups[0].in_month, f.groups[0].in_window), (2, 2));
    let recurring: Vec<Uuid> = r
        .complaints
        .iter()
        .filter(|c| c.recurring)
        .map(|c| c.case_id)
        .collect();
    assert_eq!(recurring.len(), 3);
    for id in [month[0], month[1], month[4]] {
        assert!(recurring.contains(&id), "{id}");
    }

    // Trend: 2025-12 .. 2026-11; month n (1..=11) has (n % 3) + 1, one a quality fault.
    let trend: Vec<(String, i64, i64)> = r
        .trend
        .iter()
        .map(|p| (p.month.clone(), p.total, p.quality))
        .collect();
    let mut expected = Vec::new();
    for n in 1..=11u32 {
        let (y, m) = if n == 1 { (2025, 12) } else { (2026, n - 1) };
        expected.push((format!("{y}-{m:02}"), i64::from(n % 3) + 1, 1));
    }
    expected.push((s("2026-11"), 5, 2));
    assert_eq!(trend, expected);
    let season: Vec<(String, i64, i64)> = r
        .season
        .iter()
        .map(|p| (p.month.clone(), p.total, p.quality))
        .collect();
    assert_eq!(season, vec![(s("2025-11"), 2, 1), (s("2026-11"), 5, 2)]);

    // Returns: c4's exchange of two units; 5,000 units delivered in the month.
    let ret = &r.returns;
    assert_eq!(
        (ret.requests, ret.returns, ret.exchanges, ret.units),
        (1, 0, 1, 2)
    );
    assert_eq!((ret.returned_units, ret.exchanged_units), (0, 2));
    assert_eq!(ret.complaints_with_request, 1);
    assert_eq!(ret.rate_of_complaints_pct, Some(20.0));
    assert_eq!(ret.delivered, Some(5000));
    assert_eq!(ret.rate_of_delivered_pct, Some(0.04));

    // PPM, by model: none of B over 1,000 delivered; two quality faults of A over 4,000.
    let ppm: Vec<(String, Option<i64>, i64, Option<f64>)> = r
        .ppm
        .rows
        .iter()
        .map(|p| (p.model.clone(), p.delivered, p.quality_faults, p.ppm))
        .collect();
    assert_eq!(
        ppm,
        vec![
            (s(B), Some(1000), 0, Some(0.0)),
            (s(A), Some(4000), 2, Some(500.0))
        ]
    );
    assert_eq!((r.ppm.delivered, r.ppm.quality_faults), (5000, 2));
    assert_eq!(r.ppm.ppm, Some(400.0));

    // Cost: two bearings under warranty (c1) and one paid (c3) at ¥35.50; c3 charged ¥120.
    let c = &r.cost;
    assert_eq!((c.warranty_parts_fen, c.paid_parts_fen), (7100, 3550));
    assert_eq!(
        (c.charges_fen, c.charged_cases, c.other_currency_charges),
        (12_000, 1, 0)
    );
    assert_eq!(c.uncosted_lines, 0);
    assert_eq!(c.compensation_requests, 1);
    assert_eq!(
        (
            c.compensation_fen,
            c.compensated_cases,
            c.other_currency_compensations
        ),
        (80_000, 1, 1)
    );
    assert_eq!((c.exchanged_units, c.returned_units), (2, 0));
    assert_eq!(c.net_fen, 7100 + 3550 + 80_000 - 12_000);

    // Deadlines, by the definition, from the read model's rows of the month.
    let rows = admin::case_index(
        hq.storage(),
        CaseIndexQuery {
            month: Some(s("2611")),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 5);
    let now = options().now;
    let missed = rows
        .iter()
        .filter(|x| x.missed_deadlines > 0 || x.next_due_at.is_some_and(|d| d < now))
        .count() as i64;
    let d = &r.deadlines;
    assert_eq!(d.missed, missed);
    assert_eq!(d.met, 0, "nothing closed");
    assert_eq!(d.open_in_time, 5 - missed);
    assert_eq!(
        d.missed_records,
        rows.iter().map(|x| x.missed_deadlines).sum::<i64>()
    );

    // Corrective actions: c2's major incident, raised when it reached HQ (t0, in the month).
    assert_eq!(r.corrective_actions.len(), 1, "{:?}", r.corrective_actions);
    assert_eq!(r.corrective_actions[0].kind, "major_incident");
    assert_eq!(r.corrective_actions[0].cases, 1);
    assert!(r.late_records.is_empty());

    // A bad month is a typed refusal.
    for bad in ["2026-13", "11/2026", "2026-1"] {
        assert!(matches!(
            report::generate(hq.storage(), bad).await,
            Err(Error::Refused { .. })
        ));
    }

    // The workbook, read back: every cell of every sheet is the report's.
    let view = report::view_with(hq.storage(), "2026-11", options())
        .await
        .unwrap();
    assert_eq!(view.state, ReportState::Draft);
    assert_eq!(view.report, r);
    for locale in [Locale::ZhCn, Locale::En] {
        let bytes = report::excel(&view, locale).unwrap();
        workbook_matches(&bytes, &view, locale);
    }
    let html = report::html(&view, Locale::ZhCn);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg"), "charts drawn on the server");
    assert!(!html.contains("<script"), "no script");
    assert!(html.contains("产品质量信息月报 2026-11"));
    assert!(html.contains("Beta Water"));
    assert!(report::html(&view, Locale::En).contains("Product quality report 2026-11"));
}

/// An Excel serial day number of a Unix time in the report's zone.
fn serial(at: i64) -> f64 {
    let offset = TZ
        .timestamp_opt(at, 0)
        .unwrap()
        .fixed_offset()
        .offset()
        .local_minus_utc();
    (at + i64::from(offset)) as f64 / 86_400.0 + 25_569.0
}

fn workbook_matches(bytes: &[u8], view: &ReportView, locale: Locale) {
    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
    let windows = bytes
        .windows(b"xl/charts/chart".len())
        .filter(|w| *w == b"xl/charts/chart")
        .count();
    assert!(windows > 0, "native charts in the workbook");
    let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let tables = report_tables::tables(view, locale);
    assert_eq!(book.sheet_names().len(), tables.len());
    for table in &tables {
        let range = book.worksheet_range(&table.title).unwrap();
        let cell = |r: u32, c: u32| range.get_value((r, c)).cloned().unwrap_or(Data::Empty);
        for (c, head) in table.headers.iter().enumerate() {
            assert_eq!(
                cell(0, c as u32),
                Data::String(head.clone()),
                "{}",
                table.id
            );
        }
        for (r, row) in table.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, want) in row.iter().enumerate() {
                let got = cell(r, c as u32);
                let place = format!("{} row {r} column {c}: {got:?} vs {want:?}", table.id);
                match want {
                    Cell::Text(t) => assert_eq!(got, Data::String(t.clone()), "{place}"),
                    Cell::Int(n) => assert_eq!(got, Data::Float(*n as f64), "{place}"),
                    Cell::Fen(f) => assert_eq!(got, Data::Float(*f as f64 / 100.0), "{place}"),
                    Cell::Real(x) => assert_eq!(got, Data::Float(*x), "{place}"),
                    Cell::Time(t) => match got {
                        Data::DateTime(d) => {
                            assert!((d.as_f64() - serial(*t)).abs() < 1e-6, "{place}")
                        }
                        other => panic!("{place}: {other:?}"),
                    },
                    Cell::Month(m) => match got {
                        Data::DateTime(d) => {
                            let day = NaiveDate::from_ymd_opt(m.year, m.month, 1).unwrap();
                            let base = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
                            assert_eq!(d.as_f64(), (day - base).num_days() as f64, "{place}")
                        }
                        other => panic!("{place}: {other:?}"),
                    },
                    Cell::Empty => assert_eq!(got, Data::Empty, "{place}"),
                }
            }
        }
    }
    // And the numbers against the report itself, not only its tables.
    let summary = book
        .worksheet_range(locale.pick("概要", "Summary"))
        .unwrap();
    let value = |label: &str| {
        (0..summary.height() as u32)
            .find(|&r| summary.get_value((r, 0)) == Some(&Data::String(label.into())))
            .and_then(|r| summary.get_value((r, 1)).cloned())
            .unwrap()
    };
    let r = &view.report;
    assert_eq!(
        value(locale.pick("投诉总数", "complaints")),
        Data::Float(r.total as f64)
    );
    assert_eq!(
        value(locale.pick("质量故障", "quality faults")),
        Data::Float(r.quality.quality as f64)
    );
    assert_eq!(value("PPM"), Data::Float(r.ppm.ppm.unwrap()));
    assert_eq!(
        value(locale.pick("质量成本（元）", "cost of quality (CNY)")),
        Data::Float(r.cost.net_fen as f64 / 100.0)
    );
    // The compensation paid, read back from the cost sheet: ¥800.
    let cost = book
        .worksheet_range(locale.pick("质量成本", "Cost of quality"))
        .unwrap();
    let cost_value = |label: &str| {
        (0..cost.height() as u32)
            .find(|&r| cost.get_value((r, 0)) == Some(&Data::String(label.into())))
            .and_then(|r| cost.get_value((r, 1)).cloned())
            .unwrap()
    };
    assert_eq!(
        cost_value(locale.pick("赔偿（元）", "compensation paid (CNY)")),
        Data::Float(800.0)
    );
    assert_eq!(
        cost_value(locale.pick("赔偿案件", "compensated cases")),
        Data::Float(1.0)
    );
    let trend = book.worksheet_range(locale.pick("趋势", "Trend")).unwrap();
    for (i, p) in r.trend.iter().enumerate() {
        assert_eq!(
            trend.get_value((i as u32 + 1, 1)),
            Some(&Data::Float(p.total as f64))
        );
    }
    let headers = book
        .worksheet_range(locale.pick("投诉明细", "Complaints"))
        .unwrap();
    assert_eq!(
        headers.get_value((0, 0)),
        Some(&Data::String(locale.pick("案件编号", "case number").into()))
    );
}

pub async fn a_late_case_amends_the_issued_month_and_joins_the_next_report(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let qin = hq.user("qin", Role::Quality, None).await;
    let li = hq.user("li", Role::HqStaff, None).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let first = wang.register_case(&registration(&spec(A, "noise", "L-1", at(2026, 10, 20))));
    wang.sync(&hq).await;

    let issued = report::issue_with(hq.storage(), "2026-10", &li, options())
        .await
        .unwrap();
    assert_eq!(issued.report.total, 1);
    assert_eq!(issued.issued_by, "li");
    // Issuing twice is refused, nothing changes.
    assert!(matches!(
        report::issue_with(hq.storage(), "2026-10", &qin, options()).await,
        Err(Error::Refused { .. })
    ));
    // An engineer may not issue.
    let wang_user = report::user(hq.storage(), "wang").await.unwrap();
    assert!(matches!(
        report::issue_with(hq.storage(), "2026-09", &wang_user, options()).await,
        Err(Error::Refused { .. })
    ));

    // A phone that was offline brings a complaint received in October.
    let mut zhao = hq.person("zhao", Role::Engineer, None).await;
    let late = zhao.register_case(&registration(&spec(B, "leak", "L-2", at(2026, 10, 25))));
    zhao.sync(&hq).await;

    let october = report::view_with(hq.storage(), "2026-10", options())
        .await
        .unwrap();
    assert!(matches!(october.state, ReportState::Issued { ref by, .. } if by == "li"));
    assert_eq!(
        october.report, issued.report,
        "the issued report never changes"
    );
    let amended: Vec<Uuid> = october.amendments.iter().map(|c| c.case_id).collect();
    assert_eq!(amended, vec![late]);
    assert_eq!(october.report.complaints[0].case_id, first);
    let november = report::generate_with(hq.storage(), "2026-11", options())
        .await
        .unwrap();
    let late_ids: Vec<Uuid> = november.late_records.iter().map(|c| c.case_id).collect();
    assert_eq!(late_ids, vec![late]);
    assert_eq!(november.late_records[0].month, "2026-10");
    assert_eq!(
        november.total, 0,
        "a late record is not November's complaint"
    );

    // Re-opening: quality only, with a reason.
    assert!(matches!(
        report::reopen(hq.storage(), "2026-10", &li, "late case").await,
        Err(Error::Refused { .. })
    ));
    assert!(matches!(
        report::reopen(hq.storage(), "2026-10", &qin, "   ").await,
        Err(Error::Refused { .. })
    ));
    assert!(matches!(
        report::reopen(hq.storage(), "2026-11", &qin, "not issued").await,
        Err(Error::Refused { .. })
    ));
    report::reopen(
        hq.storage(),
        "2026-10",
        &qin,
        "a late case from Zhao's phone",
    )
    .await
    .unwrap();
    let draft = report::view_with(hq.storage(), "2026-10", options())
        .await
        .unwrap();
    assert_eq!(draft.state, ReportState::Draft);
    assert_eq!(draft.report.total, 2);
    let log: Vec<(String, String, Option<String>)> = draft
        .log
        .iter()
        .map(|e| (e.action.clone(), e.by_user.clone(), e.reason.clone()))
        .collect();
    assert_eq!(
        log,
        vec![
            (s("issue"), s("li"), None),
            (
                s("reopen"),
                s("qin"),
                Some(s("a late case from Zhao's phone"))
            )
        ]
    );
    // Re-issued: the late case is October's now, and no longer late for November.
    let again = report::issue_with(hq.storage(), "2026-10", &qin, options())
        .await
        .unwrap();
    assert_eq!(again.report.total, 2);
    let october = report::view_with(hq.storage(), "2026-10", options())
        .await
        .unwrap();
    assert!(october.amendments.is_empty());
    assert_eq!(october.log.len(), 3);
    let november = report::generate_with(hq.storage(), "2026-11", options())
        .await
        .unwrap();
    assert!(november.late_records.is_empty());

    // November issued with a late record of October listed: a later report lists it no more.
    let mut sun = hq.person("sun", Role::Engineer, None).await;
    let later = sun.register_case(&registration(&spec(B, "leak", "L-3", at(2026, 10, 28))));
    sun.sync(&hq).await;
    let nov = report::issue_with(hq.storage(), "2026-11", &qin, options())
        .await
        .unwrap();
    assert_eq!(
        nov.report
            .late_records
            .iter()
            .map(|c| c.case_id)
            .collect::<Vec<_>>(),
        vec![later]
    );
    let december = report::generate_with(hq.storage(), "2026-12", options())
        .await
        .unwrap();
    assert!(december.late_records.is_empty());
    assert_eq!(
        hq.count("SELECT COUNT(*) FROM quality_reports WHERE status = 'issued'")
            .await,
        2
    );
}

pub async fn a_bad_shipments_file_is_refused_whole(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let refused = report::import_shipments(
        hq.storage(),
        "month,model,quantity\n2026-11,YE3-160M-4,4000\n2026-11,QJ-200,many\n",
    )
    .await;
    match refused {
        Err(Error::BadLine { line, .. }) => assert_eq!(line, 3),
        other => panic!("{other:?}"),
    }
    let text = report::import_shipments(hq.storage(), "month,model,quantity\n2026-13,A,1\n")
        .await
        .unwrap_err()
        .text(Locale::ZhCn);
    assert!(text.starts_with("第 2 行"), "{text}");
    assert_eq!(hq.count("SELECT COUNT(*) FROM shipments").await, 0);
    // A good file, then the same month and model again: replaced, not added.
    report::import_shipments(hq.storage(), "2026-11,A,10\n")
        .await
        .unwrap();
    report::import_shipments(hq.storage(), "2026-11,A,12\n")
        .await
        .unwrap();
    assert_eq!(hq.count("SELECT quantity FROM shipments").await, 12);
}
