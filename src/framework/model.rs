//! Typed models: a resource's or data source's attributes declared once, on a struct with
//! `#[derive(Model)]` (see the `tether-derive` crate for the field options). The schema, the
//! state object, the bare import state, the identity and the docs' element lists all come from
//! that one declaration, so adding an attribute is one field, and nothing can list a different
//! set of attributes than the schema does.

use std::collections::BTreeMap;

pub use tether_derive::Model;

use super::identity::{IdentityAttribute, IdentityType};
use super::schema::{Attribute, Block, NestedBlock, Nesting, Schema};
use super::value::{Type, Value};

/// A struct whose fields are a block's attributes and nested blocks. Implemented by
/// `#[derive(Model)]`.
pub trait Model: Sized {
    /// The identity attributes, in field order (the import ID's order).
    const IDENTITY: &'static [IdentityAttribute];
    /// The attributes [`import_state`](Self::import_state) keeps: the identity and those marked
    /// `import`.
    const KEPT_ON_IMPORT: &'static [&'static str];

    fn attributes() -> Vec<Attribute>;
    fn blocks() -> Vec<NestedBlock>;
    /// The object value, every attribute and block present.
    fn to_value(&self) -> Value;
    /// Each plain attribute's name and doc comment, for the element lists in descriptions.
    fn field_docs() -> &'static [(&'static str, &'static str)];

    /// The block these fields make, with its description.
    fn block(description: &str) -> Block {
        let block = Self::attributes().into_iter().fold(Block::new(description), Block::attribute);
        Self::blocks().into_iter().fold(block, Block::block)
    }

    /// A version-0 schema of [`block`](Self::block).
    fn schema(description: &str) -> Schema {
        Schema::new(0, Self::block(description))
    }

    fn object_type() -> Type {
        Self::block("").implied_type()
    }

    /// The state `import` returns: the identifying attributes, every other one null for the
    /// refresh that follows the import to fill in.
    fn import_state(&self) -> Value {
        Self::import_state_of(self.to_value())
    }

    /// [`import_state`](Self::import_state) of a state built from this model.
    fn import_state_of(mut value: Value) -> Value {
        if let Value::Object(fields) = &mut value {
            for (name, field) in fields.iter_mut() {
                if !Self::KEPT_ON_IMPORT.contains(&name.as_str()) {
                    *field = Value::Null;
                }
            }
        }
        value
    }
}

/// A Rust type that stands for a cty type: a field of a model.
pub trait Field {
    fn cty() -> Type;
    fn to_cty(&self) -> Value;
    /// Set for the primitives an identity may hold.
    const IDENTITY_TYPE: Option<IdentityType> = None;
    /// For a collection of objects, the bullet list of the objects' attributes that its
    /// description ends with.
    fn elements() -> String {
        String::new()
    }
}

impl Field for String {
    const IDENTITY_TYPE: Option<IdentityType> = Some(IdentityType::String);
    fn cty() -> Type {
        Type::String
    }
    fn to_cty(&self) -> Value {
        Value::from(self.as_str())
    }
}

impl Field for u64 {
    const IDENTITY_TYPE: Option<IdentityType> = Some(IdentityType::Number);
    fn cty() -> Type {
        Type::Number
    }
    fn to_cty(&self) -> Value {
        Value::from(*self)
    }
}

impl Field for i64 {
    const IDENTITY_TYPE: Option<IdentityType> = Some(IdentityType::Number);
    fn cty() -> Type {
        Type::Number
    }
    fn to_cty(&self) -> Value {
        Value::from(*self)
    }
}

impl Field for bool {
    fn cty() -> Type {
        Type::Bool
    }
    fn to_cty(&self) -> Value {
        Value::from(*self)
    }
}

/// `None` is null.
impl<T: Field> Field for Option<T> {
    const IDENTITY_TYPE: Option<IdentityType> = T::IDENTITY_TYPE;
    fn cty() -> Type {
        T::cty()
    }
    fn to_cty(&self) -> Value {
        self.as_ref().map_or(Value::Null, Field::to_cty)
    }
    fn elements() -> String {
        T::elements()
    }
}

/// A list (a set with the field option `set`).
impl<T: Field> Field for Vec<T> {
    fn cty() -> Type {
        Type::list(T::cty())
    }
    fn to_cty(&self) -> Value {
        Value::List(self.iter().map(Field::to_cty).collect())
    }
    fn elements() -> String {
        T::elements()
    }
}

/// A string map.
impl<T: Field> Field for BTreeMap<String, T> {
    fn cty() -> Type {
        Type::map(T::cty())
    }
    fn to_cty(&self) -> Value {
        Value::Map(self.iter().map(|(k, v)| (k.clone(), v.to_cty())).collect())
    }
}

/// The set type of a field declared as a list.
pub fn set_type(ty: Type) -> Type {
    match ty {
        Type::List(element) => Type::Set(element),
        other => other,
    }
}

/// The set value of a field declared as a list.
pub fn into_set(value: Value) -> Value {
    match value {
        Value::List(elements) => Value::Set(elements),
        other => other,
    }
}

/// How a `block` field nests: by its type (`Option<M>` single, `Vec<M>` list), or a set.
pub enum BlockKind {
    Auto,
    Set,
}

/// The type of a `block` field: one model, optional, or a collection of them.
pub trait BlockField {
    const NESTING: Nesting;
    fn block(description: &str) -> Block;
}

impl<M: Model> BlockField for Option<M> {
    const NESTING: Nesting = Nesting::Single;
    fn block(description: &str) -> Block {
        M::block(description)
    }
}

impl<M: Model> BlockField for Vec<M> {
    const NESTING: Nesting = Nesting::List;
    fn block(description: &str) -> Block {
        M::block(description)
    }
}

pub fn nested_block<F: BlockField>(name: &str, description: &str, kind: BlockKind) -> NestedBlock {
    let nesting = match kind {
        BlockKind::Auto => F::NESTING,
        BlockKind::Set => Nesting::Set,
    };
    NestedBlock { type_name: name.to_string(), block: F::block(description), nesting, min_items: 0, max_items: 0 }
}

/// A description followed by the list of its elements' attributes, if it has one.
pub fn with_elements(description: String, elements: String) -> String {
    if elements.is_empty() { description } else { format!("{description}\n\n{elements}") }
}

/// "- `name`: what it is", one line per attribute.
pub fn bullet_list(fields: &[(&str, &str)]) -> String {
    fields.iter().map(|(name, doc)| format!("- `{name}`: {doc}")).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::identity;

    /// One element of a listed collection.
    #[derive(Model)]
    struct Element {
        /// Key of the element.
        #[tf(computed)]
        key: String,
        /// Count, if known.
        #[tf(computed)]
        count: Option<u64>,
    }

    /// A block of settings.
    #[derive(Model)]
    struct Settings {
        /// Whether it is on.
        #[tf(optional)]
        enabled: Option<bool>,
    }

    #[derive(Model)]
    struct Example {
        /// `<owner>/<name>`, also the import ID.
        #[tf(computed, import)]
        id: String,
        /// The owner.
        #[tf(required, force_new, identity)]
        owner: u64,
        /// The name.
        #[tf(required, force_new, identity)]
        name: String,
        /// A secret.
        #[tf(optional, sensitive)]
        token: Option<String>,
        #[tf(optional, computed, description = format!("Mode, default {}.", "fast"))]
        mode: String,
        /// The elements, in the cloud's order.
        #[tf(computed)]
        elements: Vec<Element>,
        /// The tags.
        #[tf(optional, set)]
        tags: Vec<String>,
        /// Settings to apply.
        #[tf(block)]
        settings: Option<Settings>,
        /// One rule.
        #[tf(block, set)]
        rule: Vec<Element>,
        #[tf(block = NestedBlock::single("timeouts", Block::new("Time limits.")))]
        timeouts: Value,
    }

    fn example() -> Example {
        Example {
            id: "7/web".into(),
            owner: 7,
            name: "web".into(),
            token: None,
            mode: "fast".into(),
            elements: vec![Element { key: "a".into(), count: Some(2) }],
            tags: vec!["x".into()],
            settings: Some(Settings { enabled: Some(true) }),
            rule: vec![],
            timeouts: Value::Null,
        }
    }

    #[test]
    fn the_schema_comes_from_the_fields() {
        let block = Example::block("An example.");
        assert!(block.check("").is_empty(), "{:?}", block.check(""));
        assert_eq!(block.description, "An example.");
        let names: Vec<&str> = block.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["id", "owner", "name", "token", "mode", "elements", "tags"]);
        let owner = block.find_attribute("owner").unwrap();
        assert!(owner.required && owner.force_new && !owner.computed);
        assert_eq!(owner.ty, Type::Number);
        assert_eq!(owner.description, "The owner.");
        assert!(block.find_attribute("token").unwrap().sensitive);
        let mode = block.find_attribute("mode").unwrap();
        assert!(mode.optional && mode.computed);
        assert_eq!(mode.description, "Mode, default fast.");
        let elements = block.find_attribute("elements").unwrap();
        assert_eq!(elements.ty, Type::list(Type::object([("key", Type::String), ("count", Type::Number)])));
        assert_eq!(
            elements.description,
            "The elements, in the cloud's order.\n\n- `key`: Key of the element.\n- `count`: Count, if known."
        );
        assert_eq!(block.find_attribute("tags").unwrap().ty, Type::set(Type::String));
        let settings = block.find_block("settings").unwrap();
        assert_eq!(settings.nesting, Nesting::Single);
        assert_eq!(settings.block.description, "Settings to apply.");
        assert_eq!(block.find_block("rule").unwrap().nesting, Nesting::Set);
        assert_eq!(block.find_block("timeouts").unwrap().block.description, "Time limits.");
    }

    #[test]
    fn the_state_and_the_import_state_conform_to_the_schema() {
        let ty = Example::object_type();
        let state = example().to_value();
        state.conforms_to(&ty).unwrap();
        assert_eq!(state.attr("owner"), Some(&Value::from(7u64)));
        assert_eq!(state.attr("token"), Some(&Value::Null));
        assert_eq!(state.attr("tags"), Some(&Value::Set(vec![Value::from("x")])));
        assert_eq!(state.attr("settings").and_then(|s| s.attr("enabled")), Some(&Value::from(true)));
        let imported = example().import_state();
        imported.conforms_to(&ty).unwrap();
        let Value::Object(fields) = &imported else { panic!("{imported:?}") };
        for (name, value) in fields {
            let kept = ["id", "owner", "name"].contains(&name.as_str());
            assert_eq!(value.is_null(), !kept, "{name}");
        }
    }

    #[test]
    fn identity_follows_the_field_order_and_types() {
        let names: Vec<(&str, IdentityType)> = Example::IDENTITY.iter().map(|a| (a.name, a.ty)).collect();
        assert_eq!(names, [("owner", IdentityType::Number), ("name", IdentityType::String)]);
        let state = example().to_value();
        let id = identity::from_state(Example::IDENTITY, &state).unwrap();
        assert_eq!(identity::import_id(Example::IDENTITY, &id).unwrap(), "7/web");
        assert_eq!(Example::OWNER, "owner");
    }
}
