//! The compact catalog format of `schema/catalog/*.txt`: one line per table.
//!
//! ```text
//! # comment lines start with `#`
//! #! <origin> <where the facts of tables marked with this origin come from>
//! <Table><TAB><origin><TAB><Column>:<type>[+] <Column>:<type>[+] ...
//! ```
//!
//! Types are KQL type names (`string`, `int`, `long`, `real`, `bool`, `datetime`,
//! `timespan`, `guid`, `dynamic`, `decimal`). A `+` after a column's type marks a column
//! known only in the Microsoft Sentinel (Log Analytics) copy of the table. Columns keep the
//! order of their source. A `*` in place of a column marks an open table (columns not
//! listed may exist). Lines are sorted by table name; names never contain spaces.

use super::{Column, ColumnType, Table};

/// The `#!` origin declarations of a catalog text: origin code → description.
#[derive(Clone, Debug, Default)]
pub struct Origins(Vec<(String, String)>);

impl Origins {
    /// Reads the `#! <origin> <description>` lines of a catalog text.
    pub fn from_header(text: &str) -> Origins {
        let mut v = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("#! ") {
                let (code, desc) = rest.split_once(' ').unwrap_or((rest, ""));
                v.push((code.to_string(), desc.trim().to_string()));
            }
        }
        Origins(v)
    }

    pub fn get(&self, code: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, d)| d.as_str())
    }
}

/// The table lines of a catalog text: (table name, whole line).
pub fn table_lines(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| (l.split('\t').next().unwrap_or(l), l))
}

/// Parses one table line.
pub fn parse_line(line: &str, origins: &Origins) -> Result<Table, String> {
    let mut parts = line.split('\t');
    let name = parts
        .next()
        .filter(|n| !n.is_empty())
        .ok_or("no table name")?;
    let origin = parts.next().ok_or_else(|| format!("{name}: no origin"))?;
    let cols = parts.next().unwrap_or("");
    if parts.next().is_some() {
        return Err(format!("{name}: more than three tab-separated fields"));
    }
    let mut columns = Vec::new();
    let mut open = false;
    for c in cols.split(' ').filter(|c| !c.is_empty()) {
        if c == "*" {
            open = true;
            continue;
        }
        let (col, ty) = c
            .rsplit_once(':')
            .ok_or_else(|| format!("{name}: column `{c}` has no type"))?;
        let (ty, sentinel_only) = match ty.strip_suffix('+') {
            Some(t) => (t, true),
            None => (ty, false),
        };
        let ty = ColumnType::from_name(ty)
            .ok_or_else(|| format!("{name}: column `{col}` has unknown type `{ty}`"))?;
        columns.push(Column {
            name: col.to_string(),
            ty,
            description: String::new(),
            sentinel_only,
        });
    }
    let source = match origins.get(origin) {
        Some(d) => format!("{origin}: {d}"),
        None => origin.to_string(),
    };
    Ok(Table {
        name: name.to_string(),
        description: String::new(),
        sources: vec![source],
        columns,
        open,
    })
}

/// Writes one table line (with its newline).
pub fn write_line(out: &mut String, table: &Table, origin: &str) {
    out.push_str(&table.name);
    out.push('\t');
    out.push_str(origin);
    out.push('\t');
    for (i, c) in table.columns.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&c.name);
        out.push(':');
        out.push_str(c.ty.as_str());
        if c.sentinel_only {
            out.push('+');
        }
    }
    if table.open {
        if !table.columns.is_empty() {
            out.push(' ');
        }
        out.push('*');
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let origins = Origins::from_header("# x\n#! la the reference\n");
        assert_eq!(origins.get("la"), Some("the reference"));
        let t = parse_line("T\tla\tA:string B:datetime+ C:long", &origins).unwrap();
        assert!(!t.open);
        let o = parse_line("O\tla\tA:string *", &origins).unwrap();
        assert!(o.open && o.columns.len() == 1);
        let mut out = String::new();
        write_line(&mut out, &o, "la");
        assert_eq!(out, "O\tla\tA:string *\n");
        assert_eq!(t.name, "T");
        assert_eq!(t.sources, vec!["la: the reference".to_string()]);
        assert_eq!(t.columns.len(), 3);
        assert!(t.columns[1].sentinel_only && t.columns[1].ty == ColumnType::Datetime);
        let mut out = String::new();
        write_line(&mut out, &t, "la");
        assert_eq!(out, "T\tla\tA:string B:datetime+ C:long\n");
        assert!(parse_line("T\tla\tA:strin", &origins).is_err());
        assert!(parse_line("T\tla\tA", &origins).is_err());
        assert!(parse_line("", &origins).is_err());
        let names: Vec<&str> = table_lines("# h\nA\tx\t\n\nB\tx\tc:int\n")
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, vec!["A", "B"]);
    }
}
