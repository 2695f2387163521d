//! Emitting the marker type, its `MapDecl` impl, its registry entry and the `const` checks.

use bpfmap_runtime::rules::{MapType, Subject, TypeRules};
use proc_macro2::{Literal, Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::DeriveInput;
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use crate::ast::MapStruct;
use crate::attr::MapAttr;
use crate::errors::Errors;
use crate::valid::{Model, Value};

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
    match model.rules {
        Some(rules) if errors.is_empty() => expand(&model, rules),
        rules => {
            // Every path to a model without a type reports why; should one not, the map must
            // still not be silently left unregistered.
            if rules.is_none() && errors.is_empty() {
                errors.push(syn::Error::new(
                    Span::call_site(),
                    "#[bpf_map] could not resolve the map's `type`",
                ));
            }
            fallback(&model, &errors)
        }
    }
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

fn expand(model: &Model<'_>, rules: &TypeRules) -> TokenStream {
    let krate = &model.krate;
    let p = quote!(#krate::__private);
    let ident = model.st.ident;
    let raw = rules.map_type.raw();
    let family = format_ident!("{}", rules.family.marker());
    let key_type = assoc_type("Key", model.st.key.as_ref());
    let value_type = assoc_type("Value", model.st.value.as_ref());
    let max_entries = &model.max_entries.tokens;
    let bits = model.flags.value.bits();
    let name = &model.name.value;
    let mut def = quote! {
        #p::MapDef::new(#p::MapType::from_raw(#raw), 0, 0, #max_entries)
            .with_types_of::<#ident>()
            .with_name(#p::MapName::new(#name))
    };
    // `MapDef::new` has no flags: every call the declaration does without is code rustc reads,
    // type-checks and evaluates no more.
    if bits != 0 {
        def.extend(quote!(.with_flags(#p::MapFlags::from_bits_retain(#bits))));
    }
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
    let rust_name = ident.unraw().to_string();
    let checks = const_checks(model, &p);
    let entry = registry_entry(model);
    let section = bpfmap_runtime::REGISTRY_SECTION;
    // Items of the module rather than of an anonymous `const` block: each item is work for
    // rustc (one more to lower, hash and check), and a program may declare hundreds of maps.
    // The one named item besides the struct is the registry entry, named after the kernel name.
    quote! {
        #marker

        #[automatically_derived]
        // DEF's sizes are the sizes of `Key` and `Value` (asserted below with `core` alone,
        // whatever `crate = ...` names); `Family` is the rule book's family of the declared type.
        // SAFETY: as above, and `declaration()` is the registry entry made from DEF.
        unsafe impl #p::MapDecl for #ident {
            #key_type
            #value_type
            type Family = #p::family::#family;
            const DEF: #p::MapDef = #def;
            fn declaration() -> &'static #p::Declaration {
                &#entry
            }
        }

        // The registry's entry: the linker gathers these statics into one section, which the
        // runtime reads as a slice.
        #[allow(non_upper_case_globals)]
        #[used]
        #[unsafe(link_section = #section)]
        static #entry: #p::Declaration = #p::Declaration::new(
            <#ident as #p::MapDecl>::DEF,
            #rust_name,
            ::core::module_path!(),
            ::core::file!(),
            #line,
            #column,
        );

        #checks
    }
}

/// One `const` per attribute that evaluates the rule book on the definition and panics with
/// the broken rule, spanned on that attribute's tokens: the error of `key: u64` in an array
/// points at `u64`.
fn const_checks(model: &Model<'_>, p: &TokenStream) -> TokenStream {
    let ident = model.st.ident;
    let whole = |span: Span| (span, span);
    let value = |v: &Value| (v.span, v.end);
    // Only what the tokens could not show: the sizes, and numbers given as expressions. The
    // rest was checked on its tokens with the same rule book before expansion.
    let mut subjects = vec![
        (Subject::Key, model.st.key.as_ref().map_or(whole(ident.span()), |f| range(f.ty))),
        (Subject::Value, model.st.value.as_ref().map_or(whole(ident.span()), |f| range(f.ty))),
        // A value's lock and the `flags` that refuse it: a rule of the types, told on `flags`.
        (Subject::Flags, whole(model.flags.span)),
    ];
    for (subject, number) in [
        (Subject::MaxEntries, Some(&model.max_entries)),
        (Subject::NumaNode, model.numa_node.as_ref()),
        (Subject::MapExtra, model.map_extra.as_ref()),
    ] {
        if let Some(number) = number.filter(|n| n.known.is_none()) {
            subjects.push((subject, value(number)));
        }
    }
    if let Some(inner) = &model.inner {
        subjects.push((Subject::Inner, range(inner)));
    }
    // As the kernel will receive it: a perf_event_array's `max_entries` 0 becomes the CPU count.
    // Every other definition is its own resolution, and is not asked for one.
    let resolves = model.rules.is_some_and(|r| r.map_type == MapType::PERF_EVENT_ARRAY)
        && model.max_entries.known.is_none_or(|n| n == 0);
    let def = match resolves {
        true => quote!(&<#ident as #p::MapDecl>::DEF.resolve_for(&#p::rules::HostLimits::ASSUMED)),
        false => quote!(&<#ident as #p::MapDecl>::DEF),
    };
    // When the sizes are all the tokens could not show, only their rules run: rustc's const
    // interpreter is slow, and a program may declare hundreds of maps.
    let verdict = match subjects.len() {
        3 => quote!(#p::size_violation(def)),
        _ => quote!(#p::violation(def)),
    };
    let mut arms = TokenStream::new();
    for (subject, (start, end)) in subjects {
        // The verdict names its subject by number: `Subject as u8`, here and in the runtime.
        let code = Literal::u8_unsuffixed(subject as u8);
        let panic = panic_spanned(Some(p), start, end, quote!(rule));
        arms.extend(match (subject, &model.inner) {
            // An invalid template has its own error at its own declaration; repeating it on
            // `inner = Template` would be a second error for one mistake.
            (Subject::Inner, Some(inner)) => quote! {
                (#code, rule) if #p::MapDef::validate(&<#inner as #p::MapDecl>::DEF).is_ok() => #panic,
                (#code, _) => {}
            },
            _ => quote!((#code, rule) => #panic,),
        });
    }
    let sizes = size_assertion(model);
    let anywhere = panic_spanned(Some(p), Span::call_site(), Span::call_site(), quote!(rule));
    // One evaluation of the rule book per declaration; the arm that panics decides where the
    // error points. The last arm, a rule the token checks should have caught, points at the
    // attribute (belt and braces). The size assertion shares the `const`: each item is one
    // more body for rustc to check, and a program may declare hundreds of maps.
    quote! {
        const _: () = {
            let def = #def;
            #sizes
            match #verdict {
                #arms
                (u8::MAX, _) => {}
                (_, rule) => #anywhere,
            }
        };
    }
}

/// A `const` panic with `message` (a `&str`), which rustc reports on the tokens from `start`
/// to `end`: it blames the call, from its path to its arguments (`1 << 28`, not just `1`).
/// `p` is the path to `__private`, whose `reject` panics where it is called; `None` for `core`
/// alone, whose `Option::expect` does the same.
fn panic_spanned(p: Option<&TokenStream>, start: Span, end: Span, message: TokenStream) -> TokenStream {
    match p {
        Some(p) => {
            // The whole path at `start`: rustc's span of the call starts where its path does.
            let mut reject: TokenStream = p.clone().into_iter().map(|t| respan(t, start)).collect();
            reject.extend(quote_spanned!(start=> ::reject));
            let args = quote_spanned!(end=> (#message));
            quote!(#reject #args)
        }
        None => {
            let none = quote_spanned!(start=> ::core::option::Option::<()>::None);
            let expect = quote_spanned!(end=> .expect(#message));
            quote!(#none #expect)
        }
    }
}

fn respan(mut token: TokenTree, span: Span) -> TokenTree {
    token.set_span(span);
    token
}

/// An assertion, in `core` terms only and inside the `const` of the checks (where `def` is the
/// definition), that the definition's key and value sizes are the declared types' sizes: a
/// `crate = path` whose `__private` computes sizes differently fails to compile here. (Sizes
/// above u32::MAX saturate in the definition, and the rule book refuses them on its own.)
fn size_assertion(model: &Model<'_>) -> TokenStream {
    let check = |field: Option<&crate::ast::Field<'_>>, size: TokenStream| match field {
        Some(f) => {
            let ty = f.ty;
            quote! {
                (::core::mem::size_of::<#ty>() > u32::MAX as usize
                    || def.#size as usize == ::core::mem::size_of::<#ty>())
            }
        }
        None => quote!((def.#size == 0)),
    };
    let key = check(model.st.key.as_ref(), quote!(key_size));
    let value = check(model.st.value.as_ref(), quote!(value_size));
    let message = quote!(
        "the definition's key or value size is not the size of its type: the `crate = ...` path must lead to bpfmap"
    );
    let panic = panic_spanned(None, Span::call_site(), Span::call_site(), message);
    quote! {
        if !(#key && #value) {
            #panic;
        }
    }
}

/// The spans of the first and last tokens of `tokens`.
fn range(tokens: impl ToTokens) -> (Span, Span) {
    let mut tokens = tokens.into_token_stream().into_iter();
    let start = tokens.next().map_or_else(Span::call_site, |t| t.span());
    let end = tokens.last().map_or(start, |t| t.span());
    (start, end)
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
    let rust_name = ident.unraw().to_string().into_token_stream();
    quote! {
        #errors
        #marker

        const _: () = {
            // SAFETY: emitted only beside a `compile_error!`: the crate does not compile, and this
            // impl exists so that one mistake gives one error, not fifty.
            unsafe impl #p::MapDecl for #ident {
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

/// The name of the registry entry. A named map's is the name by which `check_object!` finds
/// the declaration from its kernel name (see `object.rs`): two declarations of one name in a
/// module collide here, and rustc reports the name defined twice, at the second. An unnamed
/// map's is its struct's, which no kernel name's can be.
fn registry_entry(model: &Model<'_>) -> syn::Ident {
    if model.name.value.is_empty() {
        format_ident!("__bpf_map_unnamed_{}", model.st.ident.unraw())
    } else {
        crate::object::lookup_ident(&model.name.value, model.name.span)
    }
}

#[cfg(test)]
mod tests {
    use proc_macro2::{TokenStream, TokenTree};
    use quote::quote;

    /// The messages of the `compile_error!`s in `tokens`.
    fn errors(tokens: TokenStream) -> Vec<String> {
        let mut found = Vec::new();
        let mut tokens = tokens.into_iter();
        while let Some(token) = tokens.next() {
            match token {
                TokenTree::Ident(i) if i == "compile_error" => {
                    tokens.next(); // `!`
                    if let Some(TokenTree::Group(g)) = tokens.next() {
                        found.push(g.stream().to_string());
                    }
                }
                TokenTree::Group(g) => found.extend(errors(g.stream())),
                _ => {}
            }
        }
        found
    }

    fn bpf_map(args: TokenStream, item: TokenStream) -> Vec<String> {
        errors(super::bpf_map(args, item))
    }

    #[test]
    fn one_mistake_one_error() {
        let kv = quote!(
            struct Flows {
                key: u32,
                value: u64,
            }
        );
        assert_eq!(bpf_map(quote!(type = "hash"), kv.clone()).len(), 1);
        assert_eq!(bpf_map(quote!(type = "hash", max_entries = "8"), kv.clone()).len(), 1);
        assert_eq!(bpf_map(quote!(type = hash, max_entries = 8), kv.clone()).len(), 1);
        assert_eq!(bpf_map(quote!(type = "lpm_trie", max_entries = 8, flags = "no_prealoc"), kv).len(), 1);
        assert_eq!(
            bpf_map(
                quote!(type = "hash", max_entries = 8),
                quote!(
                    enum Flows {
                        A,
                    }
                )
            )
            .len(),
            1
        );
        assert_eq!(
            bpf_map(
                quote!(type = "array", max_entries = 8),
                quote!(
                    struct Counters;
                )
            )
            .len(),
            1
        );
        let arena = quote!(
            struct Heap;
        );
        assert_eq!(
            bpf_map(quote!(type = "arena", max_entries = 1048577, flags = "mmapable"), arena).len(),
            1
        );
    }

    #[test]
    fn valid_definitions_have_no_error() {
        let fd = quote!(
            struct Events {
                key: u32,
                value: u32,
            }
        );
        assert!(bpf_map(quote!(type = "perf_event_array"), fd).is_empty());
        assert!(
            bpf_map(
                quote!(type = "cgroup_storage"),
                quote!(
                    struct S {
                        key: u64,
                        value: u64,
                    }
                )
            )
            .is_empty()
        );
        assert!(
            bpf_map(
                quote!(type = "ringbuf", max_entries = 4096),
                quote!(
                    struct Log;
                )
            )
            .is_empty()
        );
    }

    #[test]
    fn every_mistake_of_an_attribute_is_reported() {
        let kv = quote!(
            struct Flows {
                key: u32,
                value: u64,
            }
        );
        let args = quote!(type = "array", max_entries = 0, flags = "no_prealloc", name = "a-b", colour = 1);
        assert_eq!(bpf_map(args, kv).len(), 4);
    }
}
