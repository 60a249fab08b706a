//! Every path of the loader accepts the element types the workspace reads everywhere
//! (float64, float32, integers of 1 to 8 bytes, either byte order): the same numbers
//! stored as any of them load to the same data as when stored as little-endian float64.
//! The numbers are integers below 2^24, so that every type holds them exactly and the
//! float32 sums of the half matrices are exact too.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use homodyne_xpcs::loader::{
    DataLocation, LoadOptions, LoadedXpcs, MatrixSource, Precision, SourceFormat,
    load_experimental_data, load_hdf5, load_matrix, load_npz_cache, npy, read_npz, write_npz_cache,
};
use rust_hdf5::{ByteOrder, DatatypeMessage, H5File, H5Group, H5Type};

mod loader_support;
use loader_support::parent;

/// Frames per matrix side.
const N: usize = 6;

/// The element types tried, as NumPy spells them; the first is the reference.
const TYPES: [&str; 8] = ["<f8", ">f8", "<f4", ">f4", "<i4", ">i4", "<u2", ">i8"];

/// `values` as NumPy stores them with `descr`.
fn encode(descr: &str, values: &[f64]) -> Vec<u8> {
    let big = descr.starts_with('>');
    macro_rules! bytes {
        ($t:ty) => {
            values
                .iter()
                .flat_map(|&v| {
                    let x = v as $t;
                    if big {
                        x.to_be_bytes()
                    } else {
                        x.to_le_bytes()
                    }
                })
                .collect()
        };
    }
    match &descr[1..] {
        "f8" => bytes!(f64),
        "f4" => bytes!(f32),
        "i8" => bytes!(i64),
        "i4" => bytes!(i32),
        "u2" => bytes!(u16),
        other => panic!("no encoding for {other}"),
    }
}

/// A `.npy` stream of `values` with `descr` and `shape`, C order.
fn npy_stream(descr: &str, shape: &[usize], values: &[f64]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| format!("{d},")).collect();
    let text = format!(
        "{{'descr': '{descr}', 'fortran_order': False, 'shape': ({}), }}\n",
        dims.join(" ")
    );
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(text.len() as u16).to_le_bytes());
    bytes.extend_from_slice(text.as_bytes());
    bytes.extend_from_slice(&encode(descr, values));
    bytes
}

/// The dataset `name` of `group`, stored as `T` with `descr`'s byte order.
fn put_as<T: H5Type>(group: &H5Group, name: &str, descr: &str, shape: &[usize], values: &[f64]) {
    let mut datatype = T::hdf5_type();
    if descr.starts_with('>') {
        match &mut datatype {
            DatatypeMessage::FloatingPoint { byte_order, .. }
            | DatatypeMessage::FixedPoint { byte_order, .. } => *byte_order = ByteOrder::BigEndian,
            other => panic!("{other:?}"),
        }
    }
    group
        .new_dataset::<T>()
        .datatype(datatype)
        .shape(shape)
        .create(name)
        .unwrap()
        .write_raw_bytes(&encode(descr, values))
        .unwrap();
}

/// One dataset of a test file: its path, NumPy type, shape and values.
type Dataset<'a> = (&'a str, &'a str, Vec<usize>, Vec<f64>);

/// An HDF5 file of `datasets`.
fn write_h5(path: &Path, datasets: &[Dataset<'_>]) {
    let file = H5File::create(path).unwrap();
    let mut groups = HashMap::new();
    for (name, descr, shape, values) in datasets {
        let group = parent(&file, &mut groups, name);
        let leaf = name.rsplit('/').next().unwrap();
        match &descr[1..] {
            "f8" => put_as::<f64>(group, leaf, descr, shape, values),
            "f4" => put_as::<f32>(group, leaf, descr, shape, values),
            "i8" => put_as::<i64>(group, leaf, descr, shape, values),
            "i4" => put_as::<i32>(group, leaf, descr, shape, values),
            "u2" => put_as::<u16>(group, leaf, descr, shape, values),
            other => panic!("no dataset type for {other}"),
        }
    }
    file.close().unwrap();
}

/// The upper half of matrix `k`: integers decaying with the lag, zeros below.
fn half_matrix(k: usize) -> Vec<f64> {
    let mut h = vec![0.0; N * N];
    for i in 0..N {
        for j in i..N {
            h[i * N + j] = (1000 + 300 / (1 + j - i) + 7 * k) as f64;
        }
    }
    h
}

/// An APS-U file of two angles at one q, the matrices stored as `descr`, the bins and
/// angles as integers of `descr`'s byte order.
fn aps_u_file(path: &Path, descr: &str) {
    let order = &descr[..1];
    let mut datasets: Vec<Dataset<'_>> = vec![
        (
            "xpcs/qmap/dynamic_v_list_dim0",
            ">f8",
            vec![1],
            vec![0.0054],
        ),
        (
            "xpcs/qmap/dynamic_v_list_dim1",
            if order == ">" { ">i4" } else { "<i4" },
            vec![2],
            vec![0.0, 90.0],
        ),
        (
            "xpcs/twotime/processed_bins",
            if order == ">" { ">i8" } else { "<u2" },
            vec![2],
            vec![1.0, 2.0],
        ),
    ];
    let names = [
        "xpcs/twotime/correlation_map/c2_00001",
        "xpcs/twotime/correlation_map/c2_00002",
    ];
    for (k, name) in names.iter().enumerate() {
        datasets.push((name, descr, vec![N, N], half_matrix(k)));
    }
    write_h5(path, &datasets);
}

/// An older APS file of three entries at two q values, the matrices stored as `descr`.
fn aps_old_file(path: &Path, descr: &str) {
    let mut datasets: Vec<Dataset<'_>> = vec![
        (
            "xpcs/dqlist",
            ">f8",
            vec![1, 3],
            vec![0.0054, 0.0054, 0.0081],
        ),
        ("xpcs/dphilist", "<i4", vec![1, 3], vec![0.0, 45.0, 0.0]),
    ];
    let names = [
        "exchange/C2T_all/c2_00001",
        "exchange/C2T_all/c2_00002",
        "exchange/C2T_all/c2_00003",
    ];
    for (k, name) in names.iter().enumerate() {
        datasets.push((name, descr, vec![N, N], half_matrix(k)));
    }
    write_h5(path, &datasets);
}

/// The precision a matrix stored as `descr` is formed in.
fn precision_of(descr: &str) -> Precision {
    if descr.ends_with("f4") {
        Precision::Float32
    } else {
        Precision::Float64
    }
}

/// `loaded` holds the reference's data, bit for bit, in the precision of `descr`.
fn assert_same_data(loaded: &LoadedXpcs, reference: &LoadedXpcs, descr: &str) {
    assert_eq!(loaded.data, reference.data, "{descr}");
    assert_eq!(loaded.t, reference.t, "{descr}");
    assert_eq!(
        loaded.wavevector_q_list, reference.wavevector_q_list,
        "{descr}"
    );
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(
        bits(&loaded.c2_before_correction),
        bits(&reference.c2_before_correction),
        "{descr}"
    );
    assert_eq!(loaded.precision, precision_of(descr), "{descr}");
}

#[test]
fn hdf5_files_load_the_same_from_every_element_type() {
    let dir = tempfile::tempdir().unwrap();
    let options = LoadOptions::new(0.1, 2, -1, 0.0054);
    for (write, format) in [
        (aps_u_file as fn(&Path, &str), SourceFormat::ApsU),
        (aps_old_file, SourceFormat::ApsOld),
    ] {
        let load = |descr: &str| {
            let path = dir.path().join(format!("{}_{descr}.h5", format.name()));
            write(&path, descr);
            load_hdf5(&path, &options).unwrap()
        };
        let reference = load(TYPES[0]);
        assert_eq!(reference.format, format);
        // The older file's three entries are all taken: fewer than five lie near q.
        let matrices = if format == SourceFormat::ApsU { 2 } else { 3 };
        assert_eq!(reference.data.phi.len(), matrices);
        assert_eq!(reference.data.n_t, N - 1);
        for descr in &TYPES[1..] {
            assert_same_data(&load(descr), &reference, descr);
        }
    }
}

#[test]
fn float32_matrices_are_cached_as_float32_and_read_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    aps_u_file(&dir.path().join("run.h5"), ">f4");
    let location = DataLocation::new(dir.path(), "run.h5");
    let options = LoadOptions::new(0.1, 1, -1, 0.0054);
    let first = load_experimental_data(&location, &options).unwrap();
    assert_eq!(first.format, SourceFormat::ApsU);
    assert_eq!(first.precision, Precision::Float32);
    let cache = first.cache_written.clone().unwrap();
    let c2 = read_npz(&cache)
        .unwrap()
        .into_iter()
        .find(|(key, _)| key == "c2_exp")
        .unwrap()
        .1;
    assert_eq!(c2.descr, "<f4");
    let second = load_experimental_data(&location, &options).unwrap();
    assert_eq!(second.format, SourceFormat::NpzCache);
    assert_eq!(second.data, first.data);
    assert_eq!(second.precision, Precision::Float32);
}

#[test]
fn caches_load_the_same_from_every_element_type() {
    let dir = tempfile::tempdir().unwrap();
    let h5 = dir.path().join("run.h5");
    aps_u_file(&h5, "<f8");
    let options = LoadOptions::new(0.1, 1, -1, 0.0054);
    let loaded = load_hdf5(&h5, &options).unwrap();
    let cache = dir.path().join("cache.npz");
    write_npz_cache(&cache, &loaded, &options, true).unwrap();
    let reference = load_npz_cache(&cache, &options).unwrap();
    let arrays = read_npz(&cache).unwrap();
    for descr in &TYPES[1..] {
        // c2_exp and the angles stored as `descr`, the times and q in the other byte order.
        let other_order = if descr.starts_with('>') { "<f8" } else { ">f8" };
        let path = dir
            .path()
            .join(format!("cache_{}.npz", descr.replace(['<', '>'], "_")));
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        for (key, array) in &arrays {
            let bytes = match &array.values {
                npy::Values::Strings(text) => npy::encode_unicode_scalar(&text[0]).unwrap(),
                npy::Values::Numbers(values) => {
                    let stored = match key.as_str() {
                        "c2_exp" | "phi_angles_list" => descr,
                        _ => other_order,
                    };
                    npy_stream(stored, &array.shape, values)
                }
            };
            zip.start_file(
                format!("{key}.npy"),
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
            zip.write_all(&bytes).unwrap();
        }
        zip.finish().unwrap();
        let cached = load_npz_cache(&path, &options).unwrap();
        assert_same_data(&cached, &reference, descr);
        assert_eq!(cached.warnings, reference.warnings, "{descr}");
    }
}

#[test]
fn bare_matrices_load_the_same_from_every_element_type() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = LoadOptions::new(0.1, 1, -1, 0.0054);
    options.phi_angles = Some(vec![0.0, 90.0]);
    let stack: Vec<f64> = [half_matrix(0), half_matrix(1)].concat();
    let shape = [2, N, N];
    let in_hdf5 = MatrixSource {
        dataset: Some("/exchange/c2".to_owned()),
        ..MatrixSource::default()
    };
    let load = |descr: &str| {
        let npy_path = dir
            .path()
            .join(format!("c2{}.npy", descr.replace(['<', '>'], "_")));
        std::fs::write(&npy_path, npy_stream(descr, &shape, &stack)).unwrap();
        let from_npy = load_matrix(&npy_path, &MatrixSource::default(), &options).unwrap();
        let h5_path = npy_path.with_extension("h5");
        write_h5(
            &h5_path,
            &[("exchange/c2", descr, shape.to_vec(), stack.clone())],
        );
        let from_hdf5 = load_matrix(&h5_path, &in_hdf5, &options).unwrap();
        assert_eq!(from_npy.data, from_hdf5.data, "{descr}");
        assert_eq!(from_npy.precision, from_hdf5.precision, "{descr}");
        from_npy
    };
    let reference = load(TYPES[0]);
    assert_eq!(reference.format, SourceFormat::Matrix);
    for descr in &TYPES[1..] {
        assert_same_data(&load(descr), &reference, descr);
    }
}
