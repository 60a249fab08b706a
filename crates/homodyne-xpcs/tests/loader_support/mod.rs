//! What the loader tests share: writing HDF5 files of nested datasets.

use std::collections::HashMap;

use rust_hdf5::{H5File, H5Group};

/// The group that holds the dataset `path` (`a/b/name`: the group `a/b`), created along
/// the way when missing; `groups` remembers those made.
pub fn parent<'a>(
    file: &H5File,
    groups: &'a mut HashMap<String, H5Group>,
    path: &str,
) -> &'a H5Group {
    let parts: Vec<&str> = path.split('/').collect();
    let mut so_far = String::new();
    for part in &parts[..parts.len() - 1] {
        let parent_path = so_far.clone();
        so_far = if so_far.is_empty() {
            (*part).to_owned()
        } else {
            format!("{so_far}/{part}")
        };
        if !groups.contains_key(&so_far) {
            let group = if parent_path.is_empty() {
                file.root_group().create_group(part).unwrap()
            } else {
                groups[&parent_path].create_group(part).unwrap()
            };
            groups.insert(so_far.clone(), group);
        }
    }
    &groups[&so_far]
}
