//! Sign-in of HQ people to the console, apart from device tokens.
//!
//! - Passwords are stored as argon2id PHC strings (`fieldhq user password NAME
//!   --password-stdin`); verifying one runs on a blocking thread.
//! - A session is a random 256-bit token in a cookie; the database keeps only its SHA-256
//!   (`console_sessions`), with its expiry, so any HQ node over the same database knows it,
//!   and signing out deletes the row.
//! - Failed sign-ins are counted per name in the database (`console_sign_in_failures`);
//!   [`ConsoleSettings::max_failures`] of them within the window lock the name out, even for
//!   the right password, until the lock-out ends.
//! - Every POST form carries a CSRF token derived from the session's token (a keyed hash the
//!   database cannot produce), compared in constant time; the sign-in form, before any
//!   session, uses a double-submit cookie instead.
//! - Cookies are `HttpOnly`, `SameSite=Strict`, `Path=/console`, and `Secure` when the request
//!   came through a TLS proxy (`X-Forwarded-Proto: https`) or the settings say so.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use fieldcore::Localized;
use sha2::{Digest, Sha256};

use super::ConsoleSettings;
use super::access::{CONSOLE_ROLES, Page};
use super::lang::Lang;
use super::view::ConsoleError;
use crate::access::{Role, User};
use crate::auth::{hex, new_token, token_hash};
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::storage::{NewConsoleSession, SignInFailures, Storage};

pub const SESSION_COOKIE: &str = "fieldhq_session";
/// The double-submit token of the sign-in form.
pub const LOGIN_COOKIE: &str = "fieldhq_login";

/// Shorter passwords are refused when set.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Hashes a password as an argon2id PHC string with a fresh salt (the crate's default
/// parameters: 19 MiB, 2 passes).
pub fn hash_password(password: &str) -> Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| Error::internal(format!("hashing a password: {e}")))
}

/// Whether `password` matches the stored PHC string; a malformed string matches nothing.
pub fn verify_password(password: &str, phc: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), phc)
        .is_ok()
}

/// Sets a user's console password (`fieldhq user password`), and signs them out everywhere.
/// Refused for field roles (they work on devices) and for a password that is too short.
pub async fn set_password(storage: &Storage, name: &str, password: &str, at: i64) -> Result<User> {
    let password = password.trim_end_matches(['\r', '\n']).to_owned();
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::refused(
            format!("a console password has at least {MIN_PASSWORD_CHARS} characters"),
            format!("控制台密码至少 {MIN_PASSWORD_CHARS} 个字符"),
        ));
    }
    let phc = tokio::task::spawn_blocking(move || hash_password(&password)).await??;
    let name = name.trim().to_owned();
    storage
        .transaction(move |tx| {
            Box::pin(async move {
                let user = tx.user_by_name(&name).await?.ok_or_else(|| {
                    Error::refused(
                        format!("no HQ user named {name:?}"),
                        format!("没有名为 {name:?} 的总部用户"),
                    )
                })?;
                if !CONSOLE_ROLES.contains(&user.role) {
                    return Err(field_role_refused(user.role));
                }
                tx.set_console_password(user.id, &phc, at).await?;
                tx.delete_user_sessions(user.id).await?;
                Ok(user)
            })
        })
        .await
}

fn field_role_refused(role: Role) -> Error {
    Error::refused(
        format!("a {role} works on a device and cannot sign in to the console"),
        format!(
            "{}在设备上工作，不能登录总部控制台",
            role.text(fieldcore::Locale::ZhCn)
        ),
    )
}

/// Compares two byte strings in time that depends on their lengths only, so a CSRF token
/// cannot be guessed one byte at a time from response times.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The CSRF token of a session: a hash of its (secret) cookie token under a label of its own,
/// so neither the cookie nor the stored hash can be read off it, and the database cannot
/// produce it.
pub fn csrf_of(session_token: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"fieldhq console csrf\0");
    hasher.update(session_token.trim().as_bytes());
    hex(&hasher.finalize())
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Whether cookies set on this request's response get `Secure`.
pub fn secure(headers: &HeaderMap, settings: &ConsoleSettings) -> bool {
    settings.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value with the console's attributes; `max_age` 0 deletes the cookie.
pub fn set_cookie(name: &str, value: &str, max_age: u64, secure: bool) -> HeaderValue {
    let value = format!(
        "{name}={value}; Path=/console; Max-Age={max_age}; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    );
    // Names and values are ours: hex digits and ASCII letters.
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A new sign-in form token (the double-submit value).
pub fn new_login_token() -> String {
    new_token()
}

/// Why a sign-in was refused; the page says it in the person's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInRefused {
    /// A wrong name or password, alike, so the page tells nothing about which names exist.
    Wrong,
    /// Locked out; minutes left.
    Locked(i64),
    /// A field role (a password set before the rule, or by hand).
    FieldRole,
}

impl SignInRefused {
    pub fn text(&self, l: Lang) -> String {
        match self {
            SignInRefused::Wrong => l.t("用户名或密码错误", "Wrong name or password").to_owned(),
            SignInRefused::Locked(minutes) => l.0.pick(
                format!("登录失败次数过多，请 {minutes} 分钟后再试"),
                format!("Too many failed sign-ins; try again in {minutes} min"),
            ),
            SignInRefused::FieldRole => l
                .t(
                    "工程师和维修中心技术员在设备上工作，不能登录总部控制台",
                    "Engineers and technicians work on devices and cannot sign in to the console",
                )
                .to_owned(),
        }
    }
}

/// A new session: the token for the cookie (shown to this browser only) and its CSRF token.
pub struct NewSession {
    pub token: String,
    pub user: User,
}

/// Checks a name and password and opens a session; refusals are counted towards the name's
/// lock-out, and a success clears its count.
pub async fn sign_in(
    state: &AppState,
    name: &str,
    password: &str,
) -> Result<std::result::Result<NewSession, SignInRefused>> {
    let settings = state.console().clone();
    let now = state.now().timestamp();
    let key = name.trim().to_lowercase();
    let lookup_name = name.trim().to_owned();
    let (user, phc, failures) = state
        .storage()
        .read({
            let key = key.clone();
            move |tx| {
                Box::pin(async move {
                    let failures = tx.sign_in_failures(&key).await?;
                    let user = tx.user_by_name(&lookup_name).await?;
                    let phc = match &user {
                        Some(u) => tx.console_password(u.id).await?,
                        None => None,
                    };
                    Ok((user, phc, failures))
                })
            }
        })
        .await?;
    if let Some(until) = failures.and_then(|f| f.locked_until).filter(|u| *u > now) {
        return Ok(Err(SignInRefused::Locked((until - now + 59) / 60)));
    }
    let password = password.to_owned();
    // Without a stored hash the password is still checked against one, so a missing name
    // takes as long as a wrong password.
    let matches = tokio::task::spawn_blocking(move || match phc {
        Some(phc) => verify_password(&password, &phc),
        None => {
            verify_password(&password, dummy_hash());
            false
        }
    })
    .await?;
    let user = match user {
        Some(user) if matches => user,
        _ => {
            let locked = record_failure(state, &key, failures, now, &settings).await?;
            return Ok(Err(match locked {
                Some(minutes) => SignInRefused::Locked(minutes),
                None => SignInRefused::Wrong,
            }));
        }
    };
    if !CONSOLE_ROLES.contains(&user.role) {
        return Ok(Err(SignInRefused::FieldRole));
    }
    let token = new_token();
    let hash = token_hash(&token).ok_or_else(|| Error::internal("a fresh token does not hash"))?;
    let lifetime = i64::try_from(settings.session_lifetime.as_secs()).unwrap_or(i64::MAX);
    let session = NewConsoleSession {
        token_hash: hash,
        user_id: user.id,
        created_at: now,
        expires_at: now.saturating_add(lifetime),
    };
    state
        .storage()
        .transaction(move |tx| {
            Box::pin(async move {
                tx.clear_sign_in_failures(&key).await?;
                tx.delete_expired_sessions(now).await?;
                tx.insert_console_session(&session).await
            })
        })
        .await?;
    tracing::info!(user = %user.name, "console sign-in");
    Ok(Ok(NewSession { token, user }))
}

/// A hash no password matches in practice, computed once, for names without a password.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&new_token()).unwrap_or_default())
}

/// Counts a failure; `Some(minutes)` when it began a lock-out.
async fn record_failure(
    state: &AppState,
    key: &str,
    before: Option<SignInFailures>,
    now: i64,
    settings: &ConsoleSettings,
) -> Result<Option<i64>> {
    let window = i64::try_from(settings.failure_window.as_secs()).unwrap_or(i64::MAX);
    let lockout = i64::try_from(settings.lockout.as_secs()).unwrap_or(i64::MAX);
    let mut record = match before {
        Some(f) if now.saturating_sub(f.window_start) <= window => f,
        _ => SignInFailures {
            failures: 0,
            window_start: now,
            locked_until: None,
        },
    };
    record.failures += 1;
    let locks = record.failures >= i64::from(settings.max_failures.max(1));
    if locks {
        record.locked_until = Some(now.saturating_add(lockout));
        record.failures = 0;
        record.window_start = now;
        tracing::warn!(
            lockout_secs = lockout,
            "console sign-in lock-out: too many failed sign-ins for one name"
        );
    }
    let key = key.to_owned();
    state
        .storage()
        .transaction(move |tx| {
            Box::pin(async move { tx.put_sign_in_failures(&key, &record).await })
        })
        .await?;
    Ok(locks.then_some((lockout + 59) / 60))
}

/// Ends a session (sign-out): its row is deleted, so the cookie is worthless on every node.
pub async fn sign_out(storage: &Storage, token: &str) -> Result<()> {
    let Some(hash) = token_hash(token) else {
        return Ok(());
    };
    storage
        .transaction(move |tx| Box::pin(async move { tx.delete_console_session(&hash).await }))
        .await
}

/// The signed-in person of a request, from the session cookie. A request without a valid,
/// unexpired session is sent to the sign-in page.
#[derive(Debug, Clone)]
pub struct Signed {
    pub user: User,
    /// The session's CSRF token, for the forms of the page.
    pub csrf: String,
    /// The session's cookie token (to sign out).
    pub token: String,
}

impl Signed {
    /// Refuses a page the person's role may not open (403, in their language).
    pub fn may_open(&self, page: Page) -> std::result::Result<(), ConsoleError> {
        if page.allows(self.user.role) {
            Ok(())
        } else {
            Err(ConsoleError::PageRefused)
        }
    }

    /// Refuses a form whose CSRF token is missing or is not the session's (403).
    pub fn check_csrf(&self, presented: Option<&str>) -> std::result::Result<(), ConsoleError> {
        match presented {
            Some(token) if constant_time_eq(token.as_bytes(), self.csrf.as_bytes()) => Ok(()),
            _ => Err(ConsoleError::Csrf),
        }
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = ConsoleError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> std::result::Result<Signed, ConsoleError> {
        let token = cookie(&parts.headers, SESSION_COOKIE).ok_or(ConsoleError::SignIn)?;
        let hash = token_hash(&token).ok_or(ConsoleError::SignIn)?;
        let found = state
            .storage()
            .read(move |tx| Box::pin(async move { tx.console_session(&hash).await }))
            .await?;
        let now = state.now().timestamp();
        match found {
            Some((user, expires_at)) if expires_at > now && CONSOLE_ROLES.contains(&user.role) => {
                Ok(Signed {
                    user,
                    csrf: csrf_of(&token),
                    token,
                })
            }
            _ => Err(ConsoleError::SignIn),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_and_tokens_compare() {
        let phc = hash_password("correct horse battery").expect("hashes");
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &phc));
        assert!(!verify_password("correct horse batterz", &phc));
        assert!(!verify_password("anything", "not a phc string"));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd") && !constant_time_eq(b"abc", b"ab"));
        let token = new_token();
        assert_eq!(csrf_of(&token), csrf_of(&token));
        assert_ne!(csrf_of(&token), csrf_of(&new_token()));
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; fieldhq_session=xyz"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE).as_deref(), Some("xyz"));
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(secure(&headers, &ConsoleSettings::default()));
    }
}
