//! The loaders against what the Python `homodyne` 2.23.3 loader made of the same files
//! (`tests/data/make_fixtures.py` documents each call and array), and every failure as a
//! typed error.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use homodyne_xpcs::XpcsError;
use homodyne_xpcs::loader::{
    DataLocation, LoadOptions, LoadedXpcs, Precision, SourceFormat, cache_metadata_json,
    detect_hdf5_layout, load_experimental_data, load_hdf5, load_npz_cache, npy, read_npz,
    write_npz_cache,
};
use rust_hdf5::{H5File, H5Group};

mod loader_support;
use loader_support::parent;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// An expected array: shape and values.
struct Expected {
    shape: Vec<usize>,
    values: Vec<f64>,
}

fn expected(name: &str) -> HashMap<String, Expected> {
    read_npz(data_dir().join(name))
        .unwrap()
        .into_iter()
        .filter_map(|(key, array)| match array.values {
            npy::Values::Numbers(values) => Some((
                key,
                Expected {
                    shape: array.shape,
                    values,
                },
            )),
            npy::Values::Strings(_) => None,
        })
        .collect()
}

/// The package's frame settings for every fixture: dt 0.1, frames [2, 11].
fn options(q: f64) -> LoadOptions {
    LoadOptions::new(0.1, 2, 11, q)
}

/// `actual` equals `expected` exactly, element by element: the package's loader output is
/// reproduced to the last bit.
fn assert_same(what: &str, actual: &[f64], expected: &[f64]) {
    assert_eq!(actual.len(), expected.len(), "{what}: lengths differ");
    for (k, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(a == e, "{what}[{k}]: {a} != {e} (diff {:e})", a - e);
    }
}

/// Every array the package's loader returned (and its command line then prepared) for
/// this fixture matches ours.
fn check_against_package(loaded: &LoadedXpcs, expected_file: &str) {
    let e = expected(expected_file);
    let n_phi = e["phi_angles_list"].values.len();
    let n_t = e["t1"].values.len();
    assert_eq!(e["c2_exp"].shape, [n_phi, n_t, n_t]);
    assert_eq!(loaded.data.phi.len(), n_phi, "{expected_file}: angles");
    assert_eq!(loaded.data.n_t, n_t, "{expected_file}: frames");
    let cli = loaded.cli_prepared().unwrap();
    for (key, actual) in [
        ("wavevector_q_list", &loaded.wavevector_q_list),
        ("phi_angles_list", &loaded.data.phi),
        ("t1", &loaded.t),
        ("t2", &loaded.t),
        ("c2_exp", &loaded.data.c2),
        (
            "c2_exp_before_diagonal_correction",
            &loaded.c2_before_correction,
        ),
        ("cli_phi_angles_list", &cli.data.phi),
        ("cli_t1", &cli.t),
        ("cli_t2", &cli.t),
        ("cli_c2_exp", &cli.data.c2),
    ] {
        assert_same(key, actual, &e[key].values);
    }
    // The fit uses the first q of the list, as the package's fit does.
    assert_eq!(loaded.data.q, e["wavevector_q_list"].values[0]);
    assert_eq!(loaded.data.dt, e["config_dt"].values[0]);
    assert_eq!(cli.data.n_t, n_t - 1);
}

fn source_indices(expected_file: &str) -> Vec<usize> {
    expected(expected_file)["source_dataset_index"]
        .values
        .iter()
        .map(|&v| v as usize)
        .collect()
}

/// The HDF5 fixture `fixture` loaded at `q`, checked against what the package made of it
/// (`expected_file`), its matrices taken from the same members.
fn loads_as_package(fixture: &str, q: f64, expected_file: &str) -> LoadedXpcs {
    let loaded = load_hdf5(data_dir().join(fixture), &options(q)).unwrap();
    check_against_package(&loaded, expected_file);
    assert_eq!(loaded.source_indices, source_indices(expected_file));
    loaded
}

#[test]
fn aps_u_loads_as_the_package_loads_it() {
    let path = data_dir().join("aps_u_fixture.h5");
    assert_eq!(detect_hdf5_layout(&path).unwrap(), SourceFormat::ApsU);
    let loaded = loads_as_package("aps_u_fixture.h5", 0.0048, "aps_u_expected.npz");
    // The matrices are float32 in the file and formed in float32, as NumPy forms them.
    assert_eq!(loaded.c2_before_correction, {
        let e = expected("aps_u_expected.npz");
        e["c2_exp_before_diagonal_correction"].values.clone()
    });
    assert_eq!(
        loaded.data.c2,
        expected("aps_u_expected.npz")["c2_exp"].values
    );
    assert_eq!(loaded.precision, Precision::Float32);
    assert_eq!(loaded.format, SourceFormat::ApsU);
    assert_eq!(loaded.selected_q, Some(0.00481));
    assert_eq!(
        loaded.source_datasets,
        [
            "/xpcs/twotime/correlation_map/c2_00001",
            "/xpcs/twotime/correlation_map/c2_00002",
            "/xpcs/twotime/correlation_map/c2_00003",
        ]
    );
    assert_eq!(loaded.n_frames_in_file, Some(12));
    assert_eq!(loaded.frames, Some((2, 11)));
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

#[test]
fn aps_u_keeps_the_bins_of_the_selected_q_when_one_is_missing() {
    let loaded = loads_as_package("aps_u_fixture.h5", 0.0054, "aps_u_expected_q1.npz");
    // Bin 6 is the 5th processed bin, paired with the 5th member by position.
    assert_eq!(
        loaded.source_datasets[1],
        "/xpcs/twotime/correlation_map/c2_00006"
    );
}

#[test]
fn aps_old_keeps_entries_within_ten_percent_in_index_order() {
    assert_eq!(
        detect_hdf5_layout(data_dir().join("aps_old_fixture.h5")).unwrap(),
        SourceFormat::ApsOld
    );
    let loaded = loads_as_package("aps_old_fixture.h5", 0.00538, "aps_old_expected.npz");
    assert_eq!(loaded.format, SourceFormat::ApsOld);
    assert_eq!(loaded.precision, Precision::Float64);
    assert_eq!(loaded.selected_q, Some(0.005399));
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

#[test]
fn aps_old_takes_the_ten_closest_when_fewer_than_five_qualify() {
    let loaded = loads_as_package("aps_old_fixture.h5", 0.0041, "aps_old_expected_expand.npz");
    assert_eq!(loaded.selected_q, Some(0.004002));
    // The widening is the package's behaviour, but worth a word.
    assert!(
        loaded.warnings.iter().any(|w| w.contains("closest in q")),
        "{:?}",
        loaded.warnings
    );
}

#[test]
fn the_package_cache_loads_to_the_same_arrays() {
    let path = data_dir().join("aps_u_cache_frames_2_11.npz");
    let loaded = load_npz_cache(&path, &options(0.0048)).unwrap();
    check_against_package(&loaded, "aps_u_expected.npz");
    assert_eq!(loaded.format, SourceFormat::NpzCache);
    assert_eq!(loaded.precision, Precision::Float32);
    assert_eq!(loaded.selected_q, None);
    let meta = loaded.cache_metadata.as_ref().unwrap();
    assert_eq!(meta.config_wavevector_q, Some(0.0048));
    assert_eq!(meta.actual_wavevector_q, Some(0.00481));
    assert_eq!(meta.q_variance, Some(0.0));
    assert_eq!(meta.q_count, Some(3));
    assert_eq!((meta.start_frame, meta.end_frame), (Some(2), Some(11)));
    assert_eq!(meta.phi_count, Some(3));
    assert_eq!(meta.cache_version.as_deref(), Some("2.0"));
    assert_eq!(meta.selective_q_caching, Some(true));
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);

    // A different configured q uses the cache with a warning, as the package does.
    let other = load_npz_cache(&path, &options(0.0054)).unwrap();
    assert_eq!(other.data, loaded.data);
    assert!(
        other.warnings.iter().any(|w| w.contains("mismatch")),
        "{:?}",
        other.warnings
    );
}

/// The decompressed bytes of every member of an `.npz` archive.
fn members(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut member = archive.by_index(i).unwrap();
            let mut bytes = Vec::new();
            member.read_to_end(&mut bytes).unwrap();
            (member.name().unwrap().into_owned(), bytes)
        })
        .collect()
}

#[test]
fn a_written_cache_is_the_packages_cache_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = load_hdf5(data_dir().join("aps_u_fixture.h5"), &options(0.0048)).unwrap();
    let package_cache = data_dir().join("aps_u_cache_frames_2_11.npz");
    let ours = dir.path().join("nested/cache.npz");
    write_npz_cache(&ours, &loaded, &options(0.0048), true).unwrap();
    // Same members, in the same order, with the same .npy bytes (headers included).
    let theirs = members(&package_cache);
    let mine = members(&ours);
    let names: Vec<&str> = mine.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        theirs.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>()
    );
    for ((name, a), (_, b)) in mine.iter().zip(&theirs) {
        assert!(a == b, "member {name} differs from the package's");
    }
    assert_eq!(
        cache_metadata_json(&loaded, &options(0.0048)),
        r#"{"config_wavevector_q": 0.0048, "actual_wavevector_q": 0.00481, "q_variance": 0.0, "q_count": 3, "start_frame": 2, "end_frame": 11, "phi_count": 3, "cache_version": "2.0", "selective_q_caching": true}"#
    );
    // Read back, it is the same data; stored without compression too.
    let back = load_npz_cache(&ours, &options(0.0048)).unwrap();
    assert_eq!(back.data, loaded.data);
    assert_eq!(back.c2_before_correction, loaded.c2_before_correction);
    let stored = dir.path().join("stored.npz");
    write_npz_cache(&stored, &loaded, &options(0.0048), false).unwrap();
    assert_eq!(
        load_npz_cache(&stored, &options(0.0048)).unwrap().data,
        loaded.data
    );
    // The old layout's float64 matrices are cached as float64.
    let old = load_hdf5(data_dir().join("aps_old_fixture.h5"), &options(0.00538)).unwrap();
    let old_cache = dir.path().join("old.npz");
    write_npz_cache(&old_cache, &old, &options(0.00538), true).unwrap();
    let arrays = read_npz(&old_cache).unwrap();
    let c2 = arrays.iter().find(|(k, _)| k == "c2_exp").unwrap();
    assert_eq!(c2.1.descr, "<f8");
    assert_eq!(c2.1.shape, [6, 10, 10]);
    let back = load_npz_cache(&old_cache, &options(0.00538)).unwrap();
    check_against_package(&back, "aps_old_expected.npz");
}

#[test]
fn load_experimental_data_reads_hdf5_then_its_cache() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        data_dir().join("aps_u_fixture.h5"),
        dir.path().join("aps_u_fixture.h5"),
    )
    .unwrap();
    let location = DataLocation::new(dir.path(), "aps_u_fixture.h5");
    let first = load_experimental_data(&location, &options(0.0048)).unwrap();
    assert_eq!(first.format, SourceFormat::ApsU);
    let cache = dir.path().join("cached_c2_frames_2_11.npz");
    assert_eq!(first.cache_written.as_deref(), Some(cache.as_path()));
    let second = load_experimental_data(&location, &options(0.0048)).unwrap();
    assert_eq!(second.format, SourceFormat::NpzCache);
    assert_eq!(second.path, cache);
    assert_eq!(second.data, first.data);
    assert_eq!(second.t, first.t);
    assert_eq!(second.wavevector_q_list, first.wavevector_q_list);
    check_against_package(&second, "aps_u_expected.npz");

    // A .npz data file is read as a cache; with caching off the HDF5 file is read again.
    let direct = DataLocation::new(data_dir(), "aps_u_cache_frames_2_11.npz");
    let from_npz = load_experimental_data(&direct, &options(0.0048)).unwrap();
    assert_eq!(from_npz.data, first.data);
    let mut no_cache = location.clone();
    no_cache.use_cache = false;
    let again = load_experimental_data(&no_cache, &options(0.0048)).unwrap();
    assert_eq!(again.format, SourceFormat::ApsU);
    assert!(again.cache_written.is_none());

    // Neither file: both paths named. (In `dir` the cache would be found, as the
    // package's default cache name does not depend on the data file.)
    let empty = tempfile::tempdir().unwrap();
    let missing = DataLocation::new(empty.path(), "absent.h5");
    let err = load_experimental_data(&missing, &options(0.0048)).unwrap_err();
    assert!(matches!(err, XpcsError::Io { .. }), "{err}");
    assert!(err.to_string().contains("absent.h5"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Failures
// ---------------------------------------------------------------------------------------

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let err = load_hdf5("/nonexistent/data.h5", &options(0.0048)).unwrap_err();
    assert!(matches!(err, XpcsError::Io { .. }), "{err}");
    assert!(err.to_string().contains("/nonexistent/data.h5"), "{err}");
    let err = load_npz_cache("/nonexistent/cache.npz", &options(0.0048)).unwrap_err();
    assert!(matches!(err, XpcsError::Io { .. }), "{err}");
}

#[test]
fn truncated_and_corrupt_files_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let source = std::fs::read(data_dir().join("aps_u_fixture.h5")).unwrap();
    for (name, bytes) in [
        ("half.h5", source[..source.len() / 2].to_vec()),
        ("head.h5", source[..600].to_vec()),
        ("tiny.h5", source[..8].to_vec()),
        ("text.h5", b"this is not an HDF5 file at all".to_vec()),
        ("empty.h5", Vec::new()),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let err = load_hdf5(&path, &options(0.0048)).unwrap_err();
        assert!(
            matches!(
                err,
                XpcsError::DataFile { .. } | XpcsError::MissingDataset { .. }
            ),
            "{name}: {err}"
        );
        assert!(err.to_string().contains(name), "{name}: {err}");
    }
    // A zeroed block in the middle of the file.
    let mut damaged = source.clone();
    let middle = damaged.len() / 2;
    damaged[middle - 2000..middle + 2000].fill(0);
    let path = dir.path().join("zeroed.h5");
    std::fs::write(&path, &damaged).unwrap();
    if let Err(err) = load_hdf5(&path, &options(0.0048)) {
        assert!(err.to_string().contains("zeroed.h5"), "{err}");
    }

    let cache = std::fs::read(data_dir().join("aps_u_cache_frames_2_11.npz")).unwrap();
    for (name, bytes) in [
        ("half.npz", cache[..cache.len() / 2].to_vec()),
        ("text.npz", b"not a zip archive".to_vec()),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let err = load_npz_cache(&path, &options(0.0048)).unwrap_err();
        assert!(matches!(err, XpcsError::DataFile { .. }), "{name}: {err}");
        assert!(err.to_string().contains(name), "{name}: {err}");
    }
}

/// Values of one dataset of a test file.
enum Values {
    F64(Vec<usize>, Vec<f64>),
    /// Chunked (chunk shape given) and deflate-compressed, as h5py writes with gzip.
    F64Chunked(Vec<usize>, Vec<usize>, Vec<f64>),
    I64(Vec<usize>, Vec<i64>),
}

/// The float64 dataset `leaf` of `group`, chunked and deflate-compressed when `chunk`
/// is given.
fn write_f64(
    group: &H5Group,
    leaf: &str,
    shape: &[usize],
    chunk: Option<&[usize]>,
    values: &[f64],
) {
    let mut builder = group.new_dataset::<f64>().shape(shape);
    if let Some(chunk) = chunk {
        builder = builder.chunk(chunk).deflate(4);
    }
    builder
        .create(leaf)
        .and_then(|d| d.write_raw(values))
        .unwrap();
}

fn write_h5(path: &Path, datasets: Vec<(&str, Values)>) {
    let file = H5File::create(path).unwrap();
    let mut groups = HashMap::new();
    for (name, values) in datasets {
        let group = parent(&file, &mut groups, name);
        let leaf = name.rsplit('/').next().unwrap();
        match values {
            Values::F64(shape, v) => write_f64(group, leaf, &shape, None, &v),
            Values::F64Chunked(shape, chunk, v) => write_f64(group, leaf, &shape, Some(&chunk), &v),
            Values::I64(shape, v) => group
                .new_dataset::<i64>()
                .shape(&shape)
                .create(leaf)
                .and_then(|d| d.write_raw(&v))
                .unwrap(),
        }
    }
    file.close().unwrap();
}

/// An upper-triangular `n x n` matrix, 1 + 0.1 / (1 + lag) above the diagonal.
fn half_matrix(n: usize) -> Vec<f64> {
    let mut h = vec![0.0; n * n];
    for i in 0..n {
        for j in i..n {
            h[i * n + j] = 1.0 + 0.1 / (1.0 + (j - i) as f64);
        }
    }
    h
}

fn aps_u_file(path: &Path, bins: Option<Vec<i64>>, matrices: Vec<Vec<f64>>) {
    let n = (matrices[0].len() as f64).sqrt() as usize;
    let mut datasets = vec![
        (
            "xpcs/qmap/dynamic_v_list_dim0",
            Values::F64(vec![2], vec![0.004, 0.006]),
        ),
        (
            "xpcs/qmap/dynamic_v_list_dim1",
            Values::F64(vec![2], vec![0.0, 90.0]),
        ),
    ];
    if let Some(bins) = bins {
        datasets.push((
            "xpcs/twotime/processed_bins",
            Values::I64(vec![bins.len()], bins),
        ));
    }
    let names = ["c2_00001", "c2_00002", "c2_00003", "c2_00004"];
    let keys: Vec<String> = names
        .iter()
        .take(matrices.len())
        .map(|k| format!("xpcs/twotime/correlation_map/{k}"))
        .collect();
    for (key, m) in keys.iter().zip(matrices) {
        datasets.push((key.as_str(), Values::F64(vec![n, n], m)));
    }
    write_h5(path, datasets);
}

#[test]
fn files_written_here_load_and_select_their_q() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.h5");
    aps_u_file(&path, Some(vec![1, 2, 3, 4]), vec![half_matrix(6); 4]);
    let loaded = load_hdf5(&path, &LoadOptions::new(0.5, 1, -1, 0.0059)).unwrap();
    assert_eq!(loaded.wavevector_q_list, [0.006, 0.006]);
    assert_eq!(loaded.data.phi, [0.0, 90.0]);
    assert_eq!(loaded.source_indices, [2, 3]);
    assert_eq!(loaded.data.n_t, 6);
    assert_eq!(loaded.precision, Precision::Float64);
    assert_eq!(loaded.t, [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]);
    // Above and below the diagonal h (the lower half of h is zero), the diagonal the mean
    // of its neighbours.
    let c2 = loaded.data.matrix(0);
    assert_eq!(c2[1], 1.0 + 0.1 / 2.0);
    assert_eq!(c2[6], c2[1]);
    assert_eq!(c2[0], c2[1]);

    // The same matrices chunked and gzip-compressed read the same, frames sliced across
    // chunk boundaries.
    let chunked = dir.path().join("chunked.h5");
    let mut datasets = vec![
        (
            "xpcs/qmap/dynamic_v_list_dim0",
            Values::F64(vec![2], vec![0.004, 0.006]),
        ),
        (
            "xpcs/qmap/dynamic_v_list_dim1",
            Values::F64(vec![2], vec![0.0, 90.0]),
        ),
        (
            "xpcs/twotime/processed_bins",
            Values::I64(vec![4], vec![1, 2, 3, 4]),
        ),
    ];
    let keys: Vec<String> = (1..=4)
        .map(|k| format!("xpcs/twotime/correlation_map/c2_{k:05}"))
        .collect();
    for key in &keys {
        datasets.push((
            key.as_str(),
            Values::F64Chunked(vec![6, 6], vec![4, 4], half_matrix(6)),
        ));
    }
    write_h5(&chunked, datasets);
    let options = LoadOptions::new(0.5, 2, 5, 0.0059);
    let from_chunks = load_hdf5(&chunked, &options).unwrap();
    let from_plain = load_hdf5(&path, &options).unwrap();
    assert_eq!(from_chunks.data, from_plain.data);
    assert_eq!(from_chunks.data.n_t, 4);

    // A q farther than the allowed deviation is refused when asked to be.
    let mut strict = LoadOptions::new(0.5, 1, -1, 0.009);
    strict.max_q_deviation = Some(1e-3);
    let err = load_hdf5(&path, &strict).unwrap_err();
    assert!(matches!(err, XpcsError::Wavevector { .. }), "{err}");
    assert!(err.to_string().contains("0.006"), "{err}");
    strict.max_q_deviation = None;
    assert!(load_hdf5(&path, &strict).is_ok());
}

#[test]
fn a_missing_dataset_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no_bins.h5");
    aps_u_file(&path, None, vec![half_matrix(4); 2]);
    let err = load_hdf5(&path, &options(0.004)).unwrap_err();
    match &err {
        XpcsError::MissingDataset { item, path: p, .. } => {
            assert!(item.contains("xpcs/twotime/processed_bins"), "{err}");
            assert_eq!(p, &path);
        }
        other => panic!("expected MissingDataset, got {other}"),
    }
    assert!(err.to_string().contains("no_bins.h5"), "{err}");

    // Neither layout at all: the top level is listed.
    let path = dir.path().join("other.h5");
    write_h5(
        &path,
        vec![("entry/data", Values::F64(vec![3], vec![1.0; 3]))],
    );
    let err = load_hdf5(&path, &options(0.004)).unwrap_err();
    assert!(matches!(err, XpcsError::MissingDataset { .. }), "{err}");
    assert!(err.to_string().contains("entry"), "{err}");
    assert!(detect_hdf5_layout(&path).is_err());

    // A cache without c2_exp.
    let cache = dir.path().join("partial.npz");
    let loaded = load_hdf5(data_dir().join("aps_u_fixture.h5"), &options(0.0048)).unwrap();
    write_npz_cache(&cache, &loaded, &options(0.0048), true).unwrap();
    let kept: Vec<(String, Vec<u8>)> = members(&cache)
        .into_iter()
        .filter(|(name, _)| name != "c2_exp.npy")
        .collect();
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&cache).unwrap());
    for (name, bytes) in kept {
        writer
            .start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut writer, &bytes).unwrap();
    }
    writer.finish().unwrap();
    let err = load_npz_cache(&cache, &options(0.0048)).unwrap_err();
    match &err {
        XpcsError::MissingDataset { item, .. } => assert!(item.contains("c2_exp"), "{err}"),
        other => panic!("expected MissingDataset, got {other}"),
    }
}

#[test]
fn frames_past_the_end_are_an_error_unless_clamped() {
    let path = data_dir().join("aps_u_fixture.h5");
    let err = load_hdf5(&path, &LoadOptions::new(0.1, 2, 20, 0.0048)).unwrap_err();
    match &err {
        XpcsError::FrameRange {
            n_frames,
            start_frame,
            end_frame,
            ..
        } => assert_eq!((*n_frames, *start_frame, *end_frame), (12, 2, 20)),
        other => panic!("expected FrameRange, got {other}"),
    }
    assert!(err.to_string().contains("aps_u_fixture.h5"), "{err}");
    // A start past the end, and an empty range.
    for (start, end) in [(13, -1), (13, 14), (8, 5), (3, 0)] {
        let err = load_hdf5(&path, &LoadOptions::new(0.1, start, end, 0.0048)).unwrap_err();
        assert!(
            matches!(err, XpcsError::FrameRange { .. }),
            "{start}..{end}: {err}"
        );
    }
    // The package's behaviour on request: clamped, with a warning.
    let mut clamped = LoadOptions::new(0.1, 2, 20, 0.0048);
    clamped.clamp_end_frame = true;
    let loaded = load_hdf5(&path, &clamped).unwrap();
    assert_eq!(loaded.data.n_t, 11);
    assert_eq!(loaded.frames, Some((2, 12)));
    assert!(!loaded.warnings.is_empty());
    // start_frame below 1 is 1, as in the package; -1 is the last frame.
    let all = load_hdf5(&path, &LoadOptions::new(0.1, 0, -1, 0.0048)).unwrap();
    assert_eq!(all.data.n_t, 12);
    assert_eq!(all.frames, Some((1, 12)));
}

#[test]
fn non_finite_data_and_bad_shapes_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = half_matrix(5);
    m[5 + 3] = f64::NAN; // frames (2, 4), 1-based
    let path = dir.path().join("nan.h5");
    aps_u_file(&path, Some(vec![1, 2]), vec![m, half_matrix(5)]);
    let err = load_hdf5(&path, &LoadOptions::new(0.1, 1, -1, 0.004)).unwrap_err();
    assert!(matches!(err, XpcsError::DataFile { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("/xpcs/twotime/correlation_map/c2_00001"),
        "{text}"
    );
    assert!(text.contains("(2, 4)"), "{text}");
    // The NaN lies outside frames [3, 5]: those load.
    assert!(load_hdf5(&path, &LoadOptions::new(0.1, 3, 5, 0.004)).is_ok());

    let path = dir.path().join("rect.h5");
    write_h5(
        &path,
        vec![
            (
                "xpcs/qmap/dynamic_v_list_dim0",
                Values::F64(vec![1], vec![0.004]),
            ),
            (
                "xpcs/qmap/dynamic_v_list_dim1",
                Values::F64(vec![1], vec![0.0]),
            ),
            ("xpcs/twotime/processed_bins", Values::I64(vec![1], vec![1])),
            (
                "xpcs/twotime/correlation_map/c2_00001",
                Values::F64(vec![3, 4], vec![1.0; 12]),
            ),
        ],
    );
    let err = load_hdf5(&path, &LoadOptions::new(0.1, 1, -1, 0.004)).unwrap_err();
    assert!(err.to_string().contains("square"), "{err}");

    // Old layout with q lists of the wrong shape.
    let path = dir.path().join("flat_dq.h5");
    write_h5(
        &path,
        vec![
            ("xpcs/dqlist", Values::F64(vec![2], vec![0.004, 0.005])),
            ("xpcs/dphilist", Values::F64(vec![2], vec![0.0, 10.0])),
            (
                "exchange/C2T_all/c2_00001",
                Values::F64(vec![3, 3], half_matrix(3)),
            ),
            (
                "exchange/C2T_all/c2_00002",
                Values::F64(vec![3, 3], half_matrix(3)),
            ),
        ],
    );
    let err = load_hdf5(&path, &LoadOptions::new(0.1, 1, -1, 0.004)).unwrap_err();
    assert!(matches!(err, XpcsError::DataFile { .. }), "{err}");
    assert!(err.to_string().contains("/xpcs/dqlist"), "{err}");
    assert!(err.to_string().contains("(1, N)"), "{err}");

    // Unusable options.
    let good = data_dir().join("aps_u_fixture.h5");
    let err = load_hdf5(&good, &LoadOptions::new(0.0, 1, -1, 0.0048)).unwrap_err();
    assert!(matches!(err, XpcsError::InvalidSetting { .. }), "{err}");
}
