//! The whole scan plus every bundled rule (`Engine::scan_sources`) over a
//! tree input (split by `\n--- PATH\n`, as in the `tree` target).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tollgate_policy::Engine;

fn engine() -> Option<&'static Engine> {
    static ENGINE: OnceLock<Option<Engine>> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::builder().build().ok()).as_ref()
}

fuzz_target!(|data: &[u8]| {
    let Some(engine) = engine() else { return };
    let files = tollgate_fuzz::tree(data);
    if let Ok(report) = engine.scan_sources(files, &tollgate_fuzz::options()) {
        let json = serde_json::to_string(&report);
        assert!(json.is_ok(), "report does not serialize: {json:?}");
    }
});
