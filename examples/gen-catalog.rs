//! `gen-catalog`: writes a synthetic catalog of valid, upstream-style hunting-query rules
//! for benchmarks.
//!
//! ```text
//! cargo run --release --example gen-catalog -- --count 10000 --out bench-data/catalog --seed 42
//! ```
//!
//! The output is a pure function of `--count` and `--seed`: every rule draws from its own
//! random stream (seeded from the seed and its index), and ids are hyphenated UUIDs made
//! from a SHA-256 of the seed and the index. Rules come in three shapes modelled on
//! Azure-Sentinel's `Hunting Queries/Microsoft 365 Defender/RemoteManagementMonitoring`:
//! file-signature rules on `DeviceFileCertificateInfo`, network rules on
//! `DeviceNetworkEvents` (`RemoteUrl has_any (...)` over 5-40 domains) and process rules
//! on `DeviceProcessEvents`. Tactics and techniques are scalars or lists of consistent
//! ATT&CK pairs; `version`, `tags`, `metadata` and `entityMappings` are optional.
//! Files are spread over nested folders of about 100 files each, 1-4 KB apiece.
//!
//! The catalog is built in `<out>.tmp` and renamed over `<out>`, which is replaced only
//! when it holds the `.gen-catalog` marker this tool leaves (so a wrong `--out` never
//! deletes someone's files).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

const MARKER: &str = ".gen-catalog";

#[derive(Parser)]
#[command(
    name = "gen-catalog",
    about = "Write a deterministic synthetic catalog of valid hunting-query rules (for benchmarks)"
)]
struct Args {
    /// Number of rule files to write.
    #[arg(long, default_value_t = 10_000)]
    count: usize,
    /// Output folder; replaced if it was written by gen-catalog, refused otherwise.
    #[arg(long, default_value = "bench-data/catalog")]
    out: PathBuf,
    /// Seed: the same seed and count give byte-identical files.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Files per leaf folder.
    #[arg(long, default_value_t = 100)]
    per_folder: usize,
}

/// SplitMix64: small, fast, and good enough for test data.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, index: u64) -> Rng {
        let mut r = Rng(seed ^ index.wrapping_mul(0xA24B_AED4_963E_E407));
        r.next();
        r
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.next() as usize % items.len()]
    }
}

/// A hyphenated UUID (version 4 layout) from SHA-256 of the seed and index.
fn rule_id(seed: u64, index: usize) -> String {
    let mut h = Sha256::new();
    h.update(b"rulecat gen-catalog\0");
    h.update(seed.to_le_bytes());
    h.update((index as u64).to_le_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Vendors of remote-access and admin software, as they appear in signer names.
const VENDORS: &[(&str, &str)] = &[
    ("Action1", "Action1 Corporation"),
    ("AnyDesk", "AnyDesk Software GmbH"),
    ("TeamViewer", "TeamViewer Germany GmbH"),
    ("Splashtop", "Splashtop Inc."),
    ("ConnectWise", "ConnectWise, LLC"),
    ("ScreenConnect", "ScreenConnect Software"),
    ("RemoteUtilities", "Remote Utilities"),
    ("ZohoAssist", "Zoho Corporation"),
    ("NinjaOne", "NinjaRMM LLC"),
    ("Atera", "Atera Networks Ltd"),
    ("Kaseya", "Kaseya Limited"),
    ("NAble", "N-able Technologies Ltd"),
    ("LogMeIn", "LogMeIn, Inc."),
    ("GoTo", "GoTo Technologies USA"),
    ("RustDesk", "Purslane Ltd."),
    ("DWService", "DWSNET OU"),
    ("SimpleHelp", "SimpleHelp Ltd"),
    ("Supremo", "Nanosystems S.r.l."),
    ("AeroAdmin", "AeroAdmin LLC"),
    ("Ammyy", "Ammyy LLC"),
    ("BeyondTrust", "BeyondTrust Corporation"),
    ("Pulseway", "MMSOFT Design Ltd."),
    ("ShowMyPC", "ShowMyPC"),
    ("LiteManager", "LiteManagerTeam"),
    ("MeshCentral", "MeshCentral"),
    ("Syncro", "Servably, Inc."),
    ("Tactical", "AmidaWare LLC"),
    ("ManageEngine", "ZOHO Corporation Private Limited"),
    ("Radmin", "Famatech Corp."),
    ("UltraViewer", "DucFabulous Co,ltd"),
    ("ISLOnline", "XLAB d.o.o."),
    ("FixMe", "FixMe.IT"),
    ("Parsec", "Parsec Cloud, Inc."),
    ("ChromeRemoteDesktop", "Google LLC"),
    ("Netsupport", "NetSupport Ltd"),
    ("DameWare", "SolarWinds Worldwide, LLC"),
    ("Level", "Level Software, Inc."),
    ("Itarian", "ITarian LLC"),
    ("Domotz", "Domotz Inc."),
    ("Barracuda", "Barracuda Networks, Inc."),
];

const DOMAIN_PREFIXES: &[&str] = &[
    "",
    "api.",
    "relay.",
    "download.",
    "downloads.",
    "cdn.",
    "static.",
    "my.",
    "portal.",
    "agent.",
    "update.",
    "updates.",
    "eu.",
    "us.",
    "ap.",
    "login.",
    "auth.",
    "ws.",
    "rc.",
    "control.",
    "remote.",
    "assist.",
    "connect.",
    "gateway.",
    "broker.",
    "telemetry.",
];
const DOMAIN_TLDS: &[&str] = &[
    "com", "net", "io", "eu", "de", "co.uk", "com.au", "in", "jp", "cloud", "app", "org",
];
const DOMAIN_SUFFIXES: &[&str] = &["", "cdn", "-cloud", "-static", "app", "dl", "-rmm", "hq"];

const TACTIC_TECHNIQUES: &[(&str, &[&str])] = &[
    (
        "CommandAndControl",
        &[
            "T1219",
            "T1105",
            "T1071.001",
            "T1572",
            "T1090",
            "T1102",
            "T1071.004",
        ],
    ),
    (
        "Persistence",
        &["T1133", "T1547.001", "T1053.005", "T1543.003", "T1547.009"],
    ),
    (
        "Execution",
        &["T1059.001", "T1053.005", "T1204.002", "T1569.002"],
    ),
    (
        "DefenseEvasion",
        &["T1218", "T1553.002", "T1036.005", "T1078"],
    ),
    ("LateralMovement", &["T1021.001", "T1570", "T1021.004"]),
    ("Exfiltration", &["T1567.002", "T1048"]),
    ("InitialAccess", &["T1133", "T1078"]),
];

const CATEGORIES: &[&str] = &[
    "RemoteManagementMonitoring",
    "CommandAndControl",
    "LateralMovement",
    "Execution",
    "DefenseEvasion",
    "Exfiltration",
];

const SENTENCES: &[&str] = &[
    "Remote Monitoring and Management (RMM) programs are IT to manage remote endpoints. Attackers have begun to abuse these programs to persist or provide C2 channels.",
    "This query looks for activity from a remote administration tool that is not approved in this environment.",
    "Legitimate use is common in IT departments; tune the query with an allow-list of devices or accounts before alerting on it.",
    "Threat actors have deployed this tool after initial access to keep interactive control of compromised hosts, often alongside a second remote-access product as a fallback.",
    "Results include the first and last time the activity was seen on each device and the report ids to pivot from.",
    "Review the initiating process, its parent and the account that ran it; an installer started from a browser download folder or a temporary path deserves a closer look.",
    "Ransomware operators have used portable builds of such tools that need no installation and run from user-writable folders.",
    "See the vendor's documentation for the full list of domains and certificates; the list below covers the ones observed in the field.",
];

const COMPANIES: &[&str] = &[
    "Contoso",
    "Fabrikam",
    "Northwind Traders",
    "Tailspin Toys",
    "Woodgrove Bank",
    "Litware",
];

struct Rule {
    rel: PathBuf,
    text: String,
}

#[derive(Clone, Copy)]
enum Shape {
    FileSignature,
    Network,
    Process,
}

fn slug(vendor: &str) -> String {
    vendor.to_ascii_lowercase()
}

fn domains(rng: &mut Rng, vendor: &str, n: usize) -> Vec<String> {
    let base = slug(vendor);
    let mut out: Vec<String> = Vec::with_capacity(n);
    let mut tries = 0;
    while out.len() < n && tries < n * 50 {
        tries += 1;
        let d = format!(
            "{}{}{}.{}",
            rng.pick(DOMAIN_PREFIXES),
            base,
            rng.pick(DOMAIN_SUFFIXES),
            rng.pick(DOMAIN_TLDS)
        );
        if !out.contains(&d) {
            out.push(d);
        }
    }
    out
}

fn time_filter(rng: &mut Rng, q: &mut String) -> &'static str {
    if rng.chance(60) {
        let days = rng.range(1, 30);
        let _ = write!(
            q,
            "let Time_start = now(-{days}d);\nlet Time_end = now();\n//\n"
        );
        "| where Timestamp between (Time_start..Time_end)"
    } else {
        rng.pick(&[
            "| where Timestamp > ago(7d)",
            "| where Timestamp > ago(14d)",
            "| where Timestamp > ago(30d)",
            "| where Timestamp > ago(1d)",
        ])
    }
}

fn query(
    rng: &mut Rng,
    shape: Shape,
    vendor: (&str, &str),
) -> (
    String,
    &'static [(&'static str, &'static str, &'static str)],
) {
    let (short, signer) = vendor;
    let mut q = String::new();
    let time = time_filter(rng, &mut q);
    match shape {
        Shape::FileSignature => {
            if rng.chance(30) {
                q.push_str("// *Will return all binaries signed by this vendor, not just the remote-access tool*\n//\n");
            }
            let _ = write!(
                q,
                "DeviceFileCertificateInfo\n{time}\n| where Signer has '{}'\n",
                signer.trim_end_matches(['.', ','])
            );
            if rng.chance(25) {
                q.push_str("| where IsSigned == true\n");
            }
            q.push_str("| summarize FirstSeen=min(Timestamp), LastSeen=max(Timestamp),\n    Report=make_set(ReportId), Count=count() by DeviceId, DeviceName\n");
            (q, &[("Host", "HostName", "DeviceName")])
        }
        Shape::Network => {
            let n = rng.range(5, 40);
            let list = domains(rng, short, n);
            let _ = write!(
                q,
                "DeviceNetworkEvents\n{time}\n| where RemoteUrl has_any (\n"
            );
            for (i, d) in list.iter().enumerate() {
                let sep = if i + 1 < list.len() { "," } else { "" };
                let _ = writeln!(q, "    '{d}'{sep}");
            }
            q.push_str("    )\n");
            if rng.chance(50) {
                let _ = writeln!(
                    q,
                    "    and InitiatingProcessVersionInfoCompanyName has '{}'",
                    signer.split([' ', ',']).next().unwrap_or(short)
                );
            }
            if rng.chance(30) {
                q.push_str("    and RemotePort in (443, 80, 8443)\n");
            }
            q.push_str("| summarize FirstSeen=min(Timestamp), LastSeen=max(Timestamp),\n    Report=make_set(ReportId), Count=count() by DeviceId, DeviceName,\n    RemoteUrl\n");
            (
                q,
                &[
                    ("Host", "HostName", "DeviceName"),
                    ("URL", "Url", "RemoteUrl"),
                ],
            )
        }
        Shape::Process => {
            let n = rng.range(1, 8);
            let _ = write!(q, "DeviceProcessEvents\n{time}\n| where FileName in~ (");
            for i in 0..n {
                let sep = if i + 1 < n { ", " } else { "" };
                let suffix = rng.pick(&["", "_service", "_agent", "-setup", "_client", "64"]);
                let _ = write!(q, "'{short}{suffix}.exe'{sep}");
            }
            q.push_str(")\n");
            if rng.chance(50) {
                let _ = writeln!(
                    q,
                    "    or ProcessVersionInfoCompanyName has '{}'",
                    signer.split([' ', ',']).next().unwrap_or(short)
                );
            }
            if rng.chance(40) {
                q.push_str("| where ProcessCommandLine has_any ('--silent', '/quiet', '--install', '-unattended')\n");
            }
            q.push_str("| summarize FirstSeen=min(Timestamp), LastSeen=max(Timestamp),\n    Report=make_set(ReportId), Count=count() by DeviceId, DeviceName,\n    AccountName, FileName\n");
            (
                q,
                &[
                    ("Host", "HostName", "DeviceName"),
                    ("Account", "Name", "AccountName"),
                    ("File", "Name", "FileName"),
                ],
            )
        }
    }
}

fn yaml_block(out: &mut String, key: &str, indent: usize, body: &str) {
    let pad = " ".repeat(indent);
    let _ = writeln!(out, "{key}: |");
    for line in body.lines() {
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{pad}{line}");
        }
    }
}

fn one_or_many(out: &mut String, key: &str, items: &[&str], as_list: bool) {
    if as_list || items.len() > 1 {
        let _ = writeln!(out, "{key}:");
        for i in items {
            let _ = writeln!(out, "- {i}");
        }
    } else {
        let _ = writeln!(out, "{key}: {}", items[0]);
    }
}

fn rule(seed: u64, index: usize, per_folder: usize) -> Rule {
    let mut rng = Rng::new(seed, index as u64);
    let vendor = rng.pick(VENDORS);
    let shape = match rng.range(0, 9) {
        0..=3 => Shape::FileSignature,
        4..=7 => Shape::Network,
        _ => Shape::Process,
    };
    let (kind, file_kind) = match shape {
        Shape::FileSignature => ("File Signature", "filesig"),
        Shape::Network => ("Network Connection", "netconn"),
        Shape::Process => ("Process Execution", "process"),
    };
    let mut t = String::with_capacity(4096);
    let _ = writeln!(t, "id: {}", rule_id(seed, index));
    let _ = writeln!(
        t,
        "name: Remote Management and Monitoring tool - {} - {kind} ({index:05})",
        vendor.0
    );

    let mut desc = String::new();
    let sentences = rng.range(2, 5);
    for s in 0..sentences {
        if s > 0 {
            desc.push(' ');
        }
        desc.push_str(rng.pick(SENTENCES));
    }
    desc.push_str("\nhttps://github.com/jischell-msft/RemoteManagementMonitoringTools\n");
    yaml_block(&mut t, "description", 4, &desc);

    let table = match shape {
        Shape::FileSignature => "DeviceFileCertificateInfo",
        Shape::Network => "DeviceNetworkEvents",
        Shape::Process => "DeviceProcessEvents",
    };
    let _ = writeln!(
        t,
        "requiredDataConnectors:\n- connectorId: MicrosoftThreatProtection\n  dataTypes:\n  - {table}"
    );

    // Tactics and techniques: one or two tactics, each with a technique that belongs to it.
    let first = rng.pick(&TACTIC_TECHNIQUES[..1]); // RMM rules lead with CommandAndControl
    let mut tactics = vec![first.0];
    let mut techniques = vec![rng.pick(first.1)];
    if rng.chance(35) {
        let second = rng.pick(&TACTIC_TECHNIQUES[1..]);
        tactics.push(second.0);
        let tech = rng.pick(second.1);
        if !techniques.contains(&tech) {
            techniques.push(tech);
        }
    }
    let list_style = rng.chance(30);
    one_or_many(&mut t, "tactics", &tactics, list_style);
    one_or_many(&mut t, "relevantTechniques", &techniques, list_style);

    let (q, entities) = query(&mut rng, shape, vendor);
    yaml_block(&mut t, "query", 2, &q);

    if rng.chance(40) {
        let entities: Vec<_> = entities.iter().take(rng.range(1, entities.len())).collect();
        t.push_str("entityMappings:\n");
        for (entity, identifier, column) in entities {
            let _ = writeln!(
                t,
                "- entityType: {entity}\n  fieldMappings:\n  - identifier: {identifier}\n    columnName: {column}"
            );
        }
    }
    if rng.chance(50) {
        let _ = writeln!(t, "version: 1.0.{}", rng.range(0, 5));
    }
    if rng.chance(20) {
        t.push_str("tags:\n");
        if rng.chance(50) {
            t.push_str("- Remote Access\n- RMM\n");
        } else {
            let _ = writeln!(
                t,
                "- Id: {}\n  Version: 1.0.{}",
                rule_id(seed ^ 0x5eed, index),
                rng.range(0, 3)
            );
        }
    }
    if rng.chance(30) {
        let tier = rng.pick(&["Community", "Microsoft", "Partner"]);
        let _ = writeln!(
            t,
            "metadata:\n  source:\n    kind: Community\n  author:\n    name: {} Security Team\n  support:\n    tier: {tier}\n  categories:\n    domains: [ \"Security - Threat Protection\", \"Security - Others\" ]",
            rng.pick(COMPANIES)
        );
    }

    let category = CATEGORIES[(index / per_folder / 4) % CATEGORIES.len()];
    let rel = PathBuf::from(category)
        .join(format!("batch-{:03}", index / per_folder))
        .join(format!("rmm_{}_{file_kind}_{index:05}.yaml", vendor.0));
    Rule { rel, text: t }
}

fn write_catalog(args: &Args) -> std::io::Result<(usize, u64, usize, usize)> {
    let out = &args.out;
    if out.exists() && !out.join(MARKER).is_file() {
        return Err(std::io::Error::other(format!(
            "`{}` exists and was not written by gen-catalog (no {MARKER} marker); refusing to replace it",
            out.display()
        )));
    }
    let mut tmp = out.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    std::fs::create_dir_all(&tmp)?;

    let per_folder = args.per_folder.max(1);
    let rules: Vec<Rule> = (0..args.count)
        .into_par_iter()
        .map(|i| rule(args.seed, i, per_folder))
        .collect();
    let mut dirs: Vec<&Path> = rules.iter().filter_map(|r| r.rel.parent()).collect();
    dirs.dedup();
    for d in &dirs {
        std::fs::create_dir_all(tmp.join(d))?;
    }
    rules
        .par_iter()
        .try_for_each(|r| std::fs::write(tmp.join(&r.rel), &r.text))?;
    std::fs::write(
        tmp.join(MARKER),
        format!(
            "gen-catalog --count {} --seed {} --per-folder {per_folder}\n",
            args.count, args.seed
        ),
    )?;
    if out.exists() {
        std::fs::remove_dir_all(out)?;
    }
    std::fs::rename(&tmp, out)?;

    let bytes = rules.iter().map(|r| r.text.len() as u64).sum();
    let min = rules.iter().map(|r| r.text.len()).min().unwrap_or(0);
    let max = rules.iter().map(|r| r.text.len()).max().unwrap_or(0);
    Ok((rules.len(), bytes, min, max))
}

fn main() -> ExitCode {
    let args = Args::parse();
    match write_catalog(&args) {
        Ok((files, bytes, min, max)) => {
            println!(
                "gen-catalog: {files} files, {bytes} bytes (min {min}, max {max}, mean {}) in {} (seed {})",
                bytes.checked_div(files as u64).unwrap_or(0),
                args.out.display(),
                args.seed
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen-catalog: error: {e}");
            ExitCode::from(2)
        }
    }
}
