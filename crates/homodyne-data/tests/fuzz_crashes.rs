//! Inputs on which the fuzz targets `hdf5` and `npy` (`fuzz/`) crashed or hung a reader,
//! each now a typed error: damaged HDF5 files whose headers claim absurd sizes, and `.npy`
//! headers with a string type of width 0 or brackets nested deep enough to stall the
//! header's parser.

use std::path::{Path, PathBuf};

use homodyne_data::{DataError, Hdf5File, NpyArray, NpyHeader};

fn input(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/fuzz")
        .join(name)
}

/// Every dataset of the file at `name` opens and reads, or is refused with an error; the
/// errors of the datasets that are refused.
fn open_and_read_every_dataset(name: &str) -> Vec<DataError> {
    let file = Hdf5File::open(input(name)).unwrap();
    let mut errors = Vec::new();
    for dataset in file.dataset_names() {
        match file.dataset(&dataset) {
            Ok(opened) => {
                let _ = opened.row_width();
                if let Err(e) = opened.read_all() {
                    errors.push(e);
                }
            }
            Err(e) => errors.push(e),
        }
    }
    errors
}

/// Some error of `errors` satisfies `refused`.
fn assert_refused(errors: &[DataError], refused: impl Fn(&DataError) -> bool) {
    assert!(errors.iter().any(refused), "{errors:?}");
}

/// A float datatype whose size field claims 2^29 bytes or more: naming its type for the
/// error overflowed `size * 8` (a panic in debug builds).
#[test]
fn a_datatype_of_absurd_size_is_an_error_not_an_overflow() {
    let errors = open_and_read_every_dataset("float_datatype_size_overflow.h5");
    assert_refused(&errors, |e| matches!(e, DataError::UnsupportedDtype { .. }));
}

/// A shape whose row width (every dimension but the first) overflows a count: refused
/// when the dataset is opened, before `row_width` or a read could multiply it out.
#[test]
fn a_shape_that_overflows_a_count_is_refused_on_opening() {
    let errors = open_and_read_every_dataset("row_width_overflow.h5");
    assert_refused(&errors, |e| e.to_string().contains("damaged"));
}

/// A chunked dataset whose chunk dimensions claim 2 TB: the reading library allocated
/// the chunk's image from them and aborted the process; refused on opening.
#[test]
fn chunks_larger_than_hdf5_allows_are_refused_before_any_read() {
    let errors = open_and_read_every_dataset("chunk_claims_2tb.h5");
    assert_refused(&errors, |e| e.to_string().contains("4 GiB a chunk"));
}

/// A `.npy` array of strings of width 0 (`<U0`, shape `(2,)`): its elements take no
/// bytes, so any count fits an empty file; the whole read returned no strings for the
/// shape's two. Refused as a type (NumPy itself widens `<U0` to `<U1`).
#[test]
fn a_string_type_of_width_zero_is_refused() {
    let path = input("unicode_width_zero.npy");
    let bytes = std::fs::read(&path).unwrap();
    let error = NpyArray::from_bytes(&bytes, &path, "x").unwrap_err();
    assert!(
        matches!(&error, DataError::UnsupportedDtype { dtype, .. } if dtype.contains("U0")),
        "{error}"
    );
}

/// `.npy` headers that open dozens of brackets (lists, dicts, and inside a key): the
/// parser of Python literals backtracks at a cost that doubles with each level, and
/// each of these took more than a minute. Refused before parsing, naming the depth.
#[test]
fn headers_nesting_brackets_deeply_are_refused_before_parsing() {
    for name in [
        "header_nested_lists.npy",
        "header_nested_dicts.npy",
        "header_nested_in_a_string_key.npy",
    ] {
        let path = input(name);
        let bytes = std::fs::read(&path).unwrap();
        let error = NpyHeader::from_reader(&bytes[..], &path, "x").unwrap_err();
        assert!(
            matches!(&error, DataError::Format { message, .. } if message.contains("nests brackets")),
            "{name}: {error}"
        );
    }
}
