//! What a reader may see of confidential students (contract §15).

use super::{Field, Role};

/// How much of a confidential student's record a reader receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disclosure {
    /// Registrars and admins: every value.
    Full,
    /// Viewers: a confidential student's withheld fields (the address)
    /// are never sent, nor matched by their searches.
    Directory,
}

impl Disclosure {
    /// What `role` may see: registrars, who set the hold, see everything.
    pub fn of(role: Role) -> Disclosure {
        if role.may_change_records() {
            Disclosure::Full
        } else {
            Disclosure::Directory
        }
    }

    /// Whether `field` of a student whose hold is `confidential` is
    /// withheld from this reader.
    pub fn withholds(self, field: Field, confidential: bool) -> bool {
        self.withholds_from(confidential) && field.is_withheld_by_hold()
    }

    /// Whether anything of a student whose hold is `confidential` is
    /// withheld from this reader.
    pub fn withholds_from(self, confidential: bool) -> bool {
        confidential && self == Disclosure::Directory
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_viewers_miss_only_a_confidential_address() {
        let viewer = Disclosure::of(Role::Viewer);
        assert!(viewer.withholds(Field::Address, true));
        assert!(!viewer.withholds(Field::Address, false));
        assert!(!viewer.withholds(Field::Name, true));
        assert!(!viewer.withholds(Field::Confidential, true));
        for role in [Role::Registrar, Role::Admin] {
            assert!(!Disclosure::of(role).withholds(Field::Address, true));
        }
    }
}
