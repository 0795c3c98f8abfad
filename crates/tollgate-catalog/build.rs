//! Turns the shipped catalog text (`data/catalog.tsv.gz`) into the binary
//! image `$OUT_DIR/catalog.bin` that `Catalog::embedded` decodes: the text
//! is decompressed, parsed, sorted and checked here, once per build, instead
//! of in every process that scans.

use std::io::Read;
use std::path::PathBuf;

#[allow(dead_code)]
#[path = "src/tables.rs"]
mod tables;

fn main() {
    if let Err(e) = run() {
        println!("cargo:warning=catalog image: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").ok_or("CARGO_MANIFEST_DIR not set")?);
    let source = manifest.join("data/catalog.tsv.gz");
    println!("cargo:rerun-if-changed={}", source.display());
    println!("cargo:rerun-if-changed=src/tables.rs");
    let bytes = std::fs::read(&source).map_err(|e| format!("{}: {e}", source.display()))?;
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(bytes.as_slice())
        .read_to_string(&mut text)
        .map_err(|e| format!("{}: {e}", source.display()))?;
    let tables = tables::parse_text(&text).map_err(|e| format!("{}: {e:?}", source.display()))?;
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR not set")?).join("catalog.bin");
    std::fs::write(&out, tables::encode(&tables)).map_err(|e| format!("{}: {e}", out.display()))
}
