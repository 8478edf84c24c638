use sea_orm::entity::prelude::*;

/// A session that ended, remembered for a day (contract §12) so that a
/// form its page posts afterwards is recognised as its account's and kept,
/// not lost. Like a live session it is named by the SHA-256 of its cookie's
/// token; its form token is kept only as a SHA-256 too. It signs nobody in.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ended_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub registrar_id: i64,
    /// SHA-256 of the form token its pages carried.
    pub csrf_digest: String,
    /// When it ended: for a session past a limit, when it reached it.
    pub ended_at: DateTimeUtc,
    pub cause: EndCause,
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum EndCause {
    /// Its holder signed out (or ended this very session from `/account`).
    #[sea_orm(string_value = "signed-out")]
    SignedOut,
    /// Its browser signed in again, which starts a new session.
    #[sea_orm(string_value = "signed-in-again")]
    SignedInAgain,
    /// Ended from another session of the account: "Sign out" on
    /// `/account`, "Sign out everywhere else", or a password change.
    #[sea_orm(string_value = "elsewhere")]
    Elsewhere,
    /// No request for longer than the idle limit.
    #[sea_orm(string_value = "idle")]
    Idle,
    /// Past its absolute limit.
    #[sea_orm(string_value = "expired")]
    Expired,
    /// An admin (or the command line) disabled the account or set its
    /// password.
    #[sea_orm(string_value = "admin")]
    Admin,
}

impl EndCause {
    /// Why it ended, as a page says it ("when your session ended because …").
    pub fn explained(self) -> &'static str {
        match self {
            EndCause::SignedOut => "you signed out",
            EndCause::SignedInAgain => "you signed in again",
            EndCause::Elsewhere => "it was signed out from another session",
            EndCause::Idle => "it was idle for too long",
            EndCause::Expired => "it reached its time limit",
            EndCause::Admin => "an administrator ended it",
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
