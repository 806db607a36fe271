//! Builds an Autopilot bundle for endpoint pickers in namespace `inference`, selected by a
//! set-based selector, and prints it: `cargo run --example autopilot`.

use igw_monitoring::Objects;
use igw_monitoring::{Bundle, ClusterFlavor, LabelSelector, SelectorRequirement};

fn main() -> Result<(), igw_monitoring::Error> {
    let bundle = Bundle::builder()
        .namespace("inference")
        .flavor(ClusterFlavor::Autopilot)
        .selector(
            LabelSelector::default()
                .match_expression(SelectorRequirement::is_in(
                    "inferencepool",
                    ["llama3-8b-epp", "qwen2-7b-epp"],
                ))
                .match_expression(SelectorRequirement::does_not_exist("canary")),
        )
        .interval("15s")
        .timeout("10s")
        .build()?;
    print!("{}", bundle.to_yaml()?);
    Ok(())
}
