//! The open-incident list of the Dispatch workspace: its filters and order, which answer
//! counts, and how many cases arrived since the dispatcher last looked.

use std::fmt::Write as _;

use citygrid_api::Incident;
use serde::{Deserialize, Serialize};

use crate::state::Notice;

/// How many open incidents the list asks for.
pub const LIST_LIMIT: u32 = 100;

/// Milliseconds between two refreshes of the open-incident list.
pub const LIST_REFRESH_MS: i32 = 30_000;

/// The order of the list (`GET /api/incidents?sort=`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ListSort {
    /// Newest report first.
    #[default]
    Newest,
    /// Most urgent priority first, then the earliest deadline.
    Priority,
    /// Earliest deadline first.
    Deadline,
}

impl ListSort {
    pub const ALL: [ListSort; 3] = [ListSort::Newest, ListSort::Priority, ListSort::Deadline];

    /// The wire value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ListSort::Newest => "newest",
            ListSort::Priority => "priority",
            ListSort::Deadline => "deadline",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<ListSort> {
        ListSort::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// What the dispatcher narrowed the list to (all open incidents in view by default).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListFilters {
    /// One status of [`FILTER_STATUSES`]; `None`: all open ones.
    pub status: Option<String>,
    pub category: Option<String>,
    pub priority: Option<i16>,
    pub overdue: bool,
    pub unassigned: bool,
    pub sort: ListSort,
}

impl ListFilters {
    /// Whether the list holds open incidents only (the default, or one open status). Overdue,
    /// unassigned and the deadline and priority orders apply to open incidents only.
    #[must_use]
    pub fn open_only(&self) -> bool {
        self.status.as_deref().is_none_or(is_open)
    }

    /// Whether an incident with `status` belongs in the list.
    #[must_use]
    pub fn shows(&self, status: &str) -> bool {
        match &self.status {
            None => is_open(status),
            Some(s) => s == status,
        }
    }

    /// The query string of `GET /api/incidents` for these filters (without bbox and limit),
    /// values percent-encoded by `enc`.
    #[must_use]
    pub fn query(&self, enc: impl Fn(&str) -> String) -> String {
        let mut q = format!("status={}", enc(self.status.as_deref().unwrap_or("open")));
        if let Some(c) = &self.category {
            let _ = write!(q, "&category={}", enc(c));
        }
        if let Some(p) = self.priority {
            let _ = write!(q, "&priority={p}");
        }
        if self.open_only() {
            if self.overdue {
                q.push_str("&overdue=true");
            }
            if self.unassigned {
                q.push_str("&unassigned=true");
            }
            if self.sort != ListSort::Newest {
                let _ = write!(q, "&sort={}", self.sort.as_str());
            }
        }
        q
    }

    /// Whether any filter narrows the list.
    #[must_use]
    pub fn narrowed(&self) -> bool {
        ListFilters { sort: ListSort::Newest, ..self.clone() } != ListFilters::default()
    }
}

/// `minLon,minLat,maxLon,maxLat` for `GET /api/incidents?bbox=`, clamped to the valid range
/// (a zoomed-out or wrapped view may go past ±180°), `None` when nothing is left.
#[must_use]
pub fn bbox_param(b: [f64; 4]) -> Option<String> {
    if !b.iter().all(|x| x.is_finite()) {
        return None;
    }
    let [w, s, e, n] = [b[0].max(-180.0), b[1].max(-90.0), b[2].min(180.0), b[3].min(90.0)];
    if !(w < e && s < n) {
        return None;
    }
    Some(format!("{w:.6},{s:.6},{e:.6},{n:.6}"))
}

/// The statuses of open incidents (what the list shows unless narrowed to one status).
pub const OPEN_STATUSES: [&str; 4] = ["new", "assigned", "accepted", "in_progress"];
/// The statuses the list can be narrowed to: the open ones, then the finished ones.
pub const FILTER_STATUSES: [&str; 7] =
    ["new", "assigned", "accepted", "in_progress", "resolved", "closed", "duplicate"];

/// Whether an incident status counts as open.
#[must_use]
pub fn is_open(status: &str) -> bool {
    OPEN_STATUSES.contains(&status)
}

/// The open incidents in the current map view.
///
/// Requests are numbered ([`crate::load::next_request`]): an answer is applied only if it is the newest
/// request's, so a slow answer for an old view never replaces a newer one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentList {
    pub items: Vec<Incident>,
    /// More open incidents are in view than were listed.
    pub truncated: bool,
    pub loading: bool,
    pub error: Option<Notice>,
    pub filters: ListFilters,
    /// The largest incident id the dispatcher has seen (`None` before the first answer): newer
    /// ones count as new.
    pub seen: Option<i64>,
    requested: u64,
}

impl IncidentList {
    /// Request `seq` has started.
    pub fn begin(&mut self, seq: u64) {
        self.requested = self.requested.max(seq);
        self.loading = true;
    }

    /// Applies the answer of request `seq`; returns false (and changes nothing) when a newer
    /// request was started since.
    pub fn apply(&mut self, seq: u64, result: Result<(Vec<Incident>, bool), Notice>) -> bool {
        if seq != self.requested {
            return false;
        }
        self.loading = false;
        match result {
            Ok((mut items, truncated)) => {
                items.retain(|i| self.filters.shows(&i.status));
                if self.seen.is_none() {
                    self.seen = Some(items.iter().map(|i| i.id).max().unwrap_or(0));
                }
                self.items = items;
                self.truncated = truncated;
                self.error = None;
            }
            Err(e) => self.error = Some(e),
        }
        true
    }

    /// Replaces an incident after a transition (dropping it once the list would not show it),
    /// or adds a newly registered one at the top.
    pub fn upsert(&mut self, incident: Incident) {
        let open = self.filters.shows(&incident.status);
        if let Some(pos) = self.items.iter().position(|i| i.id == incident.id) {
            if open {
                self.items[pos] = incident;
            } else {
                self.items.remove(pos);
            }
        } else if open {
            self.items.insert(0, incident);
        }
    }

    #[must_use]
    pub fn overdue_count(&self) -> usize {
        self.items.iter().filter(|i| i.overdue).count()
    }

    /// Whether an incident arrived since the dispatcher last looked.
    #[must_use]
    pub fn is_new(&self, id: i64) -> bool {
        self.seen.is_some_and(|seen| id > seen)
    }

    /// How many listed incidents arrived since the dispatcher last looked.
    #[must_use]
    pub fn new_count(&self) -> usize {
        self.items.iter().filter(|i| self.is_new(i.id)).count()
    }

    /// The dispatcher has looked: everything listed (and `id`, one they registered) is seen.
    pub fn mark_seen(&mut self, id: Option<i64>) {
        let listed = self.items.iter().map(|i| i.id).max();
        self.seen = [self.seen, listed, id].into_iter().flatten().max();
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::i18n::{Key, Text};
    use crate::load::next_request;

    pub(crate) fn incident(id: i64, status: &str) -> Incident {
        Incident {
            id,
            category: "citizen.infrastructure".into(),
            source: "hotline".into(),
            priority: 3,
            status: status.into(),
            escalation_level: 0,
            description: String::new(),
            reported_at: "2025-01-01T00:00:00Z".into(),
            resolved_at: None,
            closed_at: None,
            grid_code: None,
            duplicate_of: None,
            assignee: None,
            assignee_name: None,
            lon: 119.0,
            lat: 33.6,
            step_deadline: None,
            overdue: id % 2 == 0,
        }
    }

    #[test]
    fn bboxes_are_clamped_and_formatted() {
        assert_eq!(
            bbox_param([118.9, 33.5, 119.1, 33.7]).as_deref(),
            Some("118.900000,33.500000,119.100000,33.700000")
        );
        assert_eq!(
            bbox_param([-200.0, -95.0, 200.0, 95.0]).as_deref(),
            Some("-180.000000,-90.000000,180.000000,90.000000")
        );
        assert_eq!(bbox_param([119.0, 33.0, 119.0, 34.0]), None);
        assert_eq!(bbox_param([f64::NAN, 33.0, 119.0, 34.0]), None);
    }

    #[test]
    fn filters_make_the_query() {
        let enc = |s: &str| s.replace('.', "%2E");
        assert_eq!(ListFilters::default().query(enc), "status=open");
        let f = ListFilters {
            status: Some("new".into()),
            category: Some("dispute.neighbor".into()),
            priority: Some(1),
            overdue: true,
            unassigned: true,
            sort: ListSort::Deadline,
        };
        assert_eq!(
            f.query(enc),
            "status=new&category=dispute%2Eneighbor&priority=1&overdue=true&unassigned=true&sort=deadline"
        );
        assert!(f.narrowed());
        assert!(!ListFilters { sort: ListSort::Priority, ..ListFilters::default() }.narrowed());
        // Finished incidents: no open-only filters or orders.
        let done = ListFilters { status: Some("duplicate".into()), ..f };
        assert!(!done.open_only() && done.shows("duplicate") && !done.shows("new"));
        assert_eq!(done.query(enc), "status=duplicate&category=dispute%2Eneighbor&priority=1");
        for s in ListSort::ALL {
            assert_eq!(ListSort::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn new_cases_since_the_last_look() {
        let mut list = IncidentList::default();
        let seq = next_request();
        list.begin(seq);
        list.apply(seq, Ok((vec![incident(5, "new"), incident(3, "new")], false)));
        assert_eq!(list.new_count(), 0, "the first answer is what the dispatcher sees");
        let seq = next_request();
        list.begin(seq);
        list.apply(seq, Ok((vec![incident(9, "new"), incident(7, "assigned"), incident(5, "new")], false)));
        assert_eq!(list.new_count(), 2);
        assert!(list.is_new(9) && !list.is_new(5));
        list.mark_seen(None);
        assert_eq!(list.new_count(), 0);
        list.mark_seen(Some(12));
        list.upsert(incident(12, "new"));
        assert_eq!(list.new_count(), 0, "one's own registration is not news");
    }

    #[test]
    fn request_numbers_grow() {
        let a = next_request();
        assert!(next_request() > a);
    }

    #[test]
    fn only_the_newest_answer_counts() {
        let mut list = IncidentList::default();
        let (old, new) = (next_request(), next_request());
        list.begin(old);
        list.begin(new);
        assert!(list.apply(new, Ok((vec![incident(1, "new")], false))));
        assert!(!list.apply(old, Ok((vec![incident(2, "new")], false))), "stale answer dropped");
        assert_eq!(list.items.iter().map(|i| i.id).collect::<Vec<_>>(), [1]);
        assert!(!list.loading);
        let seq = next_request();
        list.begin(seq);
        let boom = Notice::Key(Key::NetworkError.phrase());
        assert!(list.apply(seq, Err(boom.clone())));
        assert_eq!(list.error, Some(boom));
        assert_eq!(list.items.len(), 1, "an error keeps the last good list");
        let seq = next_request();
        list.begin(seq);
        list.apply(seq, Ok((vec![incident(3, "assigned"), incident(4, "closed")], true)));
        assert_eq!(list.items.iter().map(|i| i.id).collect::<Vec<_>>(), [3], "closed ones are not listed");
        assert!(list.truncated);
        assert!(list.error.is_none());
    }

    #[test]
    fn upserts_follow_the_status() {
        let mut list = IncidentList::default();
        list.upsert(incident(1, "new"));
        list.upsert(incident(2, "new"));
        assert_eq!(list.items.iter().map(|i| i.id).collect::<Vec<_>>(), [2, 1], "newest first");
        list.upsert(incident(1, "in_progress"));
        assert_eq!(list.items[1].status, "in_progress");
        list.upsert(incident(2, "resolved"));
        assert_eq!(list.items.iter().map(|i| i.id).collect::<Vec<_>>(), [1]);
        list.upsert(incident(9, "closed"));
        assert_eq!(list.items.len(), 1);
        assert_eq!(list.overdue_count(), 0);
        list.upsert(incident(4, "new"));
        assert_eq!(list.overdue_count(), 1);
    }
}
