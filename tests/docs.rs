//! Generates `docs/` (Terraform Registry layout) from the provider's own schemas and the files in
//! `examples/`, and fails when the committed docs differ. Regenerate with
//! `scripts/generate-docs.sh` (which sets TETHER_UPDATE_DOCS=1).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use tether::framework::schema::{Attribute, Block, NestedBlock, Nesting};
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

/// An attribute whose type holds objects documents their fields in its own description, after a
/// blank line, as a list of ``- `field`: text`` lines (Terraform's schema has no place for them).
/// Returns the description without that list, and the list.
fn split_fields(description: &str) -> (&str, BTreeMap<String, String>) {
    let Some(at) = description.find("\n\n- `") else { return (description, BTreeMap::new()) };
    let fields = description[at + 2..]
        .lines()
        .filter_map(|line| {
            let (name, text) = line.strip_prefix("- `")?.split_once("`: ")?;
            Some((name.to_string(), text.trim().to_string()))
        })
        .collect();
    (&description[..at], fields)
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
    let mut line = format!(
        "- `{}` ({}{})",
        a.name,
        type_name(&a.ty),
        if notes.is_empty() { String::new() } else { format!(", {}", notes.join(", ")) }
    );
    let (description, field_docs) = split_fields(&a.description);
    if let Some(fields) = object_fields(&a.ty) {
        let anchor = format!("{anchor_prefix}--{}", a.name);
        let _ = write!(line, " (see [below for nested schema](#{anchor}))");
        let documented = fields
            .iter()
            .map(|(name, ty)| (name.clone(), (ty.clone(), field_docs.get(name).cloned().unwrap_or_default())))
            .collect();
        nested.push((anchor, a.name.clone(), Nested::Object(documented)));
    }
    if !description.is_empty() {
        let _ = write!(line, " {description}");
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
    /// Fields of an object-typed attribute: type and description.
    Object(BTreeMap<String, (Type, String)>),
}

fn render_block(out: &mut String, block: &Block, anchor_prefix: &str, heading: &str) {
    let mut nested: Vec<(String, String, Nested)> = Vec::new();
    let required: Vec<&Attribute> = block.attributes.iter().filter(|a| a.required).collect();
    let optional: Vec<&Attribute> = block.attributes.iter().filter(|a| a.optional).collect();
    let read_only: Vec<&Attribute> = block.attributes.iter().filter(|a| a.computed && !a.optional).collect();
    let mut section = |title: &str,
                       attributes: &[&Attribute],
                       blocks: Vec<&NestedBlock>,
                       nested: &mut Vec<(String, String, Nested)>| {
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
            let _ = writeln!(
                out,
                "- `{}` ({kind}) {} (see [below for nested schema](#{anchor}))",
                b.type_name, b.block.description
            );
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
                for (field, (ty, description)) in fields {
                    let _ = writeln!(out, "- `{field}` ({}) {description}", type_name(&ty));
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
    if kind == "Action" {
        out.push_str("Declare it in an `action` block (Terraform 1.14 or later). `terraform plan -invoke=action.<type>.<name>` reads the cloud and shows, as a warning, exactly what the invocation will detach; `terraform apply -invoke=action.<type>.<name>` runs it, printing a line per call and wait. It changes no Terraform state. The arguments below go in the `action` block's `config` block.\n\n");
    }
    out.push_str(&example(&examples_dir.join(example_file), "terraform", "Example Usage"));
    out.push_str("## Schema\n\n");
    render_block(&mut out, block, "nestedblock", "###");
    out.push_str(&example(&examples_dir.join("import.sh"), "shell", "Import"));
    out.trim_end().to_string() + "\n"
}

fn index(provider: &TetherProvider) -> String {
    let schema = provider.schema();
    let mut out = String::from(
        "---\npage_title: \"tether Provider\"\ndescription: |-\n  Organization and identity bindings on Tencent Cloud, Huawei Cloud and ZStack, where destroying a binding calls the cloud's documented detach API.\n---\n\n# tether Provider\n\n",
    );
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
            page(
                "Resource",
                name,
                &tether::framework::detach::guarded(resource.schema()),
                &repo().join("examples/resources").join(name),
                "resource.tf",
            ),
        );
    }
    for data_source in provider.data_sources() {
        let name = data_source.type_name();
        let short = name.trim_start_matches("tether_");
        files.insert(
            PathBuf::from(format!("docs/data-sources/{short}.md")),
            page(
                "Data Source",
                name,
                &data_source.schema(),
                &repo().join("examples/data-sources").join(name),
                "data-source.tf",
            ),
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
    for action in provider.actions() {
        let name = action.type_name();
        let short = name.trim_start_matches("tether_");
        files.insert(
            PathBuf::from(format!("docs/actions/{short}.md")),
            page("Action", name, &action.schema(), &repo().join("examples/actions").join(name), "action.tf"),
        );
    }
    files.extend(guides());
    files
}

/// The hand-written guides, `docs-src/guides/*.md`, with `{{ tffile "examples/…" }}` and
/// `{{ codefile "lang" "path" }}` replaced by the file in a fenced block (as tfplugindocs
/// templates do), so a guide shows the examples that the tests run.
fn guides() -> BTreeMap<PathBuf, String> {
    let mut pages = BTreeMap::new();
    for entry in std::fs::read_dir(repo().join("docs-src/guides")).expect("docs-src/guides").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".md") {
            continue;
        }
        let source = std::fs::read_to_string(entry.path()).unwrap();
        assert!(
            source.starts_with("---\npage_title: ")
                && source.contains("\nsubcategory: ")
                && source[4..].contains("\n---\n"),
            "docs-src/guides/{name} needs Registry front matter (page_title, subcategory)"
        );
        let mut out = String::new();
        let mut rest = source.as_str();
        while let Some(at) = rest.find("{{") {
            out.push_str(&rest[..at]);
            let end = rest[at..].find("}}").map(|e| at + e).unwrap_or_else(|| panic!("{name}: unclosed {{{{"));
            let words: Vec<&str> = rest[at + 2..end].split_whitespace().collect();
            let unquote = |w: &str| w.trim_matches('"').to_string();
            let (lang, path) = match words.as_slice() {
                ["tffile", path] => ("terraform".to_string(), unquote(path)),
                ["codefile", lang, path] => (unquote(lang), unquote(path)),
                other => panic!("{name}: unknown template directive {other:?}"),
            };
            let text = std::fs::read_to_string(repo().join(&path)).unwrap_or_else(|e| panic!("{name}: {path}: {e}"));
            let _ = write!(out, "```{lang}\n{}\n```", text.trim_end());
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        pages.insert(PathBuf::from("docs/guides").join(&name), out.trim_end().to_string() + "\n");
    }
    pages
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
    for dir in ["docs/resources", "docs/data-sources", "docs/list-resources", "docs/actions", "docs/guides"] {
        for entry in std::fs::read_dir(repo().join(dir)).into_iter().flatten().flatten() {
            let path = PathBuf::from(dir).join(entry.file_name());
            if !files.contains_key(&path) && !update {
                stale.push(format!("{} (no such resource or guide)", path.display()));
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
    for action in provider.actions() {
        let file = repo().join("examples/actions").join(action.type_name()).join("action.tf");
        assert!(file.is_file(), "{} has no examples/actions/…/action.tf", action.type_name());
    }
}

/// Every schema the docs are generated from: (where, block).
fn all_blocks(provider: &TetherProvider) -> Vec<(String, Block)> {
    let mut blocks = vec![("provider".to_string(), provider.schema().block)];
    for resource in provider.resources() {
        blocks.push((resource.type_name().to_string(), tether::framework::detach::guarded(resource.schema()).block));
        if let Some(list) = resource.list_schema() {
            blocks.push((format!("list {}", resource.type_name()), list.block));
        }
    }
    for action in provider.actions() {
        blocks.push((format!("action {}", action.type_name()), action.schema().block));
    }
    for data_source in provider.data_sources() {
        blocks.push((format!("data {}", data_source.type_name()), data_source.schema().block));
    }
    blocks
}

fn walk<'a>(path: &str, block: &'a Block, visit: &mut dyn FnMut(&str, &'a Attribute)) {
    for attribute in &block.attributes {
        visit(path, attribute);
    }
    for nested in &block.blocks {
        walk(&format!("{path}.{}", nested.type_name), &nested.block, visit);
    }
}

#[test]
fn every_argument_attribute_block_and_field_is_described() {
    let provider = TetherProvider::new();
    let mut missing = Vec::new();
    for (at, block) in all_blocks(&provider) {
        if block.description.trim().is_empty() {
            missing.push(at.clone());
        }
        let mut blocks = vec![(at.clone(), &block)];
        while let Some((path, b)) = blocks.pop() {
            for nested in &b.blocks {
                let nested_path = format!("{path}.{}", nested.type_name);
                if nested.block.description.trim().is_empty() {
                    missing.push(format!("{nested_path} (block)"));
                }
                blocks.push((nested_path, &nested.block));
            }
        }
        walk(&at, &block, &mut |path, attribute| {
            let (description, fields) = split_fields(&attribute.description);
            if description.trim().is_empty() {
                missing.push(format!("{path}.{}", attribute.name));
            }
            for field in object_fields(&attribute.ty).map(|f| f.keys().collect::<Vec<_>>()).unwrap_or_default() {
                if fields.get(field).is_none_or(|text| text.is_empty()) {
                    missing.push(format!(
                        "{path}.{}[*].{field} (write \"- `{field}`: ...\" in {}'s description)",
                        attribute.name, attribute.name
                    ));
                }
            }
        });
    }
    assert!(missing.is_empty(), "undocumented: {missing:#?}");
}

/// An optional argument's page says what leaving it out means: a schema default (rendered as
/// "Defaults to"), the environment variable it falls back to, or a sentence about leaving it out.
#[test]
fn every_optional_argument_says_what_leaving_it_out_does() {
    let provider = TetherProvider::new();
    let says =
        ["Default", "default", "Falls back to", "Leave it out", "leave it out", "Left out", "left out", "when omitted"];
    let mut silent = Vec::new();
    for (at, block) in all_blocks(&provider) {
        walk(&at, &block, &mut |path, attribute| {
            if attribute.optional
                && attribute.default.is_none()
                && !says.iter().any(|s| attribute.description.contains(s))
            {
                silent.push(format!("{path}.{}", attribute.name));
            }
        });
    }
    assert!(silent.is_empty(), "say what leaving these out does (or give a schema default): {silent:#?}");
}

/// Force-new, sensitive and default are called out on every attribute line that has them.
#[test]
fn pages_call_out_force_new_sensitive_and_default() {
    let provider = TetherProvider::new();
    let files = generate();
    for (at, block) in all_blocks(&provider) {
        let page = if at == "provider" {
            "docs/index.md".to_string()
        } else {
            let (kind, name) = at
                .split_once(' ')
                .map(|(k, n)| {
                    (
                        match k {
                            "list" => "list-resources",
                            "action" => "actions",
                            _ => "data-sources",
                        },
                        n,
                    )
                })
                .unwrap_or(("resources", at.as_str()));
            format!("docs/{kind}/{}.md", name.trim_start_matches("tether_"))
        };
        let text = &files[&PathBuf::from(&page)];
        walk(&at, &block, &mut |path, attribute| {
            let line = text
                .lines()
                .find(|l| {
                    l.starts_with(&format!("- `{}` (", attribute.name))
                        && (!attribute.sensitive || l.contains("Sensitive"))
                })
                .unwrap_or_else(|| panic!("{page} has no line for {path}.{}", attribute.name));
            if attribute.force_new {
                assert!(line.contains("Changing this forces a new resource to be created."), "{page}: {line}");
            }
            if attribute.sensitive {
                assert!(line.contains(", Sensitive)"), "{page}: {line}");
            }
            if attribute.default.is_some() {
                assert!(line.contains("Defaults to `"), "{page}: {line}");
            }
        });
    }
}
