//! Terraform's built-in functions over evaluated values.
//!
//! Every function here is pure; `file`, `templatefile`, `try` and `can`
//! need the evaluator and live there (the `file*` hashes are read there and
//! hashed here by [`file_digest`]). Functions whose result is not knowable
//! before apply (`uuid`, `bcrypt`, `timestamp`, `plantimestamp`) are unknown;
//! the deterministic ones (hashes, `uuidv5`, `formatdate`, `timeadd`) are
//! computed exactly as Terraform does. A function over an unknown argument
//! yields an unknown unless its result does not depend on it.

mod cidr;
mod collections;
mod encoding;
mod hashes;
mod numbers;
mod strings;
mod time;
mod types;
mod uuid;

use std::collections::{BTreeMap, BTreeSet};

use super::size::{self, NODE_COST};
use crate::value::Value;

pub(crate) use collections::string_set;
pub(crate) use encoding::{encode_json, json_len, write_json_object};
pub(crate) use hashes::{file_digest, is_file_digest};
pub(crate) use numbers::{num, to_number};
pub(crate) use types::{number_text, to_string, values_equal};

/// The outcome of a function: a value, or an error message (a Terraform
/// evaluation error, which `try`/`can` catch).
pub(crate) type CallResult = Result<Value, String>;

/// Why [`call`] gave no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CallError {
    /// A Terraform evaluation error, which `try`/`can` catch.
    Eval(String),
    /// The result would take more than the room the call was given:
    /// nothing was built.
    TooLarge,
}

impl From<String> for CallError {
    fn from(msg: String) -> Self {
        CallError::Eval(msg)
    }
}

impl From<&str> for CallError {
    fn from(msg: &str) -> Self {
        CallError::Eval(msg.to_string())
    }
}

/// The outcome of a function whose result can be much larger than its
/// arguments: it measures the result before building it.
type SizedResult = Result<Value, CallError>;

/// `Ok(n)` when `n` (a result size) is `Some`, else [`CallError::TooLarge`].
fn fits(n: Option<usize>) -> Result<usize, CallError> {
    n.ok_or(CallError::TooLarge)
}

/// How a built-in treats unknown arguments, checked before it is called.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Unknowns {
    /// An unknown anywhere in an argument makes the result unknown.
    Any,
    /// Only a wholly unknown argument makes the result unknown (the
    /// function reads the known parts of the others, or only their shape).
    Whole,
    /// The function handles unknowns itself (`coalesce` skips them).
    Own,
}

/// What runs a built-in.
#[derive(Clone, Copy)]
enum Imp {
    /// A function whose result is at most about the size of its arguments.
    Plain(fn(&[Value]) -> CallResult),
    /// A function whose result can outgrow its arguments: it is given the
    /// room the result may take and measures the result before building it.
    Sized(fn(&[Value], usize) -> SizedResult),
    /// Handled by the evaluator: it reads files, evaluates templates or
    /// catches errors (`try`, `can`, `file`, `templatefile`, the `file*`
    /// hashes).
    Evaluator,
}

/// The steps a call costs over its arguments, or `None` when nothing
/// beyond the call's own step.
type Steps = fn(&[Value]) -> Option<usize>;

/// One built-in function of Terraform.
#[derive(Clone, Copy)]
struct Builtin {
    name: &'static str,
    /// Terraform's arity: least and most arguments (`None`: variadic). The
    /// functions check their own arguments (an error names what is
    /// missing), so calls are not refused against it here.
    #[cfg_attr(not(test), allow(dead_code, reason = "Terraform's declaration, checked by the tests"))]
    arity: (usize, Option<usize>),
    unknowns: Unknowns,
    imp: Imp,
    /// Evaluation steps a call costs besides its expression, when that is
    /// much more (compiling and running a pattern): `None` when it is not.
    steps: Option<Steps>,
}

const fn f(name: &'static str, min: usize, max: Option<usize>, unknowns: Unknowns, imp: Imp) -> Builtin {
    Builtin { name, arity: (min, max), unknowns, imp, steps: None }
}

/// A function of `n` arguments over which any unknown gives an unknown.
const fn pure(name: &'static str, n: usize, f: fn(&[Value]) -> CallResult) -> Builtin {
    Builtin { name, arity: (n, Some(n)), unknowns: Unknowns::Any, imp: Imp::Plain(f), steps: None }
}

/// A function of `n` arguments that measures its result first.
const fn sized(name: &'static str, n: usize, f: fn(&[Value], usize) -> SizedResult) -> Builtin {
    Builtin { name, arity: (n, Some(n)), unknowns: Unknowns::Any, imp: Imp::Sized(f), steps: None }
}

/// A function the evaluator handles.
const fn evaluator(name: &'static str, min: usize, max: Option<usize>) -> Builtin {
    Builtin { name, arity: (min, max), unknowns: Unknowns::Own, imp: Imp::Evaluator, steps: None }
}

const fn with_steps(b: Builtin, steps: Steps) -> Builtin {
    Builtin { steps: Some(steps), ..b }
}

use Imp::{Plain, Sized};
use Unknowns::{Any, Own, Whole};

/// Every built-in function: the one place a function is named.
#[rustfmt::skip]
static BUILTINS: &[Builtin] = &[
    // Collections.
    f("concat", 0, None, Whole, Plain(collections::concat)),
    f("merge", 0, None, Whole, Plain(collections::merge)),
    f("coalesce", 0, None, Own, Plain(collections::coalesce)),
    f("coalescelist", 0, None, Own, Plain(collections::coalescelist)),
    f("compact", 1, Some(1), Whole, Plain(collections::compact)),
    f("length", 1, Some(1), Whole, Plain(collections::length)),
    f("lookup", 2, Some(3), Any, Plain(collections::lookup)),
    pure("element", 2, collections::element),
    pure("flatten", 1, collections::flatten),
    pure("distinct", 1, collections::distinct),
    pure("keys", 1, collections::keys),
    pure("values", 1, collections::values),
    pure("contains", 2, collections::contains),
    pure("slice", 3, collections::slice),
    f("range", 1, Some(3), Any, Plain(collections::range)),
    pure("zipmap", 2, collections::zipmap),
    f("setunion", 1, None, Any, Plain(collections::setunion)),
    f("setintersection", 1, None, Any, Plain(collections::setintersection)),
    pure("setsubtract", 2, collections::setsubtract),
    f("setproduct", 0, None, Any, Sized(collections::setproduct)),
    pure("one", 1, collections::only),
    pure("sort", 1, collections::sort),
    pure("reverse", 1, collections::reverse),
    pure("transpose", 1, collections::transpose),
    pure("alltrue", 1, collections::alltrue),
    pure("anytrue", 1, collections::anytrue),
    pure("index", 2, collections::index),
    pure("chunklist", 2, collections::chunklist),
    pure("matchkeys", 3, collections::matchkeys),
    // Types and conversions.
    f("tolist", 1, Some(1), Whole, Plain(types::tolist)),
    f("toset", 1, Some(1), Whole, Plain(types::toset)),
    f("tomap", 1, Some(1), Whole, Plain(types::tomap)),
    pure("tostring", 1, types::tostring),
    pure("tonumber", 1, types::tonumber),
    pure("tobool", 1, types::tobool),
    f("sensitive", 1, Some(1), Own, Plain(types::sensitive)),
    f("nonsensitive", 1, Some(1), Own, Plain(types::sensitive)),
    pure("type", 1, types::type_of),
    // Numbers.
    f("min", 0, None, Any, Plain(numbers::min)),
    f("max", 0, None, Any, Plain(numbers::max)),
    pure("abs", 1, numbers::abs),
    pure("ceil", 1, numbers::ceil),
    pure("floor", 1, numbers::floor),
    pure("signum", 1, numbers::signum),
    pure("pow", 2, numbers::pow),
    pure("parseint", 2, numbers::parseint),
    pure("sum", 1, numbers::sum),
    // Strings.
    f("format", 1, None, Any, Sized(strings::format_fn)),
    f("formatlist", 1, None, Any, Sized(strings::formatlist)),
    f("join", 1, None, Any, Sized(strings::join)),
    sized("split", 2, strings::split),
    sized("lower", 1, strings::lower),
    sized("upper", 1, strings::upper),
    sized("title", 1, strings::title_fn),
    pure("trimspace", 1, strings::trimspace),
    pure("trim", 2, strings::trim),
    pure("trimprefix", 2, strings::trimprefix),
    pure("trimsuffix", 2, strings::trimsuffix),
    with_steps(sized("replace", 3, strings::replace), strings::replace_steps),
    pure("substr", 3, strings::substr),
    pure("startswith", 2, strings::startswith),
    pure("endswith", 2, strings::endswith),
    pure("strrev", 1, strings::strrev),
    pure("chomp", 1, strings::chomp),
    sized("indent", 2, strings::indent),
    with_steps(sized("regex", 2, strings::regex), strings::regex_steps),
    with_steps(sized("regexall", 2, strings::regexall), strings::regex_steps),
    pure("abspath", 1, strings::path_as_given),
    pure("basename", 1, strings::basename),
    pure("dirname", 1, strings::dirname),
    pure("pathexpand", 1, strings::path_as_given),
    // Encoding.
    f("jsonencode", 1, Some(1), Whole, Sized(encoding::jsonencode)),
    pure("jsondecode", 1, encoding::jsondecode),
    sized("yamlencode", 1, encoding::yamlencode),
    sized("base64encode", 1, encoding::base64encode),
    pure("base64decode", 1, encoding::base64decode),
    sized("urlencode", 1, encoding::urlencode_fn),
    // Networks.
    pure("cidrsubnet", 3, cidr::cidrsubnet),
    pure("cidrhost", 2, cidr::cidrhost),
    pure("cidrnetmask", 1, cidr::cidrnetmask),
    f("cidrsubnets", 1, None, Any, Plain(cidr::cidrsubnets)),
    // Hashes.
    pure("md5", 1, hashes::md5),
    pure("sha1", 1, hashes::sha1),
    pure("sha256", 1, hashes::sha256),
    pure("sha512", 1, hashes::sha512),
    pure("base64sha256", 1, hashes::base64sha256),
    pure("base64sha512", 1, hashes::base64sha512),
    f("bcrypt", 1, Some(2), Any, Plain(hashes::bcrypt)),
    // Time.
    pure("formatdate", 2, time::formatdate_fn),
    pure("timeadd", 2, time::timeadd_fn),
    pure("timestamp", 0, time::timestamp),
    pure("plantimestamp", 0, time::plantimestamp),
    // UUIDs.
    pure("uuid", 0, uuid::uuid),
    pure("uuidv5", 2, uuid::uuidv5_fn),
    // The evaluator's.
    evaluator("try", 1, None),
    evaluator("can", 1, Some(1)),
    evaluator("file", 1, Some(1)),
    evaluator("fileexists", 1, Some(1)),
    evaluator("fileset", 2, Some(2)),
    evaluator("filebase64", 1, Some(1)),
    evaluator("templatefile", 2, Some(2)),
    evaluator("filemd5", 1, Some(1)),
    evaluator("filesha1", 1, Some(1)),
    evaluator("filesha256", 1, Some(1)),
    evaluator("filesha512", 1, Some(1)),
    evaluator("filebase64sha256", 1, Some(1)),
    evaluator("filebase64sha512", 1, Some(1)),
];

fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

/// Calls a pure function. `None` when no such function is known (or the
/// evaluator handles it).
///
/// `room` is the size ([`size`]) the result may take. Every function whose
/// result can be larger than a small multiple of its arguments (the
/// [`Imp::Sized`] rows of [`BUILTINS`]) measures its result first and
/// returns [`CallError::TooLarge`] instead of building more than `room`;
/// the others build at most about the size of their arguments (which were
/// measured when they were built), and the caller measures what they return.
pub(crate) fn call(name: &str, args: &[Value], room: usize) -> Option<Result<Value, CallError>> {
    let Some(b) = builtin(name) else {
        // A function not known over an unknown argument is unknown, not an
        // error: its call would not have been evaluated either.
        return args.iter().find(|a| a.contains_unknown()).map(|u| Ok(unknown_of(name, u)));
    };
    let unknown = match b.unknowns {
        Unknowns::Any => args.iter().find(|a| a.contains_unknown()),
        Unknowns::Whole => args.iter().find(|a| a.is_unknown()),
        Unknowns::Own => None,
    };
    if let Some(u) = unknown {
        return Some(Ok(unknown_of(name, u)));
    }
    match b.imp {
        Imp::Plain(f) => Some(f(args).map_err(CallError::Eval)),
        Imp::Sized(f) => Some(f(args, room)),
        Imp::Evaluator => None,
    }
}

/// Whether the evaluator handles `name` (it reads files, evaluates
/// templates or catches errors) instead of [`call`].
pub(crate) fn is_evaluators(name: &str) -> bool {
    builtin(name).is_some_and(|b| matches!(b.imp, Imp::Evaluator))
}

/// What a call of `name` over `args` costs in evaluation steps besides the
/// one of its expression, when that is much more: compiling a pattern
/// (`regex`, `regexall`, `replace` with `/.../`) and scanning the text
/// with it. The evaluator charges it and checks the clock after the call.
pub(crate) fn extra_steps(name: &str, args: &[Value]) -> u64 {
    let Some(cost) = builtin(name).and_then(|b| b.steps).and_then(|steps| steps(args)) else { return 0 };
    // About a step per 64 bytes of text scanned, 1 per pattern byte
    // compiled; at least one clock check.
    u64::try_from(cost / 64).unwrap_or(u64::MAX).max(1)
}

fn unknown_of(name: &str, arg: &Value) -> Value {
    match arg {
        Value::Unknown(what) => Value::unknown(format!("{name}({what})")),
        _ => Value::unknown(format!("{name}(...)")),
    }
}

fn one(args: &[Value]) -> Result<&Value, String> {
    args.first().ok_or_else(|| "missing argument".to_string())
}

fn str_arg(args: &[Value], i: usize) -> Result<&str, String> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(format!("argument {} must be a string, got {}", i + 1, other.type_name())),
        None => Err(format!("missing argument {}", i + 1)),
    }
}

fn owned_str_arg(args: &[Value], i: usize) -> Result<String, String> {
    match args.get(i) {
        Some(v) => to_string(v),
        None => Err(format!("missing argument {}", i + 1)),
    }
}

fn two_str(args: &[Value]) -> Result<(&str, &str), String> {
    Ok((str_arg(args, 0)?, str_arg(args, 1)?))
}

fn list_arg(args: &[Value], i: usize) -> Result<&[Value], String> {
    match args.get(i) {
        Some(Value::List(l)) => Ok(l),
        Some(other) => Err(format!("argument {} must be a list, got {}", i + 1, other.type_name())),
        None => Err(format!("missing argument {}", i + 1)),
    }
}

fn num_arg(args: &[Value], i: usize) -> Result<f64, String> {
    args.get(i).ok_or_else(|| format!("missing argument {}", i + 1)).and_then(to_number)
}

fn numbers(args: &[Value]) -> Result<Vec<f64>, String> {
    if args.is_empty() {
        return Err("needs at least one number".into());
    }
    args.iter().map(to_number).collect()
}

#[cfg(test)]
mod tests {
    use super::cidr::{cidrhost, cidrnetmask, cidrsubnet, cidrsubnets};
    use super::*;

    fn s(v: &str) -> Value {
        Value::from(v)
    }

    /// A call with all the room it wants; a result too large reads `"too large"`.
    fn call(name: &str, args: &[Value]) -> Option<CallResult> {
        call_in(name, args, usize::MAX)
    }

    fn call_in(name: &str, args: &[Value], room: usize) -> Option<CallResult> {
        super::call(name, args, room).map(|r| {
            r.map_err(|e| match e {
                CallError::Eval(msg) => msg,
                CallError::TooLarge => "too large".to_string(),
            })
        })
    }

    fn too_large(name: &str, args: &[Value], room: usize) -> bool {
        call_in(name, args, room) == Some(Err("too large".to_string()))
    }

    /// The table names every function once, and each function reports a
    /// call short of the arguments Terraform requires (rather than
    /// guessing them), so calls need no check against the table's arity.
    #[test]
    fn the_table_names_each_function_once_with_its_arity() {
        let mut names = BTreeSet::new();
        let mut lenient = Vec::new();
        for b in BUILTINS {
            assert!(names.insert(b.name), "{} twice", b.name);
            let (min, max) = b.arity;
            assert!(max.is_none_or(|m| m >= min), "{}", b.name);
            if min > 0 && !matches!(b.imp, Imp::Evaluator) {
                let r = call(b.name, &[]);
                if !(matches!(&r, Some(Err(_))) || matches!(&r, Some(Ok(v)) if v.is_unknown())) {
                    lenient.push(b.name);
                }
            }
        }
        // The set operations give an empty set for no arguments where
        // Terraform refuses the call: a known leniency, kept as it is.
        assert_eq!(lenient, ["setunion", "setintersection", "setsubtract"]);
    }

    /// Every result that can outgrow its arguments is measured first: with
    /// room for it it is built (twice its size: a regex replacement is
    /// measured by a bound), with half of it it is refused.
    #[test]
    fn results_are_measured_before_they_are_built() {
        let big = s(&"x".repeat(1000));
        let nums = Value::List((0..100).map(Value::from).collect());
        let cases: Vec<(&str, Vec<Value>)> = vec![
            ("join", vec![big.clone(), nums.clone()]),
            ("format", vec![s("%s%s%65536s"), big.clone(), big.clone(), s("")]),
            ("formatlist", vec![s("%s%s"), nums.clone(), big.clone()]),
            ("replace", vec![big.clone(), s("x"), s("yy")]),
            ("replace", vec![big.clone(), s("/x/"), s("$0$0")]),
            ("replace", vec![s("abc"), s(""), s("--")]),
            ("indent", vec![Value::from(100), s(&"a\n".repeat(100))]),
            ("split", vec![s(""), big.clone()]),
            ("setproduct", vec![nums.clone(), nums.clone()]),
            ("regexall", vec![s("x"), big.clone()]),
            ("jsonencode", vec![Value::List(vec![big.clone(), s("<&>\n")])]),
            ("yamlencode", vec![Value::List(vec![big.clone(), Value::Null])]),
            ("upper", vec![s(&"ß".repeat(100))]),
            ("lower", vec![big.clone()]),
            ("base64encode", vec![big.clone()]),
            ("urlencode", vec![s(&"/".repeat(100))]),
        ];
        for (name, args) in cases {
            let Some(Ok(v)) = call(name, &args) else { panic!("{name} failed") };
            let need = size::value_size(&v, usize::MAX).unwrap();
            assert!(!too_large(name, &args, 2 * need), "{name}: {} is room enough", 2 * need);
            assert!(too_large(name, &args, need / 2), "{name}: built in {} of {need}", need / 2);
        }
    }

    #[test]
    fn json_len_is_the_encoded_length() {
        let m: BTreeMap<String, Value> =
            [("a\"b".to_string(), Value::List(vec![s("<\u{2028}\u{1}é"), num(1.5), Value::Null]))].into();
        for v in [Value::Map(m), Value::unknown("x"), Value::Bool(false), Value::List(Vec::new())] {
            let n = encode_json(&v, false).len();
            assert_eq!(json_len(&v, usize::MAX), Some(n));
            assert_eq!(json_len(&v, n), Some(n));
            assert_eq!(json_len(&v, n - 1), None);
        }
    }

    #[test]
    fn cidr_functions_match_terraform() {
        assert_eq!(cidrsubnet(&[s("10.0.0.0/16"), Value::from(8), Value::from(2)]), Ok(s("10.0.2.0/24")));
        assert_eq!(cidrsubnet(&[s("10.1.2.0/24"), Value::from(4), Value::from(15)]), Ok(s("10.1.2.240/28")));
        assert_eq!(cidrhost(&[s("10.12.112.0/20"), Value::from(16)]), Ok(s("10.12.112.16")));
        assert_eq!(cidrhost(&[s("10.12.112.0/20"), Value::from(-2)]), Ok(s("10.12.127.254")));
        assert_eq!(cidrnetmask(&[s("172.16.0.0/12")]), Ok(s("255.240.0.0")));
        assert_eq!(
            cidrsubnets(&[s("10.1.0.0/16"), Value::from(4), Value::from(4), Value::from(8), Value::from(4)]),
            Ok(Value::List(vec![s("10.1.0.0/20"), s("10.1.16.0/20"), s("10.1.32.0/24"), s("10.1.48.0/20")]))
        );
        assert!(cidrsubnet(&[s("10.0.0.0/30"), Value::from(8), Value::from(1)]).is_err());
    }

    #[test]
    fn json_encoding_is_go_style() {
        let v = Value::Map([("b".to_string(), s("<&>")), ("a".to_string(), Value::from(1))].into_iter().collect());
        assert_eq!(encode_json(&v, false), r#"{"a":1,"b":"\u003c\u0026\u003e"}"#);
        assert_eq!(encode_json(&Value::List(vec![Value::from(1)]), true), "[\n  1\n]");
    }

    #[test]
    fn strings_and_formats() {
        assert_eq!(call("format", &[s("%s-%03d"), s("a"), Value::from(7)]), Some(Ok(s("a-007"))));
        assert_eq!(call("replace", &[s("a-b-c"), s("/-(b)-/"), s("+$1+")]), Some(Ok(s("a+b+c"))));
        assert_eq!(call("title", &[s("hello world")]), Some(Ok(s("Hello World"))));
        assert_eq!(call("base64encode", &[s("hello")]), Some(Ok(s("aGVsbG8="))));
        assert_eq!(call("base64decode", &[s("aGVsbG8=")]), Some(Ok(s("hello"))));
        assert_eq!(call("substr", &[s("hello"), Value::from(1), Value::from(3)]), Some(Ok(s("ell"))));
        assert_eq!(call("upper", &[Value::unknown("var.x")]), Some(Ok(Value::unknown("upper(var.x)"))));
        assert_eq!(call("nosuch", &[]), None);
    }

    #[test]
    fn huge_numbers_are_errors_not_overflows() {
        let big = Value::from(i64::MAX);
        assert_eq!(call("substr", &[s("hello"), Value::from(1), big.clone()]), Some(Ok(s("ello"))));
        assert!(matches!(
            call("cidrsubnet", &[s("10.0.0.0/8"), Value::from(4_294_967_295), Value::from(1)]),
            Some(Err(_))
        ));
        assert!(matches!(call("cidrsubnets", &[s("10.0.0.0/8"), Value::from(4_294_967_295)]), Some(Err(_))));
        assert!(matches!(call("range", &[big]), Some(Err(_))));
    }

    #[test]
    fn encodings_are_exact_or_unknown() {
        let m = Value::Map([("b".to_string(), s("x")), ("a".to_string(), Value::from(1))].into_iter().collect());
        assert_eq!(call("yamlencode", &[m]), Some(Ok(s("\"a\": 1\n\"b\": \"x\"\n"))));
        assert_eq!(
            call("yamlencode", &[Value::List(vec![s("a"), Value::Bool(true)])]),
            Some(Ok(s("- \"a\"\n- true\n")))
        );
        let nested = Value::List(vec![Value::List(vec![s("a")])]);
        assert_eq!(call("yamlencode", &[nested]), Some(Ok(Value::unknown("yamlencode(...)"))));
        // The length of a flattened list with an unknown element is unknown.
        let l = Value::List(vec![Value::List(vec![s("a")]), Value::unknown("var.l")]);
        assert_eq!(call("flatten", &[l]), Some(Ok(Value::unknown("flatten(...)"))));
    }

    fn ok(name: &str, args: &[&str]) -> Value {
        let args: Vec<Value> = args.iter().map(|a| s(a)).collect();
        match call(name, &args) {
            Some(Ok(v)) => v,
            other => panic!("{name}({args:?}) gave {other:?}"),
        }
    }

    fn err(name: &str, args: &[&str]) -> String {
        let args: Vec<Value> = args.iter().map(|a| s(a)).collect();
        match call(name, &args) {
            Some(Err(e)) => e,
            other => panic!("{name}({args:?}) gave {other:?}"),
        }
    }

    #[test]
    fn hashes_match_terraform() {
        assert_eq!(ok("md5", &["hello world"]), s("5eb63bbbe01eeed093cb22bb8f5acdc3"));
        assert_eq!(ok("sha1", &["hello world"]), s("2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"));
        assert_eq!(
            ok("sha256", &["hello world"]),
            s("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9")
        );
        assert_eq!(
            ok("sha512", &["hello world"]),
            s("309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f\
               989dd35bc5ff499670da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f")
        );
        assert_eq!(ok("base64sha256", &["hello world"]), s("uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="));
        assert_eq!(
            ok("base64sha512", &["hello world"]),
            s("MJ7MSJwS1utMxA9QyQLytNDtd+5RGnx6m808qG1M2G+YndNbxf9JlnDaNCVbRbDP2DDoH2Bdz33FVC6TrpzXbw==")
        );
        assert_eq!(ok("md5", &[""]), s("d41d8cd98f00b204e9800998ecf8427e"));
        assert_eq!(call("sha256", &[Value::unknown("var.x")]), Some(Ok(Value::unknown("sha256(var.x)"))));
        assert_eq!(call("md5", &[Value::from(1)]), Some(Err("argument 1 must be a string, got number".into())));
        assert!(is_file_digest("filebase64sha512") && is_file_digest("filemd5") && !is_file_digest("filebase64"));
        assert_eq!(file_digest("filesha1", b"hello world"), s("2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"));
        // Not knowable before apply.
        for name in ["uuid", "timestamp", "plantimestamp"] {
            assert_eq!(call(name, &[]), Some(Ok(Value::unknown(format!("{name}()")))));
        }
        assert_eq!(call("bcrypt", &[s("secret")]), Some(Ok(Value::unknown("bcrypt()"))));
    }

    #[test]
    fn uuidv5_matches_the_documented_examples() {
        assert_eq!(ok("uuidv5", &["dns", "www.terraform.io"]), s("a5008fae-b28c-5ba5-96cd-82b4c53552d6"));
        assert_eq!(ok("uuidv5", &["url", "https://www.terraform.io/"]), s("9db6f67c-dd95-5ea0-aa5b-e70e5c5f7cf5"));
        assert_eq!(ok("uuidv5", &["oid", "1.3.6.1.4"]), s("af9d40a5-7a36-5c07-b23a-851cd99fbfa5"));
        assert_eq!(ok("uuidv5", &["x500", "CN=Example,C=GB"]), s("84e09961-4aa4-57f8-95b7-03edb1073253"));
        // A namespace given as a UUID, in each accepted form.
        for ns in [
            "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
            "{6ba7b810-9dad-11d1-80b4-00c04fd430c8}",
            "urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8",
            "6ba7b8109dad11d180b400c04fd430c8",
            "6BA7B810-9DAD-11D1-80B4-00C04FD430C8",
        ] {
            assert_eq!(ok("uuidv5", &[ns, "www.terraform.io"]), s("a5008fae-b28c-5ba5-96cd-82b4c53552d6"), "{ns}");
        }
        assert_eq!(err("uuidv5", &["nope", "x"]), "uuidv5() doesn't support namespace nope");
        assert_eq!(
            err("uuidv5", &["6ba7b810-9dad-11d1-80b4-00c04fd430cg", "x"]),
            "uuidv5() doesn't support namespace 6ba7b810-9dad-11d1-80b4-00c04fd430cg"
        );
    }

    #[test]
    fn formatdate_matches_the_documented_examples() {
        let t = "2018-01-02T23:12:01Z";
        assert_eq!(ok("formatdate", &["DD MMM YYYY hh:mm ZZZ", t]), s("02 Jan 2018 23:12 UTC"));
        assert_eq!(ok("formatdate", &["EEEE, DD-MMM-YY hh:mm:ss ZZZ", t]), s("Tuesday, 02-Jan-18 23:12:01 UTC"));
        assert_eq!(
            ok("formatdate", &["EEE, DD MMM YYYY hh:mm:ss ZZZ", "2018-01-02T23:12:01-08:00"]),
            s("Tue, 02 Jan 2018 23:12:01 -0800")
        );
        assert_eq!(ok("formatdate", &["MMM DD, YYYY", t]), s("Jan 02, 2018"));
        assert_eq!(ok("formatdate", &["HH:mmaa", t]), s("11:12pm"));
        // Every sequence, with quoted literals and a doubled quote.
        assert_eq!(
            ok("formatdate", &["YYYY YY MMMM MMM MM M DD D EEEE EEE", "2006-03-04T05:06:07+05:30"]),
            s("2006 06 March Mar 03 3 04 4 Saturday Sat")
        );
        assert_eq!(
            ok("formatdate", &["hh h HH H AA aa mm m ss s", "2006-03-04T05:06:07+05:30"]),
            s("05 5 05 5 AM am 06 6 07 7")
        );
        assert_eq!(
            ok("formatdate", &["ZZZZZ|ZZZZ|ZZZ|Z", "2006-03-04T05:06:07+05:30"]),
            s("+05:30|+0530|+0530|+05:30")
        );
        assert_eq!(ok("formatdate", &["ZZZZZ|ZZZZ|ZZZ|Z", "2006-03-04T05:06:07Z"]), s("+00:00|+0000|UTC|Z"));
        assert_eq!(ok("formatdate", &["H AA", "2006-03-04T00:30:00Z"]), s("12 AM"));
        assert_eq!(ok("formatdate", &["H aa", "2006-03-04T12:30:00Z"]), s("12 pm"));
        assert_eq!(ok("formatdate", &["YYYYMMDD'T'hhmmss 'o''clock' ''", t]), s("20180102T231201 o'clock '"));
        assert_eq!(ok("formatdate", &["DD/MM", "2024-02-29T10:00:00.123456789Z"]), s("29/02"));
        // Bad specs and timestamps are errors.
        assert_eq!(
            err("formatdate", &["YYY", t]),
            "invalid date format verb \"YYY\": year must either be \"YY\" or \"YYYY\""
        );
        assert_eq!(err("formatdate", &["Q", t]), "invalid date format verb \"Q\"");
        assert_eq!(err("formatdate", &["'abc", t]), "unterminated literal '");
        assert!(err("formatdate", &["YYYY", "2018-01-02"]).starts_with("not a valid RFC3339 timestamp"));
        assert!(err("formatdate", &["YYYY", "2018-02-30T00:00:00Z"]).contains("day out of range"));
        assert!(err("formatdate", &["YYYY", "2018-01-02T23:12:01"]).contains("UTC offset"));
        assert_eq!(
            call("formatdate", &[s("YYYY"), Value::unknown("timestamp()")]),
            Some(Ok(Value::unknown("formatdate(timestamp())")))
        );
    }

    #[test]
    fn timeadd_matches_the_documented_examples() {
        assert_eq!(ok("timeadd", &["2017-11-22T00:00:00Z", "10m"]), s("2017-11-22T00:10:00Z"));
        assert_eq!(ok("timeadd", &["2024-08-16T12:45:05Z", "10m"]), s("2024-08-16T12:55:05Z"));
        assert_eq!(ok("timeadd", &["2024-08-16T12:45:05Z", "-10m"]), s("2024-08-16T12:35:05Z"));
        assert_eq!(ok("timeadd", &["2024-02-28T23:00:00Z", "1.5h"]), s("2024-02-29T00:30:00Z"));
        assert_eq!(ok("timeadd", &["2023-12-31T23:59:59Z", "1h30m1s"]), s("2024-01-01T01:30:00Z"));
        assert_eq!(ok("timeadd", &["2017-11-22T00:00:00-08:00", "-2h5m"]), s("2017-11-21T21:55:00-08:00"));
        assert_eq!(ok("timeadd", &["2017-11-22T00:00:00+00:00", "8760h"]), s("2018-11-22T00:00:00Z"));
        assert_eq!(ok("timeadd", &["2017-11-22T00:00:00.5Z", "500ms"]), s("2017-11-22T00:00:01Z"));
        assert_eq!(ok("timeadd", &["2017-11-22T00:00:00Z", "1500000us"]), s("2017-11-22T00:00:01Z"));
        assert_eq!(ok("timeadd", &["2017-11-22T00:00:00Z", "2000000\u{b5}s"]), s("2017-11-22T00:00:02Z"));
        assert_eq!(ok("timeadd", &["2017-11-22T00:00:00Z", "999999999ns"]), s("2017-11-22T00:00:00Z"));
        assert_eq!(ok("timeadd", &["2017-11-22T00:00:00Z", "+.5m"]), s("2017-11-22T00:00:30Z"));
        assert_eq!(ok("timeadd", &["2017-11-22T00:00:00Z", "0"]), s("2017-11-22T00:00:00Z"));
        assert_eq!(err("timeadd", &["2017-11-22T00:00:00Z", "10"]), "time: missing unit in duration \"10\"");
        assert_eq!(err("timeadd", &["2017-11-22T00:00:00Z", "1d"]), "time: unknown unit \"d\" in duration \"1d\"");
        assert_eq!(err("timeadd", &["2017-11-22T00:00:00Z", ""]), "time: invalid duration \"\"");
        assert_eq!(
            err("timeadd", &["2017-11-22T00:00:00Z", "9999999999999h"]),
            "time: invalid duration \"9999999999999h\""
        );
        assert_eq!(ok("timeadd", &["0001-01-01T00:00:00Z", "-1h"]), s("0000-12-31T23:00:00Z"));
        assert!(err("timeadd", &["0000-01-01T00:00:00Z", "-1h"]).contains("outside the range"));
        assert!(err("timeadd", &["yesterday", "1h"]).starts_with("not a valid RFC3339 timestamp"));
    }
}
