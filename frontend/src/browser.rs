//! Small wrappers over `localStorage` and `location.hash` that never panic.

const TOKEN_KEY: &str = "citygrid.token";
const LANG_KEY: &str = "citygrid.lang";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn get(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten().filter(|v| !v.is_empty())
}

fn set(key: &str, value: Option<&str>) {
    if let Some(s) = storage() {
        let _ = match value {
            Some(v) => s.set_item(key, v),
            None => s.remove_item(key),
        };
    }
}

#[must_use]
pub fn stored_token() -> Option<String> {
    get(TOKEN_KEY)
}

pub fn store_token(token: Option<&str>) {
    set(TOKEN_KEY, token);
}

/// A JSON value stored under `key`, `None` when missing or unreadable.
#[must_use]
pub fn stored_json<T: serde::de::DeserializeOwned>(key: &str) -> Option<T> {
    serde_json::from_str(&get(key)?).ok()
}

/// Stores `value` as JSON under `key`.
pub fn store_json<T: serde::Serialize>(key: &str, value: &T) {
    if let Ok(json) = serde_json::to_string(value) {
        set(key, Some(&json));
    }
}

#[must_use]
pub fn stored_lang() -> Option<String> {
    get(LANG_KEY)
}

pub fn store_lang(code: &str) {
    set(LANG_KEY, Some(code));
}

/// `location.hash`, `""` when there is none.
#[must_use]
pub fn hash() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

/// Replaces the URL fragment without adding a history entry or firing `hashchange`.
pub fn replace_hash(hash: &str) {
    let Some(w) = web_sys::window() else { return };
    if w.location().hash().ok().as_deref() == Some(hash) {
        return;
    }
    let (Ok(path), Ok(search)) = (w.location().pathname(), w.location().search()) else { return };
    if let Ok(history) = w.history() {
        let _ =
            history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&format!("{path}{search}{hash}")));
    }
}

/// Sets `<html lang>` so the browser picks CJK glyphs properly.
pub fn set_document_lang(code: &str) {
    if let Some(el) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = el.set_attribute("lang", if code == "zh" { "zh-CN" } else { "en" });
    }
}
