//! The demo's last act: a pump that cannot be fixed on site is exchanged. The engineer's phone
//! requests the exchange; at HQ the customer-service manager reviews it and the vice president
//! approves it, which issues the RMA number; the number syncs to the warehouse's tablet, which
//! takes the pump in with the receiving checks A–G and re-inspects it (bad: scrapped); the
//! phone asks for the replenishment notice, the manager approves it, the customer confirms the
//! replacement and the case closes, with phone, warehouse tablet and HQ desk holding the same
//! case.

use std::path::Path;

use chrono::{Duration, Local};
use fieldcore::{
    CaseView, Cause, Channel, Command, ConfirmationInput, CountedItem, CustomerRequest,
    DefectInput, Freight, InspectionResult, Market, Outcome, Packing, ProofOfPurchase,
    ReceiptInput, ReceiptOutcome, ReceivingCheck, Registration, ReturnItem, ReturnKind,
    ReturnRequestInput, ReturnState, Timestamp,
};
use fieldcore::{CheckNote, Localized, Role as CoreRole};
use fieldhq::Role;
use fieldhq::returns::{ReturnDecided, ReturnDecision};

use super::hq::{Device, Hq};
use crate::error::{CliError, DemoFailure, Result};
use crate::output::{Printer, locale};

const MODEL: &str = "QJ-200";
const SERIAL: &str = "QJ200-2609-0042";
const CS_MANAGER: &str = "zhao.min";
const VP: &str = "liu.yang";
const WAREHOUSE: &str = "sun.li";

/// Runs the exchange with the main job's HQ, phone and HQ desk, and a new warehouse tablet.
pub(super) fn run(
    hq: &Hq,
    url: &str,
    folder: &Path,
    phone: &mut Device,
    desk: &mut Device,
    out: &Printer,
) -> Result<()> {
    let l = locale();
    hq.add_user(CS_MANAGER, Role::CsManager)?;
    hq.add_user(VP, Role::Vp)?;
    let token = hq.device_for(WAREHOUSE, Role::Warehouse, None)?;
    let mut warehouse = Device::open(
        l.pick("仓库平板", "warehouse tablet"),
        folder.join("warehouse.db"),
        WAREHOUSE,
        Role::Warehouse,
        url,
        token,
    )?;

    out.line(l.pick(
        "7. 另一位客户的水泵无法在现场修复：服务工程师在手机上申请换货并同步",
        "7. A pump at another customer cannot be fixed on site: the engineer requests an \
         exchange on the phone and syncs",
    ))?;
    out.line(&l.pick(
        format!(
            "    总部用户：客户服务部经理 {CS_MANAGER}，主管副总经理 {VP}；仓库 {WAREHOUSE}（仓库平板）"
        ),
        format!(
            "    HQ users: customer-service manager {CS_MANAGER}, vice president {VP}; \
             warehouse {WAREHOUSE} (warehouse tablet)"
        ),
    ))?;
    let now = phone.store.now();
    let case = phone.store.register(&pump_complaint(now, "li.wei"))?.id;
    out.line(&l.pick(
        format!("    {}：登记案件 {case}（{MODEL} 潜水泵）", phone.name),
        format!(
            "    {}: registered case {case} ({MODEL} submersible pump)",
            phone.name
        ),
    ))?;
    phone.run(case, Command::Acknowledge { note: None }, out)?;
    phone.run(case, Command::ArriveOnSite, out)?;
    phone.run(
        case,
        Command::ConfirmDefect(DefectInput {
            cause: Cause::DesignManufacturing,
            findings: "Volute casing cracked along a casting seam; impeller rubs the casing".into(),
            measurements: vec![],
            major_incident: false,
            evidence_photos: vec![],
        }),
        out,
    )?;
    phone.run(
        case,
        Command::DecideWarranty {
            evidence_photos: vec![],
            charge: None,
        },
        out,
    )?;
    let view = phone.run(
        case,
        Command::RequestReturn(ReturnRequestInput {
            kind: ReturnKind::Exchange,
            items: vec![ReturnItem {
                model: MODEL.into(),
                serial: Some(SERIAL.into()),
                quantity: 1,
                reason: "Cracked volute casing".into(),
                fault: "Casing cracked at the casting seam; the pump leaks and the impeller rubs"
                    .into(),
            }],
            freight: Freight::Company,
            why_not_on_site: "The casing is cast in one piece with the motor flange; it cannot \
                              be replaced on site"
                .into(),
            window_override: None,
        }),
        out,
    )?;
    if let Some(r) = view.returns.first() {
        out.line(&format!("    {}", r.window.text(l)))?;
    }
    phone.sync(out)?;

    out.line(l.pick(
        "8. 总部审批：客户服务部经理审核，主管副总经理批准；总部签发退货编号",
        "8. HQ decides: the customer-service manager reviews, the vice president approves; \
         HQ issues the RMA number",
    ))?;
    let case_ref = case.to_string();
    let note = |text: &str| ReturnDecision::Approve {
        note: Some(text.to_owned()),
    };
    let reviewed = hq.decide_return(
        &case_ref,
        CS_MANAGER,
        note("Warranty case, casting defect"),
        phone.store.now(),
    )?;
    decided(out, &reviewed)?;
    let approved = hq.decide_return(&case_ref, VP, note("Exchange"), phone.store.now())?;
    decided(out, &approved)?;
    let Some(number) = approved.rma_number.clone() else {
        return Err(CliError::Demo(DemoFailure::NoRmaNumber));
    };
    phone.sync(out)?;
    let shown = phone
        .store
        .case(case)?
        .returns
        .first()
        .and_then(|r| r.rma.as_ref().map(|n| n.number.clone()))
        .unwrap_or_default();
    out.line(&l.pick(
        format!("    手机上现已显示退货编号 {shown}"),
        format!("    phone now shows the RMA number {shown}"),
    ))?;

    out.line(l.pick(
        "9. 仓库平板同步，凭退货编号接收水泵并做退货异常检查，然后复检",
        "9. The warehouse tablet syncs, receives the pump against the RMA number with the \
         receiving checks, and re-inspects it",
    ))?;
    warehouse.sync(out)?;
    let view = warehouse.run(
        case,
        Command::ReceiveReturn(ReceiptInput {
            rma_number: Some(number.clone()),
            counted: vec![CountedItem {
                model: MODEL.into(),
                serial: Some(SERIAL.into()),
                quantity: 1,
            }],
            packing: Packing::AsRequired,
            labelled: true,
            sorted: true,
            defect_marked: false,
            photos: vec![],
            notes: vec![CheckNote {
                check: ReceivingCheck::G,
                note: "No defect tag on the pump; the fault is taken from the request".into(),
                photo: None,
            }],
            outcome: ReceiptOutcome::Accepted,
            refusal_reason: None,
        }),
        out,
    )?;
    let (receipt, line) = {
        let r = view
            .returns
            .first()
            .ok_or(CliError::Demo(DemoFailure::NoRmaNumber))?;
        let receipt = r
            .receipts
            .last()
            .ok_or(CliError::Demo(DemoFailure::NoRmaNumber))?;
        out.text(&indent(&crate::rma::receipt_text(receipt, false)))?;
        (
            receipt.id.clone(),
            crate::rma::return_line(r, warehouse.store.now()),
        )
    };
    out.text(&indent(&indent(&line)))?;
    warehouse.run(
        case,
        Command::InspectReturnUnit {
            receipt,
            unit: SERIAL.into(),
            result: InspectionResult::Bad {
                reason: "Casting porosity along the volute seam; not repairable".into(),
                nonconformance: Some("NCR-2612-0031".into()),
            },
        },
        out,
    )?;
    warehouse.sync(out)?;

    out.line(l.pick(
        "10. 手机同步后申请补货通知；客户服务部经理在总部批准",
        "10. The phone syncs and requests the replenishment notice; the customer-service \
         manager approves it at HQ",
    ))?;
    phone.sync(out)?;
    phone.run(
        case,
        Command::RequestReplenishment {
            request: number.clone(),
            note: "Ship one QJ-200 from the Wuxi stock".into(),
        },
        out,
    )?;
    phone.sync(out)?;
    let replenished = hq.decide_return(&case_ref, CS_MANAGER, note("Ship"), phone.store.now())?;
    decided(out, &replenished)?;
    phone.sync(out)?;

    out.line(l.pick(
        "11. 客户确认收到换货；服务工程师结案；各方同步",
        "11. The customer confirms the replacement; the engineer closes the case; everyone \
         syncs",
    ))?;
    phone.run(
        case,
        Command::ConfirmReplacement {
            request: number.clone(),
            note: "New pump installed and running".into(),
        },
        out,
    )?;
    phone.run(
        case,
        Command::Resolve {
            outcome: Outcome::Exchanged,
            summary: format!("Pump exchanged under {number}; the new unit runs quietly"),
        },
        out,
    )?;
    phone.run(
        case,
        Command::ConfirmCustomer(ConfirmationInput {
            customer_name: "Qian Jun".into(),
            accepted: true,
            reason: None,
            signature_hash: None,
        }),
        out,
    )?;
    phone.run(case, Command::Close, out)?;
    phone.sync(out)?;
    warehouse.sync(out)?;
    desk.sync(out)?;

    let on_phone = phone.store.case(case)?;
    let on_warehouse = warehouse.store.case(case)?;
    let on_desk = desk.store.case(case)?;
    let same = on_phone == on_warehouse && on_warehouse == on_desk;
    let done = return_done(&on_phone);
    out.line(&l.pick(
        format!(
            "12. 数据一致性检查：手机、仓库平板和总部工作台显示的换货案件是否相同：{}；换货 {number} {}",
            if same { "是" } else { "否" },
            if done { "已完成" } else { "未完成" }
        ),
        format!(
            "12. Converged: phone, warehouse tablet and HQ desk show the same exchange: {}; \
             exchange {number} {}",
            if same { "yes" } else { "NO" },
            if done { "done" } else { "NOT done" }
        ),
    ))?;
    if !same {
        return Err(CliError::Demo(DemoFailure::NotConverged));
    }
    if !done {
        return Err(CliError::Demo(DemoFailure::ReturnNotDone));
    }
    out.text(&indent(&crate::rma::returns_text(
        &on_phone,
        phone.store.now(),
    )))
}

fn return_done(view: &CaseView) -> bool {
    view.returns
        .first()
        .is_some_and(|r| r.state == ReturnState::Done)
}

/// One HQ decision as the story tells it: who, in which role, which step, and the RMA number
/// when the decision issued one.
fn decided(out: &Printer, d: &ReturnDecided) -> Result<()> {
    let l = locale();
    let r = &d.record;
    let role = r.role.as_deref().unwrap_or("");
    let role_zh = CoreRole::parse(role).map_or_else(|| role.to_owned(), |x| x.text(l));
    let step = r.step.as_deref().unwrap_or("");
    let step_zh = match step {
        "review" => "审核",
        "approve" => "批准",
        other => other,
    };
    let what_zh = if r.kind == "replenishment" {
        "补货通知"
    } else {
        "换货申请"
    };
    let what = if r.kind == "replenishment" {
        "replenishment notice"
    } else {
        "exchange request"
    };
    let verdict = if r.approved {
        l.pick("通过", "approved")
    } else {
        l.pick("驳回", "rejected")
    };
    out.line(&l.pick(
        format!("    总部：{role_zh} {} {step_zh}{what_zh}：{verdict}", r.by),
        format!(
            "    HQ: {} ({role}) {verdict} the {what} at the {step} step",
            r.by
        ),
    ))?;
    if let Some(number) = &d.rma_number {
        out.line(&l.pick(
            format!("    总部签发退货编号 {number}"),
            format!("    HQ issued the RMA number {number}"),
        ))?;
    }
    Ok(())
}

/// Lines of text moved right under the story's step lines.
fn indent(text: &str) -> String {
    text.lines().map(|line| format!("  {line}\n")).collect()
}

/// The pump customer's call: a submersible pump bought twelve days ago, leaking at the casing.
fn pump_complaint(now: Timestamp, user: &str) -> Registration {
    let today = now.with_timezone(&Local).date_naive();
    Registration {
        customer_name: "Wuxi Xishan Water Works".into(),
        customer_phone: "+86 510 8820 1100".into(),
        customer_address: "3 Lakeside Road, Xishan District, Wuxi, Jiangsu".into(),
        region: "Jiangsu".into(),
        home_region: true,
        market: Market::Domestic,
        product_model: MODEL.into(),
        product_category: "pump".into(),
        serial_number: SERIAL.into(),
        manufacture_date: Some(today - Duration::days(70)),
        purchase_date: Some(today - Duration::days(12)),
        proof_of_purchase: ProofOfPurchase::Invoice("32020126-00088412".into()),
        fault_description: "Submersible pump leaks at the casing and grinds; flow down by half"
            .into(),
        customer_request: CustomerRequest::Exchange,
        channel: Channel::Phone,
        received_at: now - Duration::hours(2),
        first_responder: user.to_owned(),
        first_responder_id: None,
        production_batch: None,
    }
}
