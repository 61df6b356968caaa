//! Shared by the integration tests: `#[macro_use] mod common;`.

/// Asserts an insta snapshot stored in the top-level `snapshots/` folder. Under `CI=true`
/// a missing or changed snapshot fails and nothing is written.
#[macro_export]
macro_rules! snap {
    ($name:expr, $value:expr) => {
        insta::with_settings!({
            snapshot_path => "../snapshots",
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}
