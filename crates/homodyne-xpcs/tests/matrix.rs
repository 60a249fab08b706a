//! Bare two-time correlation matrices (`.npy`, `.npz`, HDF5 datasets) against the same
//! matrices written in the APS-U layout, every refusal as a typed error naming the file
//! and dataset, and the wavevector and gap that a configuration does not give.

use std::io::Write;
use std::path::{Path, PathBuf};

use homodyne_xpcs::loader::{
    DataFormat, DataLocation, LoadOptions, LoadedXpcs, MatrixSource, MatrixTriangle, Precision,
    SourceFormat, load_experimental_data, load_hdf5, load_matrix, npy,
};
use homodyne_xpcs::{XpcsConfig, XpcsError};
use rust_hdf5::{H5File, H5Group, H5Type};

/// A symmetric `n x n` matrix of a decaying correlation plus deterministic noise,
/// stored as `f32` when `single` (every value then exact in both precisions).
fn symmetric(n: usize, seed: u64, single: bool) -> Vec<f64> {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    let mut noise = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.01
    };
    let mut m = vec![0.0; n * n];
    for i in 0..n {
        for j in i..n {
            let v = 1.0 + 0.3 * (-0.05 * (j - i) as f64).exp() + noise();
            let v = if single { f64::from(v as f32) } else { v };
            m[i * n + j] = v;
            m[j * n + i] = v;
        }
    }
    m
}

/// The upper triangle of `m` (diagonal included), `below` under the diagonal.
fn upper(m: &[f64], n: usize, below: f64) -> Vec<f64> {
    let mut h = m.to_vec();
    for i in 0..n {
        for j in 0..i {
            h[i * n + j] = below;
        }
    }
    h
}

/// The lower triangle of `m`, zeros above the diagonal.
fn lower(m: &[f64], n: usize) -> Vec<f64> {
    let mut h = m.to_vec();
    for i in 0..n {
        for j in i + 1..n {
            h[i * n + j] = 0.0;
        }
    }
    h
}

fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("matrix")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_npy(path: &Path, shape: &[usize], values: &[f64]) {
    std::fs::write(path, npy::encode_f64(shape, values).unwrap()).unwrap();
}

/// A version 1.0 `.npy` header of float64 values of `shape` (a Python tuple), padded to
/// 64 bytes as NumPy pads it.
fn npy_header(shape: &str) -> Vec<u8> {
    let mut dict = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + dict.len() + 1) % 64 != 0 {
        dict.push(' ');
    }
    dict.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out
}

fn write_npz(path: &Path, arrays: &[(&str, &[usize], &[f64])]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, shape, values) in arrays {
        zip.start_file(
            format!("{name}.npy"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(&npy::encode_f64(shape, values).unwrap())
            .unwrap();
    }
    zip.finish().unwrap();
}

/// The dataset `name` of `shape` in `group`, holding `values`.
fn write_dataset<T: H5Type>(group: &H5Group, name: &str, shape: &[usize], values: &[T]) {
    group
        .new_dataset::<T>()
        .shape(shape)
        .create(name)
        .unwrap()
        .write_raw(values)
        .unwrap();
}

/// [`write_dataset`] of `values` as `f32` when `single`, else as `f64`.
fn write_floats(group: &H5Group, name: &str, shape: &[usize], values: &[f64], single: bool) {
    if single {
        let values: Vec<f32> = values.iter().map(|&v| v as f32).collect();
        write_dataset(group, name, shape, &values);
    } else {
        write_dataset(group, name, shape, values);
    }
}

/// The APS-U layout: one q, the angles, bins `1..=n_phi`, and each matrix's upper
/// half (zeros below) in `xpcs/twotime/correlation_map`, as `f32` when `single`.
fn write_aps_u(path: &Path, q: &[f64], phi: &[f64], matrices: &[Vec<f64>], n: usize, single: bool) {
    let file = H5File::create(path).unwrap();
    let xpcs = file.root_group().create_group("xpcs").unwrap();
    let qmap = xpcs.create_group("qmap").unwrap();
    write_dataset(&qmap, "dynamic_v_list_dim0", &[q.len()], q);
    write_dataset(&qmap, "dynamic_v_list_dim1", &[phi.len()], phi);
    let twotime = xpcs.create_group("twotime").unwrap();
    let bins: Vec<i64> = (1..=matrices.len() as i64).collect();
    write_dataset(&twotime, "processed_bins", &[bins.len()], &bins);
    let map = twotime.create_group("correlation_map").unwrap();
    for (k, m) in matrices.iter().enumerate() {
        let name = format!("c2_{:05}", k + 1);
        write_floats(&map, &name, &[n, n], &upper(m, n, 0.0), single);
    }
    file.close().unwrap();
}

/// [`write_aps_u`] of the one double-precision matrix `m` at `q` and the angle `phi`.
fn write_aps_u_one(path: &Path, q: f64, phi: f64, m: &[f64]) {
    write_aps_u(path, &[q], &[phi], &[m.to_vec()], N, false);
}

/// An HDF5 file with the dataset `group/name` of `shape`, `f32` when `single`.
fn write_h5_dataset(
    path: &Path,
    group: &str,
    name: &str,
    shape: &[usize],
    values: &[f64],
    single: bool,
) {
    let file = H5File::create(path).unwrap();
    let g = file.root_group().create_group(group).unwrap();
    write_floats(&g, name, shape, values, single);
    file.close().unwrap();
}

fn options(phi: &[f64]) -> LoadOptions {
    let mut options = LoadOptions::new(0.1, 3, 17, 0.0054);
    options.phi_angles = Some(phi.to_vec());
    options
}

/// The error of loading `dataset` of the bare-matrix file `path` at the angles `phi`.
fn refusal(path: &Path, dataset: Option<&str>, phi: &[f64]) -> XpcsError {
    load_matrix(path, &source(dataset), &options(phi)).unwrap_err()
}

/// Some warning contains every one of `parts`.
fn assert_warned(warnings: &[String], parts: &[&str]) {
    assert!(
        warnings
            .iter()
            .any(|w| parts.iter().all(|part| w.contains(part))),
        "{parts:?}: {warnings:?}"
    );
}

/// `err`'s message contains each of `parts`.
fn assert_names(err: &XpcsError, parts: &[&str]) {
    let shown = err.to_string();
    for part in parts {
        assert!(shown.contains(part), "{part}: {shown}");
    }
}

fn source(dataset: Option<&str>) -> MatrixSource {
    MatrixSource {
        dataset: dataset.map(str::to_owned),
        triangle: MatrixTriangle::Auto,
    }
}

/// What the fit sees is the same, to the last bit.
fn assert_same_data(matrix: &LoadedXpcs, aps: &LoadedXpcs) {
    assert_eq!(matrix.data, aps.data);
    assert_eq!(matrix.t, aps.t);
    assert_eq!(matrix.c2_before_correction, aps.c2_before_correction);
    assert_eq!(matrix.frames, aps.frames);
    assert_eq!(matrix.n_frames_in_file, aps.n_frames_in_file);
    assert_eq!(matrix.precision, aps.precision);
    assert_eq!(matrix.cli_prepared().unwrap(), aps.cli_prepared().unwrap());
}

const N: usize = 20;

#[test]
fn a_2d_npy_matrix_loads_as_its_aps_u_file_in_every_triangle() {
    let dir = scratch("npy");
    let m = symmetric(N, 1, false);
    let aps_path = dir.join("aps.h5");
    write_aps_u_one(&aps_path, 0.0054, 30.0, &m);
    let aps = load_hdf5(&aps_path, &options(&[])).unwrap();
    assert_eq!(aps.data.phi, [30.0]);
    for (name, values) in [
        ("full.npy", m.clone()),
        ("upper_zero.npy", upper(&m, N, 0.0)),
        ("upper_nan.npy", upper(&m, N, f64::NAN)),
        ("lower.npy", lower(&m, N)),
    ] {
        let path = dir.join(name);
        write_npy(&path, &[N, N], &values);
        let loaded = load_matrix(&path, &source(None), &options(&[30.0])).unwrap();
        assert_same_data(&loaded, &aps);
        assert_eq!(loaded.format, SourceFormat::Matrix);
        assert_eq!(loaded.source_datasets, [name]);
        assert_eq!(loaded.frames, Some((3, 17)));
        assert!(loaded.warnings.is_empty(), "{name}: {:?}", loaded.warnings);
    }
    // A half matrix read as `full` is kept as it is (so differs), with a word.
    let path = dir.join("upper_zero.npy");
    let full = MatrixSource {
        dataset: None,
        triangle: MatrixTriangle::Full,
    };
    let loaded = load_matrix(&path, &full, &options(&[30.0])).unwrap();
    assert_ne!(loaded.data, aps.data);
    assert!(
        loaded.warnings[0].contains("below its diagonal is 0 or NaN"),
        "{:?}",
        loaded.warnings
    );
    // An asymmetric full matrix is noted.
    let mut skew = m.clone();
    skew[4 * N + 9] += 0.5;
    let path = dir.join("skew.npy");
    write_npy(&path, &[N, N], &skew);
    let loaded = load_matrix(&path, &source(None), &options(&[30.0])).unwrap();
    assert!(
        loaded.warnings[0].contains("not symmetric")
            && loaded.warnings[0].contains("row 5, column 10"),
        "{:?}",
        loaded.warnings
    );
}

#[test]
fn a_3d_hdf5_stack_loads_as_its_aps_u_file_in_both_precisions() {
    let dir = scratch("hdf5");
    let phi = [-20.0, 10.0, 200.0];
    for single in [false, true] {
        let matrices: Vec<Vec<f64>> = (0..3).map(|k| symmetric(N, 10 + k, single)).collect();
        let aps_path = dir.join(format!("aps_{single}.h5"));
        write_aps_u(&aps_path, &[0.0054], &phi, &matrices, N, single);
        let aps = load_hdf5(&aps_path, &options(&[])).unwrap();
        let stack: Vec<f64> = matrices.iter().flat_map(|m| upper(m, N, 0.0)).collect();
        let path = dir.join(format!("stack_{single}.h5"));
        write_h5_dataset(&path, "exchange", "c2", &[3, N, N], &stack, single);
        for dataset in ["/exchange/c2", "exchange/c2"] {
            let loaded = load_matrix(&path, &source(Some(dataset)), &options(&phi)).unwrap();
            assert_same_data(&loaded, &aps);
            assert_eq!(
                loaded.source_datasets,
                ["/exchange/c2[0]", "/exchange/c2[1]", "/exchange/c2[2]"]
            );
        }
        let expected = if single {
            Precision::Float32
        } else {
            Precision::Float64
        };
        assert_eq!(aps.precision, expected);
    }
}

#[test]
fn npz_arrays_are_named_or_the_only_one() {
    let dir = scratch("npz");
    let m = symmetric(N, 3, false);
    let one = dir.join("one.npz");
    write_npz(&one, &[("c2", &[N, N], &m)]);
    let two = dir.join("two.npz");
    write_npz(&two, &[("c2", &[1, N, N], &m), ("g2", &[N], &m[..N])]);
    let a = load_matrix(&one, &source(None), &options(&[0.0])).unwrap();
    let b = load_matrix(&two, &source(Some("c2")), &options(&[0.0])).unwrap();
    assert_eq!(a.data, b.data);
    assert_eq!(b.source_datasets, ["c2[0]"]);
    let err = refusal(&two, None, &[0.0]);
    assert!(matches!(err, XpcsError::MissingDataset { .. }), "{err}");
    assert_names(&err, &["two.npz", "[c2, g2]"]);
    assert_names(&refusal(&two, Some("c3"), &[0.0]), &["c3", "c2, g2"]);
}

#[test]
fn every_refusal_names_the_file_and_dataset() {
    let dir = scratch("refusals");
    let m = symmetric(N, 4, false);
    let npy_path = dir.join("c2.npy");
    write_npy(&npy_path, &[N, N], &m);

    // No q: a bare matrix carries none.
    let mut no_q = options(&[0.0]);
    no_q.wavevector_q_configured = false;
    let err = load_matrix(&npy_path, &source(None), &no_q).unwrap_err();
    assert!(
        matches!(&err, XpcsError::ConfigValue { key, .. } if key == "analyzer_parameters.scattering.wavevector_q"),
        "{err}"
    );
    assert!(err.to_string().contains("c2.npy"), "{err}");
    // No angles, and a non-finite one.
    let err = load_matrix(&npy_path, &source(None), &options(&[])).unwrap_err();
    assert!(
        err.to_string().contains("experimental_data.phi_angles"),
        "{err}"
    );
    let mut none = options(&[]);
    none.phi_angles = None;
    assert!(load_matrix(&npy_path, &source(None), &none).is_err());
    let err = load_matrix(&npy_path, &source(None), &options(&[f64::NAN])).unwrap_err();
    assert!(err.to_string().contains("phi_angles[0]"), "{err}");
    // No dt.
    let mut no_dt = options(&[0.0]);
    no_dt.dt = 0.0;
    assert!(matches!(
        load_matrix(&npy_path, &source(None), &no_dt).unwrap_err(),
        XpcsError::InvalidSetting { .. }
    ));

    // Not square; not 2-D or 3-D.
    for (name, shape) in [
        ("wide.npy", vec![4, 5]),
        ("flat.npy", vec![20]),
        ("cube.npy", vec![2, 3, 4]),
    ] {
        let path = dir.join(name);
        let count: usize = shape.iter().product();
        write_npy(&path, &shape, &vec![1.0; count]);
        let err = load_matrix(&path, &source(None), &options(&[0.0])).unwrap_err();
        assert!(matches!(err, XpcsError::DataFile { .. }), "{name}: {err}");
        assert!(
            err.to_string().contains(name) && err.to_string().contains(&format!("{shape:?}")),
            "{name}: {err}"
        );
    }
    // A stack of 3 with 2 angles; one matrix with 2 angles.
    let stack_path = dir.join("stack.h5");
    let stack: Vec<f64> = (0..3).flat_map(|_| m.clone()).collect();
    write_h5_dataset(&stack_path, "data", "c2", &[3, N, N], &stack, false);
    let err = refusal(&stack_path, Some("/data/c2"), &[0.0, 90.0]);
    assert_names(&err, &["stack.h5", "/data/c2", "3 matrices"]);
    let err = refusal(&npy_path, None, &[0.0, 90.0]);
    assert_names(&err, &["one matrix (2-D)"]);

    // A non-finite value above the diagonal, named by angle and 1-based row and column of
    // the file's frames; the same value below an upper triangle is no error.
    let mut bad = stack.clone();
    bad[N * N + 5 * N + 11] = f64::NAN;
    let bad_path = dir.join("nan.h5");
    write_h5_dataset(&bad_path, "data", "c2", &[3, N, N], &bad, false);
    let err = refusal(&bad_path, Some("data/c2"), &[0.0, 45.0, 90.0]);
    let place = [
        "nan.h5",
        "/data/c2[1]",
        "row 6, column 12",
        "angle 2 of 3 (phi = 45 deg)",
    ];
    assert_names(&err, &place);
    // Outside the frames used, it is not seen.
    let mut late = options(&[0.0, 45.0, 90.0]);
    late.start_frame = 7;
    assert!(load_matrix(&bad_path, &source(Some("data/c2")), &late).is_ok());
    let half: Vec<f64> = (0..3).flat_map(|_| upper(&m, N, 0.0)).collect();
    let mut below = half.clone();
    below[N * N + 11 * N + 5] = f64::NAN;
    write_h5_dataset(&bad_path, "data", "c2", &[3, N, N], &below, false);
    assert!(
        load_matrix(
            &bad_path,
            &source(Some("data/c2")),
            &options(&[0.0, 45.0, 90.0])
        )
        .is_ok()
    );

    // A missing dataset lists the square ones; an HDF5 file needs a dataset.
    let err = refusal(&stack_path, Some("/data/c3"), &[0.0]);
    assert_names(&err, &["/data/c3", "/data/c2"]);
    let err = refusal(&stack_path, None, &[0.0]);
    assert_names(&err, &["experimental_data.dataset", "/data/c2"]);
    // A .npy file with a dataset name.
    assert!(load_matrix(&npy_path, &source(Some("c2")), &options(&[0.0])).is_err());

    // A header claiming more data than the file holds is refused before reading it.
    let mut bytes = npy::encode_f64(&[N, N], &m).unwrap();
    bytes.truncate(bytes.len() - 8);
    let short = dir.join("short.npy");
    std::fs::write(&short, &bytes).unwrap();
    let err = refusal(&short, None, &[0.0]);
    assert!(matches!(err, XpcsError::DataFile { .. }), "{err}");
    assert_names(&err, &["short.npy"]);
    // A header claiming 8 TiB over 64 bytes of data.
    let mut huge = npy_header("(1048576, 1048576)");
    huge.extend_from_slice(&[0; 64]);
    let path = dir.join("huge.npy");
    std::fs::write(&path, &huge).unwrap();
    let err = refusal(&path, None, &[0.0]);
    assert!(matches!(err, XpcsError::DataFile { .. }), "{err}");
    assert_names(&err, &["huge.npy"]);

    // An HDF5 dataset claiming 32 GiB in a file of a few kB (chunked, nothing written)
    // is refused before anything is read.
    let claim = dir.join("claim.h5");
    let file = H5File::create(&claim).unwrap();
    file.new_dataset::<f64>()
        .shape([1usize << 16, 1 << 16])
        .chunk(&[1024, 1024])
        .create("c2")
        .unwrap();
    file.close().unwrap();
    let err = refusal(&claim, Some("c2"), &[0.0]);
    assert_names(&err, &["claim.h5", "/c2", "more than a file of"]);

    // Frames past the data, as for an APS file.
    let mut far = options(&[0.0]);
    far.end_frame = N as i64 + 1;
    assert!(matches!(
        load_matrix(&npy_path, &source(None), &far).unwrap_err(),
        XpcsError::FrameRange { .. }
    ));
    // Strings are no matrix; an empty matrix has no value off its diagonal.
    let zeros = dir.join("zeros.npy");
    write_npy(&zeros, &[N, N], &vec![0.0; N * N]);
    assert_names(
        &refusal(&zeros, None, &[0.0]),
        &["no value off its diagonal"],
    );
}

#[test]
fn integer_matrices_load_as_floats() {
    let dir = scratch("integers");
    let counts: Vec<i32> = (0..N * N).map(|k| 100 + (k % 7) as i32).collect();
    let mut sym = vec![0.0; N * N];
    for i in 0..N {
        for j in i..N {
            sym[i * N + j] = f64::from(counts[i * N + j]);
            sym[j * N + i] = f64::from(counts[i * N + j]);
        }
    }
    let path = dir.join("counts.h5");
    let file = H5File::create(&path).unwrap();
    let ints: Vec<i32> = sym.iter().map(|&v| v as i32).collect();
    file.new_dataset::<i32>()
        .shape([N, N])
        .create("counts")
        .unwrap()
        .write_raw(&ints)
        .unwrap();
    file.close().unwrap();
    let loaded = load_matrix(&path, &source(Some("counts")), &options(&[0.0])).unwrap();
    let npy_path = dir.join("counts.npy");
    write_npy(&npy_path, &[N, N], &sym);
    let same = load_matrix(&npy_path, &source(None), &options(&[0.0])).unwrap();
    assert_eq!(loaded.data, same.data);
}

/// A configuration naming `file` in `dir`, with `extra` lines under
/// `experimental_data`.
fn config(dir: &Path, file: &str, q: Option<f64>, extra: &str) -> XpcsConfig {
    let q = q.map_or(String::new(), |q| {
        format!("  scattering:\n    wavevector_q: {q}\n")
    });
    let text = format!(
        "analysis_mode: static\nanalyzer_parameters:\n  dt: 0.1\n  start_frame: 3\n  \
         end_frame: 17\n{q}experimental_data:\n  data_folder_path: .\n  data_file_name: \
         {file}\n{extra}"
    );
    let config = XpcsConfig::from_yaml_str_in(&text, dir).unwrap();
    assert!(config.unknown_keys.is_empty(), "{:?}", config.unknown_keys);
    config
}

fn load(config: &XpcsConfig) -> Result<LoadedXpcs, XpcsError> {
    load_experimental_data(&config.data_location()?, &config.load_options()?)
}

#[test]
fn the_configuration_chooses_the_reader() {
    let dir = scratch("dispatch");
    let m = symmetric(N, 5, false);
    write_npy(&dir.join("c2.npy"), &[N, N], &m);
    write_h5_dataset(
        &dir.join("c2.h5"),
        "exchange",
        "c2",
        &[N, N],
        &upper(&m, N, 0.0),
        false,
    );
    write_aps_u_one(&dir.join("aps.h5"), 0.0054, 0.0, &m);
    write_npz(&dir.join("c2.npz"), &[("c2", &[N, N], &m)]);
    let aps = load(&config(&dir, "aps.h5", Some(0.0054), "")).unwrap();
    assert_eq!(aps.format, SourceFormat::ApsU);
    // The angles read as a list or a single number.
    for (file, extra) in [
        ("c2.npy", "  phi_angles: [0.0]\n"),
        (
            "c2.npy",
            "  phi_angles: 0\n  format: matrix\n  triangle: full\n",
        ),
        ("c2.h5", "  dataset: /exchange/c2\n  phi_angles: [0]\n"),
        ("c2.npz", "  phi_angles: [0.0]\n"),
        (
            "c2.npz",
            "  dataset: c2\n  phi_angles: [0.0]\n  triangle: upper\n",
        ),
    ] {
        let loaded = load(&config(&dir, file, Some(0.0054), extra)).unwrap();
        assert_eq!(loaded.format, SourceFormat::Matrix, "{file} {extra}");
        assert_eq!(loaded.data, aps.data, "{file} {extra}");
        assert!(loaded.cache_written.is_none());
    }
    // The APS file left its cache beside the matrices; a matrix never reads it.
    assert!(dir.join("cached_c2_frames_3_17.npz").is_file());
    write_npy(&dir.join("other.npy"), &[N, N], &symmetric(N, 99, false));
    let other = load(&config(
        &dir,
        "other.npy",
        Some(0.0054),
        "  phi_angles: [0.0]\n",
    ))
    .unwrap();
    assert_eq!(other.format, SourceFormat::Matrix);
    assert_ne!(other.data, aps.data);
    // The package's cache still reads as a cache.
    let cache = load(&config(&dir, "cached_c2_frames_3_17.npz", Some(0.0054), "")).unwrap();
    assert_eq!(cache.format, SourceFormat::NpzCache);
    // A cache missing its matrices is still taken for a (damaged) cache.
    write_npz(&dir.join("damaged.npz"), &[("t1", &[N], &m[..N])]);
    let err = load(&config(&dir, "damaged.npz", Some(0.0054), "")).unwrap_err();
    assert!(
        matches!(&err, XpcsError::MissingDataset { item, .. } if item.contains("wavevector_q_list")),
        "{err}"
    );
    // Angles given for an APS file are ignored, with a word.
    let loaded = load(&config(
        &dir,
        "aps.h5",
        Some(0.0054),
        "  phi_angles: [5.0]\n",
    ))
    .unwrap();
    assert_warned(&loaded.warnings, &["phi_angles [5.0] was ignored"]);
    // An HDF5 file with neither APS layout nor a dataset says how to read it as a
    // matrix (in a folder without the cache, which the package would read first).
    let bare = scratch("dispatch_bare");
    std::fs::copy(dir.join("c2.h5"), bare.join("c2.h5")).unwrap();
    let err = load(&config(
        &bare,
        "c2.h5",
        Some(0.0054),
        "  phi_angles: [0.0]\n",
    ))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("experimental_data.dataset") && err.contains("/exchange/c2"),
        "{err}"
    );
    // format: aps does not look further.
    let err = load(&config(&bare, "c2.h5", Some(0.0054), "  format: aps\n"))
        .unwrap_err()
        .to_string();
    assert!(!err.contains("experimental_data.dataset"), "{err}");
    // Wrong values of the keys.
    for (extra, key) in [
        ("  format: hdf5\n", "experimental_data.format"),
        ("  triangle: diagonal\n", "experimental_data.triangle"),
        ("  phi_angles: []\n", "experimental_data.phi_angles"),
        (
            "  phi_angles: [0.0, \"nan\"]\n",
            "experimental_data.phi_angles[1]",
        ),
        ("  dataset: ''\n", "experimental_data.dataset"),
    ] {
        let text = format!("experimental_data:\n{extra}");
        let err = XpcsConfig::from_yaml_str(&text).unwrap_err();
        assert!(
            matches!(&err, XpcsError::ConfigValue { key: k, .. } if k == key),
            "{extra}: {err}"
        );
    }
    let location = DataLocation::new(&dir, "c2.npy");
    assert_eq!(location.format, DataFormat::Auto);
}

#[test]
fn a_wavevector_is_never_invented() {
    let dir = scratch("wavevector");
    let m = symmetric(N, 6, false);
    // A file with one q: used, with a warning naming it.
    write_aps_u_one(&dir.join("one_q.h5"), 0.0071, 0.0, &m);
    let loaded = load(&config(&dir, "one_q.h5", None, "")).unwrap();
    assert_eq!(loaded.data.q, 0.0071);
    assert_warned(&loaded.warnings, &["wavevector_q is not set", "0.0071"]);
    // Its cache, read back without a q: the cache's q, with a warning naming it.
    let cached = load(&config(&dir, "one_q.h5", None, "")).unwrap();
    assert_eq!(cached.format, SourceFormat::NpzCache);
    assert_warned(&cached.warnings, &["wavevector_q is not set", "0.0071"]);
    // A file with several q: an error naming the key and the q values.
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/aps_u_fixture.h5");
    let mut options = LoadOptions::new(0.1, 2, 11, 0.0054);
    options.wavevector_q_configured = false;
    let err = load_hdf5(&fixture, &options).unwrap_err();
    assert!(
        matches!(&err, XpcsError::ConfigValue { key, .. } if key == "analyzer_parameters.scattering.wavevector_q"),
        "{err}"
    );
    assert!(err.to_string().contains("aps_u_fixture.h5"), "{err}");
    let old = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/aps_old_fixture.h5");
    assert!(matches!(
        load_hdf5(&old, &options).unwrap_err(),
        XpcsError::ConfigValue { .. }
    ));
    // Configured, the closest q is selected as the package selects it, silently.
    options.wavevector_q_configured = true;
    assert!(load_hdf5(&fixture, &options).unwrap().warnings.is_empty());
    // A bare matrix needs it.
    write_npy(&dir.join("c2.npy"), &[N, N], &m);
    let err = load(&config(&dir, "c2.npy", None, "  phi_angles: [0.0]\n")).unwrap_err();
    assert!(err.to_string().contains("wavevector_q"), "{err}");
}

#[test]
fn the_gap_default_is_named_in_laminar_flow_only() {
    let laminar = XpcsConfig::from_yaml_str("analysis_mode: laminar_flow\n").unwrap();
    assert_warned(&laminar.warnings, &["stator_rotor_gap", "2e6 Angstrom"]);
    let given = XpcsConfig::from_yaml_str(
        "analysis_mode: laminar_flow\nanalyzer_parameters:\n  geometry:\n    stator_rotor_gap: 1.0e6\n",
    )
    .unwrap();
    assert!(given.warnings.is_empty(), "{:?}", given.warnings);
    assert_eq!(given.configured_gap(), Some(1e6));
    let fallback = XpcsConfig::from_yaml_str(
        "analysis_mode: laminar_flow\nexperimental_data:\n  sample_detector_distance: 3.0e6\n",
    )
    .unwrap();
    assert!(fallback.warnings.is_empty(), "{:?}", fallback.warnings);
    let static_mode = XpcsConfig::from_yaml_str("analysis_mode: static\n").unwrap();
    assert!(
        static_mode.warnings.is_empty(),
        "{:?}",
        static_mode.warnings
    );
    // dt is required, as before.
    assert!(
        static_mode
            .load_options()
            .unwrap_err()
            .to_string()
            .contains("analyzer_parameters.dt")
    );
}
