//! How an account signs in, as the account pages say it (contract §14):
//! with the university account, a registrar password, or both; and
//! whether passwords still work for it on this server.

use sea_orm::{ConnectionTrait, DbErr};

use super::account::Account;
use super::provider::{has_password, identity_of};
use crate::auth::AuthPolicy;
use crate::config::PasswordSignIn;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInMethod {
    /// The `sub` of the linked university identity, if any.
    pub university: Option<String>,
    pub password: bool,
    /// `--break-glass`: its password works with passwords turned off.
    pub break_glass: bool,
    pub passwords_off: bool,
}

impl SignInMethod {
    pub async fn of(
        db: &impl ConnectionTrait,
        auth: &AuthPolicy,
        account: &Account,
    ) -> Result<Self, DbErr> {
        let university = identity_of(db, account.id).await?.map(|i| i.subject);
        Ok(SignInMethod {
            university,
            password: has_password(&account.password_hash),
            break_glass: auth.break_glass.contains(&account.username_key),
            passwords_off: auth.passwords == PasswordSignIn::Off,
        })
    }

    /// One sentence, in the office's words.
    pub fn describe(&self) -> String {
        let password_works = self.password && (!self.passwords_off || self.break_glass);
        let mut text = match (&self.university, password_works) {
            (Some(sub), true) => format!(
                "with the university account (identity “{sub}”) or with a registrar password"
            ),
            (Some(sub), false) => format!("with the university account (identity “{sub}”) only"),
            (None, true) => "with a registrar password".to_owned(),
            (None, false) => {
                "not at all: passwords are turned off on this server and no university \
                 identity is linked"
                    .to_owned()
            }
        };
        if self.break_glass {
            text.push_str(
                "; it is a break-glass account: its password works even with passwords \
                 turned off, and is set on the server with `registrar user`",
            );
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::SignInMethod;

    #[test]
    fn each_way_of_signing_in_is_said() {
        let method = |university: Option<&str>, password, break_glass, passwords_off| {
            SignInMethod {
                university: university.map(str::to_owned),
                password,
                break_glass,
                passwords_off,
            }
            .describe()
        };
        assert_eq!(
            method(None, true, false, false),
            "with a registrar password"
        );
        assert!(method(Some("ada"), false, false, false).ends_with("(identity “ada”) only"));
        assert!(method(Some("ada"), true, false, false).contains("or with a registrar password"));
        assert!(method(Some("ada"), true, false, true).ends_with("only"));
        assert!(method(None, true, false, true).starts_with("not at all"));
        assert!(method(None, true, true, true).contains("break-glass"));
    }
}
