use std::fmt;

use super::text::{TextError, single_line};

/// Why a registrar made a change (contract §7): optional, trimmed, one line,
/// at most 200 characters, under the same text rule as the student's
/// fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(String);

impl Reason {
    pub const MAX_CHARS: usize = 200;

    /// `Ok(None)` when no reason was given (absent, empty or blank).
    pub fn parse(input: Option<&str>) -> Result<Option<Self>, String> {
        match single_line(input.unwrap_or_default(), Self::MAX_CHARS) {
            Ok(text) => Ok(Some(Reason(text))),
            Err(TextError::Empty) => Ok(None),
            Err(err) => Err(err.message("reason")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A submitted reason, parsed: none given, a valid one, or why not (the
/// message a page or a problem shows). A write judges it under the lock,
/// after the version: a stale write is a conflict even if its reason is
/// also invalid.
pub type ReasonInput = Result<Option<Reason>, String>;

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Reason;

    #[test]
    fn no_reason_is_a_valid_reason() {
        assert_eq!(Reason::parse(None), Ok(None));
        assert_eq!(Reason::parse(Some("   ")), Ok(None));
    }

    #[test]
    fn a_reason_is_trimmed_and_kept() {
        let reason = Reason::parse(Some(" Grade appeal upheld "))
            .unwrap()
            .unwrap();
        assert_eq!(reason.as_str(), "Grade appeal upheld");
    }

    #[test]
    fn two_hundred_characters_fit_and_two_hundred_one_do_not() {
        assert!(Reason::parse(Some(&"é".repeat(200))).is_ok());
        assert!(Reason::parse(Some(&"é".repeat(201))).is_err());
    }

    #[test]
    fn a_reason_is_a_single_line() {
        assert!(Reason::parse(Some("typo\nfixed")).is_err());
        assert!(Reason::parse(Some("typo\tfixed")).is_err());
    }
}
