//! `cargo xtask generate`: deterministic output, a `--check` that catches stale
//! or hand-edited code, and spec checks that name the place at fault.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};
use voxys_connect_spec::Spec;

const LIST_OP: &str = "/paths/~1api~1v1~1accounts~1{account_id}~1leads/get";

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .expect("the xtask binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn generation_is_deterministic_and_committed() {
    let spec = Spec::load(xtask::spec_path()).unwrap();
    let first = xtask::generate(&spec).unwrap();
    let second = xtask::generate(&Spec::load(xtask::spec_path()).unwrap()).unwrap();
    assert_eq!(first, second, "two generations from one document differ");
    assert!(first.starts_with(xtask::HEADER));
    let committed = std::fs::read_to_string(xtask::generated_path()).unwrap();
    assert!(
        committed == first,
        "crates/voxys-connect-api/src/generated.rs is stale: run `cargo xtask generate`"
    );
}

#[test]
fn check_passes_on_the_committed_file_and_fails_with_a_diff_on_an_edited_copy() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("generated.rs");
    let committed = std::fs::read_to_string(xtask::generated_path()).unwrap();
    std::fs::write(&copy, &committed).unwrap();
    let copy_arg = copy.to_str().unwrap();

    let ok = xtask(&["generate", "--check", "--output", copy_arg]);
    assert!(ok.status.success(), "stderr: {}", text(&ok.stderr));

    let edited = committed.replacen(
        "pub struct Lead {",
        "pub struct Lead {\n        pub hand_edit: bool,",
        1,
    );
    assert_ne!(edited, committed);
    std::fs::write(&copy, &edited).unwrap();
    let stale = xtask(&["generate", "--check", "--output", copy_arg]);
    assert!(
        !stale.status.success(),
        "--check accepted a hand-edited file"
    );
    let diff = text(&stale.stdout);
    assert!(
        diff.contains("-        pub hand_edit: bool,"),
        "the diff shows the edit: {diff}"
    );
    assert!(diff.contains("@@"), "a unified diff: {diff}");
    assert!(text(&stale.stderr).contains("is stale: run `cargo xtask generate`"));
    // --check never writes.
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), edited);

    // A missing file is stale too.
    let missing = dir.path().join("absent.rs");
    let absent = xtask(&["generate", "--check", "--output", missing.to_str().unwrap()]);
    assert!(!absent.status.success());
}

#[test]
fn generate_writes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("generated.rs");
    let run = xtask(&["generate", "--output", out.to_str().unwrap()]);
    assert!(run.status.success(), "stderr: {}", text(&run.stderr));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        std::fs::read_to_string(xtask::generated_path()).unwrap()
    );
}

/// The bundled document, changed by `edit`, and the problems `generate` reports.
fn problems_after(edit: impl FnOnce(&mut Value)) -> String {
    let mut document = Spec::bundled().document().clone();
    edit(&mut document);
    let spec = Spec::from_json(document).unwrap();
    match xtask::generate(&spec) {
        Ok(_) => panic!("a broken document generated code"),
        Err(e) => format!("{e:#}"),
    }
}

fn at<'a>(doc: &'a mut Value, pointer: &str) -> &'a mut Value {
    doc.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("no {pointer}"))
}

#[test]
fn rejects_openapi_3_1() {
    let msg = problems_after(|d| d["openapi"] = json!("3.1.0"));
    assert!(
        msg.contains("openapi: version 3.1.0 is not supported"),
        "{msg}"
    );
}

#[test]
fn rejects_a_reference_that_does_not_resolve() {
    let msg = problems_after(|d| {
        at(d, "/components/schemas/LeadList/properties/data/items")["$ref"] =
            json!("#/components/schemas/Leed");
    });
    assert!(
        msg.contains("components.schemas.LeadList.properties.data.items.$ref: `#/components/schemas/Leed` does not resolve"),
        "{msg}"
    );
}

#[test]
fn rejects_an_external_reference() {
    let msg = problems_after(|d| {
        at(d, "/components/schemas/LeadList/properties/meta")["$ref"] = json!("other.yaml#/Meta");
    });
    assert!(
        msg.contains(
            "components.schemas.LeadList.properties.meta.$ref: `other.yaml#/Meta` points outside"
        ),
        "{msg}"
    );
}

#[test]
fn rejects_an_operation_without_an_operation_id() {
    let msg = problems_after(|d| {
        at(d, LIST_OP)
            .as_object_mut()
            .unwrap()
            .remove("operationId");
    });
    assert!(
        msg.contains(r#"paths."/api/v1/accounts/{account_id}/leads".get.operationId: missing"#),
        "{msg}"
    );
}

#[test]
fn rejects_a_schema_example_that_does_not_match() {
    let msg = problems_after(|d| {
        at(d, "/components/schemas/Lead/example")["status"] = json!(5);
    });
    assert!(
        msg.contains(
            "components.schemas.Lead.example: the example does not match its schema at /status"
        ),
        "{msg}"
    );
}

#[test]
fn rejects_a_null_where_the_schema_is_not_nullable() {
    let msg = problems_after(|d| {
        at(d, "/components/schemas/LeadList/example/data/0")["id"] = Value::Null;
    });
    assert!(msg.contains("components.schemas.LeadList.example: the example does not match its schema at /data/0/id"), "{msg}");
}

#[test]
fn accepts_null_where_the_schema_is_nullable() {
    let mut document = Spec::bundled().document().clone();
    let lead = at(&mut document, "/components/schemas/Lead/example");
    for field in [
        "custom_name",
        "lead_value",
        "lead_currency",
        "position",
        "notes",
        "assigned_agent",
        "company",
        "conversation_id",
    ] {
        lead[field] = Value::Null;
    }
    let spec = Spec::from_json(document).unwrap();
    assert_eq!(spec.check(), vec![]);
}

#[test]
fn rejects_a_parameter_example_out_of_bounds() {
    let msg = problems_after(|d| {
        let params = at(d, &format!("{LIST_OP}/parameters"))
            .as_array_mut()
            .unwrap();
        let per_page = params.iter_mut().find(|p| p["name"] == "per_page").unwrap();
        per_page["schema"]["example"] = json!(101);
    });
    assert!(
        msg.contains(".get.parameters[7].schema.example: the example does not match its schema"),
        "{msg}"
    );
    assert!(
        msg.contains("101 is greater than the maximum of 100"),
        "{msg}"
    );
}

#[test]
fn rejects_a_response_example_that_does_not_match() {
    let msg = problems_after(|d| {
        at(
            d,
            "/components/responses/Unauthorized/content/application~1json/examples/invalid_token",
        )["value"] = json!({"error": 401});
    });
    assert!(
        msg.contains(r#"components.responses.Unauthorized.content."application/json".examples.invalid_token.value: the example does not match"#),
        "{msg}"
    );
}

#[test]
fn the_binary_reports_problems_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let spec_file = dir.path().join("broken.yaml");
    let yaml = std::fs::read_to_string(xtask::spec_path()).unwrap();
    std::fs::write(
        &spec_file,
        yaml.replacen("openapi: 3.0.3", "openapi: 3.1.0", 1),
    )
    .unwrap();
    let out = dir.path().join("generated.rs");
    let run = xtask(&[
        "generate",
        "--spec",
        spec_file.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(!run.status.success());
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains("problem(s)") && stderr.contains("3.1.0"),
        "{stderr}"
    );
    assert!(
        !Path::new(&out).exists(),
        "nothing is written from a broken document"
    );
}

/// A copy of the workspace's files (those git tracks or would), without
/// `target/`.
fn copy_of_the_workspace() -> tempfile::TempDir {
    let root = xtask::workspace_root();
    let listed = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(&root)
        .output()
        .expect("git lists the workspace's files");
    assert!(listed.status.success());
    let copy = tempfile::tempdir().unwrap();
    for name in listed.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = std::str::from_utf8(name).unwrap();
        let (from, to) = (root.join(name), copy.path().join(name));
        if from.is_file() {
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(&from, &to).unwrap();
        }
    }
    copy
}

#[test]
fn generate_builds_and_repairs_a_generated_file_that_does_not_compile() {
    // xtask must not depend on the code it generates: with generated.rs
    // broken, `cargo xtask generate` still builds, and writes it whole again.
    let copy = copy_of_the_workspace();
    let generated = copy
        .path()
        .join("crates/voxys-connect-api/src/generated.rs");
    std::fs::write(&generated, "this is not Rust {").unwrap();
    // A target folder of its own (the workspace's is locked while tests run),
    // kept so that later runs reuse the build.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| xtask::workspace_root().join("target"))
        .join("xtask-repair");
    let run = Command::new(env!("CARGO"))
        .args([
            "run",
            "--quiet",
            "--offline",
            "--package",
            "xtask",
            "--",
            "generate",
        ])
        .current_dir(copy.path())
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert_eq!(
        std::fs::read_to_string(&generated).unwrap(),
        std::fs::read_to_string(xtask::generated_path()).unwrap(),
        "the repaired file is the committed one"
    );
}
