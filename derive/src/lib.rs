//! `#[derive(Model)]`: a resource's or data source's attributes declared once, on a struct, the
//! way terraform-plugin-framework binds a model struct to its schema with `tfsdk` tags. From the
//! one declaration come the schema (`Model::attributes`, `Model::blocks`), the state object
//! (`Model::to_value`), the bare import state, the identity and the element lists in the docs.
//!
//! ```ignore
//! #[derive(Model)]
//! struct State {
//!     /// UIN of the member account.
//!     #[tf(required, force_new, identity)]
//!     member_uin: u64,
//!     /// Name of the policy.
//!     #[tf(computed)]
//!     policy_name: String,
//! }
//! ```
//!
//! Field options inside `#[tf(...)]`:
//! - `required`, `optional`, `computed` (optional and computed may be combined), `force_new`,
//!   `sensitive`, `default = <Value expr>`: the attribute's schema flags;
//! - `identity`: part of the resource identity, in field order (the import ID's order);
//! - `import`: kept in the bare state `import` returns besides the identity (every other
//!   attribute and block is null there, for the refresh after import to fill in);
//! - `set`: a `Vec` field is a set rather than a list;
//! - `ty = <Type expr>`: the cty type of a field kept as a raw `Value`;
//! - `block`: a nested block of the field's model (`Option<M>` is a single block, `Vec<M>` a
//!   list, or with `set` a set); `block = <NestedBlock expr>` gives the whole nested block
//!   schema (such as the `timeouts` block) of a field kept as a raw `Value`;
//! - `description = <expr>`: the description, when the doc comment cannot say it (it needs a
//!   constant). Otherwise the field's doc comment is the description.
//!
//! The generated code names `crate::framework`, so it is used inside the tether crate only.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::{format_ident, quote};
use syn::ext::IdentExt;
use syn::{Data, DeriveInput, Expr, Fields, LitStr, parse_macro_input};

#[proc_macro_derive(Model, attributes(tf))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

/// What `#[tf(...)]` and the doc comment say about one field.
#[derive(Default)]
struct FieldSpec {
    required: bool,
    optional: bool,
    computed: bool,
    force_new: bool,
    sensitive: bool,
    identity: bool,
    import: bool,
    set: bool,
    block: Option<Option<Expr>>,
    default: Option<Expr>,
    ty: Option<Expr>,
    description: Option<Expr>,
    doc: String,
}

fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    let name = &input.ident;
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(name, "Model is derived for structs with named fields"));
    };
    let Fields::Named(fields) = &data.fields else {
        return Err(syn::Error::new_spanned(name, "Model is derived for structs with named fields"));
    };

    let fw = quote!(crate::framework);
    let mut attributes = Vec::new();
    let mut blocks = Vec::new();
    let mut values = Vec::new();
    let mut identity = Vec::new();
    let mut kept = Vec::new();
    let mut bullets = Vec::new();
    let mut names = Vec::new();

    for field in &fields.named {
        let ident = field.ident.as_ref().expect("named field");
        let ty = &field.ty;
        // `r#type` is the attribute `type`.
        let attr_name = ident.unraw().to_string();
        let spec = parse_field(field)?;
        let constant = format_ident!("{}", attr_name.to_uppercase());
        names.push(quote! { pub const #constant: &'static str = #attr_name; });

        let description = match &spec.description {
            Some(expr) => quote! { ::std::string::ToString::to_string(&(#expr)) },
            None => {
                let doc = &spec.doc;
                quote! { ::std::string::String::from(#doc) }
            }
        };
        let value = if spec.ty.is_some() || matches!(spec.block, Some(Some(_))) {
            quote! { ::std::clone::Clone::clone(&self.#ident) }
        } else if spec.set {
            quote! { #fw::model::into_set(<#ty as #fw::model::Field>::to_cty(&self.#ident)) }
        } else {
            quote! { <#ty as #fw::model::Field>::to_cty(&self.#ident) }
        };
        values.push(quote! { (#attr_name.to_string(), #value) });
        if spec.identity || spec.import {
            kept.push(attr_name.clone());
        }

        match &spec.block {
            Some(Some(expr)) => {
                if spec.required || spec.optional || spec.computed || spec.identity || spec.set {
                    return Err(syn::Error::new_spanned(
                        ident,
                        "`block = ...` gives the whole block: no other options",
                    ));
                }
                blocks.push(quote! { #expr });
            }
            Some(None) => {
                let nesting = if spec.set { quote!(Set) } else { quote!(Auto) };
                blocks.push(quote! {
                    #fw::model::nested_block::<#ty>(#attr_name, &#description, #fw::model::BlockKind::#nesting)
                });
            }
            None => {
                let cty = match (&spec.ty, spec.set) {
                    (Some(expr), _) => quote! { #expr },
                    (None, true) => quote! { #fw::model::set_type(<#ty as #fw::model::Field>::cty()) },
                    (None, false) => quote! { <#ty as #fw::model::Field>::cty() },
                };
                let constructor = match (spec.required, spec.optional, spec.computed) {
                    (true, false, false) => quote!(required),
                    (false, true, false) => quote!(optional),
                    (false, false, true) => quote!(computed),
                    (false, true, true) => quote!(optional_computed),
                    _ if spec.default.is_some() => quote!(optional_computed),
                    _ => {
                        return Err(syn::Error::new_spanned(
                            ident,
                            "an attribute is exactly one of `required`, `optional` or `computed` (optional may be computed)",
                        ));
                    }
                };
                let elements = match spec.ty {
                    Some(_) => quote! { ::std::string::String::new() },
                    None => quote! { <#ty as #fw::model::Field>::elements() },
                };
                let mut attribute = quote! {
                    #fw::Attribute::#constructor(#attr_name, #cty).description(&#fw::model::with_elements(#description, #elements))
                };
                if spec.force_new {
                    attribute = quote! { #attribute.force_new() };
                }
                if spec.sensitive {
                    attribute = quote! { #attribute.sensitive() };
                }
                if let Some(default) = &spec.default {
                    attribute = quote! { #attribute.default(#default) };
                }
                attributes.push(attribute);
                let doc = &spec.doc;
                bullets.push(quote! { (#attr_name, #doc) });
            }
        }

        if spec.identity {
            let doc = &spec.doc;
            identity.push(quote! {
                #fw::identity::IdentityAttribute {
                    name: #attr_name,
                    ty: match <#ty as #fw::model::Field>::IDENTITY_TYPE {
                        ::std::option::Option::Some(ty) => ty,
                        ::std::option::Option::None => panic!("an identity attribute is a string or a number"),
                    },
                    description: #doc,
                }
            });
        }
    }

    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        #[allow(dead_code)]
        impl #impl_generics #name #ty_generics #where_clause {
            #(#names)*
        }

        impl #impl_generics #fw::model::Model for #name #ty_generics #where_clause {
            const IDENTITY: &'static [#fw::identity::IdentityAttribute] = &[#(#identity),*];
            const KEPT_ON_IMPORT: &'static [&'static str] = &[#(#kept),*];

            fn attributes() -> ::std::vec::Vec<#fw::Attribute> {
                vec![#(#attributes),*]
            }

            fn blocks() -> ::std::vec::Vec<#fw::NestedBlock> {
                vec![#(#blocks),*]
            }

            fn to_value(&self) -> #fw::Value {
                #fw::Value::Object(::std::collections::BTreeMap::from([#(#values),*]))
            }

            fn field_docs() -> &'static [(&'static str, &'static str)] {
                &[#(#bullets),*]
            }
        }

        impl #impl_generics #fw::model::Field for #name #ty_generics #where_clause {
            fn cty() -> #fw::Type {
                <Self as #fw::model::Model>::object_type()
            }
            fn to_cty(&self) -> #fw::Value {
                <Self as #fw::model::Model>::to_value(self)
            }
            fn elements() -> ::std::string::String {
                #fw::model::bullet_list(<Self as #fw::model::Model>::field_docs())
            }
        }
    })
}

fn parse_field(field: &syn::Field) -> syn::Result<FieldSpec> {
    let mut spec = FieldSpec::default();
    let mut doc = Vec::new();
    for attr in &field.attrs {
        if attr.path().is_ident("doc") {
            if let syn::Meta::NameValue(meta) = &attr.meta {
                if let Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(text), .. }) = &meta.value {
                    let line = text.value();
                    doc.push(line.strip_prefix(' ').unwrap_or(&line).trim_end().to_string());
                }
            }
            continue;
        }
        if !attr.path().is_ident("tf") {
            continue;
        }
        attr.parse_nested_meta(|meta| {
            let flag = |slot: &mut bool| {
                *slot = true;
                Ok(())
            };
            let key = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
            match key.as_str() {
                "required" => flag(&mut spec.required),
                "optional" => flag(&mut spec.optional),
                "computed" => flag(&mut spec.computed),
                "force_new" => flag(&mut spec.force_new),
                "sensitive" => flag(&mut spec.sensitive),
                "identity" => flag(&mut spec.identity),
                "import" => flag(&mut spec.import),
                "set" => flag(&mut spec.set),
                "block" => {
                    spec.block =
                        Some(if meta.input.peek(syn::Token![=]) { Some(meta.value()?.parse()?) } else { None });
                    Ok(())
                }
                "default" => {
                    spec.default = Some(meta.value()?.parse()?);
                    Ok(())
                }
                "ty" => {
                    spec.ty = Some(meta.value()?.parse()?);
                    Ok(())
                }
                "description" => {
                    let value = meta.value()?;
                    spec.description = Some(if value.peek(LitStr) {
                        let text: LitStr = value.parse()?;
                        syn::parse_quote!(#text)
                    } else {
                        value.parse()?
                    });
                    Ok(())
                }
                _ => Err(meta.error("unknown tf option")),
            }
        })?;
    }
    spec.doc = doc.join("\n").trim().to_string();
    Ok(spec)
}
