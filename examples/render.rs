//! Prints the default bundle, the seed document's seven objects:
//! `cargo run --example render > bundle.yaml`.

use igw_monitoring::Objects;

fn main() -> Result<(), igw_monitoring::Error> {
    print!("{}", igw_monitoring::Options::default().build()?.to_yaml()?);
    Ok(())
}
