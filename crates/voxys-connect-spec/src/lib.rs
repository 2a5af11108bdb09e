//! The Voxys Connect OpenAPI document, loaded, checked and turned into JSON Schema.
//!
//! The OpenAPI document is the single source of truth of the project. It lives
//! in this crate, as `voxys-connect.yaml`, so that the published crate holds
//! it (the repository links it as `openapi/voxys-connect.yaml`). This
//! crate is how Rust code reads it: the code generator (`cargo xtask generate`)
//! checks it before handing it to progenitor, and the mock server and the contract
//! tests validate JSON against its schemas. Nothing here copies a fact of the API;
//! everything is read from the document. [`for_each_schema`] and
//! [`for_each_schema_mut`] visit every schema object of a document, for the
//! checks here and for the rewrites of the code generator.
//!
//! ```
//! use voxys_connect_spec::Spec;
//!
//! let spec = Spec::bundled();
//! assert!(spec.check().is_empty());
//! let lead_list = spec.validator("#/components/schemas/LeadList").unwrap();
//! assert!(!lead_list.is_valid(&serde_json::json!({"data": "not an array"})));
//! ```

#![forbid(unsafe_code)]

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};

mod path;
mod walk;

pub use path::SpecPath;
use walk::{Role, SUBSCHEMA_LIST_KEYS, operation_objects, rewrite_schemas, walk};
pub use walk::{SchemaSite, for_each_schema, for_each_schema_mut};

/// The text of the OpenAPI document (`voxys-connect.yaml` of this crate,
/// `openapi/voxys-connect.yaml` in the repository), as built into this crate.
pub const BUNDLED_YAML: &str = include_str!("../voxys-connect.yaml");

/// Why a document could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read the OpenAPI document {path}: {source}")]
    Read {
        /// The file that was read.
        path: String,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The text is not YAML (or JSON), or has a shape JSON cannot hold.
    #[error("the OpenAPI document is not valid YAML: {0}")]
    Yaml(#[from] serde_yaml_ng::Error),
    /// The document's top level is not a mapping.
    #[error("the OpenAPI document must be a mapping at its top level")]
    NotAMapping,
}

/// An operation of the document: where it lives, and the facts its vendor
/// extensions state (see the document's description).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// The `operationId`, such as `list_leads`.
    pub id: String,
    /// The path template, such as `/api/v1/accounts/{account_id}/leads`.
    pub path: String,
    /// The HTTP method, lower case.
    pub method: String,
    /// The JSON pointer of the operation object.
    pub pointer: String,
    /// What a repeat of it does (`x-voxys-retry`); `None` when the document
    /// does not say, or says something unknown ([`Spec::check`] reports both).
    pub retry: Option<RetryClass>,
    /// How its list answer is paged (`x-voxys-paging`); `None` for an
    /// answer that is not a list.
    pub paging: Option<Paging>,
}

/// What sending an operation's request a second time does
/// (`x-voxys-retry`), which decides how a client may retry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum RetryClass {
    /// `read`: nothing.
    Read,
    /// `same-state`: it leaves the same state as the first.
    SameState,
    /// `answer-changes`: harmless, but answered differently (a delete's 404).
    AnswerChanges,
    /// `second-effect`: it does it again (a second record, a second card).
    SecondEffect,
}

impl RetryClass {
    /// Every class, in the order above.
    pub const ALL: [RetryClass; 4] = [
        RetryClass::Read,
        RetryClass::SameState,
        RetryClass::AnswerChanges,
        RetryClass::SecondEffect,
    ];

    /// The document's spelling (`read`, `same-state`...).
    pub fn as_str(self) -> &'static str {
        match self {
            RetryClass::Read => "read",
            RetryClass::SameState => "same-state",
            RetryClass::AnswerChanges => "answer-changes",
            RetryClass::SecondEffect => "second-effect",
        }
    }

    /// The class the document spells `text`.
    pub fn parse(text: &str) -> Option<RetryClass> {
        RetryClass::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// How an operation's list answer is paged (`x-voxys-paging`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Paging {
    /// `page-meta`: `page` and `per_page` parameters, an object with `data`
    /// and `meta`.
    PageMeta,
    /// `bare-array`: every item at once, as a JSON array.
    BareArray,
}

impl Paging {
    /// The document's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Paging::PageMeta => "page-meta",
            Paging::BareArray => "bare-array",
        }
    }

    /// The style the document spells `text`.
    pub fn parse(text: &str) -> Option<Paging> {
        [Paging::PageMeta, Paging::BareArray]
            .into_iter()
            .find(|p| p.as_str() == text)
    }
}

/// The vendor extension that states an operation's [`RetryClass`].
pub const RETRY_EXTENSION: &str = "x-voxys-retry";

/// The vendor extension that states an operation's [`Paging`].
pub const PAGING_EXTENSION: &str = "x-voxys-paging";

/// The HTTP methods an OpenAPI path item can hold, lower case.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One thing wrong with a document, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where in the document the problem is.
    pub path: SpecPath,
    /// What is wrong, in a sentence.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// A parsed OpenAPI 3.0 document.
#[derive(Debug, Clone)]
pub struct Spec {
    document: Value,
    /// The document with every schema object rewritten as JSON Schema 2020-12.
    converted: Value,
}

impl Spec {
    /// The project's own document, built into this crate.
    ///
    /// # Panics
    /// Never for a checked-in document: `cargo xtask generate --check` and this
    /// crate's tests parse it on every CI run.
    pub fn bundled() -> Spec {
        Spec::from_yaml(BUNDLED_YAML).expect("the bundled OpenAPI document parses")
    }

    /// Reads and parses a document from a file.
    pub fn load(path: impl AsRef<Path>) -> Result<Spec, LoadError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Spec::from_yaml(&text)
    }

    /// Parses a document from YAML (JSON is YAML too).
    pub fn from_yaml(text: &str) -> Result<Spec, LoadError> {
        let document: Value = serde_yaml_ng::from_str(text)?;
        Spec::from_json(document)
    }

    /// Wraps an already parsed document.
    pub fn from_json(document: Value) -> Result<Spec, LoadError> {
        if !document.is_object() {
            return Err(LoadError::NotAMapping);
        }
        let converted = convert_document(&document);
        Ok(Spec {
            document,
            converted,
        })
    }

    /// The document as parsed, in OpenAPI 3.0 form.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// The value at a JSON pointer (`#/components/schemas/Lead` or
    /// `/components/schemas/Lead`), in OpenAPI form.
    pub fn get(&self, pointer: &str) -> Option<&Value> {
        self.document.pointer(pointer.trim_start_matches('#'))
    }

    /// A JSON Schema validator for the schema at `pointer`, with OpenAPI 3.0's
    /// dialect (`nullable`, boolean `exclusiveMinimum`...) translated and formats
    /// (`date-time`, `email`...) asserted.
    pub fn validator(&self, pointer: &str) -> Result<jsonschema::Validator, String> {
        let pointer = pointer.trim_start_matches('#');
        if self.converted.pointer(pointer).is_none() {
            return Err(format!("no schema at #{pointer}"));
        }
        // The whole converted document is the root resource, so that every
        // `#/components/...` reference inside the schema resolves.
        let mut root = self.converted.clone();
        if let Some(map) = root.as_object_mut() {
            map.insert(
                "$ref".to_owned(),
                Value::String(format!("#{}", uri_fragment(pointer))),
            );
            map.insert(
                "$schema".to_owned(),
                Value::String("https://json-schema.org/draft/2020-12/schema".to_owned()),
            );
        }
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&root)
            .map_err(|e| e.to_string())
    }

    /// Follows a chain of `$ref`s from the value at `pointer`; returns the
    /// pointer of the value reached, and the value.
    pub fn resolve(&self, pointer: &str) -> Option<(String, &Value)> {
        let mut pointer = format!("#{}", pointer.trim_start_matches('#'));
        for _ in 0..32 {
            let value = self.get(&pointer)?;
            match value.get("$ref").and_then(Value::as_str) {
                Some(next) => pointer = next.to_owned(),
                None => return Some((pointer, value)),
            }
        }
        None
    }

    /// The name of the header that carries the API key: the `name` of the
    /// document's first `apiKey` security scheme sent `in: header`.
    pub fn api_key_header(&self) -> Option<&str> {
        self.get("#/components/securitySchemes")?
            .as_object()?
            .values()
            .find(|scheme| {
                scheme.get("type").and_then(Value::as_str) == Some("apiKey")
                    && scheme.get("in").and_then(Value::as_str) == Some("header")
            })?
            .get("name")?
            .as_str()
    }

    /// The operation with this `operationId`.
    pub fn operation(&self, operation_id: &str) -> Option<Operation> {
        self.operations()
            .into_iter()
            .find(|op| op.id == operation_id)
    }

    /// Every operation of the document that has an `operationId`, in the
    /// document's order.
    pub fn operations(&self) -> Vec<Operation> {
        operation_objects(&self.document)
            .filter_map(|(op_path, route, method, op)| {
                let id = op.get("operationId").and_then(Value::as_str)?;
                let extension = |key: &str| op.get(key).and_then(Value::as_str);
                Some(Operation {
                    id: id.to_owned(),
                    path: route.to_owned(),
                    method: method.to_owned(),
                    pointer: op_path.pointer(),
                    retry: extension(RETRY_EXTENSION).and_then(RetryClass::parse),
                    paging: extension(PAGING_EXTENSION).and_then(Paging::parse),
                })
            })
            .collect()
    }

    /// The success status the document gives an operation (its one `2xx`
    /// response), and the pointer of that response's JSON schema when it has
    /// a body.
    pub fn success(&self, operation_id: &str) -> Option<(u16, Option<String>)> {
        let op = self.operation(operation_id)?;
        let responses = self
            .get(&format!("{}/responses", op.pointer))?
            .as_object()?;
        let status = responses
            .keys()
            .filter_map(|code| code.parse::<u16>().ok())
            .find(|code| (200..300).contains(code))?;
        Some((
            status,
            self.response_schema(operation_id, status, "application/json"),
        ))
    }

    /// The parameters of an operation (its own and its path item's), with
    /// references followed: `(pointer, parameter object)`.
    pub fn parameters(&self, operation_id: &str) -> Vec<(String, &Value)> {
        let Some(op) = self.operation(operation_id) else {
            return Vec::new();
        };
        let item = SpecPath::root().key("paths").key(&op.path).pointer();
        let mut out = Vec::new();
        for owner in [item, op.pointer] {
            let Some(Value::Array(list)) = self.get(&format!("{owner}/parameters")) else {
                continue;
            };
            for i in 0..list.len() {
                if let Some(found) = self.resolve(&format!("{owner}/parameters/{i}")) {
                    out.push(found);
                }
            }
        }
        out
    }

    /// The pointer of the schema an operation's JSON request body must match
    /// (its `requestBody`, references followed); `None` when it takes none.
    pub fn request_schema(&self, operation_id: &str) -> Option<String> {
        let op = self.operation(operation_id)?;
        let (body, _) = self.resolve(&format!("{}/requestBody", op.pointer))?;
        let (schema, _) = self.resolve(&format!("{body}/content/application~1json/schema"))?;
        Some(schema)
    }

    /// The pointer of the schema a response body must match: the response for
    /// `status` (an exact code, else its range such as `5XX`, else `default`),
    /// and its media type for `content_type` (parameters such as `charset`
    /// ignored). `None` when the document does not describe such a body.
    pub fn response_schema(
        &self,
        operation_id: &str,
        status: u16,
        content_type: &str,
    ) -> Option<String> {
        let op = self.operation(operation_id)?;
        let responses = format!("{}/responses", op.pointer);
        let range = format!("{}XX", status / 100);
        let (response, _) = [status.to_string(), range, "default".to_owned()]
            .iter()
            .find_map(|code| self.resolve(&format!("{responses}/{}", code)))?;
        let media = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let key = media.replace('~', "~0").replace('/', "~1");
        let (schema, _) = self.resolve(&format!("{response}/content/{key}/schema"))?;
        Some(schema)
    }

    /// Every problem found in the document; empty when it is sound.
    ///
    /// Checks that it is OpenAPI 3.0.x, that every `$ref` resolves inside the
    /// document, that every operation has a unique `operationId`, that every
    /// schema compiles, and that every `example` and `examples` value validates
    /// against the schema it illustrates.
    pub fn check(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let root = SpecPath::root();
        match self.document.get("openapi").and_then(Value::as_str) {
            Some(v) if v.starts_with("3.0.") => {}
            Some(v) => problems.push(Problem {
                path: root.key("openapi"),
                message: format!(
                    "version {v} is not supported: progenitor reads OpenAPI 3.0.x only"
                ),
            }),
            None => problems.push(Problem {
                path: root.key("openapi"),
                message: "missing: the document must say `openapi: 3.0.x`".to_owned(),
            }),
        }
        self.check_refs(&mut problems);
        self.check_operations(&mut problems);
        self.check_nullable(&mut problems);
        // Reference errors make schema compilation fail too; say them once.
        if problems.is_empty() {
            self.check_examples(&mut problems);
        }
        problems
    }

    /// Every `$ref` of the document, wherever it is (examples included),
    /// resolves inside it.
    fn check_refs(&self, problems: &mut Vec<Problem>) {
        walk(
            &self.document,
            &SpecPath::root(),
            Role::Document,
            &mut |path, _, map| {
                let Some(reference) = map.get("$ref") else {
                    return;
                };
                let message = match reference.as_str() {
                    Some(r) if r.starts_with('#') => {
                        if self.get(r).is_some() {
                            return;
                        }
                        format!("`{r}` does not resolve to anything in the document")
                    }
                    Some(r) => format!(
                        "`{r}` points outside the document; only local references (`#/...`) are allowed"
                    ),
                    None => "must be a string".to_owned(),
                };
                problems.push(Problem {
                    path: path.key("$ref"),
                    message,
                });
            },
        );
    }

    fn check_operations(&self, problems: &mut Vec<Problem>) {
        if !self.document.get("paths").is_some_and(Value::is_object) {
            problems.push(Problem {
                path: SpecPath::root().key("paths"),
                message: "missing: the document describes no paths".to_owned(),
            });
            return;
        }
        let mut seen = BTreeSet::new();
        for (op_path, _, _, op) in operation_objects(&self.document) {
            match op.get("operationId").and_then(Value::as_str) {
                Some(id) if !seen.insert(id.to_owned()) => problems.push(Problem {
                    path: op_path.key("operationId"),
                    message: format!("`{id}` is used by another operation too; operation IDs must be unique"),
                }),
                Some(_) => {}
                None => problems.push(Problem {
                    path: op_path.key("operationId"),
                    message: "missing: every operation needs an operationId (progenitor names the method after it)".to_owned(),
                }),
            }
            self.check_extensions(op, &op_path, problems);
        }
    }

    /// The vendor extensions of one operation: a known retry class on every
    /// one, and a paging style that matches the shape of its answer.
    fn check_extensions(&self, op: &Value, op_path: &SpecPath, problems: &mut Vec<Problem>) {
        let spellings = RetryClass::ALL.map(RetryClass::as_str).join(", ");
        match op.get(RETRY_EXTENSION).and_then(Value::as_str) {
            Some(text) if RetryClass::parse(text).is_some() => {}
            Some(text) => problems.push(Problem {
                path: op_path.key(RETRY_EXTENSION),
                message: format!("`{text}` is not a retry class; write one of {spellings}"),
            }),
            None => problems.push(Problem {
                path: op_path.key(RETRY_EXTENSION),
                message: format!(
                    "missing: every operation states what a repeat of it does, one of {spellings}"
                ),
            }),
        }
        let declared = op.get(PAGING_EXTENSION);
        let paging = declared.and_then(Value::as_str).and_then(Paging::parse);
        if declared.is_some() && paging.is_none() {
            problems.push(Problem {
                path: op_path.key(PAGING_EXTENSION),
                message: "must be `page-meta` or `bare-array`".to_owned(),
            });
            return;
        }
        // The shape of the success answer says which style it must be.
        let answer = op
            .get("responses")
            .and_then(Value::as_object)
            .and_then(|responses| {
                responses
                    .iter()
                    .find(|(code, _)| code.starts_with('2'))
                    .map(|(_, response)| response)
            })
            .and_then(|response| {
                let response = match response.get("$ref").and_then(Value::as_str) {
                    Some(r) => self.resolve(r)?.1,
                    None => response,
                };
                let schema = response.pointer("/content/application~1json/schema")?;
                Some(match schema.get("$ref").and_then(Value::as_str) {
                    Some(r) => self.resolve(r)?.1,
                    None => schema,
                })
            });
        let shape = answer.map(|schema| {
            if schema.get("type").and_then(Value::as_str) == Some("array") {
                Some(Paging::BareArray)
            } else if schema
                .pointer("/properties/data/type")
                .and_then(Value::as_str)
                == Some("array")
                && schema.pointer("/properties/meta").is_some()
            {
                Some(Paging::PageMeta)
            } else {
                None
            }
        });
        let shape = shape.flatten();
        if shape != paging {
            let said = |p: Option<Paging>| p.map_or("none", Paging::as_str);
            problems.push(Problem {
                path: op_path.key(PAGING_EXTENSION),
                message: format!(
                    "says {}, but the success answer's shape is {}",
                    said(paging),
                    said(shape)
                ),
            });
        }
    }

    /// `nullable: true` that does not do what it seems to under OpenAPI
    /// 3.0.3: without a `type` beside it (it adds nothing), or beside
    /// `allOf`, `oneOf`, `anyOf` or `$ref` (whose schemas still reject
    /// `null`).
    fn check_nullable(&self, problems: &mut Vec<Problem>) {
        for_each_schema(&self.document, |path, _, schema| {
            if schema.get("nullable") != Some(&Value::Bool(true)) {
                return;
            }
            let beside: Vec<&str> = ["allOf", "oneOf", "anyOf", "$ref"]
                .into_iter()
                .filter(|k| schema.get(*k).is_some())
                .collect();
            let message = if schema.get("type").is_none() {
                "`nullable: true` without `type` adds nothing under OpenAPI 3.0.3: `null` stays invalid".to_owned()
            } else if !beside.is_empty() {
                format!(
                    "`nullable: true` beside `{}` does not make `null` valid under OpenAPI 3.0.3 (its schemas still apply to `null`); write `anyOf: [{{$ref: ...}}, {{type: ..., nullable: true, enum: [null]}}]`",
                    beside.join("`, `")
                )
            } else {
                return;
            };
            problems.push(Problem {
                path: path.key("nullable"),
                message,
            });
        });
    }

    fn check_examples(&self, problems: &mut Vec<Problem>) {
        for example in examples(&self.document) {
            let validator = match self.validator(&example.schema.pointer()) {
                Ok(v) => v,
                Err(e) => {
                    problems.push(Problem {
                        path: example.schema.clone(),
                        message: format!("the schema does not compile: {e}"),
                    });
                    continue;
                }
            };
            for error in validator.iter_errors(example.value) {
                let at = error.instance_path().to_string();
                let at = if at.is_empty() {
                    String::new()
                } else {
                    format!(" at {at}")
                };
                problems.push(Problem {
                    path: example.path.clone(),
                    message: format!("the example does not match its schema{at}: {error}"),
                });
            }
        }
    }
}

/// Percent-encodes a JSON pointer for use as a URI fragment (RFC 6901 §6).
fn uri_fragment(pointer: &str) -> String {
    let mut out = String::with_capacity(pointer.len());
    for byte in pointer.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// An example value and the schema it must match.
struct Example<'a> {
    path: SpecPath,
    schema: SpecPath,
    value: &'a Value,
}

/// Every example of the document: the `example` of each schema object, and
/// the `example` and `examples` values beside the `schema` of a parameter,
/// header or media type.
fn examples(document: &Value) -> Vec<Example<'_>> {
    let mut out = Vec::new();
    walk(
        document,
        &SpecPath::root(),
        Role::Document,
        &mut |path, role, map| {
            let schema = match role {
                Role::Schema(_) => path.clone(),
                Role::Document if map.contains_key("schema") => path.key("schema"),
                _ => return,
            };
            if let Some(example) = map.get("example") {
                out.push(Example {
                    path: path.key("example"),
                    schema: schema.clone(),
                    value: example,
                });
            }
            if role != Role::Document {
                return;
            }
            if let Some(Value::Object(examples)) = map.get("examples") {
                for (name, example) in examples {
                    if let Some(value) = example.get("value") {
                        out.push(Example {
                            path: path.key("examples").key(name).key("value"),
                            schema: schema.clone(),
                            value,
                        });
                    }
                }
            }
        },
    );
    out
}

/// The document with every schema object rewritten as JSON Schema 2020-12
/// (see [`convert_schema`]).
fn convert_document(document: &Value) -> Value {
    let mut converted = document.clone();
    for_each_schema_mut(&mut converted, |_, _, schema| convert_keywords(schema));
    converted
}

/// Translates one OpenAPI 3.0 schema object (and its subschemas) to JSON Schema.
///
/// `nullable: true` is read as OpenAPI 3.0.3 states it, to the letter: it adds
/// `null` to the `type` of the same schema object, and only when that object
/// has a `type`. Every other keyword keeps its meaning, so `enum`, `allOf`,
/// `oneOf`, `anyOf` and `$ref` beside it still reject `null` unless they allow
/// it themselves: `{type: string, nullable: true, enum: [a, b]}` rejects
/// `null`, and `{type: object, nullable: true, allOf: [{$ref: ...}]}` rejects
/// it when the referenced schema does. A member that may be `null` and
/// otherwise follows another schema is written
/// `anyOf: [{$ref: ...}, {type: ..., nullable: true, enum: [null]}]`.
///
/// Boolean `exclusiveMinimum`/`exclusiveMaximum` become numeric bounds, and
/// keywords that only document (`example`, `xml`, `externalDocs`,
/// `discriminator`) go.
pub fn convert_schema(schema: &Value) -> Value {
    let mut converted = schema.clone();
    // A schema on its own stands where a component does.
    rewrite_schemas(
        &mut converted,
        Role::Schema(SchemaSite::Component),
        |_, _, schema| convert_keywords(schema),
    );
    converted
}

/// Translates the keywords of one schema object, as [`convert_schema`]
/// says, and leaves its subschemas as they are.
fn convert_keywords(schema: &mut Map<String, Value>) {
    let nullable = schema.get("nullable") == Some(&Value::Bool(true));
    for keyword in [
        "nullable",
        "example",
        "xml",
        "externalDocs",
        "discriminator",
    ] {
        schema.remove(keyword);
    }
    // A `properties` that is not a map, or an `allOf`... that is not a list,
    // holds no subschema: it becomes an empty one.
    if schema.get("properties").is_some_and(|p| !p.is_object()) {
        schema.insert("properties".to_owned(), Value::Object(Map::new()));
    }
    for key in SUBSCHEMA_LIST_KEYS {
        if schema.get(key).is_some_and(|list| !list.is_array()) {
            schema.insert(key.to_owned(), Value::Array(Vec::new()));
        }
    }
    for (flag, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(&Value::Bool(exclusive)) = schema.get(flag) {
            schema.remove(flag);
            if exclusive && let Some(b) = schema.remove(bound) {
                schema.insert(flag.to_owned(), b);
            }
        }
    }
    if nullable && let Some(Value::String(kind)) = schema.get("type").cloned() {
        schema.insert(
            "type".to_owned(),
            Value::Array(vec![Value::String(kind), Value::String("null".to_owned())]),
        );
    }
}

/// Whether a schema object accepts `null` and nothing else: the form
/// `{type: ..., nullable: true, enum: [null]}` that OpenAPI 3.0.3 offers for
/// the `null` alternative of an `anyOf`.
pub fn is_null_only(schema: &Value) -> bool {
    schema.get("nullable") == Some(&Value::Bool(true))
        && schema.get("type").is_some_and(Value::is_string)
        && schema.get("enum") == Some(&Value::Array(vec![Value::Null]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_operations_parameters_and_response_schemas() {
        let spec = Spec::bundled();
        let op = spec.operation("list_leads").unwrap();
        assert_eq!(
            (op.path.as_str(), op.method.as_str()),
            ("/api/v1/accounts/{account_id}/leads", "get")
        );
        let names: Vec<&str> = spec
            .parameters("list_leads")
            .iter()
            .map(|(_, p)| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names[0], "account_id", "a $ref parameter is followed");
        assert!(names.contains(&"per_page"));
        assert_eq!(
            spec.response_schema("list_leads", 200, "application/json; charset=utf-8")
                .as_deref(),
            Some("#/components/schemas/LeadList")
        );
        assert_eq!(
            spec.response_schema("list_leads", 401, "application/json")
                .as_deref(),
            Some("#/components/schemas/ErrorBody")
        );
        let html = spec
            .response_schema("list_leads", 503, "text/html")
            .unwrap();
        assert!(html.ends_with("/content/text~1html/schema"), "{html}");
        assert_eq!(
            spec.response_schema("list_leads", 503, "application/json"),
            None
        );
        assert_eq!(
            spec.response_schema("list_leads", 418, "application/json"),
            None
        );
        assert_eq!(spec.response_schema("nope", 200, "application/json"), None);
        assert_eq!(spec.api_key_header(), Some("api_access_token"));
        assert_eq!(
            spec.request_schema("update_lead_status").as_deref(),
            Some("#/components/schemas/LeadStatusUpdate")
        );
        assert_eq!(spec.request_schema("list_leads"), None);
    }

    #[test]
    fn nullable_adds_null_to_the_type_beside_it_only() {
        assert_eq!(
            convert_schema(
                &serde_json::json!({"type": "string", "nullable": true, "example": "x"})
            ),
            serde_json::json!({"type": ["string", "null"]})
        );
        // Without `type`, nullable adds nothing.
        assert_eq!(
            convert_schema(&serde_json::json!({"nullable": true, "minimum": 1})),
            serde_json::json!({"minimum": 1})
        );
    }

    /// A document whose `Lead` has one member in each form.
    fn forms() -> Spec {
        Spec::from_yaml(
            r"
openapi: 3.0.3
info: {title: t, version: '1'}
paths: {}
components:
  schemas:
    Agent:
      type: object
      required: [id]
      properties:
        id: {type: integer}
    Lead:
      type: object
      properties:
        old_form:
          type: object
          nullable: true
          allOf:
            - $ref: '#/components/schemas/Agent'
        strict_form:
          oneOf:
            - $ref: '#/components/schemas/Agent'
            - {type: object, nullable: true, enum: [null]}
        status:
          type: string
          nullable: true
          enum: [open, won]
        status_or_null:
          type: string
          nullable: true
          enum: [open, won, null]
",
        )
        .unwrap()
    }

    #[test]
    fn the_old_nullable_reference_form_rejects_null_and_the_strict_one_accepts_it() {
        let spec = forms();
        let lead = spec.validator("#/components/schemas/Lead").unwrap();
        let valid = |member: &str, value: Value| lead.is_valid(&serde_json::json!({member: value}));
        assert!(
            !valid("old_form", Value::Null),
            "3.0.3: allOf still applies to null"
        );
        assert!(valid("old_form", serde_json::json!({"id": 1})));
        assert!(valid("strict_form", Value::Null));
        assert!(valid("strict_form", serde_json::json!({"id": 1})));
        assert!(!valid("strict_form", serde_json::json!({"name": "no id"})));
        assert!(!valid("strict_form", serde_json::json!("text")));
        assert!(!valid("status", Value::Null), "enum still applies to null");
        assert!(valid("status_or_null", Value::Null));
        assert!(!valid("status_or_null", serde_json::json!("lost")));
    }

    #[test]
    fn the_check_names_nullable_that_does_nothing() {
        let problems: Vec<String> = forms().check().iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("components.schemas.Lead.properties.old_form.nullable: `nullable: true` beside `allOf`"),
            "{problems:?}"
        );
        assert!(is_null_only(
            &serde_json::json!({"type": "object", "nullable": true, "enum": [null]})
        ));
        assert!(!is_null_only(
            &serde_json::json!({"type": "object", "nullable": true})
        ));
    }

    #[test]
    fn the_bundled_document_accepts_null_where_the_api_sends_it() {
        let spec = Spec::bundled();
        let lead = spec.validator("#/components/schemas/Lead").unwrap();
        let example = spec
            .get("#/components/schemas/Lead/example")
            .unwrap()
            .clone();
        assert!(lead.is_valid(&example));
        for member in [
            "custom_name",
            "lead_value",
            "lead_currency",
            "position",
            "notes",
            "assigned_agent",
            "company",
            "conversation_id",
        ] {
            let mut with_null = example.clone();
            with_null[member] = Value::Null;
            assert!(lead.is_valid(&with_null), "{member} may be null");
        }
        for member in ["id", "status", "created_at", "custom_attributes"] {
            let mut with_null = example.clone();
            with_null[member] = Value::Null;
            assert!(!lead.is_valid(&with_null), "{member} may not be null");
        }
    }
}
