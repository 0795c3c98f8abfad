//! The README's rule table (between `<!-- rules:begin -->` and
//! `<!-- rules:end -->`) is the output of `tollgate rules --format
//! markdown` for the bundled rules. This test fails when it is stale;
//! with `TOLLGATE_UPDATE_README=1` it rewrites that section instead.

// Helpers outside `#[test]` functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

const BEGIN: &str = "<!-- rules:begin -->";
const END: &str = "<!-- rules:end -->";

fn readme_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")
}

fn generated_table() -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["rules", "--format", "markdown"])
        .output()
        .expect("run tollgate rules");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// The README with the section between the markers replaced by `table`
/// (markers appended at the end when missing).
fn with_table(readme: &str, table: &str) -> String {
    let section = format!("{BEGIN}\n{table}{END}");
    match (readme.find(BEGIN), readme.find(END)) {
        (Some(begin), Some(end)) if begin < end => {
            format!("{}{section}{}", &readme[..begin], &readme[end + END.len()..])
        }
        _ => format!("{}\n{section}\n", readme.trim_end()),
    }
}

#[test]
fn readme_rule_table_is_current() {
    let path = readme_path();
    let readme = std::fs::read_to_string(&path).expect("read README.md");
    let table = generated_table();
    assert!(table.lines().count() > 2, "the bundled rules are listed:\n{table}");
    let expected = with_table(&readme, &table);
    if expected == readme {
        return;
    }
    if std::env::var_os("TOLLGATE_UPDATE_README").is_some() {
        std::fs::write(&path, expected).expect("write README.md");
        return;
    }
    panic!(
        "the rule table in README.md is stale. Regenerate it with\n\n    \
         TOLLGATE_UPDATE_README=1 cargo test -p tollgate-cli --test readme\n\n\
         (or paste the output of `tollgate rules --format markdown` between {BEGIN} and {END}).\n\
         Expected section:\n{BEGIN}\n{table}{END}"
    );
}

#[test]
fn section_replacement_keeps_the_rest() {
    let readme = "# t\n\n## Rules\n\n<!-- rules:begin -->\nold\n<!-- rules:end -->\n\nmore\n";
    assert_eq!(
        with_table(readme, "| a |\n"),
        "# t\n\n## Rules\n\n<!-- rules:begin -->\n| a |\n<!-- rules:end -->\n\nmore\n"
    );
    assert_eq!(with_table("# t\n", "| a |\n"), "# t\n<!-- rules:begin -->\n| a |\n<!-- rules:end -->\n");
}
