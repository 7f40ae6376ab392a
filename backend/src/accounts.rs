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

use crate::login_throttle::{LoginThrottle, Refusal};
use crate::scope::{OutsideScope, Scope};

/// A logged-in user, as handlers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// When set, the user works in this county only.
    pub county_code: Option<String>,
    /// The county's name, when `county_code` is set.
    pub county_name: Option<String>,
    /// Disabled accounts cannot log in (and have no session).
    pub disabled: bool,
}

impl AuthUser {
    /// Where the user may read and write.
    #[must_use]
    pub fn scope(&self) -> Scope {
        Scope::new(self.county_code.clone().map(|code| {
            let name = self.county_name.clone().unwrap_or_else(|| code.clone());
            (code, name)
        }))
    }

    /// The API view of this user.
    #[must_use]
    pub fn to_api(&self) -> citygrid_api::User {
        citygrid_api::User {
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            role: self.role,
            county_code: self.county_code.clone(),
            disabled: self.disabled,
        }
    }
}

/// Why a login or an account change was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AccountError {
    #[error("unknown username or wrong password")]
    BadCredentials,
    /// The attempt was not checked (backoff, or every password check busy).
    #[error(transparent)]
    Throttled(#[from] Refusal),
    #[error("no user {0:?}")]
    NotFound(String),
    #[error(transparent)]
    OutsideScope(#[from] OutsideScope),
    #[error("username {0:?} is taken")]
    UsernameTaken(String),
    /// A field of the request is not acceptable (`field` names it).
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
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

/// A valid argon2id hash of no known password: checked against when the username is unknown,
/// so that the timing of a login does not reveal which usernames exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// The SHA-256 of a bearer token: what `sessions` stores and caches are keyed by.
#[must_use]
pub fn token_digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The most characters of a password (argon2's cost grows with the input).
pub use citygrid_api::limits::MAX_PASSWORD_CHARS as MAX_PASSWORD;
use citygrid_api::limits::{MAX_DISPLAY_NAME_CHARS, MIN_PASSWORD_CHARS};

fn check_password(password: &str) -> Result<(), AccountError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(AccountError::Invalid {
            field: "password",
            message: format!("password: at least {MIN_PASSWORD_CHARS} characters"),
        });
    }
    if n > MAX_PASSWORD {
        return Err(AccountError::Invalid {
            field: "password",
            message: format!("password: at most {MAX_PASSWORD} characters"),
        });
    }
    Ok(())
}

fn check_display_name(name: &str) -> Result<(), AccountError> {
    if name.trim().is_empty() {
        return Err(AccountError::Invalid { field: "display_name", message: "display_name: must not be empty".into() });
    }
    if name.chars().count() > MAX_DISPLAY_NAME_CHARS {
        return Err(AccountError::Invalid {
            field: "display_name",
            message: format!("display_name: at most {MAX_DISPLAY_NAME_CHARS} characters"),
        });
    }
    Ok(())
}

/// Checks the fields of a new account; the database enforces the same rules again.
pub fn validate_new_user(req: &citygrid_api::CreateUserRequest) -> Result<(), AccountError> {
    let name_ok = req.username.len() >= 2
        && req.username.len() <= 32
        && req.username.starts_with(|c: char| c.is_ascii_lowercase())
        && req.username.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c));
    if !name_ok {
        return Err(AccountError::Invalid {
            field: "username",
            message: format!(
                "username {:?}: 2–32 characters, lower-case letters, digits, '_', '.', '-', starting with a letter",
                req.username
            ),
        });
    }
    check_password(&req.password)?;
    check_display_name(&req.display_name)?;
    if let Some(c) = &req.county_code {
        if c.len() != 6 || !c.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AccountError::Invalid {
                field: "county_code",
                message: format!("county_code {c:?}: a 6-digit county code"),
            });
        }
    }
    Ok(())
}

/// Inserts a user with an already hashed password; returns its id. Runs in the caller's
/// transaction (for the audit record).
async fn insert_user(
    db: impl PgExecutor<'_>,
    req: &citygrid_api::CreateUserRequest,
    hash: &str,
) -> Result<i64, AccountError> {
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
        Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => Err(AccountError::Invalid {
            field: "county_code",
            message: format!("county_code {:?}: no such county", req.county_code.as_deref().unwrap_or_default()),
        }),
        Err(e) => Err(AccountError::Db(anyhow::Error::new(e).context("inserting user"))),
    }
}

/// Hashes `password` on the throttle's bounded blocking pool.
async fn hash_on_pool(throttle: &LoginThrottle, password: &str) -> Result<String, AccountError> {
    let password = password.to_owned();
    let hashed = throttle.hash(move || hash_password(&password)).await??;
    Ok(hashed?)
}

/// An administrator (`actor`, working in `scope`) creates an account, audited in the same
/// transaction. A county-scoped administrator creates accounts of their county only.
pub async fn create(
    pool: &PgPool,
    throttle: &LoginThrottle,
    actor: &AuthUser,
    scope: &Scope,
    req: &citygrid_api::CreateUserRequest,
) -> Result<AuthUser, AccountError> {
    validate_new_user(req)?;
    match &req.county_code {
        Some(c) => scope.check(c, || format!("an account of county {c}")),
        None => scope.check_city_wide(|| "a city-wide account".into()),
    }
    .map_err(|e| e.field("county_code"))?;
    let hash = hash_on_pool(throttle, &req.password).await?;
    let mut tx = pool.begin().await.context("creating user")?;
    let id = insert_user(&mut *tx, req, &hash).await?;
    let user = user_by_id(&mut *tx, id).await?.context("new user vanished")?;
    audit(
        &mut *tx,
        AuditEntry {
            user_id: actor.id,
            action: "create",
            entity: "user",
            entity_ids: vec![id.to_string()],
            before: None,
            after: Some(serde_json::to_value(user.to_api()).context("user as JSON")?),
        },
    )
    .await?;
    tx.commit().await.context("creating user")?;
    Ok(user)
}

/// The account `username` for an administrator working in `scope`, locked for update.
async fn user_for_admin(tx: &mut sqlx::PgConnection, scope: &Scope, username: &str) -> Result<AuthUser, AccountError> {
    let user = sqlx::query_as::<_, UserRow>(&format!("select {USER_COLUMNS} where u.username = $1 for update of u"))
        .bind(username)
        .fetch_optional(&mut *tx)
        .await
        .context("reading user")?
        .map(UserRow::into_auth)
        .transpose()?
        .ok_or_else(|| AccountError::NotFound(username.to_owned()))?;
    match &user.county_code {
        Some(c) => scope.check(c, || format!("user {username}")),
        None => scope.check_city_wide(|| format!("user {username} (city-wide)")),
    }?;
    Ok(user)
}

/// Ends every session of user `id`; returns the token digests, so the caller can forget them
/// from its session cache.
async fn end_sessions(tx: &mut sqlx::PgConnection, id: i64) -> anyhow::Result<Vec<Vec<u8>>> {
    sqlx::query_scalar("delete from sessions where user_id = $1 returning token_sha256")
        .bind(id)
        .fetch_all(&mut *tx)
        .await
        .context("ending sessions")
}

/// What an account change did: the user after it, and the sessions it ended (their token
/// digests, to drop from the session cache).
#[derive(Debug)]
pub struct Changed {
    pub user: AuthUser,
    pub ended_sessions: Vec<Vec<u8>>,
}

/// An administrator changes an account's display name, role or disabled flag (audited). An
/// administrator cannot disable or demote themselves, so one always remains.
pub async fn update(
    pool: &PgPool,
    actor: &AuthUser,
    scope: &Scope,
    username: &str,
    req: &citygrid_api::UpdateUserRequest,
) -> Result<Changed, AccountError> {
    if let Some(name) = &req.display_name {
        check_display_name(name)?;
    }
    if username == actor.username && (req.disabled == Some(true) || req.role.is_some_and(|r| r != actor.role)) {
        return Err(AccountError::Invalid {
            field: if req.disabled == Some(true) { "disabled" } else { "role" },
            message: "you cannot disable your own account or change your own role; ask another administrator".into(),
        });
    }
    let mut tx = pool.begin().await.context("updating user")?;
    let before = user_for_admin(&mut tx, scope, username).await?;
    sqlx::query(
        "update users set display_name = coalesce($2, display_name), role = coalesce($3, role),
             disabled_at = case when $4 is null then disabled_at
                                when $4 then coalesce(disabled_at, now()) end
         where id = $1",
    )
    .bind(before.id)
    .bind(req.display_name.as_deref().map(str::trim))
    .bind(req.role.map(Role::as_str))
    .bind(req.disabled)
    .execute(&mut *tx)
    .await
    .context("updating user")?;
    // A disabled account, or one whose role changed, keeps no session with the old rights.
    let ended_sessions = if req.disabled == Some(true) || req.role.is_some_and(|r| r != before.role) {
        end_sessions(&mut tx, before.id).await?
    } else {
        Vec::new()
    };
    let user = user_by_id(&mut *tx, before.id).await?.context("user vanished")?;
    audit(
        &mut *tx,
        AuditEntry {
            user_id: actor.id,
            action: "update",
            entity: "user",
            entity_ids: vec![before.id.to_string()],
            before: Some(serde_json::to_value(before.to_api()).context("user as JSON")?),
            after: Some(serde_json::to_value(user.to_api()).context("user as JSON")?),
        },
    )
    .await?;
    tx.commit().await.context("updating user")?;
    Ok(Changed { user, ended_sessions })
}

/// An administrator sets a new password for an account (audited, without the password); the
/// account's sessions end.
pub async fn reset_password(
    pool: &PgPool,
    throttle: &LoginThrottle,
    actor: &AuthUser,
    scope: &Scope,
    username: &str,
    password: &str,
) -> Result<Changed, AccountError> {
    if username == actor.username {
        return Err(AccountError::Invalid {
            field: "username",
            message: "you cannot reset your own password here (it would end your session); ask another administrator"
                .into(),
        });
    }
    check_password(password)?;
    let hash = hash_on_pool(throttle, password).await?;
    let mut tx = pool.begin().await.context("resetting password")?;
    let user = user_for_admin(&mut tx, scope, username).await?;
    sqlx::query("update users set password_hash = $2 where id = $1")
        .bind(user.id)
        .bind(hash)
        .execute(&mut *tx)
        .await
        .context("resetting password")?;
    let ended_sessions = end_sessions(&mut tx, user.id).await?;
    audit(
        &mut *tx,
        AuditEntry {
            user_id: actor.id,
            action: "reset_password",
            entity: "user",
            entity_ids: vec![user.id.to_string()],
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await.context("resetting password")?;
    Ok(Changed { user, ended_sessions })
}

/// Creates the demo accounts that do not exist yet (existing ones keep their password), each
/// audited as created by the system.
pub async fn ensure_demo_accounts(pool: &PgPool, throttle: &LoginThrottle, password: &str) -> anyhow::Result<()> {
    for (username, display_name, role) in DEMO_ACCOUNTS {
        let exists: bool = sqlx::query_scalar("select exists(select 1 from users where username = $1)")
            .bind(username)
            .fetch_one(pool)
            .await?;
        if exists {
            continue;
        }
        let req = citygrid_api::CreateUserRequest {
            username: username.into(),
            password: password.into(),
            display_name: display_name.into(),
            role,
            county_code: None,
        };
        let hash = hash_on_pool(throttle, password).await.map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
        let mut tx = pool.begin().await?;
        let id = match insert_user(&mut *tx, &req, &hash).await {
            Ok(id) => id,
            // Another process created it meanwhile.
            Err(AccountError::UsernameTaken(_)) => continue,
            Err(e) => return Err(anyhow::anyhow!("creating demo account {username}: {e}")),
        };
        let after = serde_json::json!({"username": username, "role": role, "demo": true});
        insert_audit(&mut *tx, None, "create", "user", &[id.to_string()], None, Some(after)).await?;
        tx.commit().await?;
        tracing::info!(username, "created demo account");
    }
    Ok(())
}

/// The demo accounts that still have `password` (for the refusal to serve the published
/// default password on a public address).
pub async fn demo_accounts_with_password(
    pool: &PgPool,
    throttle: &LoginThrottle,
    password: &str,
) -> anyhow::Result<Vec<String>> {
    let names: Vec<&str> = DEMO_ACCOUNTS.iter().map(|(u, _, _)| *u).collect();
    let rows: Vec<(String, String)> =
        sqlx::query_as("select username, password_hash from users where username = any($1) and disabled_at is null")
            .bind(&names)
            .fetch_all(pool)
            .await
            .context("reading demo accounts")?;
    let mut out = Vec::new();
    for (username, phc) in rows {
        let password = password.to_owned();
        if throttle.hash(move || verify_password(&password, &phc)).await?.map_err(anyhow::Error::new)? {
            out.push(username);
        }
    }
    Ok(out)
}

/// The columns of [`UserRow`], from `users u` joined with its county `c`.
const USER_COLUMNS: &str = "u.id, u.username, u.display_name, u.role, u.county_code, c.name as county_name,
            u.disabled_at is not null as disabled
     from users u left join admin_units c on c.code = u.county_code";

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    county_code: Option<String>,
    county_name: Option<String>,
    disabled: bool,
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
            county_name: self.county_name,
            disabled: self.disabled,
        })
    }
}

/// The longest username a login looks up (longer ones cannot exist).
pub const MAX_USERNAME: usize = 64;

/// Checks a password (throttled per username and client address, see [`crate::login_throttle`])
/// and opens a session lasting `hours`. Returns the token, its expiry and the user.
pub async fn login(
    pool: &PgPool,
    throttle: &LoginThrottle,
    (username, password): (&str, &str),
    addr: std::net::IpAddr,
    hours: i64,
    now: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>, AuthUser), AccountError> {
    throttle.check(pool, username, addr, now).await??;
    let row: Option<(i64, String)> =
        sqlx::query_as("select id, password_hash from users where username = $1 and disabled_at is null")
            .bind(username)
            .fetch_optional(pool)
            .await
            .context("looking up user")?;
    // An unknown username costs the same check, so timing does not tell which exist.
    let (id, phc) = row.map_or((None, DUMMY_HASH.to_owned()), |(id, phc)| (Some(id), phc));
    let attempt = password.to_owned();
    let verified = throttle.hash(move || verify_password(&attempt, &phc)).await??;
    let Some(id) = id.filter(|_| verified) else {
        throttle.failed(pool, username, addr, now).await?;
        return Err(AccountError::BadCredentials);
    };
    throttle.succeeded(pool, username, addr).await?;
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let token = hex(&raw);
    let expires_at = now + chrono::Duration::hours(hours);
    sqlx::query("delete from sessions where user_id = $1 and expires_at < $2")
        .bind(id)
        .bind(now)
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
    let row: Option<UserRow> = sqlx::query_as(&format!(
        "select {USER_COLUMNS} join sessions s on s.user_id = u.id
         where s.token_sha256 = $1 and s.expires_at > now() and u.disabled_at is null"
    ))
    .bind(token_digest(token))
    .fetch_optional(pool)
    .await
    .context("looking up session")?;
    row.map(UserRow::into_auth).transpose()
}

/// Looks a user up by id.
pub async fn user_by_id(db: impl PgExecutor<'_>, id: i64) -> anyhow::Result<Option<AuthUser>> {
    let row: Option<UserRow> = sqlx::query_as(&format!("select {USER_COLUMNS} where u.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
        .context("looking up user")?;
    row.map(UserRow::into_auth).transpose()
}

/// Every account in `scope` (a county scope: the county's accounts), by username.
pub async fn list_users(pool: &PgPool, scope: &Scope) -> anyhow::Result<Vec<AuthUser>> {
    let rows: Vec<UserRow> = sqlx::query_as(&format!(
        "select {USER_COLUMNS} where $1::text is null or u.county_code = $1 order by u.username"
    ))
    .bind(scope.county_code())
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
    insert_audit(db, Some(entry.user_id), entry.action, entry.entity, &entry.entity_ids, entry.before, entry.after)
        .await
}

/// One `audit_log` row; `user_id` `None` for the system itself (demo accounts at start-up).
async fn insert_audit(
    db: impl PgExecutor<'_>,
    user_id: Option<i64>,
    action: &str,
    entity: &str,
    entity_ids: &[String],
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> anyhow::Result<()> {
    sqlx::query(
        "insert into audit_log (user_id, action, entity, entity_ids, before, after) values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(user_id)
    .bind(action)
    .bind(entity)
    .bind(entity_ids)
    .bind(before)
    .bind(after)
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
