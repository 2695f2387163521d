//! Checking the attribute against the rule book, one token at a time, into a `Model`.
//!
//! Everything here calls `bpfmap_runtime::rules`: the macro has no rule of its own. What the
//! tokens cannot show (the sizes of the key and value types, `const` expressions) is checked by
//! the `const` evaluation `expand` emits, with the same rules.

use bpfmap_runtime::rules::{
    self, Creation, EntriesRule, HostLimits, MapFlags, MapName, MapType, RuleError, SizeRule, TypeRules,
};
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::Path;
use syn::ext::IdentExt;

use crate::ast::{Field, MapStruct};
use crate::attr::{MapAttr, Number, Sp};
use crate::errors::Errors;
use crate::suggest::closest;

/// A number for the definition: the value when the macro knows it, and its tokens.
pub(crate) struct Value {
    pub known: Option<u64>,
    pub tokens: TokenStream,
    /// Where it starts, and where it ends: rustc's errors on it cover both.
    pub span: Span,
    pub end: Span,
}

/// What the expansion needs, resolved from the attribute and the struct.
pub(crate) struct Model<'a> {
    pub krate: Path,
    pub st: MapStruct<'a>,
    pub rules: Option<&'static TypeRules>,
    pub max_entries: Value,
    pub flags: Sp<MapFlags>,
    pub name: Sp<String>,
    pub numa_node: Option<Value>,
    pub map_extra: Option<Value>,
    pub inner: Option<Path>,
    pub pinned: bool,
}

impl<'a> Model<'a> {
    pub fn new(attr: MapAttr, st: MapStruct<'a>, errors: &mut Errors) -> Model<'a> {
        let call_site = Span::call_site();
        let attempted = &attr.attempted;
        let krate = attr.krate.unwrap_or_else(|| syn::parse_quote!(::bpfmap));
        let type_span = attr.map_type.as_ref().map_or(call_site, |t| t.span);
        let rules = resolve_type(attr.map_type.as_ref(), attempted.has("type"), errors);

        let flags_span = attr.flags.as_ref().map_or(type_span, |f| f.span);
        let numa_node = attr.numa_node.map(|n| value(n, quote!(u32)));
        let given = GivenFlags {
            flags: attr.flags.as_ref(),
            attempted: attempted.has("flags"),
            numa_node: numa_node.as_ref(),
        };
        let flags = resolve_flags(given, rules, type_span, errors);

        let max_entries = match attr.max_entries.map(|n| value(n, quote!(u32))) {
            Some(v) => v,
            None => default_max_entries(rules, st.span(), attempted.has("max_entries"), errors),
        };
        let map_extra = attr.map_extra.map(|n| value(n, quote!(u64)));
        if let Some(r) = rules {
            let host = HostLimits::ASSUMED;
            let mut entries_ok = true;
            if let Some(n) = max_entries.known {
                // A perf_event_array's 0 means "one per CPU": check what it resolves to.
                let n = if r.map_type == MapType::PERF_EVENT_ARRAY && n == 0 { 1 } else { n as u32 };
                if let Err(e) = rules::check_max_entries(r, n, flags, &host) {
                    errors.push(syn::Error::new(max_entries.span, e.to_string()));
                    entries_ok = false;
                }
            }
            // An arena's address range depends on its size: with a refused size, its error is enough.
            let extra = match &map_extra {
                Some(v) => v.known,
                None if attempted.has("map_extra") => None,
                None => Some(0),
            };
            if let Some(extra) = extra
                && entries_ok
            {
                let n = max_entries.known.unwrap_or(1) as u32;
                if let Err(e) = rules::check_map_extra(r, extra, n, &host) {
                    let span = map_extra.as_ref().map_or(type_span, |v| v.span);
                    errors.push(syn::Error::new(span, e.to_string()));
                }
            }
            if st.fields_known {
                check_fields(r, &st, errors);
            }
        }

        let name = resolve_name(attr.name, attempted.has("name"), &st, errors);
        let pinned = match attr.pin {
            None => false,
            Some(pin) if pin.value == "by_name" => true,
            Some(pin) => {
                errors.push(syn::Error::new(
                    pin.span,
                    format!("unknown pinning `{}`; expected `pin = \"by_name\"` (the map is pinned at <pin root>/<name>)", pin.value),
                ));
                false
            }
        };
        if let Some(r) = rules
            && !(attr.inner.is_none() && attempted.has("inner"))
        {
            check_inner(r, attr.inner.as_ref(), &st, errors);
        }
        Model {
            krate,
            st,
            rules,
            max_entries,
            flags: Sp { value: flags, span: flags_span },
            name,
            numa_node,
            map_extra,
            inner: attr.inner,
            pinned,
        }
    }
}

fn value(n: Sp<Number>, ty: TokenStream) -> Value {
    match n.value {
        Number::Lit(v) => Value {
            known: Some(v),
            tokens: proc_macro2::Literal::u64_unsuffixed(v).into_token_stream(),
            span: n.span,
            end: n.span,
        },
        Number::Expr(e) => {
            let tokens = e.to_token_stream();
            let end = tokens.into_iter().last().map_or(n.span, |t| t.span());
            // Typed here and spanned on the expression, so that a constant of another type
            // (`usize`) is one error at the expression, not a mismatched argument of a runtime
            // function at the whole attribute.
            let tokens = quote_spanned!(n.span=> { const VALUE: #ty = #e; VALUE });
            Value { known: None, tokens, span: n.span, end }
        }
    }
}

fn resolve_type(
    map_type: Option<&Sp<String>>,
    attempted: bool,
    errors: &mut Errors,
) -> Option<&'static TypeRules> {
    let Some(given) = map_type else {
        if !attempted {
            errors.push(syn::Error::new(
                Span::call_site(),
                "missing `type`: every map has one, e.g. #[bpf_map(type = \"hash\", max_entries = 1024)]",
            ));
        }
        return None;
    };
    let Some(rules) = MapType::from_name(&given.value).and_then(MapType::rules) else {
        let names: Vec<&str> = MapType::all().filter_map(MapType::name).collect();
        let hint = match closest(&given.value, names.iter().copied()) {
            Some(name) => format!("did you mean `{name}`?"),
            None => format!("expected one of: {}", names.join(", ")),
        };
        errors.push(syn::Error::new(given.span, format!("unknown map type `{}`; {hint}", given.value)));
        return None;
    };
    if let Err(e) = rules::check_standalone(rules) {
        errors.push(syn::Error::new(given.span, e.to_string()));
    }
    Some(rules)
}

/// What the attribute says about flags: the `flags` names, and `numa_node`, which sets one.
struct GivenFlags<'g> {
    flags: Option<&'g Sp<Vec<String>>>,
    /// `flags` was written, even if its value did not parse.
    attempted: bool,
    numa_node: Option<&'g Value>,
}

fn resolve_flags(
    given: GivenFlags<'_>,
    rules: Option<&TypeRules>,
    type_span: Span,
    errors: &mut Errors,
) -> MapFlags {
    let mut flags = MapFlags::EMPTY;
    // Without a valid `flags`, the error about the whole set goes on `type`, which decides it.
    let set_span = given.flags.map_or(type_span, |f| f.span);
    let mut ok = given.flags.is_some() || !given.attempted;
    for name in given.flags.iter().flat_map(|f| &f.value) {
        let err = |msg: String| syn::Error::new(set_span, msg);
        if name.is_empty() {
            errors.push(err(
                "empty flag name in `flags`: write names joined with `|`, e.g. \"no_prealloc | rdonly_prog\""
                    .into(),
            ));
            ok = false;
            continue;
        }
        let Some(flag) = MapFlags::from_name(name) else {
            let names = MapFlags::all().iter().map(|f| f.name);
            let hint = match closest(name, names.clone()) {
                Some(n) => format!("did you mean `{n}`?"),
                None => format!("expected one of: {}", names.collect::<Vec<_>>().join(", ")),
            };
            errors.push(err(format!("unknown flag `{name}`; {hint}")));
            ok = false;
            continue;
        };
        if flags.contains(flag) {
            errors.push(err(format!("flag `{name}` is listed more than once")));
            continue;
        }
        flags |= flag;
        if let Some(r) = rules
            && let Err(e) = rules::check_flag(r, flag)
        {
            errors.push(err(e.to_string()));
            ok = false;
        }
    }
    // `numa_node = N` sets the flag; what goes wrong because of it is blamed on `numa_node`.
    let numa_span = match given.numa_node {
        Some(node) if !flags.contains(MapFlags::NUMA_NODE) => {
            flags |= MapFlags::NUMA_NODE;
            if let Some(r) = rules
                && let Err(e) = rules::check_flag(r, MapFlags::NUMA_NODE)
            {
                errors.push(syn::Error::new(node.span, format!("`numa_node` cannot be set: {e}")));
                ok = false;
            }
            Some(node.span)
        }
        _ => None,
    };
    let Some(r) = rules else { return flags };
    // Flags that exclude each other are reported even beside a refused flag; a missing
    // required flag is not, as the refused or misspelt one may be the flag meant.
    let set = if ok { flags } else { flags.union(r.required) };
    if let Err(e) = rules::check_flag_set(r, set) {
        match (e, numa_span) {
            (RuleError::FlagsConflict { first, second, .. }, Some(span))
                if first == MapFlags::NUMA_NODE || second == MapFlags::NUMA_NODE =>
            {
                errors.push(syn::Error::new(span, format!("`numa_node` cannot be set: {e}")))
            }
            _ => errors.push(syn::Error::new(set_span, e.to_string())),
        }
    }
    flags
}

/// `max_entries` may be left out only where it has one meaning.
fn default_max_entries(rules: Option<&TypeRules>, span: Span, attempted: bool, errors: &mut Errors) -> Value {
    let zero = Value { known: Some(0), tokens: quote!(0), span, end: span };
    // Not checked further: the attribute already has an error about it.
    let unknown = Value { known: None, tokens: quote!(0), span, end: span };
    let Some(r) = rules else { return unknown };
    if attempted {
        return unknown;
    }
    match r.max_entries {
        // Storage maps have no capacity.
        EntriesRule::Range { min: 0, max: 0, .. } => zero,
        EntriesRule::Exactly { n, .. } => {
            Value { known: Some(n.into()), tokens: quote!(#n), span, end: span }
        }
        // One entry per possible CPU, resolved at load time.
        _ if r.map_type == MapType::PERF_EVENT_ARRAY => zero,
        rule => {
            errors.push(syn::Error::new(
                Span::call_site(),
                format!(
                    "missing `max_entries`: {}, e.g. #[bpf_map(type = \"{}\", max_entries = {})]",
                    rule.why(),
                    r.name,
                    example_entries(r)
                ),
            ));
            unknown
        }
    }
}

fn example_entries(r: &TypeRules) -> u32 {
    match r.max_entries {
        EntriesRule::RingSize { .. } => 65536,
        EntriesRule::Cpus { .. } => 64,
        _ => 1024,
    }
}

/// `key` and `value` fields: present exactly when the type has a key and a value.
fn check_fields(r: &TypeRules, st: &MapStruct<'_>, errors: &mut Errors) {
    if st.key.is_none() && st.value.is_none() && !r.key.is_zero() && !r.value.is_zero() {
        // One mistake (a unit struct), one error.
        errors.push(syn::Error::new(
            st.span(),
            format!("`{}` maps need a `key` and a `value` field: {}; {}", r.name, r.key.why(), r.value.why()),
        ));
        return;
    }
    check_field("key", &r.key, st.key.as_ref(), r, st, errors);
    check_field("value", &r.value, st.value.as_ref(), r, st, errors);
}

fn check_field(
    what: &str,
    rule: &SizeRule,
    field: Option<&Field<'_>>,
    r: &TypeRules,
    st: &MapStruct<'_>,
    errors: &mut Errors,
) {
    match (rule.is_zero(), field) {
        (true, Some(field)) => errors.push(syn::Error::new(
            field.name.span(),
            format!("`{}` maps have no {what}: remove the `{what}` field", r.name),
        )),
        (false, None) => errors.push(syn::Error::new(
            st.span(),
            format!("`{}` maps need a `{what}` field: {}", r.name, rule.why()),
        )),
        _ => {}
    }
}

fn resolve_name(
    given: Option<Sp<String>>,
    attempted: bool,
    st: &MapStruct<'_>,
    errors: &mut Errors,
) -> Sp<String> {
    match given {
        Some(name) => {
            if let Err(e) = rules::check_name(&MapName::new(&name.value)) {
                errors.push(syn::Error::new(name.span, e.to_string()));
            }
            name
        }
        None => {
            let name = bpfmap_runtime::rules::default_map_name(&st.ident.unraw().to_string());
            if !attempted && let Err(e) = rules::check_name(&MapName::new(&name)) {
                errors.push(syn::Error::new(
                    st.span(),
                    format!("the map's default name `{name}` (the struct's name in snake_case) is refused: {e}; set another with `name = \"...\"` in #[bpf_map]"),
                ));
            }
            Sp { value: name, span: st.span() }
        }
    }
}

fn check_inner(r: &TypeRules, inner: Option<&Path>, st: &MapStruct<'_>, errors: &mut Errors) {
    let map_of_maps = matches!(r.creation, Creation::NeedsInner);
    match inner {
        None if map_of_maps => errors.push(syn::Error::new(
            st.span(),
            format!("{}; e.g. #[bpf_map(type = \"{}\", max_entries = 8, inner = Template)] with `Template` another #[bpf_map] struct", RuleError::InnerMissing { map_type: r.map_type }, r.name),
        )),
        Some(path) if !map_of_maps => errors.push(syn::Error::new_spanned(
            path,
            RuleError::InnerUnexpected { map_type: r.map_type }.to_string(),
        )),
        _ => {}
    }
}
