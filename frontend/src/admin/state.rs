//! The admin page's pure part: the account list as loaded and changed, the new-account form
//! and its checks (the server's rules of `POST /api/users`, checked before sending so a person
//! sees the problem at once; the server checks again), and the password check. Tested natively.

use std::rc::Rc;

use citygrid_api::{CreateUserRequest, Role, User};
use yew::Reducible;

use super::i18n::AdminKey;
use crate::state::Notice;

/// The accounts the page shows, by username.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Accounts {
    /// `None` until the first answer.
    pub list: Option<Vec<User>>,
    pub error: Option<Notice>,
}

/// What changes [`Accounts`].
#[derive(Debug, Clone, PartialEq)]
pub enum AccountsAction {
    Loaded(Result<Vec<User>, Notice>),
    /// The server's copy of an account after a create or a change.
    Saved(User),
}

impl Reducible for Accounts {
    type Action = AccountsAction;

    fn reduce(self: Rc<Self>, action: AccountsAction) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            AccountsAction::Loaded(Ok(mut list)) => {
                list.sort_by(|a, b| a.username.cmp(&b.username));
                s.list = Some(list);
                s.error = None;
            }
            AccountsAction::Loaded(Err(e)) => s.error = Some(e),
            AccountsAction::Saved(user) => {
                let list = s.list.get_or_insert_with(Vec::new);
                match list.binary_search_by(|u| u.username.cmp(&user.username)) {
                    Ok(i) => list[i] = user,
                    Err(i) => list.insert(i, user),
                }
            }
        }
        Rc::new(s)
    }
}

// The display name and password lengths the server accepts.
use citygrid_api::limits::{MAX_DISPLAY_NAME_CHARS as MAX_NAME_CHARS, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};

/// What the administrator typed into the new-account form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub role: Role,
    /// A county code, or `None` for a city-wide account.
    pub county_code: Option<String>,
}

impl NewAccount {
    /// An empty form; a county-scoped administrator's accounts are in their county.
    #[must_use]
    pub fn new(county_code: Option<String>) -> NewAccount {
        NewAccount {
            username: String::new(),
            display_name: String::new(),
            password: String::new(),
            role: Role::Dispatcher,
            county_code,
        }
    }

    /// The request, or what is wrong with the form.
    ///
    /// # Errors
    /// The first problem, as a key of the page's text.
    pub fn request(&self) -> Result<CreateUserRequest, AdminKey> {
        let username = self.username.trim();
        if !valid_username(username) {
            return Err(AdminKey::BadUsername);
        }
        let display_name = self.display_name.trim();
        if display_name.is_empty() {
            return Err(AdminKey::NameRequired);
        }
        if display_name.chars().count() > MAX_NAME_CHARS {
            return Err(AdminKey::NameTooLong);
        }
        check_password(&self.password)?;
        Ok(CreateUserRequest {
            username: username.to_owned(),
            password: self.password.clone(),
            display_name: display_name.to_owned(),
            role: self.role,
            county_code: self.county_code.clone(),
        })
    }
}

/// `^[a-z][a-z0-9_.-]{1,31}$`, the server's username rule.
#[must_use]
pub fn valid_username(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && (2..=32).contains(&s.len())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c))
}

/// A new password: 8 to 1024 characters.
///
/// # Errors
/// Too short or too long.
pub fn check_password(p: &str) -> Result<(), AdminKey> {
    let n = p.chars().count();
    if n < MIN_PASSWORD_CHARS {
        Err(AdminKey::PasswordTooShort)
    } else if n > MAX_PASSWORD_CHARS {
        Err(AdminKey::PasswordTooLong)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, disabled: bool) -> User {
        User { username: name.into(), display_name: name.into(), role: Role::Leader, county_code: None, disabled }
    }

    #[test]
    fn saved_accounts_replace_or_join_the_list_in_order() {
        let s = Rc::new(Accounts::default())
            .reduce(AccountsAction::Loaded(Ok(vec![user("li", false), user("chen", false)])))
            .reduce(AccountsAction::Saved(user("li", true)))
            .reduce(AccountsAction::Saved(user("dai", false)));
        let names: Vec<(&str, bool)> = s.list.iter().flatten().map(|u| (u.username.as_str(), u.disabled)).collect();
        assert_eq!(names, [("chen", false), ("dai", false), ("li", true)]);
        let s = s.reduce(AccountsAction::Loaded(Err(Notice::Key(crate::i18n::Text::phrase(AdminKey::NoAccounts)))));
        assert!(s.error.is_some() && s.list.as_ref().is_some_and(|l| l.len() == 3), "an error keeps the list");
    }

    fn form() -> NewAccount {
        NewAccount {
            username: " zhang.san ".into(),
            display_name: " 张三 ".into(),
            password: "long enough".into(),
            role: Role::Planner,
            county_code: Some("320812".into()),
        }
    }

    #[test]
    fn a_good_form_is_a_trimmed_request() {
        let r = form().request().expect("valid");
        assert_eq!((r.username.as_str(), r.display_name.as_str()), ("zhang.san", "张三"));
        assert_eq!((r.role, r.county_code.as_deref()), (Role::Planner, Some("320812")));
        assert_eq!(r.password, "long enough");
    }

    #[test]
    fn each_rule_names_its_problem() {
        for bad in ["", "a", "Zhang", "1abc", "zh ang", "张三", &"a".repeat(33)] {
            assert_eq!(NewAccount { username: bad.into(), ..form() }.request(), Err(AdminKey::BadUsername), "{bad:?}");
        }
        assert!(valid_username("ab") && valid_username(&"a".repeat(32)) && valid_username("a_b.c-9"));
        assert_eq!(NewAccount { display_name: "  ".into(), ..form() }.request(), Err(AdminKey::NameRequired));
        assert_eq!(NewAccount { display_name: "名".repeat(101), ..form() }.request(), Err(AdminKey::NameTooLong));
        assert_eq!(NewAccount { password: "short".into(), ..form() }.request(), Err(AdminKey::PasswordTooShort));
        assert_eq!(check_password(&"x".repeat(1025)), Err(AdminKey::PasswordTooLong));
        assert_eq!(check_password("密码八个字符足够"), Ok(()));
    }
}
