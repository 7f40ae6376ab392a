//! Account administration (`/api/users`, action `users.admin`).

use serde::{Deserialize, Serialize};

use crate::Role;

/// `PATCH /api/users/{username}`: the fields to change; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateUserRequest {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    /// `true` disables the account (its sessions end at once), `false` enables it again.
    pub disabled: Option<bool>,
}

/// `PUT /api/users/{username}/password`: a new password set by an administrator. The user's
/// sessions end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordReset {
    /// At least 8 characters.
    pub password: String,
}
