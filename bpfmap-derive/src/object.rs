//! `check_object!("prog.bpf.o")`: reads a clang-built BPF object at compile time and checks each
//! of its maps against the `#[bpf_map]` declaration of the same kernel name in the module.
//!
//! How a map finds its declaration: `#[bpf_map]` names the registry entry it leaves beside
//! the struct, a `static Declaration`, after the kernel name ([`lookup_ident`]).
//! `check_object!` refers to that name, and brings a fallback of the same name into the module
//! by a glob import: an item declared in a module shadows a glob import, so the declaration's
//! entry wins where there is one, and the fallback (no declaration) where there is none. The
//! comparison is `const` evaluation of `bpfmap::object::check_map`, whose panic is the compile
//! error, on the path's tokens.

use std::path::{Path, PathBuf};

use bpfmap_runtime::btf::{Btf, TypeData};
use bpfmap_runtime::object::{Object, ObjectMap, suggest_declaration};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::{Expr, ExprLit, ExprMacro, Lit, LitStr};

/// The registry entry that `#[bpf_map]` declares for kernel name `name`, and that
/// `check_object!` looks up. Kernel names are `[A-Za-z0-9_.]`; a `.` is spelled out.
pub(crate) fn lookup_ident(name: &str, span: Span) -> syn::Ident {
    format_ident!("__bpf_map_named_{}", name.replace('.', "__dot__"), span = span)
}

/// The macro's input: the object's path, as a literal, `env!("VAR")`, or a `concat!` of those
/// (as `include_bytes!` takes it: `concat!(env!("OUT_DIR"), "/prog.bpf.o")`).
struct PathInput {
    expr: Expr,
}

impl Parse for PathInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<PathInput> {
        let expr: Expr = input.parse()?;
        let _: Option<syn::Token![,]> = input.parse()?;
        if !input.is_empty() {
            return Err(input.error("check_object! takes one path: check_object!(\"prog.bpf.o\")"));
        }
        Ok(PathInput { expr })
    }
}

/// The path `expr` spells, with `env!` read now (as rustc would for `include_bytes!`), and the
/// path as messages show it: `$OUT_DIR/prog.bpf.o`, the same on every machine.
fn evaluate(expr: &Expr) -> syn::Result<(String, String)> {
    match expr {
        Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Ok((s.value(), s.value())),
        Expr::Macro(ExprMacro { mac, .. }) if mac.path.is_ident("env") => {
            let var: LitStr = mac.parse_body()?;
            let value = std::env::var(var.value()).map_err(|_| {
                syn::Error::new_spanned(
                    &var,
                    format!("environment variable `{}` is not set at compile time", var.value()),
                )
            })?;
            Ok((value, format!("${}", var.value())))
        }
        Expr::Macro(ExprMacro { mac, .. }) if mac.path.is_ident("concat") => {
            let parts =
                mac.parse_body_with(syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated)?;
            let mut path = String::new();
            let mut shown = String::new();
            for part in &parts {
                let (value, display) = evaluate(part)?;
                path.push_str(&value);
                shown.push_str(&display);
            }
            Ok((path, shown))
        }
        other => Err(syn::Error::new_spanned(
            other,
            "check_object! takes a string literal, `env!(\"VAR\")` or `concat!` of those, relative to the crate's directory",
        )),
    }
}

/// `check_object!(path)`.
pub(crate) fn check_object(input: TokenStream) -> TokenStream {
    match expand(input) {
        Ok(tokens) => tokens,
        Err(e) => e.to_compile_error(),
    }
}

fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let PathInput { expr } = syn::parse2(input)?;
    let (written, shown) = evaluate(&expr)?;
    let path = resolve(&written);
    let error = |what: String| syn::Error::new_spanned(&expr, what);
    let bytes =
        std::fs::read(&path).map_err(|e| error(format!("cannot read the BPF object {shown}: {e}")))?;
    let object = Object::parse(&bytes).map_err(|e| error(format!("{shown}: {e}")))?;
    let p = quote!(::bpfmap::__private);
    let span = expr_span(&expr);
    let end = quote::ToTokens::to_token_stream(&expr).into_iter().last().map_or(span, |t| t.span());
    let absolute = path.to_string_lossy().into_owned();

    let mut fallbacks = Vec::new();
    let mut checks = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for map in object.maps() {
        let name = map.kernel_name();
        let valid =
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
        if !valid {
            return Err(error(format!(
                "{shown}: map `{}` has a name no kernel map can have (ASCII letters, digits, `_` and `.` only)",
                map.name
            )));
        }
        if let Some(first) = object.maps().iter().find(|m| m.kernel_name() == name && seen.contains(&name)) {
            return Err(error(format!(
                "{shown}: maps `{}` and `{}` have one kernel name, `{name}` (the kernel keeps 15 bytes)",
                first.name, map.name
            )));
        }
        seen.push(name);
        let lookup = lookup_ident(name, Span::call_site());
        fallbacks.push(quote! {
            pub(super) use #p::object::UNDECLARED as #lookup;
        });
        let desc = map_desc(map, &object, &p);
        // rustc blames the `panic!` call, from its path to its arguments: spanned on the first
        // and last tokens of the path expression, the error underlines all of it.
        let panic_path = quote_spanned!(span=> ::core::panic!);
        let args = quote_spanned!(end=> ("{}", message.as_str()));
        let panic = quote!(#panic_path #args);
        checks.push(quote_spanned! {span=>
            const _: () = if let ::core::option::Option::Some(message) =
                #p::object::check_map(&#desc, #p::object::declared(&#lookup), #shown)
            {
                #panic
            };
        });
    }
    // One fallback module per object, named by a hash of its path: two calls in one module
    // do not collide.
    let module = format_ident!("__bpfmap_object_{:016x}", fnv(absolute.as_bytes()));
    Ok(quote! {
        // Rebuilds when the object changes: cargo tracks what `include_bytes!` reads.
        const _: &[u8] = ::core::include_bytes!(#absolute);
        #[doc(hidden)]
        #[allow(non_upper_case_globals, dead_code, unused_imports)]
        mod #module {
            #(#fallbacks)*
        }
        #[allow(unused_imports)]
        use #module::*;
        #(#checks)*
    })
}

/// `written`, relative to the crate being compiled (`CARGO_MANIFEST_DIR`) unless absolute.
fn resolve(written: &str) -> PathBuf {
    let path = Path::new(written);
    if path.is_absolute() {
        return path.to_path_buf();
    }
    match std::env::var_os("CARGO_MANIFEST_DIR") {
        Some(dir) => Path::new(&dir).join(path),
        None => path.to_path_buf(),
    }
}

/// Where the errors point: the whole path expression.
fn expr_span(expr: &Expr) -> Span {
    syn::spanned::Spanned::span(expr)
}

/// A stable 64-bit hash (FNV-1a) of a path, for a module name.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// `ObjectMapDesc { .. }` of `map`: its numbers, its types described, its template.
fn map_desc(map: &ObjectMap, object: &Object, p: &TokenStream) -> TokenStream {
    let ObjectMap {
        name,
        map_type,
        key_size,
        value_size,
        max_entries,
        flags,
        pinning,
        numa_node,
        map_extra,
        ..
    } = map;
    let ty = |id: Option<u32>| match (id, object.btf()) {
        (Some(id), Some(btf)) => {
            let desc = type_desc(btf, id, p, 0);
            quote!(::core::option::Option::Some(#desc))
        }
        _ => quote!(::core::option::Option::None),
    };
    let (key, value) = (ty(map.key_type), ty(map.value_type));
    let inner = match &map.inner {
        Some(inner) => {
            let inner = map_desc(inner, object, p);
            quote!(::core::option::Option::Some(&#inner))
        }
        None => quote!(::core::option::Option::None),
    };
    let suggestion = suggest_declaration(map, object.btf());
    quote! {
        #p::object::ObjectMapDesc {
            name: #name,
            numbers: #p::object::Numbers {
                map_type: #map_type,
                key_size: #key_size,
                value_size: #value_size,
                max_entries: #max_entries,
                flags: #flags,
                pinning: #pinning,
                numa_node: #numa_node,
                map_extra: #map_extra,
            },
            key: #key,
            value: #value,
            inner: #inner,
            suggestion: #suggestion,
        }
    }
}

/// A `&TypeDesc` for type `id` of the object's BTF, as the comparison reads it: typedefs kept
/// (the comparison skips them; their names are what C calls the type), qualifiers dropped,
/// and what Rust has no kind for (enums, unions, pointers, bitfields) behind a typedef that
/// names it in C.
fn type_desc(btf: &Btf, id: u32, p: &TokenStream, depth: u32) -> TokenStream {
    let td = quote!(#p::TypeDesc);
    let named = |name: String, inner: TokenStream| quote!(&#td::Typedef { name: #name, ty: #inner });
    let nothing = |size: u32| quote!(&#td::Struct { name: "", size: #size, members: &[] });
    if depth >= bpfmap_runtime::btf::MAX_DEPTH {
        return quote!(&#td::Opaque { size: 0 });
    }
    let Ok(t) = btf.type_by_id(id) else { return named(format!("type {id} (not in the BTF)"), nothing(0)) };
    let name = btf.str_at(t.name_off).unwrap_or("").to_string();
    let size = btf.size_of(id).unwrap_or(0);
    match &t.data {
        TypeData::Int { size, encoding, bits, bit_offset } => {
            if u32::from(*bits) == size * 8 && *bit_offset == 0 {
                let signed = encoding.is_signed();
                quote!(&#td::Int { name: #name, size: #size, signed: #signed })
            } else {
                named(format!("{name}:{bits}"), nothing(*size))
            }
        }
        TypeData::Float { size } => quote!(&#td::Float { name: #name, size: #size }),
        TypeData::Enum { size, .. } | TypeData::Enum64 { size, .. } => named(
            format!("enum {}", if name.is_empty() { "(anon)" } else { &name }),
            quote!(&#td::Opaque { size: #size }),
        ),
        TypeData::Typedef { ty } => {
            let inner = type_desc(btf, *ty, p, depth + 1);
            named(name, inner)
        }
        TypeData::Const { ty }
        | TypeData::Volatile { ty }
        | TypeData::Restrict { ty }
        | TypeData::TypeTag { ty } => type_desc(btf, *ty, p, depth + 1),
        TypeData::Array { elem, nr_elems, .. } => {
            let elem = type_desc(btf, *elem, p, depth + 1);
            quote!(&#td::Array { elem: #elem, len: #nr_elems })
        }
        TypeData::Struct { size, members } => {
            let members = members.iter().map(|m| {
                let member = btf.str_at(m.name_off).unwrap_or("").to_string();
                let offset = m.bit_offset / 8;
                let ty = if m.bitfield_size != 0 || m.bit_offset % 8 != 0 {
                    let c = btf.str_at(btf.type_by_id(m.ty).map_or(0, |t| t.name_off)).unwrap_or("");
                    named(format!("{c}:{} (a bitfield)", m.bitfield_size), nothing(0))
                } else {
                    type_desc(btf, m.ty, p, depth + 1)
                };
                quote!(#p::Member { name: #member, offset: #offset, ty: #ty })
            });
            quote!(&#td::Struct { name: #name, size: #size, members: &[#(#members),*] })
        }
        TypeData::Union { size, .. } => named(format!("union {name}"), nothing(*size)),
        TypeData::Ptr { .. } => named("a pointer".to_string(), nothing(8)),
        _ => named(format!("`{name}`"), nothing(size)),
    }
}
