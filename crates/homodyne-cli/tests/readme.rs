//! The README's shell example runs as written: its `homodyne curve` command line, taken
//! from README.md itself, fits the example data shipped in the repository.

use std::path::{Path, PathBuf};

mod common;

use common::{curve, homodyne, read_json, stderr, stdout};

/// The workspace root, where README.md and the paths it names live.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The first line of README.md that starts with `prefix` (leading spaces ignored).
fn readme_line(prefix: &str) -> String {
    let readme = std::fs::read_to_string(workspace().join("README.md")).expect("README.md");
    readme
        .lines()
        .map(str::trim_start)
        .find(|line| line.starts_with(prefix))
        .unwrap_or_else(|| panic!("README.md has no line starting with {prefix:?}"))
        .to_string()
}

/// The words of a shell command line: split at unquoted whitespace, single and double
/// quotes removed, a trailing `# comment` dropped.
fn shell_words(line: &str) -> Vec<String> {
    let (mut words, mut word, mut quote, mut in_word) = (Vec::new(), String::new(), None, false);
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => (quote, in_word) = (Some(c), true),
            (None, '#') if !in_word => break,
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => (in_word, _) = (true, word.push(c)),
        }
    }
    assert!(quote.is_none(), "unbalanced quote in {line:?}");
    if in_word {
        words.push(word);
    }
    words
}

#[test]
fn shell_words_split_as_a_shell_does() {
    assert_eq!(
        shell_words("homodyne curve --formula 'a*(1-exp(-b*x))' --p0 a=1   # a comment"),
        [
            "homodyne",
            "curve",
            "--formula",
            "a*(1-exp(-b*x))",
            "--p0",
            "a=1"
        ]
    );
    assert_eq!(shell_words(r#"x "a b"c"#), ["x", "a bc"]);
}

/// `homodyne curve ...` as the README prints it, run in a scratch folder holding the
/// data file at the README's (repository-relative) path: it fits, prints the report and
/// writes the plot the command names.
#[test]
fn the_readme_curve_command_fits_the_shipped_example_data() {
    let words = shell_words(&readme_line("homodyne curve "));
    assert_eq!(&words[..2], ["homodyne", "curve"], "{words:?}");
    let value = |option: &str| {
        let at = words.iter().position(|w| w == option);
        at.map(|i| words[i + 1].clone())
            .unwrap_or_else(|| panic!("the README's command has no {option}: {words:?}"))
    };
    let (data, plot) = (value("--data"), value("--plot"));

    let dir = common::scratch("readme", "curve");
    let shipped = workspace().join(&data);
    assert!(
        shipped.is_file(),
        "{data} (the README's --data) is not in the repository"
    );
    std::fs::create_dir_all(dir.join(&data).parent().unwrap()).unwrap();
    std::fs::copy(&shipped, dir.join(&data)).unwrap();

    let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_homodyne"))
        .args(&args)
        .current_dir(&dir)
        .output()
        .expect("the homodyne binary runs");
    assert!(
        out.status.success(),
        "{words:?} failed:\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let report = stdout(&out);
    assert!(report.contains("b1") && report.contains("b2"), "{report}");
    let png = std::fs::read(dir.join(&plot)).expect("the plot the command names");
    assert!(png.starts_with(b"\x89PNG"), "{plot} is not a PNG");
}

/// The same fit with `--json`, to check the values: the data are
/// `240 (1 - exp(-5.5e-4 x))` plus noise of 2, so the fit lands near them.
#[test]
fn the_example_data_fit_recovers_the_truth() {
    let data = workspace().join("crates/homodyne-cli/examples/data/run7.csv");
    let dir = common::scratch("readme", "truth");
    let json = dir.join("fit.json");
    let (data, json) = (data.to_str().unwrap(), json.to_str().unwrap());
    let out = homodyne(&curve(
        "b1*(1-exp(-b2*x))",
        data,
        "b1=500,b2=1e-4",
        &["--json", json],
    ));
    assert!(out.status.success(), "{}", stderr(&out));
    let fit: serde_json::Value = read_json(json);
    let text = fit.to_string();
    let parameter = |name: &str| {
        fit["parameters"][name]["value"]
            .as_f64()
            .unwrap_or_else(|| panic!("no value of {name} in {text}"))
    };
    assert!((parameter("b1") - 240.0).abs() < 3.0, "{text}");
    assert!((parameter("b2") / 5.5e-4 - 1.0).abs() < 0.05, "{text}");
}

/// The README's install command names the crate that builds `homodyne`.
#[test]
fn the_readme_install_command_names_this_crate() {
    let words = shell_words(&readme_line("cargo install "));
    assert!(words.iter().any(|w| w == "--locked"), "{words:?}");
    let path = words
        .iter()
        .position(|w| w == "--path")
        .map(|i| workspace().join(&words[i + 1]))
        .expect("--path");
    assert_eq!(
        path.canonicalize().unwrap(),
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .canonicalize()
            .unwrap()
    );
}
