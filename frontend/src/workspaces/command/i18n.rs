//! The Command workspace's interface text (shared text is [`crate::i18n::Key`]).

crate::keys! {
    /// Text of the Command workspace.
    pub enum CommandKey {
        Desc => "统计、热力图与预警总览，逐级查看区县、街道和网格。", "Statistics, heatmaps and early warnings, drilling down from county to grid.";
        Forbidden => "指挥看板仅对领导和管理员开放。", "The command dashboard is for leaders and administrators.";
        Window => "时间范围", "Time window";
        LastDays => "近{n}天", "Last {n} days";
        Custom => "自定义", "Custom";
        Apply => "应用", "Apply";
        RangeUnreadable => "请填写起止日期", "Enter both dates";
        RangeReversed => "结束日期早于开始日期", "The end is before the start";
        RangeTooLong => "时间范围不能超过三年", "The window can be at most three years";
        Kpis => "关键指标", "Key figures";
        Incidents => "事件数", "Incidents";
        Per1000 => "每千人事件", "Per 1,000 residents";
        ClosureRate => "办结率", "Closure rate";
        MedianHandling => "处置时长中位数", "Median handling time";
        OverdueOpen => "超时未办", "Overdue";
        ClosedLocally => "村级 / 镇级办结", "Closed at village / township";
        Hotspots => "热点预警（近7天）", "Hotspot warnings (last 7 days)";
        NoHotspots => "近7天没有显著上升的网格", "No grid rose significantly in the last 7 days";
        Observed => "实际", "observed";
        Expected => "预期", "expected";
        Since => "始于", "since";
        Heatmap => "热力图", "Heatmap";
        HeatLow => "少", "few";
        HeatHigh => "多", "many";
        Categories => "事件类别", "Categories";
        AllCategories => "全部类别", "All categories";
        Sources => "来源", "Sources";
        AllSources => "全部来源", "All sources";
        FamilyDispute => "矛盾纠纷", "Disputes";
        FamilyAlarm => "报警", "Alarms";
        FamilyCitizen => "民生诉求", "Citizen issues";
        WholeWindow => "整个时段", "Whole window";
        Play => "播放", "Play";
        Pause => "暂停", "Pause";
        Speed => "速度", "Speed";
        Cumulative => "累计", "Cumulative";
        DayOf => "第{i}/{n}天", "Day {i} of {n}";
        Choropleth => "分级设色", "Choropleth";
        NoChildren => "该单位没有下级", "This unit has no children";
        ClosedAtVillage => "村级办结占比", "Closed at village level";
        NoValue => "无数据", "no value";
        ZoomForUnits => "村（社区）和网格从 11 级起显示", "Villages and grids are drawn from zoom 11";
        BackToAll => "返回全市", "Back to the whole city";
        ExportCsv => "导出 CSV", "Export CSV";
        Trend => "趋势", "Trend";
        Daily => "按日", "Daily";
        Weekly => "按周", "Weekly";
        AllShown => "合计", "Total";
        LastYear => "去年同期", "Last year";
        ChildrenRanked => "下级排名", "Children ranked";
        ExtentChildren => "所选单位的下级", "Children of the unit shown";
        AllTownships => "全部街道 / 乡镇", "All townships";
        AllVillages => "全部村 / 社区", "All villages";
        AllGrids => "全部网格", "All grids";
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
