//! The macros of [bpfmap](https://docs.rs/bpfmap): `#[bpf_map]` and `#[derive(Pod)]`.
//!
//! Use them through the `bpfmap` crate; the generated code names `::bpfmap::__private`.

mod ast;
mod attr;
mod errors;
mod expand;
#[cfg(test)]
mod fuzz;
mod object;
mod pod;
mod suggest;
mod valid;

use proc_macro::TokenStream;

/// Declares a BPF map: see `bpfmap::bpf_map` for the attribute's keys and rules.
#[proc_macro_attribute]
pub fn bpf_map(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::bpf_map(args.into(), item.into()).into()
}

/// Implements `bpfmap::Pod` for a `#[repr(C)]` struct whose fields are all `Pod`, proving at
/// compile time that it has no padding.
#[proc_macro_derive(Pod)]
pub fn derive_pod(input: TokenStream) -> TokenStream {
    pod::derive(input.into()).into()
}

/// Checks the maps of a clang-built BPF object against the `#[bpf_map]` declarations of the
/// same kernel names in this module: see `bpfmap::check_object!`.
#[proc_macro]
pub fn check_object(input: TokenStream) -> TokenStream {
    object::check_object(input.into()).into()
}
