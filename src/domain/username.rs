use std::fmt;

/// A registrar's username: 1–64 of ASCII letters, digits, `.`, `_`, `-`,
/// `@`; unique regardless of case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(input: &str) -> Result<Self, String> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err("Enter a username".to_owned());
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(format!(
                "The username must be {} characters or fewer",
                Self::MAX_CHARS
            ));
        }
        if !trimmed
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
        {
            return Err(
                "The username may only contain letters, digits, dots, dashes, underscores and @"
                    .to_owned(),
            );
        }
        Ok(Username(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key that makes usernames unique regardless of case.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Username;

    #[test]
    fn usernames_are_trimmed_and_keyed_without_case() {
        let u = Username::parse(" Ada.Lovelace@uni ").unwrap();
        assert_eq!(u.as_str(), "Ada.Lovelace@uni");
        assert_eq!(u.key(), "ada.lovelace@uni");
    }

    #[test]
    fn bad_usernames_are_refused() {
        for bad in ["", "  ", "ada lovelace", "ada/x", "é", &"a".repeat(65)] {
            assert!(Username::parse(bad).is_err(), "{bad:?}");
        }
    }
}
