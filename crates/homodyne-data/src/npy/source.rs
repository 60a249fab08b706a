//! [`NpySource`]: x, y and sigma read from `.npy` files range by range, by seek + read.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use homodyne_core::{Batch, DataSource, SourceError};

use super::header::{MemoryOrder, NpyHeader};
use super::scratch::SCRATCH_BYTES;
use crate::element::ElementType;
use crate::error::DataError;
use crate::role::Role;

/// A `.npy` file opened for range reads: its header, checked for numbers and complete
/// data.
#[derive(Debug)]
struct NpyColumns {
    header: NpyHeader,
    element: ElementType,
    order: MemoryOrder,
    /// Number of points (rows): the first dimension.
    rows: usize,
    /// Values per point: the product of the dimensions after the first.
    row_width: usize,
}

impl NpyColumns {
    /// Opens `path` and reads its header, checking that it holds numbers and every byte
    /// of data the header announces.
    fn open(path: &Path, dataset: &str) -> Result<(Self, File), DataError> {
        let header = NpyHeader::read(path, dataset)?;
        let element = header.number_type()?;
        let io_error = |action: &str, source| DataError::Io {
            file: path.to_path_buf(),
            dataset: dataset.to_owned(),
            action: action.to_owned(),
            source,
        };
        let file = File::open(path).map_err(|e| io_error("cannot open", e))?;
        let file_len = file
            .metadata()
            .map_err(|e| io_error("cannot read the file's size", e))?
            .len();
        header.check_data(file_len.saturating_sub(header.data_offset()))?;
        let columns = Self {
            element,
            order: header.order(),
            rows: header.shape().first().copied().unwrap_or(1),
            row_width: header.shape().iter().skip(1).product(),
            header,
        };
        Ok((columns, file))
    }

    /// Checks that the array is 1-D with `n` values (`n` taken from `other`).
    fn expect_column(&self, n: usize, other: &NpyColumns) -> Result<(), DataError> {
        if self.header.shape().len() != 1 {
            return Err(self.header.bad_shape(format!(
                "give a 1-D array of shape ({n},), one value per point"
            )));
        }
        if self.rows != n {
            return Err(DataError::LengthMismatch {
                file: self.header.file().to_path_buf(),
                dataset: self.header.dataset().to_owned(),
                found: self.rows,
                expected: n,
                other: format!(
                    "{} ({})",
                    other.header.dataset(),
                    other.header.file().display()
                ),
            });
        }
        Ok(())
    }

    /// Reads `bytes.len()` bytes at element `index` (counted in file order).
    fn read_at(&self, file: &mut File, index: usize, bytes: &mut [u8]) -> Result<(), String> {
        // In range: the file was checked at open to hold every element's bytes.
        let offset = self.header.data_offset() + (index as u64) * (self.element.size() as u64);
        file.seek(SeekFrom::Start(offset))
            .and_then(|_| file.read_exact(bytes))
            .map_err(|e| {
                format!(
                    "{} [{}]: cannot read {} bytes at offset {offset}: {e}",
                    self.header.file().display(),
                    self.header.dataset(),
                    bytes.len()
                )
            })
    }
}

/// One of x, y, sigma: `width` values per point from columns `col..col + width` of array
/// number `array`.
#[derive(Debug, Clone, Copy)]
struct Field {
    role: Role,
    array: usize,
    col: usize,
    width: usize,
}

/// The open files and the bytes last read, locked while a batch is read.
#[derive(Debug)]
struct NpyIo {
    files: Vec<File>,
    scratch: Vec<u8>,
    /// A Fortran-order column's values before they are spread over a 2-D x.
    column: Vec<f64>,
}

/// Points read from NumPy `.npy` files, range by range, with seek + read: a batch costs
/// the bytes of its rows, never the whole file.
///
/// Either one file per quantity ([`open`](Self::open): `x` 1-D of shape `(n,)` or 2-D of
/// shape `(n, d)` for `d` predictor values per point, `y` and `sigma` 1-D of shape
/// `(n,)`) or one table ([`open_columns`](Self::open_columns): shape `(n, 2)` holding
/// x and y, or `(n, 3)` holding x, y and sigma).
///
/// Values may be of any [`ElementType`] (float64, float32, integers of 1 to 8 bytes,
/// little- or big-endian: `'<f8'`, `'>f4'`, `'<i4'`, `'|u1'`, ...), converted to `f64`;
/// arrays may be in C or Fortran order (a Fortran-order column is read by one seek + read
/// per column instead of per batch). Everything is checked when the source is opened,
/// including that every file holds all the bytes its header announces.
///
/// ```
/// use homodyne_core::{Batch, DataSource};
/// use homodyne_data::{NpySource, NpyWriter};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = std::env::temp_dir().join(format!("homodyne-npy-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// // A table of 10,000 rows (x, y, sigma), written 1,000 rows at a time.
/// let path = dir.join("table.npy");
/// let mut writer = NpyWriter::create(&path, &[10_000, 3])?;
/// for chunk in 0..10 {
///     let rows: Vec<f64> = (chunk * 1000..(chunk + 1) * 1000)
///         .flat_map(|i| [i as f64, 2.0 * i as f64, 0.5])
///         .collect();
///     writer.write(&rows)?;
/// }
/// writer.finish()?;
///
/// let source = NpySource::open_columns(&path)?;
/// assert_eq!((source.n_points(), source.x_dim(), source.has_sigma()), (10_000, 1, true));
/// let mut batch = Batch::default();
/// source.read(9_998..10_000, &mut batch)?;
/// assert_eq!(batch.x, [9998.0, 9999.0]);
/// assert_eq!(batch.y, [19996.0, 19998.0]);
/// assert_eq!(batch.sigma, [0.5, 0.5]);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct NpySource {
    arrays: Vec<NpyColumns>,
    fields: Vec<Field>,
    n_points: usize,
    x_dim: usize,
    has_sigma: bool,
    io: Mutex<NpyIo>,
}

impl NpySource {
    /// Opens one `.npy` file per quantity: `x` of shape `(n,)` or `(n, d)`, `y` and the
    /// optional `sigma` of shape `(n,)`.
    ///
    /// # Errors
    ///
    /// A [`DataError`] naming the file and the array (`x`, `y` or `sigma`) when a file
    /// cannot be opened or is not a `.npy` file, holds an unsupported element type, has
    /// the wrong number of dimensions, disagrees with `x` on the number of points, is
    /// truncated, or holds no points.
    pub fn open(
        x_path: impl AsRef<Path>,
        y_path: impl AsRef<Path>,
        sigma_path: Option<&Path>,
    ) -> Result<Self, DataError> {
        let (x, x_file) = NpyColumns::open(x_path.as_ref(), Role::X.name())?;
        let (y, y_file) = NpyColumns::open(y_path.as_ref(), Role::Y.name())?;
        let sigma = sigma_path
            .map(|p| NpyColumns::open(p, Role::Sigma.name()))
            .transpose()?;

        let x_dim = match x.header.shape() {
            [_] => 1,
            [_, d] => *d,
            _ => {
                return Err(x.header.bad_shape(
                    "give a 1-D array of shape (n,) or a 2-D array of shape (n, d), d values per point",
                ));
            }
        };
        if x_dim == 0 {
            return Err(x
                .header
                .bad_shape("give at least one predictor value per point"));
        }
        let n = x.rows;
        if n == 0 {
            return Err(x.header.empty());
        }
        y.expect_column(n, &x)?;
        if let Some((s, _)) = &sigma {
            s.expect_column(n, &x)?;
        }

        let field = |role, array, width| Field {
            role,
            array,
            col: 0,
            width,
        };
        let mut fields = vec![field(Role::X, 0, x_dim), field(Role::Y, 1, 1)];
        let mut arrays = vec![x, y];
        let mut files = vec![x_file, y_file];
        let has_sigma = sigma.is_some();
        if let Some((s, s_file)) = sigma {
            fields.push(field(Role::Sigma, 2, 1));
            arrays.push(s);
            files.push(s_file);
        }
        Ok(Self::new(arrays, files, fields, n, x_dim, has_sigma))
    }

    /// Opens one `.npy` table of shape `(n, 2)` (columns x, y) or `(n, 3)` (columns x, y,
    /// sigma); each batch reads its rows once (C order) or each column's (Fortran order).
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open), with the array named `columns`; a shape other than
    /// `(n, 2)` or `(n, 3)` is an error.
    pub fn open_columns(path: impl AsRef<Path>) -> Result<Self, DataError> {
        let (table, file) = NpyColumns::open(path.as_ref(), "columns")?;
        let columns = match table.header.shape() {
            [_, c @ (2 | 3)] => *c,
            _ => {
                return Err(table.header.bad_shape(
                    "give a 2-D array of shape (n, 2) holding columns x, y, or (n, 3) holding \
                     x, y, sigma",
                ));
            }
        };
        let n = table.rows;
        if n == 0 {
            return Err(table.header.empty());
        }
        let column = |role, col| Field {
            role,
            array: 0,
            col,
            width: 1,
        };
        let mut fields = vec![column(Role::X, 0), column(Role::Y, 1)];
        if columns == 3 {
            fields.push(column(Role::Sigma, 2));
        }
        Ok(Self::new(
            vec![table],
            vec![file],
            fields,
            n,
            1,
            columns == 3,
        ))
    }

    fn new(
        arrays: Vec<NpyColumns>,
        files: Vec<File>,
        fields: Vec<Field>,
        n_points: usize,
        x_dim: usize,
        has_sigma: bool,
    ) -> Self {
        Self {
            arrays,
            fields,
            n_points,
            x_dim,
            has_sigma,
            io: Mutex::new(NpyIo {
                files,
                scratch: Vec::new(),
                column: Vec::new(),
            }),
        }
    }

    /// The element type of each file read, as `(role, element type)` pairs (`x`, `y`,
    /// `sigma`, or `columns` for a table).
    pub fn element_types(&self) -> Vec<(&str, ElementType)> {
        self.arrays
            .iter()
            .map(|a| (a.header.dataset(), a.element))
            .collect()
    }

    /// Rows `range` of every C-order field of array `a`: one read of whole rows per
    /// scratch buffer, shared by the fields (the columns of a table).
    fn read_rows(
        &self,
        a: usize,
        range: &Range<usize>,
        io: &mut NpyIo,
        batch: &mut Batch,
    ) -> Result<(), String> {
        let array = &self.arrays[a];
        let row_bytes = array.row_width * array.element.size();
        let rows_per_read = (SCRATCH_BYTES / row_bytes.max(1)).max(1);
        let mut row = range.start;
        while row < range.end {
            let rows = rows_per_read.min(range.end - row);
            let bytes = rows * row_bytes;
            if io.scratch.len() < bytes {
                io.scratch.resize(bytes, 0);
            }
            let chunk = &mut io.scratch[..bytes];
            array.read_at(&mut io.files[a], row * array.row_width, chunk)?;
            let k = row - range.start;
            for field in self.fields.iter().filter(|f| f.array == a) {
                let w = field.width;
                let out = &mut field.role.values_mut(batch)[k * w..(k + rows) * w];
                array
                    .element
                    .decode_rows(chunk, array.row_width, field.col, w, out);
            }
            row += rows;
        }
        Ok(())
    }

    /// Rows `range` of a field of a Fortran-order array: each of its columns is
    /// contiguous in the file, read in scratch-sized pieces and spread over the field's
    /// values per point.
    fn read_columns(
        &self,
        field: &Field,
        range: &Range<usize>,
        io: &mut NpyIo,
        batch: &mut Batch,
    ) -> Result<(), String> {
        let array = &self.arrays[field.array];
        let size = array.element.size();
        let rows_per_read = (SCRATCH_BYTES / size).max(1);
        let w = field.width;
        let out = field.role.values_mut(batch);
        for c in field.col..field.col + w {
            let mut row = range.start;
            while row < range.end {
                let rows = rows_per_read.min(range.end - row);
                if io.scratch.len() < rows * size {
                    io.scratch.resize(rows * size, 0);
                }
                let chunk = &mut io.scratch[..rows * size];
                array.read_at(&mut io.files[field.array], c * array.rows + row, chunk)?;
                let k = row - range.start;
                if w == 1 {
                    array.element.decode(chunk, &mut out[k..k + rows]);
                } else {
                    io.column.resize(rows, 0.0);
                    array.element.decode(chunk, &mut io.column);
                    for (i, &v) in io.column.iter().enumerate() {
                        out[(k + i) * w + (c - field.col)] = v;
                    }
                }
                row += rows;
            }
        }
        Ok(())
    }
}

impl DataSource for NpySource {
    fn n_points(&self) -> usize {
        self.n_points
    }

    fn x_dim(&self) -> usize {
        self.x_dim
    }

    fn has_sigma(&self) -> bool {
        self.has_sigma
    }

    fn read(&self, range: Range<usize>, batch: &mut Batch) -> Result<(), SourceError> {
        SourceError::check_range(|| self.describe(), &range, self.n_points)?;
        batch.resize(range.len(), self.x_dim, self.has_sigma);
        if range.is_empty() {
            return Ok(());
        }
        let mut io = self.io.lock().unwrap_or_else(PoisonError::into_inner);
        let fail = |message: String| SourceError::new(self.describe(), &range, message);
        for (a, array) in self.arrays.iter().enumerate() {
            match array.order {
                MemoryOrder::C => self.read_rows(a, &range, &mut io, batch).map_err(fail)?,
                MemoryOrder::Fortran => {
                    for field in self.fields.iter().filter(|f| f.array == a) {
                        self.read_columns(field, &range, &mut io, batch)
                            .map_err(fail)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn describe(&self) -> String {
        match self.arrays.as_slice() {
            [table] => format!(
                "NumPy table {} (columns x, y{})",
                table.header.file().display(),
                if self.has_sigma { ", sigma" } else { "" }
            ),
            arrays => {
                let files: Vec<String> = arrays
                    .iter()
                    .map(|a| format!("{} {}", a.header.dataset(), a.header.file().display()))
                    .collect();
                format!("NumPy files ({})", files.join(", "))
            }
        }
    }
}
