//! Facts and text helpers shared by the query content lints: remote-management products
//! and their vendors, signers that cover several products, term matching with KQL's term
//! semantics, and small AST helpers (string literals of a list, field names).

use crate::kql::Span;
use crate::kql::ast::{DynKind, DynValue, Expr, LitValue, Literal};

/// A remote-management product: how titles and filters name it, and who signs it.
pub struct Product {
    /// Display name, e.g. `Zoho Assist`.
    pub name: &'static str,
    /// Other spellings and components (binaries, domains, product lines).
    pub aliases: &'static [&'static str],
    /// Vendor and signer names.
    pub vendors: &'static [&'static str],
    /// The display name is a common word (`Level`): only aliases and vendors are
    /// evidence that a filter is about this product.
    pub ambiguous_name: bool,
}

const fn p(
    name: &'static str,
    aliases: &'static [&'static str],
    vendors: &'static [&'static str],
) -> Product {
    Product {
        name,
        aliases,
        vendors,
        ambiguous_name: false,
    }
}

/// Remote-management products seen in hunting rules (LOLRMM's list, the upstream
/// `RemoteManagementMonitoring` rules), with their vendors.
pub static PRODUCTS: &[Product] = &[
    p(
        "AnyDesk",
        &["AnyDesk"],
        &["AnyDesk Software GmbH", "philandro Software GmbH"],
    ),
    p("TeamViewer", &["TeamViewer"], &["TeamViewer Germany GmbH"]),
    p(
        "ScreenConnect",
        &["ConnectWise Control", "ScreenConnect"],
        &["ConnectWise, LLC", "ConnectWise"],
    ),
    p(
        "ConnectWise Automate",
        &["LabTech", "LTSvc"],
        &["ConnectWise, LLC", "ConnectWise"],
    ),
    p("Splashtop", &["Splashtop"], &["Splashtop Inc."]),
    p(
        "NinjaOne",
        &["NinjaRMM", "ninjarmm.com", "ninjaone.com"],
        &["NinjaRMM LLC", "NinjaOne LLC"],
    ),
    p("RustDesk", &["RustDesk"], &["Purslane Ltd."]),
    p(
        "Zoho Assist",
        &["ZohoAssist"],
        &["ZOHO Corporation Private Limited", "Zoho"],
    ),
    p(
        "ManageEngine",
        &["Desktop Central", "Endpoint Central", "Remote Access Plus"],
        &["ZOHO Corporation Private Limited", "Zoho"],
    ),
    p("Action1", &["Action1"], &["Action1 Corporation"]),
    p(
        "Atera",
        &["AteraAgent", "atera.com"],
        &["Atera Networks Ltd", "Atera Networks"],
    ),
    p(
        "GoTo",
        &[
            "GoTo Resolve",
            "GoToAssist",
            "GoToMyPC",
            "LogMeIn",
            "LogMeIn Rescue",
        ],
        &["GoTo Technologies USA, LLC", "LogMeIn, Inc.", "GoTo"],
    ),
    p(
        "BeyondTrust Remote Support",
        &["BeyondTrust", "Bomgar", "bomgar-scc"],
        &["BeyondTrust Corporation", "BeyondTrust"],
    ),
    p(
        "DameWare",
        &[
            "DameWare Mini Remote Control",
            "DameWare Remote Support",
            "DWRCS",
        ],
        &["SolarWinds", "DameWare Development"],
    ),
    p(
        "ISL Online",
        &["ISL Light", "ISLOnline", "islonline.com"],
        &["XLAB d.o.o."],
    ),
    Product {
        name: "Level",
        aliases: &["level.io"],
        vendors: &["Level Software, Inc.", "Level Software"],
        ambiguous_name: true,
    },
    p("MeshCentral", &["MeshAgent", "Mesh Central"], &[]),
    p(
        "Pulseway",
        &["Pulseway"],
        &["MMSOFT Design Ltd.", "MMSOFT Design"],
    ),
    p("RealVNC", &["VNC Server", "VNC Viewer"], &["RealVNC Ltd"]),
    p("Radmin", &["Radmin"], &["Famatech Corp.", "Famatech"]),
    p("Ammyy Admin", &["AmmyyAdmin", "Ammyy"], &["Ammyy LLC"]),
    p("SimpleHelp", &["SimpleHelp"], &["SimpleHelp Ltd"]),
    p(
        "Supremo",
        &["Supremo"],
        &["NanoSystems S.r.l.", "NanoSystems"],
    ),
    p("Syncro", &["Syncro"], &["Servably, Inc.", "Servably"]),
    p(
        "Tactical RMM",
        &["TacticalRMM"],
        &["AmidaWare LLC", "AmidaWare"],
    ),
    p(
        "N-able Take Control",
        &["Take Control", "N-able", "N-central", "N-sight"],
        &["N-able Technologies Ltd", "N-able", "SolarWinds MSP"],
    ),
    p("Kaseya VSA", &["KaseyaVSA"], &["Kaseya"]),
    p(
        "Datto RMM",
        &["Datto", "CentraStage"],
        &["Datto, Inc.", "Kaseya"],
    ),
    p(
        "Remote Utilities",
        &["RemoteUtilities"],
        &["REMOTE UTILITIES PTE. LTD.", "Remote Utilities LLC"],
    ),
    p(
        "Remote Desktop Connection Manager",
        &["RDCMan"],
        &["Microsoft Corporation", "Microsoft"],
    ),
    p(
        "Mouse Without Borders",
        &[],
        &["Microsoft Corporation", "Microsoft"],
    ),
    p(
        "Quick Assist",
        &["QuickAssist"],
        &["Microsoft Corporation", "Microsoft"],
    ),
    p(
        "Chrome Remote Desktop",
        &["remotedesktop.google.com"],
        &["Google LLC"],
    ),
    p("UltraVNC", &["UltraVNC"], &["uvnc bvba"]),
    p("TightVNC", &["TightVNC"], &["GlavSoft LLC"]),
    p("NetSupport Manager", &["NetSupport"], &["NetSupport Ltd"]),
    p(
        "Ivanti Remote Control",
        &["Ivanti Endpoint Manager", "LANDESK"],
        &["Ivanti, Inc.", "Ivanti"],
    ),
    p("Parsec", &["parsec.app"], &["Parsec Cloud, Inc."]),
    p(
        "Netop Remote Control",
        &["Netop"],
        &["Netop Business Solutions A/S"],
    ),
    p("Xeox", &[], &[]),
];

/// Vendors too generic to be evidence that a filter names a remote-management product.
const GENERIC_VENDORS: &[&str] = &["microsoft", "microsoftcorporation", "google", "googlellc"];

/// A signer (certificate subject) that covers several products.
pub struct MultiSigner {
    /// Bare vendor terms that select it in a `has` filter.
    pub terms: &'static [&'static str],
    /// The exact certificate subject.
    pub subject: &'static str,
    /// What else it signs.
    pub products: &'static [&'static str],
}

/// Signers that cover several products (LOLRMM's code-signing data, and vendors known to
/// sign unrelated software under the same name).
pub static MULTI_SIGNERS: &[MultiSigner] = &[
    MultiSigner {
        terms: &["Zoho"],
        subject: "ZOHO Corporation Private Limited",
        products: &["Zoho Assist", "ManageEngine", "Desktop Central", "Site24x7"],
    },
    MultiSigner {
        terms: &["ConnectWise"],
        subject: "ConnectWise, LLC",
        products: &[
            "ScreenConnect (ConnectWise Control)",
            "ConnectWise Automate (LabTech)",
            "ConnectWise RMM (Continuum)",
        ],
    },
    MultiSigner {
        terms: &["GoTo", "LogMeIn"],
        subject: "GoTo Technologies USA, LLC",
        products: &[
            "GoTo Resolve",
            "GoToAssist",
            "LogMeIn Rescue",
            "GoToMyPC",
            "GoTo Meeting",
            "LogMeIn Hamachi",
        ],
    },
    MultiSigner {
        terms: &["Microsoft"],
        subject: "Microsoft Corporation",
        products: &[
            "Windows itself",
            "mstsc",
            "Remote Desktop Connection Manager",
            "Mouse Without Borders",
            "CrossTec",
        ],
    },
    MultiSigner {
        terms: &["Ivanti"],
        subject: "Ivanti, Inc.",
        products: &[
            "Ivanti Remote Control",
            "Ivanti Endpoint Manager",
            "Ivanti Neurons",
        ],
    },
    MultiSigner {
        terms: &["RemoteUtilities"],
        subject: "REMOTE UTILITIES PTE. LTD.",
        products: &[
            "Remote Utilities Host",
            "Remote Utilities Viewer",
            "Remote Utilities Agent",
        ],
    },
    MultiSigner {
        terms: &["Kaseya"],
        subject: "Kaseya Holdings Inc.",
        products: &["Kaseya VSA", "Datto RMM", "Kaseya BMS", "Unitrends"],
    },
    MultiSigner {
        terms: &["Datto"],
        subject: "Datto, Inc.",
        products: &["Datto RMM", "Datto Backup", "Datto File Protection"],
    },
    MultiSigner {
        terms: &["N-able", "NAble", "SolarWinds"],
        subject: "N-able Technologies Ltd",
        products: &[
            "N-able Take Control",
            "N-central",
            "N-sight RMM",
            "DameWare",
        ],
    },
    MultiSigner {
        terms: &["BeyondTrust", "Bomgar"],
        subject: "BeyondTrust Corporation",
        products: &[
            "BeyondTrust Remote Support",
            "Privileged Remote Access",
            "Password Safe",
        ],
    },
    MultiSigner {
        terms: &["NCH"],
        subject: "NCH Software",
        products: &["Debut Video Capture", "Express Invoice", "WavePad"],
    },
    MultiSigner {
        terms: &["AOMEI"],
        subject: "AOMEI International Network Limited",
        products: &["AnyViewer", "AOMEI Backupper", "Partition Assistant"],
    },
    MultiSigner {
        terms: &["Barracuda"],
        subject: "Barracuda Networks, Inc.",
        products: &[
            "Barracuda RMM",
            "Barracuda Backup",
            "Barracuda CloudGen Access",
        ],
    },
    MultiSigner {
        terms: &["IDrive"],
        subject: "IDrive Inc.",
        products: &["RemotePC", "IDrive Online Backup"],
    },
];

/// Legal suffixes that make a signer value a full company name, not a bare vendor term.
const LEGAL_SUFFIXES: &[&str] = &[
    "inc",
    "llc",
    "ltd",
    "limited",
    "gmbh",
    "corp",
    "corporation",
    "co",
    "company",
    "srl",
    "sro",
    "sa",
    "ag",
    "bv",
    "bvba",
    "pte",
    "plc",
    "pty",
    "oy",
    "ab",
    "as",
    "kg",
    "doo",
    "spa",
    "sas",
    "kk",
];

/// The maximal alphanumeric runs of `s`, lowercased: KQL's terms.
pub fn terms(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// `s` lowercased with everything but letters and digits removed.
pub fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether `hay` names `name` on term boundaries, spaces ignored: `Zoho Assist`,
/// `ZohoAssist` and `zohoassist.exe` all name `ZohoAssist`.
pub fn mentions(hay: &str, name: &str) -> bool {
    let want = norm(name);
    if want.is_empty() {
        return false;
    }
    let ts = terms(hay);
    for i in 0..ts.len() {
        let mut acc = String::new();
        for t in &ts[i..] {
            acc.push_str(t);
            if acc == want {
                return true;
            }
            if acc.len() >= want.len() || !want.starts_with(&acc) {
                break;
            }
        }
    }
    false
}

/// Whether a signer or company value is a single vendor word without a legal suffix:
/// `Zoho`, `ConnectWise`, `N-able` (but not `Atera Networks` or `Action1 Corporation`).
pub fn is_bare_vendor_term(value: &str) -> bool {
    let v = value.trim();
    !v.is_empty()
        && !v.contains(char::is_whitespace)
        && !v.contains(',')
        && !terms(v)
            .iter()
            .any(|t| LEGAL_SUFFIXES.contains(&t.as_str()))
}

/// The multi-product signer a bare value selects, if any.
pub fn multi_signer(value: &str) -> Option<&'static MultiSigner> {
    let n = norm(value);
    MULTI_SIGNERS
        .iter()
        .find(|s| s.terms.iter().any(|t| norm(t) == n))
}

/// The known product with this display name or alias (spaces and case ignored).
pub fn product_named(name: &str) -> Option<&'static Product> {
    let n = norm(name);
    PRODUCTS.iter().find(|p| {
        norm(p.name) == n
            || p.aliases.iter().any(|a| norm(a) == n)
            || (!n.is_empty() && p.name.contains(' ') && n.contains(&norm(p.name)))
    })
}

/// The names a filter may use for a product: name (unless ambiguous), aliases, vendors
/// (except generic ones).
pub fn evidence_names(p: &Product) -> impl Iterator<Item = &'static str> {
    let name = (!p.ambiguous_name).then_some(p.name);
    name.into_iter().chain(p.aliases.iter().copied()).chain(
        p.vendors
            .iter()
            .copied()
            .filter(|v| !GENERIC_VENDORS.contains(&norm(v).as_str())),
    )
}

/// Whether two products share a vendor (Zoho Assist and ManageEngine are both Zoho's).
pub fn same_vendor(a: &Product, b: &Product) -> bool {
    a.vendors
        .iter()
        .any(|va| b.vendors.iter().any(|vb| norm(va) == norm(vb)))
}

/// The product a rule's title names: the middle part of upstream titles such as
/// `Remote Management and Monitoring tool - Splashtop - File Signature`, or else a
/// known product named in the title.
pub fn title_product(title: &str) -> Option<String> {
    let parts: Vec<&str> = title
        .split(" - ")
        .flat_map(|p| p.split(" \u{2013} "))
        .map(str::trim)
        .collect();
    if parts.len() >= 3 {
        let middle = parts[1..parts.len() - 1].join(" - ");
        let first = parts[0].to_lowercase();
        if !middle.is_empty()
            && (first.contains("remote")
                || first.contains("rmm")
                || product_named(&middle).is_some())
        {
            return Some(middle);
        }
    }
    PRODUCTS
        .iter()
        .find(|p| {
            (!p.ambiguous_name && mentions(title, p.name))
                || p.aliases.iter().any(|a| mentions(title, a))
        })
        .map(|p| p.name.to_string())
}

/// Whether `value` names the product `title_product` (the title's product), directly,
/// through a known alias or vendor, or as a vendor prefix (`Kaseya` of `KaseyaVSA`).
pub fn names_product(value: &str, title_product: &str) -> bool {
    if mentions(value, title_product) {
        return true;
    }
    let tp = norm(title_product);
    if terms(value)
        .iter()
        .any(|t| t.len() >= 4 && tp.starts_with(t.as_str()))
    {
        return true;
    }
    if let Some(p) = product_named(title_product) {
        return std::iter::once(p.name)
            .chain(p.aliases.iter().copied())
            .chain(p.vendors.iter().copied())
            .any(|n| mentions(value, n));
    }
    false
}

/// The field a filter tests: the column name of a plain name on the left-hand side.
pub fn field_name(e: &Expr) -> Option<&str> {
    match e.unparen() {
        Expr::Name(i) => Some(&i.name),
        Expr::Member { member, .. } => Some(&member.name),
        _ => None,
    }
}

/// The string literal `e` is, with its span.
pub fn string_lit(e: &Expr) -> Option<(&str, Span)> {
    match e.unparen() {
        Expr::Literal(Literal {
            value: LitValue::String { value, .. },
            span,
        }) => Some((value, *span)),
        _ => None,
    }
}

/// The string elements of an `in`/`has_any` list, flattening a `dynamic([...])` element.
pub fn list_strings(list: &[Expr]) -> Vec<(&str, Span)> {
    let mut out = Vec::new();
    for e in list {
        if let Some(s) = string_lit(e) {
            out.push(s);
        } else if let Expr::Literal(Literal {
            value:
                LitValue::Dynamic(DynValue {
                    kind: DynKind::Array(items),
                    ..
                }),
            ..
        }) = e.unparen()
        {
            for it in items {
                if let DynKind::String(s) = &it.kind {
                    out.push((s.as_str(), it.span));
                }
            }
        }
    }
    out
}

/// Every string literal of the query (including `dynamic([...])` elements).
pub fn all_strings(q: &crate::kql::ast::Query) -> Vec<(&str, Span)> {
    let mut out = Vec::new();
    crate::kql::visit::for_each_expr(q, |e| {
        if let Expr::Literal(l) = e {
            match &l.value {
                LitValue::String { value, .. } => out.push((value.as_str(), l.span)),
                LitValue::Dynamic(d) => push_dyn_strings(d, &mut out),
                _ => {}
            }
        }
    });
    out
}

fn push_dyn_strings<'a>(d: &'a DynValue, out: &mut Vec<(&'a str, Span)>) {
    match &d.kind {
        DynKind::String(s) => out.push((s, d.span)),
        DynKind::Array(items) => items.iter().for_each(|i| push_dyn_strings(i, out)),
        DynKind::Object(entries) => entries.iter().for_each(|e| push_dyn_strings(&e.value, out)),
        _ => {}
    }
}

/// Certificate and version-info fields that name who made a binary.
pub fn is_signer_field(name: &str) -> bool {
    matches!(name, "Signer" | "Issuer")
        || name.ends_with("VersionInfoCompanyName")
        || name.ends_with("VersionInfoProductName")
}

pub fn is_product_field(name: &str) -> bool {
    name.ends_with("VersionInfoProductName")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_ignores_spaces_and_case() {
        assert!(mentions("Zoho Assist", "ZohoAssist"));
        assert!(mentions("zohoassist.exe", "Zoho Assist"));
        assert!(mentions("TeamViewer Germany GmbH", "TeamViewer"));
        assert!(!mentions("myzohoassist", "Zoho Assist"));
        assert!(!mentions("toplevel", "Level"));
    }

    #[test]
    fn bare_terms() {
        assert!(is_bare_vendor_term("Zoho"));
        assert!(is_bare_vendor_term("N-able"));
        assert!(!is_bare_vendor_term("Action1 Corporation"));
        assert!(!is_bare_vendor_term("Remote Utilities"));
        assert!(!is_bare_vendor_term("Level Software, Inc."));
    }

    #[test]
    fn title_products() {
        assert_eq!(
            title_product("Remote Management and Monitoring tool - ZohoAssist - File Signature")
                .as_deref(),
            Some("ZohoAssist")
        );
        assert_eq!(
            title_product("Command shell spawned by a remote access tool"),
            None
        );
        assert_eq!(
            title_product("Remote Management and Monitoring tools - Installed Software Inventory"),
            None
        );
        assert!(names_product("Kaseya", "KaseyaVSA"));
        assert!(names_product(
            "take-control.n-able.com",
            "N-able Take Control"
        ));
        assert!(!names_product("AnyDesk Software GmbH", "Splashtop"));
    }
}
