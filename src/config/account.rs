//! `--account USERNAME:PASSWORD[:ROLE]`, the accounts `serve --ephemeral`
//! creates.

use std::fmt;

use crate::domain::{NewPassword, Username};

pub use crate::domain::Role;

/// One `--account`: a valid username and password, and the role if one
/// was named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSpec {
    pub username: Username,
    pub password: NewPassword,
    pub role: Option<Role>,
}

/// Why an `--account` was refused; never shows the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSpecError {
    /// What came before the first `:`.
    pub username: String,
    pub problem: String,
}

impl fmt::Display for AccountSpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "--account {}:…: {}", self.username, self.problem)
    }
}

impl std::error::Error for AccountSpecError {}

impl AccountSpec {
    /// `USERNAME:PASSWORD[:ROLE]`. The username has no `:`; the password
    /// may (`ada:pass:word` is the password `pass:word`); the last part is
    /// a role only when it is one of the role names.
    pub fn parse(spec: &str) -> Result<AccountSpec, AccountSpecError> {
        let refuse = |username: &str, problem: &str| AccountSpecError {
            username: username.to_owned(),
            problem: problem.to_owned(),
        };
        let Some((username, rest)) = spec.split_once(':') else {
            // Not shown: without its `USERNAME:` the value may well be the
            // password alone.
            return Err(refuse(
                "(not shown)",
                "expected USERNAME:PASSWORD[:ROLE], with a colon after the username",
            ));
        };
        let (password, role) = match rest.rsplit_once(':') {
            Some((password, word)) => match Role::parse(word) {
                Some(role) => (password, Some(role)),
                None => (rest, None),
            },
            None => (rest, None),
        };
        let parsed_username = Username::parse_new(username).map_err(|m| refuse(username, &m))?;
        let password = NewPassword::parse(password).map_err(|m| refuse(username, &m))?;
        Ok(AccountSpec {
            username: parsed_username,
            password,
            role,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{AccountSpec, Role};

    #[test]
    fn the_role_is_read_only_when_the_last_part_names_one() {
        let plain = AccountSpec::parse("ada:long enough password").unwrap();
        assert_eq!(plain.username.as_str(), "ada");
        assert_eq!(plain.password.expose(), "long enough password");
        assert_eq!(plain.role, None);

        let admin = AccountSpec::parse("ada:long enough password:admin").unwrap();
        assert_eq!(admin.password.expose(), "long enough password");
        assert_eq!(admin.role, Some(Role::Admin));

        let colons = AccountSpec::parse("ada:pass:word:more:viewer").unwrap();
        assert_eq!(colons.password.expose(), "pass:word:more");
        assert_eq!(colons.role, Some(Role::Viewer));

        let not_a_role = AccountSpec::parse("ada:correct:horse").unwrap();
        assert_eq!(not_a_role.password.expose(), "correct:horse");
        assert_eq!(not_a_role.role, None);
    }

    #[test]
    fn bad_specs_are_refused_without_showing_the_password() {
        for (bad, secret) in [
            ("ada", None),
            ("Sup3rSecretPassw0rd", Some("Sup3rSecret")),
            ("new:long enough password", Some("long enough")),
            ("ada:short", Some("short")),
            ("ada:short:admin", Some("short")),
            (":long enough password", Some("long enough")),
            ("a b:long enough password", Some("long enough")),
        ] {
            let shown = AccountSpec::parse(bad).unwrap_err().to_string();
            assert!(shown.starts_with("--account "), "{shown}");
            if let Some(secret) = secret {
                assert!(!shown.contains(secret), "{shown}");
            }
        }
    }
}
