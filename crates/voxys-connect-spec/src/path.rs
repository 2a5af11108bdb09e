//! Locations inside an OpenAPI document.

use std::fmt;

/// One step into a JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

/// A location inside the document, shown the way a reader finds it:
/// `paths."/api/v1/accounts/{account_id}/leads".get.parameters[1].schema`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpecPath(Vec<Segment>);

impl SpecPath {
    /// The document itself.
    pub fn root() -> SpecPath {
        SpecPath::default()
    }

    /// This location's member `key`.
    pub fn key(&self, key: &str) -> SpecPath {
        let mut next = self.clone();
        next.0.push(Segment::Key(key.to_owned()));
        next
    }

    /// This location's item `index`.
    pub fn index(&self, index: usize) -> SpecPath {
        let mut next = self.clone();
        next.0.push(Segment::Index(index));
        next
    }

    /// Whether this is the document's `components` object.
    pub(crate) fn is_components(&self) -> bool {
        matches!(self.0.as_slice(), [Segment::Key(k)] if k == "components")
    }

    /// Whether this is an item or a member of a `key` member: of a
    /// `parameters` list, or of `components.parameters`, for `parameters`.
    pub(crate) fn is_member_of(&self, key: &str) -> bool {
        matches!(self.0.as_slice(), [.., Segment::Key(k), _] if k == key)
    }

    /// The value at this location below `value`.
    pub(crate) fn get_mut<'v>(
        &self,
        mut value: &'v mut serde_json::Value,
    ) -> Option<&'v mut serde_json::Value> {
        for segment in &self.0 {
            value = match segment {
                Segment::Key(k) => value.get_mut(k.as_str())?,
                Segment::Index(i) => value.get_mut(*i)?,
            };
        }
        Some(value)
    }

    /// The same location as a JSON pointer (RFC 6901), with a leading `#`.
    pub fn pointer(&self) -> String {
        let mut out = String::from("#");
        for segment in &self.0 {
            out.push('/');
            match segment {
                Segment::Key(k) => out.push_str(&k.replace('~', "~0").replace('/', "~1")),
                Segment::Index(i) => out.push_str(&i.to_string()),
            }
        }
        out
    }
}

impl fmt::Display for SpecPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(document root)");
        }
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(n) => write!(f, "[{n}]")?,
                Segment::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    let plain = !k.is_empty()
                        && k.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$');
                    if plain {
                        f.write_str(k)?;
                    } else {
                        write!(f, "{k:?}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::SpecPath;

    #[test]
    fn displays_readably_and_as_pointer() {
        let p = SpecPath::root()
            .key("paths")
            .key("/api/v1/accounts/{account_id}/leads")
            .key("get")
            .key("parameters")
            .index(1);
        assert_eq!(
            p.to_string(),
            r#"paths."/api/v1/accounts/{account_id}/leads".get.parameters[1]"#
        );
        assert_eq!(
            p.pointer(),
            "#/paths/~1api~1v1~1accounts~1{account_id}~1leads/get/parameters/1"
        );
    }
}
