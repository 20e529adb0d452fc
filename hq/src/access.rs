//! Who may see and write which case: the partial-replication rules, as pure functions.
//!
//! - a field engineer: the cases they created (first pushed by one of their devices) and the
//!   cases assigned to them;
//! - a repair-center technician: the cases routed to their center;
//! - HQ staff: every case.
//!
//! Seeing and writing are the same right: a device writes what it syncs.

use crate::error::{Error, Result};
use crate::storage::CaseRow;

/// Roles are the core's: the field-authority table there says what each may write.
pub use fieldcore::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// The repair center of a technician; `None` for everyone else.
    pub center: Option<String>,
}

/// The cases a user may see, in the form the pull query filters on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    /// Created by or assigned to this user id.
    Engineer(i64),
    /// Routed to this center.
    Center(String),
}

impl User {
    pub fn scope(&self) -> Result<Scope> {
        Ok(match self.role {
            // HQ's people, the HQ warehouse included, work every case.
            Role::HqStaff | Role::CsManager | Role::Vp | Role::Quality | Role::Warehouse => {
                Scope::All
            }
            Role::Engineer => Scope::Engineer(self.id),
            Role::Technician => {
                Scope::Center(self.center.clone().ok_or_else(|| {
                    Error::internal(format!("technician {} has no center", self.id))
                })?)
            }
        })
    }

    /// Whether the user may see (and therefore write) an existing case.
    pub fn may_access(&self, case: &CaseRow) -> bool {
        match self.role {
            Role::HqStaff | Role::CsManager | Role::Vp | Role::Quality | Role::Warehouse => true,
            Role::Engineer => case.created_by == self.id || case.assigned_engineer == Some(self.id),
            Role::Technician => {
                self.center.is_some() && case.routed_center.as_deref() == self.center.as_deref()
            }
        }
    }

    /// The center a case created by this user is routed to: a technician's own center, so
    /// that the technician who registered a case can keep working on it.
    pub fn route_of_new_case(&self) -> Option<String> {
        match self.role {
            Role::Technician => self.center.clone(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn user(id: i64, role: Role, center: Option<&str>) -> User {
        User {
            id,
            name: format!("u{id}"),
            role,
            center: center.map(str::to_owned),
        }
    }

    fn case(created_by: i64, assigned: Option<i64>, center: Option<&str>) -> CaseRow {
        CaseRow {
            case_id: Uuid::nil(),
            number: None,
            created_by,
            assigned_engineer: assigned,
            routed_center: center.map(str::to_owned),
            sync_seq: 1,
        }
    }

    #[test]
    fn each_role_sees_what_the_rules_say() {
        let engineer = user(1, Role::Engineer, None);
        let tech = user(2, Role::Technician, Some("north"));
        let staff = user(3, Role::HqStaff, None);
        let own = case(1, None, None);
        let assigned = case(3, Some(1), None);
        let others = case(3, Some(4), Some("south"));
        let routed = case(3, None, Some("north"));
        assert!(engineer.may_access(&own) && engineer.may_access(&assigned));
        assert!(!engineer.may_access(&others) && !engineer.may_access(&routed));
        assert!(tech.may_access(&routed));
        assert!(!tech.may_access(&own) && !tech.may_access(&others));
        for c in [&own, &assigned, &others, &routed] {
            assert!(staff.may_access(c));
        }
    }
}
