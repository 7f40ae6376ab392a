//! The URL fragment: `#tab=planning&sel=grid:320812001001001`.
//!
//! Pure parse/serialise functions, so a link to a tab and a selected feature can be shared and
//! survives a reload. Unknown or malformed parts are ignored, never an error.

use crate::state::{Selection, Tab};
use crate::workspaces::command::url::CommandView;

/// What the URL fragment says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UrlState {
    pub tab: Option<Tab>,
    pub selection: Option<Selection>,
    /// The Command view (its own keys, [`CommandView::KEYS`]).
    pub command: CommandView,
}

impl UrlState {
    /// Parses `location.hash` (with or without the leading `#`).
    #[must_use]
    pub fn parse(hash: &str) -> UrlState {
        let mut out = UrlState::default();
        for pair in hash.trim_start_matches('#').split('&') {
            let Some((k, v)) = pair.split_once('=') else { continue };
            let v = v.replace("%3A", ":").replace("%3a", ":");
            match k {
                "tab" => out.tab = Tab::parse(&v).or(out.tab),
                "sel" => out.selection = Selection::parse(&v).or(out.selection),
                k if CommandView::KEYS.contains(&k) => out.command.set(k, &v),
                _ => {}
            }
        }
        out
    }

    /// The fragment for this state, with the `#`; `""` when there is nothing to say.
    #[must_use]
    pub fn to_hash(&self) -> String {
        let mut parts = Vec::new();
        if let Some(tab) = self.tab {
            parts.push(format!("tab={}", tab.slug()));
        }
        if let Some(sel) = &self.selection {
            parts.push(format!("sel={}", sel.to_token()));
        }
        parts.extend(self.command.pairs().into_iter().map(|(k, v)| format!("{k}={v}")));
        if parts.is_empty() {
            String::new()
        } else {
            format!("#{}", parts.join("&"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tab_and_selection() {
        let u = UrlState::parse("#tab=planning&sel=grid:320812001001001");
        assert_eq!(u.tab, Some(Tab::Planning));
        assert_eq!(u.selection, Some(Selection::Grid("320812001001001".into())));
    }

    #[test]
    fn ignores_junk() {
        assert_eq!(UrlState::parse(""), UrlState::default());
        assert_eq!(UrlState::parse("#"), UrlState::default());
        assert_eq!(UrlState::parse("#tab=nope&sel=grid:x1&zoom=3&&="), UrlState::default());
        let u = UrlState::parse("sel=camera%3A12&foo");
        assert_eq!(u.selection, Some(Selection::Camera(12)));
    }

    #[test]
    fn carries_the_command_view() {
        let u = UrlState::parse("#tab=command&sel=unit:320803&w=90&map=choropleth&kpi=overdue&zoom=3");
        assert_eq!(u.tab, Some(Tab::Command));
        assert_eq!(
            u.command.pairs(),
            [("w", "90".to_owned()), ("map", "choropleth".to_owned()), ("kpi", "overdue".to_owned())]
        );
        assert_eq!(u.to_hash(), "#tab=command&sel=unit:320803&w=90&map=choropleth&kpi=overdue");
    }

    #[test]
    fn round_trips() {
        for u in [
            UrlState::default(),
            UrlState { tab: Some(Tab::Command), selection: None, ..UrlState::default() },
            UrlState { tab: Some(Tab::Coverage), selection: Some(Selection::Building(99)), ..UrlState::default() },
            UrlState { tab: None, selection: Some(Selection::Unit("320803".into())), ..UrlState::default() },
        ] {
            assert_eq!(UrlState::parse(&u.to_hash()), u);
        }
        assert_eq!(UrlState::default().to_hash(), "");
        assert_eq!(
            UrlState {
                tab: Some(Tab::Planning),
                selection: Some(Selection::Grid("320812001001001".into())),
                ..UrlState::default()
            }
            .to_hash(),
            "#tab=planning&sel=grid:320812001001001"
        );
    }
}
