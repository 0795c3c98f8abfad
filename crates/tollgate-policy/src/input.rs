//! The rules' `input`: a unit's [`Graph`] converted straight into a
//! regorus value through its `Serialize` implementation, with no JSON text
//! in between. The value is the graph's JSON form (as `tollgate graph`
//! prints it): objects, arrays, strings, numbers, booleans and null.
//!
//! Struct field names (`address`, `loc`, `line`…) repeat in every
//! resource; each distinct name becomes one shared string for the whole
//! conversion.
//!
//! The bundled rules read neither the graph's `edges` nor the resources'
//! per-attribute `spans` (together about 40 % of the graph), and read
//! resources of [`BUNDLED_RESOURCE_TYPES`] only; when only they run, the
//! input leaves the rest out ([`Input::Bundled`]). Custom rules get the
//! whole graph.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use regorus::Value;
use regorus::value::Object;
use serde::ser::{self, Serialize, SerializeSeq, SerializeStruct};
use tollgate_core::Graph;
use tollgate_core::graph::Resource;

/// The resource types the bundled rules read from `input.resources` (roles,
/// users and groups for IAM008, the account public access block for
/// S3004); everything else they read from the derived views. A test keeps
/// this list in step with the rules.
pub(crate) const BUNDLED_RESOURCE_TYPES: &[&str] = &[
    "AWS::IAM::Group",
    "AWS::IAM::Role",
    "AWS::IAM::User",
    "aws_iam_group",
    "aws_iam_role",
    "aws_iam_user",
    "aws_s3_account_public_access_block",
];

/// Which parts of a graph the rules receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Input {
    /// The whole graph (custom rules may read anything).
    Full,
    /// Without `edges`, resources' `spans`, and resources of types other
    /// than [`BUNDLED_RESOURCE_TYPES`]: what the bundled rules read.
    Bundled,
}

impl Input {
    /// Struct fields left out of the input.
    fn omitted(self) -> &'static [&'static str] {
        match self {
            Input::Full => &[],
            Input::Bundled => &["edges", "spans"],
        }
    }
}

/// Converts a unit's graph into the rules' input.
pub(crate) fn graph_to_value(graph: &Graph, input: Input) -> Result<Value, String> {
    match input {
        Input::Full => convert(graph, input.omitted()),
        Input::Bundled => convert(&BundledView(graph), input.omitted()),
    }
}

/// The graph as the bundled rules read it: every field but `edges`, and
/// only the resources of [`BUNDLED_RESOURCE_TYPES`].
struct BundledView<'g>(&'g Graph);

impl Serialize for BundledView<'_> {
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let g = self.0;
        let mut st = s.serialize_struct("Graph", 8)?;
        st.serialize_field("schema_version", &g.schema_version)?;
        st.serialize_field("resources", &ReadResources(&g.resources))?;
        st.serialize_field("policies", &g.policies)?;
        st.serialize_field("attachments", &g.attachments)?;
        st.serialize_field("iam_principals", &g.iam_principals)?;
        st.serialize_field("network_rules", &g.network_rules)?;
        st.serialize_field("buckets", &g.buckets)?;
        st.serialize_field("aws_managed_policies", &g.aws_managed_policies)?;
        st.end()
    }
}

struct ReadResources<'g>(&'g [Resource]);

impl Serialize for ReadResources<'_> {
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let read = || self.0.iter().filter(|r| BUNDLED_RESOURCE_TYPES.contains(&r.resource_type.as_str()));
        let mut seq = s.serialize_seq(Some(read().count()))?;
        for r in read() {
            seq.serialize_element(r)?;
        }
        seq.end()
    }
}

/// Converts any serializable value into a regorus value (its JSON form).
#[cfg(test)]
pub(crate) fn to_value<T: Serialize + ?Sized>(v: &T) -> Result<Value, String> {
    convert(v, &[])
}

fn convert<T: Serialize + ?Sized>(v: &T, omit: &[&'static str]) -> Result<Value, String> {
    let keys = RefCell::new(HashMap::default());
    v.serialize(ValueSerializer { keys: &keys, omit }).map_err(|e| e.0)
}

/// A conversion error (a map key that is not a string, or a custom error
/// of a `Serialize` implementation).
#[derive(Debug)]
pub(crate) struct ConvertError(String);

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConvertError {}

impl ser::Error for ConvertError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ConvertError(msg.to_string())
    }
}

/// Field names by the address of their static text: the names come from
/// `#[derive(Serialize)]` and are looked up once per field of every value,
/// so the key is the pointer (a name that exists at two addresses gets two
/// equal strings, which is harmless).
type Keys = RefCell<HashMap<(usize, usize), Value, BuildHasherDefault<AddressHasher>>>;

/// Hashes the (address, length) key of [`Keys`]: one multiply per word.
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

#[derive(Clone, Copy)]
struct ValueSerializer<'k> {
    keys: &'k Keys,
    /// Struct fields to leave out (see [`Input`]).
    omit: &'k [&'static str],
}

impl ValueSerializer<'_> {
    fn key(self, name: &'static str) -> Value {
        self.keys.borrow_mut().entry((name.as_ptr() as usize, name.len())).or_insert_with(|| Value::from(name)).clone()
    }
}

impl<'k> ser::Serializer for ValueSerializer<'k> {
    type Ok = Value;
    type Error = ConvertError;
    type SerializeSeq = SeqBuilder<'k>;
    type SerializeTuple = SeqBuilder<'k>;
    type SerializeTupleStruct = SeqBuilder<'k>;
    type SerializeTupleVariant = VariantBuilder<SeqBuilder<'k>>;
    type SerializeMap = MapBuilder<'k>;
    type SerializeStruct = MapBuilder<'k>;
    type SerializeStructVariant = VariantBuilder<MapBuilder<'k>>;

    fn serialize_bool(self, v: bool) -> Result<Value, ConvertError> {
        Ok(Value::from(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value, ConvertError> {
        Ok(Value::from(i64::from(v)))
    }
    fn serialize_i16(self, v: i16) -> Result<Value, ConvertError> {
        Ok(Value::from(i64::from(v)))
    }
    fn serialize_i32(self, v: i32) -> Result<Value, ConvertError> {
        Ok(Value::from(i64::from(v)))
    }
    fn serialize_i64(self, v: i64) -> Result<Value, ConvertError> {
        Ok(Value::from(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Value, ConvertError> {
        Ok(Value::from(u64::from(v)))
    }
    fn serialize_u16(self, v: u16) -> Result<Value, ConvertError> {
        Ok(Value::from(u64::from(v)))
    }
    fn serialize_u32(self, v: u32) -> Result<Value, ConvertError> {
        Ok(Value::from(u64::from(v)))
    }
    fn serialize_u64(self, v: u64) -> Result<Value, ConvertError> {
        Ok(Value::from(v))
    }
    fn serialize_f32(self, v: f32) -> Result<Value, ConvertError> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, ConvertError> {
        // JSON has no NaN or infinity; serde_json writes them as null.
        Ok(if v.is_finite() { Value::from(v) } else { Value::Null })
    }
    fn serialize_char(self, v: char) -> Result<Value, ConvertError> {
        Ok(Value::from(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, ConvertError> {
        Ok(Value::from(v))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, ConvertError> {
        Ok(Value::from(v.iter().map(|b| Value::from(u64::from(*b))).collect::<Vec<_>>()))
    }
    fn serialize_none(self) -> Result<Value, ConvertError> {
        Ok(Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, ConvertError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, ConvertError> {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, ConvertError> {
        Ok(Value::Null)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
    ) -> Result<Value, ConvertError> {
        Ok(self.key(variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, ConvertError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, ConvertError> {
        let mut obj = Object::new();
        obj.insert(self.key(variant), value.serialize(self)?);
        Ok(obj.into_value())
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder<'k>, ConvertError> {
        Ok(SeqBuilder { ser: self, items: Vec::with_capacity(len.unwrap_or(0)) })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder<'k>, ConvertError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<SeqBuilder<'k>, ConvertError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, ConvertError> {
        Ok(VariantBuilder { variant: self.key(variant), inner: self.serialize_seq(Some(len))? })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<MapBuilder<'k>, ConvertError> {
        Ok(MapBuilder { ser: self, obj: Object::new(), next_key: None })
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<MapBuilder<'k>, ConvertError> {
        self.serialize_map(None)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, ConvertError> {
        Ok(VariantBuilder { variant: self.key(variant), inner: self.serialize_map(None)? })
    }
}

struct SeqBuilder<'k> {
    ser: ValueSerializer<'k>,
    items: Vec<Value>,
}

impl SeqBuilder<'_> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ConvertError> {
        self.items.push(value.serialize(self.ser)?);
        Ok(())
    }
}

/// serde's three sequence traits differ only in the name of the element
/// method: one implementation each, all pushing onto the builder.
macro_rules! seq_impl {
    ($trait:ident, $method:ident) => {
        impl ser::$trait for SeqBuilder<'_> {
            type Ok = Value;
            type Error = ConvertError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ConvertError> {
                self.push(value)
            }
            fn end(self) -> Result<Value, ConvertError> {
                Ok(Value::from(self.items))
            }
        }
    };
}

seq_impl!(SerializeSeq, serialize_element);
seq_impl!(SerializeTuple, serialize_element);
seq_impl!(SerializeTupleStruct, serialize_field);

struct MapBuilder<'k> {
    ser: ValueSerializer<'k>,
    obj: Object,
    next_key: Option<Value>,
}

impl ser::SerializeMap for MapBuilder<'_> {
    type Ok = Value;
    type Error = ConvertError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), ConvertError> {
        // JSON object keys are strings; serde_json also writes integer keys as strings.
        let key = match key.serialize(self.ser)? {
            k @ Value::String(_) => k,
            Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => Value::from(i.to_string()),
                (None, Some(u)) => Value::from(u.to_string()),
                _ => return Err(ConvertError("a map key is not a string".to_string())),
            },
            Value::Bool(b) => Value::from(b.to_string()),
            _ => return Err(ConvertError("a map key is not a string".to_string())),
        };
        self.next_key = Some(key);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ConvertError> {
        let key = self.next_key.take().ok_or_else(|| ConvertError("a map value without its key".to_string()))?;
        self.obj.insert(key, value.serialize(self.ser)?);
        Ok(())
    }
    fn end(self) -> Result<Value, ConvertError> {
        Ok(self.obj.into_value())
    }
}

impl ser::SerializeStruct for MapBuilder<'_> {
    type Ok = Value;
    type Error = ConvertError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, name: &'static str, value: &T) -> Result<(), ConvertError> {
        if self.ser.omit.contains(&name) {
            return Ok(());
        }
        let key = self.ser.key(name);
        self.obj.insert(key, value.serialize(self.ser)?);
        Ok(())
    }
    fn end(self) -> Result<Value, ConvertError> {
        Ok(self.obj.into_value())
    }
}

/// `{"Variant": payload}`, as serde_json writes externally tagged enums.
struct VariantBuilder<B> {
    variant: Value,
    inner: B,
}

impl<'k> ser::SerializeTupleVariant for VariantBuilder<SeqBuilder<'k>> {
    type Ok = Value;
    type Error = ConvertError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ConvertError> {
        self.inner.push(value)
    }
    fn end(self) -> Result<Value, ConvertError> {
        let mut obj = Object::new();
        obj.insert(self.variant, Value::from(self.inner.items));
        Ok(obj.into_value())
    }
}

impl<'k> ser::SerializeStructVariant for VariantBuilder<MapBuilder<'k>> {
    type Ok = Value;
    type Error = ConvertError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, name: &'static str, value: &T) -> Result<(), ConvertError> {
        ser::SerializeStruct::serialize_field(&mut self.inner, name, value)
    }
    fn end(self) -> Result<Value, ConvertError> {
        let mut obj = Object::new();
        obj.insert(self.variant, self.inner.obj.into_value());
        Ok(obj.into_value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    /// The direct conversion gives the value the JSON text round trip gives.
    fn same_as_json<T: Serialize>(v: &T) {
        let json = serde_json::to_string(v).unwrap();
        let expected = Value::from_json_str(&json).unwrap();
        assert_eq!(to_value(v).unwrap(), expected, "{json}");
    }

    #[derive(Serialize)]
    enum E {
        Unit,
        New(u32),
        Tuple(u8, String),
        Struct { a: i64, b: Option<f64> },
    }

    #[derive(Serialize)]
    struct S {
        name: &'static str,
        n: u64,
        neg: i32,
        f: f64,
        none: Option<u8>,
        list: Vec<E>,
        map: std::collections::BTreeMap<String, bool>,
        int_keys: std::collections::BTreeMap<u32, &'static str>,
        tuple: (u8, &'static str),
        unit: (),
    }

    #[test]
    fn matches_the_json_round_trip() {
        same_as_json(&S {
            name: "a \"quoted\" name",
            n: u64::MAX,
            neg: -3,
            f: 1.5,
            none: None,
            list: vec![E::Unit, E::New(7), E::Tuple(1, "x".into()), E::Struct { a: -1, b: Some(0.25) }],
            map: [("k".to_string(), true), ("a".to_string(), false)].into_iter().collect(),
            int_keys: [(10, "ten"), (2, "two")].into_iter().collect(),
            tuple: (9, "nine"),
            unit: (),
        });
        same_as_json(&serde_json::json!({"deep": [[{"x": null}], [], {}], "big": 12345678901234_i64}));
    }

    #[test]
    fn graphs_convert_like_their_json() {
        let mut files = std::collections::BTreeMap::new();
        files.insert(
            std::path::PathBuf::from("main.tf"),
            r#"
resource "aws_iam_policy" "p" {
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:*", "iam:PassRole"], Resource = "*" }]
  })
}
resource "aws_security_group" "web" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_s3_bucket" "b" {
  bucket = var.name
}
resource "aws_s3_bucket_public_access_block" "b" {
  bucket = aws_s3_bucket.b.id
}
resource "aws_iam_role" "r" {
  name = "r"
}
variable "name" {}
"#
            .to_string(),
        );
        let out = tollgate_core::scan_sources(files, &tollgate_core::ScanOptions::default()).unwrap();
        assert_eq!(out.units.len(), 1);
        let graph = &out.units[0].graph;
        same_as_json(graph);
        assert_eq!(graph_to_value(graph, Input::Full).unwrap(), to_value(graph).unwrap());

        // The bundled rules' input is the JSON form without `edges`, the
        // resources' `spans`, and resources of other types.
        let mut json = serde_json::to_value(graph).unwrap();
        assert!(json.as_object_mut().unwrap().remove("edges").is_some_and(|e| !e.as_array().unwrap().is_empty()));
        let resources = json["resources"].as_array_mut().unwrap();
        let before = resources.len();
        resources.retain(|r| BUNDLED_RESOURCE_TYPES.contains(&r["type"].as_str().unwrap()));
        assert!(before > resources.len() && !resources.is_empty(), "{before} resources, {} kept", resources.len());
        for r in resources {
            assert!(r.as_object_mut().unwrap().remove("spans").is_some());
        }
        let expected = Value::from_json_str(&json.to_string()).unwrap();
        assert_eq!(graph_to_value(graph, Input::Bundled).unwrap(), expected);
    }
}
