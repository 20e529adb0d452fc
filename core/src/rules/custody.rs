//! Where the old part of a part line is (旧件去向): kept at the holder under a tag, shipped
//! back to HQ, lost (with HQ's approval of the loss), or returned. Pure: the line's custody
//! entries and HQ's decisions on its losses in, the state and its explanation out.

use serde::{Deserialize, Serialize};

use crate::locale::{Locale, Localized};
use crate::model::Timestamp;

/// What one custody entry of a part line says (the `parts` entry kinds `old_part_kept`,
/// `old_part_shipped`, `old_part_lost` and `old_part_returned`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustodyMark {
    Kept { tag: String },
    Shipped { shipment: String, tag: String },
    Lost { reason: String },
    Returned,
}

/// One custody entry: its id (the loss approval is keyed by it), when, and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustodyEntry {
    pub id: String,
    pub at: Timestamp,
    pub mark: CustodyMark,
}

/// HQ's decision on a reported loss (`approvals.<lost entry id>:loss`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LossDecision {
    pub approved: bool,
    pub by: String,
    pub reason: Option<String>,
}

/// Where a part line's old part is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum OldPartCustody {
    /// Nothing recorded about the old part yet.
    Unrecorded,
    /// Kept at the holder (the repair center, the engineer's van) under a tag number.
    Kept { tag: String },
    /// Sent back to HQ on a return shipment.
    Shipped { shipment: String, tag: String },
    /// Reported lost; HQ (cs_manager) has not decided yet.
    LostAwaitingApproval { entry: String, reason: String },
    /// Reported lost and HQ approved the loss.
    LostApproved {
        entry: String,
        reason: String,
        by: String,
    },
    /// Reported lost and HQ rejected the loss: the old part must be found and recorded.
    LostRejected {
        entry: String,
        reason: String,
        by: String,
        rejection: Option<String>,
    },
    /// Handed back (`old_part_returned`, the entry older versions write).
    Returned,
}

impl OldPartCustody {
    /// Whether the old part's fate is settled enough for a covered case to close: every state
    /// but `Unrecorded` and a loss not approved.
    pub fn accounted(&self) -> bool {
        !matches!(
            self,
            OldPartCustody::Unrecorded
                | OldPartCustody::LostAwaitingApproval { .. }
                | OldPartCustody::LostRejected { .. }
        )
    }

    /// The state's name, as the bindings and the CLI's JSON show it.
    pub fn as_str(&self) -> &'static str {
        match self {
            OldPartCustody::Unrecorded => "unrecorded",
            OldPartCustody::Kept { .. } => "kept",
            OldPartCustody::Shipped { .. } => "shipped",
            OldPartCustody::LostAwaitingApproval { .. } => "lost_awaiting_approval",
            OldPartCustody::LostApproved { .. } => "lost_approved",
            OldPartCustody::LostRejected { .. } => "lost_rejected",
            OldPartCustody::Returned => "returned",
        }
    }

    /// The tag number the old part carries, when kept or shipped.
    pub fn tag(&self) -> Option<&str> {
        match self {
            OldPartCustody::Kept { tag } | OldPartCustody::Shipped { tag, .. } => Some(tag),
            _ => None,
        }
    }
}

impl Localized for OldPartCustody {
    /// The state with its explanation: what is recorded, and what is still needed.
    fn text(&self, locale: Locale) -> String {
        match self {
            OldPartCustody::Unrecorded => locale
                .pick(
                    "旧件去向未登记（须登记留存、寄回总部或丢失）",
                    "old part's fate not recorded (record it kept, shipped to HQ or lost)",
                )
                .to_owned(),
            OldPartCustody::Kept { tag } => locale.pick(
                format!("旧件已留存，标签号 {tag}"),
                format!("old part kept, tag {tag}"),
            ),
            OldPartCustody::Shipped { shipment, tag } => locale.pick(
                format!("旧件已随发运单 {shipment} 寄回总部，标签号 {tag}"),
                format!("old part shipped to HQ on shipment {shipment}, tag {tag}"),
            ),
            OldPartCustody::LostAwaitingApproval { reason, .. } => locale.pick(
                format!("旧件丢失（{reason}），待客服经理批准"),
                format!("old part lost ({reason}), awaiting the CS manager's approval"),
            ),
            OldPartCustody::LostApproved { reason, by, .. } => locale.pick(
                format!("旧件丢失（{reason}），{by} 已批准"),
                format!("old part lost ({reason}), loss approved by {by}"),
            ),
            OldPartCustody::LostRejected {
                reason,
                by,
                rejection,
                ..
            } => {
                let why = rejection.as_deref().unwrap_or("");
                locale.pick(
                    format!("旧件丢失（{reason}）未获 {by} 批准：{why}；须找回旧件并登记去向"),
                    format!(
                        "old part loss ({reason}) rejected by {by}: {why}; find the old part \
                         and record its fate"
                    ),
                )
            }
            OldPartCustody::Returned => locale.pick("旧件已交回", "old part returned").to_owned(),
        }
    }
}

/// One part line's old part: the line, its part and quantity, and where the old part is (the
/// write-off reads these; a refused close names the unaccounted ones).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartCustody {
    pub line_id: String,
    pub part_number: String,
    pub quantity: u32,
    pub custody: OldPartCustody,
}

impl Localized for PartCustody {
    fn text(&self, locale: Locale) -> String {
        // The line's id is long; its last 8 digits tell lines apart on one case, and the CLI
        // and the apps find a line by any unique part of its id.
        let short = &self.line_id[self.line_id.len().saturating_sub(8)..];
        locale.pick(
            format!(
                "配件 {} ×{}（记录 …{short}）{}",
                self.part_number,
                self.quantity,
                self.custody.text(Locale::ZhCn)
            ),
            format!(
                "part {} x{} (line …{short}): {}",
                self.part_number,
                self.quantity,
                self.custody.text(Locale::En)
            ),
        )
    }
}

/// The custody of one part line's old part: what its latest custody entry (by time, then id:
/// the order every replica sees) says, a loss read with HQ's decision on it. Entries merged
/// from several devices are simply all considered; the latest one stands.
pub fn custody(
    entries: &[CustodyEntry],
    loss_decision: impl Fn(&str) -> Option<LossDecision>,
) -> OldPartCustody {
    let Some(latest) = entries
        .iter()
        .max_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)))
    else {
        return OldPartCustody::Unrecorded;
    };
    match &latest.mark {
        CustodyMark::Kept { tag } => OldPartCustody::Kept { tag: tag.clone() },
        CustodyMark::Shipped { shipment, tag } => OldPartCustody::Shipped {
            shipment: shipment.clone(),
            tag: tag.clone(),
        },
        CustodyMark::Returned => OldPartCustody::Returned,
        CustodyMark::Lost { reason } => {
            let entry = latest.id.clone();
            let reason = reason.clone();
            match loss_decision(&latest.id) {
                None => OldPartCustody::LostAwaitingApproval { entry, reason },
                Some(d) if d.approved => OldPartCustody::LostApproved {
                    entry,
                    reason,
                    by: d.by,
                },
                Some(d) => OldPartCustody::LostRejected {
                    entry,
                    reason,
                    by: d.by,
                    rejection: d.reason,
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(minute: u32) -> Timestamp {
        chrono::FixedOffset::east_opt(8 * 3600)
            .unwrap()
            .with_ymd_and_hms(2026, 11, 2, 10, minute % 60, 0)
            .unwrap()
    }

    fn entry(id: &str, minute: u32, mark: CustodyMark) -> CustodyEntry {
        CustodyEntry {
            id: id.into(),
            at: at(minute),
            mark,
        }
    }

    #[test]
    fn nothing_recorded_is_unaccounted() {
        let state = custody(&[], |_| None);
        assert_eq!(state, OldPartCustody::Unrecorded);
        assert!(!state.accounted());
    }

    #[test]
    fn kept_then_shipped_is_shipped() {
        let entries = [
            entry(
                "b",
                2,
                CustodyMark::Shipped {
                    shipment: "S-1".into(),
                    tag: "T-9".into(),
                },
            ),
            entry("a", 1, CustodyMark::Kept { tag: "T-9".into() }),
        ];
        let state = custody(&entries, |_| None);
        assert_eq!(state.tag(), Some("T-9"));
        assert_eq!(state.as_str(), "shipped");
        assert!(state.accounted());
    }

    #[test]
    fn a_loss_counts_only_once_approved() {
        let entries = [entry(
            "l",
            1,
            CustodyMark::Lost {
                reason: "fell in the river".into(),
            },
        )];
        let pending = custody(&entries, |_| None);
        assert!(!pending.accounted());
        assert_eq!(pending.as_str(), "lost_awaiting_approval");
        let decide = |approved: bool| {
            move |id: &str| {
                (id == "l").then(|| LossDecision {
                    approved,
                    by: "Zhao".into(),
                    reason: (!approved).then(|| "look again".into()),
                })
            }
        };
        let approved = custody(&entries, decide(true));
        assert!(approved.accounted());
        let rejected = custody(&entries, decide(false));
        assert!(!rejected.accounted());
        assert!(rejected.text(Locale::En).contains("look again"));
        assert!(rejected.text(Locale::ZhCn).contains("look again"));
    }

    fn mark() -> impl Strategy<Value = CustodyMark> {
        prop_oneof![
            "[A-Z]{1,3}".prop_map(|tag| CustodyMark::Kept { tag }),
            ("[A-Z]{1,3}", "[A-Z]{1,3}")
                .prop_map(|(shipment, tag)| CustodyMark::Shipped { shipment, tag }),
            "[a-z]{1,5}".prop_map(|reason| CustodyMark::Lost { reason }),
            Just(CustodyMark::Returned),
        ]
    }

    proptest! {
        /// Any entries, in any order, with any decisions: the state is the latest entry's (by
        /// time, then id), a loss read with its own decision; accounted exactly when it is not
        /// unrecorded nor a loss without approval.
        #[test]
        fn the_latest_entry_decides(
            marks in proptest::collection::vec((0u32..5, mark(), proptest::option::of(any::<bool>())), 0..8),
            rotate in 0usize..8,
        ) {
            let entries: Vec<CustodyEntry> = marks
                .iter()
                .enumerate()
                .map(|(i, (minute, mark, _))| entry(&format!("e{i}"), *minute, mark.clone()))
                .collect();
            let decision = |id: &str| {
                let i: usize = id.trim_start_matches('e').parse().ok()?;
                marks[i].2.map(|approved| LossDecision { approved, by: "hq".into(), reason: None })
            };
            let mut shuffled = entries.clone();
            if !shuffled.is_empty() {
                let n = rotate % shuffled.len();
                shuffled.rotate_left(n);
                shuffled.reverse();
            }
            let state = custody(&shuffled, decision);
            prop_assert_eq!(&state, &custody(&entries, decision));

            let latest = entries.iter().max_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
            let expected = match latest {
                None => "unrecorded",
                Some(e) => match &e.mark {
                    CustodyMark::Kept { .. } => "kept",
                    CustodyMark::Shipped { .. } => "shipped",
                    CustodyMark::Returned => "returned",
                    CustodyMark::Lost { .. } => match decision(&e.id) {
                        None => "lost_awaiting_approval",
                        Some(d) if d.approved => "lost_approved",
                        Some(_) => "lost_rejected",
                    },
                },
            };
            prop_assert_eq!(state.as_str(), expected);
            prop_assert_eq!(
                state.accounted(),
                !matches!(expected, "unrecorded" | "lost_awaiting_approval" | "lost_rejected")
            );
            // Every state is worded in both languages.
            prop_assert!(!state.text(Locale::ZhCn).is_empty());
            prop_assert_ne!(state.text(Locale::ZhCn), state.text(Locale::En));
        }
    }
}
