use std::fmt;

use super::text::{TextError, is_unchanged, single_line};

/// A student's address: trimmed, 1–60 characters, one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address(String);

impl Address {
    pub const MAX_CHARS: usize = 60;

    pub fn parse(input: &str) -> Result<Self, String> {
        single_line(input, Self::MAX_CHARS)
            .map(Address)
            .map_err(|e: TextError| e.message("address"))
    }

    /// An edit of the stored value: input equal to it up to NFC is the
    /// stored value itself, kept as it is (values stored before the rule
    /// stay until edited, contract §1); anything else must pass [`Address::parse`].
    pub fn parse_edit(input: &str, stored: &str) -> Result<Self, String> {
        if is_unchanged(input, stored) {
            return Ok(Address(stored.to_owned()));
        }
        Self::parse(input)
    }

    /// Text that passed [`Address::parse`] when it was stored (see
    /// [`super::StudentValues::checked`]).
    pub(super) fn checked(text: String) -> Self {
        Address(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Address;

    #[test]
    fn an_address_is_trimmed_and_kept() {
        assert_eq!(
            Address::parse(" 1 Main St, Springfield ").unwrap().as_str(),
            "1 Main St, Springfield"
        );
    }

    #[test]
    fn sixty_characters_fit_and_sixty_one_do_not() {
        assert!(Address::parse(&"字".repeat(60)).is_ok());
        assert!(Address::parse(&"字".repeat(61)).is_err());
    }

    #[test]
    fn an_address_is_a_single_line() {
        assert!(Address::parse("1 Main St\r\nSpringfield").is_err());
        assert!(Address::parse("").is_err());
    }
}
