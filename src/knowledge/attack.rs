//! MITRE ATT&CK Enterprise facts (tactics and techniques), plus the ATT&CK for ICS techniques
//! Sentinel's template validation maps to tactics, with the Microsoft
//! Sentinel spelling of each tactic, from `schema/attack.toml` (embedded with
//! `include_str!`, parsed once on first use).
//!
//! Sentinel writes tactics in PascalCase (`CommandAndControl`), ATT&CK in
//! kebab-case shortnames (`command-and-control`) with ids (`TA0011`). Sentinel also
//! knows a few tactic names with no ATT&CK Enterprise id (`PreAttack`,
//! `ImpairProcessControl`, `InhibitResponseFunction`); they are included with an
//! empty `id` and `shortname`.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

/// A tactic: ATT&CK id and shortname, and the Sentinel spelling.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Tactic {
    /// ATT&CK Enterprise id, e.g. `TA0011`; empty for Sentinel-only tactics.
    pub id: String,
    /// ATT&CK shortname, e.g. `command-and-control`; empty for Sentinel-only tactics.
    pub shortname: String,
    /// Sentinel spelling, e.g. `CommandAndControl`.
    pub sentinel: String,
}

impl Tactic {
    /// Whether this is an ATT&CK Enterprise tactic (as opposed to a tactic name
    /// that only Sentinel knows, such as `PreAttack`).
    pub fn is_enterprise(&self) -> bool {
        !self.id.is_empty()
    }
}

/// A technique or sub-technique.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Technique {
    /// `T1219` or `T1001.001`.
    pub id: String,
    /// The ATT&CK name; empty for ICS techniques, whose names rulecat does not carry
    /// (see [`Technique::label`]).
    pub name: String,
    /// The ATT&CK matrix the technique comes from.
    pub matrix: Matrix,
    /// Tactics the technique belongs to, in Sentinel spelling.
    pub tactics: Vec<String>,
}

/// The ATT&CK matrix a technique belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Matrix {
    /// ATT&CK Enterprise, with names and tactics from MITRE's data.
    Enterprise,
    /// ATT&CK for ICS, as Sentinel's template validation maps it to tactics.
    Ics,
}

impl Technique {
    /// The technique's name, or what it is when rulecat does not carry the name.
    pub fn label(&self) -> &str {
        match self.matrix {
            Matrix::Ics if self.name.is_empty() => "an ATT&CK for ICS technique",
            _ => &self.name,
        }
    }

    pub fn is_subtechnique(&self) -> bool {
        self.id.contains('.')
    }

    /// The parent technique id (`T1001` for `T1001.001`; the id itself otherwise).
    pub fn parent_id(&self) -> &str {
        self.id.split('.').next().unwrap_or(&self.id)
    }
}

/// The ATT&CK facts: tactics and techniques.
#[derive(Clone, Debug)]
pub struct Attack {
    version: String,
    domain: String,
    tactics: Vec<Tactic>,
    techniques: Vec<Technique>,
    technique_index: HashMap<String, usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAttack {
    attack_version: String,
    domain: String,
    #[serde(default)]
    tactic: Vec<RawTactic>,
    #[serde(default)]
    sentinel_only_tactic: Vec<RawSentinelOnly>,
    #[serde(default)]
    technique: Vec<RawTechnique>,
    #[serde(default)]
    ics_technique: Vec<RawIcsTechnique>,
}

/// An ATT&CK for ICS technique as Sentinel's template validation maps it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIcsTechnique {
    id: String,
    tactics: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTactic {
    id: String,
    shortname: String,
    sentinel: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSentinelOnly {
    sentinel: String,
    #[serde(default)]
    #[allow(dead_code)]
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTechnique {
    id: String,
    name: String,
    tactics: Vec<String>,
}

const ATTACK_TOML: &str = include_str!("../../schema/attack.toml");

static BUILTIN: LazyLock<Attack> = LazyLock::new(|| {
    // A malformed embedded file is a programming error, caught by the unit tests.
    Attack::parse(ATTACK_TOML).unwrap_or_else(|e| panic!("schema/attack.toml: {e}"))
});

/// The built-in ATT&CK Enterprise facts.
pub fn builtin() -> &'static Attack {
    &BUILTIN
}

impl Attack {
    /// Parse a file in the `schema/attack.toml` format.
    pub fn parse(src: &str) -> Result<Attack, toml::de::Error> {
        let raw: RawAttack = toml::from_str(src)?;
        let mut tactics: Vec<Tactic> = raw
            .tactic
            .into_iter()
            .map(|t| Tactic {
                id: t.id,
                shortname: t.shortname,
                sentinel: t.sentinel,
            })
            .collect();
        tactics.extend(raw.sentinel_only_tactic.into_iter().map(|t| Tactic {
            id: String::new(),
            shortname: String::new(),
            sentinel: t.sentinel,
        }));
        let mut techniques: Vec<Technique> = raw
            .technique
            .into_iter()
            .map(|t| Technique {
                id: t.id,
                name: t.name,
                matrix: Matrix::Enterprise,
                tactics: t.tactics,
            })
            .collect();
        techniques.extend(raw.ics_technique.into_iter().map(|t| Technique {
            id: t.id,
            name: String::new(),
            matrix: Matrix::Ics,
            tactics: t.tactics,
        }));
        let technique_index = techniques
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.clone(), i))
            .collect();
        Ok(Attack {
            version: raw.attack_version,
            domain: raw.domain,
            tactics,
            techniques,
            technique_index,
        })
    }

    /// ATT&CK version of the data, e.g. `17.0`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// ATT&CK domain of the data (`enterprise-attack`).
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// All tactics: Enterprise tactics in matrix order, then Sentinel-only ones.
    pub fn tactics(&self) -> impl Iterator<Item = &Tactic> {
        self.tactics.iter()
    }

    /// All techniques and sub-techniques, ordered by id.
    pub fn techniques(&self) -> impl Iterator<Item = &Technique> {
        self.techniques.iter()
    }

    /// The tactic with exactly this Sentinel spelling (`CommandAndControl`).
    pub fn tactic_by_sentinel(&self, s: &str) -> Option<&Tactic> {
        self.tactics.iter().find(|t| t.sentinel == s)
    }

    /// The tactic with this ATT&CK id (`TA0011`).
    pub fn tactic_by_id(&self, id: &str) -> Option<&Tactic> {
        let id = id.trim();
        self.tactics
            .iter()
            .find(|t| t.is_enterprise() && t.id.eq_ignore_ascii_case(id))
    }

    /// The tactic with this ATT&CK shortname (`command-and-control`).
    pub fn tactic_by_shortname(&self, s: &str) -> Option<&Tactic> {
        self.tactics
            .iter()
            .find(|t| t.is_enterprise() && t.shortname == s)
    }

    /// The Sentinel tactic name to suggest for `s`: first a match ignoring case,
    /// spaces, dashes and underscores against Sentinel names and ATT&CK shortnames
    /// ("Command and Control", "command-and-control" -> `CommandAndControl`), or an
    /// ATT&CK tactic id (`TA0011`); else the closest Sentinel name within an edit
    /// distance of `max(1, len/3)` of the normalized input.
    pub fn suggest_tactic(&self, s: &str) -> Option<&str> {
        let want = normalize(s);
        if want.is_empty() {
            return None;
        }
        if let Some(t) = self.tactic_by_id(s) {
            return Some(&t.sentinel);
        }
        if let Some(t) = self
            .tactics
            .iter()
            .find(|t| normalize(&t.sentinel) == want || normalize(&t.shortname) == want)
        {
            return Some(&t.sentinel);
        }
        let limit = (want.chars().count() / 3).max(1);
        let mut best: Option<(usize, &str)> = None;
        for t in &self.tactics {
            let d = strsim::osa_distance(&want, &normalize(&t.sentinel));
            if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, &t.sentinel));
            }
        }
        best.map(|(_, s)| s)
    }

    /// The technique or sub-technique with this id (`T1219`, `T1001.001`);
    /// surrounding whitespace and the case of the `T` are ignored.
    pub fn technique(&self, id: &str) -> Option<&Technique> {
        let id = id.trim();
        self.technique_index
            .get(id)
            .or_else(|| self.technique_index.get(&id.to_ascii_uppercase()))
            .map(|&i| &self.techniques[i])
    }
}

/// Lowercase, without spaces, dashes and underscores.
pub fn normalize(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const SENTINEL_TACTICS: [&str; 17] = [
        "Reconnaissance",
        "ResourceDevelopment",
        "InitialAccess",
        "Execution",
        "Persistence",
        "PrivilegeEscalation",
        "DefenseEvasion",
        "CredentialAccess",
        "Discovery",
        "LateralMovement",
        "Collection",
        "CommandAndControl",
        "Exfiltration",
        "Impact",
        "PreAttack",
        "ImpairProcessControl",
        "InhibitResponseFunction",
    ];

    #[test]
    fn embedded_file_parses_and_is_consistent() {
        let a = Attack::parse(ATTACK_TOML).expect("schema/attack.toml parses");
        assert_eq!(a.version(), "17.0");
        assert_eq!(a.domain(), "enterprise-attack");
        let names: Vec<&str> = a.tactics().map(|t| t.sentinel.as_str()).collect();
        assert_eq!(names, SENTINEL_TACTICS);
        assert_eq!(a.tactics().filter(|t| t.is_enterprise()).count(), 14);
        let mut ids = HashSet::new();
        for t in a.tactics().filter(|t| t.is_enterprise()) {
            assert!(
                t.id.starts_with("TA") && ids.insert(t.id.clone()),
                "{}",
                t.id
            );
            assert!(!t.shortname.is_empty());
        }
        let mut seen = HashSet::new();
        for t in a.techniques() {
            assert!(seen.insert(t.id.as_str()), "duplicate technique {}", t.id);
            assert!(t.id.starts_with('T') && !t.label().is_empty());
            assert!(!t.tactics.is_empty(), "{} has no tactic", t.id);
            for tac in &t.tactics {
                let tactic = a.tactic_by_sentinel(tac).expect("known tactic");
                // ICS techniques may sit under the ICS-only Sentinel tactics.
                let ics = t.matrix == Matrix::Ics;
                assert!(ics || tactic.is_enterprise(), "{}: {tac}", t.id);
            }
            if t.is_subtechnique() {
                assert!(
                    a.technique(t.parent_id()).is_some(),
                    "{} lacks parent",
                    t.id
                );
            }
        }
        assert_eq!(
            a.techniques()
                .filter(|t| t.matrix == Matrix::Enterprise)
                .count(),
            665
        );
        let ics = a.technique("T0881").expect("ICS technique");
        assert_eq!(ics.tactics, ["InhibitResponseFunction"]);
        assert_eq!(
            a.technique("T0839").unwrap().tactics,
            ["Persistence", "ImpairProcessControl"]
        );
    }

    #[test]
    fn techniques() {
        let a = builtin();
        let t = a.technique("T1219").expect("T1219");
        // ATT&CK v17 renamed "Remote Access Software" to "Remote Access Tools".
        assert_eq!(t.name, "Remote Access Tools");
        assert_eq!(t.tactics, ["CommandAndControl"]);
        assert!(!t.is_subtechnique());
        let sub = a.technique("T1001.001").expect("T1001.001");
        assert!(sub.is_subtechnique());
        assert_eq!(sub.parent_id(), "T1001");
        assert_eq!(sub.tactics, ["CommandAndControl"]);
        assert!(a.technique("T9999").is_none());
        assert!(a.technique("t1219").is_some());
        assert!(a.technique(" T1219 ").is_some());
        let multi = a.technique("T1078").expect("T1078 Valid Accounts");
        for tac in [
            "DefenseEvasion",
            "Persistence",
            "PrivilegeEscalation",
            "InitialAccess",
        ] {
            assert!(multi.tactics.iter().any(|t| t == tac), "T1078 {tac}");
        }
    }

    #[test]
    fn tactics() {
        let a = builtin();
        let c2 = a.tactic_by_sentinel("CommandAndControl").unwrap();
        assert_eq!(c2.id, "TA0011");
        assert_eq!(c2.shortname, "command-and-control");
        assert!(a.tactic_by_sentinel("commandandcontrol").is_none());
        assert_eq!(
            a.tactic_by_id("TA0011").unwrap().sentinel,
            "CommandAndControl"
        );
        assert_eq!(
            a.tactic_by_shortname("resource-development").unwrap().id,
            "TA0042"
        );
        let pre = a.tactic_by_sentinel("PreAttack").unwrap();
        assert!(!pre.is_enterprise());
        assert!(a.tactic_by_id("").is_none());
        assert!(a.tactic_by_shortname("").is_none());
    }

    #[test]
    fn tactic_suggestions() {
        let a = builtin();
        let s = |x: &str| a.suggest_tactic(x);
        assert_eq!(s("Command and Control"), Some("CommandAndControl"));
        assert_eq!(s("command-and-control"), Some("CommandAndControl"));
        assert_eq!(s("COMMAND_AND_CONTROL"), Some("CommandAndControl"));
        assert_eq!(s("CommandAndControl"), Some("CommandAndControl"));
        assert_eq!(s("TA0011"), Some("CommandAndControl"));
        assert_eq!(s("Privilege Escalation"), Some("PrivilegeEscalation"));
        assert_eq!(s("Pre-Attack"), Some("PreAttack"));
        assert_eq!(
            s("Inhibit Response Function"),
            Some("InhibitResponseFunction")
        );
        assert_eq!(s("CommandAndControll"), Some("CommandAndControl"));
        assert_eq!(s("Comand and Control"), Some("CommandAndControl"));
        assert_eq!(s("DefenceEvasion"), Some("DefenseEvasion"));
        assert_eq!(s("Exfil"), None);
        assert_eq!(s("Weaponization"), None);
        assert_eq!(s(""), None);
        assert_eq!(s(" - "), None);
    }
}
