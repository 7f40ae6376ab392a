//! The Dispatch workspace's interface text (shared text is [`crate::i18n::Key`]).

crate::keys! {
    /// Text of the Dispatch workspace.
    pub enum DispatchKey {
        Desc => "接收事件，按网格分派给网格员并跟踪处置进度。", "Receive incidents, route them to the responsible grid worker and follow them up.";
        DispatchForbidden => "调度工具仅对调度员、领导和管理员开放。", "Dispatch tools are for dispatchers, leaders and administrators.";
        Where => "事件位置", "Location";
        WherePlaceholder => "经度,纬度 或 15 位网格编码", "lon,lat or a 15-digit grid code";
        Locate => "查询", "Route";
        ClickMapHint => "点击地图选择事件位置，或在上方输入坐标 / 网格编码。", "Click the map to pick the location, or type coordinates or a grid code above.";
        InputEmpty => "请输入坐标或网格编码", "Type coordinates or a grid code";
        InputUnreadable => "无法识别：请输入“经度,纬度”或 15 位网格编码", "Not understood: type \"lon,lat\" or a 15-digit grid code";
        InputOutOfRange => "坐标超出范围（经度 ±180，纬度 ±90）", "Coordinates out of range (lon -180 to 180, lat -90 to 90)";
        LocationEdited => "位置已修改：按“查询”更新后才能登记", "The location was edited: press Route before registering";
        Routing => "正在查询归属…", "Routing…";
        Responsibility => "责任归属", "Responsibility";
        ResponsibleGrid => "责任网格", "Responsible grid";
        GridWorker => "网格员", "Grid worker";
        EscalationChain => "逐级上报链", "Escalation chain";
        NoDeadline => "不再上报", "Final level";
        CamerasSeeing => "可见该点的摄像头", "Cameras that see the point";
        NearestCameras => "最近的摄像头（均看不到该点）", "Nearest cameras (none sees the point)";
        NoCameras => "附近没有摄像头", "No camera nearby";
        Duplicates => "可能重复的事件", "Possible duplicates";
        Mediation => "调解建议", "Mediation";
        Mediators => "调解员", "Mediators";
        OutsideCity => "该点不在任何网格内。最近的网格：", "This point is outside every grid. Nearest grid:";
        RegisterTitle => "登记事件", "Register an incident";
        RegisterButton => "登记", "Register";
        PriorityDefault => "按类别默认", "Category default";
        DescriptionRequired => "请填写事件描述", "Describe what happened";
        DescriptionTooLong => "事件描述过长", "The description is too long";
        PickPointFirst => "请先在地图上选择事件位置", "Pick the location on the map first";
        Submitting => "提交中…", "Submitting…";
        Registered => "事件已登记", "Incident registered";
        OpenIncidents => "视野内未结事件", "Open incidents in view";
        IncidentsInView => "视野内事件", "Incidents in view";
        NoOpenIncidents => "当前视野内没有未结事件", "No open incidents in view";
        FilterAllOpen => "全部未结", "All open";
        FilterAllCategories => "全部类别", "All categories";
        FilterAllPriorities => "全部优先级", "All priorities";
        FilterOverdue => "仅超时", "Overdue only";
        FilterUnassigned => "仅未派遣", "Unassigned only";
        SortBy => "排序", "Sort";
        SortNewest => "最新上报", "Newest first";
        SortPriority => "优先级", "By priority";
        SortDeadline => "时限", "By deadline";
        NewCases => "条新事件", "new";
        MarkSeen => "点击标记为已读", "Click to mark them as seen";
        NobodyAssigned => "未派遣", "Not assigned";
        DuplicateOfShort => "重复于", "Duplicate of";
        DueAt => "时限", "Due";
        LegendPoint => "查询位置", "Routed location";
        LegendGrid => "责任网格", "Responsible grid";
        LegendSees => "看得到该位置的摄像头视域", "Camera view that sees the location";
        LegendBlind => "看不到该位置的摄像头视域", "Camera view that misses the location";
        LegendOpenIncident => "当前打开的事件", "Incident open in the panel";
        ListTruncated => "仅显示最新的 100 条，放大地图可查看更多", "Showing the newest 100: zoom in for more";
        Timeline => "处置记录", "Timeline";
        Actions => "处置操作", "Actions";
        NoActions => "该事件已无可执行操作", "No action is possible any more";
        Note => "备注（可选）", "Note (optional)";
        DuplicateOf => "重复于事件编号", "Duplicate of incident #";
        DuplicateOfMissing => "请填写原事件编号", "Type the number of the original incident";
        OnBehalfOf => "代", "for";
        WorkerStepsHint => "签收、开始处置是网格员的步骤，由您代网格员记录：", "Accept and start are the grid worker's steps; you record them for:";
        NoWorkerYet => "（派遣后确定网格员）", "(the grid worker is set when assigned)";
        ConfirmTitle => "请填写处置说明并确认", "Add a note and confirm";
        NoteRequired => "处置说明（必填）", "Note (required)";
        NoteMissing => "请先填写处置说明", "Write the note first";
        ConfirmButton => "确认", "Confirm";
        Cancel => "取消", "Cancel";
        AllowedActions => "当前允许的操作", "Allowed now";
        Assignee => "处理人", "Assignee";
        ReportedAt => "上报时间", "Reported at";
        StepDeadline => "本级时限", "Deadline at this level";
        CurrentLevel => "当前层级", "Current level";
        System => "系统", "System";
        GridVersion => "边界版本", "boundary version";
        GridNow => "该位置现属网格", "This place is now in grid";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_both_languages() {
        crate::i18n::assert_translated(DispatchKey::ALL, &[]);
    }
}
