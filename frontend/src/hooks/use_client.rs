//! The logged-in session as components use it: the bearer token for [`crate::api`] calls, a
//! check that turns a 401 into a logout, and a way to send actions to the app state from async
//! code (the reducer's dispatcher stays valid when the component is gone, so an answer that
//! arrives after a tab switch still lands in the store).

use std::rc::Rc;

use yew::prelude::*;

use crate::api::ApiError;
use crate::state::{use_app, Action, AppState};

/// What async code needs to call the API on the user's behalf and report back.
#[derive(Clone)]
pub struct Client {
    token: Rc<str>,
    dispatcher: UseReducerDispatcher<AppState>,
}

impl Client {
    /// The bearer token.
    #[must_use]
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Sends an action to the app state.
    pub fn send(&self, action: impl Into<Action>) {
        self.dispatcher.dispatch(action.into());
    }

    /// Passes an answer through; a 401 (expired session) logs out.
    pub fn check<T>(&self, result: Result<T, ApiError>) -> Result<T, ApiError> {
        if let Err(ApiError::Unauthorized(_)) = &result {
            self.send(Action::LoggedOut { expired: true });
        }
        result
    }
}

/// The client of the logged-in user (an empty token before login).
#[hook]
pub fn use_client() -> Client {
    let app = use_app();
    let token: Rc<str> = app.session.as_ref().map_or_else(|| Rc::from(""), |s| Rc::from(s.token.as_str()));
    Client { token, dispatcher: app.dispatcher() }
}
