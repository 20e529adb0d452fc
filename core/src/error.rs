//! The one error type of the core. Messages name fields and ids, never personal data, so they
//! can be logged and shown as they are: `Display` in English for logs and support,
//! [`Localized::text`] in the user's language for screens and the CLI.

use std::path::PathBuf;

use chrono::NaiveDate;

use crate::locale::{Locale, Localized};
use crate::model::{CaseId, Status};
use crate::rules::lifecycle::Step;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A field of a command is missing or wrong; nothing was written.
    #[error("invalid {field}: {reason}")]
    Validation {
        field: &'static str,
        reason: Invalid,
    },

    #[error("case {0} not found")]
    CaseNotFound(CaseId),

    #[error("entry {0} not found on this case")]
    EntryNotFound(String),

    /// The case was evicted from this device (closed and synced long ago, ADR 0028): its id
    /// is kept, its document is not. `Store::request_case` has the next sync fetch it whole.
    #[error("case {0} was removed from this device after it closed; fetch it again from HQ")]
    Evicted(CaseId),

    /// The lifecycle does not allow this step from the case's current status.
    #[error("cannot {} a case that is {}", .action.as_str(), .from.as_str())]
    InvalidTransition { from: Status, action: Step },

    /// The user's role may not write this field (the table in `rules::authority`); HQ would
    /// refuse the change at sync, so the device refuses it first. Nothing was written.
    #[error("not permitted: {0}")]
    NotPermitted(String),
    /// The case's status was written by a newer version of the app, so this version cannot
    /// tell what the step means from it (ADR 0009). Nothing was written; updating the app
    /// makes the step possible again.
    #[error(
        "cannot {} a case whose status `{status}` comes from a newer version of the app; update the app",
        .action.as_str()
    )]
    UnknownStatus { status: String, action: Step },

    /// Two replicas set this decision concurrently; a person must resolve it first.
    #[error("{field} has concurrent values; resolve the conflict first")]
    Conflict { field: String },

    /// A step that relies on the warranty decision, refused because the decision was made on
    /// registration facts corrected since; `StaleStep` words it in either locale.
    #[error("{}", crate::case::correction_text::CorrectionText::RefusedWhileStale(*.0).text(crate::locale::Locale::En))]
    StaleWarranty(crate::case::correction_text::StaleStep),

    /// The database file could not be opened as a database; it was moved aside, not deleted.
    #[error("database could not be opened ({reason}); it was moved to {}", .moved_to.display())]
    CorruptDatabase { moved_to: PathBuf, reason: String },

    /// The database was written by a newer version of the app.
    #[error("database schema version {found} is newer than this app supports ({supported})")]
    NewerSchema { found: i64, supported: i64 },

    /// A stored case document could not be read back.
    #[error("stored document of case {case_id} is damaged: {reason}")]
    CorruptDocument { case_id: CaseId, reason: String },

    /// A document from another replica could not be merged.
    #[error("document could not be merged: {0}")]
    InvalidDocument(String),

    /// A photo in a format the device does not read (HEIC, TIFF, ...); convert it on the
    /// platform (to JPEG) before importing.
    #[error("unsupported photo format {format}: {hint}")]
    UnsupportedPhoto { format: String, hint: String },

    /// Photo bytes that cannot be decoded (truncated, damaged, not an image).
    #[error("photo could not be read: {0}")]
    InvalidPhoto(crate::photo::text::PhotoText),

    /// A photo whose size would need more pixels or memory than the policy allows.
    #[error("photo too large: {0}")]
    PhotoTooLarge(crate::photo::text::PhotoText),

    /// HQ could not be reached, or kept failing, after the retries.
    #[error("network error: {0}")]
    Network(String),

    /// HQ refused this device: a wrong or revoked token, or a write it may not make.
    #[error("refused by HQ: {0}")]
    Unauthorized(String),

    /// HQ and the device do not understand each other (a malformed or oversized message, an
    /// unsupported protocol version).
    #[error("sync protocol error: {0}")]
    Protocol(String),

    /// The caller cancelled the operation; what was stored before stays stored.
    #[error("cancelled")]
    Cancelled,

    #[error("storage error: {0}")]
    Storage(#[from] rusqlite::Error),

    #[error("file system error: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    pub(crate) fn validation(field: &'static str, reason: Invalid) -> Error {
        Error::Validation { field, reason }
    }
}

/// Why an input was refused: one variant per rule, so a form can show it in the user's
/// language next to the field. `Display` is the English reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    Required,
    TooLong {
        max_bytes: usize,
    },
    RequiredWithProofOfPurchase,
    InTheFuture,
    AfterReceived,
    AfterPurchase,
    NotFinite,
    AtLeastOne,
    /// A number above what the field can hold (a platform's signed number for an unsigned
    /// one, say an EXIF orientation of 300).
    AtMost {
        max: i64,
    },
    OldPartNotKept,
    Negative,
    NotCurrencyCode,
    NotPhotoHash,
    NotPhoneNumber,
    /// A date that is not `YYYY-MM-DD`.
    NotDate,
    /// A timestamp that is not RFC 3339 with a UTC offset.
    NotTimestamp,
    /// A case id that is not a UUID.
    NotCaseId,
    DefectNotConfirmed,
    CoveredNotCharged,
    CoveredNotPaidRepair,
    NotDecisionField,
    PartLineRemoved,
    NoOldPartKept,
    OldPartReturned,
    NothingToUpdate,
    /// The same photo (the same normalised bytes) is attached already; `added_at` is when.
    PhotoAlreadyOnCase {
        added_at: String,
    },
    PhotoNotOnCase,
    PhotoNotImported,
    NoConflict,
    ChoiceOutOfRange {
        alternatives: usize,
    },
    ReceivedBeforePurchase {
        received: NaiveDate,
        purchase: NaiveDate,
    },
    PeriodBeyondDates {
        purchase: NaiveDate,
        months: u32,
    },
    HashMismatch,
    NoCertificate,
    BadCertificate {
        detail: String,
    },
    NoFolder,
    NoCaseMatches,
    SeveralCasesMatch,
    PageTooLarge {
        max: u32,
    },
    NotCursor,
    UnknownLanguage,
    /// A deadline command refused (passing to QA twice, a report before the investigation, an
    /// agreed date before the round).
    Deadline(crate::case::plan_deadlines::DeadlineRefusal),
    NoCorrection,
    InvoicePhotoWithoutProof,
    TripNotApproved,
    TripAlreadyWaiting,
    NotHqUser,
    AlreadyFirstResponder,
    /// A quarter that is not written `YYYYQn` (`2026Q4`).
    NotQuarter,
    /// A stock movement of a write-off dated outside the quarter it is booked in (or, for a
    /// correction, outside the earlier quarter it corrects).
    OutsideQuarter {
        at: String,
        quarter: String,
    },
    /// An id given twice where each must be unique (a movement, a part line, an old-part tag).
    DuplicateId {
        id: String,
    },
    /// An amount of money that is not a decimal number of yuan with at most two places.
    NotAmount,
    /// A capture time the platform handed over that is not `YYYY-MM-DDTHH:MM:SS` with an
    /// optional UTC offset.
    NotCaptureTime,
    /// A latitude outside ±90° or a longitude outside ±180°, or not a number.
    NotCoordinate,
    /// The case was registered before returns existed and HQ has not prepared it yet.
    CaseBeforeReturns,
    /// A count correction of zero units.
    NotZero,
    /// A stock transfer to or from the holder itself.
    TransferToSelf,
    /// One old-part tag listed twice on a shipment.
    DuplicateTag,
    /// Text that is not a stock holder (`center:C01`, `dealer:D07`, `van:wang`).
    NotStockHolder,
    TooMany {
        max: usize,
    },
    OneModelPerReturn,
    /// Outside the return window without a reason to request it anyway.
    OutsideReturnWindow(crate::rules::returns::WindowCheck),
    RefusalNeedsCheck,
    ReceiptRefused,
    UnitNotReceived,
    UnitAlreadyInspected,
    NotAnExchange,
    ReturnRejected,
    ReplenishmentAlreadyRequested,
    ReplenishmentNotApproved,
    ReplacementAlreadyConfirmed,
    /// The case has a return still open; it closes once every return is done or rejected.
    ReturnOpen {
        rma_number: Option<String>,
        state: crate::case::returns::ReturnState,
    },
    /// HQ's `parts` catalog is malformed (HQ refuses to publish it).
    PartsCatalog(crate::rules::parts_catalog::CatalogProblem),
    /// A part off the catalog (`listed`: in it, but not for this product) needs a reason.
    OffCatalogNeedsReason {
        part_number: String,
        listed: bool,
    },
    /// A loss of this old part is already waiting for HQ's approval.
    LossAwaitingApproval,
    /// A covered case cannot close while an old part's fate is unrecorded or its loss is not
    /// approved: every such line, in line order.
    OldPartsUnaccounted {
        parts: Vec<crate::rules::custody::PartCustody>,
    },
}

impl Invalid {
    /// Both texts side by side, so neither can be missing: (zh-CN, en).
    fn texts(&self) -> (String, String) {
        use Invalid::*;
        let (zh, en): (&str, &str) = match self {
            Required => ("不能为空", "is required"),
            TooLong { max_bytes } => {
                return (
                    format!("超过 {max_bytes} 字节"),
                    format!("is longer than {max_bytes} bytes"),
                );
            }
            RequiredWithProofOfPurchase => (
                "有发票或凭证时必须填写",
                "required when a proof of purchase is given",
            ),
            InTheFuture => ("晚于当前时间", "is in the future"),
            AfterReceived => (
                "晚于收到投诉的日期",
                "is after the date the complaint was received",
            ),
            AfterPurchase => ("晚于购买日期", "is after the purchase date"),
            NotFinite => ("必须是有效数值", "must be a finite number"),
            AtLeastOne => ("至少为 1", "must be at least 1"),
            AtMost { max } => {
                return (format!("不能超过 {max}"), format!("must be at most {max}"));
            }
            OldPartNotKept => (
                "旧件未留存，不应填写旧件序列号",
                "given for an old part that was not kept",
            ),
            Negative => ("不能为负数", "must not be negative"),
            NotCurrencyCode => (
                "必须是三位 ISO 币种代码，如 CNY",
                "must be a 3-letter ISO code such as CNY",
            ),
            NotPhotoHash => (
                "必须是小写十六进制的 SHA-256 哈希值",
                "must be a SHA-256 hash in lowercase hex",
            ),
            NotPhoneNumber => (
                "必须为 5 至 20 位数字，可含 + - ( ) 和空格",
                "must be 5 to 20 digits, optionally with + - ( ) and spaces",
            ),
            NotDate => (
                "应为 YYYY-MM-DD 格式的日期",
                "is not a date in the form YYYY-MM-DD",
            ),
            NotTimestamp => (
                "应为带时区偏移的 RFC 3339 时间（如 2026-11-23T09:30:00+08:00）",
                "is not an RFC 3339 timestamp with an offset (2026-11-23T09:30:00+08:00)",
            ),
            NotCaseId => ("不是有效的案件标识（UUID）", "is not a UUID"),
            DefectNotConfirmed => (
                "请先完成故障鉴定，再判定三包",
                "confirm the defect before deciding warranty",
            ),
            CoveredNotCharged => (
                "属于三包范围的维修不收费",
                "a covered repair is not charged",
            ),
            CoveredNotPaidRepair => (
                "属于三包范围的案件不能按有偿维修处理",
                "a covered case is not a paid repair",
            ),
            NotDecisionField => ("不是可判定的字段", "is not a decision field"),
            PartLineRemoved => ("该配件记录已删除", "this part line was already removed"),
            NoOldPartKept => (
                "该配件记录没有留存旧件",
                "this part line has no kept old part",
            ),
            OldPartReturned => ("旧件已交回", "the old part was already returned"),
            NothingToUpdate => ("未指明要修改的字段", "names no field to change"),
            PhotoAlreadyOnCase { added_at } => {
                return (
                    format!("这张照片已附加在本案件中（{added_at} 添加），无需重复导入"),
                    format!(
                        "this photo is already attached to the case (added {added_at}); \
                         there is no need to import it again"
                    ),
                );
            }
            NotCaptureTime => (
                "拍摄时间格式应为 YYYY-MM-DDTHH:MM:SS，可带时区偏移（如 +08:00）",
                "must be YYYY-MM-DDTHH:MM:SS, optionally with a UTC offset such as +08:00",
            ),
            NotCoordinate => (
                "纬度须在 ±90° 之内，经度须在 ±180° 之内",
                "must be a latitude within ±90° and a longitude within ±180°",
            ),
            PhotoNotOnCase => (
                "引用的照片不在本案件中",
                "cites a photo that is not on this case",
            ),
            PhotoNotImported => (
                "请先导入照片再附加到案件",
                "import the photo before attaching it",
            ),
            NoConflict => ("没有需要解决的冲突", "has no conflict to resolve"),
            ChoiceOutOfRange { alternatives } => {
                return (
                    format!("必须小于 {alternatives}"),
                    format!("must be below {alternatives}"),
                );
            }
            ReceivedBeforePurchase { received, purchase } => {
                return (
                    format!("收到投诉的日期 {received} 早于购买日期 {purchase}"),
                    format!("complaint received {received} is before the purchase date {purchase}"),
                );
            }
            PeriodBeyondDates { purchase, months } => {
                return (
                    format!("{purchase} 加 {months} 个月超出了支持的日期范围"),
                    format!("{purchase} plus {months} months is beyond the supported date range"),
                );
            }
            HashMismatch => ("与收到的内容不符", "does not match the bytes received"),
            NoCertificate => ("不含证书", "holds no certificate"),
            BadCertificate { detail } => {
                return (format!("证书无法读取：{detail}"), detail.clone());
            }
            NoFolder => ("没有所在目录", "has no folder"),
            NoCaseMatches => (
                "没有与此编号或标识匹配的案件",
                "no case matches this id or number",
            ),
            SeveralCasesMatch => (
                "匹配到多个案件，请输入更长的标识",
                "matches several cases; give more of the id",
            ),
            PageTooLarge { max } => {
                return (format!("不能超过 {max}"), format!("must be at most {max}"));
            }
            NotCursor => (
                "不是本列表返回的翻页位置",
                "is not a cursor this list returned",
            ),
            UnknownLanguage => ("只能是 zh-CN 或 en", "must be zh-CN or en"),
            Deadline(refusal) => return (refusal.text(Locale::ZhCn), refusal.text(Locale::En)),
            NoCorrection => (
                "未更正任何影响三包判定的登记信息，也未附发票照片",
                "changes no fact that decides warranty and cites no invoice photo",
            ),
            InvoicePhotoWithoutProof => (
                "附发票照片时须登记购买发票或凭证",
                "an invoice photo needs an invoice or voucher recorded as proof of purchase",
            ),
            TripNotApproved => (
                "需有总部批准的出差申请，或填写原因按紧急上门处理",
                "needs a trip request approved by HQ, or an emergency visit with a reason",
            ),
            TripAlreadyWaiting => (
                "已有出差申请在等待总部审批",
                "a trip request is already waiting for HQ",
            ),
            NotHqUser => ("不是总部用户编号", "is not an HQ user id"),
            CaseBeforeReturns => (
                "该案件登记于退换货功能之前，请先同步，由总部为其开通退换货",
                "this case was registered before returns existed; sync it once so HQ prepares it",
            ),
            TooMany { max } => {
                return (
                    format!("最多 {max} 项"),
                    format!("has more than {max} entries"),
                );
            }
            OneModelPerReturn => (
                "一份退换货申请只能包含一个型号（一个退货编号对应一种产品），其他型号请另行申请",
                "one request is for one product model (one RMA number, one product); request \
                 the other model separately",
            ),
            OutsideReturnWindow(window) => {
                return (
                    format!("{}；超期申请须填写原因", window.text(Locale::ZhCn)),
                    format!(
                        "{}; a request outside it needs a reason",
                        window.text(Locale::En)
                    ),
                );
            }
            RefusalNeedsCheck => (
                "只有出现 A–D 类退货异常时才能拒收",
                "goods may be refused at the door only for checks A to D",
            ),
            ReceiptRefused => (
                "该批货物已拒收，无需复检",
                "these goods were refused; nothing to re-inspect",
            ),
            UnitNotReceived => (
                "不是该接收单上的产品（填写出厂编号，或按序号 1、2…）",
                "is not a unit of this receipt (give its serial, or its position 1, 2, …)",
            ),
            UnitAlreadyInspected => ("该产品已复检", "this unit was already re-inspected"),
            NotAnExchange => (
                "该申请是退货，不是换货",
                "this request is a return, not an exchange",
            ),
            ReturnRejected => ("该退换货申请已被驳回", "this return request was rejected"),
            ReplenishmentAlreadyRequested => (
                "已提交补货通知",
                "a replenishment notice was already requested",
            ),
            ReplenishmentNotApproved => (
                "补货通知尚未批准，换货不能发出",
                "the replenishment notice is not approved; no replacement has shipped",
            ),
            ReplacementAlreadyConfirmed => (
                "客户已确认收到换货",
                "the customer already confirmed the replacement",
            ),
            ReturnOpen { rma_number, state } => {
                let which = |l: Locale| match rma_number {
                    Some(n) => l.pick(format!("退换货 {n}"), format!("return {n}")),
                    None => l.pick("退换货申请".to_owned(), "a return request".to_owned()),
                };
                return (
                    format!(
                        "{}{}，退换货未完成的案件不能结案",
                        which(Locale::ZhCn),
                        state.text(Locale::ZhCn)
                    ),
                    format!(
                        "{} is {}; a case cannot close while a return is open",
                        which(Locale::En),
                        state.text(Locale::En)
                    ),
                );
            }
            AlreadyFirstResponder => ("已是首问责任人", "is already the first responder"),
            NotZero => ("盘点调整数量不能为零", "must not be zero"),
            TransferToSelf => (
                "不能调拨给本库存持有方自己",
                "must be another stock holder, not this one",
            ),
            DuplicateTag => (
                "同一旧件标签在发运单上重复",
                "lists the same old-part tag twice",
            ),
            NotQuarter => (
                "应为 YYYYQn 格式的季度（如 2026Q4）",
                "is not a quarter in the form YYYYQn (2026Q4)",
            ),
            OutsideQuarter { at, quarter } => {
                return (
                    format!("{at} 不在 {quarter} 季度内"),
                    format!("{at} is outside the quarter {quarter}"),
                );
            }
            DuplicateId { id } => {
                return (format!("{id} 重复出现"), format!("{id} is given twice"));
            }
            NotAmount => (
                "应为以元计的金额，最多两位小数（如 12.50）",
                "is not an amount in yuan with at most two decimals (12.50)",
            ),
            NotStockHolder => (
                "须为库存持有方，如 center:C01（维修中心）、dealer:D07（经销商）或 van:wang（工程师随车库存）",
                "must be a stock holder like center:C01, dealer:D07 or van:wang",
            ),
            PartsCatalog(problem) => {
                return (problem.text(Locale::ZhCn), problem.text(Locale::En));
            }
            OffCatalogNeedsReason {
                part_number,
                listed,
            } => {
                return if *listed {
                    (
                        format!(
                            "配件 {part_number} 不适用于该产品的类别或型号，使用目录外配件须填写原因"
                        ),
                        format!(
                            "part {part_number} is not for this product's category or model; \
                             a part off the catalog needs a reason"
                        ),
                    )
                } else {
                    (
                        format!("配件 {part_number} 不在配件目录中，使用目录外配件须填写原因"),
                        format!(
                            "part {part_number} is not in the parts catalog; a part off the \
                             catalog needs a reason"
                        ),
                    )
                };
            }
            LossAwaitingApproval => (
                "该旧件的丢失已在等待总部审批",
                "a loss of this old part is already waiting for HQ's approval",
            ),
            OldPartsUnaccounted { parts } => {
                let list = |l: Locale| {
                    parts
                        .iter()
                        .map(|p| p.text(l))
                        .collect::<Vec<_>>()
                        .join(l.pick("；", "; "))
                };
                return (
                    format!("三包案件的旧件去向未落实，不能结案：{}", list(Locale::ZhCn)),
                    format!(
                        "a covered case cannot close while an old part is unaccounted for: {}",
                        list(Locale::En)
                    ),
                );
            }
        };
        (zh.to_owned(), en.to_owned())
    }
}

impl Localized for Invalid {
    fn text(&self, locale: Locale) -> String {
        let (zh, en) = self.texts();
        locale.pick(zh, en)
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(Locale::En))
    }
}

/// A field a message names, as a form labels it. Unknown names (none today) are shown as
/// they are rather than hidden.
pub fn field_label(field: &str, locale: Locale) -> String {
    FIELD_LABELS
        .iter()
        .find(|(name, _)| *name == field)
        .map(|(_, zh)| locale.pick(*zh, field).to_owned())
        .unwrap_or_else(|| field.to_owned())
}

/// Every field name a message of the core names, with its Chinese label. English keeps the
/// field name, which forms and scripts match on.
pub const FIELD_LABELS: &[(&str, &str)] = &[
    ("customer_name", "客户名称"),
    ("customer_phone", "客户电话"),
    ("customer_address", "客户地址"),
    ("region", "地区"),
    ("product_model", "型号"),
    ("product_category", "产品类别"),
    ("serial_number", "出厂编号"),
    ("fault_description", "故障描述"),
    ("first_responder", "首问责任人"),
    ("proof_of_purchase", "发票或凭证"),
    ("purchase_date", "购买日期"),
    ("received_at", "投诉收到时间"),
    ("received_date", "投诉收到日期"),
    ("manufacture_date", "出厂日期"),
    ("findings", "鉴定结论"),
    ("measurement.name", "测量项目"),
    ("measurement.value", "测量值"),
    ("measurement.unit", "测量单位"),
    ("evidence_photos", "证据照片"),
    ("part_number", "配件编号"),
    ("specification", "规格"),
    ("quantity", "数量"),
    ("new_serial", "新件序列号"),
    ("old_part_serial", "旧件序列号"),
    ("off_catalog_reason", "目录外配件原因"),
    ("catalogs", "目录"),
    ("tag", "旧件标签号"),
    ("shipment", "发运单号"),
    ("reason", "原因"),
    ("supplier", "供应商"),
    ("holder", "库存持有方"),
    ("quarter", "季度"),
    ("unit_cost", "单价"),
    ("tag", "旧件标签"),
    ("waybill", "运单号"),
    ("to", "调入方"),
    ("from", "调出方"),
    ("transfer", "调拨单号"),
    ("line", "配件记录"),
    ("parts", "旧件清单"),
    ("signature_hash", "客户签字"),
    ("charge", "收费"),
    ("compensation", "赔偿"),
    ("currency", "币种"),
    ("status", "状态"),
    ("defect", "故障鉴定"),
    ("warranty", "三包判定"),
    ("resolution", "处理结果"),
    ("outcome", "处理结果"),
    ("summary", "处理说明"),
    ("note", "备注"),
    ("text", "备注内容"),
    ("field", "字段"),
    ("choose", "所选项"),
    ("line_id", "配件记录"),
    ("update", "修改内容"),
    ("hash", "照片"),
    ("thumbnail_hash", "缩略图"),
    ("caption", "照片说明"),
    ("case", "案件"),
    ("limit", "每页条数"),
    ("after", "翻页位置"),
    ("pinned_certificate_pem", "固定的总部证书"),
    ("lang", "语言"),
    ("items", "退换货明细"),
    ("model", "型号"),
    ("fault", "故障"),
    ("why_not_on_site", "无法现场修复的原因"),
    ("window_override", "超期申请原因"),
    ("rma_number", "退货编号"),
    ("counted", "实收数量"),
    ("photos", "照片"),
    ("notes", "异常说明"),
    ("refusal_reason", "拒收原因"),
    ("receipt", "接收单"),
    ("unit", "产品"),
    ("restocked_to", "入库位置"),
    ("nonconformance", "不合格品单号"),
    ("request", "退换货申请"),
    ("cause", "原因分析"),
    ("actions", "改善措施"),
    ("width", "宽度"),
    ("height", "高度"),
    ("orientation", "方向"),
    ("date", "日期"),
    ("timestamp", "时间"),
    ("case_id", "案件标识"),
    ("hq_url", "总部地址"),
    ("token", "设备令牌"),
    ("request_timeout_seconds", "请求超时秒数"),
    ("max_attempts", "最多尝试次数"),
    ("quarter", "季度"),
    ("holder", "库存持有方"),
    ("movement_id", "出库记录"),
    ("tag", "旧件标签"),
    ("unit_cost", "单价"),
];

impl Localized for Error {
    /// The message a person reads. Details that come from libraries (SQLite, the network, the
    /// image decoder) stay as they are: they are for support, and translating them would hide
    /// what to search for.
    fn text(&self, locale: Locale) -> String {
        // A duplicate photo is not a wrong field the user typed: the reason alone says it.
        if let Error::Validation {
            field: "hash",
            reason: reason @ Invalid::PhotoAlreadyOnCase { .. },
        } = self
        {
            return reason.text(locale);
        }
        let en = self.to_string();
        let zh = match self {
            Error::Validation { field, reason } => format!(
                "{}：{}",
                field_label(field, Locale::ZhCn),
                reason.text(Locale::ZhCn)
            ),
            Error::CaseNotFound(id) => format!("未找到案件 {id}"),
            Error::EntryNotFound(id) => format!("本案件中未找到记录 {id}"),
            Error::Evicted(id) => format!("案件 {id} 结案已久，已从本设备移除；请重新从总部获取"),
            Error::InvalidTransition { from, action } => format!(
                "案件当前状态为“{}”，不能{}",
                from.text(Locale::ZhCn),
                action.text(Locale::ZhCn)
            ),
            Error::NotPermitted(detail) => format!("无权执行此修改：{detail}"),
            Error::StaleWarranty(step) => {
                crate::case::correction_text::CorrectionText::RefusedWhileStale(*step)
                    .text(Locale::ZhCn)
            }
            Error::UnknownStatus { status, action } => format!(
                "案件状态“{status}”由更新版本的应用写入，本版本不能{}；请更新应用",
                action.text(Locale::ZhCn)
            ),
            Error::Conflict { field } => format!(
                "{}存在来自不同设备的并发值，请先解决冲突",
                field_label(field, Locale::ZhCn)
            ),
            Error::CorruptDatabase { moved_to, reason } => format!(
                "数据库无法打开（{reason}），已移至 {}，未删除",
                moved_to.display()
            ),
            Error::NewerSchema { found, supported } => {
                format!("数据库结构版本 {found} 高于本应用支持的版本（{supported}），请更新应用")
            }
            Error::CorruptDocument { case_id, reason } => {
                format!("案件 {case_id} 的存储文档已损坏：{reason}")
            }
            Error::InvalidDocument(detail) => format!("文档无法合并：{detail}"),
            Error::UnsupportedPhoto { format, hint } => {
                format!("不支持的照片格式 {format}，请在设备上另存为标准 JPEG 后再导入（{hint}）")
            }
            Error::InvalidPhoto(detail) => format!("照片无法读取：{}", detail.text(Locale::ZhCn)),
            Error::PhotoTooLarge(detail) => format!("照片过大：{}", detail.text(Locale::ZhCn)),
            Error::Network(detail) => format!("无法连接总部：{detail}"),
            Error::Unauthorized(detail) => format!("总部拒绝了本设备：{detail}"),
            Error::Protocol(detail) => format!("同步协议错误：{detail}"),
            Error::Cancelled => "已取消".to_owned(),
            Error::Storage(e) => format!("存储错误：{e}"),
            Error::Io(e) => format!("文件系统错误：{e}"),
        };
        locale.pick(zh, en)
    }
}
