//! What every handle has: `map`, `info`, `freeze`, `AsFd`, `Clone` and `Debug`.

/// Implements the common methods and traits for handles that hold `map: MapRef<'m>`.
macro_rules! handle_common {
    ($($name:ident $(<$($p:ident),*>)?),* $(,)?) => { $(
        impl<'m, $($($p),*)?> $name<'m, $($($p),*)?> {
            /// The map.
            pub fn map(&self) -> &$crate::Map {
                &self.map
            }

            /// What the kernel reports of the map (`BPF_OBJ_GET_INFO_BY_FD`).
            pub fn info(&self) -> Result<$crate::MapInfo, $crate::Error> {
                self.map.info()
            }

            /// `BPF_MAP_FREEZE`: no more writes from user space.
            pub fn freeze(&self) -> Result<(), $crate::Error> {
                self.map.freeze()
            }
        }

        // By hand: a derive would ask `K: Clone` and `V: Clone`, which the handle never holds.
        impl<$($($p),*)?> Clone for $name<'_, $($($p),*)?> {
            #[allow(clippy::needless_update)] // Some handles have no field but the map.
            fn clone(&self) -> Self {
                $name { map: self.map.clone(), ..*self }
            }
        }

        impl<$($($p),*)?> core::fmt::Debug for $name<'_, $($($p),*)?> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_tuple(stringify!($name)).field(&*self.map).finish()
            }
        }

        impl<$($($p),*)?> std::os::fd::AsFd for $name<'_, $($($p),*)?> {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                self.map.fd()
            }
        }
    )* };
}

pub(crate) use handle_common;
