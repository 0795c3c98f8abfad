//! A whole tree (Terraform modules, tfvars, templates, policies, plans in
//! one input, split by `\n--- PATH\n`) through `scan_sources`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let files = tollgate_fuzz::tree(data);
    if let Ok(out) = tollgate_core::scan_sources(files.clone(), &tollgate_fuzz::options()) {
        tollgate_fuzz::check_output(&files, &out);
    }
});
