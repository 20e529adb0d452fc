//! Why a value fieldctl parses itself was refused: a typed reason with its Chinese and English
//! texts, so `CliError::Invalid` reads in the output's language. `Display` is the English text,
//! byte for byte what the CLI printed before it had two languages.

use std::path::PathBuf;

use fieldcore::{Locale, Localized};

/// A refusal of one value typed on the command line; the field is named beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Not a YYYY-MM-DD date.
    NotDate {
        got: String,
    },
    /// Not an RFC 3339 time with an offset.
    NotTime {
        got: String,
    },
    /// Not an amount such as 120.50.
    NotAmount {
        got: String,
    },
    Negative,
    TooManyDecimals {
        got: String,
    },
    TooLarge {
        got: String,
    },
    /// Not name=value[unit].
    NotMeasurement {
        got: String,
    },
    /// The value part of a measurement is not a number.
    MeasurementNotNumber {
        name: String,
        got: String,
    },
    Empty,
    /// A role fieldctl does not know.
    NotRole,
    /// A page size outside 1..=max.
    LimitOutOfRange {
        max: u32,
    },
    /// A photo file that cannot be read; `detail` is the operating system's words.
    FileUnreadable {
        path: PathBuf,
        detail: String,
    },
    NotAFile {
        path: PathBuf,
    },
    /// Not a photo hash nor a long enough hex prefix of one.
    NotHashPrefix {
        min: usize,
    },
    NoPhotoStartsWith {
        prefix: String,
    },
    SeveralPhotosMatch,
    /// The device token file cannot be read; `detail` is the operating system's words.
    TokenFileUnreadable {
        path: PathBuf,
        detail: String,
    },
    /// `fieldctl sync` was given no token at all.
    NoToken,
    /// The token source named holds no token.
    EmptyToken(TokenSource),
    /// Not `model=M[,serial=S][,qty=N]`.
    NotCounted {
        got: String,
    },
    /// Not `LETTER=TEXT` with a receiving check's letter A to G.
    NotCheckNote {
        got: String,
    },
    /// A photo for a check that has no note on the same command line.
    PhotoWithoutNote {
        letter: char,
    },
    /// The case has no return or exchange yet.
    NoReturn,
    /// The case has several returns; `--request` must name one.
    WhichReturn {
        choices: Vec<String>,
    },
    /// The case has no receipt of returned goods yet.
    NoReceipt,
    /// The case has several receipts; `--receipt` must name one.
    WhichReceipt {
        choices: Vec<String>,
    },
    NoReceiptStartsWith {
        prefix: String,
    },
    SeveralReceiptsMatch,
    /// Not `TAG:PART[:CASE[:LINE]]`.
    NotOldPartTag {
        got: String,
    },
}

/// Where `fieldctl sync` read the device token from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    File,
    Stdin,
    /// `--token` or `FIELDCTL_TOKEN`.
    Flag,
}

impl Localized for Reason {
    fn text(&self, l: Locale) -> String {
        match self {
            Reason::NotDate { got } => l.pick(
                format!("应为 YYYY-MM-DD 格式的日期，实际为“{got}”"),
                format!("expected a date as YYYY-MM-DD, got \"{got}\""),
            ),
            Reason::NotTime { got } => l.pick(
                format!("应为 RFC 3339 格式的时间，如 2026-03-01T09:30:00+08:00，实际为“{got}”"),
                format!(
                    "expected an RFC 3339 time such as 2026-03-01T09:30:00+08:00, got \"{got}\""
                ),
            ),
            Reason::NotAmount { got } => l.pick(
                format!("应为金额，如 120.50，实际为“{got}”"),
                format!("expected an amount such as 120.50, got \"{got}\""),
            ),
            Reason::Negative => l.pick("不能为负数", "must not be negative").to_owned(),
            Reason::TooManyDecimals { got } => l.pick(
                format!("小数超过 2 位：“{got}”"),
                format!("has more than 2 decimals: \"{got}\""),
            ),
            Reason::TooLarge { got } => l.pick(
                format!("数值过大：“{got}”"),
                format!("is too large: \"{got}\""),
            ),
            Reason::NotMeasurement { got } => l.pick(
                format!("应为 名称=数值[单位]，如 insulation_resistance=550MΩ，实际为“{got}”"),
                format!(
                    "expected name=value[unit] such as insulation_resistance=550MΩ, got \"{got}\""
                ),
            ),
            Reason::MeasurementNotNumber { name, got } => l.pick(
                format!("“{name}”的测量值不是数字：“{got}”"),
                format!("the value of \"{name}\" is not a number: \"{got}\""),
            ),
            Reason::Empty => l.pick("不能为空", "must not be empty").to_owned(),
            Reason::NotRole => l
                .pick(
                    "应为 engineer（工程师）、technician（维修中心技术员）、hq-staff（总部人员）、\
                     cs-manager（客户服务部经理）、vp（主管副总经理）、quality（品保部）或 \
                     warehouse（仓库）",
                    "must be engineer, technician, hq-staff, cs-manager, vp, quality or warehouse",
                )
                .to_owned(),
            Reason::LimitOutOfRange { max } => l.pick(
                format!("应在 1 到 {max} 之间"),
                format!("must be between 1 and {max}"),
            ),
            Reason::FileUnreadable { path, detail } => l.pick(
                format!("无法读取 {}：{detail}", path.display()),
                format!("{}: {detail}", path.display()),
            ),
            Reason::NotAFile { path } => l.pick(
                format!("{} 不是文件", path.display()),
                format!("{} is not a file", path.display()),
            ),
            Reason::NotHashPrefix { min } => l.pick(
                format!("应为照片的哈希值，或其前至少 {min} 位十六进制数字"),
                format!("must be a photo's hash or at least {min} hex digits of it"),
            ),
            Reason::NoPhotoStartsWith { prefix } => l.pick(
                format!("本案件没有哈希值以 {prefix} 开头的照片"),
                format!("no photo of this case starts with {prefix}"),
            ),
            Reason::SeveralPhotosMatch => l
                .pick(
                    "与本案件的多张照片相符；请多给出几位哈希值",
                    "matches several photos of this case; give more of the hash",
                )
                .to_owned(),
            Reason::TokenFileUnreadable { path, detail } => l.pick(
                format!("无法读取设备令牌文件 {}：{detail}", path.display()),
                format!("the token file {} cannot be read: {detail}", path.display()),
            ),
            Reason::NoToken => l
                .pick(
                    "没有设备令牌：请用 --token-file 文件 或 --token-stdin 传入，或设置 FIELDCTL_TOKEN",
                    "no device token: pass --token-file FILE or --token-stdin, or set FIELDCTL_TOKEN",
                )
                .to_owned(),
            Reason::EmptyToken(source) => {
                let (zh, en) = match source {
                    TokenSource::File => ("令牌文件", "the token file"),
                    TokenSource::Stdin => ("标准输入", "standard input"),
                    TokenSource::Flag => ("--token", "--token"),
                };
                l.pick(format!("{zh} 中没有令牌"), format!("{en} holds no token"))
            }
            Reason::NotCounted { got } => l.pick(
                format!("应为 model=型号[,serial=出厂编号][,qty=数量]，如 model=QJ-200,qty=2，实际为“{got}”"),
                format!(
                    "expected model=M[,serial=S][,qty=N] such as model=QJ-200,qty=2, got \"{got}\""
                ),
            ),
            Reason::NotCheckNote { got } => l.pick(
                format!("应为 检查项字母=内容，字母为 A 到 G，如 G=无故障标签，实际为“{got}”"),
                format!(
                    "expected LETTER=TEXT with a check letter A to G, such as G=no defect tag, \
                     got \"{got}\""
                ),
            ),
            Reason::PhotoWithoutNote { letter } => l.pick(
                format!("检查项 {letter} 有照片但没有说明：请同时给出 --note {letter}=说明"),
                format!("check {letter} has a photo but no note: give --note {letter}=TEXT too"),
            ),
            Reason::NoReturn => l
                .pick(
                    "本案件还没有退换货申请；请先用 fieldctl rma request 申请",
                    "the case has no return or exchange yet; request one with fieldctl rma request",
                )
                .to_owned(),
            Reason::WhichReturn { choices } => l.pick(
                format!(
                    "本案件有多个退换货申请，请用 --request 指定其一：{}",
                    choices.join("、")
                ),
                format!(
                    "the case has several returns; name one with --request: {}",
                    choices.join(", ")
                ),
            ),
            Reason::NoReceipt => l
                .pick(
                    "本案件还没有退货接收记录；请先用 fieldctl rma receive 接收",
                    "the case has no receipt of returned goods yet; record one with fieldctl rma receive",
                )
                .to_owned(),
            Reason::WhichReceipt { choices } => l.pick(
                format!(
                    "本案件有多张接收单，请用 --receipt 指定其一：{}",
                    choices.join("、")
                ),
                format!(
                    "the case has several receipts; name one with --receipt: {}",
                    choices.join(", ")
                ),
            ),
            Reason::NoReceiptStartsWith { prefix } => l.pick(
                format!("本案件没有编号以 {prefix} 开头的接收单"),
                format!("no receipt of this case starts with {prefix}"),
            ),
            Reason::SeveralReceiptsMatch => l
                .pick(
                    "与本案件的多张接收单相符；请多给出几位编号",
                    "matches several receipts of this case; give more of the id",
                )
                .to_owned(),
            Reason::NotOldPartTag { got } => l.pick(
                format!(
                    "应为 旧件标签:配件编号[:案件[:配件记录]]，如 T-0007:B-6205:2611-0042，实际为“{got}”"
                ),
                format!(
                    "expected TAG:PART[:CASE[:LINE]] such as T-0007:B-6205:2611-0042, got \"{got}\""
                ),
            ),
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(Locale::En))
    }
}

/// The fields fieldctl names that the core's forms do not, with their Chinese labels; the
/// others are the core's ([`fieldcore::field_label`]). English keeps the machine name.
pub const CLI_FIELD_LABELS: &[(&str, &str)] = &[
    ("planned_for", "计划上门时间"),
    ("measurement", "测量值"),
    ("user", "用户"),
    ("role", "角色"),
    ("file", "照片文件"),
    ("date", "日期"),
    ("agreed_date", "约定日期"),
    ("updated_since", "更新起始时间"),
];

/// A field as the output's language names it.
pub fn field_label(field: &str, l: Locale) -> String {
    CLI_FIELD_LABELS
        .iter()
        .find(|(name, _)| *name == field)
        .map(|(_, zh)| l.pick(*zh, field).to_owned())
        .unwrap_or_else(|| fieldcore::field_label(field, l))
}
