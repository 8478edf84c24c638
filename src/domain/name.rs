use std::fmt;

use super::text::{TextError, is_unchanged, single_line};

/// A student's name: trimmed, 1–30 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    pub const MAX_CHARS: usize = 30;

    pub fn parse(input: &str) -> Result<Self, String> {
        single_line(input, Self::MAX_CHARS)
            .map(Name)
            .map_err(|e: TextError| e.message("name"))
    }

    /// An edit of the stored value: input equal to it up to NFC is the
    /// stored value itself, kept as it is (values stored before the rule
    /// stay until edited, contract §1); anything else must pass [`Name::parse`].
    pub fn parse_edit(input: &str, stored: &str) -> Result<Self, String> {
        if is_unchanged(input, stored) {
            return Ok(Name(stored.to_owned()));
        }
        Self::parse(input)
    }

    /// Text that passed [`Name::parse`] when it was stored (see
    /// [`super::StudentValues::checked`]).
    pub(super) fn checked(text: String) -> Self {
        Name(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Name;

    #[test]
    fn a_name_is_trimmed() {
        assert_eq!(
            Name::parse("  Ada Lovelace \t").unwrap().as_str(),
            "Ada Lovelace"
        );
    }

    #[test]
    fn thirty_characters_are_counted_as_characters_not_bytes() {
        let thirty = "é".repeat(30);
        assert_eq!(Name::parse(&thirty).unwrap().as_str(), thirty);
        assert!(Name::parse(&"é".repeat(31)).is_err());
        assert!(Name::parse(&"a".repeat(31)).is_err());
    }

    #[test]
    fn empty_and_blank_names_are_refused() {
        assert!(Name::parse("").is_err());
        assert!(Name::parse("   ").is_err());
    }

    #[test]
    fn control_characters_are_refused() {
        for bad in [
            "Ada\nLovelace",
            "Ada\u{0}",
            "A\u{7f}da",
            "Ada\u{85}x",
            "a\tb",
        ] {
            assert!(Name::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn markup_and_quotes_are_kept_as_typed() {
        let name = "<b>O'Brien</b> & \"Co\"";
        assert_eq!(Name::parse(name).unwrap().as_str(), name);
    }
}
