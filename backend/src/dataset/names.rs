//! Deterministic plausible Chinese place and person names, with pinyin for place names.

use std::collections::HashSet;

use rand::Rng;

/// Characters used in place names, with their pinyin.
pub const PLACE_CHARS: &[(&str, &str)] = &[
    ("清", "qing"),
    ("河", "he"),
    ("城", "cheng"),
    ("南", "nan"),
    ("北", "bei"),
    ("东", "dong"),
    ("西", "xi"),
    ("新", "xin"),
    ("安", "an"),
    ("平", "ping"),
    ("和", "he"),
    ("丰", "feng"),
    ("兴", "xing"),
    ("华", "hua"),
    ("宁", "ning"),
    ("康", "kang"),
    ("福", "fu"),
    ("顺", "shun"),
    ("泰", "tai"),
    ("永", "yong"),
    ("长", "chang"),
    ("马", "ma"),
    ("王", "wang"),
    ("张", "zhang"),
    ("李", "li"),
    ("高", "gao"),
    ("桥", "qiao"),
    ("庄", "zhuang"),
    ("集", "ji"),
    ("湖", "hu"),
    ("港", "gang"),
    ("山", "shan"),
    ("林", "lin"),
    ("花", "hua"),
    ("园", "yuan"),
    ("柳", "liu"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("金", "jin"),
    ("石", "shi"),
    ("陈", "chen"),
    ("徐", "xu"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("朱", "zhu"),
    ("淮", "huai"),
    ("运", "yun"),
    ("盐", "yan"),
    ("古", "gu"),
    ("钦", "qin"),
    ("工", "gong"),
    ("里", "li"),
    ("口", "kou"),
    ("坝", "ba"),
    ("圩", "wei"),
    ("沟", "gou"),
    ("湾", "wan"),
    ("店", "dian"),
    ("营", "ying"),
    ("岗", "gang"),
    ("塘", "tang"),
    ("坊", "fang"),
    ("渡", "du"),
    ("闸", "zha"),
    ("圣", "sheng"),
    ("韩", "han"),
    ("文", "wen"),
    ("明", "ming"),
    ("春", "chun"),
    ("秋", "qiu"),
    ("白", "bai"),
    ("马", "ma"),
];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林",
    "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞",
    "平", "刚", "桂英", "建华", "海燕", "志强", "文", "玉兰", "红梅", "国庆", "晓东", "春燕", "卫东", "建国", "丽华",
    "宏", "婷", "鑫", "浩然", "子涵", "欣怡",
];

/// A two-character place stem, unique within `taken`; returns (chinese, pinyin stem).
pub fn place_stem(rng: &mut impl Rng, taken: &mut HashSet<String>, suffix: &str) -> (String, String) {
    loop {
        let a = PLACE_CHARS[rng.random_range(0..PLACE_CHARS.len())];
        let b = PLACE_CHARS[rng.random_range(0..PLACE_CHARS.len())];
        if a.0 == b.0 {
            continue;
        }
        let zh = format!("{}{}", a.0, b.0);
        if taken.insert(format!("{zh}{suffix}")) {
            let mut py = String::new();
            let mut chars = a.1.chars();
            if let Some(f) = chars.next() {
                py.extend(f.to_uppercase());
                py.push_str(chars.as_str());
            }
            py.push_str(b.1);
            return (zh, py);
        }
    }
}

/// A person's name: surname + given name.
pub fn person(rng: &mut impl Rng) -> String {
    format!("{}{}", SURNAMES[rng.random_range(0..SURNAMES.len())], GIVEN[rng.random_range(0..GIVEN.len())])
}

/// A mobile number matching ^1[0-9]{10}$.
pub fn phone(rng: &mut impl Rng) -> String {
    const P: [&str; 8] = ["133", "138", "139", "151", "152", "158", "181", "189"];
    format!("{}{:08}", P[rng.random_range(0..P.len())], rng.random_range(0..100_000_000u32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::geom::rng_for;

    #[test]
    fn stems_are_unique_among_siblings() {
        let mut rng = rng_for(7, "names", "x");
        let mut taken = HashSet::new();
        let mut seen = HashSet::new();
        for _ in 0..500 {
            let (zh, py) = place_stem(&mut rng, &mut taken, "村");
            assert!(seen.insert(zh.clone()), "{zh}");
            assert!(py.chars().next().is_some_and(char::is_uppercase));
        }
        let p = phone(&mut rng);
        assert_eq!(p.len(), 11);
        assert!(p.starts_with('1') && p.chars().all(|c| c.is_ascii_digit()));
    }
}
