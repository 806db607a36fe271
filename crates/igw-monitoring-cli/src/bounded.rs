//! Reading with a bound: every input the command reads (a config file, a `--from` manifest, a
//! file in an output folder) stops after a limit, so `/dev/zero` or a huge file costs no more.

use std::io::{self, Read};

/// At most `limit` bytes of `reader`. A caller that must tell "too large" from "exactly the
/// limit" asks for one byte more than it accepts.
pub(crate) fn read_at_most(reader: impl Read, limit: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}
