//! The location field of the Dispatch workspace: `lon,lat` or a 15-digit grid code.

/// What the dispatcher typed in the "where" field.
#[derive(Debug, Clone, PartialEq)]
pub enum LocationInput {
    Point {
        lon: f64,
        lat: f64,
    },
    /// A 15-digit grid code.
    Grid(String),
}

/// Why the "where" field could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputError {
    Empty,
    /// Neither two numbers nor a 15-digit code.
    Unreadable,
    /// Two numbers, but not a longitude and a latitude.
    OutOfRange,
}

/// Parses `lon,lat` (also `lon lat`, `lon，lat`, `lon;lat`) or a 15-digit grid code. A pair
/// typed latitude first (the second number beyond ±90°, the first within) is swapped, since
/// people read coordinates both ways.
pub fn parse_location(input: &str) -> Result<LocationInput, InputError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(InputError::Empty);
    }
    if s.len() == 15 && s.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(LocationInput::Grid(s.to_owned()));
    }
    let parts: Vec<&str> =
        s.split(|c: char| c == ',' || c == '，' || c == ';' || c.is_whitespace()).filter(|p| !p.is_empty()).collect();
    let [a, b] = parts.as_slice() else { return Err(InputError::Unreadable) };
    let (Ok(a), Ok(b)) = (a.parse::<f64>(), b.parse::<f64>()) else { return Err(InputError::Unreadable) };
    if !a.is_finite() || !b.is_finite() {
        return Err(InputError::Unreadable);
    }
    let (lon, lat) = if b.abs() > 90.0 && a.abs() <= 90.0 { (b, a) } else { (a, b) };
    if lon.abs() > 180.0 || lat.abs() > 90.0 {
        return Err(InputError::OutOfRange);
    }
    Ok(LocationInput::Point { lon, lat })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse() {
        let p = |lon, lat| Ok(LocationInput::Point { lon, lat });
        assert_eq!(parse_location("119.02,33.60"), p(119.02, 33.6));
        assert_eq!(parse_location(" 119.02, 33.60 "), p(119.02, 33.6));
        assert_eq!(parse_location("119.02 33.60"), p(119.02, 33.6));
        assert_eq!(parse_location("119.02，33.60"), p(119.02, 33.6));
        assert_eq!(parse_location("119.02;33.60"), p(119.02, 33.6));
        // Latitude first is swapped.
        assert_eq!(parse_location("33.60,119.02"), p(119.02, 33.6));
        assert_eq!(parse_location("320812001001001"), Ok(LocationInput::Grid("320812001001001".into())));
        assert_eq!(parse_location("   "), Err(InputError::Empty));
        assert_eq!(parse_location("32081200100100"), Err(InputError::Unreadable), "14 digits");
        assert_eq!(parse_location("abc,def"), Err(InputError::Unreadable));
        assert_eq!(parse_location("119.02"), Err(InputError::Unreadable));
        assert_eq!(parse_location("1,2,3"), Err(InputError::Unreadable));
        assert_eq!(parse_location("NaN,3"), Err(InputError::Unreadable));
        assert_eq!(parse_location("190,95"), Err(InputError::OutOfRange));
    }
}
