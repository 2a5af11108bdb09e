//! [`PaginationMeta`]: where a page stands, tolerant of numbers sent as strings.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// Where a page stands in the whole result (the `meta` object of a list).
///
/// The API documents these as integers; some deployments echo the requested
/// page number back as a string (`"2"`). Both decode:
///
/// ```
/// use voxys_connect_api::PaginationMeta;
///
/// let meta: PaginationMeta = serde_json::from_str(
///     r#"{"current_page": "2", "total_pages": 4, "total_count": 97}"#,
/// ).unwrap();
/// assert_eq!((meta.current_page, meta.total_pages, meta.total_count), (2, 4, 97));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct PaginationMeta {
    /// The number of this page, from 1.
    #[serde(deserialize_with = "lenient_u64")]
    pub current_page: u64,
    /// How many pages the whole result has.
    #[serde(deserialize_with = "lenient_u64")]
    pub total_pages: u64,
    /// How many leads match the request, over all pages.
    #[serde(deserialize_with = "lenient_u64")]
    pub total_count: u64,
    /// Members the API sent that this SDK does not know yet, kept as sent.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl PaginationMeta {
    /// Where a page stands: its number, the number of pages, and the number
    /// of items over all pages.
    pub fn new(current_page: u64, total_pages: u64, total_count: u64) -> PaginationMeta {
        PaginationMeta {
            current_page,
            total_pages,
            total_count,
            extra: serde_json::Map::new(),
        }
    }
}

/// Reads a non-negative integer given as a JSON number or as a string of digits.
fn lenient_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    struct Visitor;
    impl serde::de::Visitor<'_> for Visitor {
        type Value = u64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a non-negative integer, as a number or a string")
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v).map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(v), &self))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<u64, E> {
            // `2.0` is a whole number; `2.5` is not a page number.
            if v.fract() == 0.0 && (0.0..=u64::MAX as f64).contains(&v) {
                Ok(v as u64)
            } else {
                Err(E::invalid_value(serde::de::Unexpected::Float(v), &self))
            }
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<u64, E> {
            v.trim()
                .parse()
                .map_err(|_| E::invalid_value(serde::de::Unexpected::Str(v), &self))
        }
    }
    deserializer.deserialize_any(Visitor)
}
