//! The layers, checked: which top-level modules each module's production code may name. Calls
//! flow transport → protocol → framework → resources and data sources → clients → clouds, and
//! no module names one above it — so the wire format never reaches a resource, Terraform's
//! types never reach a cloud client, and a new resource cannot quietly reach into the provider's
//! configuration. Test modules (`#[cfg(test)]` to the end of a file) are not checked: some
//! drive a layer through the real provider.

use std::path::{Path, PathBuf};

/// Each top-level module and the other top-level modules its code may name.
const ALLOWED: &[(&str, &[&str])] = &[
    ("transport", &[]),
    ("protocol", &["framework"]),
    ("framework", &[]),
    ("provider", &["framework", "clients", "clouds", "resources", "data_sources", "actions"]),
    ("actions", &["framework", "clients", "clouds"]),
    ("resources", &["framework", "clients", "clouds"]),
    ("data_sources", &["framework", "clients", "clouds"]),
    ("clients", &["framework", "clouds"]),
    ("clouds", &[]),
    ("logging", &[]),
];

/// The clouds, which never name each other.
const CLOUDS: &[&str] = &["tencent", "huawei", "zstack"];

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The production code of a file: up to its test module, without comments.
fn production_code(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut previous = "";
    for line in text.lines() {
        let trimmed = line.trim();
        if previous == "#[cfg(test)]" && trimmed.starts_with("mod ") && !trimmed.ends_with(';') {
            break;
        }
        previous = trimmed;
        if !trimmed.starts_with("//") {
            lines.push(line.split(" //").next().unwrap_or(line));
        }
    }
    lines
}

/// The top-level modules `line` names through `crate::`, including `crate::{a, b::c}`.
fn named_modules(line: &str) -> Vec<String> {
    let ident = |text: &str| text.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
    let mut names = Vec::new();
    for (at, _) in line.match_indices("crate::") {
        if line[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &line[at + "crate::".len()..];
        match rest.strip_prefix('{') {
            Some(group) => names.extend(group.split('}').next().unwrap_or("").split(',').map(ident)),
            None => names.push(ident(rest)),
        }
    }
    names.retain(|name| !name.is_empty() && name != "self");
    names
}

fn violations(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut found = Vec::new();
    for file in files {
        let relative = file.strip_prefix(src).unwrap();
        let parts: Vec<String> =
            relative.iter().map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string()).collect();
        let top = parts[0].as_str();
        let Some((_, allowed)) = ALLOWED.iter().find(|(name, _)| *name == top) else { continue };
        let text = std::fs::read_to_string(&file).unwrap();
        let cloud = (top == "clouds" && parts.len() > 2).then(|| parts[1].clone());
        for (number, line) in production_code(&text).into_iter().enumerate() {
            for module in named_modules(line) {
                if module != top && !allowed.contains(&module.as_str()) {
                    found.push(format!("{}:{}: {top} names crate::{module}", relative.display(), number + 1));
                }
            }
            if let Some(cloud) = &cloud {
                for other in CLOUDS.iter().filter(|c| *c != cloud) {
                    if line.contains(&format!("clouds::{other}")) || line.contains(&format!("super::super::{other}")) {
                        found.push(format!(
                            "{}:{}: clouds::{cloud} names clouds::{other}",
                            relative.display(),
                            number + 1
                        ));
                    }
                }
            }
        }
    }
    found
}

#[test]
fn no_module_names_one_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = violations(&src);
    assert!(found.is_empty(), "layering violations:\n{}", found.join("\n"));
}

#[test]
fn the_check_sees_a_violation() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "resources/a.rs",
        "use crate::provider::Clients;\n// crate::protocol in a comment\n#[cfg(test)]\nmod tests {\n    use crate::provider;\n}\n",
    );
    write("clouds/zstack/auth.rs", "use crate::clouds::huawei::sign::percent_decode;\nuse crate::clouds::http;\n");
    write("clients/mod.rs", "use crate::clouds::tencent;\nfn f() { let _ = my_crate::provider::X; }\n");
    write("protocol/mod.rs", "use crate::{framework::Value, resources};\n");
    let mut found = violations(dir.path());
    found.sort();
    assert_eq!(
        found,
        [
            "clouds/zstack/auth.rs:1: clouds::zstack names clouds::huawei",
            "protocol/mod.rs:1: protocol names crate::resources",
            "resources/a.rs:1: resources names crate::provider",
        ]
    );
}
