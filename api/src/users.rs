//! Account administration (`/api/users`, action `users.admin`).

use serde::{Deserialize, Serialize};

use crate::Role;

/// `PATCH /api/users/{username}`: the fields to change; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateUserRequest {
    /// Not blank (422 `invalid_value` otherwise).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
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
    #[cfg_attr(feature = "openapi", schema(min_length = 8, max_length = 1024))]
    pub password: String,
}
