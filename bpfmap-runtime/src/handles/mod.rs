//! Typed handles over created maps, one module per map family.

mod array;
mod hash;
mod keys;

pub use array::{ArrayIter, ArrayMap};
pub use hash::{HashIter, HashMap};
pub use keys::Keys;

use core::marker::PhantomData;

use crate::rules::Family;
use crate::{Error, Map, Pod};

/// How an insert treats an existing key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Update {
    /// Create or replace (`BPF_ANY`).
    #[default]
    Any,
    /// Only create: fails with `EEXIST` if the key exists (`BPF_NOEXIST`).
    NoExist,
    /// Only replace: fails with `ENOENT` if the key is absent (`BPF_EXIST`).
    Exist,
}

impl Update {
    pub(crate) const fn flags(self) -> u64 {
        match self {
            Update::Any => 0,
            Update::NoExist => 1,
            Update::Exist => 2,
        }
    }
}

/// Checks that `map` belongs to one of `families` and has the sizes of `K` and `V`.
pub(crate) fn check_shape<K: Pod, V: Pod>(map: &Map, families: &[Family], handle: &str) -> Result<(), Error> {
    let def = map.def();
    let family = def.map_type.rules().map(|r| r.family);
    let mismatch = |what: String| Err(Error::Mismatch { map: map.label(), what });
    if !family.is_some_and(|f| families.contains(&f)) {
        return mismatch(format!("a {handle} cannot serve {} maps", def.map_type));
    }
    if def.key_size as usize != size_of::<K>() {
        return mismatch(format!(
            "key_size is {} but `{}` is {} bytes",
            def.key_size,
            core::any::type_name::<K>(),
            size_of::<K>()
        ));
    }
    if def.value_size as usize != size_of::<V>() {
        return mismatch(format!(
            "value_size is {} but `{}` is {} bytes",
            def.value_size,
            core::any::type_name::<V>(),
            size_of::<V>()
        ));
    }
    Ok(())
}

/// The type parameters a handle holds without owning values of them.
type Types<K, V> = PhantomData<fn() -> (K, V)>;
