//! `Queue` and `Stack`: values without keys, pushed and popped.

use super::MapRef;
use core::mem::MaybeUninit;

use super::{Types, Update, check_shape};

/// What [`Queue::push`] and [`Stack::push`] do when the map is full: the two policies the
/// kernel has (`BPF_ANY` and `BPF_EXIST` for a queue or stack; it refuses `BPF_NOEXIST`).
///
/// ```
/// use bpfmap::WhenFull;
///
/// assert_eq!(WhenFull::default(), WhenFull::Refuse);
/// let logging = WhenFull::DropOldest;   // keep the newest lines, lose the oldest
/// # let _ = logging;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum WhenFull {
    /// Refuse the value: the push fails with `E2BIG`.
    #[default]
    Refuse,
    /// Drop the oldest value to make room, so the newest always goes in.
    DropOldest,
}

impl WhenFull {
    const fn update(self) -> Update {
        match self {
            WhenFull::Refuse => Update::Any,
            WhenFull::DropOldest => Update::Exist,
        }
    }
}
use crate::error::Op;
use crate::pod::bytes_of;
use crate::rules::Family;
use crate::sys;
use crate::{Error, Pod};

macro_rules! queue_like {
    ($(#[$doc:meta])* $name:ident, $family:ident, $order:literal) => {
        $(#[$doc])*
        pub struct $name<'m, V> {
            map: MapRef<'m>,
            _types: Types<(), V>,
        }

        impl<'m, V: Pod> $name<'m, V> {
            #[doc = concat!("The handle of `map`, which must be a `", stringify!($family), "` map of `V`-sized values.")]
            pub fn new(map: impl Into<MapRef<'m>>) -> Result<$name<'m, V>, Error> {
                let map: MapRef<'m> = map.into();
                check_shape::<(), V>(&map, &[Family::$family], stringify!($name))?;
                Ok($name { map, _types: Types::default() })
            }

            /// Pushes `value`; `when_full` says what a full map does: refuse it (`E2BIG`), or
            /// drop its oldest value to make room (the kernel has no third policy).
            pub fn push(&self, value: &V, when_full: WhenFull) -> Result<(), Error> {
                let update = when_full.update();
                // SAFETY: the map has no key (key_size 0) and V is its value size, as `new`, the
                // only way to make this handle, checked (`check_shape::<(), V>`).
                unsafe { sys::update(self.map.fd(), core::ptr::null(), bytes_of(value).as_ptr(), update.flags()) }
                    .map_err(|errno| self.map.error(Op::Update(update), errno))
            }

            #[doc = concat!("Removes and returns the ", $order, " value; `None` when empty.")]
            pub fn pop(&self) -> Result<Option<V>, Error> {
                let mut value = MaybeUninit::<V>::uninit();
                // SAFETY: a null key for a keyless map; `value` has room for one V, the map's
                // value size (`check_shape::<(), V>` in `new`).
                let found = unsafe {
                    sys::lookup_and_delete(self.map.fd(), core::ptr::null(), value.as_mut_ptr() as *mut u8, 0)
                }
                .map_err(|errno| self.map.error(Op::LookupAndDelete, errno))?;
                // SAFETY: the kernel wrote a whole V; any bytes are a valid V.
                Ok(found.then(|| unsafe { value.assume_init() }))
            }

            #[doc = concat!("Returns the ", $order, " value without removing it; `None` when empty.")]
            pub fn peek(&self) -> Result<Option<V>, Error> {
                let mut value = MaybeUninit::<V>::uninit();
                // SAFETY: as in `pop`.
                let found = unsafe { sys::lookup(self.map.fd(), core::ptr::null(), value.as_mut_ptr() as *mut u8, 0) }
                    .map_err(|errno| self.map.error(Op::Lookup, errno))?;
                // SAFETY: the kernel wrote a whole V; any bytes are a valid V.
                Ok(found.then(|| unsafe { value.assume_init() }))
            }

            /// Pops every value, in pop order.
            pub fn drain(&self) -> impl Iterator<Item = Result<V, Error>> + '_ {
                let mut done = false;
                core::iter::from_fn(move || {
                    if done {
                        return None;
                    }
                    let next = self.pop().transpose();
                    done = !matches!(next, Some(Ok(_)));
                    next
                })
            }
        }

        super::common::handle_common!($name<V>);
    };
}

queue_like! {
    /// A `queue` map: first in, first out.
    ///
    /// ```no_run
    /// use bpfmap::{bpf_map, WhenFull};
    ///
    /// #[bpf_map(type = "queue", max_entries = 64)]
    /// struct Jobs { value: u64 }
    ///
    /// let maps = bpfmap::load()?;
    /// let jobs = maps.get::<Jobs>();
    /// jobs.push(&1, WhenFull::Refuse)?;
    /// jobs.push(&2, WhenFull::Refuse)?;
    /// assert_eq!(jobs.peek()?, Some(1));
    /// assert_eq!(jobs.pop()?, Some(1));
    /// assert_eq!(jobs.pop()?, Some(2));
    /// assert_eq!(jobs.pop()?, None);
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    Queue, Queue, "oldest"
}

queue_like! {
    /// A `stack` map: last in, first out.
    ///
    /// ```no_run
    /// use bpfmap::{bpf_map, WhenFull};
    ///
    /// #[bpf_map(type = "stack", max_entries = 64)]
    /// struct Undo { value: u64 }
    ///
    /// let maps = bpfmap::load()?;
    /// let undo = maps.get::<Undo>();
    /// undo.push(&1, WhenFull::Refuse)?;
    /// undo.push(&2, WhenFull::DropOldest)?;    // when full, 1 would go to make room
    /// assert_eq!(undo.pop()?, Some(2));
    /// assert_eq!(undo.drain().collect::<Result<Vec<_>, _>>()?, [1]);
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    Stack, Stack, "newest"
}
