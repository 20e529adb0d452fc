//! The lifecycle of a service case as a state machine: which action moves a case from which
//! status to which, and which actions a screen may offer.

use serde::{Deserialize, Serialize};

use crate::locale::{Locale, Localized};
use crate::model::Status;
use crate::{Error, Result};

/// Something a user does to a case that changes its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Acknowledge,
    ScheduleVisit,
    ArriveOnSite,
    ConfirmDefect,
    DecideWarranty,
    Resolve,
    CustomerAccepts,
    CustomerRejects,
    Close,
    Reopen,
}

impl Action {
    pub const ALL: [Action; 10] = [
        Action::Acknowledge,
        Action::ScheduleVisit,
        Action::ArriveOnSite,
        Action::ConfirmDefect,
        Action::DecideWarranty,
        Action::Resolve,
        Action::CustomerAccepts,
        Action::CustomerRejects,
        Action::Close,
        Action::Reopen,
    ];

    /// A verb phrase that completes "cannot … a case that is {status}" in error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Acknowledge => "acknowledge",
            Action::ScheduleVisit => "schedule a visit for",
            Action::ArriveOnSite => "arrive on site for",
            Action::ConfirmDefect => "confirm the defect of",
            Action::DecideWarranty => "decide the warranty of",
            Action::Resolve => "resolve",
            Action::CustomerAccepts => "record the customer's acceptance of",
            Action::CustomerRejects => "record the customer's rejection of",
            Action::Close => "close",
            Action::Reopen => "reopen",
        }
    }

    /// The machine name, the same as the serde form (`schedule_visit`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Action::Acknowledge => "acknowledge",
            Action::ScheduleVisit => "schedule_visit",
            Action::ArriveOnSite => "arrive_on_site",
            Action::ConfirmDefect => "confirm_defect",
            Action::DecideWarranty => "decide_warranty",
            Action::Resolve => "resolve",
            Action::CustomerAccepts => "customer_accepts",
            Action::CustomerRejects => "customer_rejects",
            Action::Close => "close",
            Action::Reopen => "reopen",
        }
    }

    /// The inverse of [`Action::name`].
    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == s)
    }
}

impl Localized for Action {
    /// The verb phrase of a refusal ("不能安排上门", "cannot schedule a visit for").
    fn text(&self, locale: Locale) -> String {
        let zh = match self {
            Action::Acknowledge => "受理",
            Action::ScheduleVisit => "安排上门",
            Action::ArriveOnSite => "登记到达现场",
            Action::ConfirmDefect => "进行故障鉴定",
            Action::DecideWarranty => "判定三包",
            Action::Resolve => "登记处理结果",
            Action::CustomerAccepts => "登记客户确认",
            Action::CustomerRejects => "登记客户不认可处理结果",
            Action::Close => "结案",
            Action::Reopen => "重新开启",
        };
        locale.pick(zh, self.as_str()).to_owned()
    }
}

/// A step a status can refuse: a lifecycle action, or one of the steps that do not change the
/// status but depend on it (nothing is recorded on a closed case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    Action(Action),
    SetCharge,
    ResolveStatusConflict,
    RecordPart,
    RemovePart,
    EditFacts,
    PassToQa,
    ProposeRemedy,
    RecordReport,
    AgreeDeadline,
    CorrectFacts,
    RequestTrip,
    HandOver,
    RequestReturn,
}

impl Step {
    /// The English verb phrase completing "cannot … a case that is {status}".
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Action(action) => action.as_str(),
            Step::SetCharge => "set the charge of",
            Step::ResolveStatusConflict => "resolve the status conflict of",
            Step::RecordPart => "record a part on",
            Step::RemovePart => "remove a part from",
            Step::EditFacts => "edit",
            Step::PassToQa => "pass to QA",
            Step::ProposeRemedy => "propose a remedy for",
            Step::RecordReport => "report on",
            Step::AgreeDeadline => "agree a date for",
            Step::CorrectFacts => "correct the facts of",
            Step::RequestTrip => "request a trip for",
            Step::HandOver => "hand over",
            Step::RequestReturn => "request a return for",
        }
    }

    /// Every step, for screens and tests that list them.
    pub fn all() -> Vec<Step> {
        Action::ALL
            .into_iter()
            .map(Step::Action)
            .chain([
                Step::SetCharge,
                Step::ResolveStatusConflict,
                Step::RecordPart,
                Step::RemovePart,
                Step::EditFacts,
                Step::PassToQa,
                Step::ProposeRemedy,
                Step::RecordReport,
                Step::AgreeDeadline,
                Step::CorrectFacts,
                Step::RequestTrip,
                Step::HandOver,
                Step::RequestReturn,
            ])
            .collect()
    }
}

impl Localized for Step {
    fn text(&self, locale: Locale) -> String {
        let zh = match self {
            Step::Action(action) => return action.text(locale),
            Step::SetCharge => "设定收费",
            Step::ResolveStatusConflict => "解决状态冲突",
            Step::RecordPart => "登记配件使用",
            Step::RemovePart => "删除配件记录",
            Step::EditFacts => "修改登记信息",
            Step::PassToQa => "转交品保部",
            Step::ProposeRemedy => "提出处理方案",
            Step::RecordReport => "提交调查报告",
            Step::AgreeDeadline => "约定处理日期",
            Step::CorrectFacts => "更正登记信息",
            Step::RequestTrip => "申请出差",
            Step::HandOver => "移交首问责任人",
            Step::RequestReturn => "申请退换货",
        };
        locale.pick(zh, self.as_str()).to_owned()
    }
}

/// The status `action` leads to from `from`, or `InvalidTransition` when the lifecycle does not
/// allow it. Repeating scheduling, defect confirmation and warranty decision keeps the status,
/// because a second visit or a revised finding is a normal part of a round.
pub fn next_status(from: Status, action: Action) -> Result<Status> {
    use Status::*;
    let to = match (action, from) {
        (Action::Acknowledge, Registered | Reopened) => Some(Acknowledged),
        (Action::ScheduleVisit, Acknowledged | VisitScheduled) => Some(VisitScheduled),
        (Action::ArriveOnSite, Acknowledged | VisitScheduled) => Some(OnSite),
        (Action::ConfirmDefect, Acknowledged | VisitScheduled | OnSite | DefectConfirmed) => {
            Some(DefectConfirmed)
        }
        (Action::DecideWarranty, DefectConfirmed | WarrantyDecided) => Some(WarrantyDecided),
        (Action::Resolve, WarrantyDecided) => Some(Resolved),
        (Action::CustomerAccepts, Resolved) => Some(CustomerConfirmed),
        (Action::CustomerRejects, Resolved) => Some(Reopened),
        (Action::Close, CustomerConfirmed) => Some(Closed),
        (Action::Reopen, CustomerConfirmed | Closed) => Some(Reopened),
        _ => None,
    };
    to.ok_or(Error::InvalidTransition {
        from,
        action: Step::Action(action),
    })
}

/// The actions `next_status` accepts from `from`, in [`Action::ALL`] order.
pub fn allowed_actions(from: Status) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| next_status(from, *a).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    /// The transition table written out by hand, independent of the `match` above.
    fn expected(from: Status, action: Action) -> Option<Status> {
        const TABLE: &[(Action, &[Status], Status)] = &[
            (Action::Acknowledge, &[Registered, Reopened], Acknowledged),
            (
                Action::ScheduleVisit,
                &[Acknowledged, VisitScheduled],
                VisitScheduled,
            ),
            (
                Action::ArriveOnSite,
                &[Acknowledged, VisitScheduled],
                OnSite,
            ),
            (
                Action::ConfirmDefect,
                &[Acknowledged, VisitScheduled, OnSite, DefectConfirmed],
                DefectConfirmed,
            ),
            (
                Action::DecideWarranty,
                &[DefectConfirmed, WarrantyDecided],
                WarrantyDecided,
            ),
            (Action::Resolve, &[WarrantyDecided], Resolved),
            (Action::CustomerAccepts, &[Resolved], CustomerConfirmed),
            (Action::CustomerRejects, &[Resolved], Reopened),
            (Action::Close, &[CustomerConfirmed], Closed),
            (Action::Reopen, &[CustomerConfirmed, Closed], Reopened),
        ];
        TABLE
            .iter()
            .find(|(a, froms, _)| *a == action && froms.contains(&from))
            .map(|(_, _, to)| *to)
    }

    #[test]
    fn every_status_and_action_matches_the_table() {
        let mut allowed = 0;
        for from in Status::ALL {
            for action in Action::ALL {
                match (next_status(from, action), expected(from, action)) {
                    (Ok(got), Some(want)) => {
                        assert_eq!(got, want, "{from:?} --{action:?}-->");
                        allowed += 1;
                    }
                    (Err(Error::InvalidTransition { from: f, action: a }), None) => {
                        assert_eq!(f, from);
                        assert_eq!(a, Step::Action(action));
                    }
                    (got, want) => panic!("{from:?} --{action:?}--> got {got:?}, want {want:?}"),
                }
            }
        }
        assert_eq!(allowed, 18);
    }

    #[test]
    fn allowed_actions_agree_with_next_status() {
        for from in Status::ALL {
            let want: Vec<Action> = Action::ALL
                .into_iter()
                .filter(|a| expected(from, *a).is_some())
                .collect();
            assert_eq!(allowed_actions(from), want, "{from:?}");
        }
        assert_eq!(allowed_actions(Closed), vec![Action::Reopen]);
        assert_eq!(allowed_actions(Reopened), vec![Action::Acknowledge]);
    }

    #[test]
    fn the_happy_path_and_a_second_round() {
        let steps = [
            (Action::Acknowledge, Acknowledged),
            (Action::ScheduleVisit, VisitScheduled),
            (Action::ArriveOnSite, OnSite),
            (Action::ConfirmDefect, DefectConfirmed),
            (Action::DecideWarranty, WarrantyDecided),
            (Action::Resolve, Resolved),
            (Action::CustomerRejects, Reopened),
            (Action::Acknowledge, Acknowledged),
            (Action::ConfirmDefect, DefectConfirmed),
            (Action::DecideWarranty, WarrantyDecided),
            (Action::Resolve, Resolved),
            (Action::CustomerAccepts, CustomerConfirmed),
            (Action::Close, Closed),
        ];
        let mut status = Registered;
        for (action, want) in steps {
            status = next_status(status, action).unwrap();
            assert_eq!(status, want);
        }
    }

    #[test]
    fn error_messages_read_as_sentences() {
        let msg = |from, action| next_status(from, action).unwrap_err().to_string();
        assert_eq!(
            msg(Closed, Action::ScheduleVisit),
            "cannot schedule a visit for a case that is closed"
        );
        assert_eq!(
            msg(Registered, Action::CustomerAccepts),
            "cannot record the customer's acceptance of a case that is registered"
        );
        assert_eq!(
            msg(OnSite, Action::ArriveOnSite),
            "cannot arrive on site for a case that is on_site"
        );
    }

    #[test]
    fn refusals_in_chinese_use_the_procedures_terms() {
        let msg = |from, action| next_status(from, action).unwrap_err().text(Locale::ZhCn);
        assert_eq!(
            msg(Closed, Action::ScheduleVisit),
            "案件当前状态为“已结案”，不能安排上门"
        );
        assert_eq!(
            msg(Registered, Action::DecideWarranty),
            "案件当前状态为“已登记”，不能判定三包"
        );
    }

    #[test]
    fn names_round_trip() {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.name()), Some(a));
            assert_eq!(
                serde_json::to_string(&a).unwrap(),
                format!("\"{}\"", a.name())
            );
        }
        assert_eq!(Action::parse("schedule a visit for"), None);
    }
}
