//! Macros that try to make `#[derive(Pod)]` prove one struct and compile another, for the UI
//! tests in `tests/ui/soundness/`. No dependencies: they walk tokens by hand.

use std::sync::atomic::{AtomicUsize, Ordering};

use proc_macro::{Group, Ident, Punct, Spacing, TokenStream, TokenTree};

/// Replaces every `u32` in the item with `u8`: placed after `#[derive(Pod)]`, it turns a
/// padding-free struct into a padded one after the derive has read it.
#[proc_macro_attribute]
pub fn shrink_u32(_: TokenStream, item: TokenStream) -> TokenStream {
    replace(item, "u32", || quote_ident("u8"))
}

/// Replaces every `u64` in the item with `&'static u64`: a reference that safe code could then
/// forge from map bytes.
#[proc_macro_attribute]
pub fn u64_to_ref(_: TokenStream, item: TokenStream) -> TokenStream {
    replace(item, "u64", || {
        let mut tokens = TokenStream::new();
        tokens.extend([
            TokenTree::Punct(Punct::new('&', Spacing::Alone)),
            TokenTree::Punct(Punct::new('\'', Spacing::Joint)),
            TokenTree::Ident(Ident::new("static", proc_macro::Span::call_site())),
            TokenTree::Ident(Ident::new("u64", proc_macro::Span::call_site())),
        ]);
        tokens
    })
}

/// A type that is `u64` the first time it is expanded and `u8` after: a field written with it
/// has one type where the derive reads it and another where it checks it.
#[proc_macro]
pub fn flip(_: TokenStream) -> TokenStream {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let ty = if CALLS.fetch_add(1, Ordering::Relaxed) == 0 { "u64" } else { "u8" };
    quote_ident(ty)
}

fn quote_ident(name: &str) -> TokenStream {
    TokenTree::Ident(Ident::new(name, proc_macro::Span::call_site())).into()
}

fn replace(tokens: TokenStream, from: &str, to: impl Fn() -> TokenStream + Copy) -> TokenStream {
    tokens
        .into_iter()
        .flat_map(|token| -> TokenStream {
            match token {
                TokenTree::Ident(ident) if ident.to_string() == from => to(),
                TokenTree::Group(group) => {
                    let mut new = Group::new(group.delimiter(), replace(group.stream(), from, to));
                    new.set_span(group.span());
                    TokenTree::Group(new).into()
                }
                other => other.into(),
            }
        })
        .collect()
}
