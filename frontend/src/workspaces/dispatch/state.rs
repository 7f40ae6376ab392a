//! The Dispatch workspace's slice of the app state: the location being routed, the routing
//! answer, the registration form, the open incident and the open-incident list. It lives in the
//! app store ([`crate::state::Workspaces`]), so a tab switch keeps it; [`DispatchDraft`] keeps
//! what was typed across a reload.
//!
//! The reducer ([`DispatchState::apply`]) is pure and enforces what the panel promises:
//! registering uses exactly the routed location the panel shows, and only when it is inside a
//! grid; per-incident inputs belong to the incident they were typed for; an answer is applied
//! only to the question it answers (a late answer for an older location, incident or list
//! request is dropped).

use citygrid_api::{CreateIncidentRequest, GridRef, Incident, IncidentCreated, IncidentDetail, RouteResult};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::i18n::DispatchKey;
use super::list::{IncidentList, ListFilters};
use crate::api::ApiError;
use crate::i18n::Text;
use crate::state::Notice;

/// Longest incident description the backend accepts, in characters.
pub use citygrid_api::limits::MAX_DESCRIPTION_CHARS;

/// The category and source a new form starts with.
pub const DEFAULT_CATEGORY: &str = "citizen.infrastructure";
pub const DEFAULT_SOURCE: &str = "hotline";

/// How many characters a description has (what the 4,000 limit counts).
#[must_use]
pub fn char_count(s: &str) -> usize {
    s.chars().count()
}

/// The location the panel works with, and the text of the location field it came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Location {
    /// Nothing picked yet.
    #[default]
    None,
    /// A grid code whose centre is being looked up.
    Resolving { code: String, text: String },
    /// A point, typed or clicked on the map.
    Point { lon: f64, lat: f64, text: String },
    /// The field could not be used; `why` says what is wrong.
    Failed { text: String, why: Notice },
}

impl Location {
    /// The location field's text this location was made from.
    #[must_use]
    pub fn text(&self) -> &str {
        match self {
            Location::None => "",
            Location::Resolving { text, .. } | Location::Point { text, .. } | Location::Failed { text, .. } => text,
        }
    }

    #[must_use]
    pub fn point(&self) -> Option<(f64, f64)> {
        match self {
            Location::Point { lon, lat, .. } => Some((*lon, *lat)),
            _ => None,
        }
    }

    /// A clicked point, with the text the location field shows for it.
    #[must_use]
    pub fn picked(lon: f64, lat: f64) -> Location {
        Location::Point { lon, lat, text: format!("{lon:.6},{lat:.6}") }
    }
}

/// What a routing answer was asked for: the point, and the form's category and priority (they
/// decide deadlines, duplicates and mediation).
#[derive(Debug, Clone, PartialEq)]
pub struct RouteKey {
    pub lon: f64,
    pub lat: f64,
    pub category: String,
    pub priority: Option<i16>,
}

/// The routing answer for [`Route::key`].
#[derive(Debug, Clone, PartialEq)]
pub enum RouteStatus {
    Loading,
    Done {
        result: Box<RouteResult>,
        /// The responsible grid's boundary, once fetched (for the map outline).
        grid_geometry: Option<Value>,
    },
    /// The point is outside every grid (a 422 with the nearest grid when there is one).
    Outside {
        nearest: Option<GridRef>,
        distance_m: Option<f64>,
        error: ApiError,
    },
    Failed(Notice),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub key: RouteKey,
    pub status: RouteStatus,
}

/// The registration form.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisterForm {
    pub category: String,
    pub source: String,
    /// `None`: the category's default.
    pub priority: Option<i16>,
    pub description: String,
    pub submitting: bool,
    pub error: Option<Notice>,
    /// The incident just registered (the "registered #…" banner).
    pub created: Option<i64>,
}

impl Default for RegisterForm {
    fn default() -> Self {
        RegisterForm {
            category: DEFAULT_CATEGORY.to_owned(),
            source: DEFAULT_SOURCE.to_owned(),
            priority: None,
            description: String::new(),
            submitting: false,
            error: None,
            created: None,
        }
    }
}

/// The open incident's details as loaded.
#[derive(Debug, Clone, PartialEq)]
pub enum Detail {
    Loading,
    Loaded(Box<IncidentDetail>),
    Failed(Notice),
}

/// The incident open in the detail card, with the inputs typed for it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenIncident {
    pub id: i64,
    pub detail: Detail,
    /// Bumped to ask for fresh details (after a transition).
    pub wanted: u32,
    /// The `wanted` whose request has been sent (`None`: not yet).
    pub requested: Option<u32>,
    pub note: String,
    pub duplicate_of: String,
    /// An action that asks for a note and a confirmation (resolve, close) waiting for both.
    pub confirming: Option<String>,
    pub acting: bool,
    pub error: Option<Notice>,
}

impl OpenIncident {
    fn new(id: i64) -> Self {
        OpenIncident {
            id,
            detail: Detail::Loading,
            wanted: 0,
            requested: None,
            note: String::new(),
            duplicate_of: String::new(),
            confirming: None,
            acting: false,
            error: None,
        }
    }

    /// Whether fresh details should be fetched.
    #[must_use]
    pub fn needs_fetch(&self) -> bool {
        self.requested != Some(self.wanted)
    }
}

/// What the dispatcher is working on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DispatchState {
    /// The location field as typed.
    pub where_text: String,
    pub location: Location,
    /// The routing of [`DispatchState::route_key`] (or of an earlier key while a new one loads).
    pub route: Option<Route>,
    pub form: RegisterForm,
    pub open: Option<OpenIncident>,
    pub list: IncidentList,
}

/// A change to [`DispatchState`].
#[derive(Debug, Clone, PartialEq)]
pub enum DispatchAction {
    WhereTyped(String),
    /// The location field was submitted and read (or could not be).
    Locate(Location),
    /// A grid code's centre was looked up.
    GridResolved {
        code: String,
        result: Result<(f64, f64), ApiError>,
    },
    RouteStarted(RouteKey),
    Routed(RouteKey, RouteStatus),
    GridGeometry {
        code: String,
        geometry: Value,
    },
    SetCategory(String),
    SetSource(String),
    SetPriority(Option<i16>),
    SetDescription(String),
    Submitting,
    Registered(Box<IncidentCreated>),
    RegisterFailed(Notice),
    /// Open an incident (again: reload it).
    Open(i64),
    CloseIncident,
    DetailRequested {
        id: i64,
        wanted: u32,
    },
    DetailLoaded {
        id: i64,
        wanted: u32,
        result: Result<Box<IncidentDetail>, ApiError>,
    },
    SetNote(String),
    SetDuplicateOf(String),
    /// Ask for the note and confirmation of `action` (resolve, close); `None`: cancel.
    Confirm(Option<String>),
    Acting(i64),
    Acted {
        id: i64,
        result: Result<Incident, Notice>,
    },
    ListStarted(u64),
    ListLoaded(u64, Result<(Vec<Incident>, bool), Notice>),
    SetListFilters(ListFilters),
    /// The dispatcher looked at the new cases.
    ListSeen,
}

impl DispatchState {
    /// The routing question the panel asks now: the location's point with the form's category
    /// and priority.
    #[must_use]
    pub fn route_key(&self) -> Option<RouteKey> {
        let (lon, lat) = self.location.point()?;
        Some(RouteKey { lon, lat, category: self.form.category.clone(), priority: self.form.priority })
    }

    /// Whether the routing should be asked for (nothing asked yet for the current key).
    #[must_use]
    pub fn needs_route(&self) -> Option<RouteKey> {
        let key = self.route_key()?;
        (self.route.as_ref().map(|r| &r.key) != Some(&key)).then_some(key)
    }

    /// The routing answer for the current location, if it has arrived.
    #[must_use]
    pub fn current_route(&self) -> Option<&RouteStatus> {
        let key = self.route_key()?;
        self.route.as_ref().filter(|r| r.key == key).map(|r| &r.status)
    }

    /// The field says something else than the location shown (typed, not yet routed).
    #[must_use]
    pub fn edited(&self) -> bool {
        self.where_text.trim() != self.location.text().trim()
    }

    /// The point an incident can be registered at: routed, inside a grid, and what the field
    /// shows.
    #[must_use]
    pub fn registrable_point(&self) -> Option<(f64, f64)> {
        if self.edited() {
            return None;
        }
        match self.current_route()? {
            RouteStatus::Done { .. } => self.location.point(),
            _ => None,
        }
    }

    /// The request registering the form at the routed location, or why it cannot be sent.
    pub fn register_request(&self) -> Result<CreateIncidentRequest, Notice> {
        let Some((lon, lat)) = self.registrable_point() else {
            return Err(Notice::Key(DispatchKey::PickPointFirst.phrase()));
        };
        let description = self.form.description.trim();
        if description.is_empty() {
            return Err(Notice::Key(DispatchKey::DescriptionRequired.phrase()));
        }
        if char_count(description) > MAX_DESCRIPTION_CHARS {
            return Err(Notice::Key(DispatchKey::DescriptionTooLong.phrase()));
        }
        Ok(CreateIncidentRequest {
            lon,
            lat,
            category: self.form.category.clone(),
            description: description.to_owned(),
            source: self.form.source.clone(),
            priority: self.form.priority,
            reported_at: None,
        })
    }

    fn open_incident(&mut self, id: i64) {
        match &mut self.open {
            Some(open) if open.id == id => {
                open.wanted = open.wanted.wrapping_add(1);
                open.error = None;
            }
            _ => self.open = Some(OpenIncident::new(id)),
        }
    }

    /// The reducer of this slice.
    pub fn apply(&mut self, action: DispatchAction) {
        use DispatchAction as A;
        match action {
            A::WhereTyped(text) => self.where_text = text,
            A::Locate(location) => {
                // Every locate asks again, even for the point routed before.
                self.where_text = location.text().to_owned();
                self.location = location;
                self.route = None;
                self.form.created = None;
                self.form.error = None;
            }
            A::GridResolved { code, result } => {
                let Location::Resolving { code: c, text } = &self.location else { return };
                if *c != code {
                    return;
                }
                let text = text.clone();
                self.location = match result {
                    Ok((lon, lat)) => Location::Point { lon, lat, text },
                    Err(e) => Location::Failed { text, why: Notice::Api(e) },
                };
            }
            A::RouteStarted(key) => self.route = Some(Route { key, status: RouteStatus::Loading }),
            A::Routed(key, status) => {
                if let Some(route) = self.route.as_mut().filter(|r| r.key == key) {
                    route.status = status;
                }
            }
            A::GridGeometry { code, geometry } => {
                if let Some(Route { status: RouteStatus::Done { result, grid_geometry }, .. }) = &mut self.route {
                    if result.grid.code == code {
                        *grid_geometry = Some(geometry);
                    }
                }
            }
            A::SetCategory(c) => self.form.category = c,
            A::SetSource(s) => self.form.source = s,
            A::SetPriority(p) => self.form.priority = p,
            A::SetDescription(d) => self.form.description = d,
            A::Submitting => {
                self.form.submitting = true;
                self.form.error = None;
                self.form.created = None;
            }
            A::Registered(created) => {
                let IncidentCreated { incident, routing } = *created;
                let id = incident.id;
                self.form.submitting = false;
                self.form.error = None;
                self.form.created = Some(id);
                self.form.description.clear();
                if let Some(route) = &mut self.route {
                    let grid_geometry = match &route.status {
                        RouteStatus::Done { result, grid_geometry } if result.grid.code == routing.grid.code => {
                            grid_geometry.clone()
                        }
                        _ => None,
                    };
                    route.status = RouteStatus::Done { result: Box::new(routing), grid_geometry };
                }
                self.list.mark_seen(Some(id));
                self.list.upsert(incident);
                self.open_incident(id);
            }
            A::RegisterFailed(why) => {
                self.form.submitting = false;
                self.form.created = None;
                self.form.error = Some(why);
            }
            A::Open(id) => self.open_incident(id),
            A::CloseIncident => self.open = None,
            A::DetailRequested { id, wanted } => {
                if let Some(open) = self.open.as_mut().filter(|o| o.id == id && o.wanted == wanted) {
                    open.requested = Some(wanted);
                    if !matches!(open.detail, Detail::Loaded(_)) {
                        open.detail = Detail::Loading;
                    }
                }
            }
            A::DetailLoaded { id, wanted, result } => {
                if let Some(open) = self.open.as_mut().filter(|o| o.id == id && o.wanted == wanted) {
                    open.detail = match result {
                        Ok(d) => Detail::Loaded(d),
                        Err(e) => Detail::Failed(Notice::Api(e)),
                    };
                }
            }
            A::SetNote(n) => {
                if let Some(open) = &mut self.open {
                    open.note = n;
                }
            }
            A::SetDuplicateOf(d) => {
                if let Some(open) = &mut self.open {
                    open.duplicate_of = d;
                }
            }
            A::Confirm(action) => {
                if let Some(open) = &mut self.open {
                    open.confirming = action;
                    open.error = None;
                }
            }
            A::Acting(id) => {
                if let Some(open) = self.open.as_mut().filter(|o| o.id == id) {
                    open.acting = true;
                    open.error = None;
                }
            }
            A::Acted { id, result } => {
                let ok = result.is_ok();
                match result {
                    Ok(incident) => self.list.upsert(incident),
                    Err(why) => {
                        if let Some(open) = self.open.as_mut().filter(|o| o.id == id) {
                            open.error = Some(why);
                        }
                    }
                }
                if let Some(open) = self.open.as_mut().filter(|o| o.id == id) {
                    // After a request (not a refusal before sending one) the state may have
                    // changed: ask for fresh details.
                    if open.acting {
                        open.wanted = open.wanted.wrapping_add(1);
                    }
                    open.acting = false;
                    if ok {
                        open.note.clear();
                        open.duplicate_of.clear();
                        open.confirming = None;
                    }
                }
            }
            A::ListStarted(seq) => self.list.begin(seq),
            A::ListLoaded(seq, result) => {
                self.list.apply(seq, result);
            }
            A::SetListFilters(f) => self.list.filters = f,
            A::ListSeen => self.list.mark_seen(None),
        }
    }

    /// What is worth keeping across a reload.
    #[must_use]
    pub fn draft(&self) -> DispatchDraft {
        DispatchDraft {
            where_text: self.where_text.clone(),
            point: match &self.location {
                Location::Point { lon, lat, text } => Some((*lon, *lat, text.clone())),
                _ => None,
            },
            category: self.form.category.clone(),
            source: self.form.source.clone(),
            priority: self.form.priority,
            description: self.form.description.clone(),
            open: self.open.as_ref().map(|o| o.id),
            list_filters: self.list.filters.clone(),
        }
    }

    /// The state a reload starts from.
    #[must_use]
    pub fn from_draft(d: DispatchDraft) -> DispatchState {
        let mut s = DispatchState {
            where_text: d.where_text,
            location: d.point.map_or(Location::None, |(lon, lat, text)| Location::Point { lon, lat, text }),
            ..DispatchState::default()
        };
        s.form.category = d.category;
        s.form.source = d.source;
        s.form.priority = d.priority;
        s.form.description = d.description;
        s.list.filters = d.list_filters;
        if let Some(id) = d.open {
            s.open_incident(id);
        }
        s
    }
}

/// The typed part of the Dispatch workspace, stored in the browser so a reload keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DispatchDraft {
    pub where_text: String,
    /// The located point and the field text it came from.
    pub point: Option<(f64, f64, String)>,
    pub category: String,
    pub source: String,
    pub priority: Option<i16>,
    pub description: String,
    /// The open incident.
    pub open: Option<i64>,
    #[serde(default)]
    pub list_filters: ListFilters,
}

#[cfg(test)]
mod tests {
    use super::super::list::tests::incident;
    use super::*;
    use crate::api::ServerError;
    use crate::i18n::Key;
    use citygrid_api::GridWorker;

    fn routed(code: &str) -> RouteResult {
        RouteResult {
            lon: 119.03,
            lat: 33.6,
            grid: GridRef { code: code.into(), name: "G".into(), version: 1 },
            grid_worker: None::<GridWorker>,
            escalation: Vec::new(),
            cameras_seeing: Vec::new(),
            cameras_not_online: Vec::new(),
            nearest_cameras: Vec::new(),
            duplicates: Vec::new(),
            mediation: None,
        }
    }

    /// A state located at (119.03, 33.6) and routed there.
    fn located() -> DispatchState {
        let mut s = DispatchState::default();
        s.apply(DispatchAction::Locate(Location::picked(119.03, 33.6)));
        let key = s.needs_route().expect("a route is needed");
        s.apply(DispatchAction::RouteStarted(key.clone()));
        assert!(s.needs_route().is_none(), "asked once");
        s.apply(DispatchAction::Routed(
            key,
            RouteStatus::Done { result: Box::new(routed("320812001001001")), grid_geometry: None },
        ));
        s.apply(DispatchAction::SetDescription("路灯不亮".into()));
        s
    }

    fn unreadable() -> Location {
        Location::Failed { text: "abc".into(), why: Notice::Key(DispatchKey::InputUnreadable.phrase()) }
    }

    #[test]
    fn descriptions_count_characters_not_bytes() {
        assert_eq!(char_count("路灯不亮"), 4);
        assert_eq!(char_count(""), 0);
    }

    #[test]
    fn registers_at_the_routed_point() {
        let s = located();
        let req = s.register_request().expect("registrable");
        assert_eq!((req.lon, req.lat), (119.03, 33.6));
        assert_eq!(req.description, "路灯不亮");
        assert_eq!(s.where_text, "119.030000,33.600000", "the field shows the clicked point");
    }

    #[test]
    fn an_unreadable_location_blocks_registration() {
        let mut s = located();
        s.apply(DispatchAction::WhereTyped("abc".into()));
        assert!(s.edited());
        assert!(s.register_request().is_err(), "typed but not routed");
        s.apply(DispatchAction::Locate(unreadable()));
        assert!(s.registrable_point().is_none());
        assert_eq!(s.register_request(), Err(Notice::Key(DispatchKey::PickPointFirst.phrase())));
        // The same valid point again is a new location to route.
        s.apply(DispatchAction::Locate(Location::picked(119.03, 33.6)));
        assert!(s.needs_route().is_some());
    }

    #[test]
    fn outside_every_grid_is_not_registrable() {
        let mut s = located();
        s.apply(DispatchAction::Locate(Location::picked(118.0, 33.0)));
        let key = s.needs_route().expect("new point");
        s.apply(DispatchAction::RouteStarted(key.clone()));
        assert!(s.registrable_point().is_none(), "loading");
        let error = ApiError::Server(ServerError {
            status: 422,
            code: Some(citygrid_api::ErrorCode::OutsideCity),
            message: "outside".into(),
            field: None,
            details: None,
        });
        s.apply(DispatchAction::Routed(key, RouteStatus::Outside { nearest: None, distance_m: None, error }));
        assert!(s.registrable_point().is_none());
    }

    #[test]
    fn a_late_routing_answer_is_dropped() {
        let mut s = located();
        let old = s.route_key().expect("key");
        s.apply(DispatchAction::Locate(Location::picked(119.05, 33.61)));
        let new = s.needs_route().expect("new point");
        s.apply(DispatchAction::RouteStarted(new));
        s.apply(DispatchAction::Routed(
            old,
            RouteStatus::Done { result: Box::new(routed("320812001001002")), grid_geometry: None },
        ));
        assert_eq!(s.current_route(), Some(&RouteStatus::Loading));
        // The category is part of the question.
        s.apply(DispatchAction::SetCategory("dispute.neighbor".into()));
        assert!(s.needs_route().is_some());
    }

    #[test]
    fn a_registration_clears_the_form_and_opens_the_incident() {
        let mut s = located();
        s.apply(DispatchAction::Submitting);
        assert!(s.form.submitting);
        let created = IncidentCreated { incident: incident(41, "new"), routing: routed("320812001001001") };
        s.apply(DispatchAction::Registered(Box::new(created)));
        assert_eq!(s.form.created, Some(41));
        assert!(s.form.description.is_empty() && !s.form.submitting);
        assert_eq!(s.open.as_ref().map(|o| o.id), Some(41));
        assert_eq!(s.list.items.first().map(|i| i.id), Some(41));
        // A new location or error takes the old banner away.
        s.apply(DispatchAction::Locate(unreadable()));
        assert_eq!(s.form.created, None);
        s.form.created = Some(41);
        s.apply(DispatchAction::RegisterFailed(Notice::Key(Key::NetworkError.phrase())));
        assert_eq!(s.form.created, None);
    }

    #[test]
    fn inputs_belong_to_their_incident() {
        let mut s = DispatchState::default();
        s.apply(DispatchAction::Open(7));
        s.apply(DispatchAction::SetDuplicateOf("5".into()));
        s.apply(DispatchAction::SetNote("n".into()));
        s.apply(DispatchAction::Open(7));
        assert_eq!(s.open.as_ref().map(|o| o.duplicate_of.as_str()), Some("5"), "reopening keeps them");
        s.apply(DispatchAction::Open(8));
        let open = s.open.as_ref().expect("open");
        assert_eq!((open.id, open.duplicate_of.as_str(), open.note.as_str()), (8, "", ""));
    }

    #[test]
    fn a_confirmed_action_waits_and_a_success_ends_it() {
        let mut s = DispatchState::default();
        s.apply(DispatchAction::Open(7));
        s.apply(DispatchAction::Confirm(Some("resolve".into())));
        assert_eq!(s.open.as_ref().and_then(|o| o.confirming.as_deref()), Some("resolve"));
        s.apply(DispatchAction::SetNote("已修复".into()));
        s.apply(DispatchAction::Acting(7));
        s.apply(DispatchAction::Acted { id: 7, result: Ok(incident(7, "resolved")) });
        let open = s.open.as_ref().expect("open");
        assert_eq!((open.confirming.as_deref(), open.note.as_str()), (None, ""));
        s.apply(DispatchAction::Confirm(Some("close".into())));
        s.apply(DispatchAction::Open(8));
        assert_eq!(s.open.as_ref().and_then(|o| o.confirming.as_deref()), None, "belongs to its incident");
    }

    #[test]
    fn details_load_once_and_late_answers_are_dropped() {
        let mut s = DispatchState::default();
        s.apply(DispatchAction::Open(7));
        assert!(s.open.as_ref().is_some_and(OpenIncident::needs_fetch));
        s.apply(DispatchAction::DetailRequested { id: 7, wanted: 0 });
        assert!(!s.open.as_ref().is_some_and(OpenIncident::needs_fetch));
        s.apply(DispatchAction::Acting(7));
        s.apply(DispatchAction::Acted { id: 7, result: Ok(incident(7, "assigned")) });
        let open = s.open.as_ref().expect("open");
        assert!(!open.acting && open.needs_fetch(), "a transition asks for fresh details");
        let error = ApiError::Network("late".into());
        s.apply(DispatchAction::DetailLoaded { id: 7, wanted: 0, result: Err(error) });
        assert_eq!(s.open.as_ref().map(|o| &o.detail), Some(&Detail::Loading), "answer for an old request");
    }

    #[test]
    fn a_draft_round_trips() {
        let mut s = located();
        s.apply(DispatchAction::SetPriority(Some(2)));
        s.apply(DispatchAction::Open(9));
        let draft = s.draft();
        let json = serde_json::to_string(&draft).expect("serialises");
        let back: DispatchDraft = serde_json::from_str(&json).expect("parses");
        let r = DispatchState::from_draft(back);
        assert_eq!(r.location, s.location);
        assert_eq!(r.where_text, s.where_text);
        assert_eq!(r.form.description, "路灯不亮");
        assert_eq!(r.form.priority, Some(2));
        assert_eq!(r.open.as_ref().map(|o| o.id), Some(9));
        assert!(r.needs_route().is_some(), "routed again after a reload");
    }
}
