//! The struct under `#[bpf_map]`: its name, visibility, attributes and `key`/`value` fields.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Fields, Ident, Type, Visibility};

use crate::errors::Errors;

/// A `key` or `value` field.
pub(crate) struct Field<'a> {
    pub name: &'a Ident,
    pub ty: &'a Type,
}

/// The annotated struct, borrowed.
pub(crate) struct MapStruct<'a> {
    pub attrs: &'a [Attribute],
    pub vis: &'a Visibility,
    pub ident: &'a Ident,
    pub key: Option<Field<'a>>,
    pub value: Option<Field<'a>>,
    /// Whether `key` and `value` are known: false for an enum, a union or a tuple struct,
    /// whose error is enough without also "missing `key`".
    pub fields_known: bool,
}

impl<'a> MapStruct<'a> {
    /// Reads the struct; shape errors go to `errors`.
    pub fn from_syn(input: &'a DeriveInput, errors: &mut Errors) -> MapStruct<'a> {
        let mut s = MapStruct {
            attrs: &input.attrs,
            vis: &input.vis,
            ident: &input.ident,
            key: None,
            value: None,
            fields_known: false,
        };
        const GENERIC: &str =
            "a #[bpf_map] struct cannot be generic: it declares one map, whose key and value types are fixed";
        if !input.generics.params.is_empty() {
            errors.push(syn::Error::new_spanned(&input.generics.params, GENERIC));
        } else if let Some(where_clause) = &input.generics.where_clause {
            errors.push(syn::Error::new_spanned(where_clause, GENERIC));
        }
        let fields = match &input.data {
            Data::Struct(data) => &data.fields,
            Data::Enum(e) => {
                errors.push(syn::Error::new(e.enum_token.span, ENUM_OR_UNION));
                return s;
            }
            Data::Union(u) => {
                errors.push(syn::Error::new(u.union_token.span, ENUM_OR_UNION));
                return s;
            }
        };
        match fields {
            Fields::Named(named) => {
                s.fields_known = true;
                for field in &named.named {
                    let Some(name) = &field.ident else { continue };
                    let slot = match name.to_string().as_str() {
                        "key" => &mut s.key,
                        "value" => &mut s.value,
                        other => {
                            errors.push(syn::Error::new(
                                name.span(),
                                format!("unexpected field `{other}`: a #[bpf_map] struct has only `key` and `value` fields, whose types are the map's key and value"),
                            ));
                            continue;
                        }
                    };
                    if slot.is_some() {
                        // The marker type has no fields, so rustc would never see the duplicate.
                        errors
                            .push(syn::Error::new(name.span(), format!("field `{name}` is declared twice")));
                        continue;
                    }
                    *slot = Some(Field { name, ty: &field.ty });
                }
            }
            Fields::Unnamed(unnamed) => errors.push(syn::Error::new(
                unnamed.span(),
                "a #[bpf_map] struct has named fields: `struct Flows { key: K, value: V }`",
            )),
            Fields::Unit => s.fields_known = true,
        }
        s
    }

    /// Where to point when something about the whole struct is wrong.
    pub fn span(&self) -> Span {
        self.ident.span()
    }
}

const ENUM_OR_UNION: &str =
    "#[bpf_map] declares a map with a struct: `struct Flows { key: K, value: V }`, not an enum or a union";
