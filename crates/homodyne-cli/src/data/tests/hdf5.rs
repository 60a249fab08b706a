//! HDF5 datasets as columns named by their paths: element types, missing datasets,
//! shapes that are not columns.

use super::*;
use rust_hdf5::H5File;

/// Writes `/entry/q`, `/entry/g2` (with a NaN at index 2), `/entry/counts` (i32), the
/// 2-D `/entry/image` and the shorter `/short` to a scratch file.
fn fixture() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.h5");
    let file = H5File::create(&path).unwrap();
    let entry = file.create_group("entry").unwrap();
    let q = entry
        .new_dataset::<f64>()
        .shape([4usize])
        .create("q")
        .unwrap();
    q.write_raw(&[0.1f64, 0.2, 0.3, 0.4]).unwrap();
    let g2 = entry
        .new_dataset::<f32>()
        .shape([4usize])
        .create("g2")
        .unwrap();
    g2.write_raw(&[1.5f32, 1.25, f32::NAN, 1.0]).unwrap();
    let counts = entry
        .new_dataset::<i32>()
        .shape([4usize])
        .create("counts")
        .unwrap();
    counts.write_raw(&[3i32, 5, 7, 9]).unwrap();
    let image = entry
        .new_dataset::<f64>()
        .shape([2, 2usize])
        .create("image")
        .unwrap();
    image.write_raw(&[0.0f64; 4]).unwrap();
    let short = file
        .new_dataset::<f64>()
        .shape([2usize])
        .create("short")
        .unwrap();
    short.write_raw(&[1.0f64, 2.0]).unwrap();
    file.close().unwrap();
    (dir, path)
}

fn paths(names: &[&str]) -> Vec<String> {
    names.iter().map(|&n| n.to_owned()).collect()
}

#[test]
fn reads_datasets_by_path() {
    let (_dir, path) = fixture();
    let t = Table::load(&path, &paths(&["/entry/q", "entry/g2", "/entry/counts"])).unwrap();
    assert_eq!(t.columns, ["/entry/q", "entry/g2", "/entry/counts"]);
    assert_eq!(t.n_rows(), 4);
    assert_eq!(t.column("/entry/q").unwrap(), [0.1, 0.2, 0.3, 0.4]);
    // Paths match with or without the leading slash.
    assert_eq!(t.column("entry/q").unwrap(), [0.1, 0.2, 0.3, 0.4]);
    assert_eq!(t.column("/entry/counts").unwrap(), [3.0, 5.0, 7.0, 9.0]);
    let g2 = t.column("/entry/g2").unwrap();
    assert_eq!(g2[..2], [1.5, 1.25]);
    assert!(g2[2].is_nan());
}

#[test]
fn nan_is_reported_by_row_index() {
    let (_dir, path) = fixture();
    let t = Table::load(&path, &paths(&["/entry/q", "/entry/g2"])).unwrap();
    t.check_finite("/entry/q").unwrap();
    let err = t.check_finite("/entry/g2").unwrap_err();
    assert!(
        matches!(
            err,
            DataError::NonFinite {
                line: 2,
                line_is_row_index: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "{}: row 2 (counting from 0): column '/entry/g2' is NaN: remove or fix the value",
            path.display()
        )
    );
}

#[test]
fn missing_dataset_lists_the_datasets() {
    let (_dir, path) = fixture();
    let err = Table::load(&path, &paths(&["/entry/q", "/entry/x"])).unwrap_err();
    match &err {
        DataError::Read(homodyne_data::DataError::MissingDataset {
            dataset: missing,
            available,
            ..
        }) => {
            assert_eq!(missing, "/entry/x");
            assert_eq!(
                available,
                &paths(&[
                    "/entry/counts",
                    "/entry/g2",
                    "/entry/image",
                    "/entry/q",
                    "/short"
                ])
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        format!(
            "{} [/entry/x]: no such dataset (datasets: /entry/counts, /entry/g2, /entry/image, /entry/q, /short)",
            path.display()
        )
    );
}

#[test]
fn unusable_datasets_say_what_to_give() {
    let (_dir, path) = fixture();
    let err = Table::load(&path, &paths(&["/entry/image"])).unwrap_err();
    assert!(matches!(err, DataError::Hdf5 { .. }), "{err:?}");
    assert!(
        err.to_string()
            .ends_with("dataset /entry/image: is 2-D (2 x 2): give a 1-D dataset"),
        "{err}"
    );

    let err = Table::load(&path, &paths(&["/entry/q", "/short"])).unwrap_err();
    assert!(
        err.to_string().ends_with(
            "dataset /short: has 2 values but /entry/q has 4: give datasets of the same length"
        ),
        "{err}"
    );

    let err = Table::load(&path, &[]).unwrap_err();
    assert!(err.to_string().contains("no dataset paths given"), "{err}");
    assert!(err.to_string().contains("/entry/g2"), "{err}");
}

/// A file written by h5py (tests/data/formats/make_fixtures.py): `libver="latest"`,
/// a chunked gzip dataset, float32 and int32 datasets.
#[test]
fn file_written_by_h5py() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/formats/xpcs.h5");
    let t = Table::load(&path, &paths(&["/entry/q", "/entry/g2", "/entry/counts"])).unwrap();
    assert_eq!(t.n_rows(), 6);
    assert_eq!(
        t.column("/entry/q").unwrap(),
        [0.0, 0.25, 0.5, 0.75, 1.0, 1.25]
    );
    assert_eq!(
        t.column("/entry/counts").unwrap(),
        [0.0, 3.0, 6.0, 9.0, 12.0, 15.0]
    );
    assert_eq!(t.column("/entry/g2").unwrap()[..4], [1.0, 1.5, 2.0, 2.5]);
    assert!(matches!(
        t.check_finite("/entry/g2"),
        Err(DataError::NonFinite { line: 4, .. })
    ));
    let err = Table::load(&path, &paths(&["/entry/x"])).unwrap_err();
    assert!(
        err.to_string().ends_with(
            "[/entry/x]: no such dataset (datasets: /entry/counts, /entry/g2, /entry/image, /entry/q)"
        ),
        "{err}"
    );
}

#[test]
fn a_file_that_is_not_hdf5() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("text.h5");
    std::fs::write(&path, "x,y\n1,2\n").unwrap();
    let err = Table::load(&path, &paths(&["/x"])).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::Read(homodyne_data::DataError::Format { .. })
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("cannot be read as HDF5"), "{err}");
    assert!(!err.to_string().contains('\n'), "{err}");
}
