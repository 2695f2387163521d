//! Parsing `#[bpf_map(...)]` into `MapAttr`: every value with its span, every syntax error
//! collected.

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::spanned::Spanned;
use syn::{Expr, Lit, LitInt, Path, UnOp};

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
    pub attempted: Attempted,
}

/// The keys the user wrote, or misspelt so that the error names them, whether or not their
/// value parsed: such a key already has its error, so it is not also reported missing.
#[derive(Default)]
pub(crate) struct Attempted {
    keys: Vec<&'static str>,
    /// The argument list could not be read to its end: any key may be among the unread.
    incomplete: bool,
}

impl Attempted {
    pub fn has(&self, key: &str) -> bool {
        self.incomplete || self.keys.contains(&key)
    }
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
                } else if meta.input.peek(syn::token::Paren) {
                    let _ = meta.input.parse::<proc_macro2::Group>();
                }
            }
            Ok(())
        });
        // `parse_key` never fails the parser, so an error here is in the list's own syntax.
        if let Err(e) = parser.parse2(args) {
            attr.attempted.incomplete = true;
            errors.push(syn::Error::new(
                e.span(),
                format!(
                    "{e}: #[bpf_map] takes `key = value` pairs separated by commas, e.g. #[bpf_map(type = \"hash\", max_entries = 1024)]"
                ),
            ));
        }
        attr
    }

    fn parse_key(&mut self, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
        let key = meta.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
        let span = meta.path.span();
        let Some(&known) = KEYS.iter().find(|&&k| k == key) else {
            return Err(self.unknown_key(&meta.path));
        };
        self.attempted.keys.push(known);
        let duplicate = || syn::Error::new(span, format!("`{key}` is set more than once"));
        let value = value(meta, known)?;
        match known {
            "type" => set(&mut self.map_type, string(known, &value)?, duplicate),
            "max_entries" => set(&mut self.max_entries, number::<u32>(known, value)?, duplicate),
            "flags" => {
                let lit = string(known, &value)?;
                let names = lit.value.split('|').map(|n| n.trim().to_string()).collect();
                set(&mut self.flags, Sp { value: names, span: lit.span }, duplicate)
            }
            "name" => set(&mut self.name, string(known, &value)?, duplicate),
            "pin" => set(&mut self.pin, string(known, &value)?, duplicate),
            "numa_node" => set(&mut self.numa_node, number::<u32>(known, value)?, duplicate),
            "map_extra" => set(&mut self.map_extra, number::<u64>(known, value)?, duplicate),
            "inner" => set(&mut self.inner, path(known, value)?, duplicate),
            _ => set(&mut self.krate, path(known, value)?, duplicate),
        }
    }

    fn unknown_key(&mut self, path: &Path) -> syn::Error {
        // `bpf::max_entries` is most likely `max_entries` written as a path.
        let last = path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
        let hint = match closest(&last, KEYS) {
            Some(k) => {
                self.attempted.keys.push(k);
                format!("did you mean `{k}`? ")
            }
            None => String::new(),
        };
        syn::Error::new_spanned(
            path,
            format!(
                "unknown key `{}` in #[bpf_map]; {hint}expected one of: {}",
                path_text(path),
                KEYS.map(|k| format!("`{k}`")).join(", ")
            ),
        )
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

/// An example of the key's value, for the messages about its syntax.
fn example(key: &str) -> &'static str {
    match key {
        "type" => "type = \"hash\"",
        "max_entries" => "max_entries = 1024",
        "flags" => "flags = \"no_prealloc | rdonly_prog\"",
        "name" => "name = \"my_map\"",
        "pin" => "pin = \"by_name\"",
        "numa_node" => "numa_node = 0",
        "map_extra" => "map_extra = 3",
        "inner" => "inner = Template",
        _ => "crate = ::bpfmap",
    }
}

/// The value after `key =`, read whole as an expression so that a value of the wrong kind
/// leaves nothing behind to derail the keys after it.
fn value(meta: &ParseNestedMeta<'_>, key: &str) -> syn::Result<Expr> {
    if !meta.input.peek(syn::Token![=]) {
        return Err(syn::Error::new(
            meta.path.span(),
            format!("`{key}` needs a value, e.g. `{}`", example(key)),
        ));
    }
    meta.value()?.parse::<Expr>()
}

fn string(key: &str, expr: &Expr) -> syn::Result<Sp<String>> {
    match expr {
        Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) => Ok(Sp { value: s.value(), span: s.span() }),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{key}` takes a string literal, e.g. `{}`", example(key)),
        )),
    }
}

/// A type's path: `inner = Template`, `crate = ::bpfmap`.
fn path(key: &str, expr: Expr) -> syn::Result<Path> {
    match expr {
        Expr::Path(p) if p.qself.is_none() && p.attrs.is_empty() => Ok(p.path),
        other => {
            let what = match key {
                "inner" => "the name of another #[bpf_map] struct, the template of the inner maps",
                _ => "the path of the bpfmap crate",
            };
            Err(syn::Error::new_spanned(other, format!("`{key}` takes {what}, e.g. `{}`", example(key))))
        }
    }
}

/// A literal checked against `T`'s range, or any other expression for rustc to evaluate.
fn number<T>(key: &str, expr: Expr) -> syn::Result<Sp<Number>>
where
    T: core::str::FromStr + Into<u64>,
    T::Err: core::fmt::Display,
{
    let span = expr.span();
    match &expr {
        Expr::Lit(syn::ExprLit { lit: Lit::Int(int), .. }) => {
            let value = parse_int::<T>(int)?;
            Ok(Sp { value: Number::Lit(value), span })
        }
        Expr::Lit(syn::ExprLit { lit, .. }) => Err(syn::Error::new(
            lit.span(),
            format!("`{key}` takes an integer, not a {}, e.g. `{}`", lit_kind(lit), example(key)),
        )),
        // rustc's own error for `-1` as a u32 points at the whole attribute.
        Expr::Unary(syn::ExprUnary { op: UnOp::Neg(_), .. }) => Err(syn::Error::new_spanned(
            &expr,
            format!("`{key}` cannot be negative: it is a {}", core::any::type_name::<T>()),
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

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::MapAttr;
    use crate::errors::Errors;

    fn parse(args: proc_macro2::TokenStream) -> (MapAttr, Vec<String>) {
        let mut errors = Errors::default();
        let attr = MapAttr::parse(args, &mut errors);
        (attr, errors.messages())
    }

    #[test]
    fn a_bad_value_does_not_hide_the_keys_after_it() {
        let (attr, errors) = parse(quote!(max_entries = "1024", inner = "Template", type = "hash"));
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(attr.map_type.as_ref().map(|t| t.value.as_str()), Some("hash"));
        assert!(attr.max_entries.is_none() && attr.attempted.has("max_entries"));
        assert!(attr.inner.is_none() && attr.attempted.has("inner"));
    }

    #[test]
    fn a_misspelt_key_counts_as_the_key_meant() {
        let (attr, errors) = parse(quote!(type = "hash", max_entrie = 1024));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("did you mean `max_entries`?"), "{errors:?}");
        assert!(attr.attempted.has("max_entries"));
        assert!(!attr.attempted.has("flags"));
    }

    #[test]
    fn a_list_it_cannot_read_may_hold_any_key() {
        let (attr, errors) = parse(quote!("hash", 1024));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(attr.attempted.has("type") && attr.attempted.has("max_entries"));
    }

    #[test]
    fn numbers() {
        let (attr, errors) = parse(quote!(max_entries = -1, numa_node = 4294967296, map_extra = 1 << 4));
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].contains("cannot be negative"), "{errors:?}");
        assert!(errors[1].contains("does not fit a u32"), "{errors:?}");
        assert!(matches!(attr.map_extra.map(|n| n.value), Some(super::Number::Expr(_))));
    }

    #[test]
    fn a_key_without_a_value() {
        let (attr, errors) = parse(quote!(type = "hash", flags(no_prealloc), max_entries));
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].starts_with("`flags` needs a value"), "{errors:?}");
        assert_eq!(attr.map_type.as_ref().map(|t| t.value.as_str()), Some("hash"));
    }
}
