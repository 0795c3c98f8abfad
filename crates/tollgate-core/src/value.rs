//! The evaluated value of an attribute: JSON plus an explicit *unknown*.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

/// An evaluated value. `Unknown` stands for anything that cannot be known
/// before apply (resource attributes, other data sources, unset variables,
/// remote module outputs). Rules must never treat an unknown as a match.
///
/// In the JSON graph an unknown serializes as `{"$unknown": "<what it is>"}`.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
    /// A value that is only known after apply; the string says what it is
    /// (for example `aws_iam_role.app.arn` or `var.cidr`).
    Unknown(String),
}

impl Value {
    pub fn unknown(what: impl Into<String>) -> Self {
        Value::Unknown(what.into())
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown(_))
    }

    /// True when this value or anything inside it is unknown.
    pub fn contains_unknown(&self) -> bool {
        match self {
            Value::Unknown(_) => true,
            Value::List(items) => items.iter().any(Value::contains_unknown),
            Value::Map(map) => map.values().any(Value::contains_unknown),
            _ => false,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(map) => Some(map),
            _ => None,
        }
    }

    /// Map lookup; `None` for non-maps and missing keys.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_map().and_then(|m| m.get(key))
    }

    /// A single value or a list of values, as a list (IAM's "string or list").
    pub fn as_one_or_many(&self) -> Vec<&Value> {
        match self {
            Value::List(items) => items.iter().collect(),
            Value::Null => Vec::new(),
            other => vec![other],
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Map(_) => "map",
            Value::Unknown(_) => "unknown",
        }
    }

    /// Converts to plain JSON, with unknowns as `{"$unknown": ...}` objects.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => serde_json::Value::Number(n.clone()),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::List(items) => serde_json::Value::Array(items.iter().map(Value::to_json).collect()),
            Value::Map(map) => serde_json::Value::Object(map.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
            Value::Unknown(what) => {
                let mut obj = serde_json::Map::new();
                obj.insert(UNKNOWN_KEY.to_string(), serde_json::Value::String(what.clone()));
                serde_json::Value::Object(obj)
            }
        }
    }

    /// Converts plain JSON (no unknown markers are interpreted).
    pub fn from_json(json: &serde_json::Value) -> Self {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.clone()),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(items) => Value::List(items.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(map) => {
                Value::Map(map.iter().map(|(k, v)| (k.clone(), Value::from_json(v))).collect())
            }
        }
    }
}

/// The key under which an unknown value serializes.
pub const UNKNOWN_KEY: &str = "$unknown";

impl Value {
    /// Parses JSON text into a value, as [`Value::from_json`] of the parsed
    /// text (no unknown markers are interpreted), without building the
    /// `serde_json::Value` in between.
    pub fn parse_json(text: &str) -> serde_json::Result<Value> {
        JsonSeed { markers: false }.read(text)
    }

    /// Parses JSON text written by [`Value`]'s serialization back: an object
    /// whose only key is `$unknown` with a string is the unknown it names.
    pub(crate) fn parse_json_marked(text: &str) -> serde_json::Result<Value> {
        JsonSeed { markers: true }.read(text)
    }
}

/// Reads JSON into a [`Value`] the way `serde_json::Value` reads it
/// (numbers as `serde_json::Number`, a repeated key keeps its last value),
/// optionally reading `{"$unknown": "what"}` as an unknown.
#[derive(Clone, Copy)]
struct JsonSeed {
    markers: bool,
}

impl JsonSeed {
    /// The whole of `text` (trailing characters are an error, as in
    /// `serde_json::from_str`).
    fn read(self, text: &str) -> serde_json::Result<Value> {
        use serde::de::DeserializeSeed;
        let mut de = serde_json::Deserializer::from_str(text);
        let v = self.deserialize(&mut de)?;
        de.end()?;
        Ok(v)
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for JsonSeed {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for JsonSeed {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        serde::de::DeserializeSeed::deserialize(self, d)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element_seed(self)? {
            items.push(v);
        }
        Ok(Value::List(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(k) = map.next_key::<String>()? {
            let v = map.next_value_seed(self)?;
            out.insert(k, v);
        }
        if self.markers
            && out.len() == 1
            && let Some(Value::String(what)) = out.get(UNKNOWN_KEY)
        {
            return Ok(Value::Unknown(what.clone()));
        }
        Ok(Value::Map(out))
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Number(n) => n.serialize(serializer),
            Value::String(s) => serializer.serialize_str(s),
            Value::List(items) => items.serialize(serializer),
            Value::Map(map) => map.serialize(serializer),
            Value::Unknown(what) => {
                let mut m = serializer.serialize_map(Some(1))?;
                m.serialize_entry(UNKNOWN_KEY, what)?;
                m.end()
            }
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Number(n.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reading of `{"$unknown": "what"}` markers, on a parsed tree.
    fn marked(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Object(map) => match (map.len(), map.get(UNKNOWN_KEY)) {
                (1, Some(serde_json::Value::String(what))) => Value::Unknown(what.clone()),
                _ => Value::Map(map.iter().map(|(k, v)| (k.clone(), marked(v))).collect()),
            },
            serde_json::Value::Array(items) => Value::List(items.iter().map(marked).collect()),
            other => Value::from_json(other),
        }
    }

    #[test]
    fn json_text_reads_as_the_parsed_tree_converted() {
        let texts = [
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:*"], "Resource": "*"}]}"#,
            r#"[1, -2, 3.5, 1e300, -0.0, 18446744073709551615, -9223372036854775808, 1.5e-7, true, false, null]"#,
            r#"{"b": 1, "a": {"z": [], "y": {}}, "b": 2, "\u00e9\n\"": "\ud83d\ude00 \\ \/"}"#,
            r#"{"$unknown": "aws_iam_role.x.arn"}"#,
            r#"{"a": {"$unknown": "var.x"}, "b": [{"$unknown": "y"}], "c": {"$unknown": "z", "d": 1}}"#,
            r#"{"$unknown": 1}"#,
            r#"{"$unknown": "a", "$unknown": "b"}"#,
            r#""just a string""#,
            "  {\"x\" : [ ] }  ",
        ];
        for text in texts {
            let tree: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(Value::parse_json(text).unwrap(), Value::from_json(&tree), "{text}");
            assert_eq!(Value::parse_json_marked(text).unwrap(), marked(&tree), "{text}");
        }
        assert_eq!(Value::parse_json_marked(texts[3]).unwrap(), Value::unknown("aws_iam_role.x.arn"));
        assert!(matches!(Value::parse_json(texts[3]).unwrap(), Value::Map(_)), "markers only where asked for");
    }

    #[test]
    fn bad_json_text_is_the_same_error() {
        for text in ["", "{", "[1,]", "{\"a\" 1}", "1 2", "{\"a\": 1} x", "\"\\x\"", "nul", "[1e400]"] {
            let want = serde_json::from_str::<serde_json::Value>(text).unwrap_err().to_string();
            assert_eq!(Value::parse_json(text).unwrap_err().to_string(), want, "{text}");
            assert_eq!(Value::parse_json_marked(text).unwrap_err().to_string(), want, "{text}");
        }
    }
}
