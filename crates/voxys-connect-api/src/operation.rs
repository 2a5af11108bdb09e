//! What the document states about each operation, as the generated
//! [`OPERATIONS`](crate::OPERATIONS) table holds it.

use std::fmt;

/// One operation of the API and the facts the document states about it.
///
/// The generated [`OPERATIONS`](crate::OPERATIONS) table holds one per
/// operation of the document; [`operation`] finds one by its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Operation {
    /// The `operationId`, such as `list_leads`.
    pub id: &'static str,
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path template, such as `/api/v1/accounts/{account_id}/leads`.
    pub path: &'static str,
    /// What sending the request a second time does (`x-voxys-retry`).
    pub retry: RetryClass,
    /// How a list answer is paged (`x-voxys-paging`); `None` when the
    /// answer is not a list.
    pub paging: Option<Paging>,
    /// The operation's path and query parameters.
    pub parameters: &'static [Parameter],
}

impl Operation {
    /// The parameter of this name.
    pub fn parameter(&self, name: &str) -> Option<&'static Parameter> {
        self.parameters.iter().find(|p| p.name == name)
    }
}

/// What sending an operation's request a second time does, which decides
/// how a client may retry it (the document's `x-voxys-retry`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryClass {
    /// A read: nothing happens; retry freely.
    Read,
    /// The second request leaves the same state as the first (setting a
    /// status, an update): retried like a read.
    SameState,
    /// Harmless, but answered differently (a delete answered 404, a bulk
    /// delete counting 0): retried, and an answer after an attempt that may
    /// have applied is read in that light.
    AnswerChanges,
    /// The second request does it again (a create makes a second record, a
    /// conversion a second card): never repeated after an attempt that may
    /// have reached the application.
    SecondEffect,
}

impl RetryClass {
    /// The document's spelling: `read`, `same-state`, `answer-changes`,
    /// `second-effect`.
    pub fn as_str(self) -> &'static str {
        match self {
            RetryClass::Read => "read",
            RetryClass::SameState => "same-state",
            RetryClass::AnswerChanges => "answer-changes",
            RetryClass::SecondEffect => "second-effect",
        }
    }
}

impl fmt::Display for RetryClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an operation's list answer is paged (the document's
/// `x-voxys-paging`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Paging {
    /// `page` and `per_page` parameters; an object with `data` and `meta`.
    PageMeta,
    /// Every item at once, as a JSON array.
    BareArray,
}

/// Where a parameter goes in the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParameterIn {
    /// A segment of the path.
    Path,
    /// The query string.
    Query,
}

/// A path or query parameter of an operation, with its integer range and
/// default when the document gives them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Parameter {
    /// The parameter's name on the wire.
    pub name: &'static str,
    /// Where it goes.
    pub location: ParameterIn,
    /// The smallest value allowed, for an integer.
    pub minimum: Option<i64>,
    /// The largest value allowed, for an integer.
    pub maximum: Option<i64>,
    /// The value the server takes when the parameter is left out.
    pub default: Option<i64>,
}

impl Parameter {
    /// Whether `value` is in the parameter's range (always, when it has
    /// none).
    pub fn allows(&self, value: i64) -> bool {
        self.minimum.is_none_or(|min| value >= min) && self.maximum.is_none_or(|max| value <= max)
    }

    /// The range in words, such as `a whole number from 1 to 100`; `None`
    /// when the parameter has no range.
    pub fn expected(&self) -> Option<String> {
        match (self.minimum, self.maximum) {
            (Some(min), Some(max)) => Some(format!("a whole number from {min} to {max}")),
            (Some(1), None) => {
                Some("a whole number from 1 up (ids and page numbers start at 1)".to_owned())
            }
            (Some(min), None) => Some(format!("a whole number from {min} up")),
            (None, Some(max)) => Some(format!("a whole number up to {max}")),
            (None, None) => None,
        }
    }

    /// Checks `value` against the parameter's range.
    pub fn check(&self, value: i64) -> Result<(), InvalidParameter> {
        if self.allows(value) {
            return Ok(());
        }
        Err(InvalidParameter {
            name: self.name,
            value: value.to_string(),
            expected: self.expected().unwrap_or_default(),
        })
    }
}

/// A parameter value outside the range the document gives it: the request
/// was not sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid parameter `{name}`: {value} is not allowed; expected {expected}")]
#[non_exhaustive]
pub struct InvalidParameter {
    /// The parameter's name on the wire.
    pub name: &'static str,
    /// The value given.
    pub value: String,
    /// What is allowed, in words.
    pub expected: String,
}

/// The operation with this id, from [`OPERATIONS`](crate::OPERATIONS).
///
/// ```
/// use voxys_connect_api::{RetryClass, operation};
///
/// let list = operation("list_leads").unwrap();
/// assert_eq!(list.retry, RetryClass::Read);
/// assert!(!list.parameter("per_page").unwrap().allows(101));
/// ```
pub fn operation(id: &str) -> Option<&'static Operation> {
    crate::OPERATIONS.iter().find(|op| op.id == id)
}

/// Checks the path and query parameters of `request`, made for `operation`,
/// against their ranges; the first one out of range.
///
/// The path is matched against the operation's template from its end, so a
/// base URL with a path of its own (`https://example.com/voxys`) is fine.
pub fn check_parameters(
    request: &reqwest::Request,
    operation: &Operation,
) -> Result<(), InvalidParameter> {
    let url = request.url();
    let template: Vec<&str> = operation.path.trim_matches('/').split('/').collect();
    let segments: Vec<&str> = url.path_segments().map(|s| s.collect()).unwrap_or_default();
    if segments.len() >= template.len() {
        let tail = &segments[segments.len() - template.len()..];
        for (pattern, value) in template.iter().zip(tail) {
            let Some(name) = pattern.strip_prefix('{').and_then(|p| p.strip_suffix('}')) else {
                continue;
            };
            check_value(operation, name, value)?;
        }
    }
    for (name, value) in url.query_pairs() {
        check_value(operation, &name, &value)?;
    }
    Ok(())
}

/// Checks one value of a parameter that has a range; values that are not
/// integers are left to the server (and to the builders' types).
fn check_value(operation: &Operation, name: &str, value: &str) -> Result<(), InvalidParameter> {
    let Some(parameter) = operation.parameter(name) else {
        return Ok(());
    };
    if parameter.minimum.is_none() && parameter.maximum.is_none() {
        return Ok(());
    }
    match value.parse::<i64>() {
        Ok(number) => parameter.check(number),
        Err(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_of_the_table_is_found_by_its_id() {
        assert!(!crate::OPERATIONS.is_empty());
        for op in crate::OPERATIONS {
            assert_eq!(operation(op.id), Some(op));
        }
        assert_eq!(operation("no_such_operation"), None);
    }

    #[test]
    fn ranges_are_checked_in_the_path_and_the_query() {
        let list = operation("list_leads").unwrap();
        let request = |url: &str| reqwest::Request::new(reqwest::Method::GET, url.parse().unwrap());
        let ok = request("https://h/base/api/v1/accounts/1/leads?page=2&per_page=100");
        assert_eq!(check_parameters(&ok, list), Ok(()));
        let over = request("https://h/api/v1/accounts/1/leads?per_page=101");
        let error = check_parameters(&over, list).unwrap_err();
        assert_eq!((error.name, error.value.as_str()), ("per_page", "101"));
        assert!(error.expected.contains("1 to 100"), "{error}");
        let account = request("https://h/api/v1/accounts/0/leads");
        assert_eq!(
            check_parameters(&account, list).unwrap_err().name,
            "account_id"
        );
    }
}
