//! Cases as text: the full case view the way `case show` prints it (facts, decisions with who
//! and when, conflicts numbered for `resolve-conflict`, photos, the append-only entries and the
//! history), the `case list` table and the warranty answer.

use chrono::DateTime;
use fieldcore::CaseSyncState;
use fieldcore::Timestamp;
use fieldcore::{
    CaseTextExtras, CaseView, Locale, Localized, Milestone, Page, PhotoInfo, WarrantyDecision,
};

use crate::output::{Text, aligned, count, locale, time, truncate};
use crate::photo;

/// `photos` are the case's photos with their upload state, as `Store::photos` gives them.
/// The whole case as text (fieldcore's [`fieldcore::case_text`]); `sync` adds how it stands
/// with HQ (left out where the store was never synced, as in the offline demo).
pub fn render(
    v: &CaseView,
    photos: &[PhotoInfo],
    sync: Option<CaseSyncState>,
    now: Timestamp,
) -> String {
    let extras = CaseTextExtras {
        header: sync
            .map(|s| {
                let label = crate::output::locale().pick("总部", "HQ");
                vec![(label.to_owned(), sync_text(s).to_owned())]
            })
            .unwrap_or_default(),
        photos: Some(photos.iter().map(photo::line).collect()),
    };
    let mut text = fieldcore::case_text(v, &extras, now, crate::output::locale());
    // The case text of the core does not word returns yet; they follow it.
    if !v.returns.is_empty() || !v.unmatched_receipts.is_empty() {
        let l = crate::output::locale();
        text.push_str(&format!(
            "\n{}\n{}",
            l.pick("退换货", "Returns and exchanges"),
            crate::rma::returns_text(v, now)
        ));
    }
    text
}

fn sync_text(sync: CaseSyncState) -> &'static str {
    let l = crate::output::locale();
    match sync {
        CaseSyncState::Pending => l.pick(
            "待同步：本机的工作尚未到达总部",
            "pending: local work not yet at HQ",
        ),
        CaseSyncState::Synced => l.pick("已同步", "synced"),
        CaseSyncState::Conflict => l.pick(
            "已同步，有冲突待解决",
            "synced, with a conflict to resolve",
        ),
        CaseSyncState::Refused => l.pick(
            "被拒收：总部已将此案件改派他人；你未上传的工作保留在本设备上",
            "refused: HQ took this case from you; your unsent work is kept on this device",
        ),
        CaseSyncState::Rejected => l.pick(
            "被退回：总部拒收了你在此案件上未上传的工作（原因见下）；工作保留在本机，修改案件后会再次上传",
            "rejected: HQ refused your unsent work on this case (see why below); it is kept here and goes up again when you change the case",
        ),
        CaseSyncState::Quarantined => l.pick(
            "已隔离：总部发来的修改本版本应用无法读取；已搁置，其余照常同步",
            "quarantined: HQ sent changes this app version cannot read; set aside, the rest syncs on",
        ),
        CaseSyncState::Archived => l.pick(
            "已归档：总部已将此结案案件移入档案，暂不接收新的修改；你的工作保留在本机，案件恢复后会再次上传",
            "archived: HQ moved this closed case to its archive and takes no changes to it; your work is kept here and goes up if HQ restores the case",
        ),
    }
}

const SHORT_ID: usize = 13;
const CUSTOMER_WIDTH: usize = 28;

/// The list screen: one row per case and the cursor of the next page.
pub fn list_table(page: &Page) -> String {
    let l = locale();
    let mut text = Text::default();
    if page.rows.is_empty() {
        text.line(l.pick("没有案件", "no cases"));
        return text.into_string();
    }
    let ids: Vec<&str> = page.rows.iter().map(|r| r.case.case_id.as_str()).collect();
    let short = short_ids(&ids);
    let header = l.pick(
        ["案件", "状态", "客户", "型号", "出厂编号", "下一期限"],
        ["CASE", "STATUS", "CUSTOMER", "MODEL", "SERIAL", "NEXT DUE"],
    );
    let [case, status, customer, model, serial, next_due] = header.map(str::to_owned);
    let mut rows = vec![[
        case,
        status,
        customer,
        model,
        serial,
        next_due,
        String::new(),
    ]];
    for (row, short) in page.rows.iter().zip(short) {
        let c = &row.case;
        let next = match (&c.next_due_kind, &c.next_due_at) {
            (Some(kind), Some(at)) => format!(
                "{} {}",
                Milestone::parse(kind).map_or_else(|| kind.clone(), |m| m.text(l)),
                DateTime::parse_from_rfc3339(at)
                    .map(|t| time(&t))
                    .unwrap_or_else(|_| at.clone())
            ),
            _ => "-".to_owned(),
        };
        let mut flags = Vec::new();
        if row.overdue {
            flags.push(l.pick("已逾期", "OVERDUE"));
        }
        if c.has_conflict {
            flags.push(l.pick("有冲突", "CONFLICT"));
        }
        let status = fieldcore::Status::parse(&c.status);
        if status.is_none() {
            flags.push(l.pick("未知状态：请更新应用", "UNKNOWN STATUS: update the app"));
        }
        rows.push([
            c.number.clone().unwrap_or(short),
            match status {
                // English keeps the machine name, as `--status` takes it.
                Some(status) if l == Locale::ZhCn => status.text(l),
                _ => c.status.clone(),
            },
            truncate(&c.customer_name, CUSTOMER_WIDTH),
            c.product_model.clone(),
            c.serial_number.clone(),
            next,
            flags.join(" "),
        ]);
    }
    aligned(&mut text, &rows);
    text.line(count(page.rows.len(), "个案件", "case", "cases"));
    if let Some(next) = &page.next {
        text.line(l.pick(
            format!("下一页：--after {next}（筛选条件不变）"),
            format!("next page: --after {next} (with the same filters)"),
        ));
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
    let l = locale();
    let mut text = Text::default();
    let covered = match (d.covered, l) {
        (true, Locale::ZhCn) => "三包：予以三包",
        (false, Locale::ZhCn) => "三包：不予三包",
        (true, Locale::En) => "covered: yes",
        (false, Locale::En) => "covered: no",
    };
    let rule = l.pick(d.rule.text(l), d.rule.as_str().to_owned());
    text.line(covered);
    text.line(l.pick(format!("依据：{rule}"), format!("rule: {rule}")));
    text.line(match (d.months, d.period_end) {
        (Some(months), Some(end)) => l.pick(
            format!("三包期：{months} 个月，至 {end} 止（含当日）"),
            format!("period: {months} months, ends {end} (inclusive)"),
        ),
        _ => l.pick("三包期：不适用", "period: none applies").to_owned(),
    });
    // English keeps the recorded explanation, word for word; Chinese is worded from the
    // decision's grounds.
    text.line(l.pick(
        format!("说明：{}", d.text(l)),
        format!("explanation: {}", d.explanation),
    ));
    text.into_string()
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
}
