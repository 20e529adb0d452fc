//! Which console role may open which page (docs/console.md has the same table). What a role
//! may *decide* is not here: each form calls the function the `fieldhq` command calls, and
//! that function checks the role, so the rule lives in one place.

use crate::access::Role;

/// The roles that may sign in to the console: HQ's people. Field engineers and repair-center
/// technicians work on devices.
pub const CONSOLE_ROLES: [Role; 5] = [
    Role::HqStaff,
    Role::CsManager,
    Role::Vp,
    Role::Quality,
    Role::Warehouse,
];

/// A page (or group of pages) of the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// The case list, a case's detail and its photos.
    Cases,
    Escalations,
    /// Everything waiting for the signed-in role.
    Approvals,
    /// Stock balances, ledgers, write-offs and their vouchers.
    Parts,
    /// Devices (revoking a lost phone) and users.
    Devices,
    /// The monthly report (built beside the console; the navigation links to it).
    Report,
}

impl Page {
    /// Whether `role` may open the page.
    pub fn allows(self, role: Role) -> bool {
        use Role::*;
        match self {
            Page::Cases | Page::Approvals | Page::Report => CONSOLE_ROLES.contains(&role),
            // The warehouse receives goods; escalations go to management and quality.
            Page::Escalations => matches!(role, HqStaff | CsManager | Vp | Quality),
            // The parts ledger is kept by customer service, checked by quality, stocked by
            // the warehouse; the vice president approves returns, not parts.
            Page::Parts => matches!(role, HqStaff | CsManager | Quality | Warehouse),
            // Revoking a lost phone is customer service's housekeeping: its staff and head.
            Page::Devices => matches!(role, HqStaff | CsManager),
        }
    }

    pub const ALL: [Page; 6] = [
        Page::Cases,
        Page::Escalations,
        Page::Approvals,
        Page::Parts,
        Page::Devices,
        Page::Report,
    ];

    /// The page's address.
    pub fn href(self) -> &'static str {
        match self {
            Page::Cases => "/console/cases",
            Page::Escalations => "/console/escalations",
            Page::Approvals => "/console/approvals",
            Page::Parts => "/console/parts",
            Page::Devices => "/console/devices",
            Page::Report => "/console/report",
        }
    }

    /// The navigation label, zh-CN then English, in the procedures' terms.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Page::Cases => ("客诉/服务单", "Cases"),
            Page::Escalations => ("升级/上报", "Escalations"),
            Page::Approvals => ("待审批", "Approvals"),
            Page::Parts => ("备件与核销", "Parts & write-offs"),
            Page::Devices => ("设备与用户", "Devices & users"),
            Page::Report => ("月报", "Monthly report"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_roles_open_nothing_and_hq_roles_what_the_table_says() {
        for page in Page::ALL {
            assert!(!page.allows(Role::Engineer) && !page.allows(Role::Technician));
        }
        assert!(Page::Devices.allows(Role::CsManager) && !Page::Devices.allows(Role::Vp));
        assert!(!Page::Parts.allows(Role::Vp) && Page::Parts.allows(Role::Warehouse));
        assert!(!Page::Escalations.allows(Role::Warehouse));
        for role in CONSOLE_ROLES {
            assert!(Page::Cases.allows(role) && Page::Approvals.allows(role));
        }
    }
}
