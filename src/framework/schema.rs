//! Schemas for providers, resources and data sources, in the shape of Terraform's configschema:
//! a block of attributes and nested blocks. Planning rules (force-new, defaults) live here too,
//! so a resource declares them instead of coding them.

use std::collections::BTreeMap;

use super::diag::{AttributePath, Diagnostic};
use super::value::{Type, Value};

#[derive(Debug, Clone)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

#[derive(Debug, Clone, Default)]
pub struct Block {
    pub description: String,
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub deprecated: bool,
}

#[derive(Debug, Clone)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    pub description: String,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    /// A change of this attribute replaces the object (Terraform's `requires_replace`).
    pub force_new: bool,
    /// Planned when the configuration leaves the attribute null (the attribute is then
    /// optional and computed).
    pub default: Option<Value>,
    pub deprecated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    Single,
    Group,
    List,
    Set,
    Map,
}

#[derive(Debug, Clone)]
pub struct NestedBlock {
    pub type_name: String,
    pub block: Block,
    pub nesting: Nesting,
    pub min_items: i64,
    pub max_items: i64,
}

impl Attribute {
    fn new(name: &str, ty: Type) -> Self {
        Attribute {
            name: name.to_string(),
            ty,
            description: String::new(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            force_new: false,
            default: None,
            deprecated: false,
        }
    }
    pub fn required(name: &str, ty: Type) -> Self {
        Attribute { required: true, ..Self::new(name, ty) }
    }
    pub fn optional(name: &str, ty: Type) -> Self {
        Attribute { optional: true, ..Self::new(name, ty) }
    }
    pub fn computed(name: &str, ty: Type) -> Self {
        Attribute { computed: true, ..Self::new(name, ty) }
    }
    pub fn optional_computed(name: &str, ty: Type) -> Self {
        Attribute { optional: true, computed: true, ..Self::new(name, ty) }
    }
    pub fn description(mut self, text: &str) -> Self {
        self.description = text.to_string();
        self
    }
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    pub fn force_new(mut self) -> Self {
        self.force_new = true;
        self
    }
    pub fn default(mut self, value: Value) -> Self {
        self.optional = true;
        self.computed = true;
        self.required = false;
        self.default = Some(value);
        self
    }
}

impl NestedBlock {
    pub fn single(type_name: &str, block: Block) -> Self {
        NestedBlock { type_name: type_name.to_string(), block, nesting: Nesting::Single, min_items: 0, max_items: 0 }
    }
    pub fn set(type_name: &str, block: Block) -> Self {
        NestedBlock { type_name: type_name.to_string(), block, nesting: Nesting::Set, min_items: 0, max_items: 0 }
    }
}

impl Block {
    pub fn new(description: &str) -> Self {
        Block { description: description.to_string(), ..Default::default() }
    }
    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }
    pub fn block(mut self, block: NestedBlock) -> Self {
        self.blocks.push(block);
        self
    }

    pub fn find_attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub fn find_block(&self, name: &str) -> Option<&NestedBlock> {
        self.blocks.iter().find(|b| b.type_name == name)
    }

    /// The cty type Terraform derives from this block; values are encoded with it.
    pub fn implied_type(&self) -> Type {
        let mut fields = BTreeMap::new();
        for attribute in &self.attributes {
            fields.insert(attribute.name.clone(), attribute.ty.clone());
        }
        for nested in &self.blocks {
            let object = nested.block.implied_type();
            let ty = match nested.nesting {
                Nesting::Single | Nesting::Group => object,
                Nesting::List => Type::list(object),
                Nesting::Set => Type::set(object),
                Nesting::Map => Type::map(object),
            };
            fields.insert(nested.type_name.clone(), ty);
        }
        Type::Object(fields)
    }
}

impl Block {
    /// Computed-only attributes that a configuration sets. Terraform's decoder accepts them, so
    /// the provider must refuse them: otherwise the configured value is planned, the cloud is
    /// changed, and Terraform then rejects the value the cloud reports as an inconsistent result.
    pub fn read_only_set(&self, config: &Value) -> Vec<Diagnostic> {
        let mut found = Vec::new();
        self.collect_read_only(config, None, &mut found);
        found
    }

    fn collect_read_only(&self, config: &Value, at: Option<&AttributePath>, found: &mut Vec<Diagnostic>) {
        let path = |name: &str| match at {
            Some(at) => at.clone().attribute(name),
            None => AttributePath::root(name),
        };
        for attribute in self.attributes.iter().filter(|a| a.computed && !a.optional && !a.required) {
            if config.attr(&attribute.name).is_some_and(|v| !v.is_null()) {
                found.push(
                    Diagnostic::error(
                        format!("Read-only attribute {} is set", attribute.name),
                        format!("{} is read-only: the provider reads it from the cloud, so a configuration cannot set it. Remove `{} = ...` from this block; refer to the value the provider reports instead.", attribute.name, attribute.name),
                    )
                    .at(path(&attribute.name)),
                );
            }
        }
        for nested in &self.blocks {
            let Some(value) = config.attr(&nested.type_name).filter(|v| !v.is_null() && v.is_known()) else { continue };
            match nested.nesting {
                Nesting::Single | Nesting::Group => {
                    nested.block.collect_read_only(value, Some(&path(&nested.type_name)), found)
                }
                // Set elements have no stable index: the path names the block type.
                Nesting::List | Nesting::Set | Nesting::Map => {
                    for element in value.elements().unwrap_or_default() {
                        nested.block.collect_read_only(element, Some(&path(&nested.type_name)), found);
                    }
                }
            }
        }
    }
}

impl Schema {
    pub fn new(version: i64, block: Block) -> Self {
        Schema { version, block }
    }
    pub fn implied_type(&self) -> Type {
        self.block.implied_type()
    }
}

impl Block {
    /// The rules Terraform enforces when it loads a provider's schemas (configschema's
    /// InternalValidate), so a mistake fails a unit test instead of every Terraform command.
    pub fn check(&self, path: &str) -> Vec<String> {
        let mut problems = Vec::new();
        let valid_name = |name: &str| {
            !name.is_empty()
                && name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        let mut seen = std::collections::BTreeSet::new();
        for a in &self.attributes {
            let at = format!("{path}{}", a.name);
            if !valid_name(&a.name) {
                problems.push(format!("{at}: invalid name"));
            }
            if !seen.insert(a.name.clone()) {
                problems.push(format!("{at}: declared twice"));
            }
            match (a.required, a.optional, a.computed) {
                (true, false, false) | (false, true, _) | (false, false, true) => {}
                _ => problems.push(format!(
                    "{at}: must be exactly one of required, optional or computed (optional may be computed)"
                )),
            }
            if a.force_new && a.computed && !a.optional {
                problems.push(format!("{at}: a computed-only attribute cannot force replacement"));
            }
            if a.default.is_some() && !(a.optional && a.computed) {
                problems.push(format!("{at}: a default needs an optional and computed attribute"));
            }
        }
        for b in &self.blocks {
            let at = format!("{path}{}", b.type_name);
            if !valid_name(&b.type_name) || !seen.insert(b.type_name.clone()) {
                problems.push(format!("{at}: invalid or duplicate block name"));
            }
            if matches!(b.nesting, Nesting::Single | Nesting::Group) && (b.min_items != 0 || b.max_items != 0) {
                problems.push(format!("{at}: single and group blocks take no min_items/max_items"));
            }
            if b.max_items != 0 && b.min_items > b.max_items {
                problems.push(format!("{at}: min_items exceeds max_items"));
            }
            problems.extend(b.block.check(&format!("{at}.")));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_read_only_attributes_are_refused_with_their_path() {
        let block = Block::new("test")
            .attribute(Attribute::required("key", Type::String))
            .attribute(Attribute::computed("created", Type::String))
            .attribute(Attribute::optional("flag", Type::Bool).default(Value::from(true)))
            .block(NestedBlock::single(
                "inner",
                Block::new("inner").attribute(Attribute::computed("state", Type::String)),
            ));
        let config = |created: Value, state: Value| {
            Value::Object(BTreeMap::from([
                ("key".to_string(), Value::from("a")),
                ("created".to_string(), created),
                ("flag".to_string(), Value::from(false)),
                ("inner".to_string(), Value::Object(BTreeMap::from([("state".to_string(), state)]))),
            ]))
        };
        assert!(block.read_only_set(&config(Value::Null, Value::Null)).is_empty());
        let found = block.read_only_set(&config(Value::from("yesterday"), Value::unknown()));
        let paths: Vec<String> = found.iter().map(|d| d.path.as_ref().unwrap().to_string()).collect();
        assert_eq!(paths, ["created", "inner.state"]);
        assert!(found[0].detail.contains("Remove `created = ...`"), "{}", found[0].detail);
    }
}
