//! The module calls of a `.tf` file, found by a lexical scan instead of a
//! parse. Finding the root modules of a scan needs only the `module` blocks
//! and their literal `source`; parsing every file for that (and again when
//! its unit is evaluated) cost a third of a scan. The scan follows HCL's
//! lexical structure (strings with template interpolations, heredocs,
//! comments, nested brackets) and gives up (`None`) on anything it does not
//! follow, so the caller parses that file instead.

/// One `module` block: its name and its `source` when that is a plain
/// string literal (`None` for an expression, a template or no `source`).
pub(crate) type ModuleCall = (String, Option<String>);

/// The `module "NAME" { … }` blocks of one `.tf` file, in file order, or
/// `None` when the text has something the scan does not follow.
pub(crate) fn module_calls(text: &str) -> Option<Vec<ModuleCall>> {
    // A substring search is far cheaper than the scan, and most files have
    // no module block.
    if !may_have_module_block(text) {
        return Some(Vec::new());
    }
    let mut lx = Lexer { b: text.as_bytes(), i: 0, depth: 0 };
    let mut out = Vec::new();
    loop {
        lx.skip_space(true)?;
        if lx.peek().is_none() {
            return Some(out);
        }
        let ident = lx.ident()?;
        lx.skip_space(false)?;
        if lx.peek() == Some(b'=') && lx.peek_at(1) != Some(b'=') {
            // A top-level attribute (not valid in a .tf file; let the parser say so).
            return None;
        }
        let labels = lx.labels()?;
        let collect = ident == "module" && labels.len() == 1;
        let source = lx.body(collect)?;
        if collect && let Some(name) = labels.into_iter().next() {
            out.push((name, source));
        }
    }
}

/// Whether `text` may hold a `module` block: some `module` that starts a
/// token (after the start of the text, a blank, a newline or the `/` of a
/// closing comment) and is followed by a blank or a quote, as the keyword
/// of a block is before its label. `path.module`, `module.x.y`,
/// `create_module` and `terraform-aws-modules/...` are not.
fn may_have_module_block(text: &str) -> bool {
    let b = text.as_bytes();
    memchr::memmem::find_iter(b, b"module").any(|at| {
        let before = at.checked_sub(1).and_then(|i| b.get(i)).copied();
        let after = b.get(at + b"module".len()).copied();
        matches!(before, None | Some(b' ' | b'\t' | b'\r' | b'\n' | b'/')) && matches!(after, Some(b' ' | b'\t' | b'"'))
    })
}

/// Nesting (blocks in blocks, strings in template sequences) the scan
/// follows; deeper input is left to the parser and its own limit.
const MAX_DEPTH: usize = 64;

struct Lexer<'a> {
    b: &'a [u8],
    i: usize,
    /// Current nesting of `body` and `string` calls.
    depth: usize,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn peek_at(&self, k: usize) -> Option<u8> {
        self.b.get(self.i + k).copied()
    }

    /// Skips blanks and comments, and newlines too when `newlines`. `None`
    /// for an unterminated `/* */` comment.
    fn skip_space(&mut self, newlines: bool) -> Option<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r') => self.i += 1,
                Some(b'\n') if newlines => self.i += 1,
                Some(b'#') => self.skip_line_comment(),
                Some(b'/') if self.peek_at(1) == Some(b'/') => self.skip_line_comment(),
                Some(b'/') if self.peek_at(1) == Some(b'*') => self.skip_block_comment()?,
                _ => return Some(()),
            }
        }
    }

    /// Up to (not including) the end of the line.
    fn skip_line_comment(&mut self) {
        while let Some(c) = self.peek() {
            if c == b'\n' {
                return;
            }
            self.i += 1;
        }
    }

    fn skip_block_comment(&mut self) -> Option<()> {
        self.i += 2;
        loop {
            match self.peek()? {
                b'*' if self.peek_at(1) == Some(b'/') => {
                    self.i += 2;
                    return Some(());
                }
                _ => self.i += 1,
            }
        }
    }

    /// An ASCII identifier (`[A-Za-z_][A-Za-z0-9_-]*`).
    fn ident(&mut self) -> Option<String> {
        let start = self.i;
        match self.peek()? {
            c if c.is_ascii_alphabetic() || c == b'_' => self.i += 1,
            _ => return None,
        }
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' {
                self.i += 1;
            } else {
                break;
            }
        }
        std::str::from_utf8(self.b.get(start..self.i)?).ok().map(str::to_string)
    }

    /// A block's labels up to and including its `{`.
    fn labels(&mut self) -> Option<Vec<String>> {
        let mut labels = Vec::new();
        loop {
            self.skip_space(false)?;
            match self.peek()? {
                b'{' => {
                    self.i += 1;
                    return Some(labels);
                }
                b'"' => labels.push(self.string()??),
                c if c.is_ascii_alphabetic() || c == b'_' => labels.push(self.ident()?),
                _ => return None,
            }
        }
    }

    /// A quoted string, from its opening quote: `Some(Some(text))` for a
    /// plain literal, `Some(None)` for one with escapes or template
    /// sequences, `None` when it is not terminated on its line.
    fn string(&mut self) -> Option<Option<String>> {
        self.enter()?;
        let s = self.string_inner();
        self.depth -= 1;
        s
    }

    /// One level deeper, or `None` past [`MAX_DEPTH`].
    fn enter(&mut self) -> Option<()> {
        if self.depth >= MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        Some(())
    }

    fn string_inner(&mut self) -> Option<Option<String>> {
        self.i += 1;
        let mut text = String::new();
        let mut run = self.i;
        let mut plain = true;
        loop {
            match self.peek()? {
                b'\n' => return None,
                b'"' => {
                    text.push_str(std::str::from_utf8(self.b.get(run..self.i)?).ok()?);
                    self.i += 1;
                    return Some(plain.then_some(text));
                }
                b'\\' => {
                    // Escapes decode as the parser decodes them; one it
                    // does not know makes the scan give up.
                    text.push_str(std::str::from_utf8(self.b.get(run..self.i)?).ok()?);
                    let (c, len) = match self.peek_at(1)? {
                        b'n' => ('\n', 2),
                        b'r' => ('\r', 2),
                        b't' => ('\t', 2),
                        b'"' => ('"', 2),
                        b'\\' => ('\\', 2),
                        b'u' => (self.hex_char(4)?, 6),
                        b'U' => (self.hex_char(8)?, 10),
                        _ => return None,
                    };
                    text.push(c);
                    self.i += len;
                    run = self.i;
                }
                b'$' | b'%' if self.peek_at(1) == Some(b'{') => {
                    plain = false;
                    self.i += 2;
                    self.template()?;
                }
                b'$' | b'%' if self.peek_at(1) == self.peek() && self.peek_at(2) == Some(b'{') => {
                    // `$${` / `%%{`: an escaped template sequence, literally `${` / `%{`.
                    text.push_str(std::str::from_utf8(self.b.get(run..=self.i)?).ok()?);
                    text.push('{');
                    self.i += 3;
                    run = self.i;
                }
                _ => self.i += 1,
            }
        }
    }

    /// The character of a `\uNNNN` (`digits` 4) or `\UNNNNNNNN` (8) escape
    /// at the current position.
    fn hex_char(&self, digits: usize) -> Option<char> {
        let hex = self.b.get(self.i + 2..self.i + 2 + digits)?;
        let code = u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
        char::from_u32(code)
    }

    /// The inside of a `${ … }` or `%{ … }` sequence, through its `}`.
    fn template(&mut self) -> Option<()> {
        let mut depth = 1usize;
        loop {
            match self.peek()? {
                b'"' => {
                    self.string()?;
                }
                b'{' => {
                    depth += 1;
                    self.i += 1;
                }
                b'}' => {
                    self.i += 1;
                    depth -= 1;
                    if depth == 0 {
                        return Some(());
                    }
                }
                _ => self.i += 1,
            }
        }
    }

    /// A heredoc, from its `<<`: through the line that closes it.
    fn heredoc(&mut self) -> Option<()> {
        self.i += 2;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let marker = self.ident()?;
        // Nothing but blanks may follow the marker on its line.
        loop {
            match self.peek()? {
                b' ' | b'\t' | b'\r' => self.i += 1,
                b'\n' => {
                    self.i += 1;
                    break;
                }
                _ => return None,
            }
        }
        loop {
            let end = self.b.get(self.i..)?.iter().position(|c| *c == b'\n').map_or(self.b.len(), |p| self.i + p);
            let line = std::str::from_utf8(self.b.get(self.i..end)?).ok()?;
            self.i = end;
            if line.trim() == marker {
                return Some(());
            }
            if self.i >= self.b.len() {
                return None;
            }
            self.i += 1;
        }
    }

    /// An attribute's expression: up to the newline (or the block's `}`)
    /// that ends it outside any brackets.
    fn expression(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            let Some(c) = self.peek() else { return Some(()) };
            match c {
                b'\n' if depth == 0 => return Some(()),
                b'"' => {
                    self.string()?;
                }
                b'<' if self.peek_at(1) == Some(b'<') => self.heredoc()?,
                b'#' => self.skip_line_comment(),
                b'/' if self.peek_at(1) == Some(b'/') => self.skip_line_comment(),
                b'/' if self.peek_at(1) == Some(b'*') => self.skip_block_comment()?,
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    self.i += 1;
                }
                b')' | b']' => {
                    depth = depth.checked_sub(1)?;
                    self.i += 1;
                }
                b'}' => {
                    if depth == 0 {
                        return Some(());
                    }
                    depth -= 1;
                    self.i += 1;
                }
                _ => self.i += 1,
            }
        }
    }

    /// A block body after its `{`, through its `}`. With `collect`, the
    /// body's own `source` attribute when it is one plain string (the
    /// outer `Option` is `None` when the scan gives up).
    fn body(&mut self, collect: bool) -> Option<Option<String>> {
        self.enter()?;
        let b = self.body_inner(collect);
        self.depth -= 1;
        b
    }

    fn body_inner(&mut self, collect: bool) -> Option<Option<String>> {
        let mut source = None;
        let mut seen_source = false;
        loop {
            self.skip_space(true)?;
            if self.peek()? == b'}' {
                self.i += 1;
                return Some(source);
            }
            let name = self.ident()?;
            self.skip_space(false)?;
            if self.peek() == Some(b'=') && self.peek_at(1) != Some(b'=') {
                self.i += 1;
                self.skip_space(false)?;
                if collect && name == "source" {
                    if seen_source {
                        return None;
                    }
                    seen_source = true;
                    if self.peek() == Some(b'"') {
                        let literal = self.string()?;
                        self.skip_space(false)?;
                        // Only a string that is the whole expression is a literal.
                        if matches!(self.peek(), None | Some(b'\n' | b'}')) {
                            source = literal;
                            continue;
                        }
                    }
                }
                self.expression()?;
            } else {
                self.labels()?;
                self.body(false)?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calls(text: &str) -> Vec<(String, Option<String>)> {
        module_calls(text).unwrap_or_else(|| panic!("scan gave up on:\n{text}"))
    }

    fn call(name: &str, source: Option<&str>) -> ModuleCall {
        (name.to_string(), source.map(str::to_string))
    }

    #[test]
    fn finds_module_blocks_and_their_literal_source() {
        let text = r#"
# a comment with module "x" { source = "./no" }
module "a" {
  source  = "./modules/a"
  version = "1.0"
}

resource "aws_s3_bucket" "b" {
  bucket = "${var.prefix}-b" // module "y" {}
  tags = { Name = "}" }
  policy = <<EOF
module "z" {
  source = "./not-a-call"
}
EOF
}

module b {
  source = "../b"
  count  = var.n > 0 ? 1 : 0
}
/* module "c" { source = "./c" } */
module "d" { source = "./d" }
"#;
        assert_eq!(calls(text), vec![call("a", Some("./modules/a")), call("b", Some("../b")), call("d", Some("./d"))]);
    }

    #[test]
    fn a_source_that_is_not_a_plain_literal_is_none() {
        let text = r#"
module "t" {
  source = "./m/${var.env}"
}
module "e" {
  source = local.path
}
module "c" {
  source = "./a" # comment
}
module "x" {
  source = "./x" == "" ? "a" : "b"
}
module "n" {
  providers = { aws = aws.east }
}
"#;
        assert_eq!(
            calls(text),
            vec![call("t", None), call("e", None), call("c", Some("./a")), call("x", None), call("n", None)]
        );
    }

    #[test]
    fn nested_templates_strings_and_heredocs_are_skipped() {
        let text = r#"
locals {
  a = "${join(",", [for s in var.x : "${s}}"])}"
  b = <<-EOT
    }}} "unbalanced
    EOT
  c = [
    "x",
    { k = "v" },
  ]
  d = "%{ if var.x }yes%{ endif }"
  e = "$${literal}"
}
module "after" {
  source = "./after"
}
"#;
        assert_eq!(calls(text), vec![call("after", Some("./after"))]);
    }

    #[test]
    fn gives_up_on_what_it_does_not_follow() {
        for text in [
            "module \"a\" {\n  source = \"./a\"\n",
            "module \"a\" {\n  source = \"./a\n}\n",
            "x = 1\n",
            "resource \"a\" \"b\" {\n  p = <<EOF\nnever closed\n}\n",
            "/* open comment\n",
            "module \"a\" {\n  source = \"./a\"\n  source = \"./b\"\n}\n",
            "résumé {}\n",
            "a = )\n",
        ] {
            // (The comment makes the scan look: a text that never says
            // `module` is known to have no module block without it.)
            let text = format!("# module \"m\"\n{text}");
            assert_eq!(module_calls(&text), None, "{text}");
        }
    }

    #[test]
    fn escapes_decode_as_the_parser_decodes_them() {
        let text = "module \"a\" {\n  source = \"\\\"\"\n}\nmodule \"b\\u0041\" {\n  source = \"./x\\\\y\\t\"\n}\n";
        assert_eq!(calls(text), vec![call("a", Some("\"")), call("bA", Some("./x\\y\t"))]);
        assert_eq!(module_calls("module \"a\" {\n  source = \"\\q\"\n}\n"), None);
        assert_eq!(calls("module \"a\" {\n  source = \"./$${x}%%{y}\"\n}\n"), vec![call("a", Some("./${x}%{y}"))]);
    }

    #[test]
    fn deep_nesting_is_left_to_the_parser() {
        let deep_blocks = format!("# module \"m\"\na {}{}", "b {\n".repeat(100_000), "}\n".repeat(100_000));
        assert_eq!(module_calls(&deep_blocks), None);
        let deep_strings =
            format!("# module \"m\"\na {{\n  x = \"{}{}\"\n}}\n", "${\"".repeat(100_000), "\"}".repeat(100_000));
        assert_eq!(module_calls(&deep_strings), None);
        let ok = format!("# module \"m\"\na {}{}", "b {\n".repeat(60), "}\n".repeat(60));
        assert_eq!(module_calls(&ok), Some(Vec::new()));
        // A text that never says `module` has no module block, however it is nested.
        assert_eq!(module_calls(&deep_blocks.replace("# module \"m\"", "")), Some(Vec::new()));
    }

    #[test]
    fn only_a_keyword_at_the_start_of_a_token_can_open_a_module_block() {
        for text in
            ["x = path.module\n", "y = module.vpc.id\n", "create_module = true\n", "s = \"terraform-aws-modules/x\"\n"]
        {
            assert!(!may_have_module_block(text), "{text}");
        }
        for text in ["module \"a\" {\n}\n", "  module\t\"a\" {}", "/* c */module \"a\" {\n}\n", "module\"a\" {\n}\n"] {
            assert!(may_have_module_block(text), "{text}");
        }
    }
}

/// The lexical scan agrees with the parser on every `.tf` file of the
/// fixtures and (when present) the shared corpus: same module names, same
/// literal sources. Files the scan gives up on are counted, not compared.
#[cfg(test)]
mod agreement {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use super::module_calls;
    use crate::parse::terraform::ModuleConfig;
    use crate::source::SourceFile;

    fn tf_files(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else { return };
        let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                tf_files(&p, out);
            } else if p.extension().is_some_and(|e| e == "tf") {
                out.push(p);
            }
        }
    }

    #[test]
    fn agrees_with_the_parser() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        tf_files(&root.join("fixtures"), &mut files);
        tf_files(&root.join("benches/data"), &mut files);
        tf_files(&root.join("../shared/corpus"), &mut files);
        assert!(files.len() > 50, "{} files", files.len());
        let (mut compared, mut gave_up, mut with_modules) = (0, 0, 0);
        for path in files {
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            let file = SourceFile {
                path: Arc::from(path.to_string_lossy().as_ref()),
                fs_path: path.clone(),
                text: Arc::from(text.as_str()),
            };
            let cfg = ModuleConfig::parse(path.parent().unwrap_or(Path::new(".")), std::slice::from_ref(&file));
            let Some(calls) = module_calls(&text) else {
                gave_up += 1;
                continue;
            };
            if !cfg.diagnostics.is_empty() {
                continue;
            }
            let lexical: BTreeMap<String, Option<String>> = calls.into_iter().collect();
            let parsed: BTreeMap<String, Option<String>> = cfg
                .modules
                .iter()
                .map(|(name, d)| {
                    let source =
                        d.block.body.get_attribute("source").and_then(|a| a.value.as_str().map(str::to_string));
                    (name.clone(), source)
                })
                .collect();
            assert_eq!(lexical, parsed, "{}", path.display());
            compared += 1;
            if !parsed.is_empty() {
                with_modules += 1;
            }
        }
        eprintln!("compared {compared} files ({with_modules} with module blocks); the scan gave up on {gave_up}");
        assert!(compared > 50 && with_modules > 5, "compared {compared}, with modules {with_modules}");
        assert!(gave_up * 20 < compared, "the scan gave up on {gave_up} of {} files", compared + gave_up);
    }
}

/// Generated configurations: whatever the scan returns for text the parser
/// accepts is what the parser sees (module names and literal sources), and
/// the scan never panics on arbitrary text. (About 70 % of the generated
/// texts parse, a third of them with module blocks.)
#[cfg(test)]
mod generated {
    use std::collections::BTreeMap;
    use std::path::Path;
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::module_calls;
    use crate::parse::terraform::ModuleConfig;
    use crate::source::SourceFile;

    /// Pieces of string content, including the ones a lexical scan could
    /// trip on (braces, quotes escaped, comment starts, template sequences).
    fn string_body() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            "[a-z./_-]{0,6}",
            Just("}".to_string()),
            Just("{".to_string()),
            Just("#".to_string()),
            Just("//".to_string()),
            Just("/*".to_string()),
            Just("\\\"".to_string()),
            Just("\\\\".to_string()),
            Just("$${x}".to_string()),
            Just("${var.a}".to_string()),
            Just("${\"}\"}".to_string()),
            Just("%{ if true }y%{ endif }".to_string()),
        ];
        proptest::collection::vec(piece, 0..5).prop_map(|v| v.concat())
    }

    fn expr() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            string_body().prop_map(|b| format!("\"{b}\"")),
            "[0-9]{1,3}",
            Just("var.x".to_string()),
            Just("true".to_string()),
            Just("<<EOT\n}\"{ module \"z\" {\n  EOT\n".to_string()),
            Just("<<-EOT\n    source = \"./no\"\n    EOT\n".to_string()),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
                proptest::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[\n{}\n]", v.join(",\n"))),
                proptest::collection::vec(("[a-z]{1,4}", inner.clone()), 0..4).prop_map(|v| {
                    let items: Vec<String> = v.into_iter().map(|(k, e)| format!("{k} = {e}")).collect();
                    format!("{{\n{}\n}}", items.join("\n"))
                }),
                (inner.clone(), inner).prop_map(|(a, b)| format!("var.c ? {a} : {b}")),
            ]
        })
    }

    fn body_item() -> impl Strategy<Value = String> {
        prop_oneof![
            ("[a-z]{1,5}", expr()).prop_map(|(k, e)| format!("  {k} = {e}\n")),
            ("source", expr()).prop_map(|(k, e)| format!("  {k} = {e}\n")),
            Just("  # source = \"./c\"\n".to_string()),
            Just("  /* } */\n".to_string()),
            ("[a-z]{1,5}", expr()).prop_map(|(k, e)| format!("  nested {{\n    {k} = {e}\n  }}\n")),
        ]
    }

    fn block() -> impl Strategy<Value = String> {
        let source = prop_oneof![
            "\\./[a-z]{1,4}".prop_map(|s| format!("  source = \"{s}\"\n")),
            "\\.\\./[a-z]{1,4}".prop_map(|s| format!("  source = \"{s}\" # where\n")),
            Just("  source = \"./${var.env}\"\n".to_string()),
            Just("  source = \"./a\\\\b\\u0041\\t\"\n".to_string()),
            Just("  source = local.path\n".to_string()),
            Just(String::new()),
        ];
        prop_oneof![
            ("[a-z]{1,4}", source, proptest::collection::vec(body_item(), 0..4)).prop_map(|(name, src, items)| {
                let (before, after) = items.split_at(items.len() / 2);
                format!("module \"{name}\" {{\n{}{src}{}}}\n", before.concat(), after.concat())
            }),
            ("[a-z]{1,4}", proptest::collection::vec(body_item(), 0..4))
                .prop_map(|(name, items)| format!("resource \"aws_x\" \"{name}\" {{\n{}}}\n", items.concat())),
            proptest::collection::vec(body_item(), 0..4).prop_map(|items| format!("locals {{\n{}}}\n", items.concat())),
        ]
    }

    fn parsed_calls(text: &str) -> Option<BTreeMap<String, Option<String>>> {
        let file = SourceFile { path: Arc::from("main.tf"), fs_path: "main.tf".into(), text: Arc::from(text) };
        let cfg = ModuleConfig::parse(Path::new("."), std::slice::from_ref(&file));
        cfg.diagnostics.is_empty().then(|| {
            cfg.modules
                .iter()
                .map(|(name, d)| {
                    let source =
                        d.block.body.get_attribute("source").and_then(|a| a.value.as_str().map(str::to_string));
                    (name.clone(), source)
                })
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn agrees_with_the_parser_on_generated_configurations(blocks in proptest::collection::vec(block(), 0..6)) {
            let text = blocks.concat();
            if let Some(parsed) = parsed_calls(&text) {
                let scanned = module_calls(&text);
                prop_assert!(scanned.is_some(), "the scan gave up on valid input:\n{}", text);
                let scanned: BTreeMap<String, Option<String>> = scanned.unwrap_or_default().into_iter().collect();
                prop_assert_eq!(scanned, parsed, "{}", text);
            }
        }

        #[test]
        fn never_panics(text in "[a-z \"{}\\[\\]()=#/*$%<\\-\\n\\\\.:]{0,200}") {
            let _ = module_calls(&text);
        }
    }
}
