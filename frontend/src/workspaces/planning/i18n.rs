//! The Planning workspace's interface text (shared text is [`crate::i18n::Key`]).

crate::keys! {
    /// Text of the Planning workspace.
    pub enum PlanningKey {
        Desc => "调整网格边界（拆分、合并），预览影响后提交；每次修改生成新版本并校验无缝无叠。", "Redraw grid boundaries (split, merge), preview the consequences, then commit; each edit is versioned and checked for gaps and overlaps.";
        Forbidden => "规划工具仅对规划员、领导和管理员开放。", "Planning tools are for planners, leaders and administrators.";
        PickGrid => "点击地图上的网格或在顶部搜索网格，查看其工作量并调整边界。", "Click a grid on the map or search for one to see its workload and redraw it.";
        ReadOnly => "只读：领导可查看网格与方案，不能修改。", "Read only: leaders see grids and plans but cannot change them.";
        Workload => "工作量", "Workload";
        Figure => "指标", "Figure";
        ThisGrid => "本网格", "This grid";
        PerWorker => "人均", "Per worker";
        VillageAverage => "村（社区）人均", "Village average";
        Households => "户数", "Households";
        Residents => "人口", "Residents";
        Incidents90d => "近 90 天事件", "Incidents (90 days)";
        Buildings => "楼栋", "Buildings";
        Cameras => "摄像头", "Cameras";
        OpenIncidents => "未办结事件", "Open incidents";
        Area => "面积（公顷）", "Area (ha)";
        Workers => "网格员", "Grid workers";
        NoWorker => "无网格员", "No grid worker";
        Village => "所属村（社区）", "Village";
        Neighbours => "相邻网格", "Neighbouring grids";
        Version => "版本", "Version";
        Tools => "编辑", "Edit";
        Split => "拆分", "Split";
        SplitHint => "在网格上依次点击画出拆分线（需穿过网格），双击或回车结束；Esc 取消，Ctrl+Z 撤销上一个点。", "Click across the grid to draw the split line (it must cross the grid); double-click or Enter finishes; Esc cancels, Ctrl+Z removes the last vertex.";
        Vertices => "个点", "vertices";
        LineDone => "拆分线已完成。", "The split line is complete.";
        EditEdge => "编辑共享边", "Edit a shared edge";
        PickEdgeHint => "点击相邻网格（或下面的按钮）选择要编辑的共享边。", "Click a neighbouring grid (or a button below) to pick the edge to edit.";
        EdgeHint => "拖动顶点移动共享边，两侧网格一起改变；拖动或点击中点加点，双击顶点删除；8 像素内吸附到网格的顶点和边；Ctrl+Z 撤销上一步，Esc 取消。两端点不动。", "Drag a vertex to move the shared edge (both grids change with it); drag or click a midpoint to add a vertex, double-click a vertex to remove it; within 8 pixels it snaps to the grids' vertices and edges; Ctrl+Z undoes the last change, Esc cancels. The two ends stay.";
        EdgeWith => "共享边：本网格与", "Shared edge with";
        EdgeNone => "这两个网格没有共享边。", "These two grids share no edge.";
        EdgeNotOne => "这两个网格的共享边界不是一段连续的边（分成几段或闭合成环），不能作为一条边编辑。", "These two grids' shared boundary is not one stretch (it is in pieces, or a closed ring): it cannot be edited as one edge.";
        MergeHint => "按住 Shift 点击相邻网格加入合并。", "Shift-click adjacent grids to merge them into this one.";
        MergeWith => "合并：", "Merge with:";
        Note => "说明", "Note";
        NotePlaceholder => "调整原因（写入版本记录）", "Why (kept in the version history)";
        Preview => "预览", "Preview";
        Previewing => "正在计算影响…", "Computing the consequences…";
        Cancel => "取消", "Cancel";
        Commit => "提交", "Commit";
        Discard => "放弃", "Discard";
        Deciding => "正在处理…", "Working…";
        DiffTitle => "方案影响", "Consequences";
        Grid => "网格", "Grid";
        Before => "调整前", "Before";
        After => "调整后", "After";
        ChangeReshaped => "边界调整", "reshaped";
        ChangeNoded => "加节点", "vertex added";
        ChangeCreated => "新建", "new";
        ChangeRetired => "撤销", "retired";
        ChangeRestored => "恢复", "restored";
        BuildingsMoved => "改变归属的楼栋", "Buildings changing grid";
        CamerasMoved => "改变归属的摄像头", "Cameras changing grid";
        IncidentsMoved => "转派的未办结事件", "Open incidents re-routed";
        WithoutWorker => "将没有网格员的网格", "Grids left without a worker";
        ColourChanges => "着色变化", "Colour changes";
        Committed => "方案已提交，地图已更新。", "The plan is committed; the map is updated.";
        PlanNo => "方案", "Plan";
        EffectiveFrom => "生效时间（北京时间，留空即刻生效）", "Takes effect at (Beijing time; empty: now)";
        Scheduled => "方案已定时，将于以下时间生效（北京时间）：", "The plan is scheduled to take effect at (Beijing time):";
        ScheduledPlans => "定时生效的方案", "Scheduled plans";
        CancelScheduled => "取消定时方案", "Cancel the scheduled plan";
        ScheduledConflict => "该网格已有定时生效的方案，请先取消该方案或等待其生效：", "This grid has a scheduled plan; cancel it or wait until it takes effect:";
        Refused => "方案未通过校验", "The plan breaks a rule";
        Conflict => "冲突：网格已被他人修改。可在现行边界上重做同一编辑（重新预览），或放弃。", "Conflict: the grid changed meanwhile. Redo the same edit on the current boundaries (previewed again), or discard it.";
        Rebase => "在现行边界上重做", "Redo on the current boundaries";
        WorkerUp => "上移", "Move up";
        WorkerDown => "下移", "Move down";
        WorkerRemove => "移出本网格", "Remove from this grid";
        WorkerAdd => "添加网格员", "Add a grid worker";
        WorkerNo => "工号", "Employee no.";
        WorkerName => "姓名（新登记时填写）", "Name (to register a new one)";
        WorkerPhone => "手机号（新登记时填写）", "Mobile (to register a new one)";
        WorkerFirst => "责任人", "responsible";
        WorkersSaving => "正在保存…", "Saving…";
        ChangedBy => "修改者", "changed by";
        NowVersion => "现为第", "now version";
        History => "版本记录", "Version history";
        Loaded => "数据导入", "loaded with the dataset";
        Current => "现行", "current";
        ViewPlan => "撤销此方案…", "Revert this plan…";
        RevertTitle => "撤销方案的影响", "What reverting the plan does";
        Revert => "确认撤销", "Revert";
        NotRevertible => "该方案已撤销或未提交，不能再撤销。", "This plan is not committed (or already reverted): it cannot be reverted.";
        AsOf => "查看历史日期", "View as of";
        AsOfShow => "查看", "Show";
        AsOfToday => "回到现在", "Back to today";
        AsOfShown => "地图上的网格为该日结束时的边界（名称与着色为现行的）。", "The map shows the grids as they were at the end of that day (with today's names and colours).";
        LegendSection => "规划标注", "Planning drawings";
        LegendGained => "本网格增加的区域", "Area this grid gains";
        LegendLost => "本网格减少的区域", "Area this grid loses";
        LegendNeighbour => "相邻网格", "Neighbouring grids";
        LegendVillage => "所属村（社区）边界", "Village outline";
        LegendError => "校验错误位置", "Where a rule is broken";
        ReasonOutsideParent => "超出所属村（社区）范围", "It reaches outside the village";
        ReasonNoNeighbour => "让出的区域没有同村网格可接收", "No grid of the village can take the area given up";
        ReasonEdgeLeaves => "新边界离开了两网格的范围", "The new edge leaves the two grids";
        ReasonEdgeEnds => "新边界的端点须与原边界相同", "The new edge must end where the old one does";
        ReasonSplitLine => "拆分线须穿过网格一次（进入并离开）", "The split line must cross the grid once (enter and leave it)";
        ReasonNotAdjacent => "所选网格不相邻", "The grids are not adjacent";
        ReasonDifferentVillages => "只能合并同一村（社区）的网格", "Only grids of one village can be merged";
        ReasonSliver => "结果过窄或过小（狭长碎片）", "The result would be too narrow or too small (a sliver)";
        ReasonMultipolygon => "结果会分成多块", "The result would be in several pieces";
        ReasonTooClose => "新线与已有边界过近，请稍微移动", "The line passes too close to an existing boundary: move it a little";
        ReasonInvalid => "几何无效", "The geometry is not valid";
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
