//! Schemas for providers, resources and data sources, in the shape of Terraform's configschema:
//! a block of attributes and nested blocks. Planning rules (force-new, defaults) live here too,
//! so a resource declares them instead of coding them.

use std::collections::BTreeMap;

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
                _ => problems.push(format!("{at}: must be exactly one of required, optional or computed (optional may be computed)")),
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
