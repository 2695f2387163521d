//! `Map::adopt`: a map made elsewhere, opened as the map a `#[bpf_map]` struct declares, after
//! the same field-by-field check the loader runs before it reuses a pin.

use std::path::Path;

use crate::compat;
use crate::error::MapLabel;
use crate::family::Family;
use crate::maps::HandleOf;
use crate::registry::MapDecl;
use crate::rules::HostLimits;
use crate::{Error, Map};

impl Map {
    /// Opens the map pinned at `path` (by another program, `bpftool`, or an earlier run) as
    /// the map `T` declares, and checks that it is one: type, key and value sizes,
    /// `max_entries`, flags and `map_extra` as the kernel reports them (with its adjustments
    /// allowed for, as [`MapDef::as_reported`](crate::MapDef::as_reported) states them), and
    /// for a map-of-maps the maps it holds against the declared `inner` template. The kernel
    /// name is not compared.
    ///
    /// The map returned carries `T`'s declaration, so [`Map::handle`] gives its typed handle.
    /// `path` need not be under the pin root, nor `T` declared with `pin = "by_name"`; for a
    /// map at `<pin root>/<name>`, `pin = "by_name"` lets [`load`](crate::load) do the same.
    ///
    /// ```no_run
    /// use bpfmap::{Map, Update, bpf_map};
    ///
    /// /// The map another program pins at /sys/fs/bpf/conns, as it declares it.
    /// #[bpf_map(type = "hash", max_entries = 1024, flags = "no_prealloc", name = "conns")]
    /// struct Conns { key: u32, value: u64 }
    ///
    /// let map = Map::adopt::<Conns>("/sys/fs/bpf/conns")?; // Error::PinMismatch if it differs
    /// let conns = map.handle::<Conns>()?;                  // a HashMap<u32, u64>
    /// conns.insert(&7, &1, Update::Any)?;
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    ///
    /// Declaring `T` also adds it to the maps [`load`](crate::load) creates: a program that
    /// only adopts need not call `load` at all.
    ///
    /// # Errors
    /// [`Error::PinMismatch`] listing every field that differs; [`Error::Open`] if nothing is
    /// pinned at `path` (`ENOENT`) or it cannot be opened; [`Error::NotAMap`] if a program, a
    /// link or a directory is there.
    pub fn adopt<T: MapDecl>(path: impl AsRef<Path>) -> Result<Map, Error> {
        Map::adopt_with::<T>(path, crate::Access::ReadWrite)
    }

    /// [`Map::adopt`] with `access`: a reader that may only read the pin opens it
    /// [`Access::ReadOnly`](crate::Access::ReadOnly), checked against `T` all the same, and
    /// gets a typed handle that reads.
    ///
    /// ```no_run
    /// use bpfmap::{Access, Map, bpf_map};
    ///
    /// #[bpf_map(type = "hash", max_entries = 1024, pin = "by_name")]
    /// struct Flows { key: u32, value: u64 }
    ///
    /// let map = Map::adopt_with::<Flows>("/sys/fs/bpf/flows", Access::ReadOnly)?;
    /// for entry in map.handle::<Flows>()?.iter() {
    ///     let (port, bytes) = entry?;
    ///     println!("{port}: {bytes}");
    /// }
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Map::adopt`] and [`Map::from_pin_with`].
    pub fn adopt_with<T: MapDecl>(path: impl AsRef<Path>, access: crate::Access) -> Result<Map, Error> {
        let path = path.as_ref();
        let map = Map::from_pin_with(path, access)?;
        let host = HostLimits::current();
        let diffs = compat::diff_map(&map, &T::DEF, host)?;
        if !diffs.is_empty() {
            return Err(Error::PinMismatch { map: label::<T>(), path: path.to_path_buf(), diffs });
        }
        Ok(declare::<T>(map, host))
    }

    /// Opens the map with kernel id `id` (as `bpftool map show` lists it) as the map `T`
    /// declares, checked as [`Map::adopt`] checks a pin. Opening a map by id needs
    /// `CAP_SYS_ADMIN`.
    ///
    /// ```no_run
    /// use bpfmap::{Map, bpf_map};
    ///
    /// #[bpf_map(type = "array", max_entries = 16)]
    /// struct Config { key: u32, value: u64 }
    ///
    /// let map = Map::adopt_id::<Config>(42)?;
    /// let limit = map.handle::<Config>()?.get(0)?;
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Mismatch`] listing every field that differs (a map found by id has no pin for
    /// [`Error::PinMismatch`] to name); [`Error::Open`] if there is no map `id` (`ENOENT`) or
    /// the process may not open it (`EPERM`).
    pub fn adopt_id<T: MapDecl>(id: u32) -> Result<Map, Error> {
        Map::adopt_id_with::<T>(id, crate::Access::ReadWrite)
    }

    /// [`Map::adopt_id`] with `access`.
    ///
    /// # Errors
    /// As [`Map::adopt_id`] and [`Map::from_id_with`].
    pub fn adopt_id_with<T: MapDecl>(id: u32, access: crate::Access) -> Result<Map, Error> {
        let map = Map::from_id_with(id, access)?;
        let host = HostLimits::current();
        let diffs = compat::diff_map(&map, &T::DEF, host)?;
        if !diffs.is_empty() {
            let fields: Vec<String> = diffs
                .iter()
                .map(|d| format!("{}: declared {}, found {}", d.field, d.declared, d.found))
                .collect();
            return Err(Error::Mismatch {
                map: label::<T>(),
                what: format!("the map with id {id} differs: {}", fields.join("; ")),
            });
        }
        Ok(declare::<T>(map, host))
    }

    /// The typed handle of this map, which must be the map `T` declares: loaded for `T` by
    /// [`load`](crate::load), or opened with [`Map::adopt::<T>`](Map::adopt) or
    /// [`Map::adopt_id::<T>`](Map::adopt_id). The handle's type follows the declared map type,
    /// as [`Maps::get`](crate::Maps::get)'s does.
    ///
    /// ```no_run
    /// use bpfmap::{Map, bpf_map};
    ///
    /// #[bpf_map(type = "queue", max_entries = 64)]
    /// struct Jobs { value: u64 }
    ///
    /// let map = Map::adopt::<Jobs>("/sys/fs/bpf/jobs")?;
    /// let jobs = map.handle::<Jobs>()?; // a Queue<u64>
    /// while let Some(job) = jobs.pop()? {
    ///     println!("{job}");
    /// }
    /// # Ok::<(), bpfmap::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Mismatch`] if the map was not loaded or adopted as `T`: its shape was never
    /// checked against `T`, so no handle of `T`'s types can be trusted with it.
    pub fn handle<T: MapDecl>(&self) -> Result<HandleOf<'_, T>, Error> {
        let wanted = T::declaration();
        match self.declaration() {
            Some(decl) if core::ptr::eq(decl, wanted) => {
                <T::Family as Family>::handle::<T::Key, T::Value>(self.into())
            }
            Some(decl) => Err(Error::Mismatch {
                map: self.label(),
                what: format!("it is the map `{}` declares, not `{}`", decl.rust_name, wanted.rust_name),
            }),
            None => Err(Error::Mismatch {
                map: self.label(),
                what: format!(
                    "it was not checked against `{0}`; open it with `Map::adopt::<{0}>` or `Map::adopt_id::<{0}>`",
                    wanted.rust_name
                ),
            }),
        }
    }
}

/// `T`'s declaration, for an error about adopting a map as `T`.
fn label<T: MapDecl>() -> MapLabel {
    MapLabel::of(&T::DEF, Some(T::declaration()))
}

/// `map`, checked against `T`, carrying `T`'s declaration: its definition is `T`'s, as
/// created on `host`, under the name the kernel knows the map by.
fn declare<T: MapDecl>(map: Map, host: &HostLimits) -> Map {
    let mut def = T::DEF.resolve_for(host);
    def.name = map.def().name;
    map.with_declaration(def, T::declaration())
}
