//! A password being chosen (at `/setup`, by `registrar user add`, by
//! `serve --ephemeral --account`): the one place its rules live.

use std::fmt;

/// A new password: at least 10 characters (at most 256), kept as typed.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 256;

    pub fn parse(input: &str) -> Result<Self, String> {
        let chars = input.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(format!(
                "The password must be at least {} characters",
                Self::MIN_CHARS
            ));
        }
        if chars > Self::MAX_CHARS {
            return Err(format!(
                "The password must be {} characters or fewer",
                Self::MAX_CHARS
            ));
        }
        Ok(NewPassword(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Never prints the password.
impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::NewPassword;

    #[test]
    fn passwords_have_a_minimum_length_and_are_never_printed() {
        assert!(NewPassword::parse("short").is_err());
        let p = NewPassword::parse("correct horse").unwrap();
        assert_eq!(format!("{p:?}"), "NewPassword(***)");
        assert!(NewPassword::parse(&"x".repeat(257)).is_err());
    }
}
