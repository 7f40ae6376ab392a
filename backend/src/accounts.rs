//! Users, login sessions and the audit trail.
//!
//! Passwords are hashed with argon2id. A login hands out a random 256-bit bearer token; only its
//! SHA-256 is stored, so a leaked `sessions` table cannot be replayed.

use std::fmt::Write as _;

use anyhow::Context as _;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use citygrid_api::Role;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use sqlx::{PgExecutor, PgPool};

/// A logged-in user, as handlers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// When set, the user works in this county only.
    pub county_code: Option<String>,
}

impl AuthUser {
    /// The API view of this user.
    #[must_use]
    pub fn to_api(&self) -> citygrid_api::User {
        citygrid_api::User {
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            role: self.role,
            county_code: self.county_code.clone(),
        }
    }
}

/// Why a login or user creation was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AccountError {
    #[error("unknown username or wrong password")]
    BadCredentials,
    #[error("username {0:?} is taken")]
    UsernameTaken(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] anyhow::Error),
}

/// The demo accounts created on first start: username, display name, role.
pub const DEMO_ACCOUNTS: [(&str, &str, Role); 4] = [
    ("admin", "系统管理员", Role::Admin),
    ("planner", "网格规划员", Role::Planner),
    ("dispatcher", "指挥调度员", Role::Dispatcher),
    ("leader", "市级领导", Role::Leader),
];

/// Lower-case hexadecimal of `bytes`.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))?
        .to_string())
}

fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// The SHA-256 of a bearer token: what `sessions` stores and caches are keyed by.
#[must_use]
pub fn token_digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Checks the fields of a new account; the database enforces the same rules again.
pub fn validate_new_user(req: &citygrid_api::CreateUserRequest) -> Result<(), AccountError> {
    let name_ok = req.username.len() >= 2
        && req.username.len() <= 32
        && req.username.starts_with(|c: char| c.is_ascii_lowercase())
        && req.username.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c));
    if !name_ok {
        return Err(AccountError::Invalid(format!(
            "username {:?}: 2–32 characters, lower-case letters, digits, '_', '.', '-', starting with a letter",
            req.username
        )));
    }
    if req.password.chars().count() < 8 {
        return Err(AccountError::Invalid("password: at least 8 characters".into()));
    }
    if req.display_name.trim().is_empty() {
        return Err(AccountError::Invalid("display_name: must not be empty".into()));
    }
    if let Some(c) = &req.county_code {
        if c.len() != 6 || !c.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AccountError::Invalid(format!("county_code {c:?}: a 6-digit county code")));
        }
    }
    Ok(())
}

/// Creates a user; returns its id. The caller owns the transaction (for the audit record).
pub async fn create_user(db: impl PgExecutor<'_>, req: &citygrid_api::CreateUserRequest) -> Result<i64, AccountError> {
    validate_new_user(req)?;
    let hash = hash_password(&req.password)?;
    let res = sqlx::query_scalar(
        "insert into users (username, display_name, password_hash, role, county_code)
         values ($1, $2, $3, $4, $5) returning id",
    )
    .bind(&req.username)
    .bind(req.display_name.trim())
    .bind(hash)
    .bind(req.role.as_str())
    .bind(&req.county_code)
    .fetch_one(db)
    .await;
    match res {
        Ok(id) => Ok(id),
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("users_username_key") => {
            Err(AccountError::UsernameTaken(req.username.clone()))
        }
        Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => Err(AccountError::Invalid(format!(
            "county_code {:?}: no such county",
            req.county_code.as_deref().unwrap_or_default()
        ))),
        Err(e) => Err(AccountError::Db(anyhow::Error::new(e).context("inserting user"))),
    }
}

/// Creates the demo accounts that do not exist yet (existing ones keep their password).
pub async fn ensure_demo_accounts(pool: &PgPool, password: &str) -> anyhow::Result<()> {
    for (username, display_name, role) in DEMO_ACCOUNTS {
        let exists: bool = sqlx::query_scalar("select exists(select 1 from users where username = $1)")
            .bind(username)
            .fetch_one(pool)
            .await?;
        if !exists {
            sqlx::query(
                "insert into users (username, display_name, password_hash, role) values ($1, $2, $3, $4)
                 on conflict (username) do nothing",
            )
            .bind(username)
            .bind(display_name)
            .bind(hash_password(password)?)
            .bind(role.as_str())
            .execute(pool)
            .await
            .context("creating demo account")?;
        }
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    county_code: Option<String>,
}

impl UserRow {
    fn into_auth(self) -> anyhow::Result<AuthUser> {
        let role = Role::parse(&self.role).with_context(|| format!("unknown role {:?} in users", self.role))?;
        Ok(AuthUser {
            id: self.id,
            username: self.username,
            display_name: self.display_name,
            role,
            county_code: self.county_code,
        })
    }
}

/// Checks a password and opens a session lasting `hours`. Returns the token and its expiry.
pub async fn login(
    pool: &PgPool,
    username: &str,
    password: &str,
    hours: i64,
) -> Result<(String, DateTime<Utc>, AuthUser), AccountError> {
    let row: Option<(i64, String)> = sqlx::query_as("select id, password_hash from users where username = $1")
        .bind(username)
        .fetch_optional(pool)
        .await
        .context("looking up user")?;
    let Some((id, phc)) = row else {
        // Same work as a real check, so timing does not reveal which usernames exist.
        let _ = verify_password(
            password,
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        );
        return Err(AccountError::BadCredentials);
    };
    if !verify_password(password, &phc) {
        return Err(AccountError::BadCredentials);
    }
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let token = hex(&raw);
    let expires_at = Utc::now() + chrono::Duration::hours(hours);
    sqlx::query("delete from sessions where user_id = $1 and expires_at < now()")
        .bind(id)
        .execute(pool)
        .await
        .context("pruning sessions")?;
    sqlx::query("insert into sessions (token_sha256, user_id, expires_at) values ($1, $2, $3)")
        .bind(token_digest(&token))
        .bind(id)
        .bind(expires_at)
        .execute(pool)
        .await
        .context("opening session")?;
    let user = user_by_id(pool, id).await?.context("user vanished during login")?;
    Ok((token, expires_at, user))
}

/// The user holding a live session for `token`, if any.
pub async fn user_for_token(pool: &PgPool, token: &str) -> anyhow::Result<Option<AuthUser>> {
    let row: Option<UserRow> = sqlx::query_as(
        "select u.id, u.username, u.display_name, u.role, u.county_code
         from sessions s join users u on u.id = s.user_id
         where s.token_sha256 = $1 and s.expires_at > now()",
    )
    .bind(token_digest(token))
    .fetch_optional(pool)
    .await
    .context("looking up session")?;
    row.map(UserRow::into_auth).transpose()
}

/// Looks a user up by id.
pub async fn user_by_id(db: impl PgExecutor<'_>, id: i64) -> anyhow::Result<Option<AuthUser>> {
    let row: Option<UserRow> =
        sqlx::query_as("select id, username, display_name, role, county_code from users where id = $1")
            .bind(id)
            .fetch_optional(db)
            .await
            .context("looking up user")?;
    row.map(UserRow::into_auth).transpose()
}

/// Every account, by username.
pub async fn list_users(pool: &PgPool) -> anyhow::Result<Vec<AuthUser>> {
    let rows: Vec<UserRow> =
        sqlx::query_as("select id, username, display_name, role, county_code from users order by username")
            .fetch_all(pool)
            .await
            .context("listing users")?;
    rows.into_iter().map(UserRow::into_auth).collect()
}

/// Ends the session for `token`.
pub async fn logout(pool: &PgPool, token: &str) -> anyhow::Result<()> {
    sqlx::query("delete from sessions where token_sha256 = $1")
        .bind(token_digest(token))
        .execute(pool)
        .await
        .context("closing session")?;
    Ok(())
}

/// One mutation, for the audit trail.
pub struct AuditEntry<'a> {
    pub user_id: i64,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_ids: Vec<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Records a mutation; call it inside the mutation's transaction.
pub async fn audit(db: impl PgExecutor<'_>, entry: AuditEntry<'_>) -> anyhow::Result<()> {
    sqlx::query(
        "insert into audit_log (user_id, action, entity, entity_ids, before, after) values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(entry.user_id)
    .bind(entry.action)
    .bind(entry.entity)
    .bind(&entry.entity_ids)
    .bind(entry.before)
    .bind(entry.after)
    .execute(db)
    .await
    .context("writing audit log")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_round_trip() {
        let h = hash_password("correct horse").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("correct horse", "not a phc string"));
    }

    #[test]
    fn new_user_validation_names_the_field() {
        let ok = citygrid_api::CreateUserRequest {
            username: "wang.li".into(),
            password: "long enough".into(),
            display_name: "王丽".into(),
            role: Role::Dispatcher,
            county_code: Some("320812".into()),
        };
        assert!(validate_new_user(&ok).is_ok());
        for (bad, field) in [
            (citygrid_api::CreateUserRequest { username: "Wang".into(), ..ok.clone() }, "username"),
            (citygrid_api::CreateUserRequest { password: "short".into(), ..ok.clone() }, "password"),
            (citygrid_api::CreateUserRequest { display_name: " ".into(), ..ok.clone() }, "display_name"),
            (citygrid_api::CreateUserRequest { county_code: Some("3208".into()), ..ok.clone() }, "county_code"),
        ] {
            let err = validate_new_user(&bad).expect_err(field).to_string();
            assert!(err.contains(field), "{err}");
        }
    }
}
