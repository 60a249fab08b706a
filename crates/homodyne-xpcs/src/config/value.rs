//! A configuration value as the document holds it, before its checks: absent (or `null`),
//! of the type its key takes, or of another type, kept to say what was found.
//!
//! Every key of the document's sections is a [`Field`], which reads any value: a value of
//! the wrong type is not a deserialisation error (that would carry no key), but a
//! [`Field::Wrong`] that the reader turns into an [`XpcsError::ConfigType`] naming the key,
//! as in ``configuration key `analyzer_parameters.dt`: expected a number, found the string
//! "fast"``. A [`Shape`] says what a key takes.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{Deserialize, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};

use crate::error::XpcsError;

/// What a key holds.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) enum Field<T> {
    /// Absent, or `null`.
    #[default]
    Absent,
    /// A value of the type the key takes.
    Given(T),
    /// A value of another type: what was found.
    Wrong(Value),
}

impl<T> From<Result<T, Value>> for Field<T> {
    fn from(read: Result<T, Value>) -> Self {
        match read {
            Ok(value) => Self::Given(value),
            Err(found) => Self::Wrong(found),
        }
    }
}

/// A type that a key's value is read as.
pub(crate) trait Shape: Sized {
    /// What the key takes, for messages: `a number`.
    const EXPECTED: &'static str;

    /// A value as this type; `Err` gives back a value of another type (by default, every
    /// value: a list or a mapping is read by the methods below).
    fn from_value(value: Value) -> Result<Self, Value> {
        Err(value)
    }

    /// A mapping as this type; by default, read whole as a value.
    fn from_map<'de, A: MapAccess<'de>>(map: A) -> Result<Result<Self, Value>, A::Error> {
        Value::deserialize(MapAccessDeserializer::new(map)).map(Self::from_value)
    }

    /// A list as this type; by default, read whole as a value.
    fn from_seq<'de, A: SeqAccess<'de>>(seq: A) -> Result<Result<Self, Value>, A::Error> {
        Value::deserialize(SeqAccessDeserializer::new(seq)).map(Self::from_value)
    }
}

impl<'de, T: Shape> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FieldVisitor(PhantomData))
    }
}

/// Reads any value into a [`Field`].
struct FieldVisitor<T>(PhantomData<T>);

impl<T: Shape> FieldVisitor<T> {
    fn scalar<E>(value: Value) -> Result<Field<T>, E> {
        Ok(T::from_value(value).into())
    }
}

impl<'de, T: Shape> Visitor<'de> for FieldVisitor<T> {
    type Value = Field<T>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str(T::EXPECTED)
    }

    fn visit_unit<E>(self) -> Result<Field<T>, E> {
        Ok(Field::Absent)
    }

    fn visit_none<E>(self) -> Result<Field<T>, E> {
        Ok(Field::Absent)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Field<T>, D::Error> {
        Field::deserialize(deserializer)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Field<T>, E> {
        Self::scalar(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Field<T>, E> {
        Self::scalar(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Field<T>, E> {
        Self::scalar(Value::from(v))
    }

    /// A float that is not finite is `null`, as in a JSON value tree.
    fn visit_f64<E>(self, v: f64) -> Result<Field<T>, E> {
        Number::from_f64(v).map_or(Ok(Field::Absent), |n| Self::scalar(Value::Number(n)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Field<T>, E> {
        Self::scalar(Value::String(v.to_owned()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Field<T>, A::Error> {
        T::from_seq(seq).map(Field::from)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Field<T>, A::Error> {
        T::from_map(map).map(Field::from)
    }
}

impl<T: Shape> Field<T> {
    /// The value; `None` when absent. A value of another type is an
    /// [`XpcsError::ConfigType`] naming `key`, saying it takes `T`'s [`Shape::EXPECTED`].
    pub(crate) fn get(self, key: &str) -> Result<Option<T>, XpcsError> {
        self.get_as(key, T::EXPECTED)
    }

    /// [`Field::get`], saying the key takes `expected`.
    pub(crate) fn get_as(self, key: &str, expected: &str) -> Result<Option<T>, XpcsError> {
        match self {
            Self::Absent => Ok(None),
            Self::Given(value) => Ok(Some(value)),
            Self::Wrong(found) => Err(type_error(key, expected, &found)),
        }
    }

    /// The value of a list item, which must be given: `null` is of the wrong type too.
    pub(crate) fn require(self, key: &str) -> Result<T, XpcsError> {
        self.require_as(key, T::EXPECTED)
    }

    /// [`Field::require`], saying the item takes `expected`.
    pub(crate) fn require_as(self, key: &str, expected: &str) -> Result<T, XpcsError> {
        self.get_as(key, expected)?
            .ok_or_else(|| type_error(key, expected, &Value::Null))
    }
}

impl Field<f64> {
    /// A positive number; `None` when absent.
    pub(crate) fn positive(self, key: &str) -> Result<Option<f64>, XpcsError> {
        match self.get(key)? {
            Some(v) if !(v.is_finite() && v > 0.0) => Err(XpcsError::config_value(
                key,
                format!("is {v}; give a positive number"),
            )),
            other => Ok(other),
        }
    }
}

impl Field<i64> {
    /// An integer `>= minimum`; `None` when absent.
    pub(crate) fn count(self, key: &str, minimum: usize) -> Result<Option<usize>, XpcsError> {
        let Some(v) = self.get(key)? else {
            return Ok(None);
        };
        usize::try_from(v)
            .ok()
            .filter(|&n| n >= minimum)
            .map(Some)
            .ok_or_else(|| {
                XpcsError::config_value(key, format!("is {v}; give an integer >= {minimum}"))
            })
    }
}

impl Field<String> {
    /// One of a set of spellings, read by `parse`; `None` when absent. A string `parse`
    /// does not know is an [`XpcsError::ConfigValue`] naming `key` and listing `choices`.
    pub(crate) fn choice<T>(
        self,
        key: &str,
        parse: impl FnOnce(&str) -> Option<T>,
        choices: &str,
    ) -> Result<Option<T>, XpcsError> {
        let Some(text) = self.get(key)? else {
            return Ok(None);
        };
        parse(&text)
            .map(Some)
            .ok_or_else(|| XpcsError::config_value(key, format!("is {text:?}; give {choices}")))
    }
}

/// A list whose items are read one by one, each named by its index in messages.
pub(crate) type List<T> = Vec<Field<T>>;

/// Every item of `list` at `key`, each of which must be given; an item of the wrong type
/// is an error naming `key[i]`.
pub(crate) fn read_items<T: Shape>(list: List<T>, key: &str) -> Result<Vec<T>, XpcsError> {
    list.into_iter()
        .enumerate()
        .map(|(i, item)| item.require(&format!("{key}[{i}]")))
        .collect()
}

/// The [`Shape`] of each scalar type that one of [`Value`]'s accessors reads: the type,
/// what a key of it takes, the accessor (a number is an `f64`, an integer too).
macro_rules! scalar_shapes {
    ($($type:ty: $expected:literal by $read:path;)*) => {$(
        impl Shape for $type {
            const EXPECTED: &'static str = $expected;

            fn from_value(value: Value) -> Result<Self, Value> {
                $read(&value).map(Into::into).ok_or(value)
            }
        }
    )*};
}

scalar_shapes! {
    f64: "a number" by Value::as_f64;
    i64: "an integer" by Value::as_i64;
    bool: "true or false" by Value::as_bool;
    String: "a string" by Value::as_str;
}

/// A number, or a string Python's `float()` reads: the package calls `float()` on bounds
/// and initial values, so `"1e5"` and `"-inf"` work there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LenientNumber(pub(crate) f64);

impl Shape for LenientNumber {
    const EXPECTED: &'static str = "a number";

    fn from_value(value: Value) -> Result<Self, Value> {
        let parsed = match &value {
            Value::String(text) => parse_python_float(text),
            other => other.as_f64(),
        };
        parsed.map(Self).ok_or(value)
    }
}

/// What Python's `float()` reads of `text`: a decimal number (with `_` between digits),
/// `inf`, `infinity` or `nan` in any case, with a sign.
fn parse_python_float(text: &str) -> Option<f64> {
    let t = text.trim().replace('_', "");
    match t.to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        "nan" | "+nan" | "-nan" => Some(f64::NAN),
        _ => t.parse().ok(),
    }
}

impl<T: Shape> Shape for List<T> {
    const EXPECTED: &'static str = "a list";

    fn from_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Result<Self, Value>, A::Error> {
        std::iter::from_fn(|| seq.next_element().transpose())
            .collect::<Result<_, _>>()
            .map(Ok)
    }
}

/// One value or a list of them (`phi_angles: 0.0` or `phi_angles: [0.0, 45.0]`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum OneOrList<T> {
    /// A single value, read as `T` (a string or a number).
    One(Field<T>),
    /// A list.
    List(List<T>),
}

impl<T: Shape> Shape for OneOrList<T> {
    const EXPECTED: &'static str = "a list";

    fn from_value(value: Value) -> Result<Self, Value> {
        match value {
            Value::Number(_) | Value::String(_) => Ok(Self::One(T::from_value(value).into())),
            other => Err(other),
        }
    }

    fn from_seq<'de, A: SeqAccess<'de>>(seq: A) -> Result<Result<Self, Value>, A::Error> {
        Ok(List::<T>::from_seq(seq)?.map(Self::List))
    }
}

/// A mapping of names to values, in the order written: read by name, checked by the
/// reader (`initial_parameters.fixed_parameters`).
pub(crate) type NamedValues<T> = Vec<(String, Field<T>)>;

impl<T: Shape> Shape for NamedValues<T> {
    const EXPECTED: &'static str = "a mapping";

    /// A mapping, each of its values read as `T` (`null` as a value of the wrong type).
    fn from_value(value: Value) -> Result<Self, Value> {
        let Value::Object(map) = value else {
            return Err(value);
        };
        let read = |(name, value)| (name, T::from_value(value).into());
        Ok(map.into_iter().map(read).collect())
    }
}

/// A section of the configuration: a mapping of keys, read as its struct (whose keys
/// default to absent); any other value is of the wrong type.
pub(crate) trait Section: DeserializeOwned + Default {
    /// The keys of the section that the package knows and a fit here does not use: listed
    /// in [`XpcsConfig::accepted_unused`](super::XpcsConfig::accepted_unused) when
    /// present, not reported unknown.
    const UNUSED: &'static [&'static str];
}

impl<T: Section> Shape for T {
    const EXPECTED: &'static str = "a mapping";

    fn from_map<'de, A: MapAccess<'de>>(map: A) -> Result<Result<Self, Value>, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Ok)
    }
}

impl<T: Section> Field<T> {
    /// The section's keys; all absent when the section is. A value that is not a mapping
    /// is an error naming `key`.
    pub(crate) fn section(self, key: &str) -> Result<T, XpcsError> {
        Ok(self.get(key)?.unwrap_or_default())
    }
}

impl<T: Section> Field<List<T>> {
    /// The entries of a list of sections at `key` (none when absent), each with its
    /// path `key[i]`. A value that is not a list is an error saying the key takes
    /// `expected`; an entry that is not a mapping one naming the entry (`null` is an
    /// entry of absent keys).
    pub(crate) fn entries(self, key: &str, expected: &str) -> Result<Vec<(String, T)>, XpcsError> {
        let entries = self.get_as(key, expected)?.unwrap_or_default();
        (entries.into_iter().enumerate())
            .map(|(i, entry)| {
                let path = format!("{key}[{i}]");
                let entry = entry.section(&path)?;
                Ok((path, entry))
            })
            .collect()
    }
}

/// `a mapping`, `the string "x"`, ... for messages.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "a mapping".to_owned(),
    }
}

/// The error for the key `key` holding `found` where it takes `expected`.
pub(crate) fn type_error(key: &str, expected: &str, found: &Value) -> XpcsError {
    XpcsError::ConfigType {
        key: key.to_owned(),
        expected: expected.to_owned(),
        found: describe(found),
    }
}
