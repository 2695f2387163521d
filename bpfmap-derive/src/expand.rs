//! Emitting the marker type, its `MapDecl` impl, its registry entry and the `const` checks.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::DeriveInput;
use syn::spanned::Spanned;

use crate::ast::MapStruct;
use crate::attr::MapAttr;
use crate::errors::Errors;
use crate::valid::Model;

pub(crate) fn bpf_map(args: TokenStream, item: TokenStream) -> TokenStream {
    let input = match syn::parse2::<DeriveInput>(item.clone()) {
        Ok(input) => input,
        Err(_) => {
            let error = syn::Error::new(
                Span::call_site(),
                "#[bpf_map] goes on a struct: `struct Flows { key: K, value: V }`",
            )
            .to_compile_error();
            return quote!(#error #item);
        }
    };
    let mut errors = Errors::default();
    let attr = MapAttr::parse(args, &mut errors);
    let st = MapStruct::from_syn(&input, &mut errors);
    let model = Model::new(attr, st, &mut errors);
    if errors.is_empty() { expand(&model) } else { fallback(&model, &errors) }
}

/// The marker struct, with the user's attributes and visibility, and no fields.
fn marker(model: &Model<'_>) -> TokenStream {
    let MapStruct { attrs, vis, ident, .. } = &model.st;
    quote! {
        #(#attrs)*
        #vis struct #ident;
    }
}

/// `type Key = K;`, spanned on the user's type so a type that is not `Pod` is blamed there.
fn assoc_type(name: &str, field: Option<&crate::ast::Field<'_>>) -> TokenStream {
    let name = format_ident!("{name}");
    match field {
        Some(f) => {
            let ty = f.ty;
            quote_spanned!(ty.span()=> type #name = #ty;)
        }
        None => quote!(type #name = ();),
    }
}

fn expand(model: &Model<'_>) -> TokenStream {
    let krate = &model.krate;
    let p = quote!(#krate::__private);
    let ident = model.st.ident;
    let rules = model.rules.expect("a model without errors has a type");
    let raw = rules.map_type.raw();
    let family = format_ident!("{}", rules.family.marker());
    let size = |field: Option<&crate::ast::Field<'_>>| match field {
        Some(f) => {
            let ty = f.ty;
            quote!(#p::size_u32(::core::mem::size_of::<#ty>()))
        }
        None => quote!(0),
    };
    let key_size = size(model.st.key.as_ref());
    let value_size = size(model.st.value.as_ref());
    let key_type = assoc_type("Key", model.st.key.as_ref());
    let value_type = assoc_type("Value", model.st.value.as_ref());
    let max_entries = &model.max_entries.tokens;
    let bits = model.flags.value.bits();
    let name = &model.name.value;
    let mut def = quote! {
        #p::MapDef::new(#p::MapType::from_raw(#raw), #key_size, #value_size, #max_entries)
            .with_flags(#p::MapFlags::from_bits_retain(#bits))
            .with_name(#p::MapName::new(#name))
    };
    if let Some(node) = &model.numa_node {
        let tokens = &node.tokens;
        def.extend(quote!(.with_numa_node(#tokens)));
    }
    if let Some(extra) = &model.map_extra {
        let tokens = &extra.tokens;
        def.extend(quote!(.with_map_extra(#tokens)));
    }
    if let Some(inner) = &model.inner {
        def.extend(quote_spanned!(inner.span()=> .with_inner(&<#inner as #p::MapDecl>::DEF)));
    }
    if model.pinned {
        def.extend(quote!(.with_pinning(#p::Pinning::ByName)));
    }

    let marker = marker(model);
    let here = ident.span();
    let line = quote_spanned!(here=> ::core::line!());
    let column = quote_spanned!(here=> ::core::column!());
    let rust_name = ident.to_string();
    let checks = const_checks(model, &p);
    quote! {
        #marker

        const _: () = {
            #[automatically_derived]
            impl #p::MapDecl for #ident {
                #key_type
                #value_type
                type Family = #p::family::#family;
                const DEF: #p::MapDef = #def;
                fn declaration() -> &'static #p::Declaration {
                    &__BPFMAP_DECLARATION
                }
            }

            #[#p::linkme::distributed_slice(#p::DECLARATIONS)]
            #[linkme(crate = #p::linkme)]
            static __BPFMAP_DECLARATION: #p::Declaration = #p::Declaration::new(
                <#ident as #p::MapDecl>::DEF,
                #rust_name,
                ::core::module_path!(),
                ::core::file!(),
                #line,
                #column,
            );

            #checks
        };
    }
}

/// One `const` per attribute that evaluates the rule book on the definition and panics with
/// the broken rule, spanned on that attribute's tokens: the error of `key: u64` in an array
/// points at `u64`.
fn const_checks(model: &Model<'_>, p: &TokenStream) -> TokenStream {
    let ident = model.st.ident;
    let or_ident = |span: Option<Span>| span.unwrap_or_else(|| ident.span());
    let subjects = [
        ("Type", model.type_span),
        ("Key", or_ident(model.st.key.as_ref().map(|f| f.ty.span()))),
        ("Value", or_ident(model.st.value.as_ref().map(|f| f.ty.span()))),
        ("MaxEntries", model.max_entries.span),
        ("Flags", model.flags.span),
        ("NumaNode", or_ident(model.numa_node.as_ref().map(|v| v.span))),
        ("MapExtra", or_ident(model.map_extra.as_ref().map(|v| v.span))),
        ("Name", model.name.span),
        ("Inner", or_ident(model.inner.as_ref().map(|i| i.span()))),
    ];
    subjects
        .into_iter()
        .map(|(subject, span)| {
            let subject = format_ident!("{subject}");
            quote_spanned! {span=>
                const _: () = if let ::core::option::Option::Some(rule) =
                    #p::violation(&<#ident as #p::MapDecl>::DEF, #p::Subject::#subject)
                {
                    ::core::panic!("{}", rule)
                };
            }
        })
        .collect()
}

/// On error: the errors, and the marker with a `MapDecl` impl that registers nothing, so that
/// the rest of the program still type-checks and one mistake gives one error.
fn fallback(model: &Model<'_>, errors: &Errors) -> TokenStream {
    let krate = &model.krate;
    let p = quote!(#krate::__private);
    let ident = model.st.ident;
    let family = format_ident!("{}", model.rules.map_or("Untyped", |r| r.family.marker()));
    let key_type = assoc_type("Key", model.st.key.as_ref());
    let value_type = assoc_type("Value", model.st.value.as_ref());
    let marker = marker(model);
    let errors = errors.to_compile_errors();
    let rust_name = ident.to_string().into_token_stream();
    quote! {
        #errors
        #marker

        const _: () = {
            impl #p::MapDecl for #ident {
                #key_type
                #value_type
                type Family = #p::family::#family;
                const DEF: #p::MapDef = #p::MapDef::new(#p::MapType::UNSPEC, 0, 0, 0);
                fn declaration() -> &'static #p::Declaration {
                    static UNREGISTERED: #p::Declaration = #p::Declaration::new(
                        #p::MapDef::new(#p::MapType::UNSPEC, 0, 0, 0), #rust_name, "", "", 0, 0);
                    &UNREGISTERED
                }
            }
        };
    }
}
