//! Every element type through every way `homodyne curve` reads a file: integers (`i4`,
//! `u2`), float32 and big-endian data (`>f8`, `>i4`), in `.npy` tables and HDF5
//! datasets, give the fit of the same values stored as little-endian float64 — to the
//! bit, since every value here is exact in every type.
//!
//! The paths: the whole load (the default in-memory fit), `--strategy streaming` (HDF5
//! datasets read batch by batch from the file; `.npy` tables loaded, then streamed), and
//! the `--distributed` share (each process reads its rows from the file: under `mpirun`
//! with the `mpi` feature, and in every build through the readers a share uses).

mod common;

use std::path::{Path, PathBuf};

use common::{curve, homodyne, read_json, scratch, stderr};
use homodyne::{Batch, DataSource};
use homodyne_data::{Hdf5Source, NpySource};
use npyz::{AutoSerialize, DType, Order, Serialize, WriteOptions, WriterBuilder};
use rust_hdf5::{DatatypeMessage, H5File, H5Type};
use serde_json::Value;

/// Points of the fitted line.
const N: usize = 3000;

/// Integers (exact in every type read here, `u2` included): a line `3 x + 7` with a
/// deterministic scatter of -5..5.
fn points() -> (Vec<f64>, Vec<f64>) {
    let x: Vec<f64> = (0..N).map(|i| (i % 1500) as f64).collect();
    let y: Vec<f64> = (0..N)
        .map(|i| 3.0 * x[i] + 7.0 + ((i * 7919) % 11) as f64 - 5.0)
        .collect();
    (x, y)
}

/// The element types written, as NumPy type strings, with the memory order of the
/// `.npy` table; `<f8` (C order) first: the reference.
const TYPES: [(&str, Order); 7] = [
    ("<f8", Order::C),
    ("<i4", Order::C),
    ("<u2", Order::C),
    ("<f4", Order::C),
    (">f8", Order::C),
    (">i4", Order::C),
    (">i4", Order::Fortran),
];

/// The `(n, 2)` table of columns x, y as a `.npy` file of `descr` in `order`.
fn write_npy(path: &Path, descr: &str, order: Order) {
    let (x, y) = points();
    let mut values = Vec::with_capacity(2 * N);
    match order {
        Order::C => (0..N).for_each(|i| values.extend([x[i], y[i]])),
        Order::Fortran => values.extend(x.iter().chain(&y)),
    }
    fn write<T: Serialize + AutoSerialize>(path: &Path, descr: &str, order: Order, v: Vec<T>) {
        let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
        let mut writer = WriteOptions::new()
            .dtype(DType::Plain(descr.parse().unwrap()))
            .shape(&[N as u64, 2])
            .order(order)
            .writer(file)
            .begin_nd()
            .unwrap();
        writer.extend(v).unwrap();
        writer.finish().unwrap();
    }
    let cast = |f: fn(f64) -> i64| values.iter().map(move |&v| f(v));
    match &descr[1..] {
        "f8" => write(path, descr, order, values.clone()),
        "f4" => write(
            path,
            descr,
            order,
            values.iter().map(|&v| v as f32).collect(),
        ),
        "i4" => write(
            path,
            descr,
            order,
            cast(|v| v as i64).map(|v| v as i32).collect(),
        ),
        "u2" => write(
            path,
            descr,
            order,
            cast(|v| v as i64).map(|v| v as u16).collect(),
        ),
        other => panic!("no writer for {other}"),
    }
}

/// `/data/x` and `/data/y` as HDF5 datasets of `descr` (byte order included).
fn write_hdf5(path: &Path, descr: &str) {
    let (x, y) = points();
    let file = H5File::create(path).unwrap();
    let group = file.create_group("data").unwrap();
    let big = descr.starts_with('>');
    for (name, values) in [("x", &x), ("y", &y)] {
        match &descr[1..] {
            "f8" => dataset::<f64, 8>(&group, name, big, values, |v| v),
            "f4" => dataset::<f32, 4>(&group, name, big, values, |v| v as f32),
            "i4" => dataset::<i32, 4>(&group, name, big, values, |v| v as i32),
            "u2" => dataset::<u16, 2>(&group, name, big, values, |v| v as u16),
            other => panic!("no writer for {other}"),
        }
    }
    file.close().unwrap();
}

/// The numbers a dataset stores, in either byte order.
trait Stored<const K: usize>: H5Type {
    fn le(self) -> [u8; K];
    fn be(self) -> [u8; K];
}

macro_rules! stored {
    ($($t:ty: $k:literal),*) => {$(
        impl Stored<$k> for $t {
            fn le(self) -> [u8; $k] { self.to_le_bytes() }
            fn be(self) -> [u8; $k] { self.to_be_bytes() }
        }
    )*};
}
stored!(f64: 8, f32: 4, i32: 4, u16: 2);

/// The dataset `name` of `values` stored as `T` (`cast` from each value), big-endian when
/// `big`: the datatype is `T`'s with its byte order set, the bytes encoded to match.
fn dataset<T: Stored<K>, const K: usize>(
    group: &rust_hdf5::H5Group,
    name: &str,
    big: bool,
    values: &[f64],
    cast: impl Fn(f64) -> T,
) {
    let mut datatype = T::hdf5_type();
    if big {
        match &mut datatype {
            DatatypeMessage::FloatingPoint { byte_order, .. }
            | DatatypeMessage::FixedPoint { byte_order, .. } => {
                *byte_order = rust_hdf5::ByteOrder::BigEndian;
            }
            other => panic!("{other:?}"),
        }
    }
    let bytes: Vec<u8> = values
        .iter()
        .flat_map(|&v| if big { cast(v).be() } else { cast(v).le() })
        .collect();
    let dataset = group
        .new_dataset::<T>()
        .datatype(datatype)
        .shape([N])
        .create(name)
        .unwrap();
    dataset.write_raw_bytes(&bytes).unwrap();
}

/// The file of `descr` (and `order`, for `.npy`) in `dir`, written on first use.
fn fixture(dir: &Path, extension: &str, descr: &str, order: Order) -> PathBuf {
    let order_name = if order == Order::Fortran {
        "_fortran"
    } else {
        ""
    };
    let name = format!(
        "{}{order_name}.{extension}",
        descr.replace('<', "le_").replace('>', "be_")
    );
    let path = dir.join(name);
    if !path.exists() {
        match extension {
            "npy" => write_npy(&path, descr, order),
            _ => write_hdf5(&path, descr),
        }
    }
    path
}

/// The fitted parameters' bits of `homodyne curve` on `data`, with `more` arguments.
fn fit(data: &Path, json: &Path, more: &[&str]) -> Vec<u64> {
    let data = data.to_str().unwrap();
    let json_arg = json.to_str().unwrap();
    let mut extra = vec!["--json", json_arg, "--quiet"];
    extra.extend_from_slice(more);
    let out = homodyne(&curve("a*x + b", data, "a=1,b=0", &extra));
    assert!(out.status.success(), "{data} {more:?}: {}", stderr(&out));
    let result: Value = read_json(json);
    ["a", "b"]
        .iter()
        .map(|p| result["parameters"][p]["value"].as_f64().unwrap().to_bits())
        .collect()
}

const HDF5_COLUMNS: [&str; 4] = ["--x", "/data/x", "--y", "/data/y"];
const STREAMING: [&str; 4] = ["--strategy", "streaming", "--batch-size", "700"];

/// The whole load and `--strategy streaming` of every type give the reference's fit.
fn every_type_fits_alike(extension: &str, columns: &[&str]) {
    let dir = scratch("dtypes", extension);
    let json = dir.join("fit.json");
    for strategy in [&[][..], &STREAMING[..]] {
        let args: Vec<&str> = columns.iter().chain(strategy).copied().collect();
        let (reference_descr, reference_order) = TYPES[0];
        let reference = fit(
            &fixture(&dir, extension, reference_descr, reference_order),
            &json,
            &args,
        );
        // The data is a line with scatter: the fit is close to a = 3, b = 7.
        assert!(
            (f64::from_bits(reference[0]) - 3.0).abs() < 1e-3,
            "{reference:?}"
        );
        for &(descr, order) in &TYPES[1..] {
            if extension == "h5" && order == Order::Fortran {
                continue;
            }
            let data = fixture(&dir, extension, descr, order);
            assert_eq!(
                fit(&data, &json, &args),
                reference,
                "{descr} {order:?} {strategy:?}: not the fit of the float64 file"
            );
        }
    }
}

#[test]
fn npy_tables_of_every_type_fit_alike() {
    every_type_fits_alike("npy", &[]);
}

#[test]
fn hdf5_datasets_of_every_type_fit_alike() {
    every_type_fits_alike("h5", &HDF5_COLUMNS);
}

/// The readers a `--distributed` share uses (each process reads its rows of the file):
/// every type's shares hold the reference's bits.
#[test]
fn distributed_shares_of_every_type_read_alike() {
    let dir = scratch("dtypes", "shares");
    let open = |extension: &str, descr: &str, order: Order| -> Box<dyn DataSource> {
        let path = fixture(&dir, extension, descr, order);
        match extension {
            "npy" => Box::new(NpySource::open_columns(&path).unwrap()),
            _ => Box::new(Hdf5Source::open(&path, "/data/x", "/data/y", None).unwrap()),
        }
    };
    // The shares of 1, 2 and 3 processes, as contiguous ranges of rows.
    let shares: Vec<std::ops::Range<usize>> = [1, 2, 3]
        .iter()
        .flat_map(|&p| (0..p).map(move |r| r * N / p..(r + 1) * N / p))
        .collect();
    let (x, y) = points();
    for extension in ["npy", "h5"] {
        let (reference_descr, reference_order) = TYPES[0];
        let reference = open(extension, reference_descr, reference_order);
        for &(descr, order) in &TYPES {
            if extension == "h5" && order == Order::Fortran {
                continue;
            }
            let source = open(extension, descr, order);
            let (mut got, mut want) = (Batch::default(), Batch::default());
            for share in &shares {
                source.read(share.clone(), &mut got).unwrap();
                reference.read(share.clone(), &mut want).unwrap();
                assert_eq!(got, want, "{extension} {descr} {order:?} {share:?}");
                assert_eq!(got.x, x[share.clone()], "{extension} {descr} {order:?}");
                assert_eq!(got.y, y[share.clone()], "{extension} {descr} {order:?}");
            }
        }
    }
}

/// `homodyne curve --distributed` under `mpirun -np 2`: every type's fit is the
/// reference's (with the `mpi` feature; .ci/run's MPI step builds it).
#[cfg(feature = "mpi")]
#[test]
fn distributed_fits_of_every_type_fit_alike() {
    let dir = scratch("dtypes", "distributed");
    let json = dir.join("fit.json");
    let run = |data: &Path, columns: &[&str]| -> Vec<u64> {
        let json_arg = json.to_str().unwrap();
        let mut args = vec![
            "--allow-run-as-root",
            "--oversubscribe",
            "-np",
            "2",
            env!("CARGO_BIN_EXE_homodyne"),
        ];
        args.extend(curve("a*x + b", data.to_str().unwrap(), "a=1,b=0", &[]));
        args.extend(["--json", json_arg, "--quiet", "--distributed"]);
        args.extend_from_slice(columns);
        let out = std::process::Command::new("mpirun")
            .args(&args)
            .output()
            .expect("mpirun runs (Open MPI: see .ci/run)");
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let result: Value = read_json(&json);
        ["a", "b"]
            .iter()
            .map(|p| result["parameters"][p]["value"].as_f64().unwrap().to_bits())
            .collect()
    };
    for (extension, columns) in [("npy", &[][..]), ("h5", &HDF5_COLUMNS[..])] {
        let (reference_descr, reference_order) = TYPES[0];
        let reference = run(
            &fixture(&dir, extension, reference_descr, reference_order),
            columns,
        );
        for &(descr, order) in &TYPES[1..] {
            if extension == "h5" && order == Order::Fortran {
                continue;
            }
            let data = fixture(&dir, extension, descr, order);
            assert_eq!(
                run(&data, columns),
                reference,
                "{extension} {descr} {order:?}"
            );
        }
    }
}
