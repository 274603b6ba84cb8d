//! Generates `docs/` (Terraform Registry layout) from the provider's own schemas and the files in
//! `examples/`, and fails when the committed docs differ. Regenerate with
//! `scripts/generate-docs.sh` (which sets TETHER_UPDATE_DOCS=1).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use tether::framework::schema::{Attribute, Block, Nesting, NestedBlock};
use tether::framework::{Provider, Schema, Type};
use tether::provider::TetherProvider;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn type_name(ty: &Type) -> String {
    match ty {
        Type::Bool => "Boolean".into(),
        Type::Number => "Number".into(),
        Type::String => "String".into(),
        Type::Dynamic => "Dynamic".into(),
        Type::List(t) => format!("List of {}", type_name(t)),
        Type::Set(t) => format!("Set of {}", type_name(t)),
        Type::Map(t) => format!("Map of {}", type_name(t)),
        Type::Object(_) => "Object".into(),
        Type::Tuple(_) => "Tuple".into(),
    }
}

/// The object type inside a collection attribute, if any, for a nested section.
fn object_fields(ty: &Type) -> Option<&BTreeMap<String, Type>> {
    match ty {
        Type::Object(fields) => Some(fields),
        Type::List(t) | Type::Set(t) | Type::Map(t) => object_fields(t),
        _ => None,
    }
}

fn first_sentence(text: &str) -> String {
    let end = text.find(". ").map(|i| i + 1).unwrap_or(text.len());
    text[..end].replace('\n', " ")
}

fn attribute_line(a: &Attribute, anchor_prefix: &str, nested: &mut Vec<(String, String, Nested)>) -> String {
    let mut notes = Vec::new();
    if a.sensitive {
        notes.push("Sensitive".to_string());
    }
    let mut line = format!("- `{}` ({}{})", a.name, type_name(&a.ty), if notes.is_empty() { String::new() } else { format!(", {}", notes.join(", ")) });
    if let Some(fields) = object_fields(&a.ty) {
        let anchor = format!("{anchor_prefix}--{}", a.name);
        let _ = write!(line, " (see [below for nested schema](#{anchor}))");
        nested.push((anchor, a.name.clone(), Nested::Object(fields.clone())));
    }
    if !a.description.is_empty() {
        let _ = write!(line, " {}", a.description);
    }
    if a.force_new {
        line.push_str(" Changing this forces a new resource to be created.");
    }
    if let Some(default) = &a.default {
        let shown = match default {
            tether::framework::Value::Bool(b) => b.to_string(),
            tether::framework::Value::String(s) => format!("\"{s}\""),
            other => format!("{other:?}"),
        };
        let _ = write!(line, " Defaults to `{shown}`.");
    }
    line
}

enum Nested {
    Block(NestedBlock),
    Object(BTreeMap<String, Type>),
}

fn render_block(out: &mut String, block: &Block, anchor_prefix: &str, heading: &str) {
    let mut nested: Vec<(String, String, Nested)> = Vec::new();
    let required: Vec<&Attribute> = block.attributes.iter().filter(|a| a.required).collect();
    let optional: Vec<&Attribute> = block.attributes.iter().filter(|a| a.optional).collect();
    let read_only: Vec<&Attribute> = block.attributes.iter().filter(|a| a.computed && !a.optional).collect();
    let mut section = |title: &str, attributes: &[&Attribute], blocks: Vec<&NestedBlock>, nested: &mut Vec<(String, String, Nested)>| {
        if attributes.is_empty() && blocks.is_empty() {
            return;
        }
        if heading.is_empty() {
            let _ = writeln!(out, "{title}:\n");
        } else {
            let _ = writeln!(out, "{heading} {title}\n");
        }
        for a in attributes {
            let _ = writeln!(out, "{}", attribute_line(a, anchor_prefix, nested));
        }
        for b in blocks {
            let anchor = format!("{anchor_prefix}--{}", b.type_name);
            let kind = match b.nesting {
                Nesting::Single | Nesting::Group => "Block",
                Nesting::List => "Block List",
                Nesting::Set => "Block Set",
                Nesting::Map => "Block Map",
            };
            let _ = writeln!(out, "- `{}` ({kind}) {} (see [below for nested schema](#{anchor}))", b.type_name, b.block.description);
            nested.push((anchor, b.type_name.clone(), Nested::Block(b.clone())));
        }
        out.push('\n');
    };
    section("Required", &required, block.blocks.iter().filter(|b| b.min_items > 0).collect(), &mut nested);
    section("Optional", &optional, block.blocks.iter().filter(|b| b.min_items == 0).collect(), &mut nested);
    section("Read-Only", &read_only, Vec::new(), &mut nested);
    for (anchor, name, item) in nested {
        let _ = writeln!(out, "<a id=\"{anchor}\"></a>\n### Nested Schema for `{name}`\n");
        match item {
            Nested::Block(b) => render_block(out, &b.block, &anchor, ""),
            Nested::Object(fields) => {
                let _ = writeln!(out, "Read-Only:\n");
                for (field, ty) in fields {
                    let _ = writeln!(out, "- `{field}` ({})", type_name(&ty));
                }
                out.push('\n');
            }
        }
    }
}

fn example(path: &Path, lang: &str, title: &str) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => format!("## {title}\n\n```{lang}\n{}\n```\n\n", text.trim_end()),
        Err(_) => String::new(),
    }
}

fn page(kind: &str, name: &str, schema: &Schema, examples_dir: &Path, example_file: &str) -> String {
    let block = &schema.block;
    let mut out = format!(
        "---\npage_title: \"{name} {kind} - tether\"\nsubcategory: \"\"\ndescription: |-\n  {}\n---\n\n# {name} ({kind})\n\n{}\n\n",
        first_sentence(&block.description),
        block.description
    );
    if kind == "List Resource" {
        let short = name.trim_start_matches("tether_");
        out.push_str(&format!("Use it in a `.tfquery.hcl` file with `terraform query` (Terraform 1.14 or later). Each result carries the identity of a [`{name}`](../resources/{short}.md), and `terraform query -generate-config-out=FILE` writes an `import` block and a `resource` block for each. The arguments below go in the `list` block's `config` block; `limit` (default 100) caps the results, and the provider stops reading the cloud once it is reached.\n\n"));
    }
    out.push_str(&example(&examples_dir.join(example_file), "terraform", "Example Usage"));
    out.push_str("## Schema\n\n");
    render_block(&mut out, block, "nestedblock", "###");
    out.push_str(&example(&examples_dir.join("import.sh"), "shell", "Import"));
    out.trim_end().to_string() + "\n"
}

fn index(provider: &TetherProvider) -> String {
    let schema = provider.schema();
    let mut out = String::from("---\npage_title: \"tether Provider\"\ndescription: |-\n  Organization and identity bindings on Tencent Cloud, Huawei Cloud and ZStack, where destroying a binding calls the cloud's documented detach API.\n---\n\n# tether Provider\n\n");
    out.push_str(&schema.block.description);
    out.push_str("\n\n");
    out.push_str(include_str!("../docs-src/index-intro.md"));
    out.push('\n');
    out.push_str(&example(&repo().join("examples/provider/provider.tf"), "terraform", "Example Usage"));
    out.push_str("## Schema\n\n");
    render_block(&mut out, &schema.block, "nestedblock", "###");
    out.trim_end().to_string() + "\n"
}

fn generate() -> BTreeMap<PathBuf, String> {
    let provider = TetherProvider::new();
    let mut files = BTreeMap::new();
    files.insert(PathBuf::from("docs/index.md"), index(&provider));
    for resource in provider.resources() {
        let name = resource.type_name();
        let short = name.trim_start_matches("tether_");
        files.insert(
            PathBuf::from(format!("docs/resources/{short}.md")),
            page("Resource", name, &tether::framework::detach::guarded(resource.schema()), &repo().join("examples/resources").join(name), "resource.tf"),
        );
    }
    for data_source in provider.data_sources() {
        let name = data_source.type_name();
        let short = name.trim_start_matches("tether_");
        files.insert(
            PathBuf::from(format!("docs/data-sources/{short}.md")),
            page("Data Source", name, &data_source.schema(), &repo().join("examples/data-sources").join(name), "data-source.tf"),
        );
    }
    for resource in provider.resources() {
        let Some(schema) = resource.list_schema() else { continue };
        let name = resource.type_name();
        let short = name.trim_start_matches("tether_");
        files.insert(
            PathBuf::from(format!("docs/list-resources/{short}.md")),
            page("List Resource", name, &schema, &repo().join("examples/list-resources").join(name), LIST_EXAMPLE),
        );
    }
    files
}

/// The example of a list resource: a `.tfquery.hcl` for `terraform query`.
const LIST_EXAMPLE: &str = "list-resource.tfquery.hcl";

#[test]
fn docs_are_generated_from_the_schema_and_up_to_date() {
    let files = generate();
    let update = std::env::var_os("TETHER_UPDATE_DOCS").is_some();
    let mut stale = Vec::new();
    for (path, content) in &files {
        let full = repo().join(path);
        if update {
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, content).unwrap();
        } else if std::fs::read_to_string(&full).ok().as_deref() != Some(content.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    // Pages for resources that no longer exist are stale too.
    for dir in ["docs/resources", "docs/data-sources", "docs/list-resources"] {
        for entry in std::fs::read_dir(repo().join(dir)).into_iter().flatten().flatten() {
            let path = PathBuf::from(dir).join(entry.file_name());
            if !files.contains_key(&path) && !update {
                stale.push(format!("{} (no such resource)", path.display()));
            }
        }
    }
    assert!(stale.is_empty(), "docs/ is stale; run scripts/generate-docs.sh: {stale:?}");
}

#[test]
fn every_resource_and_data_source_has_an_example() {
    let provider = TetherProvider::new();
    for resource in provider.resources() {
        let dir = repo().join("examples/resources").join(resource.type_name());
        assert!(dir.join("resource.tf").is_file(), "{} has no examples/resources/…/resource.tf", resource.type_name());
        assert!(dir.join("import.sh").is_file(), "{} has no import.sh", resource.type_name());
        if resource.list_schema().is_some() {
            let file = repo().join("examples/list-resources").join(resource.type_name()).join(LIST_EXAMPLE);
            assert!(file.is_file(), "{} has no examples/list-resources/…/{LIST_EXAMPLE}", resource.type_name());
        }
    }
    for data_source in provider.data_sources() {
        let file = repo().join("examples/data-sources").join(data_source.type_name()).join("data-source.tf");
        assert!(file.is_file(), "{} has no example", data_source.type_name());
    }
}
