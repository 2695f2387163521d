//! Parsing `#[bpf_map(...)]` into `MapAttr`: every value with its span, every syntax error
//! collected.

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::spanned::Spanned;
use syn::{Expr, Lit, LitInt, Path};

use crate::errors::Errors;
use crate::suggest::closest;

/// A value and where it was written.
pub(crate) struct Sp<T> {
    pub value: T,
    pub span: Span,
}

/// A number: a literal the macro can check, or a `const` expression rustc evaluates.
pub(crate) enum Number {
    Lit(u64),
    Expr(Expr),
}

/// The attribute's arguments, as written.
#[derive(Default)]
pub(crate) struct MapAttr {
    pub map_type: Option<Sp<String>>,
    pub max_entries: Option<Sp<Number>>,
    /// The flag names of `flags = "a | b"`, and the literal's span.
    pub flags: Option<Sp<Vec<String>>>,
    pub name: Option<Sp<String>>,
    pub pin: Option<Sp<String>>,
    pub numa_node: Option<Sp<Number>>,
    pub map_extra: Option<Sp<Number>>,
    pub inner: Option<Path>,
    pub krate: Option<Path>,
}

const KEYS: [&str; 9] =
    ["type", "max_entries", "flags", "name", "pin", "numa_node", "map_extra", "inner", "crate"];

impl MapAttr {
    /// Parses the arguments; errors go to `errors` and the attribute keeps what parsed.
    pub fn parse(args: TokenStream, errors: &mut Errors) -> MapAttr {
        let mut attr = MapAttr::default();
        let parser = syn::meta::parser(|meta| {
            if let Err(e) = attr.parse_key(&meta) {
                errors.push(e);
                // Skip the value of a bad key so that the keys after it are still read.
                if meta.input.peek(syn::Token![=]) {
                    let _ = meta.value().and_then(|v| v.parse::<Expr>());
                }
            }
            Ok(())
        });
        if let Err(e) = parser.parse2(args) {
            errors.push(e);
        }
        attr
    }

    fn parse_key(&mut self, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
        let key = meta.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
        let span = meta.path.span();
        let duplicate = || syn::Error::new(span, format!("`{key}` is set more than once"));
        match key.as_str() {
            "type" => set(&mut self.map_type, string(meta)?, duplicate),
            "max_entries" => set(&mut self.max_entries, number::<u32>(meta)?, duplicate),
            "flags" => {
                let lit = string(meta)?;
                let names = lit.value.split('|').map(|n| n.trim().to_string()).collect();
                set(&mut self.flags, Sp { value: names, span: lit.span }, duplicate)
            }
            "name" => set(&mut self.name, string(meta)?, duplicate),
            "pin" => set(&mut self.pin, string(meta)?, duplicate),
            "numa_node" => set(&mut self.numa_node, number::<u32>(meta)?, duplicate),
            "map_extra" => set(&mut self.map_extra, number::<u64>(meta)?, duplicate),
            "inner" => set(&mut self.inner, meta.value()?.parse::<Path>()?, duplicate),
            "crate" => set(&mut self.krate, meta.value()?.parse::<Path>()?, duplicate),
            _ => {
                let hint = match closest(&key, KEYS) {
                    Some(k) => format!("did you mean `{k}`? "),
                    None => String::new(),
                };
                Err(syn::Error::new(
                    span,
                    format!(
                        "unknown key `{}` in #[bpf_map]; {hint}expected one of: {}",
                        path_text(&meta.path),
                        KEYS.map(|k| format!("`{k}`")).join(", ")
                    ),
                ))
            }
        }
    }
}

fn set<T>(slot: &mut Option<T>, value: T, duplicate: impl FnOnce() -> syn::Error) -> syn::Result<()> {
    match slot {
        Some(_) => Err(duplicate()),
        None => {
            *slot = Some(value);
            Ok(())
        }
    }
}

fn string(meta: &ParseNestedMeta<'_>) -> syn::Result<Sp<String>> {
    let expr = meta.value()?.parse::<Expr>()?;
    match &expr {
        Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) => Ok(Sp { value: s.value(), span: s.span() }),
        other => {
            let key = path_text(&meta.path);
            let example = match key.as_str() {
                "type" => "type = \"hash\"",
                "flags" => "flags = \"no_prealloc | rdonly_prog\"",
                "pin" => "pin = \"by_name\"",
                _ => "name = \"my_map\"",
            };
            Err(syn::Error::new(other.span(), format!("`{key}` takes a string literal, e.g. `{example}`")))
        }
    }
}

/// A literal checked against `T`'s range, or any other expression for rustc to evaluate.
fn number<T>(meta: &ParseNestedMeta<'_>) -> syn::Result<Sp<Number>>
where
    T: core::str::FromStr + Into<u64>,
    T::Err: core::fmt::Display,
{
    let expr = meta.value()?.parse::<Expr>()?;
    let span = expr.span();
    match &expr {
        Expr::Lit(syn::ExprLit { lit: Lit::Int(int), .. }) => {
            let value = parse_int::<T>(int)?;
            Ok(Sp { value: Number::Lit(value), span })
        }
        Expr::Lit(syn::ExprLit { lit, .. }) => Err(syn::Error::new(
            lit.span(),
            format!("`{}` takes an integer, not a {}", path_text(&meta.path), lit_kind(lit)),
        )),
        _ => Ok(Sp { value: Number::Expr(expr), span }),
    }
}

fn parse_int<T>(int: &LitInt) -> syn::Result<u64>
where
    T: core::str::FromStr + Into<u64>,
    T::Err: core::fmt::Display,
{
    int.base10_parse::<T>().map(Into::into).map_err(|_| {
        syn::Error::new(
            int.span(),
            format!("`{}` does not fit a {}", int.base10_digits(), core::any::type_name::<T>()),
        )
    })
}

fn lit_kind(lit: &Lit) -> &'static str {
    match lit {
        Lit::Str(_) => "string",
        Lit::Bool(_) => "bool",
        Lit::Float(_) => "float",
        Lit::Char(_) => "char",
        _ => "literal of this kind",
    }
}

fn path_text(path: &Path) -> String {
    path.segments.iter().map(|s| s.ident.to_string()).collect::<Vec<_>>().join("::")
}
