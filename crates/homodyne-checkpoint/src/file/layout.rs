//! Where a checkpoint's values stand in the file: the dataset paths, the groups, the
//! shape of a string field, the format and library versions and the deflate level.

/// The checkpoint format version this library writes. Files whose major version (the part
/// before the first `.`) differs are refused; a newer minor version of the same major is
/// read.
pub const FORMAT_VERSION: &str = "1.0";

/// The major part of [`FORMAT_VERSION`].
pub(crate) const FORMAT_MAJOR: u64 = 1;

/// The version of this library, stored in every checkpoint as `/version/library_version`.
pub const LIBRARY_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Deflate (gzip) level of compressed arrays: level 1 is several times faster than the
/// default 6 and loses little on floating-point data.
pub(crate) const DEFLATE_LEVEL: u32 = 1;

pub(crate) const PARAMETERS: &str = "/parameters";
pub(crate) const LOSS: &str = "/loss";
pub(crate) const BATCH_IDX: &str = "/batch_idx";
pub(crate) const OPTIMIZER_STATE: &str = "/optimizer_state";
pub(crate) const METADATA: &str = "/metadata";
pub(crate) const VERSION_GROUP: &str = "/version";
pub(crate) const FORMAT_VERSION_PATH: &str = "/version/format_version";
pub(crate) const LIBRARY_VERSION_PATH: &str = "/version/library_version";
pub(crate) const TIMESTAMP: &str = "/timestamp";
pub(crate) const CHECKSUM: &str = "/checksum";

/// The groups every checkpoint has, even when empty.
pub(crate) const GROUPS: [&str; 3] = [OPTIMIZER_STATE, METADATA, VERSION_GROUP];

/// Shape of a string field.
pub(crate) const STRING_SHAPE: [usize; 1] = [1];
