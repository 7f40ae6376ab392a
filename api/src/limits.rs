//! Limits the server enforces and the client checks before sending (one number, both sides).

/// The city's statistical code (the root of the unit tree).
pub const CITY_CODE: &str = "320800";

/// The longest statistics window, in days (three years).
pub const MAX_WINDOW_DAYS: i64 = 3 * 366;

/// The most sites one suggestion (`k`) or one "add as planned cameras" request holds.
pub const MAX_SITES: u8 = 50;

/// An incident description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 4000;

/// A note on an incident's step (what was done, why it was closed), in characters.
pub const MAX_NOTE_CHARS: usize = 4000;

/// An account's display name, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 100;

/// A password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 1024;
