//! `#[derive(Pod)]`: proves a struct is plain bytes.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput};

pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let input = match syn::parse2::<DeriveInput>(input) {
        Ok(input) => input,
        Err(e) => return e.to_compile_error(),
    };
    match expand(&input) {
        Ok(tokens) => tokens,
        Err(e) => e.to_compile_error(),
    }
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let ident = &input.ident;
    let fields = match &input.data {
        Data::Struct(data) => &data.fields,
        Data::Enum(e) => {
            return Err(syn::Error::new(
                e.enum_token.span,
                "an enum cannot be `Pod`: the kernel may write any bit pattern, and most are not valid variants; use an integer field",
            ));
        }
        Data::Union(u) => {
            return Err(syn::Error::new(
                u.union_token.span,
                "a union cannot derive `Pod`: its fields may leave bytes uninitialized; implement `Pod` by hand if every field covers every byte",
            ));
        }
    };
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new(
            input.generics.span(),
            "a generic struct cannot derive `Pod`: its padding depends on the type arguments and cannot be checked once for all",
        ));
    }
    check_repr(input)?;
    if fields.is_empty() {
        return Err(syn::Error::new(
            ident.span(),
            "a struct without fields cannot be `Pod`: BPF maps refuse zero-sized keys and values",
        ));
    }
    // Every check reads the fields of the struct *as compiled*, through closures that take
    // the struct and return a field, never the field types as written here: an attribute macro
    // after this derive may rewrite the struct, and a type macro in a field may expand to
    // another type each time it is expanded. The exhaustive pattern makes the compiled struct
    // have exactly these fields.
    let p = quote!(::bpfmap::__private);
    let members: Vec<syn::Member> = fields.members().collect();
    let pattern = match fields {
        syn::Fields::Named(_) => quote!(#ident { #(#members: _),* }),
        _ => {
            let blanks = members.iter().map(|_| quote!(_));
            quote!(#ident(#(#blanks),*))
        }
    };
    let sizes = members.iter().map(|member| quote!(#p::size_of_field(|s: #ident| s.#member)));
    // Spanned on the struct's name, so that a padded struct is blamed there. Checked where it is
    // required, not as a bound of the impl: with the impl conditional, every use of the struct
    // as a key or value would repeat the error. The proof trait is declared inside an unnamed
    // `const`, where no other code can name it, let alone implement it for the struct's
    // padding count; it is asked for by a path, with no generic parameter a user type could
    // shadow.
    let message = format!("`{ident}` has padding bytes, so it cannot be `Pod`");
    let label = format!("`{ident}` has padding");
    let no_padding = quote_spanned! {ident.span()=>
        const _: () = {
            #[diagnostic::on_unimplemented(
                message = #message,
                label = #label,
                note = "BPF maps copy and compare every byte of keys and values, and padding bytes are uninitialized",
                note = "make the padding an explicit field (e.g. `_pad: [u8; N]`) or reorder the fields from largest to smallest"
            )]
            trait NoPadding<const PAD: usize> {
                const PROVEN: ();
            }
            impl NoPadding<0> for () {
                const PROVEN: () = ();
            }
            const FIELDS: usize = 0 #(+ #sizes)*;
            <() as NoPadding<{ ::core::mem::size_of::<#ident>() - FIELDS }>>::PROVEN
        };
    };
    let btf = btf_description(input, fields, &members, &p);
    let btf_checks = fields.iter().enumerate().map(|(i, field)| {
        quote_spanned! {field.ty.span()=>
            const _: () = if let ::core::option::Option::Some(why) =
                #p::btf_member_problem(<#ident as #p::Pod>::BTF, #i)
            {
                ::core::panic!("{}", why)
            };
        }
    });
    let name_check = quote_spanned! {ident.span()=>
        const _: () = if let ::core::option::Option::Some(why) = #p::btf_name_problem(<#ident as #p::Pod>::BTF) {
            ::core::panic!("{}", why)
        };
        const _: () = if let ::core::option::Option::Some(why) = #p::btf_lock_problem(<#ident as #p::Pod>::BTF) {
            ::core::panic!("{}", why)
        };
    };
    Ok(quote! {
        // SAFETY: the struct has no padding and no invalid bit patterns: every field of the
        // struct as compiled is `Pod`, its size is the sum of those fields' sizes, and the
        // pattern below names every field; the crate does not compile when any of this fails.
        #[automatically_derived]
        unsafe impl #p::Pod for #ident {
            #btf
        }

        #name_check
        #(#btf_checks)*

        #no_padding

        const _: fn() = || {
            let _ = |s: #ident| {
                let #pattern = s;
            };
        };
    })
}

/// `const BTF`: the struct as BTF describes it, built from the struct as compiled (offsets by
/// `offset_of!`, field types through closures over the struct), so that the description and
/// the proof above speak of the same struct. A `repr(transparent)` struct of one field is a
/// typedef of that field's type; every other is a struct with a member per field (`_0`, `_1`
/// for tuple structs, whose members have no names in C).
fn btf_description(
    input: &DeriveInput,
    fields: &syn::Fields,
    members: &[syn::Member],
    p: &TokenStream,
) -> TokenStream {
    let ident = &input.ident;
    let name = ident.unraw().to_string();
    let transparent = input.attrs.iter().any(|a| {
        a.path().is_ident("repr")
            && a.parse_args_with(syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
                .is_ok_and(|reprs| reprs.iter().any(|r| r.is_ident("transparent")))
    });
    // `field_btf` asks `Pod` of each field, spanned on the field's type: the one check that
    // every field is `Pod`.
    let field_btf = |field: &syn::Field, member: &syn::Member| {
        quote_spanned! {field.ty.span()=> #p::field_btf(|s: #ident| s.#member) }
    };
    if transparent && members.len() == 1 {
        let ty = field_btf(fields.iter().next().expect("one field"), &members[0]);
        return quote! {
            const BTF: &'static #p::TypeDesc = &#p::TypeDesc::Typedef { name: #name, ty: #ty };
        };
    }
    let entries = fields.iter().zip(members).enumerate().map(|(i, (field, member))| {
        let field_name = match &field.ident {
            Some(ident) => ident.unraw().to_string(),
            None => format!("_{i}"),
        };
        let ty = field_btf(field, member);
        quote! {
            #p::Member { name: #field_name, offset: #p::btf_u32(::core::mem::offset_of!(#ident, #member)), ty: #ty }
        }
    });
    quote! {
        const BTF: &'static #p::TypeDesc = &#p::TypeDesc::Struct {
            name: #name,
            size: #p::btf_u32(::core::mem::size_of::<#ident>()),
            members: &[#(#entries),*],
        };
    }
}

/// The layout must be fixed: `repr(C)` (or `transparent`), as the BPF program's C struct is.
fn check_repr(input: &DeriveInput) -> syn::Result<()> {
    let mut fixed = false;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("repr")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("C") || meta.path.is_ident("transparent") {
                fixed = true;
            }
            // `align(8)`, `packed(2)`: the number does not matter here, but must be read.
            if meta.input.peek(syn::token::Paren) {
                let content;
                syn::parenthesized!(content in meta.input);
                content.parse::<TokenStream>()?;
            }
            Ok(())
        })?;
    }
    if fixed {
        return Ok(());
    }
    Err(syn::Error::new(
        input.ident.span(),
        format!(
            "`{}` needs `#[repr(C)]` to derive `Pod`: Rust may reorder the fields of other structs, so their layout would not match the BPF program's C struct",
            input.ident
        ),
    ))
}
