//! Snapshots of the rendered text (in the workspace's `snapshots/`), and the proof that each
//! reads back as the typed objects it was rendered from.

use crate::support::{TestResult, assert_round_trip, cases, operator_cases};
use igw_monitoring::Objects;

#[test]
fn rendered_bundles_match_their_snapshots_and_read_back_as_built() -> TestResult {
    for (name, options) in cases().into_iter().chain(operator_cases()) {
        let bundle = options.build()?;
        let yaml = assert_round_trip(&bundle)?;
        assert_eq!(bundle.to_yaml()?, yaml, "{name}: rendering twice differs");
        insta::with_settings!({
            snapshot_path => "../../snapshots",
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(name, yaml);
        });
    }
    Ok(())
}
