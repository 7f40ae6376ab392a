//! The Command workspace's interface text (shared text is [`crate::i18n::Key`]).

crate::keys! {
    /// Text of the Command workspace.
    pub enum CommandKey {
        Desc => "统计、热力图与预警总览，逐级查看区县、街道和网格。", "Statistics, heatmaps and early warnings, drilling down from county to grid.";
        Soon => "指挥看板即将上线。", "The command dashboard is coming soon.";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_both_languages() {
        crate::i18n::assert_translated(CommandKey::ALL, &[]);
    }
}
