//! The Coverage workspace's interface text (shared text is [`crate::i18n::Key`]).

crate::keys! {
    /// Text of the Coverage workspace.
    pub enum CoverageKey {
        Desc => "分析摄像头视域覆盖，找出监控盲区。", "Analyse camera fields of view and find blind spots.";
        Forbidden => "覆盖分析仅向规划员、领导和管理员开放（摄像头位置属敏感信息）。", "Coverage is open to planners, leaders and administrators (camera positions are sensitive).";
        Hint => "点击网格查看覆盖和盲区；放大到 14 级以上可看到每栋楼是否被覆盖。", "Click a grid for its coverage and blind spots; from zoom 14 each building shows whether it is covered.";
        Occlusion => "计入遮挡（建筑挡住身后的视线）", "Count occlusion (buildings block the view behind them)";
        WorstInView => "当前视野内覆盖最差的网格", "Worst-covered grids in view";
        WorstInUnit => "所选单位内覆盖最差的网格", "Worst-covered grids in the selected unit";
        NoGrids => "此范围内没有网格", "No grids here";
        CoveredResidents => "覆盖人口", "Covered residents";
        CoveredBuildings => "覆盖楼栋", "Covered buildings";
        NoResidents => "无人口", "No residents";
        GridCoverage => "网格覆盖", "Grid coverage";
        WithoutOcclusion => "不计遮挡", "Without occlusion";
        WithOcclusion => "计入遮挡", "With occlusion";
        OcclusionChange => "遮挡带来的变化", "Change from occlusion";
        CamerasByStatus => "摄像头（在线 / 离线 / 维护 / 规划）", "Cameras (online / offline / maintenance / planned)";
        BlindSpots => "盲区", "Blind spots";
        Suggest => "建议新增摄像头", "Suggest new cameras";
        SuggestFor => "建议范围", "For";
        SuggestHint => "选择一个网格、村（社区）或街道，计算新增摄像头的最佳位置。", "Select a grid, village or township to find where new cameras would cover the most residents.";
        SuggestCount => "数量", "How many";
        SuggestRun => "计算建议点位", "Suggest sites";
        Suggesting => "正在计算…", "Computing…";
        SuggestBefore => "新增前覆盖人口", "Covered residents before";
        SuggestAfter => "新增后覆盖人口", "Covered residents after";
        SuggestNone => "在此范围内新增摄像头无法覆盖更多人口", "New cameras here would cover no more residents";
        SuggestCamera => "机型", "Camera";
        GainResidents => "新增覆盖人口", "Residents newly covered";
        GainBuildings => "新增覆盖楼栋", "Buildings newly covered";
        AddPlanned => "添加为规划摄像头", "Add as planned cameras";
        Adding => "正在添加…", "Adding…";
        Added => "已添加为规划摄像头：", "Added as planned cameras: ";
        ClearSuggestion => "清除建议", "Clear suggestion";
        ReadOnly => "只读：领导可查看覆盖与建议，不能修改摄像头。", "Read only: leaders see coverage and suggestions but cannot change cameras.";
        LegendCoverage => "覆盖分析", "Coverage";
        LegendSector => "视域", "Field of view";
        LegendCovered => "楼栋 · 已覆盖", "Building · covered";
        LegendUncovered => "楼栋 · 未覆盖", "Building · not covered";
        LegendShare => "网格覆盖人口比例", "Grid: share of residents covered";
        LegendBlindSpot => "盲区", "Blind spot";
        LegendSite => "建议点位（按选取顺序编号）", "Suggested site (numbered in pick order)";
        LegendSelectedCamera => "所选摄像头视域", "Selected camera's field of view";
        SquareMetres => "平方米", "m²";
        SelectedCamera => "所选摄像头", "Selected camera";
        DragHint => "拖动红色圆点移动摄像头，拖动白色圆环调整朝向；松开即保存。", "Drag the red dot to move the camera and the white ring to turn it; releasing saves it.";
        VillageFigures => "所在村（社区）的覆盖（含规划摄像头）", "Coverage of its village (planned cameras included)";
        Before => "调整前", "Before";
        After => "调整后", "After";
        Saving => "正在保存…", "Saving…";
        Saved => "已保存", "Saved";
        NotSaved => "未保存（拖动中）", "Not saved (dragging)";
        Undo => "撤销上一次调整", "Undo the last change";
        Degrees => "度", "°";
        Metres => "米", "m";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_both_languages() {
        crate::i18n::assert_translated(CoverageKey::ALL, &[CoverageKey::SquareMetres, CoverageKey::Degrees]);
    }
}
