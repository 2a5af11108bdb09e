//! The one walk over an OpenAPI 3.0 document, which tells what each of its
//! objects is: the document's own structure, a schema object (and where it
//! stands), or data such as an example.
//!
//! [`for_each_schema`] and [`for_each_schema_mut`] are its public face: the
//! checks and the conversion to JSON Schema in this crate use them, and so
//! does `cargo xtask generate` for the copy of the document it hands to
//! progenitor. The `$ref` check and the search for examples use the walk
//! itself, which also visits the objects that are not schemas.

use serde_json::{Map, Value};

use crate::{METHODS, SpecPath};

/// Where a schema object visited by [`for_each_schema`] stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SchemaSite {
    /// A member of `components.schemas`.
    Component,
    /// The `schema` of a parameter: an item of the `parameters` of a path
    /// item or an operation, or a member of `components.parameters`.
    Parameter,
    /// The `schema` of any other object that has one: a header, or a media
    /// type of a request body or a response.
    Member,
    /// A subschema of another schema object: a member of its `properties`,
    /// its `items`, `additionalProperties` or `not`, or an item of its
    /// `allOf`, `anyOf` or `oneOf`.
    Subschema,
}

/// Keys of a schema object whose value is a schema.
pub(crate) const SUBSCHEMA_KEYS: [&str; 3] = ["items", "additionalProperties", "not"];
/// Keys of a schema object whose value is a list of schemas.
pub(crate) const SUBSCHEMA_LIST_KEYS: [&str; 3] = ["allOf", "anyOf", "oneOf"];

/// What a value of the document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The document's own structure: paths, operations, parameters,
    /// responses, media types...
    Document,
    /// A schema object.
    Schema(SchemaSite),
    /// A map or a list whose members are schema objects (`components.schemas`,
    /// `properties`, `allOf`...).
    Schemas(SchemaSite),
    /// Data that only illustrates or annotates: `example` and `examples`
    /// values, and the members of a schema object that are not subschemas
    /// (`enum`, `default`, `x-...`).
    Literal,
}

/// What [`walk`] calls on each object: where it is, what it is, its members.
pub(crate) type Visit<'v, 'a> = dyn FnMut(&SpecPath, Role, &'a Map<String, Value>) + 'v;

/// Calls `visit` on every object below `value` (itself included), each
/// before the objects it holds, members in the order of their map, with
/// what it is: `value` is a `role`, and the walk tells the roles of what it
/// holds from there.
pub(crate) fn walk<'a>(value: &'a Value, path: &SpecPath, role: Role, visit: &mut Visit<'_, 'a>) {
    match value {
        Value::Object(map) => {
            visit(path, role, map);
            for (key, member) in map {
                walk(
                    member,
                    &path.key(key),
                    member_role(path, role, key, member),
                    visit,
                );
            }
        }
        Value::Array(items) => {
            let item_role = match role {
                Role::Schemas(site) => Role::Schema(site),
                Role::Schema(_) => Role::Literal,
                other => other,
            };
            for (i, item) in items.iter().enumerate() {
                walk(item, &path.index(i), item_role, visit);
            }
        }
        _ => {}
    }
}

/// The role of the member `key` (holding `member`) of an object at `path`
/// whose role is `role`.
fn member_role(path: &SpecPath, role: Role, key: &str, member: &Value) -> Role {
    match role {
        Role::Document => match key {
            "example" | "examples" => Role::Literal,
            "schemas" if path.is_components() && member.is_object() => {
                Role::Schemas(SchemaSite::Component)
            }
            "schema" if path.is_member_of("parameters") => Role::Schema(SchemaSite::Parameter),
            "schema" => Role::Schema(SchemaSite::Member),
            _ => Role::Document,
        },
        Role::Schema(_) => match key {
            "properties" if member.is_object() => Role::Schemas(SchemaSite::Subschema),
            _ if SUBSCHEMA_KEYS.contains(&key) && member.is_object() => {
                Role::Schema(SchemaSite::Subschema)
            }
            _ if SUBSCHEMA_LIST_KEYS.contains(&key) && member.is_array() => {
                Role::Schemas(SchemaSite::Subschema)
            }
            _ => Role::Literal,
        },
        Role::Schemas(site) => Role::Schema(site),
        Role::Literal => Role::Literal,
    }
}

/// Calls `visit` on every schema object of an OpenAPI 3.0 document, with
/// where it is and where it stands: the members of `components.schemas`,
/// the `schema` of every parameter, header and media type, and all their
/// subschemas ([`SchemaSite`]), each before its subschemas, the members of
/// a map in the order the map keeps them. `example` and `examples` values
/// are data, not schemas, and are not entered. A `$ref` is not followed: the
/// schema object that holds it is visited, and the schema it points to where
/// that one stands.
///
/// ```
/// use voxys_connect_spec::{SchemaSite, for_each_schema};
///
/// let document = serde_json::json!({
///     "paths": {"/leads": {"get": {"parameters": [
///         {"name": "page", "in": "query", "schema": {"type": "integer"}}
///     ]}}},
///     "components": {"schemas": {"Lead": {
///         "type": "object",
///         "properties": {"id": {"type": "integer"}},
///         "example": {"schema": "not a schema"}
///     }}}
/// });
/// let mut seen = Vec::new();
/// for_each_schema(&document, |path, site, _| seen.push((path.to_string(), site)));
/// assert_eq!(seen, [
///     ("components.schemas.Lead".to_owned(), SchemaSite::Component),
///     ("components.schemas.Lead.properties.id".to_owned(), SchemaSite::Subschema),
///     (r#"paths."/leads".get.parameters[0].schema"#.to_owned(), SchemaSite::Parameter),
/// ]);
/// ```
pub fn for_each_schema<'a>(
    document: &'a Value,
    mut visit: impl FnMut(&SpecPath, SchemaSite, &'a Map<String, Value>),
) {
    walk(
        document,
        &SpecPath::root(),
        Role::Document,
        &mut |path, role, map| {
            if let Role::Schema(site) = role {
                visit(path, site, map);
            }
        },
    );
}

/// Calls `visit` on the schema objects [`for_each_schema`] visits, to
/// rewrite them: in the reverse order, so that each comes after its
/// subschemas (innermost first), and what `visit` does to one schema object
/// and below it changes none of those still to come.
pub fn for_each_schema_mut(
    document: &mut Value,
    visit: impl FnMut(&SpecPath, SchemaSite, &mut Map<String, Value>),
) {
    rewrite_schemas(document, Role::Document, visit);
}

/// [`for_each_schema_mut`] from `value`, which is a `role`.
pub(crate) fn rewrite_schemas(
    value: &mut Value,
    role: Role,
    mut visit: impl FnMut(&SpecPath, SchemaSite, &mut Map<String, Value>),
) {
    let mut sites = Vec::new();
    walk(value, &SpecPath::root(), role, &mut |path, role, _| {
        if let Role::Schema(site) = role {
            sites.push((path.clone(), site));
        }
    });
    for (path, site) in sites.into_iter().rev() {
        if let Some(Value::Object(map)) = path.get_mut(value) {
            visit(&path, site, map);
        }
    }
}

/// Every operation object of the document, in its order: where it is, its
/// path template, its method and the object.
pub(crate) fn operation_objects(
    document: &Value,
) -> impl Iterator<Item = (SpecPath, &str, &'static str, &Value)> {
    let paths = SpecPath::root().key("paths");
    document
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(route, item)| Some((route.as_str(), item.as_object()?)))
        .flat_map(move |(route, item)| {
            let item_path = paths.key(route);
            METHODS.into_iter().filter_map(move |method| {
                Some((item_path.key(method), route, method, item.get(method)?))
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document with a schema in each site, and things that look like
    /// schemas but are not.
    fn document() -> Value {
        serde_json::json!({
            "paths": {"/leads/{id}": {
                "parameters": [{"name": "id", "in": "path", "schema": {"type": "integer"}}],
                "get": {
                    "parameters": [{"$ref": "#/components/parameters/Page"}],
                    "responses": {"200": {
                        "headers": {"X-Total": {"schema": {"type": "integer"}}},
                        "content": {"application/json": {
                            "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Lead"}},
                            "examples": {"one": {"value": {"schema": {"type": "string"}}}}
                        }}
                    }}
                }
            }},
            "components": {
                "parameters": {"Page": {"name": "page", "in": "query", "schema": {"minimum": 1}}},
                "schemas": {"Lead": {
                    "allOf": [{"properties": {"schema": {"type": "string"}}}],
                    "enum": [{"properties": {"not": {}}}],
                    "example": {"items": {}},
                    "not": true
                }}
            }
        })
    }

    fn sites(document: &Value) -> Vec<(String, SchemaSite)> {
        let mut out = Vec::new();
        for_each_schema(document, |path, site, _| out.push((path.to_string(), site)));
        out
    }

    #[test]
    fn visits_every_schema_object_with_its_site_and_nothing_else() {
        let seen = sites(&document());
        let expected = [
            ("components.parameters.Page.schema", SchemaSite::Parameter),
            ("components.schemas.Lead", SchemaSite::Component),
            ("components.schemas.Lead.allOf[0]", SchemaSite::Subschema),
            (
                "components.schemas.Lead.allOf[0].properties.schema",
                SchemaSite::Subschema,
            ),
            (
                r#"paths."/leads/{id}".get.responses.200.content."application/json".schema"#,
                SchemaSite::Member,
            ),
            (
                r#"paths."/leads/{id}".get.responses.200.content."application/json".schema.items"#,
                SchemaSite::Subschema,
            ),
            (
                r#"paths."/leads/{id}".get.responses.200.headers.X-Total.schema"#,
                SchemaSite::Member,
            ),
            (
                r#"paths."/leads/{id}".parameters[0].schema"#,
                SchemaSite::Parameter,
            ),
        ];
        let expected: Vec<(String, SchemaSite)> = expected
            .into_iter()
            .map(|(path, site)| (path.to_owned(), site))
            .collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn the_mutable_walk_visits_the_same_schemas_innermost_first() {
        let mut rewritten = document();
        let mut visited = Vec::new();
        for_each_schema_mut(&mut rewritten, |path, site, schema| {
            visited.push((path.to_string(), site));
            // A subschema the visit adds is not visited; one it replaces
            // had its visit already.
            schema.insert("properties".to_owned(), serde_json::json!({"added": {}}));
        });
        visited.reverse();
        assert_eq!(visited, sites(&document()));
        for rewritten_schema in [
            "/components/schemas/Lead",
            "/components/schemas/Lead/allOf/0",
        ] {
            assert_eq!(
                rewritten.pointer(&format!("{rewritten_schema}/properties")),
                Some(&serde_json::json!({"added": {}})),
            );
        }
    }

    #[test]
    fn lists_operations_in_order() {
        let document = document();
        let ops: Vec<(String, &str, &str)> = operation_objects(&document)
            .map(|(path, route, method, _)| (path.pointer(), route, method))
            .collect();
        assert_eq!(
            ops,
            [("#/paths/~1leads~1{id}/get".to_owned(), "/leads/{id}", "get")]
        );
    }
}
