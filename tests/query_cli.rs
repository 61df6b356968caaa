//! `rulecat query`: the command end to end (tables from files, formats, errors).

use assert_cmd::Command;

fn rulecat() -> Command {
    Command::cargo_bin("rulecat").expect("binary")
}

#[test]
fn query_reads_tables_and_prints_json() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.jsonl");
    std::fs::write(
        &events,
        "{\"Timestamp\":\"2026-11-26T10:00:00Z\",\"DeviceName\":\"a\",\"N\":1}\n\
         {\"Timestamp\":\"2026-11-26T11:30:00Z\",\"DeviceName\":\"b\",\"N\":2}\n\
         {\"Timestamp\":\"2026-11-20T11:30:00Z\",\"DeviceName\":\"a\",\"N\":4}\n",
    )
    .unwrap();
    let out = rulecat()
        .args(["query", "-", "--now", "2026-11-27T00:00:00Z", "--format", "json"])
        .arg("--table")
        .arg(format!("E={}", events.display()))
        .write_stdin("E | where Timestamp > ago(2d) | summarize n = sum(N) by DeviceName | order by DeviceName asc")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        String::from_utf8(out).unwrap().trim(),
        r#"{"columns":[{"name":"DeviceName","type":"string"},{"name":"n","type":"long"}],"rows":[["a",1],["b",2]]}"#
    );
}

#[test]
fn query_csv_output_and_errors() {
    let out = rulecat()
        .args(["query", "-", "--format", "csv"])
        .write_stdin("print a = 1, b = 'x,y'")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(String::from_utf8(out).unwrap(), "a,b\n1,\"x,y\"\n");
    let err = rulecat()
        .args(["query", "-"])
        .write_stdin("print a = 1\n| extend b = nosuch()")
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(err).unwrap();
    assert!(
        err.contains("query:2:14: unknown function `nosuch()`"),
        "{err}"
    );
}

/// The tables are read at the same time: the error reported is the first in command-line
/// order (a bad line in the first table, a missing file in the second, a malformed
/// `--table` after them), with one thread or two.
#[test]
fn query_reports_the_first_table_error_in_command_line_order() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.jsonl");
    std::fs::write(&good, "{\"SHA1\":\"a\",\"Signer\":\"s\"}\n").unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"SHA1\":\"a\"}\n{\"SHA1\": \n").unwrap();
    let missing = dir.path().join("missing.jsonl");
    let q = "DeviceProcessEvents | join kind=inner (DeviceFileCertificateInfo | project SHA1, Signer) on SHA1 | summarize n = count() by Signer";
    for threads in ["1", "2"] {
        let run = |tables: &[String]| {
            let mut cmd = rulecat();
            cmd.env("RAYON_NUM_THREADS", threads)
                .args(["query", "-", "--format", "csv"]);
            for t in tables {
                cmd.arg("--table").arg(t);
            }
            let err = cmd
                .write_stdin(q)
                .assert()
                .code(2)
                .get_output()
                .stderr
                .clone();
            String::from_utf8(err).unwrap()
        };
        let err = run(&[
            format!("DeviceProcessEvents={}", bad.display()),
            format!("DeviceFileCertificateInfo={}", missing.display()),
            "nonsense".to_string(),
        ]);
        assert!(err.contains("bad.jsonl:2: not a JSON object"), "{err}");
        let err = run(&[
            format!("DeviceProcessEvents={}", good.display()),
            format!("DeviceFileCertificateInfo={}", missing.display()),
            "nonsense".to_string(),
        ]);
        assert!(err.contains("missing.jsonl"), "{err}");
        let err = run(&[
            format!("DeviceProcessEvents={}", good.display()),
            "nonsense".to_string(),
            format!("DeviceFileCertificateInfo={}", missing.display()),
        ]);
        assert!(
            err.contains("--table wants NAME=PATH, not `nonsense`"),
            "{err}"
        );
    }
}
