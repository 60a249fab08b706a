//! The cache's file name, from the package's template.

use crate::error::XpcsError;

/// The package's default cache file name (`experimental_data.cache_filename_template`).
pub const DEFAULT_CACHE_TEMPLATE: &str = "cached_c2_frames_${start_frame}_${end_frame}.npz";

/// The cache file name the package derives from its template
/// (`experimental_data.cache_filename_template`): an old `{var}` / `{var:fmt}` template
/// is first turned into `${var}` (when it has no `$`), then `$start_frame`,
/// `$end_frame` (as written in the configuration) and `$wavevector_q` (formatted
/// `.4f`) are substituted as Python's `string.Template.safe_substitute` does: `$$` is a
/// `$`, unknown placeholders are kept.
///
/// # Errors
///
/// [`XpcsError::ConfigValue`] for `experimental_data.cache_filename_template` when the
/// name contains `/` or `..`, which the package refuses too.
pub fn cache_file_name(
    template: &str,
    start_frame: i64,
    end_frame: i64,
    wavevector_q: f64,
) -> Result<String, XpcsError> {
    let template = migrate_template(template);
    let lookup = |name: &str| -> Option<String> {
        match name {
            "start_frame" => Some(start_frame.to_string()),
            "end_frame" => Some(end_frame.to_string()),
            "wavevector_q" => Some(format!("{wavevector_q:.4}")),
            _ => None,
        }
    };
    let is_start = |c: char| c == '_' || c.is_ascii_alphabetic();
    let is_rest = |c: char| c == '_' || c.is_ascii_alphanumeric();
    let chars: Vec<char> = template.chars().collect();
    let mut out = String::with_capacity(template.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '$' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        match chars.get(i + 1) {
            Some('$') => {
                out.push('$');
                i += 2;
            }
            Some('{') => {
                let start = i + 2;
                let mut j = start;
                if chars.get(j).is_some_and(|&c| is_start(c)) {
                    j += 1;
                    while chars.get(j).is_some_and(|&c| is_rest(c)) {
                        j += 1;
                    }
                }
                if j > start && chars.get(j) == Some(&'}') {
                    let name: String = chars[start..j].iter().collect();
                    match lookup(&name) {
                        Some(v) => out.push_str(&v),
                        None => out.extend(&chars[i..=j]),
                    }
                    i = j + 1;
                } else {
                    out.push('$');
                    i += 1;
                }
            }
            Some(&c) if is_start(c) => {
                let start = i + 1;
                let mut j = start + 1;
                while chars.get(j).is_some_and(|&c| is_rest(c)) {
                    j += 1;
                }
                let name: String = chars[start..j].iter().collect();
                match lookup(&name) {
                    Some(v) => out.push_str(&v),
                    None => out.extend(&chars[i..j]),
                }
                i = j;
            }
            _ => {
                out.push('$');
                i += 1;
            }
        }
    }
    if out.contains(std::path::MAIN_SEPARATOR) || out.contains('/') || out.contains("..") {
        return Err(XpcsError::config_value(
            "experimental_data.cache_filename_template",
            format!("gives the file name '{out}', which must not contain '/' or '..'"),
        ));
    }
    Ok(out)
}

/// The package's `_migrate_cache_template`: `{name}` and `{name:spec}` become `${name}`
/// when the template has no `$`.
fn migrate_template(template: &str) -> String {
    if template.contains('$') {
        return template.to_owned();
    }
    let word = |c: char| c == '_' || c.is_alphanumeric();
    let chars: Vec<char> = template.chars().collect();
    let mut out = String::with_capacity(template.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '{' {
            let start = i + 1;
            let mut j = start;
            while chars.get(j).is_some_and(|&c| word(c)) {
                j += 1;
            }
            if j > start {
                let mut k = j;
                if chars.get(k) == Some(&':') {
                    k += 1;
                    while chars.get(k).is_some_and(|&c| c != '}') {
                        k += 1;
                    }
                }
                if chars.get(k) == Some(&'}') {
                    out.push_str("${");
                    out.extend(&chars[start..j]);
                    out.push('}');
                    i = k + 1;
                    continue;
                }
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_migrated_and_substituted_as_python_does() {
        assert_eq!(
            cache_file_name(DEFAULT_CACHE_TEMPLATE, 2, 11, 0.0048).unwrap(),
            "cached_c2_frames_2_11.npz"
        );
        assert_eq!(
            cache_file_name(
                "cached_c2_flow_q${wavevector_q}_frames_${start_frame}_${end_frame}.npz",
                1,
                -1,
                0.0054
            )
            .unwrap(),
            "cached_c2_flow_q0.0054_frames_1_-1.npz"
        );
        assert_eq!(
            cache_file_name("c_{wavevector_q:.3f}_{start_frame}.npz", 3, 9, 0.00125).unwrap(),
            "c_0.0013_3.npz"
        );
        assert_eq!(
            cache_file_name("$$x_$other_${end_frame}$", 1, 7, 0.1).unwrap(),
            "$x_$other_7$"
        );
        assert!(cache_file_name("../c_${end_frame}.npz", 1, 7, 0.1).is_err());
        assert!(cache_file_name("sub/c.npz", 1, 7, 0.1).is_err());
    }
}
