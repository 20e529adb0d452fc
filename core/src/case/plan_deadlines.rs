//! Planning the commands that record what deadlines count from and what meets them (passing
//! to QA, the remedy proposal, the investigation report, a date agreed with the customer), and
//! the missed-deadline records any command leaves when it notices a deadline already past.

use chrono::NaiveDate;

use crate::case::commands::Context;
use crate::case::document::DecisionField;
use crate::case::plan::{Draft, Write, decided, no_conflict, not_closed};
use crate::case::records::{
    AgreedDeadlineRecord, MissedRecord, QaHandoverRecord, RemedyRecord, ReportRecord,
};
use crate::case::summary::Summary;
use crate::case::view::CaseView;
use crate::error::{Error, Invalid, Result};
use crate::locale::Locale;
use crate::rules::deadlines;
use crate::rules::lifecycle::Step;
use crate::rules::validate;

/// Why a deadline command is refused, in both languages; the error carries the English text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineRefusal {
    /// The case is already with quality.
    AlreadyWithQa,
    /// No on-site defect confirmation in this round: there is nothing to report on yet.
    NoInvestigation,
    /// The agreed date lies before the day the round started.
    AgreedBeforeStart,
}

impl DeadlineRefusal {
    pub const ALL: [DeadlineRefusal; 3] = [
        DeadlineRefusal::AlreadyWithQa,
        DeadlineRefusal::NoInvestigation,
        DeadlineRefusal::AgreedBeforeStart,
    ];

    pub fn text(&self, locale: Locale) -> String {
        match (self, locale) {
            (DeadlineRefusal::AlreadyWithQa, Locale::ZhCn) => "该案件已转交品保部",
            (DeadlineRefusal::AlreadyWithQa, Locale::En) => "the case is already with quality",
            (DeadlineRefusal::NoInvestigation, Locale::ZhCn) => {
                "本轮尚未完成现场故障鉴定，无法提交调查报告"
            }
            (DeadlineRefusal::NoInvestigation, Locale::En) => {
                "confirm the defect on site in this round before reporting on it"
            }
            (DeadlineRefusal::AgreedBeforeStart, Locale::ZhCn) => "约定日期早于本轮受理日期",
            (DeadlineRefusal::AgreedBeforeStart, Locale::En) => {
                "is before the day this round started"
            }
        }
        .to_owned()
    }

    fn error(self, field: &'static str) -> Error {
        Error::validation(field, Invalid::Deadline(self))
    }
}

pub(super) fn pass_to_qa(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    reason: &str,
) -> Result<Summary> {
    not_closed(view, Step::PassToQa)?;
    validate::text("reason", reason)?;
    if view.passed_to_qa.is_some() {
        return Err(DeadlineRefusal::AlreadyWithQa.error("passed_to_qa"));
    }
    draft.writes.push(Write::Decision(
        DecisionField::PassedToQa,
        decided(
            ctx,
            "passed",
            QaHandoverRecord {
                reason: reason.to_owned(),
                round: view.round,
            },
        )?,
    ));
    Ok(Summary::PassedToQa {
        reason: reason.to_owned(),
    })
}

pub(super) fn propose_remedy(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    proposal: &str,
) -> Result<Summary> {
    not_closed(view, Step::ProposeRemedy)?;
    validate::text("proposal", proposal)?;
    no_conflict(&view.remedy, DecisionField::Remedy)?;
    draft.writes.push(Write::Decision(
        DecisionField::Remedy,
        // Two different proposals made at once are a conflict for a person to settle.
        decided(
            ctx,
            proposal,
            RemedyRecord {
                proposal: proposal.to_owned(),
                round: view.round,
            },
        )?,
    ));
    Ok(Summary::RemedyProposed)
}

pub(super) fn record_report(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    findings: &str,
    cause: &str,
    handling: &str,
) -> Result<Summary> {
    not_closed(view, Step::RecordReport)?;
    validate::text("findings", findings)?;
    validate::text("cause", cause)?;
    validate::text("handling", handling)?;
    no_conflict(&view.report, DecisionField::Report)?;
    let investigated = view
        .deadline_inputs()
        .and_then(|i| i.investigated_at)
        .is_some();
    if !investigated {
        return Err(DeadlineRefusal::NoInvestigation.error("defect"));
    }
    draft.writes.push(Write::Decision(
        DecisionField::Report,
        decided(
            ctx,
            cause,
            ReportRecord {
                findings: findings.to_owned(),
                cause: cause.to_owned(),
                handling: handling.to_owned(),
                round: view.round,
            },
        )?,
    ));
    Ok(Summary::ReportRecorded {
        cause: cause.to_owned(),
    })
}

pub(super) fn agree_deadline(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    date: NaiveDate,
    with_whom: &str,
) -> Result<Summary> {
    not_closed(view, Step::AgreeDeadline)?;
    validate::required("with_whom", with_whom, 200)?;
    no_conflict(&view.agreed_deadline, DecisionField::AgreedDeadline)?;
    let zone = ctx.policies.deadlines.time_zone;
    if date < zone.date_of(view.round_started_at) {
        return Err(DeadlineRefusal::AgreedBeforeStart.error("date"));
    }
    let key = date.to_string();
    draft.writes.push(Write::Decision(
        DecisionField::AgreedDeadline,
        decided(
            ctx,
            &key,
            AgreedDeadlineRecord {
                date,
                with_whom: with_whom.to_owned(),
                round: view.round,
            },
        )?,
    ));
    Ok(Summary::DeadlineAgreed {
        date: key,
        with_whom: with_whom.to_owned(),
    })
}

/// One record per open milestone of this round already past due at the command's time and
/// not yet recorded. The record's key and `key` depend only on the round and the milestone, so
/// two devices noticing the same miss write records that agree, and a merge keeps one.
pub(super) fn missed_writes(view: &CaseView, ctx: &Context<'_>) -> Result<Vec<Write>> {
    Ok(missed_records(view, ctx)?
        .into_iter()
        .map(|(key, json)| Write::DecisionKey(key, json))
        .collect())
}

/// The missed-deadline records (decision key, JSON) that whoever `ctx` names would write on
/// noticing, at `ctx.at`, the deadlines of the case's round already past: a device with any
/// command, HQ when it scans its cases.
pub fn missed_records(view: &CaseView, ctx: &Context<'_>) -> Result<Vec<(String, String)>> {
    let Some(inputs) = view.deadline_inputs() else {
        return Ok(Vec::new());
    };
    deadlines::missed(&ctx.policies.deadlines, &inputs, ctx.at)
        .into_iter()
        .filter(|d| !view.missed_recorded(d.milestone))
        .map(|d| {
            let record = MissedRecord {
                milestone: d.milestone,
                round: view.round,
                due_at: d.due_at,
            };
            Ok((
                MissedRecord::key(view.round, d.milestone),
                decided(ctx, d.milestone.as_str(), record)?,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_exists_in_both_locales() {
        for r in DeadlineRefusal::ALL {
            let zh = r.text(Locale::ZhCn);
            let en = r.text(Locale::En);
            assert!(!zh.is_empty() && !en.is_empty() && zh != en, "{r:?}");
        }
    }
}
