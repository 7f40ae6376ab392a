//! Every string a person reads, in Chinese (the default) and English.
//!
//! Components never hold literal UI text: they call [`t`] with a key. Shared text is [`Key`];
//! each workspace declares its own keys with [`keys!`] in `workspaces/<name>/i18n.rs`. Wire
//! values that arrive from the API (building kinds, camera statuses…) go through [`wire`], which
//! falls back to the raw value for anything it does not know.

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

/// A piece of interface text in both languages. Implemented by every key enum that [`keys!`]
/// declares (the shared [`Key`] here, and one per workspace in `workspaces/<name>/i18n.rs`), and
/// by [`Phrase`], which holds any of them.
pub trait Text: Copy {
    /// (Chinese, English).
    fn pair(self) -> (&'static str, &'static str);

    /// This text as a [`Phrase`], to store it without knowing which key enum it came from.
    fn phrase(self) -> Phrase {
        let (zh, en) = self.pair();
        Phrase { zh, en }
    }
}

/// A translated text of any key enum (see [`Text::phrase`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Phrase {
    zh: &'static str,
    en: &'static str,
}

impl Text for Phrase {
    fn pair(self) -> (&'static str, &'static str) {
        (self.zh, self.en)
    }
}

/// Declares a key enum: `keys! { pub enum DispatchKey { Where => "事件位置", "Location"; … } }`.
/// Each workspace declares its own in its own file, so nobody appends to a shared table; the
/// enum gets `ALL` (for tests) and implements [`Text`].
#[macro_export]
macro_rules! keys {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($key:ident => $zh:literal, $en:literal;)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name { $($key,)* }

        impl $name {
            /// Every key, for tests.
            #[allow(dead_code)]
            pub const ALL: &'static [$name] = &[$($name::$key,)*];
        }

        impl $crate::i18n::Text for $name {
            fn pair(self) -> (&'static str, &'static str) {
                match self { $($name::$key => ($zh, $en),)* }
            }
        }
    };
}

keys! {
    /// Interface text shared by several screens.
    pub enum Key {
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
        GroupStreets => "街道路网", "Streets";
        GroupCameras => "摄像头", "Cameras";
        GroupIncidents => "事件", "Incidents";
        LegendGridColours => "网格（四色着色）", "Grids (four-colour)";
        LegendWater => "水域网格", "Water grids";
        LegendDispatch => "调度标注", "Dispatch drawings";
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
        HoursUnit => "小时", "h";
        Category => "类别", "Category";
        Source => "来源", "Source";
        Priority => "优先级", "Priority";
        Priority1 => "特急", "Critical";
        Priority2 => "紧急", "Urgent";
        Priority3 => "一般", "Normal";
        Priority4 => "较低", "Low";
        Description => "事件描述", "Description";
        Refresh => "刷新", "Refresh";
        Overdue => "超时", "Overdue";
        Incident => "事件", "Incident";
    }
}

/// The text of `key` in `lang`.
#[must_use]
pub fn t(lang: Lang, key: impl Text) -> &'static str {
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
    ("planned", "规划中", "Planned"),
    // Camera owners.
    ("public_security", "公安", "Public security"),
    ("community", "社区", "Community"),
    ("transport", "交通", "Transport"),
    ("urban_management", "城管", "Urban management"),
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
    ("moved", "随网格调整移交", "Moved with a grid boundary change"),
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

/// For each key enum's tests: every key but `except` has a Chinese text with at least one CJK
/// character and an English text in ASCII (plus `…·’`), and no key is listed twice.
///
/// # Panics
/// On the first key that breaks the rule.
#[cfg(test)]
pub fn assert_translated<K: Text + std::fmt::Debug + PartialEq + Eq + std::hash::Hash>(keys: &[K], except: &[K]) {
    let unique: std::collections::HashSet<_> = keys.iter().collect();
    assert_eq!(unique.len(), keys.len(), "a key is listed twice");
    for &key in keys {
        let (zh, en) = key.pair();
        assert!(!zh.trim().is_empty(), "{key:?} has no Chinese text");
        assert!(!en.trim().is_empty(), "{key:?} has no English text");
        if except.contains(&key) {
            continue;
        }
        assert!(en.chars().all(|c| c.is_ascii() || "…·’".contains(c)), "{key:?} is not English: {en}");
        assert!(zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{key:?} is not Chinese: {zh}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_both_languages() {
        // The language button speaks the other language on purpose.
        assert_translated(Key::ALL, &[Key::LangToggle, Key::LangToggleTitle]);
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
        assert_eq!(wire(Lang::Zh, "public_security"), "公安");
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
    fn distances_read_well() {
        assert_eq!(distance(82.67), "83 m");
        assert_eq!(distance(83_335.8), "83.3 km");
    }

    #[test]
    fn areas_pick_a_unit() {
        assert_eq!(area(1234.4), "1234 m²");
        assert_eq!(area(2_500_000.0), "2.50 km²");
    }
}
