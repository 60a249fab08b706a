//! The result files of `homodyne xpcs` are written and drawn in parallel (the array files
//! on a thread of their own, the figures one angle a rayon task): their bytes must not
//! depend on how many threads there are.

use std::path::Path;
use std::process::Command;

mod common;

use common::{HDF5_FILE, NLSQ_FILES, read_json, scratch};

/// Runs the demo (4 angles of 50 frames) with rayon limited to `threads`, writing into
/// `dir` (the HDF5 copy of the arrays too), which must succeed.
fn demo_on(threads: &str, dir: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_homodyne"))
        .args([
            "xpcs", "--demo", "--angles", "4", "--frames", "50", "--quiet", "--hdf5",
        ])
        .arg("--output-dir")
        .arg(dir)
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .expect("the homodyne binary runs");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The file names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_files_are_the_same_on_one_thread_and_on_three() {
    let root = scratch("outputs_threads", "same_files");
    let (one, three) = (root.join("one"), root.join("three"));
    demo_on("1", &one);
    demo_on("3", &three);
    let (one, three) = (one.join("nlsq"), three.join("nlsq"));
    let written = names(&one);
    assert_eq!(written, names(&three));
    // The five result files, and a heatmap and a cuts figure per angle, nothing else (no
    // temporary file left behind).
    for name in NLSQ_FILES.iter().chain([&HDF5_FILE]) {
        assert!(written.iter().any(|w| w == name), "{name}: {written:?}");
    }
    let figures = |prefix: &str| written.iter().filter(|w| w.starts_with(prefix)).count();
    assert_eq!(figures("c2_heatmaps_phi_"), 4, "{written:?}");
    assert_eq!(figures("c2_cuts_phi_"), 4, "{written:?}");
    assert_eq!(written.len(), NLSQ_FILES.len() + 1 + 8, "{written:?}");
    for name in &written {
        if name.ends_with(".json") {
            // Same values; the timestamps, measured seconds and the thread count differ.
            let strip = |mut v: serde_json::Value| {
                strip_timings(&mut v);
                v
            };
            assert_eq!(
                strip(read_json(one.join(name))),
                strip(read_json(three.join(name))),
                "{name}"
            );
        } else {
            let (a, b) = (
                std::fs::read(one.join(name)).unwrap(),
                std::fs::read(three.join(name)).unwrap(),
            );
            assert!(a == b, "{name} differs between 1 and 3 threads");
        }
    }
}

/// Removes the keys whose values are times (timestamps, seconds measured) or the number
/// of threads.
fn strip_timings(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|key, _| {
                !matches!(
                    key.as_str(),
                    "timestamp" | "execution_time" | "seconds" | "threads"
                )
            });
            map.values_mut().for_each(strip_timings);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_timings),
        _ => {}
    }
}

/// Without `--hdf5` no `fitted_data.h5` is written, and one an earlier run left in the
/// folder is removed (it would no longer hold the arrays of `fitted_data.npz`).
#[test]
fn the_hdf5_copy_is_written_only_when_asked() {
    let dir = scratch("outputs_threads", "hdf5_asked");
    let out = |more: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_homodyne"))
            .args([
                "xpcs", "--demo", "--angles", "2", "--frames", "30", "--quiet",
            ])
            .args(more)
            .arg("--output-dir")
            .arg(&dir)
            .output()
            .expect("the homodyne binary runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    };
    let h5 = dir.join("nlsq").join(HDF5_FILE);
    let stdout = out(&["--hdf5"]);
    assert!(h5.is_file() && stdout.contains("wrote 5 files"), "{stdout}");
    let stdout = out(&[]);
    assert!(!h5.exists() && stdout.contains("wrote 4 files"), "{stdout}");
    assert!(dir.join("nlsq").join("fitted_data.npz").is_file());
}
