//! The incident categories and sources used by the whole API, with their Chinese and English
//! names. The database's reference tables are seeded from the same list (see the migrations),
//! and a backend test checks that the two agree.

use serde::{Deserialize, Serialize};

/// The family a category belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CategoryKind {
    Dispute,
    Alarm,
    Citizen,
}

/// An incident category such as `dispute.neighbor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Category {
    pub code: &'static str,
    pub kind: CategoryKind,
    pub name_zh: &'static str,
    pub name_en: &'static str,
}

/// How an incident reached CityGrid, such as `hotline`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Source {
    pub code: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
}

const fn cat(code: &'static str, kind: CategoryKind, name_zh: &'static str, name_en: &'static str) -> Category {
    Category { code, kind, name_zh, name_en }
}

/// Every incident category, in display order.
pub const CATEGORIES: [Category; 13] = [
    cat("dispute.neighbor", CategoryKind::Dispute, "邻里纠纷", "Neighbour dispute"),
    cat("dispute.family", CategoryKind::Dispute, "婚姻家庭纠纷", "Family dispute"),
    cat("dispute.property", CategoryKind::Dispute, "物业纠纷", "Property management dispute"),
    cat("dispute.labor", CategoryKind::Dispute, "劳动争议", "Labour dispute"),
    cat("dispute.land", CategoryKind::Dispute, "土地纠纷", "Land dispute"),
    cat("dispute.medical", CategoryKind::Dispute, "医疗纠纷", "Medical dispute"),
    cat("alarm.intrusion", CategoryKind::Alarm, "入侵报警", "Intrusion alarm"),
    cat("alarm.fire", CategoryKind::Alarm, "火灾报警", "Fire alarm"),
    cat("alarm.traffic", CategoryKind::Alarm, "交通事故报警", "Traffic alarm"),
    cat("alarm.crowd", CategoryKind::Alarm, "人员聚集报警", "Crowd alarm"),
    cat("citizen.infrastructure", CategoryKind::Citizen, "市政设施", "Infrastructure"),
    cat("citizen.environment", CategoryKind::Citizen, "环境卫生", "Environment"),
    cat("citizen.safety", CategoryKind::Citizen, "安全隐患", "Public safety hazard"),
];

/// Every incident source.
pub const SOURCES: [Source; 5] = [
    Source { code: "hotline", name_zh: "12345热线", name_en: "Hotline" },
    Source { code: "patrol", name_zh: "网格员巡查", name_en: "Grid patrol" },
    Source { code: "wechat", name_zh: "微信小程序", name_en: "WeChat" },
    Source { code: "video", name_zh: "视频发现", name_en: "Video" },
    Source { code: "walk_in", name_zh: "群众来访", name_en: "Walk-in" },
];

impl Category {
    /// Looks a category up by its code.
    #[must_use]
    pub fn by_code(code: &str) -> Option<&'static Category> {
        CATEGORIES.iter().find(|c| c.code == code)
    }
}

impl Source {
    /// Looks a source up by its code.
    #[must_use]
    pub fn by_code(code: &str) -> Option<&'static Source> {
        SOURCES.iter().find(|s| s.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_prefixed_by_kind() {
        for (i, c) in CATEGORIES.iter().enumerate() {
            assert!(CATEGORIES[i + 1..].iter().all(|o| o.code != c.code), "{}", c.code);
            let prefix = match c.kind {
                CategoryKind::Dispute => "dispute.",
                CategoryKind::Alarm => "alarm.",
                CategoryKind::Citizen => "citizen.",
            };
            assert!(c.code.starts_with(prefix), "{}", c.code);
        }
        assert_eq!(Category::by_code("alarm.fire").map(|c| c.name_en), Some("Fire alarm"));
        assert!(Category::by_code("alarm").is_none());
        assert_eq!(Source::by_code("walk_in").map(|s| s.name_zh), Some("群众来访"));
    }
}
