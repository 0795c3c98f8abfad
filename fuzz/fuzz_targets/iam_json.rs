//! One file named `policy.json` through the whole `scan_sources` entry point.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let files = tollgate_fuzz::single("policy.json", data);
    if let Ok(out) = tollgate_core::scan_sources(files.clone(), &tollgate_fuzz::options()) {
        tollgate_fuzz::check_output(&files, &out);
    }
});
