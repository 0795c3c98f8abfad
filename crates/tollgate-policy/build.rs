//! Embeds every `.rego` file under the repository's `policies/` directory:
//! generates `$OUT_DIR/bundled.rs` with one `(relative path, include_str!)`
//! pair per file, sorted by path, so a new rule file is picked up without a
//! hand-kept list.
//!
//! It also compiles the bundled rules once, here, into one program for
//! regorus' bytecode VM (`$OUT_DIR/bundled.rvm`, regorus' own binary
//! serialization; one entry point `<package>.deny` per rule). An engine of
//! the bundled rules alone then loads that program instead of parsing,
//! analysing and compiling the policies in every process. When the
//! compilation fails here, the file is left empty and the engine compiles
//! the rules at run time, as it does for custom rules.

use std::path::{Path, PathBuf};

use regorus::languages::rego::compiler::Compiler;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let policies = manifest.join("../../policies");
    println!("cargo:rerun-if-changed={}", policies.display());
    let mut files = Vec::new();
    collect(&policies, &policies, &mut files);
    files.sort();
    let (program, entry_points) = match compile(&files) {
        Ok(compiled) => compiled,
        Err(e) => {
            println!("cargo:warning=bundled rules not precompiled (they compile at run time): {e}");
            (Vec::new(), Vec::new())
        }
    };
    let mut out = String::from("/// Bundled rule and library files: (path under `policies/`, text).\n");
    out.push_str("pub(crate) static BUNDLED: &[(&str, &str)] = &[\n");
    for (rel, abs) in &files {
        println!("cargo:rerun-if-changed={}", abs.display());
        out.push_str(&format!("    ({rel:?}, include_str!({:?})),\n", abs.display().to_string()));
    }
    out.push_str("];\n");
    out.push_str("/// The bundled rules compiled for the VM (empty when that failed at build time).\n");
    out.push_str("pub(crate) static PROGRAM: &[u8] = include_bytes!(concat!(env!(\"OUT_DIR\"), \"/bundled.rvm\"));\n");
    out.push_str("/// The program's entry point of each rule file: (path under `policies/`, `<package>.deny`).\n");
    out.push_str("pub(crate) static ENTRY_POINTS: &[(&str, &str)] = &[\n");
    for (rel, entry) in &entry_points {
        out.push_str(&format!("    ({rel:?}, {entry:?}),\n"));
    }
    out.push_str("];\n");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    for (name, bytes) in [("bundled.rs", out.as_bytes()), ("bundled.rvm", program.as_slice())] {
        let dest = out_dir.join(name);
        if let Err(e) = std::fs::write(&dest, bytes) {
            println!("cargo:warning=cannot write {}: {e}", dest.display());
            std::process::exit(1);
        }
    }
}

/// Compiles every rule file (a module declaring `deny`) of the bundled
/// policies into one VM program, serialized, and lists each rule file's
/// entry point. The policies are added under the names the engine gives
/// them (`policies/<path>`).
type Compiled = (Vec<u8>, Vec<(String, String)>);

fn compile(files: &[(String, PathBuf)]) -> Result<Compiled, String> {
    let mut rego = regorus::Engine::new();
    let mut entry_points = Vec::new();
    for (rel, abs) in files {
        let text = std::fs::read_to_string(abs).map_err(|e| format!("{}: {e}", abs.display()))?;
        let path = format!("policies/{rel}");
        let package = rego.add_policy(path.clone(), text).map_err(|e| format!("{path}: {e}"))?;
        if rego.has_declared_rule_rooted_at(&path, "deny").map_err(|e| format!("{path}: {e}"))? {
            entry_points.push((rel.clone(), format!("{package}.deny")));
        }
    }
    let mut names: Vec<&str> = entry_points.iter().map(|(_, e)| e.as_str()).collect();
    names.sort_unstable();
    let first: regorus::Rc<str> = (*names.first().ok_or("no rule declares `deny`")?).into();
    let compiled = rego.compile_with_entrypoint(&first).map_err(|e| e.to_string())?;
    let program = Compiler::compile_from_policy(&compiled, &names).map_err(|e| e.to_string())?;
    Ok((program.serialize_binary()?, entry_points))
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rego") {
            let rel = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().replace('\\', "/");
            let abs = std::fs::canonicalize(&path).unwrap_or(path);
            out.push((rel, abs));
        }
    }
}
