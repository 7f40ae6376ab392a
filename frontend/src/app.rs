//! The root component: app state, session restore, language and URL persistence.

use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::browser;
use crate::components::toast::Toast;
use crate::i18n::{t, Key, Lang};
use crate::pages::{login::Login, workspace::Workspace};
use crate::route::UrlState;
use crate::state::{Action, AppContext, AppState, Notice, Session, Tab};
use crate::workspaces::command::url::CommandView;
use crate::workspaces::dispatch::{DispatchDraft, DispatchState};

/// The browser storage key of the Dispatch workspace's draft.
const DISPATCH_DRAFT_KEY: &str = "citygrid.dispatch";

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer_eq(|| {
        let lang = browser::stored_lang().and_then(|s| Lang::parse(&s)).unwrap_or_default();
        let url = UrlState::parse(&browser::hash());
        let mut s = AppState::initial(lang, browser::stored_token().is_some(), &url);
        if let Some(draft) = browser::stored_json::<DispatchDraft>(DISPATCH_DRAFT_KEY) {
            s.workspaces.dispatch = DispatchState::from_draft(draft);
        }
        s
    });

    // A stored token: ask who it belongs to.
    {
        let dispatch = state.dispatcher();
        use_effect_with((), move |()| {
            if let Some(token) = browser::stored_token() {
                spawn_local(async move {
                    match api::me(&token).await {
                        Ok(user) => dispatch.dispatch(Action::LoggedIn(Session { token, user })),
                        // Refused: as after any expiry, the workspaces' drafts go with the session.
                        Err(ApiError::Unauthorized(_)) => dispatch.dispatch(Action::LoggedOut { expired: true }),
                        // The server is unreachable: keep the drafts for the next login.
                        Err(e) => {
                            dispatch.dispatch(Action::NoSession);
                            dispatch.dispatch(Action::Notify(Notice::Api(e)));
                        }
                    }
                });
            }
        });
    }

    // Forget the token once nobody is logged in (logout, 401, refused at start-up).
    use_effect_with((state.session.is_none(), state.checking), |&(logged_out, checking)| {
        if logged_out && !checking {
            browser::store_token(None);
        }
    });

    // What the dispatcher typed survives a reload (and is forgotten at logout, when the slice
    // is reset).
    use_effect_with(state.workspaces.dispatch.draft(), |draft| browser::store_json(DISPATCH_DRAFT_KEY, draft));

    use_effect_with(state.lang, |lang| {
        browser::store_lang(lang.code());
        browser::set_document_lang(lang.code());
    });

    // Keep `#tab=…&sel=…` (and on the Command tab its view) in step with the state while
    // someone is logged in. Written as the root renders, before any workspace does, so the URL
    // never lags what the screen shows: an effect runs after the whole tree has rendered, and a
    // reload in between would reopen the previous tab. `replace_hash` does nothing when the
    // fragment is already right.
    if state.session.is_some() {
        let command = if state.tab == Tab::Command { state.workspaces.command.view() } else { CommandView::default() };
        let url = UrlState { tab: Some(state.tab), selection: state.selection.clone(), command };
        browser::replace_hash(&url.to_hash());
    }

    let body = if state.checking {
        html! { <div class="splash"><div class="spinner"></div><p>{ t(state.lang, Key::CheckingSession) }</p></div> }
    } else if state.session.is_some() {
        html! { <Workspace /> }
    } else {
        html! { <Login /> }
    };

    html! {
        <ContextProvider<AppContext> context={state.clone()}>
            { body }
            <Toast />
        </ContextProvider<AppContext>>
    }
}
