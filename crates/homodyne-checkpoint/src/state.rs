//! [`OptimizerState`] and [`StateArray`]: the solver's state as named plain arrays.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::CheckpointError;

/// One field of the optimizer state: an `f64` or `i64` array of any rank, stored row-major
/// (C order, as NumPy and h5py store it).
///
/// A scalar has the empty shape `[]` and one element; a vector has shape `[n]`; a matrix
/// `[rows, cols]`. The product of the shape must equal the number of elements, which
/// [`OptimizerState::insert`] checks. Values are stored bit for bit: NaN (with its
/// payload), infinities and negative zero survive a save and a load.
#[derive(Debug, Clone, PartialEq)]
pub enum StateArray {
    /// A 64-bit float array.
    F64 {
        /// Dimensions, outermost first (`[]` for a scalar).
        shape: Vec<usize>,
        /// The elements in row-major order.
        data: Vec<f64>,
    },
    /// A 64-bit signed integer array.
    I64 {
        /// Dimensions, outermost first (`[]` for a scalar).
        shape: Vec<usize>,
        /// The elements in row-major order.
        data: Vec<i64>,
    },
}

impl StateArray {
    /// An `f64` scalar (shape `[]`).
    pub fn scalar_f64(value: f64) -> Self {
        Self::F64 {
            shape: Vec::new(),
            data: vec![value],
        }
    }

    /// An `f64` vector (shape `[values.len()]`).
    pub fn vector_f64(values: Vec<f64>) -> Self {
        Self::F64 {
            shape: vec![values.len()],
            data: values,
        }
    }

    /// An `f64` matrix of `rows x cols` from its elements in row-major order.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::InvalidArgument`] when `data.len() != rows * cols`.
    pub fn matrix_f64(rows: usize, cols: usize, data: Vec<f64>) -> Result<Self, CheckpointError> {
        Self::f64_with_shape(vec![rows, cols], data)
    }

    /// An `f64` array of any shape from its elements in row-major order.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::InvalidArgument`] when the shape's product differs from
    /// `data.len()`.
    pub fn f64_with_shape(shape: Vec<usize>, data: Vec<f64>) -> Result<Self, CheckpointError> {
        let array = Self::F64 { shape, data };
        array.check_shape(None, "array")?;
        Ok(array)
    }

    /// An `i64` scalar (shape `[]`).
    pub fn scalar_i64(value: i64) -> Self {
        Self::I64 {
            shape: Vec::new(),
            data: vec![value],
        }
    }

    /// An `i64` vector (shape `[values.len()]`).
    pub fn vector_i64(values: Vec<i64>) -> Self {
        Self::I64 {
            shape: vec![values.len()],
            data: values,
        }
    }

    /// An `i64` array of any shape from its elements in row-major order.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::InvalidArgument`] when the shape's product differs from
    /// `data.len()`.
    pub fn i64_with_shape(shape: Vec<usize>, data: Vec<i64>) -> Result<Self, CheckpointError> {
        let array = Self::I64 { shape, data };
        array.check_shape(None, "array")?;
        Ok(array)
    }

    /// The dimensions (`[]` for a scalar).
    pub fn shape(&self) -> &[usize] {
        match self {
            Self::F64 { shape, .. } | Self::I64 { shape, .. } => shape,
        }
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        match self {
            Self::F64 { data, .. } => data.len(),
            Self::I64 { data, .. } => data.len(),
        }
    }

    /// True when the array holds no element (some dimension is 0).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element type's name as NumPy spells it (`"float64"` or `"int64"`).
    pub fn dtype_name(&self) -> &'static str {
        match self {
            Self::F64 { .. } => "float64",
            Self::I64 { .. } => "int64",
        }
    }

    /// The elements, when this is an `f64` array.
    pub fn as_f64(&self) -> Option<&[f64]> {
        match self {
            Self::F64 { data, .. } => Some(data),
            Self::I64 { .. } => None,
        }
    }

    /// The elements, when this is an `i64` array.
    pub fn as_i64(&self) -> Option<&[i64]> {
        match self {
            Self::I64 { data, .. } => Some(data),
            Self::F64 { .. } => None,
        }
    }

    /// The value, when this is an `f64` scalar (shape `[]`).
    pub fn as_scalar_f64(&self) -> Option<f64> {
        match self {
            Self::F64 { shape, data } if shape.is_empty() => data.first().copied(),
            _ => None,
        }
    }

    /// The value, when this is an `i64` scalar (shape `[]`).
    pub fn as_scalar_i64(&self) -> Option<i64> {
        match self {
            Self::I64 { shape, data } if shape.is_empty() => data.first().copied(),
            _ => None,
        }
    }

    /// The `(rows, cols, row-major elements)`, when this is a 2-D `f64` array.
    pub fn as_matrix_f64(&self) -> Option<(usize, usize, &[f64])> {
        match self {
            Self::F64 { shape, data } if shape.len() == 2 => Some((shape[0], shape[1], data)),
            _ => None,
        }
    }

    /// Checks that the shape's product equals the number of elements.
    pub(crate) fn check_shape(
        &self,
        path: Option<&Path>,
        name: &str,
    ) -> Result<(), CheckpointError> {
        let expected = self
            .shape()
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d));
        match expected {
            Some(n) if n == self.len() => Ok(()),
            Some(n) => Err(CheckpointError::invalid(
                path,
                format!("optimizer state field {name:?}"),
                format!(
                    "shape {:?} holds {n} element(s) but {} were given",
                    self.shape(),
                    self.len()
                ),
            )),
            None => Err(CheckpointError::invalid(
                path,
                format!("optimizer state field {name:?}"),
                format!("shape {:?} overflows the address space", self.shape()),
            )),
        }
    }
}

/// Checks that `name` is usable as an HDF5 dataset name in a checkpoint: 1 to 255
/// characters from `[A-Za-z0-9_]`.
pub(crate) fn validate_name(
    path: Option<&Path>,
    what: &str,
    name: &str,
) -> Result<(), CheckpointError> {
    let reason = if name.is_empty() {
        Some("is empty".to_owned())
    } else if name.len() > MAX_NAME_LEN {
        Some(format!(
            "is {} bytes long; at most {MAX_NAME_LEN} are allowed",
            name.len()
        ))
    } else {
        name.chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
            .map(|c| format!("contains {c:?}; only ASCII letters, digits and '_' are allowed"))
    };
    match reason {
        None => Ok(()),
        Some(reason) => Err(CheckpointError::invalid(
            path,
            format!("{what} {name:?}"),
            reason,
        )),
    }
}

/// Longest accepted field or metadata name, in bytes.
const MAX_NAME_LEN: usize = 255;

/// The optimizer's state as named plain arrays: trust radius or damping, iteration count,
/// partial accumulators, RNG state, batch statistics — whatever the solver needs to resume.
///
/// Each field becomes its own dataset `/optimizer_state/<name>` with its shape and type, so
/// any HDF5 reader can inspect it; there is no opaque serialized blob. Names are 1 to 255
/// characters from `[A-Za-z0-9_]` (checked by [`OptimizerState::insert`]); fields are kept
/// and stored in name order.
///
/// ```
/// use homodyne_checkpoint::{OptimizerState, StateArray};
///
/// # fn main() -> Result<(), homodyne_checkpoint::CheckpointError> {
/// let state = OptimizerState::new()
///     .with("trust_radius", StateArray::scalar_f64(0.5))?
///     .with("iteration", StateArray::scalar_i64(12))?
///     .with("r_factor", StateArray::matrix_f64(2, 2, vec![1.0, 0.5, 0.0, 2.0])?)?;
/// assert_eq!(state.get("trust_radius").and_then(StateArray::as_scalar_f64), Some(0.5));
/// assert_eq!(state.len(), 3);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OptimizerState {
    fields: BTreeMap<String, StateArray>,
}

impl OptimizerState {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the field `name`, returning the previous value.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::InvalidArgument`] when the name is empty, longer than 255 bytes
    /// or has a character outside `[A-Za-z0-9_]`, or when the array's shape does not match
    /// its number of elements.
    pub fn insert(
        &mut self,
        name: impl Into<String>,
        array: StateArray,
    ) -> Result<Option<StateArray>, CheckpointError> {
        let name = name.into();
        validate_name(None, "optimizer state field name", &name)?;
        array.check_shape(None, &name)?;
        Ok(self.fields.insert(name, array))
    }

    /// [`OptimizerState::insert`] in builder style.
    ///
    /// # Errors
    ///
    /// As [`OptimizerState::insert`].
    pub fn with(
        mut self,
        name: impl Into<String>,
        array: StateArray,
    ) -> Result<Self, CheckpointError> {
        self.insert(name, array)?;
        Ok(self)
    }

    /// The field `name`, if present.
    pub fn get(&self, name: &str) -> Option<&StateArray> {
        self.fields.get(name)
    }

    /// Removes and returns the field `name`, if present.
    pub fn remove(&mut self, name: &str) -> Option<StateArray> {
        self.fields.remove(name)
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True when there is no field.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The fields in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &StateArray)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The field names in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.fields.keys().map(String::as_str)
    }

    /// The fields as a map.
    pub fn as_map(&self) -> &BTreeMap<String, StateArray> {
        &self.fields
    }

    /// Consumes the state, returning its fields.
    pub fn into_map(self) -> BTreeMap<String, StateArray> {
        self.fields
    }
}

impl TryFrom<BTreeMap<String, StateArray>> for OptimizerState {
    type Error = CheckpointError;

    /// Validates every name and shape, as [`OptimizerState::insert`] does.
    fn try_from(map: BTreeMap<String, StateArray>) -> Result<Self, Self::Error> {
        let mut state = Self::new();
        for (name, array) in map {
            state.insert(name, array)?;
        }
        Ok(state)
    }
}

impl<'a> IntoIterator for &'a OptimizerState {
    type Item = (&'a String, &'a StateArray);
    type IntoIter = std::collections::btree_map::Iter<'a, String, StateArray>;

    fn into_iter(self) -> Self::IntoIter {
        self.fields.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_validated() {
        let mut state = OptimizerState::new();
        assert!(
            state
                .insert("trust_radius_2", StateArray::scalar_f64(1.0))
                .is_ok()
        );
        for bad in ["", "a/b", "a b", "a.b", "é", "x-y"] {
            let err = state.insert(bad, StateArray::scalar_f64(1.0)).unwrap_err();
            assert!(
                matches!(err, CheckpointError::InvalidArgument { .. }),
                "{bad:?}: {err}"
            );
        }
        let long = "a".repeat(256);
        assert!(state.insert(long, StateArray::scalar_f64(1.0)).is_err());
        assert_eq!(state.len(), 1);
    }

    #[test]
    fn shapes_are_validated() {
        assert!(StateArray::matrix_f64(2, 3, vec![0.0; 5]).is_err());
        assert!(StateArray::matrix_f64(2, 3, vec![0.0; 6]).is_ok());
        assert!(StateArray::matrix_f64(0, 3, Vec::new()).is_ok());
        assert!(StateArray::i64_with_shape(vec![usize::MAX, 2], Vec::new()).is_err());
        let mut state = OptimizerState::new();
        let bad = StateArray::F64 {
            shape: vec![4],
            data: vec![1.0],
        };
        let err = state.insert("x", bad).unwrap_err();
        assert!(err.to_string().contains("shape [4] holds 4"), "{err}");
        let scalar_without_value = StateArray::I64 {
            shape: Vec::new(),
            data: Vec::new(),
        };
        assert!(state.insert("y", scalar_without_value).is_err());
    }

    #[test]
    fn getters() {
        let m = StateArray::matrix_f64(1, 2, vec![3.0, 4.0]).unwrap();
        assert_eq!(m.as_matrix_f64(), Some((1, 2, &[3.0, 4.0][..])));
        assert_eq!(m.as_scalar_f64(), None);
        assert_eq!(m.as_i64(), None);
        assert_eq!(m.dtype_name(), "float64");
        let i = StateArray::scalar_i64(-7);
        assert_eq!(i.as_scalar_i64(), Some(-7));
        assert_eq!(i.shape(), &[] as &[usize]);
        assert_eq!(StateArray::vector_i64(vec![]).len(), 0);
        assert!(StateArray::vector_f64(vec![]).is_empty());
    }
}
