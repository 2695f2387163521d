//! `Errors`: every error of one macro call, reported together.

use proc_macro2::TokenStream;

/// Collects errors so that one build reports every mistake of an attribute, each on its token.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// The `compile_error!`s, or nothing.
    pub fn to_compile_errors(&self) -> TokenStream {
        self.0.as_ref().map(syn::Error::to_compile_error).unwrap_or_default()
    }
}

#[cfg(test)]
impl Errors {
    /// Every message, in order.
    pub fn messages(&self) -> Vec<String> {
        self.0.iter().flat_map(|e| e.clone().into_iter().map(|e| e.to_string())).collect()
    }
}
