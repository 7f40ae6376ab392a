//! The app's state: who is logged in, the language, the active tab, the selected feature, and
//! one slice per workspace.
//!
//! [`AppState`] is a [`Reducible`] behind a `ContextProvider`; components read it with
//! [`use_app`] and change it only by dispatching an [`Action`]. The reducer is pure: storing the
//! token, the language and the drafts and writing the URL happen in effects in `app.rs`.
//!
//! Each workspace owns its slice ([`Workspaces`]) and its actions in
//! `workspaces/<name>/state.rs`; the slices live here, above the tab panel, so switching tab
//! keeps the work, and they are reset at logout so the next user starts clean.

use std::rc::Rc;

use citygrid_api::{Role, User};
use yew::prelude::*;

use crate::api::ApiError;
use crate::i18n::{Key, Lang, Phrase, Text};
use crate::workspaces::command::{CommandAction, CommandState};
use crate::workspaces::coverage::{CoverageAction, CoverageState};
use crate::workspaces::dispatch::{DispatchAction, DispatchState};
use crate::workspaces::planning::{PlanningAction, PlanningState};

/// A workspace tab. Every role sees all four; each role starts on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Dispatch,
    Planning,
    Coverage,
    Command,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Dispatch, Tab::Planning, Tab::Coverage, Tab::Command];

    /// The tab a role lands on after logging in.
    #[must_use]
    pub fn default_for(role: Role) -> Tab {
        match role {
            Role::Dispatcher | Role::Admin => Tab::Dispatch,
            Role::Planner => Tab::Planning,
            Role::Leader => Tab::Command,
        }
    }

    /// The name in the URL (`#tab=planning`).
    #[must_use]
    pub fn slug(self) -> &'static str {
        match self {
            Tab::Dispatch => "dispatch",
            Tab::Planning => "planning",
            Tab::Coverage => "coverage",
            Tab::Command => "command",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Tab> {
        Tab::ALL.into_iter().find(|t| t.slug() == s)
    }

    #[must_use]
    pub fn label(self) -> Key {
        match self {
            Tab::Dispatch => Key::TabDispatch,
            Tab::Planning => Key::TabPlanning,
            Tab::Coverage => Key::TabCoverage,
            Tab::Command => Key::TabCommand,
        }
    }
}

/// What the inspector shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// A grid, by its 15-digit code.
    Grid(String),
    /// A county, township or village, by code.
    Unit(String),
    Building(i64),
    Camera(i64),
}

impl Selection {
    /// `grid:320812001001001`, `building:42`…: the form used in the URL.
    #[must_use]
    pub fn to_token(&self) -> String {
        match self {
            Selection::Grid(c) => format!("grid:{c}"),
            Selection::Unit(c) => format!("unit:{c}"),
            Selection::Building(id) => format!("building:{id}"),
            Selection::Camera(id) => format!("camera:{id}"),
        }
    }

    /// Parses [`Selection::to_token`]'s output; codes must be digits.
    #[must_use]
    pub fn parse(s: &str) -> Option<Selection> {
        let (kind, value) = s.split_once(':')?;
        let is_code = !value.is_empty() && value.len() <= 20 && value.bytes().all(|b| b.is_ascii_digit());
        match kind {
            "grid" if is_code => Some(Selection::Grid(value.to_owned())),
            "unit" if is_code => Some(Selection::Unit(value.to_owned())),
            "building" => value.parse().ok().map(Selection::Building),
            "camera" => value.parse().ok().map(Selection::Camera),
            _ => None,
        }
    }
}

/// A logged-in user and their bearer token.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub token: String,
    pub user: User,
}

/// A message for people: in the toast at the bottom of the screen, or next to a form. Kept
/// untranslated, so it follows a language switch.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    Key(Phrase),
    /// A failed API call.
    Api(ApiError),
}

impl Notice {
    /// The message in `lang`.
    #[must_use]
    pub fn text(&self, lang: Lang) -> String {
        match self {
            Notice::Key(p) => crate::i18n::t(lang, *p).to_owned(),
            Notice::Api(e) => e.message(lang),
        }
    }

    /// The server's own words, for a failed API call.
    #[must_use]
    pub fn detail(&self) -> Option<String> {
        match self {
            Notice::Key(_) => None,
            Notice::Api(e) => Some(e.detail()),
        }
    }
}

impl From<ApiError> for Notice {
    fn from(e: ApiError) -> Self {
        Notice::Api(e)
    }
}

/// The workspaces' slices of the app state (one field per workspace).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Workspaces {
    pub dispatch: DispatchState,
    pub planning: PlanningState,
    pub coverage: CoverageState,
    pub command: CommandState,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AppState {
    pub session: Option<Session>,
    /// A stored token is being checked with `GET /api/auth/me`.
    pub checking: bool,
    pub lang: Lang,
    pub tab: Tab,
    /// The tab came from the URL, so logging in keeps it instead of the role's default.
    pub tab_pinned: bool,
    pub selection: Option<Selection>,
    /// The map should move to the selection once its geometry is known (selection from the URL).
    pub fly_pending: bool,
    pub notice: Option<Notice>,
    pub workspaces: Workspaces,
}

impl AppState {
    /// The state at page load, from the stored language, whether a token is stored and the URL.
    #[must_use]
    pub fn initial(lang: Lang, has_token: bool, url: &crate::route::UrlState) -> AppState {
        let mut s = AppState {
            session: None,
            checking: has_token,
            lang,
            tab: url.tab.unwrap_or(Tab::Dispatch),
            tab_pinned: url.tab.is_some(),
            fly_pending: url.selection.is_some(),
            selection: url.selection.clone(),
            notice: None,
            workspaces: Workspaces::default(),
        };
        s.workspaces.command.open_view(&url.command);
        s
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    LoggedIn(Session),
    /// The stored token was missing or refused at start-up.
    NoSession,
    /// Logged out by the user (`expired == false`) or by a 401 (`true`).
    LoggedOut {
        expired: bool,
    },
    SetLang(Lang),
    SetTab(Tab),
    /// Select a feature; `fly` asks the map to move there once its geometry is loaded.
    Select {
        selection: Option<Selection>,
        fly: bool,
    },
    /// The map has moved to the selection.
    Flown,
    Notify(Notice),
    DismissNotice,
    Dispatch(Box<DispatchAction>),
    Planning(PlanningAction),
    Coverage(Box<CoverageAction>),
    Command(Box<CommandAction>),
}

impl From<DispatchAction> for Action {
    fn from(a: DispatchAction) -> Self {
        Action::Dispatch(Box::new(a))
    }
}

impl From<PlanningAction> for Action {
    fn from(a: PlanningAction) -> Self {
        Action::Planning(a)
    }
}

impl From<CoverageAction> for Action {
    fn from(a: CoverageAction) -> Self {
        Action::Coverage(Box::new(a))
    }
}

impl From<CommandAction> for Action {
    fn from(a: CommandAction) -> Self {
        Action::Command(Box::new(a))
    }
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::LoggedIn(session) => {
                if !s.tab_pinned {
                    s.tab = Tab::default_for(session.user.role);
                }
                s.session = Some(session);
                s.checking = false;
                s.notice = None;
            }
            Action::NoSession => {
                s.checking = false;
            }
            Action::LoggedOut { expired } => {
                s.session = None;
                s.checking = false;
                s.selection = None;
                s.fly_pending = false;
                s.tab_pinned = false;
                s.workspaces = Workspaces::default();
                s.notice = expired.then_some(Notice::Key(Key::SessionExpired.phrase()));
            }
            Action::SetLang(lang) => s.lang = lang,
            Action::SetTab(tab) => {
                s.tab = tab;
                s.tab_pinned = true;
            }
            Action::Select { selection, fly } => {
                s.fly_pending = fly && selection.is_some();
                s.selection = selection;
            }
            Action::Flown => s.fly_pending = false,
            Action::Notify(n) => s.notice = Some(n),
            Action::DismissNotice => s.notice = None,
            Action::Dispatch(a) => s.workspaces.dispatch.apply(*a),
            Action::Planning(a) => s.workspaces.planning.apply(a),
            Action::Coverage(a) => s.workspaces.coverage.apply(*a),
            Action::Command(a) => s.workspaces.command.apply(*a),
        }
        Rc::new(s)
    }
}

/// The handle components use to read and change the app state.
pub type AppContext = UseReducerHandle<AppState>;

/// The app state from the nearest `ContextProvider<AppContext>`.
#[hook]
pub fn use_app() -> AppContext {
    use_context::<AppContext>().expect("components are rendered inside the AppContext provider")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::UrlState;

    fn session(role: Role) -> Session {
        Session {
            token: "t".into(),
            user: User { username: "u".into(), display_name: "U".into(), role, county_code: None, disabled: false },
        }
    }

    fn fresh(url: &UrlState) -> Rc<AppState> {
        Rc::new(AppState::initial(Lang::Zh, true, url))
    }

    #[test]
    fn login_lands_on_the_roles_tab() {
        for (role, tab) in [
            (Role::Dispatcher, Tab::Dispatch),
            (Role::Planner, Tab::Planning),
            (Role::Leader, Tab::Command),
            (Role::Admin, Tab::Dispatch),
        ] {
            let s = fresh(&UrlState::default()).reduce(Action::LoggedIn(session(role)));
            assert_eq!(s.tab, tab, "{role:?}");
            assert!(!s.checking);
        }
    }

    #[test]
    fn a_tab_from_the_url_survives_login() {
        let url = UrlState { tab: Some(Tab::Coverage), selection: None, ..UrlState::default() };
        let s = fresh(&url).reduce(Action::LoggedIn(session(Role::Leader)));
        assert_eq!(s.tab, Tab::Coverage);
    }

    #[test]
    fn a_selection_from_the_url_asks_to_fly() {
        let url =
            UrlState { tab: None, selection: Some(Selection::Grid("320812001001001".into())), ..UrlState::default() };
        let s = fresh(&url);
        assert!(s.fly_pending);
        let s = s.reduce(Action::Flown);
        assert!(!s.fly_pending);
        assert!(s.selection.is_some());
    }

    #[test]
    fn expiry_logs_out_with_a_notice_and_clears_the_selection() {
        let s = fresh(&UrlState::default())
            .reduce(Action::LoggedIn(session(Role::Planner)))
            .reduce(Action::Select { selection: Some(Selection::Camera(7)), fly: false })
            .reduce(Action::LoggedOut { expired: true });
        assert!(s.session.is_none());
        assert!(s.selection.is_none());
        assert_eq!(s.notice, Some(Notice::Key(Key::SessionExpired.phrase())));
        let s = s.reduce(Action::DismissNotice);
        assert!(s.notice.is_none());
    }

    #[test]
    fn a_plain_logout_has_no_notice() {
        let s = fresh(&UrlState::default())
            .reduce(Action::LoggedIn(session(Role::Admin)))
            .reduce(Action::LoggedOut { expired: false });
        assert!(s.notice.is_none());
    }

    #[test]
    fn workspace_work_survives_tab_switches_but_not_logout() {
        use crate::workspaces::dispatch::DispatchAction;
        let s = fresh(&UrlState::default())
            .reduce(Action::LoggedIn(session(Role::Dispatcher)))
            .reduce(DispatchAction::SetDescription("路灯不亮".into()).into())
            .reduce(DispatchAction::Open(12).into())
            .reduce(Action::SetTab(Tab::Planning))
            .reduce(Action::SetTab(Tab::Dispatch));
        assert_eq!(s.workspaces.dispatch.form.description, "路灯不亮");
        assert_eq!(s.workspaces.dispatch.open.as_ref().map(|o| o.id), Some(12));
        let s = s.reduce(Action::LoggedOut { expired: false });
        assert_eq!(s.workspaces, Workspaces::default());
    }

    #[test]
    fn deselecting_cancels_a_pending_fly() {
        let s = fresh(&UrlState::default()).reduce(Action::Select { selection: None, fly: true });
        assert!(!s.fly_pending);
    }

    #[test]
    fn selection_tokens_round_trip() {
        for sel in [
            Selection::Grid("320812001001001".into()),
            Selection::Unit("320812".into()),
            Selection::Building(42),
            Selection::Camera(-1),
        ] {
            assert_eq!(Selection::parse(&sel.to_token()), Some(sel));
        }
        assert_eq!(Selection::parse("grid:abc"), None);
        assert_eq!(Selection::parse("grid:"), None);
        assert_eq!(Selection::parse("building:x"), None);
        assert_eq!(Selection::parse("parcel:1"), None);
        assert_eq!(Selection::parse("nothing"), None);
    }
}
