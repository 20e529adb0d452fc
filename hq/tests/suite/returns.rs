//! Returns and exchanges at HQ against a real HQ (issue 13): the approval chain by role, RMA
//! numbers gap-free per month under concurrent approvals, rejections, what devices may write,
//! the containers of older cases, and the printed forms.

use std::collections::BTreeMap;

use automerge::ReadDoc;
use automerge::transaction::Transactable;
use fieldcore::testing::t0;
use fieldcore::{
    AckOutcome, ByteBuf, CasePush, Command, CountedItem, Freight, Packing, Payload, ReceiptInput,
    ReceiptOutcome, RejectReason, ReturnItem, ReturnKind, ReturnRequestInput, ReturnState,
};
use fieldhq::returns::{self, ReturnDecision, ReturnFilter};
use fieldhq::{Error, Role};
use uuid::Uuid;

use crate::common::{Backend, TestDevice, TestHq};

const TZ: chrono_tz::Tz = fieldhq::state::DEFAULT_TIME_ZONE;

/// A 1×1 PNG: the thumbnail of the photo on the printed receipt.
const PNG: [u8; 68] = [
    137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 1, 0, 0, 0, 1, 8, 4, 0,
    0, 0, 181, 28, 12, 2, 0, 0, 0, 11, 73, 68, 65, 84, 120, 218, 99, 100, 96, 0, 0, 0, 6, 0, 2, 48,
    129, 208, 47, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130,
];

fn request(kind: ReturnKind, units: u32) -> Command {
    Command::RequestReturn(ReturnRequestInput {
        kind,
        items: vec![ReturnItem {
            model: "YE3-160M-4".into(),
            serial: None,
            quantity: units,
            reason: "bearing seized".into(),
            fault: "noise and heat at full load".into(),
        }],
        freight: Freight::Company,
        why_not_on_site: "the stator must be rewound at the factory".into(),
        window_override: Some("the dealer held the unit for a month".into()),
    })
}

fn approve() -> ReturnDecision {
    ReturnDecision::Approve { note: None }
}

async fn decide(
    hq: &TestHq,
    case: Uuid,
    by: &str,
    decision: ReturnDecision,
) -> fieldhq::Result<returns::ReturnDecided> {
    returns::decide(hq.storage(), &case.to_string(), by, decision, t0(), TZ).await
}

/// HQ's approvers: wu reviews (CS manager), he approves (VP).
async fn approvers(hq: &TestHq) {
    hq.user("wu", Role::CsManager, None).await;
    hq.user("he", Role::Vp, None).await;
}

/// A case with a return request of `kind`, made on wang's phone and synced.
async fn requested(hq: &TestHq, wang: &mut TestDevice, kind: ReturnKind) -> Uuid {
    let case = wang.register();
    wang.execute(case, &request(kind, 2));
    wang.sync(hq).await;
    case
}

fn the_month() -> String {
    fieldhq::numbering::month_of(&t0().with_timezone(&TZ))
}

pub async fn the_return_chain_is_decided_in_order_by_its_roles(backend: Backend) {
    let hq = TestHq::start(backend).await;
    approvers(&hq).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let case = requested(&hq, &mut wang, ReturnKind::Exchange).await;

    // The VP may not decide before the CS manager's review; an engineer never decides.
    for by in ["he", "wang"] {
        let refused = decide(&hq, case, by, approve()).await.unwrap_err();
        let text = refused.to_string();
        assert!(
            text.contains("approval by the wrong role refused at HQ")
                && text.contains("cs_manager"),
            "{text}"
        );
        let zh = refused.text(fieldcore::Locale::ZhCn);
        assert!(zh.contains("客户服务部经理"), "{zh}");
    }
    let waiting = returns::list(
        hq.storage(),
        ReturnFilter {
            waiting_for: Some("cs-manager".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].waiting_step.as_deref(), Some("review"));

    let reviewed = decide(&hq, case, "wu", approve()).await.unwrap();
    assert_eq!(reviewed.record.step.as_deref(), Some("review"));
    assert_eq!(reviewed.record.role.as_deref(), Some("cs_manager"));
    assert_eq!(reviewed.rma_number, None, "a review issues no number");
    let refused = decide(&hq, case, "wu", approve()).await.unwrap_err();
    assert!(
        refused.to_string().contains("is decided by vp"),
        "{refused}"
    );

    let approved = decide(&hq, case, "he", approve()).await.unwrap();
    let number = format!("R{}-0001", the_month());
    assert_eq!(approved.rma_number.as_deref(), Some(number.as_str()));
    assert_eq!(approved.case_number, wang.numbers.get(&case).cloned());

    // The phone pulls both steps and the number.
    wang.sync(&hq).await;
    let view = wang.view(case);
    let ret = &view.returns[0];
    assert_eq!(ret.state, ReturnState::AwaitingGoods);
    assert_eq!(
        ret.rma.as_ref().map(|r| r.number.as_str()),
        Some(number.as_str())
    );
    assert_eq!(ret.steps[0].decision.as_ref().unwrap().by, "wu");
    assert_eq!(ret.steps[1].decision.as_ref().unwrap().by, "he");
    let listed = returns::list(
        hq.storage(),
        ReturnFilter {
            rma_number: Some(number.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state, "awaiting_goods");
    assert_eq!(listed[0].waiting_role, None);

    // The exchange's replenishment notice waits for the CS manager alone (its own chain).
    wang.execute(
        case,
        &Command::RequestReplenishment {
            request: number.clone(),
            note: "ship a YE3-160M-4 from the Wuxi stock".into(),
        },
    );
    wang.sync(&hq).await;
    assert!(decide(&hq, case, "he", approve()).await.is_err());
    let notice = decide(&hq, case, "wu", approve()).await.unwrap();
    assert_eq!(notice.record.kind, "replenishment");
    assert_eq!(notice.rma_number, None);
    wang.sync(&hq).await;
    assert!(wang.view(case).returns[0].replenishment[0].approved);
    let none = decide(&hq, case, "wu", approve()).await.unwrap_err();
    assert!(none.to_string().contains("no return"), "{none}");
}

pub async fn a_rejection_ends_the_request_and_the_requester_sees_why(backend: Backend) {
    let hq = TestHq::start(backend).await;
    approvers(&hq).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let case = requested(&hq, &mut wang, ReturnKind::Return).await;
    let before = hq.log_len().await;
    let blank = ReturnDecision::Reject {
        reason: "  ".into(),
    };
    assert!(
        matches!(
            decide(&hq, case, "wu", blank).await,
            Err(Error::Refused { .. })
        ),
        "a rejection needs a reason"
    );
    assert_eq!(hq.log_len().await, before, "nothing was written");
    let reason = "repairable on site: replace the bearing";
    let rejected = decide(
        &hq,
        case,
        "wu",
        ReturnDecision::Reject {
            reason: reason.into(),
        },
    )
    .await
    .unwrap();
    assert!(!rejected.record.approved);
    assert_eq!(rejected.rma_number, None);
    assert!(
        decide(&hq, case, "he", approve()).await.is_err(),
        "the request ended: nothing waits for the VP"
    );
    wang.sync(&hq).await;
    let ret = &wang.view(case).returns[0];
    assert_eq!(ret.state, ReturnState::Rejected);
    assert_eq!(ret.rma, None);
    let decision = ret.steps[0].decision.as_ref().unwrap();
    assert_eq!(decision.reason.as_deref(), Some(reason));
    let listed = returns::list(
        hq.storage(),
        ReturnFilter {
            state: Some("rejected".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].rma_number, None);
}

/// Many cases approved at once by several HQ sessions: the month's numbers are 1..=N, none
/// missing and none twice.
pub async fn rma_numbers_are_gap_free_under_concurrent_approvals(backend: Backend) {
    const CASES: usize = 24;
    let hq = TestHq::start(backend).await;
    approvers(&hq).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let cases: Vec<Uuid> = (0..CASES)
        .map(|_| {
            let case = wang.register();
            wang.execute(case, &request(ReturnKind::Return, 1));
            case
        })
        .collect();
    wang.sync(&hq).await;
    for case in &cases {
        decide(&hq, *case, "wu", approve()).await.unwrap();
    }
    let storage = hq.storage().clone();
    let tasks: Vec<_> = cases
        .iter()
        .map(|case| {
            let storage = storage.clone();
            let case = case.to_string();
            tokio::spawn(async move {
                returns::decide(&storage, &case, "he", approve(), t0(), TZ).await
            })
        })
        .collect();
    let mut numbers = Vec::new();
    for task in tasks {
        let decided = task.await.unwrap().unwrap();
        numbers.push(decided.rma_number.unwrap());
    }
    numbers.sort();
    let month = the_month();
    let expected: Vec<String> = (1..=CASES)
        .map(|n| fieldcore::format_rma_number(&month, n as u32))
        .collect();
    assert_eq!(numbers, expected);
    // Each case holds its own number, as the phone pulls it.
    wang.sync(&hq).await;
    let mut held: Vec<String> = cases
        .iter()
        .map(|c| wang.view(*c).returns[0].rma.clone().unwrap().number)
        .collect();
    held.sort();
    assert_eq!(held, expected);
}

/// A receipt is the warehouse's or a technician's; approvals and RMA numbers are HQ's. HQ
/// refuses each out-of-role push for its case alone.
pub async fn devices_may_not_write_receipts_or_hqs_return_records(backend: Backend) {
    let hq = TestHq::start(backend).await;
    approvers(&hq).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let case = requested(&hq, &mut wang, ReturnKind::Return).await;
    decide(&hq, case, "wu", approve()).await.unwrap();
    let number = decide(&hq, case, "he", approve())
        .await
        .unwrap()
        .rma_number
        .unwrap();
    wang.sync(&hq).await;
    let other = wang.register();
    wang.sync(&hq).await;

    // The engineer records goods received (the core on a phone would refuse; this one does not
    // know its role): HQ rejects that case, and applies the other case's note.
    wang.execute(case, &receive(Some(&number), vec![]));
    wang.note(other, "customer called back");
    let response = wang.exchange(&hq, &wang.request()).await;
    let by_case: BTreeMap<Uuid, AckOutcome> = wang
        .request()
        .pushes
        .iter()
        .map(|p| p.case_id)
        .zip(response.acks.iter().cloned())
        .collect();
    assert!(
        matches!(
            by_case[&case],
            AckOutcome::Rejected {
                reason: RejectReason::NotPermitted,
                ..
            }
        ),
        "{by_case:?}"
    );
    assert_eq!(by_case[&other], AckOutcome::Applied);

    // A warehouse tablet takes the same receipt in.
    let mut zhou = hq.person("zhou", Role::Warehouse, None).await;
    zhou.sync(&hq).await;
    zhou.execute(case, &receive(Some(&number), vec![]));
    let response = zhou.exchange(&hq, &zhou.request()).await;
    assert_eq!(response.acks, vec![AckOutcome::Applied]);

    // Into HQ's maps, from the warehouse tablet: refused.
    let mut zhou = hq.device("zhou").await;
    zhou.sync(&hq).await;
    for map in [fieldcore::APPROVALS, fieldcore::RMA] {
        let mut doc = zhou.docs[&case].clone();
        doc.set_actor(zhou.actor.clone());
        let heads = doc.get_heads();
        let mut tx = doc.transaction();
        let (_, obj) = tx.get(automerge::ROOT, map).unwrap().unwrap();
        tx.put(&obj, "forged", "{\"number\":\"R9999-9999\"}")
            .unwrap();
        tx.commit();
        let change = doc.get_changes(&heads)[0].raw_bytes().to_vec();
        let mut request = zhou.request();
        request.pushes = vec![CasePush {
            case_id: case,
            payload: Payload::Changes(vec![ByteBuf::from(change)]),
        }];
        let response = zhou.exchange(&hq, &request).await;
        assert!(
            matches!(
                response.acks[0],
                AckOutcome::Rejected {
                    reason: RejectReason::NotPermitted,
                    ..
                }
            ),
            "{map}: {:?}",
            response.acks
        );
    }
}

fn receive(number: Option<&str>, photos: Vec<String>) -> Command {
    Command::ReceiveReturn(ReceiptInput {
        rma_number: number.map(str::to_owned),
        counted: vec![CountedItem {
            model: "YE3-160M-4".into(),
            serial: None,
            quantity: 2,
        }],
        packing: Packing::NotAsRequired,
        labelled: true,
        sorted: true,
        defect_marked: false,
        photos,
        notes: vec![],
        outcome: ReceiptOutcome::Accepted,
        refusal_reason: None,
    })
}

/// A case document as an app from before returns made it: every container but the three of
/// returns, copied from a current one in one change of the device's actor.
fn older_case(device: &mut TestDevice) -> Uuid {
    let case = device.register();
    let current = device.docs.remove(&case).unwrap();
    let mut old = automerge::Automerge::new();
    old.set_actor(device.actor.clone());
    let mut tx = old.transaction();
    copy_map(&current, &automerge::ROOT, &mut tx, &automerge::ROOT, true);
    tx.commit();
    device
        .outbox
        .insert(case, crate::common::chunks_after(&old, &[]));
    device.docs.insert(case, old);
    case
}

fn copy_map(
    from: &automerge::Automerge,
    obj: &automerge::ObjId,
    tx: &mut automerge::transaction::Transaction<'_>,
    to: &automerge::ObjId,
    root: bool,
) {
    for item in from.map_range(obj, ..) {
        let key = item.key.to_string();
        if root && fieldcore::RETURN_CONTAINERS.contains(&key.as_str()) {
            continue;
        }
        match item.value {
            automerge::ValueRef::Object(automerge::ObjType::Map) => {
                let child = tx.put_object(to, &key, automerge::ObjType::Map).unwrap();
                copy_map(from, &item.id(), tx, &child, false);
            }
            value => match value.into_value() {
                automerge::Value::Scalar(s) => {
                    tx.put(to, &key, s.into_owned()).unwrap();
                }
                other => panic!("an unexpected value under {key}: {other:?}"),
            },
        }
    }
}

pub async fn hq_adds_the_return_containers_to_an_older_case(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let case = older_case(&mut wang);
    assert!(!wang.view(case).has_returns);
    assert!(
        wang.try_execute(case, &request(ReturnKind::Return, 1))
            .is_err(),
        "no device makes the containers itself"
    );
    let first = wang.exchange(&hq, &wang.request()).await;
    assert_eq!(first.acks, vec![AckOutcome::Applied], "{first:?}");
    wang.apply(&wang.request(), &first);
    wang.sync(&hq).await;
    let view = wang.view(case);
    assert!(view.has_returns, "HQ made them and the phone pulled them");
    assert!(view.unknown.is_empty(), "{:?}", view.unknown);
    wang.execute(case, &request(ReturnKind::Return, 1));
    let response = wang.exchange(&hq, &wang.request()).await;
    assert_eq!(response.acks, vec![AckOutcome::Applied]);
    wang.apply(&wang.request(), &response);
    let listed = returns::list(hq.storage(), ReturnFilter::default())
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state, "awaiting_approval");
    assert_eq!(listed[0].waiting_role.as_deref(), Some("cs_manager"));
    // A current case is left as it is: no HQ change for containers it has.
    let current = wang.register();
    wang.sync(&hq).await;
    let before = hq.log_len().await;
    wang.note(current, "checked the wiring");
    wang.sync(&hq).await;
    assert_eq!(hq.log_len().await, before + 1);
}

pub async fn the_forms_print_as_html_and_pdf_with_the_number(backend: Backend) {
    let hq = TestHq::start(backend).await;
    approvers(&hq).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let case = requested(&hq, &mut wang, ReturnKind::Exchange).await;
    decide(&hq, case, "wu", approve()).await.unwrap();
    let number = decide(&hq, case, "he", approve())
        .await
        .unwrap()
        .rma_number
        .unwrap();
    // The warehouse photographs the goods as they arrive and uploads photo and thumbnail.
    let mut zhou = hq.person("zhou", Role::Warehouse, None).await;
    zhou.sync(&hq).await;
    let photo = b"the crate as it arrived".to_vec();
    let hash = fieldcore::sha256_hex(&photo);
    zhou.execute(
        case,
        &Command::AttachPhoto(fieldcore::PhotoAttachment {
            hash: hash.clone(),
            kind: fieldcore::PhotoKind::Other,
            caption: "crate".into(),
            taken_at: None,
            size: photo.len() as u64,
            width: 640,
            height: 480,
            thumbnail_hash: fieldcore::sha256_hex(&PNG),
            thumbnail_size: PNG.len() as u64,
            gps: None,
        }),
    );
    zhou.execute(case, &receive(Some(&number), vec![hash.clone()]));
    zhou.sync(&hq).await;
    for bytes in [&photo[..], &PNG[..]] {
        let path = format!("/v1/blobs/{}", fieldcore::sha256_hex(bytes));
        let (status, _) = hq
            .send(
                reqwest::Method::PUT,
                &path,
                Some(&zhou.token),
                bytes.to_vec(),
            )
            .await;
        assert!(status.is_success(), "{status}");
    }

    // Taken in: re-inspection is due within 5 days, overdue only after them.
    let overdue_at = |at: chrono::DateTime<chrono::FixedOffset>| ReturnFilter {
        reinspection_overdue_at: Some(at.timestamp()),
        ..Default::default()
    };
    let listed = returns::list(hq.storage(), overdue_at(t0() + chrono::Duration::days(5)))
        .await
        .unwrap();
    assert!(listed.is_empty(), "{listed:?}");
    let listed = returns::list(hq.storage(), overdue_at(t0() + chrono::Duration::days(6)))
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state, "awaiting_inspection");
    assert_eq!(listed[0].units_received, 2);

    let detail = returns::detail(hq.storage(), &number).await.unwrap();
    assert_eq!(detail.case_id, case);
    let blobs = hq.blobs().await;
    let photos = fieldhq::forms::thumbnails(&detail, &blobs).await.unwrap();
    assert_eq!(photos.get(&hash).map(|t| t.mime), Some("image/png"));
    let html = fieldhq::forms::html(&detail, &photos, TZ);
    for label in [
        "产品退换维修单",
        "退货产品接收单",
        "退货产品换货单",
        "客户服务部经理",
        "D 包装不符合要求",
        "G 无任何故障标识",
        number.as_str(),
        "data:image/png;base64,iVBORw0KGgo",
    ] {
        assert!(html.contains(label), "the HTML lacks {label}");
    }
    let text = fieldhq::forms::text(&detail, TZ, fieldcore::Locale::En);
    assert!(
        text.contains("Return receipt") && text.contains(&number),
        "{text}"
    );

    let Ok(font) = fieldhq::forms::load_font(None) else {
        panic!(
            "no CJK font at {:?}: install fonts-wqy-microhei (tests/run.sh does)",
            fieldhq::forms::DEFAULT_FONTS
        );
    };
    let pdf = fieldhq::forms::pdf(&detail, &photos, &font, TZ).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rma.pdf");
    std::fs::write(&file, &pdf).unwrap();
    // pdftotext (poppler-utils, which tests/run.sh installs) reads back what a person sees.
    let out = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext runs (poppler-utils)");
    assert!(out.status.success());
    let extracted = String::from_utf8_lossy(&out.stdout);
    for label in [
        "产品退换维修单",
        "退货产品接收单",
        "退货产品换货单",
        number.as_str(),
    ] {
        assert!(
            extracted.contains(label),
            "the PDF text lacks {label}: {extracted}"
        );
    }
    assert!(
        matches!(
            fieldhq::forms::load_font(Some(&dir.path().join("none.ttf"))),
            Err(Error::Refused { .. })
        ),
        "a missing font is a clear refusal"
    );
}

/// `fieldhq rma` in both languages: the list, a refusal of the wrong role, the chain's two
/// approvals with the number issued, `show`, and `print` as HTML and PDF.
pub async fn the_rma_commands_decide_list_and_print_in_both_languages(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let case = requested(&hq, &mut wang, ReturnKind::Exchange).await;
    let case_number = wang.numbers[&case].clone();
    let config = hq.config.storage();
    let out_dir = tempfile::tempdir().unwrap();
    let html_file = out_dir.path().join("forms.html");
    let pdf_file = out_dir.path().join("forms.pdf");
    let (html_path, pdf_path) = (html_file.clone(), pdf_file.clone());
    let outputs = tokio::task::spawn_blocking(move || {
        let run = |lang: &str, args: &[&str]| {
            let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_fieldhq"));
            command
                .arg("--data")
                .arg(&config.data_dir)
                .args(["--lang", lang]);
            if let Some(url) = &config.database_url {
                command.arg("--database-url").arg(url);
            }
            let output = command
                .args(args)
                .env_remove("FIELDHQ_TIME_ZONE")
                .output()
                .unwrap();
            (
                output.status.success(),
                String::from_utf8(output.stdout).unwrap(),
                String::from_utf8(output.stderr).unwrap(),
            )
        };
        let ok = |lang: &str, args: &[&str]| {
            let (success, out, err) = run(lang, args);
            assert!(success, "fieldhq {args:?}: {err}");
            out
        };
        ok("en", &["user", "add", "wu", "--role", "cs-manager"]);
        ok("zh-CN", &["user", "add", "he", "--role", "vp"]);
        let waiting = ok("zh-CN", &["rma", "list", "--waiting-for", "cs-manager"]);
        let refused = (
            run("zh-CN", &["rma", "approve", &case_number, "--by", "he"]),
            run("en", &["rma", "approve", &case_number, "--by", "he"]),
        );
        let review = ok("en", &["rma", "approve", &case_number, "--by", "wu"]);
        let approve = ok("zh-CN", &["rma", "approve", &case_number, "--by", "he"]);
        let number = approve
            .split_whitespace()
            .find_map(|w| w.strip_prefix("已发放退货编号（RMA）"))
            .map(str::to_owned)
            .unwrap_or_default();
        let show = ok("en", &["rma", "show", &number]);
        let listed = ok("en", &["rma", "list", "--json"]);
        let html = ok(
            "zh-CN",
            &[
                "rma",
                "print",
                &number,
                "--out",
                html_path.to_str().unwrap(),
            ],
        );
        let pdf = ok(
            "en",
            &[
                "rma",
                "print",
                &number,
                "--format",
                "pdf",
                "--out",
                pdf_path.to_str().unwrap(),
            ],
        );
        let no_font = run(
            "zh-CN",
            &[
                "rma",
                "print",
                &number,
                "--format",
                "pdf",
                "--font",
                "/nonexistent.ttf",
            ],
        );
        (
            waiting, refused, review, approve, number, show, listed, html, pdf, no_font,
        )
    })
    .await
    .unwrap();
    let (waiting, refused, review, approve, number, show, listed, html, pdf, no_font) = outputs;
    assert!(
        waiting.contains("待审批") && waiting.contains("客户服务部经理"),
        "{waiting}"
    );
    assert!(waiting.ends_with("1 条退换货\n"), "{waiting}");
    let ((zh_ok, _, zh_err), (en_ok, _, en_err)) = refused;
    assert!(!zh_ok && !en_ok);
    assert!(zh_err.contains("总部拒绝了错误角色的审批"), "{zh_err}");
    assert!(
        en_err.contains("approval by the wrong role refused at HQ"),
        "{en_err}"
    );
    assert!(
        review.starts_with("step review of return request"),
        "{review}"
    );
    assert!(review.contains("approved by wu"), "{review}");
    assert!(approve.contains("已由 he 批准"), "{approve}");
    assert!(
        number.starts_with('R') && number.ends_with("-0001"),
        "{approve}"
    );
    assert!(show.contains("Return, exchange and repair slip"), "{show}");
    assert!(show.contains(&number), "{show}");
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed[0]["rma_number"], number.as_str());
    assert_eq!(listed[0]["state"], "awaiting_goods");
    assert!(html.contains(html_file.to_str().unwrap()), "{html}");
    let html = std::fs::read_to_string(&html_file).unwrap();
    assert!(html.contains("产品退换维修单") && html.contains(&number));
    assert!(
        pdf.starts_with(&format!("the forms of {number} written to")),
        "{pdf}"
    );
    assert!(std::fs::read(&pdf_file).unwrap().starts_with(b"%PDF"));
    let (font_ok, _, font_err) = no_font;
    assert!(!font_ok);
    assert!(font_err.contains("找不到含中文字形的字体"), "{font_err}");
}
