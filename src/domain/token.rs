//! What an API token's holder chooses for it (contract §13): a name and a
//! lifetime in days, within the server's `--max-token-days`.

use std::fmt;

use super::text::{TextError, single_line};

/// What a token's holder calls it ("degree audit nightly"): 1–64
/// characters of single-line text, so a list of tokens says which is which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenName(String);

impl TokenName {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(input: &str) -> Result<Self, String> {
        single_line(input, Self::MAX_CHARS)
            .map(TokenName)
            .map_err(|e| match e {
                TextError::Empty => "Enter a name for the token".to_owned(),
                e => e.message("token's name"),
            })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TokenName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How many days a new token lives: a whole number from 1 to the server's
/// longest lifetime (`--max-token-days`); left blank, that longest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenDays(u32);

impl TokenDays {
    /// `input` as typed on the form; blank is `max`.
    pub fn parse(input: &str, max: u32) -> Result<Self, String> {
        let text = input.trim();
        if text.is_empty() {
            return Ok(TokenDays(max));
        }
        let too_long = || format!("A token may live at most {max} days");
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "Enter the days as a whole number from 1 to {max}, or leave it blank for {max}"
            ));
        }
        match text.parse::<u32>() {
            Ok(0) => Err("A token must live at least 1 day".to_owned()),
            Ok(days) if days <= max => Ok(TokenDays(days)),
            _ => Err(too_long()),
        }
    }

    /// `days` as the command line gives it (`--expires-days`), or `max`.
    pub fn within(days: Option<u32>, max: u32) -> Result<Self, String> {
        match days {
            None => Ok(TokenDays(max)),
            Some(0) => Err("a token must live at least 1 day".to_owned()),
            Some(days) if days <= max => Ok(TokenDays(days)),
            Some(days) => Err(format!(
                "{days} days is longer than --max-token-days ({max})"
            )),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }

    pub fn duration(self) -> chrono::Duration {
        chrono::Duration::days(i64::from(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::{TokenDays, TokenName};

    #[test]
    fn a_token_name_is_one_line_of_at_most_64_characters() {
        assert_eq!(
            TokenName::parse("  degree audit ").unwrap().as_str(),
            "degree audit"
        );
        assert_eq!(
            TokenName::parse("").unwrap_err(),
            "Enter a name for the token"
        );
        assert!(TokenName::parse("a\nb").is_err());
        assert!(TokenName::parse(&"é".repeat(64)).is_ok());
        assert!(TokenName::parse(&"é".repeat(65)).is_err());
    }

    #[test]
    fn days_are_a_whole_number_up_to_the_cap_and_blank_is_the_cap() {
        assert_eq!(TokenDays::parse("", 365).unwrap().get(), 365);
        assert_eq!(TokenDays::parse(" 30 ", 365).unwrap().get(), 30);
        assert_eq!(TokenDays::parse("365", 365).unwrap().get(), 365);
        for bad in ["0", "366", "-1", "1.5", "ten", "99999999999"] {
            assert!(TokenDays::parse(bad, 365).is_err(), "{bad:?}");
        }
        assert_eq!(TokenDays::within(None, 30).unwrap().get(), 30);
        assert_eq!(TokenDays::within(Some(7), 30).unwrap().get(), 7);
        assert!(TokenDays::within(Some(31), 30).is_err());
        assert!(TokenDays::within(Some(0), 30).is_err());
    }
}
