//! The admin page's interface text (shared text is [`crate::i18n::Key`]).

crate::keys! {
    /// Text of the user administration page.
    pub enum AdminKey {
        Entry => "用户管理", "Users";
        EntryTitle => "创建、停用账号，重置密码", "Create and disable accounts, reset passwords";
        Title => "用户管理", "User administration";
        Desc => "管理员可创建账号、停用或启用账号、重置密码。停用账号或重置密码会立即结束该账号的登录。", "Administrators create accounts, disable or enable them and reset passwords. Disabling an account or resetting its password ends its sessions at once.";
        ScopedDesc => "您只能管理本区县的账号。", "You manage the accounts of your county only.";
        Accounts => "账号", "Accounts";
        NoAccounts => "暂无账号", "No accounts";
        DisplayName => "姓名", "Name";
        Role => "角色", "Role";
        County => "辖区", "County";
        CityWide => "全市", "City-wide";
        Enabled => "启用", "Active";
        Disabled => "已停用", "Disabled";
        Disable => "停用", "Disable";
        Enable => "启用", "Enable";
        ResetPassword => "重置密码", "Reset password";
        NewPassword => "新密码（至少 8 位）", "New password (at least 8 characters)";
        Save => "确定", "Save";
        Cancel => "取消", "Cancel";
        You => "（本人）", "(you)";
        PasswordWasReset => "密码已重置", "Password reset";
        CreateTitle => "新建账号", "New account";
        UsernameHint => "小写字母开头，2–32 位小写字母、数字、_ . -", "2 to 32 lower-case letters, digits, _ . - starting with a letter";
        Create => "创建", "Create";
        Created => "已创建账号", "Account created:";
        BadUsername => "用户名须以小写字母开头，由 2–32 位小写字母、数字、_ . - 组成", "The username must be 2 to 32 lower-case letters, digits, _ . - starting with a letter";
        NameRequired => "请填写姓名", "Enter the name";
        NameTooLong => "姓名不能超过 100 个字符", "The name is at most 100 characters";
        PasswordTooShort => "密码至少 8 位", "The password needs at least 8 characters";
        PasswordTooLong => "密码过长", "The password is too long";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_both_languages() {
        crate::i18n::assert_translated(AdminKey::ALL, &[]);
    }
}
