//! The Coverage workspace's interface text (shared text is [`crate::i18n::Key`]).

crate::keys! {
    /// Text of the Coverage workspace.
    pub enum CoverageKey {
        Desc => "分析摄像头视域覆盖，找出监控盲区。", "Analyse camera fields of view and find blind spots.";
        Soon => "覆盖分析工具即将上线。", "Coverage tools are coming soon.";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_both_languages() {
        crate::i18n::assert_translated(CoverageKey::ALL, &[]);
    }
}
