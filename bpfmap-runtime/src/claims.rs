//! One consumer (or producer) per ring buffer in this process.
//!
//! A ring buffer's consumer position is one word that its single consumer owns: two consumers
//! would hand out the same records and give back space the other still reads. The claim is
//! keyed by the kernel's map id, so two fds of one map (a pin opened twice, a `try_clone`)
//! share it.

use std::sync::Mutex;

use crate::{Error, Map};

/// The (map id, role) pairs claimed now.
static CLAIMED: Mutex<Vec<(u32, &'static str)>> = Mutex::new(Vec::new());

/// A claim on the role of `map`'s consumer or producer, released on drop.
#[derive(Debug)]
pub(crate) struct Claim {
    id: u32,
    role: &'static str,
}

impl Claim {
    /// Claims `role` (`"consumer"`, `"producer"`) of `map` for the life of the returned value.
    ///
    /// # Errors
    /// [`Error::InUse`] while another claim on the same role of the same map lives.
    pub(crate) fn take(map: &Map, role: &'static str) -> Result<Claim, Error> {
        let id = map.id()?;
        let mut claimed = CLAIMED.lock().unwrap_or_else(|e| e.into_inner());
        if claimed.contains(&(id, role)) {
            return Err(Error::InUse { map: map.label(), role });
        }
        claimed.push((id, role));
        Ok(Claim { id, role })
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut claimed = CLAIMED.lock().unwrap_or_else(|e| e.into_inner());
        claimed.retain(|&c| c != (self.id, self.role));
    }
}
