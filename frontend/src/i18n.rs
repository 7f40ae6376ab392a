//! Every string a person reads, in Chinese (the default) and English.
//!
//! Components never hold literal UI text: they call [`t`] with a [`Key`]. Wire values that
//! arrive from the API (building kinds, camera statuses…) go through [`wire`], which falls back
//! to the raw value for anything it does not know.

use citygrid_api::{AdminLevel, Role};

/// The interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// The value kept in `localStorage`.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// Parses a stored value; anything unknown is `None`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language (what the 中/EN button switches to).
    #[must_use]
    pub fn toggled(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }
}

macro_rules! keys {
    ($($key:ident => $zh:literal, $en:literal;)*) => {
        /// A piece of interface text.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Key { $($key,)* }

        impl Key {
            /// Every key, for tests.
            pub const ALL: &'static [Key] = &[$(Key::$key,)*];

            fn pair(self) -> (&'static str, &'static str) {
                match self { $(Key::$key => ($zh, $en),)* }
            }
        }
    };
}

keys! {
    AppName => "城市网格", "CityGrid";
    AppSubtitle => "淮安市网格化空间治理平台", "Huai'an spatial grid governance";
    Username => "用户名", "Username";
    Password => "密码", "Password";
    LogIn => "登录", "Log in";
    LoggingIn => "正在登录…", "Logging in…";
    LogOut => "退出", "Log out";
    DemoAccounts => "演示账号（密码 citygrid-demo）", "Demo accounts (password citygrid-demo)";
    CheckingSession => "正在恢复会话…", "Restoring your session…";
    SessionExpired => "登录已过期，请重新登录", "Your session has expired: please log in again";
    FillBoth => "请输入用户名和密码", "Enter both username and password";
    LangToggle => "EN", "中";
    LangToggleTitle => "Switch to English", "切换到中文";
    TabDispatch => "调度", "Dispatch";
    TabPlanning => "规划", "Planning";
    TabCoverage => "覆盖", "Coverage";
    TabCommand => "指挥", "Command";
    DescDispatch => "接收事件，按网格分派给网格员并跟踪处置进度。", "Receive incidents, route them to the responsible grid worker and follow them up.";
    DescPlanning => "调整网格边界（拆分、合并、重绘），每次修改生成新版本并校验无缝无叠。", "Redraw grid boundaries (split, merge, reshape); each edit is versioned and checked for gaps and overlaps.";
    DescCoverage => "分析摄像头视域覆盖，找出监控盲区。", "Analyse camera fields of view and find blind spots.";
    DescCommand => "统计、热力图与预警总览，逐级查看区县、街道和网格。", "Statistics, heatmaps and early warnings, drilling down from county to grid.";
    SoonDispatch => "调度工具即将上线。", "Dispatch tools are coming soon.";
    SoonPlanning => "规划编辑工具即将上线。", "Planning tools are coming soon.";
    SoonCoverage => "覆盖分析工具即将上线。", "Coverage tools are coming soon.";
    SoonCommand => "指挥看板即将上线。", "The command dashboard is coming soon.";
    AvailableNow => "现在可用", "Available now";
    HintClick => "点击地图上的网格、楼栋或摄像头查看详情及归属。", "Click a grid, building or camera on the map to see its details and where it belongs.";
    HintSearch => "在顶部搜索框输入网格编码、网格名或村（社区）名并定位。", "Type a grid code, grid name or village name in the search box to fly there.";
    HintLayers => "右上角可开关图层。", "Toggle layers in the top-right panel.";
    SearchPlaceholder => "搜索网格编码 / 网格 / 村社区", "Search grid code / grid / village";
    Searching => "搜索中…", "Searching…";
    NoResults => "无结果", "No results";
    Layers => "图层", "Layers";
    Legend => "图例", "Legend";
    GroupCounties => "区县", "Counties";
    GroupTownships => "街道 / 乡镇", "Townships";
    GroupVillages => "村 / 社区", "Villages";
    GroupGrids => "网格", "Grids";
    GroupBuildings => "楼栋", "Buildings";
    GroupCameras => "摄像头", "Cameras";
    GroupIncidents => "事件", "Incidents";
    LegendGridColours => "网格（四色着色）", "Grids (four-colour)";
    LegendCameraOnline => "摄像头 · 在线", "Camera · online";
    LegendCameraOffline => "摄像头 · 离线", "Camera · offline";
    LegendCameraMaintenance => "摄像头 · 维护中", "Camera · maintenance";
    Inspector => "详情", "Details";
    Close => "关闭", "Close";
    ZoomTo => "定位", "Zoom to";
    Loading => "加载中…", "Loading…";
    AdminChain => "行政归属", "Administrative chain";
    Grid => "网格", "Grid";
    Building => "楼栋", "Building";
    Camera => "摄像头", "Camera";
    AdminUnit => "行政区划", "Administrative unit";
    Code => "编码", "Code";
    Name => "名称", "Name";
    EnglishName => "英文名", "English name";
    Village => "村 / 社区", "Village";
    Households => "户数", "Households";
    Residents => "人口", "Residents";
    Buildings => "楼栋数", "Buildings";
    Cameras => "摄像头数", "Cameras";
    Area => "面积", "Area";
    Version => "边界版本", "Boundary version";
    GridWorkers => "网格员", "Grid workers";
    NoWorkers => "暂无网格员", "No grid worker assigned";
    Kind => "类型", "Kind";
    Floors => "层数", "Floors";
    Footprint => "占地面积", "Footprint";
    Owner => "权属单位", "Owner";
    Status => "状态", "Status";
    Heading => "朝向", "Heading";
    Fov => "视场角", "Field of view";
    Range => "可视距离", "Range";
    Installed => "安装日期", "Installed on";
    Position => "位置", "Position";
    Centre => "指挥中心", "Command centre";
    Children => "下级单位数", "Children";
    Dismiss => "知道了", "Dismiss";
    NetworkError => "网络错误", "Network error";
    BadResponse => "服务器响应无法解析", "Could not read the server's response";
    LevelCity => "市", "City";
    LevelCounty => "区县", "County";
    LevelTownship => "街道 / 乡镇", "Township";
    LevelVillage => "村 / 社区", "Village";
    LevelGrid => "网格", "Grid";
    RoleAdmin => "管理员", "Administrator";
    RolePlanner => "规划员", "Planner";
    RoleDispatcher => "调度员", "Dispatcher";
    RoleLeader => "领导", "Leader";
    DispatchForbidden => "调度工具仅对调度员、领导和管理员开放。", "Dispatch tools are for dispatchers, leaders and administrators.";
    Where => "事件位置", "Location";
    WherePlaceholder => "经度,纬度 或 15 位网格编码", "lon,lat or a 15-digit grid code";
    Locate => "查询", "Route";
    ClickMapHint => "点击地图选择事件位置，或在上方输入坐标 / 网格编码。", "Click the map to pick the location, or type coordinates or a grid code above.";
    InputEmpty => "请输入坐标或网格编码", "Type coordinates or a grid code";
    InputUnreadable => "无法识别：请输入“经度,纬度”或 15 位网格编码", "Not understood: type \"lon,lat\" or a 15-digit grid code";
    InputOutOfRange => "坐标超出范围（经度 ±180，纬度 ±90）", "Coordinates out of range (lon -180 to 180, lat -90 to 90)";
    Routing => "正在查询归属…", "Routing…";
    Responsibility => "责任归属", "Responsibility";
    ResponsibleGrid => "责任网格", "Responsible grid";
    GridWorker => "网格员", "Grid worker";
    EscalationChain => "逐级上报链", "Escalation chain";
    Deadline => "时限", "Deadline";
    HoursUnit => "小时", "h";
    NoDeadline => "不再上报", "Final level";
    CamerasSeeing => "可见该点的摄像头", "Cameras that see the point";
    NearestCameras => "最近的摄像头（均看不到该点）", "Nearest cameras (none sees the point)";
    NoCameras => "附近没有摄像头", "No camera nearby";
    Distance => "距离", "Distance";
    Duplicates => "可能重复的事件", "Possible duplicates";
    Mediation => "调解建议", "Mediation";
    Mediators => "调解员", "Mediators";
    OutsideCity => "该点不在任何网格内。最近的网格：", "This point is outside every grid. Nearest grid:";
    RegisterTitle => "登记事件", "Register an incident";
    RegisterButton => "登记", "Register";
    Category => "类别", "Category";
    Source => "来源", "Source";
    Priority => "优先级", "Priority";
    PriorityDefault => "按类别默认", "Category default";
    Priority1 => "特急", "Critical";
    Priority2 => "紧急", "Urgent";
    Priority3 => "一般", "Normal";
    Priority4 => "较低", "Low";
    Description => "事件描述", "Description";
    DescriptionRequired => "请填写事件描述", "Describe what happened";
    DescriptionTooLong => "事件描述过长", "The description is too long";
    PickPointFirst => "请先在地图上选择事件位置", "Pick the location on the map first";
    Submitting => "提交中…", "Submitting…";
    Registered => "事件已登记", "Incident registered";
    OpenIncidents => "视野内未结事件", "Open incidents in view";
    NoOpenIncidents => "当前视野内没有未结事件", "No open incidents in view";
    ListTruncated => "仅显示最新的 100 条，放大地图可查看更多", "Showing the newest 100: zoom in for more";
    Refresh => "刷新", "Refresh";
    Overdue => "超时", "Overdue";
    Incident => "事件", "Incident";
    Timeline => "处置记录", "Timeline";
    Actions => "处置操作", "Actions";
    NoActions => "该事件已无可执行操作", "No action is possible any more";
    Note => "备注（可选）", "Note (optional)";
    DuplicateOf => "重复于事件编号", "Duplicate of incident #";
    AllowedActions => "当前允许的操作", "Allowed now";
    Assignee => "处理人", "Assignee";
    ReportedAt => "上报时间", "Reported at";
    StepDeadline => "本级时限", "Deadline at this level";
    CurrentLevel => "当前层级", "Current level";
    System => "系统", "System";
}

/// The text of `key` in `lang`.
#[must_use]
pub fn t(lang: Lang, key: Key) -> &'static str {
    let (zh, en) = key.pair();
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// The name of an administrative level.
#[must_use]
pub fn level(lang: Lang, level: AdminLevel) -> &'static str {
    t(
        lang,
        match level {
            AdminLevel::City => Key::LevelCity,
            AdminLevel::County => Key::LevelCounty,
            AdminLevel::Township => Key::LevelTownship,
            AdminLevel::Village => Key::LevelVillage,
            AdminLevel::Grid => Key::LevelGrid,
        },
    )
}

/// The name of a role.
#[must_use]
pub fn role(lang: Lang, role: Role) -> &'static str {
    t(
        lang,
        match role {
            Role::Admin => Key::RoleAdmin,
            Role::Planner => Key::RolePlanner,
            Role::Dispatcher => Key::RoleDispatcher,
            Role::Leader => Key::RoleLeader,
        },
    )
}

/// Known wire values (building kinds, camera kinds and statuses) with their Chinese names.
const WIRE: &[(&str, &str, &str)] = &[
    ("residential", "住宅", "Residential"),
    ("commercial", "商业", "Commercial"),
    ("industrial", "工业", "Industrial"),
    ("public", "公共建筑", "Public"),
    ("school", "学校", "School"),
    ("hospital", "医院", "Hospital"),
    ("rural_house", "农房", "Rural house"),
    ("dome", "球机", "Dome"),
    ("bullet", "枪机", "Bullet"),
    ("face", "人脸识别", "Face recognition"),
    ("anpr", "车牌识别", "Number-plate recognition"),
    ("panoramic", "全景", "Panoramic"),
    ("online", "在线", "Online"),
    ("offline", "离线", "Offline"),
    ("maintenance", "维护中", "Maintenance"),
    // Incident statuses.
    ("new", "新建", "New"),
    ("assigned", "已派遣", "Assigned"),
    ("accepted", "已签收", "Accepted"),
    ("in_progress", "处置中", "In progress"),
    ("resolved", "已办结", "Resolved"),
    ("closed", "已关闭", "Closed"),
    ("duplicate", "重复", "Duplicate"),
    // Incident actions (transitions and timeline entries).
    ("report", "上报登记", "Reported"),
    ("assign", "派遣", "Assign"),
    ("accept", "签收", "Accept"),
    ("start", "开始处置", "Start"),
    ("resolve", "办结", "Resolve"),
    ("close", "关闭", "Close"),
    ("escalate", "上报上级", "Escalate"),
    ("reopen", "重新打开", "Reopen"),
    ("mark_duplicate", "标记为重复", "Mark as duplicate"),
];

/// The name of an incident category code (the code itself when unknown).
#[must_use]
pub fn category(lang: Lang, code: &str) -> String {
    citygrid_api::Category::by_code(code).map_or_else(
        || code.to_owned(),
        |c| match lang {
            Lang::Zh => c.name_zh.to_owned(),
            Lang::En => c.name_en.to_owned(),
        },
    )
}

/// The name of an incident source code (the code itself when unknown).
#[must_use]
pub fn source(lang: Lang, code: &str) -> String {
    citygrid_api::Source::by_code(code).map_or_else(
        || code.to_owned(),
        |c| match lang {
            Lang::Zh => c.name_zh.to_owned(),
            Lang::En => c.name_en.to_owned(),
        },
    )
}

/// The name of a priority (1 most urgent to 4).
#[must_use]
pub fn priority(lang: Lang, p: i16) -> String {
    let key = match p {
        1 => Key::Priority1,
        2 => Key::Priority2,
        3 => Key::Priority3,
        4 => Key::Priority4,
        _ => return p.to_string(),
    };
    format!("{p} · {}", t(lang, key))
}

/// The level an incident's escalation step sits at (0 grid … 3 county centre).
#[must_use]
pub fn escalation_level(lang: Lang, step: i16) -> String {
    match step {
        0 => level(lang, AdminLevel::Grid).to_owned(),
        1 => level(lang, AdminLevel::Village).to_owned(),
        2 => level(lang, AdminLevel::Township).to_owned(),
        3 => level(lang, AdminLevel::County).to_owned(),
        n => n.to_string(),
    }
}

/// A distance for people: metres below a kilometre.
#[must_use]
pub fn distance(m: f64) -> String {
    if m >= 1000.0 {
        format!("{:.1} km", m / 1000.0)
    } else {
        format!("{m:.0} m")
    }
}

/// An RFC 3339 instant as `YYYY-MM-DD HH:MM` (as sent, in UTC; the rest is dropped).
#[must_use]
pub fn instant(s: &str) -> String {
    match (s.get(..10), s.get(11..16)) {
        (Some(d), Some(t)) => format!("{d} {t}"),
        _ => s.to_owned(),
    }
}

/// A wire value in `lang`, or the value itself when it is not one we know.
#[must_use]
pub fn wire(lang: Lang, value: &str) -> String {
    WIRE.iter().find(|(w, _, _)| *w == value).map_or_else(
        || value.to_owned(),
        |(_, zh, en)| match lang {
            Lang::Zh => (*zh).to_owned(),
            Lang::En => (*en).to_owned(),
        },
    )
}

/// An area for people: m² below one hectare-ish, km² above.
#[must_use]
pub fn area(m2: f64) -> String {
    if m2 >= 100_000.0 {
        format!("{:.2} km²", m2 / 1_000_000.0)
    } else {
        format!("{m2:.0} m²")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// The language button speaks the other language on purpose.
    const OTHER_LANGUAGE: [Key; 2] = [Key::LangToggle, Key::LangToggleTitle];

    #[test]
    fn every_key_has_both_languages() {
        for &key in Key::ALL {
            let zh = t(Lang::Zh, key);
            let en = t(Lang::En, key);
            assert!(!zh.trim().is_empty(), "{key:?} has no Chinese text");
            assert!(!en.trim().is_empty(), "{key:?} has no English text");
            if !OTHER_LANGUAGE.contains(&key) {
                assert!(en.chars().all(|c| c.is_ascii() || "…·’".contains(c)), "{key:?} is not English: {en}");
            }
        }
    }

    #[test]
    fn chinese_is_chinese() {
        // Every Chinese string but the language button has at least one CJK character.
        for &key in Key::ALL {
            if OTHER_LANGUAGE.contains(&key) {
                continue;
            }
            let zh = t(Lang::Zh, key);
            assert!(zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{key:?}: {zh}");
        }
    }

    #[test]
    fn keys_are_listed_once() {
        let set: HashSet<_> = Key::ALL.iter().collect();
        assert_eq!(set.len(), Key::ALL.len());
    }

    #[test]
    fn lang_round_trips() {
        for lang in [Lang::Zh, Lang::En] {
            assert_eq!(Lang::parse(lang.code()), Some(lang));
            assert_eq!(lang.toggled().toggled(), lang);
        }
        assert_eq!(Lang::parse("fr"), None);
    }

    #[test]
    fn wire_values_translate_or_pass_through() {
        assert_eq!(wire(Lang::Zh, "online"), "在线");
        assert_eq!(wire(Lang::En, "rural_house"), "Rural house");
        assert_eq!(wire(Lang::Zh, "something_new"), "something_new");
    }

    #[test]
    fn catalogue_names_translate() {
        assert_eq!(category(Lang::Zh, "dispute.neighbor"), "邻里纠纷");
        assert_eq!(category(Lang::En, "alarm.fire"), "Fire alarm");
        assert_eq!(category(Lang::En, "x.y"), "x.y");
        assert_eq!(source(Lang::Zh, "hotline"), "12345热线");
        assert_eq!(priority(Lang::En, 1), "1 · Critical");
        assert_eq!(priority(Lang::Zh, 9), "9");
        assert_eq!(escalation_level(Lang::En, 3), "County");
        assert_eq!(wire(Lang::Zh, "in_progress"), "处置中");
        assert_eq!(wire(Lang::En, "mark_duplicate"), "Mark as duplicate");
    }

    #[test]
    fn distances_and_instants_read_well() {
        assert_eq!(distance(82.67), "83 m");
        assert_eq!(distance(83_335.8), "83.3 km");
        assert_eq!(instant("2026-11-30T15:59:21+00:00"), "2026-11-30 15:59");
        assert_eq!(instant("soon"), "soon");
    }

    #[test]
    fn areas_pick_a_unit() {
        assert_eq!(area(1234.4), "1234 m²");
        assert_eq!(area(2_500_000.0), "2.50 km²");
    }
}
