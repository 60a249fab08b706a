//! Which reader a data file goes to ([`DataFormat`]), and where a bare matrix is inside
//! its file ([`MatrixSource`], [`MatrixTriangle`]): the `experimental_data` settings
//! that choose among the loaders.

use crate::spelling::spellings;

/// Which reader a data file goes to (`experimental_data.format`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum DataFormat {
    /// `auto` (the default): by the file's extension and contents (see
    /// [`super::matrix`]).
    #[default]
    Auto,
    /// `aps`: the package's files, an APS or APS-U HDF5 file or the package's `.npz`
    /// cache.
    Aps,
    /// `matrix`: a bare two-time correlation matrix or stack.
    Matrix,
}

spellings!(DataFormat {
    Auto => "auto",
    Aps => "aps",
    Matrix => "matrix",
});

/// Which part of each stored matrix holds the data (`experimental_data.triangle`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum MatrixTriangle {
    /// `auto` (the default): `upper` when every value below the diagonal is 0 or NaN
    /// and some value above is not, `lower` the other way round, else `full`.
    #[default]
    Auto,
    /// `full`: every value is used as stored, `c(t1, t2)` at row `t1`, column `t2`.
    Full,
    /// `upper`: the values above the diagonal are mirrored below it; what is below is
    /// ignored.
    Upper,
    /// `lower`: the values below the diagonal are mirrored above it; what is above is
    /// ignored.
    Lower,
}

spellings!(MatrixTriangle {
    Auto => "auto",
    Full => "full",
    Upper => "upper",
    Lower => "lower",
});

/// Where the matrices are inside a bare-matrix file, and which triangle they fill.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatrixSource {
    /// The HDF5 dataset path (`/exchange/c2`, the leading `/` optional) or the `.npz`
    /// array name; `None` for a `.npy` file or a `.npz` archive of one array.
    pub dataset: Option<String>,
    /// Which triangle holds the data.
    pub triangle: MatrixTriangle,
}
