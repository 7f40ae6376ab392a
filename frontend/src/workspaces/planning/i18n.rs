//! The Planning workspace's interface text (shared text is [`crate::i18n::Key`]).

crate::keys! {
    /// Text of the Planning workspace.
    pub enum PlanningKey {
        Desc => "调整网格边界（拆分、合并、重绘），每次修改生成新版本并校验无缝无叠。", "Redraw grid boundaries (split, merge, reshape); each edit is versioned and checked for gaps and overlaps.";
        Soon => "规划编辑工具即将上线。", "Planning tools are coming soon.";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_both_languages() {
        crate::i18n::assert_translated(PlanningKey::ALL, &[]);
    }
}
