//! The user's world: their manifests (read, admitted, searched for pickers), a bundle judged
//! against them (`check`), the scrape chain on any set of objects (`relations`) and the live
//! cluster's checks (`verify`).

pub mod check;
pub mod manifests;
mod monitorings;
pub mod relations;
mod selection;
pub(crate) mod verify;
