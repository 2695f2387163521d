//! `Maps`: every declared map, created, in declaration order (C's `map_data[]`).

use core::fmt;
use core::ops::Index;
use std::sync::Arc;

use crate::family::Family;
use crate::registry::{self, MapDecl};
use crate::{Error, Map};

/// The typed handle of the map declared by `T`, borrowing the maps for `'m`.
pub type HandleOf<'m, T> =
    <<T as MapDecl>::Family as Family>::Handle<'m, <T as MapDecl>::Key, <T as MapDecl>::Value>;

/// The maps [`load`](crate::load) created: one per `#[bpf_map]` declaration, in declaration
/// order (by file, then line), like C's `map_data[]`.
///
/// ```no_run
/// use bpfmap::bpf_map;
///
/// #[bpf_map(type = "hash", max_entries = 100, flags = "no_prealloc")]
/// struct Flows { key: u32, value: u32 }
///
/// let maps = bpfmap::load()?;
/// let fd = maps[0].fd();                          // as C's map_data[0].fd
/// let flows = maps.by_name("flows").unwrap();      // by the kernel name
/// let typed = maps.get::<Flows>();                 // typed: u32 -> u32
/// for map in &maps {
///     println!("{} has fd {:?}", map.name(), map.fd());
/// }
/// println!("{maps}");                             // a table of every map
/// # Ok::<(), bpfmap::Error>(())
/// ```
pub struct Maps {
    maps: Vec<Map>,
    /// For each registry slot, the index of its map plus one (0: not loaded).
    by_slot: Vec<u32>,
}

impl Maps {
    pub(crate) fn new(maps: Vec<Map>) -> Maps {
        let mut by_slot = vec![0; registry::registry().len()];
        for (i, map) in maps.iter().enumerate() {
            if let Some(slot) = map.declaration().and_then(registry::slot_of) {
                by_slot[slot] = i as u32 + 1;
            }
        }
        Maps { maps, by_slot }
    }

    /// The number of maps.
    pub fn len(&self) -> usize {
        self.maps.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.maps.is_empty()
    }

    /// The maps, in declaration order.
    pub fn iter(&self) -> core::slice::Iter<'_, Map> {
        self.maps.iter()
    }

    /// The map named `name` (its kernel name).
    pub fn by_name(&self, name: &str) -> Option<&Map> {
        self.maps.iter().find(|m| m.name() == name)
    }

    /// The map declared by `T`, untyped.
    pub fn map<T: MapDecl>(&self) -> Result<&Map, Error> {
        registry::slot_of(T::declaration())
            .and_then(|slot| self.by_slot.get(slot))
            .and_then(|&i| i.checked_sub(1))
            .map(|i| &self.maps[i as usize])
            .ok_or(Error::NotLoaded { rust_name: T::declaration().rust_name })
    }

    /// The typed handle of the map declared by `T`, or [`Error::NotLoaded`].
    pub fn try_get<T: MapDecl>(&self) -> Result<HandleOf<'_, T>, Error> {
        self.map::<T>().and_then(|map| <T::Family as Family>::handle::<T::Key, T::Value>(map.into()))
    }

    /// The typed handle of the map declared by `T`, owning its own fd of the map (a dup, shared
    /// by the handle's clones through an `Arc`): it has no lifetime, so it moves into a thread or
    /// an async task, and outlives these `Maps`.
    ///
    /// ```no_run
    /// use bpfmap::bpf_map;
    ///
    /// #[bpf_map(type = "array", max_entries = 4)]
    /// struct Counters { key: u32, value: u64 }
    ///
    /// let maps = bpfmap::load()?;
    /// let counters = maps.owned::<Counters>()?;
    /// let reader = std::thread::spawn(move || counters.get(0));
    /// drop(maps); // the handle keeps the map open
    /// assert_eq!(reader.join().unwrap()?, Some(0));
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`try_get`](Self::try_get), and the errors of [`Map::try_clone`] (no fd left).
    pub fn owned<T: MapDecl>(&self) -> Result<HandleOf<'static, T>, Error> {
        let map = self.map::<T>()?.try_clone()?;
        <T::Family as Family>::handle::<T::Key, T::Value>(Arc::new(map).into())
    }

    /// The typed handle of the map declared by `T`: its type follows the declared map type
    /// (a `hash` map gives a [`HashMap<K, V>`](crate::HashMap)).
    ///
    /// # Panics
    /// If `T` is not among these maps, which happens only when its declaration was not linked
    /// into the program (see [`Error::NotLoaded`]), or if the map does not fit `T`'s types,
    /// which a `#[bpf_map]` declaration rules out at compile time; [`Maps::try_get`] returns
    /// those errors instead.
    pub fn get<T: MapDecl>(&self) -> HandleOf<'_, T> {
        match self.try_get::<T>() {
            Ok(handle) => handle,
            Err(e) => panic!("{e}"),
        }
    }

    /// The maps, taken out.
    pub fn into_vec(self) -> Vec<Map> {
        self.maps
    }
}

impl Index<usize> for Maps {
    type Output = Map;
    fn index(&self, index: usize) -> &Map {
        &self.maps[index]
    }
}

impl<'a> IntoIterator for &'a Maps {
    type Item = &'a Map;
    type IntoIter = core::slice::Iter<'a, Map>;
    fn into_iter(self) -> Self::IntoIter {
        self.maps.iter()
    }
}

impl fmt::Debug for Maps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.maps).finish()
    }
}

/// A table: index, name, type, key and value sizes, max_entries, flags, fd and kernel id.
impl fmt::Display for Maps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header = ["#", "name", "type", "key", "value", "max_entries", "flags", "fd", "id"];
        let rows: Vec<[String; 9]> = self
            .maps
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let d = m.def();
                [
                    i.to_string(),
                    m.name().to_string(),
                    d.map_type.to_string(),
                    d.key_size.to_string(),
                    d.value_size.to_string(),
                    d.max_entries.to_string(),
                    d.flags.to_string(),
                    m.fd().as_raw_fd_string(),
                    m.id().map_or("?".to_string(), |id| id.to_string()),
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.len());
            }
        }
        // Numbers right-aligned, words left-aligned.
        let numeric = [true, false, false, true, true, true, false, true, true];
        let line = |f: &mut fmt::Formatter<'_>, cells: &[&str]| -> fmt::Result {
            for (i, cell) in cells.iter().enumerate() {
                let sep = if i + 1 == cells.len() { "" } else { "  " };
                if numeric[i] {
                    write!(f, "{cell:>w$}{sep}", w = widths[i])?;
                } else if sep.is_empty() {
                    write!(f, "{cell}")?;
                } else {
                    write!(f, "{cell:<w$}{sep}", w = widths[i])?;
                }
            }
            writeln!(f)
        };
        line(f, &header)?;
        for row in &rows {
            line(f, &row.each_ref().map(String::as_str))?;
        }
        Ok(())
    }
}

trait RawFdString {
    fn as_raw_fd_string(&self) -> String;
}

impl RawFdString for std::os::fd::BorrowedFd<'_> {
    fn as_raw_fd_string(&self) -> String {
        use std::os::fd::AsRawFd;
        self.as_raw_fd().to_string()
    }
}
