//! The university's identity provider (contract §14) and who may still
//! sign in with a password.

use std::path::PathBuf;

/// `--password-sign-in on|off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PasswordSignIn {
    On,
    Off,
}

#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "University sign-in (OpenID Connect)")]
pub struct OidcSettings {
    /// The identity provider's issuer URL (its discovery document is
    /// ISSUER/.well-known/openid-configuration); `https://`, or `http://`
    /// on a loopback address only.
    #[arg(long, env = "REGISTRAR_OIDC_ISSUER", value_name = "URL")]
    pub oidc_issuer: Option<String>,

    /// The client id registrar is registered under at the provider.
    #[arg(
        long,
        env = "REGISTRAR_OIDC_CLIENT_ID",
        value_name = "ID",
        requires = "oidc_issuer"
    )]
    pub oidc_client_id: Option<String>,

    /// A file holding the client secret (its first line).
    #[arg(long, value_name = "FILE", requires = "oidc_issuer")]
    pub oidc_client_secret_file: Option<PathBuf>,

    /// The client secret, when not in a file.
    #[arg(
        long,
        env = "REGISTRAR_OIDC_CLIENT_SECRET",
        hide_env_values = true,
        hide = true,
        conflicts_with = "oidc_client_secret_file"
    )]
    pub oidc_client_secret: Option<String>,

    /// The public address of /login/oidc/callback, as registered at the
    /// provider (e.g. https://registrar.example.edu/login/oidc/callback).
    #[arg(
        long,
        env = "REGISTRAR_OIDC_REDIRECT_URL",
        value_name = "URL",
        requires = "oidc_issuer"
    )]
    pub oidc_redirect_url: Option<String>,

    /// Roles from the ID token's claims, CLAIM:VALUE=ROLE separated by
    /// commas (e.g. groups:registry-admins=admin,groups:staff=viewer);
    /// the highest matching role wins, none matching refuses the sign-in.
    #[arg(
        long,
        env = "REGISTRAR_OIDC_ROLES",
        value_name = "CLAIM:VALUE=ROLE,…",
        requires = "oidc_issuer"
    )]
    pub oidc_roles: Option<String>,

    /// The sign-in button's words: "Sign in with NAME".
    #[arg(
        long,
        env = "REGISTRAR_OIDC_NAME",
        value_name = "NAME",
        default_value = "the university account"
    )]
    pub oidc_name: String,

    /// Seconds between two fetches of the provider's discovery document
    /// and keys asked for by an unknown key or an unreachable provider.
    #[arg(
        long,
        env = "REGISTRAR_OIDC_REFRESH_SECS",
        hide = true,
        default_value_t = 60
    )]
    pub oidc_refresh_secs: u64,

    /// `off`: passwords sign nobody in but the --break-glass accounts.
    #[arg(
        long,
        env = "REGISTRAR_PASSWORD_SIGN_IN",
        value_name = "on|off",
        default_value = "on"
    )]
    pub password_sign_in: PasswordSignIn,

    /// An account that may still sign in with its password when
    /// --password-sign-in is off (repeatable); its password is set with
    /// `registrar user` on the server.
    #[arg(long, value_name = "USERNAME")]
    pub break_glass: Vec<String>,
}

impl Default for OidcSettings {
    fn default() -> Self {
        OidcSettings {
            oidc_issuer: None,
            oidc_client_id: None,
            oidc_client_secret_file: None,
            oidc_client_secret: None,
            oidc_redirect_url: None,
            oidc_roles: None,
            oidc_name: "the university account".to_owned(),
            oidc_refresh_secs: 60,
            password_sign_in: PasswordSignIn::On,
            break_glass: Vec::new(),
        }
    }
}
