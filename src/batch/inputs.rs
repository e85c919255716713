//! Batch inputs: files, folders (walked recursively, in sorted order, so every run sees the
//! same sequence), a manifest (one path per line, or a CSV with a `path` column and an
//! optional patient identifier column), or paths on standard input. Inputs stream: nothing
//! holds the whole archive's list in memory.

use std::collections::VecDeque;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use globset::GlobMatcher;

use crate::fhir::PatientLink;

/// One input file and where its output goes.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Position in the input sequence (0-based).
    pub index: usize,
    /// The file to read.
    pub path: PathBuf,
    /// Relative path used under the output folder (mirrors the input layout).
    pub relative: PathBuf,
    /// `SYSTEM|VALUE` from a manifest's identifier column (checked).
    pub patient_identifier: Option<String>,
    /// Why the input cannot be read as listed (a malformed manifest cell, naming the manifest
    /// and line): it fails without being read.
    pub problem: Option<String>,
}

/// Where inputs come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A file or a folder given on the command line.
    Path(PathBuf),
    /// A manifest file (`-` for standard input).
    Manifest(PathBuf),
}

/// Streams jobs from sources in order.
pub struct Inputs {
    sources: VecDeque<Source>,
    glob: Option<GlobMatcher>,
    walk: Vec<(PathBuf, VecDeque<PathBuf>)>, // (root, pending entries) per open folder level
    root: Option<PathBuf>,
    manifest: Option<ManifestReader>,
    index: usize,
    /// Folders already walked under the current root, by device and inode: a symlink back
    /// up the tree (a cycle) is walked once, not until the kernel's 40-level limit.
    visited: std::collections::HashSet<(u64, u64)>,
    /// Problems met while walking (unreadable folders, bad manifest lines), reported at the end.
    pub problems: Vec<String>,
}

struct ManifestReader {
    lines: Box<dyn Iterator<Item = std::io::Result<String>> + Send>,
    base: PathBuf,
    columns: Option<(usize, Option<usize>)>,
    line: usize,
    name: String,
}

impl Inputs {
    /// Jobs from `sources` in order, files filtered by `glob` (a file named directly is always taken).
    pub fn new(sources: Vec<Source>, glob: Option<GlobMatcher>) -> Inputs {
        Inputs {
            sources: sources.into(),
            glob,
            walk: Vec::new(),
            root: None,
            manifest: None,
            index: 0,
            visited: Default::default(),
            problems: Vec::new(),
        }
    }

    fn job(&mut self, path: PathBuf, relative: PathBuf, patient_identifier: Option<String>) -> Job {
        let job = Job {
            index: self.index,
            path,
            relative,
            patient_identifier,
            problem: None,
        };
        self.index += 1;
        job
    }

    /// True the first time the folder `dir` (symlinks followed) is met under this root.
    fn first_visit(&mut self, dir: &Path) -> bool {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            match std::fs::metadata(dir) {
                Ok(m) => self.visited.insert((m.dev(), m.ino())),
                Err(_) => true,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = dir;
            true
        }
    }

    fn wanted(&self, path: &Path) -> bool {
        match &self.glob {
            Some(g) => g.is_match(path) || path.file_name().is_some_and(|n| g.is_match(n)),
            None => true,
        }
    }

    fn next_from_walk(&mut self) -> Option<Job> {
        while let Some((dir, pending)) = self.walk.last_mut() {
            let Some(entry) = pending.pop_front() else {
                self.walk.pop();
                continue;
            };
            let _ = dir;
            if entry.is_dir() {
                if !self.first_visit(&entry) {
                    self.problems.push(format!(
                        "{}: a folder already read (a symlink loop or a second link to it); \
                         not read again",
                        entry.display()
                    ));
                    continue;
                }
                match sorted_entries(&entry) {
                    Ok(children) => self.walk.push((entry, children)),
                    Err(e) => self
                        .problems
                        .push(format!("{}: cannot read the folder: {e}", entry.display())),
                }
                continue;
            }
            if !self.wanted(&entry) || is_hidden(&entry) {
                continue;
            }
            let root = self.root.clone().unwrap_or_default();
            let relative = entry.strip_prefix(&root).unwrap_or(&entry).to_path_buf();
            return Some(self.job(entry, relative, None));
        }
        None
    }

    fn next_from_manifest(&mut self) -> Option<Job> {
        loop {
            let m = self.manifest.as_mut()?;
            let Some(line) = m.lines.next() else {
                self.manifest = None;
                return None;
            };
            m.line += 1;
            let line = match line {
                Ok(l) => l,
                Err(e) => {
                    let msg = format!("{}: line {}: {e}", m.name, m.line);
                    self.problems.push(msg);
                    self.manifest = None;
                    return None;
                }
            };
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let cells = split_csv(trimmed);
            if m.line == 1 && cells.iter().any(|c| c.eq_ignore_ascii_case("path")) {
                let path = cells.iter().position(|c| c.eq_ignore_ascii_case("path"));
                let ident = cells.iter().position(|c| {
                    let c = c.to_ascii_lowercase();
                    c.contains("identifier") || c == "mrn" || c == "patient"
                });
                m.columns = path.map(|p| (p, ident));
                continue;
            }
            let (path, ident) = match m.columns {
                Some((p, i)) => (
                    cells.get(p).cloned().unwrap_or_default(),
                    i.and_then(|i| cells.get(i).cloned())
                        .filter(|s| !s.is_empty()),
                ),
                None => (trimmed.to_string(), None),
            };
            if path.is_empty() {
                let msg = format!("{}: line {}: no path", m.name, m.line);
                self.problems.push(msg);
                continue;
            }
            let p = Path::new(&path);
            let full = if p.is_absolute() {
                p.to_path_buf()
            } else {
                m.base.join(p)
            };
            let relative: PathBuf = p
                .components()
                .filter(|c| matches!(c, std::path::Component::Normal(_)))
                .collect();
            // A malformed identifier fails its input, naming the line (never silently "the
            // patient from the document"); the value is not repeated: it is patient data.
            let problem = ident
                .as_deref()
                .and_then(|i| PatientLink::identifier(i).err())
                .map(|why| {
                    format!(
                        "{}: line {}: the patient identifier: {why}; the input was not read",
                        m.name, m.line
                    )
                });
            let ident = ident.filter(|_| problem.is_none());
            let mut job = self.job(full, relative, ident);
            job.problem = problem;
            return Some(job);
        }
    }
}

impl Iterator for Inputs {
    type Item = Job;

    fn next(&mut self) -> Option<Job> {
        loop {
            if let Some(j) = self.next_from_walk() {
                return Some(j);
            }
            if let Some(j) = self.next_from_manifest() {
                return Some(j);
            }
            match self.sources.pop_front()? {
                Source::Path(p) if p.is_dir() => match sorted_entries(&p) {
                    Ok(children) => {
                        self.visited.clear();
                        self.first_visit(&p);
                        self.root = Some(p.clone());
                        self.walk.push((p, children));
                    }
                    Err(e) => self
                        .problems
                        .push(format!("{}: cannot read the folder: {e}", p.display())),
                },
                Source::Path(p) => {
                    // A file named directly is taken even when it does not match the glob.
                    let relative = PathBuf::from(p.file_name().unwrap_or(p.as_os_str()));
                    return Some(self.job(p, relative, None));
                }
                Source::Manifest(m) => {
                    let name = m.display().to_string();
                    let reader: Box<dyn BufRead + Send> = if m.as_os_str() == "-" {
                        Box::new(std::io::BufReader::new(std::io::stdin()))
                    } else {
                        match std::fs::File::open(&m) {
                            Ok(f) => Box::new(std::io::BufReader::new(f)),
                            Err(e) => {
                                self.problems
                                    .push(format!("{name}: cannot read the manifest: {e}"));
                                continue;
                            }
                        }
                    };
                    let base = if m.as_os_str() == "-" {
                        PathBuf::from(".")
                    } else {
                        m.parent().map(Path::to_path_buf).unwrap_or_default()
                    };
                    self.manifest = Some(ManifestReader {
                        lines: Box::new(reader.lines()),
                        base,
                        columns: None,
                        line: 0,
                        name,
                    });
                }
            }
        }
    }
}

fn is_hidden(p: &Path) -> bool {
    p.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

fn sorted_entries(dir: &Path) -> std::io::Result<VecDeque<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    v.sort();
    Ok(v.into())
}

/// Splits a CSV line (quotes allowed) or a tab-separated line into cells.
fn split_csv(line: &str) -> Vec<String> {
    let sep = if line.contains('\t') { '\t' } else { ',' };
    let mut cells = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == sep && !quoted => cells.push(std::mem::take(&mut cur).trim().to_string()),
            c => cur.push(c),
        }
    }
    cells.push(cur.trim().to_string());
    if cells.len() == 1 && sep == ',' && !line.contains('"') {
        // A plain path that happens to contain no comma: one cell.
        return vec![line.to_string()];
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_folders_in_sorted_order_with_relative_paths() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("b/c")).unwrap();
        for f in ["b/c/z.pdf", "b/a.txt", "a.pdf", ".hidden.pdf", "b/skip.doc"] {
            std::fs::write(d.join(f), "x").unwrap();
        }
        let glob = globset::Glob::new("*.{pdf,txt}").unwrap().compile_matcher();
        let jobs: Vec<(usize, String)> =
            Inputs::new(vec![Source::Path(d.to_path_buf())], Some(glob))
                .map(|j| (j.index, j.relative.display().to_string()))
                .collect();
        assert_eq!(
            jobs,
            vec![
                (0, "a.pdf".into()),
                (1, "b/a.txt".into()),
                (2, "b/c/z.pdf".into())
            ]
        );
    }

    #[test]
    fn manifest_lines_and_csv_with_identifier() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("list.txt");
        std::fs::write(&plain, "# archive\nin/a.pdf\n\n/abs/b.txt\n").unwrap();
        let jobs: Vec<Job> = Inputs::new(vec![Source::Manifest(plain)], None).collect();
        assert_eq!(jobs[0].path, dir.path().join("in/a.pdf"));
        assert_eq!(jobs[0].relative, PathBuf::from("in/a.pdf"));
        assert_eq!(jobs[1].path, PathBuf::from("/abs/b.txt"));
        assert_eq!(jobs[1].relative, PathBuf::from("abs/b.txt"));

        let csv = dir.path().join("list.csv");
        std::fs::write(
            &csv,
            "path,patient_identifier\n\"x, y.pdf\",urn:oid:1.2|123\nz.pdf,\nw.pdf,12345\n",
        )
        .unwrap();
        let jobs: Vec<Job> = Inputs::new(vec![Source::Manifest(csv)], None).collect();
        assert_eq!(jobs.len(), 3);
        // An identifier without its system is a problem of that input, naming the line.
        let problem = jobs[2].problem.as_deref().unwrap();
        assert!(problem.contains("list.csv: line 4:"), "{problem}");
        assert!(
            !problem.contains("12345"),
            "the value is not repeated: {problem}"
        );
        assert_eq!(jobs[2].patient_identifier, None);
        assert_eq!(jobs[0].problem, None);
        assert_eq!(jobs[0].relative, PathBuf::from("x, y.pdf"));
        assert_eq!(
            jobs[0].patient_identifier.as_deref(),
            Some("urn:oid:1.2|123")
        );
        assert_eq!(jobs[1].patient_identifier, None);
    }
}
