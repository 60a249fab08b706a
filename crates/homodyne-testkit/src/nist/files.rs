//! NIST's `.dat` files, built into the library (no path to them is needed at run time).

/// `(name, text)` of every problem's file, from the repository's copies in
/// `crates/homodyne/tests/data/nist`.
macro_rules! nist_files {
    ($($name:literal),* $(,)?) => {
        [$(($name, include_str!(concat!("../../../homodyne/tests/data/nist/", $name, ".dat")))),*]
    };
}

/// The 27 files of the StRD set.
const FILES: [(&str, &str); 27] = nist_files![
    "Misra1a", "Chwirut2", "Gauss1", "DanWood", "Kirby2", "Hahn1", "MGH17", "Lanczos2", "MGH09",
    "Thurber", "BoxBOD", "Rat43", "Misra1b", "Misra1c", "Misra1d", "Chwirut1", "Gauss2", "Gauss3",
    "Lanczos1", "Lanczos3", "Nelson", "Roszman1", "ENSO", "Eckerle4", "Rat42", "MGH10", "Bennett5",
];

/// The text of problem `name`'s file, if it is one of the set.
pub(super) fn text(name: &str) -> Option<&'static str> {
    FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}
