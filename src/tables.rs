//! Reading the shipped rule and phrase tables (`dictionaries/*.tsv`): one reader for all of
//! them, which fails loudly. A row it cannot read — a missing column, a misspelt status
//! ("stoped"), a number that is not one — is a [`TableError`] naming the file and line, never
//! a row silently dropped or read as something else.
//!
//! A table is tab-separated with a header line naming its columns; blank lines are skipped.
//! Cells are looked up by column name, so a table may gain a column without its readers
//! changing. The term tables are compiled by `build.rs` and checked there;
//! [`crate::check_shipped_tables`] loads every other table (a test runs it).
//!
//! ```
//! use chart2fhir::tables::Table;
//! let t = Table::parse("routes.tsv", "phrase\tcode\tdisplay\nPO\t26643006\tOral route\n")?;
//! let codes = t.map(|row| row.get("code").map(str::to_string))?;
//! assert_eq!(codes, ["26643006"]);
//! let bad = Table::parse("routes.tsv", "phrase\tcode\nPO\n")?.map(|row| row.get("code").map(str::to_string));
//! assert_eq!(bad.unwrap_err().to_string(), "dictionaries/routes.tsv:2: the column `code` is empty");
//! # Ok::<(), chart2fhir::tables::TableError>(())
//! ```

use std::fmt;
use std::str::FromStr;

/// A row of a shipped table that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableError {
    /// The table's file name under `dictionaries/`.
    pub file: String,
    /// 1-based line number (1 is the header).
    pub line: usize,
    /// What is wrong.
    pub detail: String,
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "dictionaries/{}:{}: {}",
            self.file, self.line, self.detail
        )
    }
}

impl std::error::Error for TableError {}

/// A table's header and rows, borrowed from its text.
#[derive(Debug, Clone)]
pub struct Table<'a> {
    file: &'a str,
    header: Vec<&'a str>,
    rows: Vec<(usize, Vec<&'a str>)>,
}

/// One row of a [`Table`], its cells looked up by column name.
#[derive(Debug, Clone, Copy)]
pub struct Row<'t> {
    /// 1-based line number in the file.
    pub line: usize,
    header: &'t [&'t str],
    cells: &'t [&'t str],
}

impl<'a> Table<'a> {
    /// Splits a table's text into its header and rows. A row with more cells than the header
    /// has columns is an error; missing trailing cells are empty.
    pub fn parse(file: &'a str, text: &'a str) -> Result<Table<'a>, TableError> {
        let mut lines = text.lines().enumerate();
        let header: Vec<&str> = match lines.next() {
            Some((_, h)) if !h.trim().is_empty() => h.split('\t').collect(),
            _ => {
                return Err(TableError {
                    file: file.into(),
                    line: 1,
                    detail: "no header line".into(),
                });
            }
        };
        let mut rows = Vec::new();
        for (i, line) in lines {
            if line.trim().is_empty() {
                continue;
            }
            let cells: Vec<&str> = line.split('\t').collect();
            if cells.len() > header.len() {
                return Err(TableError {
                    file: file.into(),
                    line: i + 1,
                    detail: format!(
                        "{} cells, but the header names {} columns",
                        cells.len(),
                        header.len()
                    ),
                });
            }
            rows.push((i + 1, cells));
        }
        Ok(Table { file, header, rows })
    }

    /// The table's file name.
    pub fn file(&self) -> &str {
        self.file
    }

    /// True when the header names `column`.
    pub fn has_column(&self, column: &str) -> bool {
        self.header.contains(&column)
    }

    /// The rows, in file order.
    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(|(line, cells)| Row {
            line: *line,
            header: &self.header,
            cells,
        })
    }

    /// Reads every row with `f`; the first row it cannot read is the error.
    pub fn map<T>(&self, f: impl Fn(&Row<'_>) -> Result<T, String>) -> Result<Vec<T>, TableError> {
        self.rows()
            .map(|row| f(&row).map_err(|detail| self.error(row.line, detail)))
            .collect()
    }

    /// An error at `line` of this table.
    pub fn error(&self, line: usize, detail: String) -> TableError {
        TableError {
            file: self.file.into(),
            line,
            detail,
        }
    }
}

impl<'t> Row<'t> {
    /// The cell of `column`, which must not be empty.
    pub fn get(&self, column: &str) -> Result<&'t str, String> {
        self.opt_checked(column)?
            .ok_or_else(|| format!("the column `{column}` is empty"))
    }

    /// The cell of `column`, or `None` when it is empty. The header must name the column.
    pub fn opt(&self, column: &str) -> Result<Option<&'t str>, String> {
        self.opt_checked(column)
    }

    /// The cell of `column` read as a `T` (a number, a status …).
    pub fn parse<T: FromStr>(&self, column: &str) -> Result<T, String>
    where
        T::Err: fmt::Display,
    {
        let cell = self.get(column)?;
        cell.parse()
            .map_err(|e| format!("the column `{column}` holds {cell:?}: {e}"))
    }

    /// The first cell (a table's key: the phrase, the word, the header).
    pub fn first(&self) -> Result<&'t str, String> {
        let column = self.header.first().copied().unwrap_or_default();
        self.get(column)
    }

    fn opt_checked(&self, column: &str) -> Result<Option<&'t str>, String> {
        let i = self
            .header
            .iter()
            .position(|h| *h == column)
            .ok_or_else(|| format!("the header has no column `{column}`"))?;
        Ok(self
            .cells
            .get(i)
            .map(|c| c.trim_end_matches('\r'))
            .filter(|c| !c.trim().is_empty()))
    }
}

/// A shipped table's value, or a panic naming the bad row. Shipped tables are compiled into
/// the binary and loaded by a test ([`crate::check_shipped_tables`]), so this never fires in a
/// released build.
pub(crate) fn shipped<T>(loaded: Result<T, TableError>) -> T {
    loaded.unwrap_or_else(|e| panic!("a shipped table is malformed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_rows_name_their_line() {
        let text = "word\tstatus\tapplies\nactive\tactive\tall\n\nstoped\tstoped\tmedication\n";
        let t = Table::parse("row-status.tsv", text).unwrap();
        let err = t
            .map(|r| match r.get("status")? {
                "active" => Ok(()),
                other => Err(format!("unknown status {other:?}")),
            })
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "dictionaries/row-status.tsv:4: unknown status \"stoped\""
        );
        let extra = Table::parse("x.tsv", "a\tb\n1\t2\t3\n").unwrap_err();
        assert_eq!(extra.line, 2);
        let no_column = Table::parse("x.tsv", "a\tb\n1\t2\n")
            .unwrap()
            .map(|r| r.get("c").map(str::to_string))
            .unwrap_err();
        assert_eq!(no_column.detail, "the header has no column `c`");
        let not_a_number = Table::parse("x.tsv", "a\tb\n1\ttwo\n")
            .unwrap()
            .map(|r| r.parse::<u32>("b"))
            .unwrap_err();
        assert!(not_a_number.detail.contains("\"two\""), "{not_a_number}");
    }
}
