//! What a failed API call says to people: one translated sentence per error code of the
//! backend's catalogue (`citygrid_api::ErrorCode`), naming the field at fault in the
//! interface's words; the server's own (English) message is kept as a detail.

use citygrid_api::ErrorCode;

use crate::i18n::{t, Lang};

crate::keys! {
    /// One sentence per error code, and the names of the fields errors point at.
    pub enum ErrorKey {
        BadRequest => "请求格式有误", "The request is malformed";
        InvalidJson => "请求内容不是有效的 JSON", "The request body is not valid JSON";
        InvalidParameter => "参数“{field}”无效", "The parameter \"{field}\" is not valid";
        InvalidCharacter => "“{field}”含有不允许的字符", "\"{field}\" holds a character that is not allowed";
        InvalidCoordinates => "坐标无效：经度须在 ±180、纬度须在 ±90 之内", "Invalid coordinates: longitude from -180 to 180, latitude from -90 to 90";
        Unauthorized => "登录已失效，请重新登录", "You are not logged in (any more): please log in";
        BadCredentials => "用户名或密码错误，或账号已停用", "Unknown username, wrong password or a disabled account";
        Forbidden => "您的角色无权进行此操作", "Your role may not do this";
        OutsideScope => "超出您所辖区县的范围", "This lies outside your county";
        NotFound => "未找到", "Not found";
        MethodNotAllowed => "不支持此操作", "This operation is not supported";
        RequestTimeout => "请求超时，请重试", "The request took too long: try again";
        Conflict => "与当前状态冲突，请刷新后重试", "This conflicts with the current state: reload and try again";
        UsernameTaken => "用户名已被占用", "This username is taken";
        TransitionNotAllowed => "事件当前状态不允许此操作", "The incident's current state does not allow this";
        StaleVersion => "内容已被他人修改，请刷新后重试", "Someone changed this meanwhile: reload and try again";
        MissingBaseVersion => "方案涉及的网格已有新版本，请刷新后重试", "The plan touches grids that changed since: reload and try again";
        PayloadTooLarge => "内容过长", "This is too long";
        UriTooLong => "请求地址过长", "The request address is too long";
        UnsupportedMediaType => "请求格式不受支持", "The request format is not supported";
        InvalidBody => "请求缺少字段或字段类型有误", "A field is missing or has the wrong type";
        InvalidValue => "“{field}”的值不能接受", "The value of \"{field}\" cannot be accepted";
        OutsideCity => "该位置不在任何网格内", "This point is outside every grid";
        UnknownCategory => "未知的事件类别", "Unknown incident category";
        UnknownSource => "未知的事件来源", "Unknown incident source";
        InvalidGeometry => "几何图形无效", "The geometry is not valid";
        PartitionRule => "方案会破坏网格划分规则", "The plan would break a rule of the grid partition";
        Unprocessable => "无法执行此请求", "This request cannot be carried out";
        RateLimited => "尝试次数过多，请稍后再试", "Too many attempts: try again later";
        HeadersTooLarge => "请求头过大", "The request headers are too large";
        Internal => "服务器出错，请稍后再试", "The server failed: try again later";
        BadGateway => "地图瓦片服务暂不可用", "The map tile service is not available";
        Unavailable => "服务器繁忙，请稍后再试", "The server is busy: try again later";
        Unknown => "请求失败", "The request failed";
        // Fields, as the interface names them.
        FieldDescription => "事件描述", "description";
        FieldDuplicateOf => "原事件编号", "original incident number";
        FieldNote => "备注", "note";
        FieldCategory => "类别", "category";
        FieldSource => "来源", "source";
        FieldPriority => "优先级", "priority";
        FieldLocation => "位置", "location";
        FieldAction => "操作", "action";
        FieldUsername => "用户名", "username";
        FieldPassword => "密码", "password";
        FieldReportedAt => "上报时间", "reported at";
        FieldStatus => "状态", "status";
        FieldSort => "排序", "sort";
        FieldCursor => "翻页位置", "page position";
        // Fields of the admin page's accounts.
        FieldDisplayName => "姓名", "name";
        FieldCountyCode => "辖区", "county";
        FieldRole => "角色", "role";
    }
}

fn code_key(code: ErrorCode) -> ErrorKey {
    use ErrorCode as C;
    use ErrorKey as K;
    match code {
        C::BadRequest => K::BadRequest,
        C::InvalidJson => K::InvalidJson,
        C::InvalidParameter => K::InvalidParameter,
        C::InvalidCharacter => K::InvalidCharacter,
        C::InvalidCoordinates => K::InvalidCoordinates,
        C::Unauthorized => K::Unauthorized,
        C::BadCredentials => K::BadCredentials,
        C::Forbidden => K::Forbidden,
        C::OutsideScope => K::OutsideScope,
        C::NotFound => K::NotFound,
        C::MethodNotAllowed => K::MethodNotAllowed,
        C::RequestTimeout => K::RequestTimeout,
        C::Conflict => K::Conflict,
        C::UsernameTaken => K::UsernameTaken,
        C::TransitionNotAllowed => K::TransitionNotAllowed,
        C::StaleVersion => K::StaleVersion,
        C::MissingBaseVersion => K::MissingBaseVersion,
        C::PayloadTooLarge => K::PayloadTooLarge,
        C::UriTooLong => K::UriTooLong,
        C::UnsupportedMediaType => K::UnsupportedMediaType,
        C::InvalidBody => K::InvalidBody,
        C::InvalidValue => K::InvalidValue,
        C::OutsideCity => K::OutsideCity,
        C::UnknownCategory => K::UnknownCategory,
        C::UnknownSource => K::UnknownSource,
        C::InvalidGeometry => K::InvalidGeometry,
        C::PartitionRule => K::PartitionRule,
        C::Unprocessable => K::Unprocessable,
        C::RateLimited => K::RateLimited,
        C::HeadersTooLarge => K::HeadersTooLarge,
        C::Internal => K::Internal,
        C::BadGateway => K::BadGateway,
        C::Unavailable => K::Unavailable,
    }
}

/// The field name in the interface's words (the wire name when we have no better one).
fn field_name(lang: Lang, field: &str) -> String {
    use ErrorKey as K;
    let key = match field {
        "description" => K::FieldDescription,
        "duplicate_of" => K::FieldDuplicateOf,
        "note" => K::FieldNote,
        "category" => K::FieldCategory,
        "source" => K::FieldSource,
        "priority" => K::FieldPriority,
        "lon" | "lat" | "bbox" => K::FieldLocation,
        "action" => K::FieldAction,
        "username" => K::FieldUsername,
        "password" => K::FieldPassword,
        "reported_at" => K::FieldReportedAt,
        "status" => K::FieldStatus,
        "sort" => K::FieldSort,
        "cursor" => K::FieldCursor,
        "display_name" => K::FieldDisplayName,
        "county_code" => K::FieldCountyCode,
        "role" => K::FieldRole,
        other => return other.to_owned(),
    };
    t(lang, key).to_owned()
}

/// The sentence for an error `code` (`None`: the server sent none we know) about `field`.
#[must_use]
pub fn sentence(lang: Lang, code: Option<ErrorCode>, field: Option<&str>) -> String {
    let text = t(lang, code.map_or(ErrorKey::Unknown, code_key));
    let field = field.map_or_else(|| t(lang, ErrorKey::FieldAction).to_owned(), |f| field_name(lang, f));
    text.replace("{field}", &field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_both_languages() {
        crate::i18n::assert_translated(ErrorKey::ALL, &[]);
    }

    #[test]
    fn every_code_has_a_sentence_of_its_own() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let zh = sentence(Lang::Zh, Some(*code), Some("description"));
            assert!(!zh.contains('{'), "{code:?}: {zh}");
            assert!(seen.insert(zh.clone()), "{code:?} shares its sentence: {zh}");
        }
    }

    #[test]
    fn fields_are_named_in_the_interface_language() {
        assert_eq!(sentence(Lang::Zh, Some(ErrorCode::InvalidValue), Some("duplicate_of")), "“原事件编号”的值不能接受");
        assert_eq!(
            sentence(Lang::En, Some(ErrorCode::InvalidValue), Some("duplicate_of")),
            "The value of \"original incident number\" cannot be accepted"
        );
        assert_eq!(
            sentence(Lang::En, Some(ErrorCode::InvalidParameter), Some("zoom")),
            "The parameter \"zoom\" is not valid"
        );
        assert_eq!(sentence(Lang::Zh, Some(ErrorCode::BadCredentials), None), "用户名或密码错误，或账号已停用");
        assert_eq!(sentence(Lang::En, None, None), "The request failed");
    }
}
