//! Who may write what in a case document: one table, read by HQ on every pushed change and by
//! the device before it stores a command, so that a user meets a refusal offline rather than
//! at sync. HQ owns the official number and the fields HQ staff set at HQ (acceptance,
//! assignment, routing, approvals, RMA numbers); some decisions belong to the roles the
//! procedures give them; everything else any user who may write the case may write.

use std::fmt;

use crate::locale::{Locale, Localized};

/// A user's role, as HQ records it and the procedures name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Field service engineer (现场服务工程师), on site.
    Engineer,
    /// Repair-center or dealer technician (维修中心), belonging to one center.
    Technician,
    /// HQ customer-service staff (客户服务部).
    HqStaff,
    /// The customer-service manager (客户服务部经理): reviews returns, approves replenishment.
    CsManager,
    /// The vice president in charge (主管副总经理): approves returns, told of major incidents.
    Vp,
    /// Quality (品保部): root causes, re-inspection, the return-analysis report.
    Quality,
    /// The warehouse (仓库): receives returned goods and re-inspects them.
    Warehouse,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Engineer,
        Role::Technician,
        Role::HqStaff,
        Role::CsManager,
        Role::Vp,
        Role::Quality,
        Role::Warehouse,
    ];

    /// The name stored and sent: `engineer`, `technician`, `hq_staff`, `cs_manager`, `vp`,
    /// `quality`, `warehouse`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Engineer => "engineer",
            Role::Technician => "technician",
            Role::HqStaff => "hq_staff",
            Role::CsManager => "cs_manager",
            Role::Vp => "vp",
            Role::Quality => "quality",
            Role::Warehouse => "warehouse",
        }
    }

    /// Accepts the stored name and the command line's spelling with `-` (`hq-staff`).
    pub fn parse(s: &str) -> Option<Role> {
        let s = s.trim().replace('-', "_");
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether the role works at HQ (sees every case) rather than in the field or at a center.
    pub fn at_hq(self) -> bool {
        !matches!(self, Role::Engineer | Role::Technician)
    }
}

impl Localized for Role {
    fn text(&self, l: Locale) -> String {
        let zh = match self {
            Role::Engineer => "现场服务工程师",
            Role::Technician => "维修中心技术员",
            Role::HqStaff => "总部客服人员",
            Role::CsManager => "客户服务部经理",
            Role::Vp => "主管副总经理",
            Role::Quality => "品保部",
            Role::Warehouse => "仓库",
        };
        l.pick(zh, self.as_str()).into()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who writes a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    /// Only HQ, with its own actor.
    Hq,
    /// A device whose user has one of these roles.
    Roles(&'static [Role]),
    /// Any device whose user may write the case.
    AnyDevice,
}

/// Who is writing a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    Hq,
    Device(Role),
}

const ON_SITE_OR_BENCH: &[Role] = &[Role::Engineer, Role::Technician];

/// The table: a root key of the case document, optionally one key inside it, and who may
/// write there. A row with a key inside is more specific than its root key's row. The keys
/// HQ owns but does not write yet are reserved here so that no device can take them first.
const TABLE: &[(&str, Option<&str>, Writer)] = &[
    ("number", None, Writer::Hq),
    ("accepted", None, Writer::Hq),
    ("assignment", None, Writer::Hq),
    ("route", None, Writer::Hq),
    ("approvals", None, Writer::Hq),
    ("rma", None, Writer::Hq),
    // Escalations are raised and acknowledged at HQ; devices only show them.
    ("escalations", None, Writer::Hq),
    // The cause is confirmed where the product is: on site or at the repair bench.
    ("decisions", Some("defect"), Writer::Roles(ON_SITE_OR_BENCH)),
    // The warranty decision rests on that confirmation, by the same people.
    (
        "decisions",
        Some("warranty"),
        Writer::Roles(ON_SITE_OR_BENCH),
    ),
    // The investigation report is written by whoever confirmed the defect, on site or at
    // the bench.
    ("decisions", Some("report"), Writer::Roles(ON_SITE_OR_BENCH)),
    // Parts are used and old parts collected by whoever repairs.
    ("parts", None, Writer::Roles(ON_SITE_OR_BENCH)),
    // Returned goods are received at the door of the warehouse or the repair center, and
    // re-inspected there or by quality; the request itself is anyone's who may write the case.
    (
        "receipts",
        None,
        Writer::Roles(&[Role::Warehouse, Role::Technician]),
    ),
    (
        "inspections",
        None,
        Writer::Roles(&[Role::Warehouse, Role::Technician, Role::Quality]),
    ),
    // Visits are planned at HQ or by the engineer, and made by the engineer.
    (
        "visits",
        None,
        Writer::Roles(&[Role::Engineer, Role::HqStaff]),
    ),
];

/// The decision keys (`missed.<round>.<milestone>`) HQ may write besides its own fields.
const NOTICED_BY_ANYONE: &str = "missed.";

/// Who may write `key` inside the root key `root` (`key` is `None` for the root key itself).
pub fn writer_of(root: &str, key: Option<&str>) -> Writer {
    let specific = key.and_then(|key| {
        TABLE
            .iter()
            .find(|(r, k, _)| *r == root && *k == Some(key))
            .map(|(_, _, w)| *w)
    });
    specific
        .or_else(|| {
            TABLE
                .iter()
                .find(|(r, k, _)| *r == root && k.is_none())
                .map(|(_, _, w)| *w)
        })
        .unwrap_or(Writer::AnyDevice)
}

/// Whether `author` may write `key` in `root`; the refusal explains itself.
pub fn may_write(author: Author, root: &str, key: Option<&str>) -> Result<(), String> {
    let field = match key {
        Some(key) => format!("{root}.{key}"),
        None => root.to_owned(),
    };
    match (writer_of(root, key), author) {
        (Writer::Hq, Author::Hq) => Ok(()),
        // A missed deadline is a fact whoever notices it records (a device with any command,
        // HQ when it scans its cases); the records of one miss agree, whoever wrote them.
        (_, Author::Hq)
            if root == "decisions" && key.is_some_and(|k| k.starts_with(NOTICED_BY_ANYONE)) =>
        {
            Ok(())
        }
        // HQ writes only its own fields: it never decides on a device's behalf.
        (_, Author::Hq) => Err(format!("{field} is written by devices, not by HQ")),
        (Writer::Hq, Author::Device(_)) => Err(format!("{field} is written only by HQ")),
        (Writer::AnyDevice, Author::Device(_)) => Ok(()),
        (Writer::Roles(roles), Author::Device(role)) if roles.contains(&role) => Ok(()),
        (Writer::Roles(roles), Author::Device(role)) => Err(format!(
            "{field} is written only by {}, not by {role}",
            roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(" or ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLES: [Role; 7] = Role::ALL;

    #[test]
    fn hq_owns_its_fields_and_no_device_may_write_them() {
        for root in [
            "number",
            "accepted",
            "assignment",
            "route",
            "approvals",
            "rma",
            "escalations",
        ] {
            assert_eq!(may_write(Author::Hq, root, None), Ok(()));
            for role in ROLES {
                let refused = may_write(Author::Device(role), root, None).unwrap_err();
                assert!(refused.contains("only by HQ"), "{refused}");
                // A key inside an HQ field is HQ's too.
                assert!(may_write(Author::Device(role), root, Some("x")).is_err());
            }
        }
    }

    #[test]
    fn decisions_belong_to_their_roles() {
        for key in ["defect", "warranty", "report"] {
            assert!(may_write(Author::Device(Role::Engineer), "decisions", Some(key)).is_ok());
            assert!(may_write(Author::Device(Role::Technician), "decisions", Some(key)).is_ok());
            let refused =
                may_write(Author::Device(Role::HqStaff), "decisions", Some(key)).unwrap_err();
            assert_eq!(
                refused,
                format!(
                    "decisions.{key} is written only by engineer or technician, not by hq_staff"
                )
            );
        }
        // The status and the charge are anyone's who may write the case.
        for role in ROLES {
            for key in [
                "status",
                "charge",
                "resolution",
                "passed_to_qa",
                "remedy",
                "agreed_deadline",
                "missed.1.reply",
            ] {
                assert!(may_write(Author::Device(role), "decisions", Some(key)).is_ok());
            }
        }
        // Missed deadlines are recorded by whoever notices them, HQ included; nothing else of
        // the decisions is HQ's to write.
        assert!(may_write(Author::Hq, "decisions", Some("missed.2.close")).is_ok());
        assert!(may_write(Author::Hq, "decisions", Some("status")).is_err());
        assert!(may_write(Author::Hq, "decisions", Some("missed")).is_err());
        assert!(may_write(Author::Device(Role::Technician), "visits", Some("v1")).is_err());
        assert!(may_write(Author::Device(Role::HqStaff), "parts", Some("p1")).is_err());
    }

    #[test]
    fn every_other_key_is_any_devices_and_never_hqs() {
        for root in [
            "facts",
            "notes",
            "photos",
            "events",
            "rounds",
            "confirmations",
            "x",
        ] {
            for role in ROLES {
                assert!(may_write(Author::Device(role), root, Some("k")).is_ok());
            }
            assert!(may_write(Author::Hq, root, Some("k")).is_err());
        }
    }

    #[test]
    fn returned_goods_are_received_and_reinspected_by_their_roles() {
        for role in ROLES {
            let receives = matches!(role, Role::Warehouse | Role::Technician);
            assert_eq!(
                may_write(Author::Device(role), "receipts", Some("r1")).is_ok(),
                receives,
                "{role}"
            );
            let inspects = receives || role == Role::Quality;
            assert_eq!(
                may_write(Author::Device(role), "inspections", Some("i1")).is_ok(),
                inspects,
                "{role}"
            );
            // The request is anyone's who may write the case; the decisions on it are HQ's.
            assert!(may_write(Author::Device(role), "returns", Some("q1")).is_ok());
            assert!(may_write(Author::Device(role), "rma", Some("q1")).is_err());
        }
        assert!(may_write(Author::Hq, "rma", Some("q1")).is_ok());
        assert!(may_write(Author::Hq, "receipts", Some("r1")).is_err());
    }

    #[test]
    fn roles_parse_from_both_spellings() {
        for role in ROLES {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("hq-staff"), Some(Role::HqStaff));
        assert_eq!(Role::parse("cs-manager"), Some(Role::CsManager));
        assert_eq!(Role::parse("boss"), None);
    }
}
