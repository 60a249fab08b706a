//! The datasets of a checkpoint: what is saved ([`Payload`]) laid out as fields, each with
//! its absolute path, shape and values.

use std::collections::BTreeMap;

use super::layout::{
    BATCH_IDX, FORMAT_VERSION_PATH, LIBRARY_VERSION_PATH, LOSS, METADATA, OPTIMIZER_STATE,
    PARAMETERS, STRING_SHAPE, TIMESTAMP,
};
use crate::state::{OptimizerState, StateArray};

/// Everything stored in a checkpoint except the checksum, borrowed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Payload<'a> {
    pub batch_idx: i64,
    pub parameters: &'a [f64],
    pub loss: f64,
    pub optimizer_state: &'a OptimizerState,
    pub metadata: &'a BTreeMap<String, String>,
    pub format_version: &'a str,
    pub library_version: &'a str,
    pub timestamp: &'a str,
}

/// The values of one stored field.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Values<'a> {
    F64(&'a [f64]),
    I64(&'a [i64]),
    /// One UTF-8 string, stored as a variable-length string dataset of shape `[1]`.
    Str(&'a str),
}

impl Values<'_> {
    /// The dtype tag of the canonical byte stream.
    pub(crate) fn tag(&self) -> u8 {
        match self {
            Self::F64(_) => b'f',
            Self::I64(_) => b'i',
            Self::Str(_) => b's',
        }
    }
}

/// One stored dataset: its absolute path, shape and values.
#[derive(Debug, Clone)]
pub(crate) struct Field<'a> {
    pub(crate) path: String,
    pub(crate) shape: Vec<usize>,
    pub(crate) values: Values<'a>,
}

/// Every dataset of the checkpoint except `/checksum`, sorted by path.
pub(crate) fn fields<'a>(
    payload: &Payload<'a>,
    batch_idx: &'a [i64; 1],
    loss: &'a [f64; 1],
) -> Vec<Field<'a>> {
    let string = |path: String, s: &'a str| Field {
        path,
        shape: STRING_SHAPE.to_vec(),
        values: Values::Str(s),
    };
    let mut out = vec![
        Field {
            path: PARAMETERS.to_owned(),
            shape: vec![payload.parameters.len()],
            values: Values::F64(payload.parameters),
        },
        Field {
            path: LOSS.to_owned(),
            shape: Vec::new(),
            values: Values::F64(loss),
        },
        Field {
            path: BATCH_IDX.to_owned(),
            shape: Vec::new(),
            values: Values::I64(batch_idx),
        },
        string(FORMAT_VERSION_PATH.to_owned(), payload.format_version),
        string(LIBRARY_VERSION_PATH.to_owned(), payload.library_version),
        string(TIMESTAMP.to_owned(), payload.timestamp),
    ];
    for (name, array) in payload.optimizer_state.iter() {
        let (shape, values) = match array {
            StateArray::F64 { shape, data } => (shape.clone(), Values::F64(data)),
            StateArray::I64 { shape, data } => (shape.clone(), Values::I64(data)),
        };
        out.push(Field {
            path: format!("{OPTIMIZER_STATE}/{name}"),
            shape,
            values,
        });
    }
    for (key, value) in payload.metadata {
        out.push(string(format!("{METADATA}/{key}"), value));
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}
