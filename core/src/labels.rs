//! The names of the case's vocabulary (statuses, causes, channels, outcomes, ...) in both
//! locales. English keeps the machine names the CLI accepts and prints (`visit_scheduled`), so
//! English output and scripts that read it stay as they were; Chinese uses the procedures'
//! own terms (故障鉴定, 三包, 退货).

use crate::case::text::name;
use crate::locale::{Locale, Localized};
use crate::model::{
    CaseStatus, Cause, Channel, CustomerRequest, Market, Outcome, PhotoKind, Status,
};

impl Localized for Status {
    fn text(&self, locale: Locale) -> String {
        let zh = match self {
            Status::Registered => "已登记",
            Status::Acknowledged => "已受理",
            Status::VisitScheduled => "已安排上门",
            Status::OnSite => "现场服务中",
            Status::DefectConfirmed => "已完成故障鉴定",
            Status::WarrantyDecided => "已判定三包",
            Status::Resolved => "已处理",
            Status::CustomerConfirmed => "客户已确认",
            Status::Closed => "已结案",
            Status::Reopened => "已重新开启",
        };
        locale.pick(zh, self.as_str()).to_owned()
    }
}

impl Localized for CaseStatus {
    /// A status a newer app wrote is shown as written, with what to do about it.
    fn text(&self, locale: Locale) -> String {
        match self {
            CaseStatus::Known(status) => status.text(locale),
            CaseStatus::Unknown(text) => locale.pick(
                format!("{text}（本版本无法识别：请更新应用）"),
                format!("{text} (UNKNOWN to this version: update the app)"),
            ),
        }
    }
}

impl Localized for Cause {
    fn text(&self, locale: Locale) -> String {
        let zh = match self {
            Cause::DesignManufacturing => "设计或制造原因",
            Cause::StorageTransport => "储存、运输原因",
            Cause::CustomerMisuse => "客户使用不当或其他客户原因",
        };
        locale.pick(zh, self.as_str()).to_owned()
    }
}

impl Localized for Market {
    fn text(&self, locale: Locale) -> String {
        let zh = match self {
            Market::Domestic => "国内",
            Market::Foreign => "国外",
        };
        locale.pick(zh.to_owned(), name(self))
    }
}

impl Localized for Channel {
    fn text(&self, locale: Locale) -> String {
        let zh = match self {
            Channel::Phone => "电话",
            Channel::Email => "电子邮件",
            Channel::Fax => "传真",
            Channel::Letter => "信函",
            Channel::Dealer => "经销商转达",
            Channel::OnSite => "现场",
        };
        locale.pick(zh.to_owned(), name(self))
    }
}

impl Localized for CustomerRequest {
    fn text(&self, locale: Locale) -> String {
        let zh = match self {
            CustomerRequest::Repair => "维修",
            CustomerRequest::Exchange => "换货",
            CustomerRequest::Return => "退货",
            CustomerRequest::Compensation => "赔偿",
        };
        locale.pick(zh.to_owned(), name(self))
    }
}

impl Localized for Outcome {
    fn text(&self, locale: Locale) -> String {
        let zh = match self {
            Outcome::RepairedOnSite => "现场修复",
            Outcome::PartsReplaced => "更换配件",
            Outcome::Exchanged => "换货",
            Outcome::Returned => "退货",
            Outcome::PaidRepair => "有偿维修",
            Outcome::Rejected => "投诉不成立",
        };
        locale.pick(zh.to_owned(), name(self))
    }
}

impl Localized for PhotoKind {
    fn text(&self, locale: Locale) -> String {
        let zh = match self {
            PhotoKind::Nameplate => "铭牌",
            PhotoKind::Serial => "出厂编号",
            PhotoKind::Defect => "故障部位",
            PhotoKind::Invoice => "发票或凭证",
            PhotoKind::Signature => "客户签字",
            PhotoKind::ReturnedGoods => "退回货物",
            PhotoKind::Other => "其他",
        };
        locale.pick(zh, self.as_str()).to_owned()
    }
}

/// 质量问题 or 非质量问题, as the defect confirmation classifies a cause.
pub fn quality_fault_text(quality_fault: bool, locale: Locale) -> String {
    match quality_fault {
        true => locale.pick("质量问题", "quality fault"),
        false => locale.pick("非质量问题", "non-quality fault"),
    }
    .to_owned()
}

/// The commands as the history names them (`decide_warranty`); English keeps the recorded name.
pub const EVENT_ACTIONS: &[(&str, &str)] = &[
    ("register", "登记"),
    ("acknowledge", "受理"),
    ("schedule_visit", "安排上门"),
    ("arrive_on_site", "到达现场"),
    ("confirm_defect", "故障鉴定"),
    ("decide_warranty", "判定三包"),
    ("set_charge", "设定收费"),
    ("set_compensation", "设定赔偿"),
    ("resolve", "登记处理结果"),
    ("record_part", "登记配件"),
    ("reverse_part", "删除配件记录"),
    ("return_old_part", "交回旧件"),
    ("keep_old_part", "旧件留存"),
    ("ship_old_part", "旧件寄回总部"),
    ("report_old_part_lost", "旧件丢失"),
    ("add_note", "添加备注"),
    ("confirm_customer", "客户确认"),
    ("close", "结案"),
    ("reopen", "重新开启"),
    ("update_facts", "修改登记信息"),
    ("attach_photo", "添加照片"),
    ("remove_photo", "删除照片"),
    ("resolve_conflict", "解决冲突"),
    ("correct_facts", "更正登记信息"),
    ("pass_to_qa", "转品保部"),
    ("propose_remedy", "提出处理方案"),
    ("record_report", "提交调查报告"),
    ("agree_deadline", "约定结案日期"),
    ("request_trip", "申请出差"),
    ("emergency_visit", "紧急到场"),
    ("hand_over_first_responder", "移交首问责任人"),
    ("request_return", "申请退换货"),
    ("receive_return", "退货接收"),
    ("amend_receipt", "补充接收记录"),
    ("inspect_return_unit", "退货复检"),
    ("request_replenishment", "申请补货通知"),
    ("confirm_replacement", "客户确认收到换货"),
    ("record_return_analysis", "提交退货分析改善报告"),
];

/// A history entry's action in `locale`; one a newer app recorded is shown as recorded.
pub fn event_action_text(action: &str, locale: Locale) -> String {
    EVENT_ACTIONS
        .iter()
        .find(|(name, _)| *name == action)
        .map_or_else(
            || action.to_owned(),
            |(_, zh)| locale.pick(*zh, action).to_owned(),
        )
}
