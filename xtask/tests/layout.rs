//! The workspace's layout rules, checked on the source tree:
//!
//! - no file under `crates/*/src` is longer than [`MAX_LINES`] lines;
//! - no two files of one crate import each other, directly or around a ring of files;
//! - nothing in `README.md`, `docs/` or `crates/` points at material outside the repository.
//!
//! # How file dependencies are read
//!
//! Each file is parsed with `syn`. A file *depends on* another file of its crate when one of
//! its `use` declarations or paths names an item that the other file defines. Paths are
//! resolved as rustc does for the cases the workspace uses: `crate::`, `super::`, `self::`,
//! and paths that start with a module declared in the current scope. A name that a file only
//! re-exports (`pub use a::Item;`, a glob `pub use a::*;`) is followed to the file that
//! defines it, so `use crate::Error` depends on `error.rs`, not on `lib.rs`. Paths inside an
//! inline module (`mod tests { use super::*; }`) are resolved from that module, so a file's
//! own tests do not make it depend on itself. Paths inside macro bodies other than the
//! macro's own name are not seen.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// The longest a source file of a library or binary may be.
const MAX_LINES: usize = 900;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Every `.rs` file below `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        let Ok(entries) = fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The source folders of the workspace's crates: `crates/*/src` and `xtask/src`.
fn crate_source_dirs() -> Vec<PathBuf> {
    let root = workspace_root();
    let mut dirs: Vec<PathBuf> = fs::read_dir(root.join("crates"))
        .expect("crates/ is readable")
        .flatten()
        .map(|e| e.path().join("src"))
        .filter(|p| p.is_dir())
        .collect();
    dirs.push(root.join("xtask/src"));
    dirs.sort();
    dirs
}

/// The module path of a file relative to its crate's `src/`: `lib.rs` and `main.rs` are the
/// root, `a.rs` and `a/mod.rs` are `a`, `a/b.rs` is `a::b`. Files under `src/bin/` are roots
/// of their own.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs").to_string();
    if parts.first().is_some_and(|p| p == "bin") {
        return vec![format!("#bin:{stem}")];
    }
    if !(parts.is_empty() && (stem == "lib" || stem == "main")) && stem != "mod" {
        parts.push(stem);
    }
    parts
}

/// A `use` binding: in `scope` (inline modules below the file's module), `name` (None for
/// a glob) stands for the raw path `target`.
#[derive(Debug, Clone)]
struct Binding {
    scope: Vec<String>,
    name: Option<String>,
    target: Vec<String>,
}

/// What one file declares and refers to.
#[derive(Debug, Default)]
struct FileFacts {
    /// `use` bindings, in every scope of the file.
    bindings: Vec<Binding>,
    /// Paths of two or more segments met in the code, with the scope they stand in.
    paths: Vec<(Vec<String>, Vec<String>)>,
    /// Modules declared (`mod x;` or `mod x { .. }`), by scope.
    modules: BTreeSet<(Vec<String>, String)>,
    /// Names of items the file defines at its top level.
    defined: BTreeSet<String>,
}

struct Collector {
    scope: Vec<String>,
    facts: FileFacts,
}

fn use_tree_bindings(
    tree: &syn::UseTree,
    prefix: &mut Vec<String>,
    out: &mut Vec<(Option<String>, Vec<String>)>,
) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            use_tree_bindings(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let name = n.ident.to_string();
            if name == "self" {
                out.push((prefix.last().cloned(), prefix.clone()));
            } else {
                let mut target = prefix.clone();
                target.push(name.clone());
                out.push((Some(name), target));
            }
        }
        syn::UseTree::Rename(r) => {
            let mut target = prefix.clone();
            let name = r.ident.to_string();
            if name != "self" {
                target.push(name);
            }
            out.push((Some(r.rename.to_string()), target));
        }
        syn::UseTree::Glob(_) => out.push((None, prefix.clone())),
        syn::UseTree::Group(g) => {
            for item in &g.items {
                use_tree_bindings(item, prefix, out);
            }
        }
    }
}

fn item_name(item: &syn::Item) -> Option<String> {
    Some(match item {
        syn::Item::Const(i) => i.ident.to_string(),
        syn::Item::Enum(i) => i.ident.to_string(),
        syn::Item::Fn(i) => i.sig.ident.to_string(),
        syn::Item::Macro(i) => i.ident.as_ref()?.to_string(),
        syn::Item::Static(i) => i.ident.to_string(),
        syn::Item::Struct(i) => i.ident.to_string(),
        syn::Item::Trait(i) => i.ident.to_string(),
        syn::Item::TraitAlias(i) => i.ident.to_string(),
        syn::Item::Type(i) => i.ident.to_string(),
        syn::Item::Union(i) => i.ident.to_string(),
        _ => return None,
    })
}

impl<'ast> Visit<'ast> for Collector {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        let name = item.ident.to_string();
        self.facts
            .modules
            .insert((self.scope.clone(), name.clone()));
        if item.content.is_some() {
            self.scope.push(name);
            syn::visit::visit_item_mod(self, item);
            self.scope.pop();
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let mut found = Vec::new();
        use_tree_bindings(&item.tree, &mut Vec::new(), &mut found);
        for (name, target) in found {
            self.facts.bindings.push(Binding {
                scope: self.scope.clone(),
                name,
                target,
            });
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.segments.len() >= 2 {
            let segments = path.segments.iter().map(|s| s.ident.to_string()).collect();
            self.facts.paths.push((self.scope.clone(), segments));
        }
        syn::visit::visit_path(self, path);
    }
}

/// One crate's files and what they refer to.
struct CrateGraph {
    /// Module path of each file.
    modules: Vec<Vec<String>>,
    files: Vec<PathBuf>,
    facts: Vec<FileFacts>,
    by_module: HashMap<Vec<String>, usize>,
}

impl CrateGraph {
    fn read(src: &Path) -> CrateGraph {
        let files = rust_files(src);
        let mut modules = Vec::new();
        let mut facts = Vec::new();
        let mut by_module = HashMap::new();
        for (index, file) in files.iter().enumerate() {
            let text = fs::read_to_string(file).unwrap();
            let parsed = syn::parse_file(&text)
                .unwrap_or_else(|e| panic!("{}: does not parse: {e}", file.display()));
            let mut collector = Collector {
                scope: Vec::new(),
                facts: FileFacts::default(),
            };
            collector.visit_file(&parsed);
            collector.facts.defined = parsed.items.iter().filter_map(item_name).collect();
            let module = module_path(src, file);
            by_module.insert(module.clone(), index);
            modules.push(module);
            facts.push(collector.facts);
        }
        CrateGraph {
            modules,
            files,
            facts,
            by_module,
        }
    }

    /// The absolute module path a raw path names, seen from `file` in `scope`; None when it
    /// leaves the crate (another crate, std) or names a local item.
    fn absolute(&self, file: usize, scope: &[String], raw: &[String]) -> Option<Vec<String>> {
        self.absolute_within(file, scope, raw, 0)
    }

    /// [`CrateGraph::absolute`], `depth` bindings deep (a binding may name another).
    fn absolute_within(
        &self,
        file: usize,
        scope: &[String],
        raw: &[String],
        depth: usize,
    ) -> Option<Vec<String>> {
        let mut here: Vec<String> = self.modules[file].iter().chain(scope).cloned().collect();
        let first = raw.first()?;
        match first.as_str() {
            "crate" => Some(raw[1..].to_vec()),
            "self" => {
                here.extend(raw[1..].iter().cloned());
                Some(here)
            }
            "super" => {
                let mut rest = raw;
                while rest.first().is_some_and(|s| s == "super") {
                    here.pop()?;
                    rest = &rest[1..];
                }
                here.extend(rest.iter().cloned());
                Some(here)
            }
            name => {
                let declared = self.facts[file]
                    .modules
                    .contains(&(scope.to_vec(), name.to_string()));
                let bound = self.facts[file]
                    .bindings
                    .iter()
                    .find(|b| b.scope == scope && b.name.as_deref() == Some(name));
                if declared {
                    here.extend(raw.iter().cloned());
                    Some(here)
                } else if let Some(binding) = bound.filter(|_| depth < 16) {
                    // `use crate::streaming;` then `streaming::fit`.
                    let mut target =
                        self.absolute_within(file, scope, &binding.target, depth + 1)?;
                    target.extend(raw[1..].iter().cloned());
                    Some(target)
                } else {
                    None
                }
            }
        }
    }

    /// The file that defines what the absolute path `path` names, following re-exports.
    fn defining_file(&self, path: &[String], depth: usize) -> Option<usize> {
        let (file, rest) = (0..=path.len())
            .rev()
            .find_map(|n| self.by_module.get(&path[..n]).map(|&f| (f, &path[n..])))?;
        let Some(name) = rest.first() else {
            return Some(file);
        };
        if depth > 16 || self.facts[file].defined.contains(name) {
            return Some(file);
        }
        let top: Vec<&Binding> = self.facts[file]
            .bindings
            .iter()
            .filter(|b| b.scope.is_empty())
            .collect();
        if let Some(binding) = top
            .iter()
            .find(|b| b.name.as_deref() == Some(name.as_str()))
        {
            let mut target = match self.absolute(file, &[], &binding.target) {
                Some(target) => target,
                None => return Some(file),
            };
            target.extend(rest[1..].iter().cloned());
            return self.defining_file(&target, depth + 1).or(Some(file));
        }
        for glob in top.iter().filter(|b| b.name.is_none()) {
            let Some(mut target) = self.absolute(file, &[], &glob.target) else {
                continue;
            };
            target.extend(rest.iter().cloned());
            if let Some(found) = self.defining_file(&target, depth + 1) {
                let found_defines = self.facts[found].defined.contains(name)
                    || self.facts[found]
                        .bindings
                        .iter()
                        .any(|b| b.name.as_deref() == Some(name.as_str()));
                if found != file && found_defines {
                    return Some(found);
                }
            }
        }
        Some(file)
    }

    /// For each file, the other files of the crate it depends on, with a name that ties them.
    fn edges(&self) -> Vec<BTreeMap<usize, String>> {
        (0..self.files.len())
            .map(|file| {
                let mut out = BTreeMap::new();
                let facts = &self.facts[file];
                let raw_paths = facts
                    .bindings
                    .iter()
                    .map(|b| (&b.scope, &b.target))
                    .chain(facts.paths.iter().map(|(s, p)| (s, p)));
                for (scope, raw) in raw_paths {
                    let Some(absolute) = self.absolute(file, scope, raw) else {
                        continue;
                    };
                    if let Some(target) = self.defining_file(&absolute, 0)
                        && target != file
                    {
                        out.entry(target).or_insert_with(|| raw.join("::"));
                    }
                }
                out
            })
            .collect()
    }
}

/// Strongly connected components of more than one file (Tarjan's algorithm).
fn cycles(edges: &[BTreeMap<usize, String>]) -> Vec<Vec<usize>> {
    struct State<'a> {
        edges: &'a [BTreeMap<usize, String>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        found: Vec<Vec<usize>>,
    }
    fn visit(s: &mut State, v: usize) {
        s.index[v] = Some(s.next);
        s.low[v] = s.next;
        s.next += 1;
        s.stack.push(v);
        s.on_stack[v] = true;
        let targets: Vec<usize> = s.edges[v].keys().copied().collect();
        for w in targets {
            match s.index[w] {
                None => {
                    visit(s, w);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(iw) if s.on_stack[w] => s.low[v] = s.low[v].min(iw),
                Some(_) => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut component = Vec::new();
            loop {
                let w = s.stack.pop().unwrap();
                s.on_stack[w] = false;
                component.push(w);
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let n = edges.len();
    let mut state = State {
        edges,
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        next: 0,
        found: Vec::new(),
    };
    for v in 0..n {
        if state.index[v].is_none() {
            visit(&mut state, v);
        }
    }
    state.found
}

/// Every import cycle between files, described file by file.
fn import_cycles() -> Vec<String> {
    let root = workspace_root();
    let mut report = Vec::new();
    for src in crate_source_dirs() {
        let graph = CrateGraph::read(&src);
        let edges = graph.edges();
        for component in cycles(&edges) {
            let members: BTreeSet<usize> = component.iter().copied().collect();
            let mut lines = Vec::new();
            for &file in &component {
                for (target, name) in &edges[file] {
                    if members.contains(target) {
                        let from = graph.files[file].strip_prefix(&root).unwrap();
                        let to = graph.files[*target].strip_prefix(&root).unwrap();
                        lines.push(format!("  {} -> {} ({name})", from.display(), to.display()));
                    }
                }
            }
            report.push(format!(
                "cycle of {} files:\n{}",
                component.len(),
                lines.join("\n")
            ));
        }
    }
    report
}

#[test]
fn no_import_cycle_between_files_of_a_crate() {
    let report = import_cycles();
    assert!(
        report.is_empty(),
        "{} import cycle(s):\n{}",
        report.len(),
        report.join("\n")
    );
}

#[test]
fn no_source_file_is_longer_than_the_limit() {
    let root = workspace_root();
    let mut long = Vec::new();
    for src in crate_source_dirs()
        .into_iter()
        .filter(|d| d.starts_with(root.join("crates")))
    {
        for file in rust_files(&src) {
            let lines = fs::read_to_string(&file).unwrap().lines().count();
            if lines > MAX_LINES {
                long.push(format!(
                    "{} ({lines} lines)",
                    file.strip_prefix(&root).unwrap().display()
                ));
            }
        }
    }
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn documentation_points_inside_the_repository() {
    let root = workspace_root();
    // Assembled so that this file does not match itself.
    let outside = ["shared", "/"].concat();
    let mut hits = Vec::new();
    let mut pending = vec![
        root.join("README.md"),
        root.join("docs"),
        root.join("crates"),
    ];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            if path
                .file_name()
                .is_some_and(|n| n == "target" || n == "__pycache__")
            {
                continue;
            }
            pending.extend(fs::read_dir(&path).unwrap().flatten().map(|e| e.path()));
        } else if let Ok(text) = fs::read_to_string(&path) {
            for (number, line) in text.lines().enumerate() {
                if line.contains(&outside) {
                    let shown = path.strip_prefix(&root).unwrap().display();
                    hits.push(format!("{shown}:{}: {}", number + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        hits.is_empty(),
        "references outside the repository:\n{}",
        hits.join("\n")
    );
}

/// The resolver on a small crate written to a scratch folder: the cases the rules rely on.
#[test]
fn the_resolver_sees_cycles_through_re_exports_and_not_through_own_tests() {
    let dir = std::env::temp_dir().join(format!("layout-test-{}", std::process::id()));
    let src = dir.join("src");
    fs::create_dir_all(src.join("outer")).unwrap();
    let write = |name: &str, text: &str| fs::write(src.join(name), text).unwrap();
    write(
        "lib.rs",
        "mod a; mod b; mod outer; pub use a::Alpha; pub use outer::*;\n",
    );
    write(
        "a.rs",
        "pub struct Alpha;\nfn f() -> crate::Gamma { todo!() }\n#[cfg(test)] mod tests { use super::*; }\n",
    );
    write(
        "b.rs",
        "pub struct Beta; fn g() { let _ = crate::Alpha; }\n",
    );
    write("outer.rs", "mod inner; pub use inner::Gamma;\n");
    write(
        "outer/inner.rs",
        "pub struct Gamma; fn h() { let _ = crate::Alpha; }\n",
    );
    let graph = CrateGraph::read(&src);
    let edges = graph.edges();
    let index = |module: &[&str]| {
        let module: Vec<String> = module.iter().map(|s| s.to_string()).collect();
        graph.by_module[&module]
    };
    let (a, b, inner) = (index(&["a"]), index(&["b"]), index(&["outer", "inner"]));
    // `crate::Gamma` goes through lib.rs's glob and outer.rs's re-export to inner.rs.
    assert!(edges[a].contains_key(&inner), "{edges:?}");
    assert!(edges[b].contains_key(&a) && edges[inner].contains_key(&a));
    assert!(!edges[a].contains_key(&a));
    let found = cycles(&edges);
    fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        found,
        vec![{
            let mut c = vec![a, inner];
            c.sort();
            c
        }]
    );
}
