use std::fmt;

use super::text::trimmed;

/// The institution's identifier of a student (contract §12): 1–20 ASCII
/// letters, digits and `-`, kept upper-cased, so `s-0042` and `S-0042` are
/// one number. Optional: a blank input is no number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StudentNumber(String);

const MESSAGE: &str =
    "A student number is 1 to 20 letters, digits and hyphens (-), like S-2026-0042";

impl StudentNumber {
    pub const MAX_CHARS: usize = 20;

    /// `Ok(None)` for blank input (no number); the number upper-cased; or
    /// why not.
    pub fn parse(input: &str) -> Result<Option<Self>, String> {
        let input = trimmed(input);
        if input.is_empty() {
            return Ok(None);
        }
        let well_formed = input.len() <= Self::MAX_CHARS
            && input
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !well_formed {
            return Err(MESSAGE.to_owned());
        }
        Ok(Some(StudentNumber(input.to_ascii_uppercase())))
    }

    /// A number that passed [`StudentNumber::parse`] when it was stored
    /// (a student's or an import row's column, which registrar writes only
    /// from parsed numbers): typed again without its rule run twice.
    pub fn checked(text: String) -> Self {
        StudentNumber(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StudentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::StudentNumber;

    fn parsed(input: &str) -> Option<String> {
        StudentNumber::parse(input)
            .unwrap_or_else(|e| panic!("{input:?} was refused: {e}"))
            .map(|n| n.to_string())
    }

    #[test]
    fn numbers_are_upper_cased_and_trimmed() {
        assert_eq!(parsed(" s-2026-0042 "), Some("S-2026-0042".to_owned()));
        assert_eq!(parsed("0042"), Some("0042".to_owned()));
        assert_eq!(parsed(&"9".repeat(20)), Some("9".repeat(20)));
        assert_eq!(parsed("\u{2068}ab12\u{2069}"), Some("AB12".to_owned()));
    }

    #[test]
    fn blank_is_no_number() {
        assert_eq!(parsed(""), None);
        assert_eq!(parsed("   "), None);
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "S 42",
            "S_42",
            "é1",
            "S/42",
            "4٢",
            &"1".repeat(21),
            "S-4\u{2068}2",
            "+42",
        ] {
            assert!(StudentNumber::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
