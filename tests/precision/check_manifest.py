#!/usr/bin/env python3
"""Sanity checks for the precision corpus (tests/precision).

1. Every [[defect]] in expected.toml points at an existing file and a line that
   contains the first back-quoted span of its note, plus a lint-specific check
   of that line (e.g. a tab for tab-indent, a non-ASCII char for ascii-only).
2. Every file under catalog/ is either listed in `clean` or has >= 1 defect,
   never both.
3. A small independent "reference linter" re-derives as many planted defects as
   it can and checks that clean files produce no findings and planted files
   produce exactly their manifest entries (for the lints it implements).
   With --reference DIR (default ../shared/reference beside the repository, if present) it also
   checks tables, columns and ATT&CK mappings against the reference facts.

Usage: python3 tests/precision/check_manifest.py [--reference DIR]
Exit status 0 when everything agrees.
"""
import difflib
import glob
import json
import os
import re
import sys
import tomllib
import uuid
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
CAT = os.path.join(HERE, "catalog")

SENTINEL_TACTICS = {
    "InitialAccess": "initial-access", "Execution": "execution", "Persistence": "persistence",
    "PrivilegeEscalation": "privilege-escalation", "DefenseEvasion": "defense-evasion",
    "CredentialAccess": "credential-access", "Discovery": "discovery",
    "LateralMovement": "lateral-movement", "Collection": "collection",
    "Exfiltration": "exfiltration", "CommandAndControl": "command-and-control",
    "Impact": "impact", "ResourceDevelopment": "resource-development",
    "Reconnaissance": "reconnaissance",
}
MISSPELLINGS = {"montioring", "managment", "recieve", "persistance", "occured",
                "seperate", "definately", "enviroment", "occurence", "priviledge"}
BARE_SIGNERS = {"zoho", "connectwise", "goto", "kaseya", "microsoft", "logmein",
                "beyondtrust", "solarwinds", "n-able", "ivanti", "datto"}
PLACEHOLDER = re.compile(r"replace with actual|\bTODO\b|\bTBD\b|<insert[^>]*>", re.I)

# Columns missing from the reference JSON files (see defender-tables-notes.md and
# the Microsoft advanced-hunting schema pages for DeviceRegistryEvents,
# EmailEvents and EmailUrlInfo).
VERSION_INFO = ["CompanyName", "ProductName", "ProductVersion", "InternalFileName",
                "OriginalFileName", "FileDescription"]
EXTRA_TABLES = {
    "DeviceFileCertificateInfo": {
        "Timestamp": "datetime", "DeviceId": "string", "DeviceName": "string", "SHA1": "string",
        "IsSigned": "bool", "SignatureType": "string", "Signer": "string", "SignerHash": "string",
        "Issuer": "string", "IssuerHash": "string", "CertificateSerialNumber": "string",
        "CrlDistributionPointUrls": "string", "CertificateCreationTime": "datetime",
        "CertificateExpirationTime": "datetime", "CertificateCountersignatureTime": "datetime",
        "IsTrusted": "bool", "IsRootSignerMicrosoft": "bool", "ReportId": "long",
        "TimeGenerated": "datetime", "TenantId": "string", "SourceSystem": "string",
        "MachineGroup": "string", "Type": "string"},
    "EmailEvents": {c: "string" for c in (
        "Timestamp NetworkMessageId InternetMessageId SenderMailFromAddress SenderFromAddress "
        "SenderDisplayName SenderObjectId SenderMailFromDomain SenderFromDomain SenderIPv4 SenderIPv6 "
        "RecipientEmailAddress RecipientObjectId Subject EmailClusterId EmailDirection DeliveryAction "
        "DeliveryLocation ThreatTypes ThreatNames DetectionMethods ConfidenceLevel BulkComplaintLevel "
        "EmailAction EmailActionPolicy EmailActionPolicyGuid AuthenticationDetails AttachmentCount "
        "UrlCount EmailLanguage Connectors OrgLevelAction OrgLevelPolicy UserLevelAction "
        "UserLevelPolicy ReportId AdditionalFields LatestDeliveryLocation LatestDeliveryAction "
        "TimeGenerated").split()},
    "EmailUrlInfo": {c: "string" for c in
                     "Timestamp NetworkMessageId Url UrlDomain UrlLocation ReportId TimeGenerated".split()},
    "DeviceRegistryEvents": {c: "string" for c in (
        "Timestamp DeviceId DeviceName ActionType RegistryKey RegistryValueType RegistryValueName "
        "RegistryValueData PreviousRegistryKey PreviousRegistryValueName PreviousRegistryValueData "
        "InitiatingProcessAccountDomain InitiatingProcessAccountName InitiatingProcessAccountSid "
        "InitiatingProcessAccountUpn InitiatingProcessAccountObjectId InitiatingProcessSHA1 "
        "InitiatingProcessSHA256 InitiatingProcessMD5 InitiatingProcessFileName InitiatingProcessId "
        "InitiatingProcessCommandLine InitiatingProcessCreationTime InitiatingProcessFolderPath "
        "InitiatingProcessParentId InitiatingProcessParentFileName InitiatingProcessParentCreationTime "
        "InitiatingProcessIntegrityLevel InitiatingProcessTokenElevation ReportId AppGuardContainerId "
        "TimeGenerated").split()},
}
for t in ("Timestamp", "EmailClusterId", "BulkComplaintLevel", "AttachmentCount", "UrlCount"):
    EXTRA_TABLES["EmailEvents"][t] = {"Timestamp": "datetime", "EmailClusterId": "long"}.get(t, "int")
EXTRA_TABLES["EmailUrlInfo"]["Timestamp"] = "datetime"
EXTRA_TABLES["DeviceRegistryEvents"]["Timestamp"] = "datetime"

KQL_WORDS = set("""let where summarize extend project join kind inner leftouter on by and or not
between ago now dynamic has has_any in contains startswith endswith matches regex distinct order desc asc
make_set min max count dcount countif minif maxif tostring tolong parse_json strcat bin extract
base64_decode_tostring isnotempty binary_and mv-expand mv expand parse with flags i true false datetime
left right true top limit sort take""".split())


def load_reference(ref):
    tables = {}
    if ref and os.path.isdir(os.path.join(ref, "defender-tables")):
        for f in glob.glob(os.path.join(ref, "defender-tables", "*.json")):
            d = json.load(open(f))
            cols = {}
            for p in d["Properties"]:
                cols[p.get("name") or p.get("Name")] = (p.get("type") or p.get("Type")).lower()
            tables[d["Name"]] = cols
    for t, cols in EXTRA_TABLES.items():
        tables.setdefault(t, {}).update(cols)
    for t in ("DeviceProcessEvents",):
        for v in VERSION_INFO:
            tables[t]["ProcessVersionInfo" + v] = "string"
    for t, cols in tables.items():
        if "InitiatingProcessFileName" in cols:
            for v in VERSION_INFO:
                cols["InitiatingProcessVersionInfo" + v] = "string"
    techniques = {}
    tsv = os.path.join(ref, "attack", "enterprise-techniques.tsv") if ref else ""
    if os.path.exists(tsv):
        for line in open(tsv):
            if line.startswith("#") or not line.strip():
                continue
            tid, _name, tac = line.rstrip("\n").split("\t")
            techniques[tid] = set(tac.split(","))
    return tables, techniques


def query_block(lines):
    """(first_line_no, [lines]) of the `query: |` block scalar."""
    for i, l in enumerate(lines):
        if l.startswith("query: |"):
            out = []
            for j in range(i + 1, len(lines)):
                if lines[j] and not lines[j][0] in " \t":
                    break
                out.append((j + 1, lines[j]))
            return out
    return []


def strip_strings(s):
    return re.sub(r"@?'[^']*'|@?\"[^\"]*\"", "''", s.split("//")[0] if "//" in s and "'" not in s.split("//")[0][-1:] else s)


def lint_file(rel, text, tables, techniques):
    """Reference findings: list of (lint, line)."""
    F = []
    lines = text.split("\n")
    if not text.endswith("\n"):
        F.append(("final-newline", len(lines)))
    else:
        lines = lines[:-1]
    for n, l in enumerate(lines, 1):
        if any(ord(c) > 127 for c in l):
            F.append(("ascii-only", n))
        if l != l.rstrip(" \t"):
            F.append(("trailing-whitespace", n))
        if "\t" in l.rstrip("\t "):
            F.append(("tab-indent", n))
        if PLACEHOLDER.search(l):
            F.append(("placeholder-text", n))
    import yaml  # PyYAML
    doc = yaml.safe_load(text)
    idl = next(n for n, l in enumerate(lines, 1) if l.startswith("id:"))
    try:
        ok = str(uuid.UUID(doc["id"])) == doc["id"].lower()
    except ValueError:
        ok = False
    if not ok:
        F.append(("invalid-id", idl))
    namel = next(n for n, l in enumerate(lines, 1) if l.startswith("name:"))
    descl = next(n for n, l in enumerate(lines, 1) if l.startswith("description:"))
    text_lines = [namel] + [n for n in range(descl + 1, len(lines) + 1)]
    for n in text_lines:
        l = lines[n - 1]
        if n > descl and l and not l.startswith("  "):
            break
        for w in re.findall(r"[A-Za-z]+", l):
            if w.lower() in MISSPELLINGS:
                F.append(("spelling", n))
    # tactics / techniques
    tl = next(n for n, l in enumerate(lines, 1) if l.startswith("tactics:"))
    if isinstance(doc["tactics"], str):
        F.append(("scalar-tactics", tl))
        tactics = [doc["tactics"]]
    else:
        tactics = doc["tactics"]
    tech_lines = {l[2:].strip(): n for n, l in enumerate(lines, 1) if l.startswith("- T")}
    for t in tactics:
        if t not in SENTINEL_TACTICS:
            F.append(("attack-mapping", next(n for n, l in enumerate(lines, 1) if l == f"- {t}")))
    if techniques:
        listed = {SENTINEL_TACTICS[t] for t in tactics if t in SENTINEL_TACTICS}
        for tid in doc["relevantTechniques"]:
            if tid not in techniques:
                F.append(("attack-mapping", tech_lines[tid]))
            elif listed and not (techniques[tid] & listed):
                F.append(("attack-mapping", tech_lines[tid]))
    # query analysis
    q = query_block(lines)
    code = [(n, re.sub(r"^((?:[^'/]|'[^']*'|/(?!/))*)//.*$", r"\1", l)) for n, l in q]
    qtext = "\n".join(l for _, l in code)
    unquoted = [(n, re.sub(r"@?'[^']*'", "''", l)) for n, l in code]
    dtypes = doc["requiredDataConnectors"][0]["dataTypes"]
    used_tables = {}
    for n, l in unquoted:
        for m in re.finditer(r"\b([A-Z][A-Za-z]+(?:Events?|Info|Inventory|Evidence|Event))\b", l):
            name = m.group(1)
            if name in tables or re.fullmatch(r"(Device|Email|Identity|Cloud|Alert)\w+", name):
                used_tables.setdefault(name, n)
    for name, n in used_tables.items():
        if name not in tables:
            F.append(("unknown-table", n))
        elif name not in dtypes:
            F.append(("connector-mismatch", n))
    cascade = any(t not in tables for t in used_tables)  # unknown table: don't double-report
    for t in dtypes:
        if t not in used_tables and not cascade:
            F.append(("connector-mismatch", next(n for n, l in enumerate(lines, 1) if l == f"  - {t}")))
    # lets
    lets = {}
    for n, l in unquoted:
        m = re.match(r"\s*let\s+(\w+)\s*=", l)
        if m:
            lets[m.group(1)] = n
    for name, n in lets.items():
        uses = sum(len(re.findall(r"\b%s\b" % name, l)) for _, l in unquoted)
        if uses < 2:
            F.append(("unused-let", n))
    # columns / undefined names
    cols = {}
    for t in used_tables:
        cols.update(tables.get(t, {}))
    defined = set(lets) | set(cols)
    for _, l in unquoted:
        # datatable(Name:type, ...) declares columns
        for dt in re.finditer(r"datatable\s*\(([^)]*)\)", l):
            defined |= set(re.findall(r"(\w+)\s*:", dt.group(1)))
        defined |= set(re.findall(r"\b([A-Za-z_]\w*)\s*=(?!=|~)", l))
        defined |= set(re.findall(r"\bwith\s+\*\s+''\s+(\w+)", l))
    if any(t in tables for t in used_tables):
        for n, l in unquoted:
            if re.match(r"\s*let\s", l) and "=" in l and not re.search(r"=\s*$", l) and "|" not in l:
                rhs = l.split("=", 1)[1]
            else:
                rhs = l
            for m in re.finditer(r"(?<![\w.$])([A-Za-z_]\w*)\b(?!\s*\()", rhs):
                w = m.group(1)
                if w in KQL_WORDS or w in defined or w.lower() in KQL_WORDS:
                    continue
                if re.fullmatch(r"\d+\w*", w) or w in tables:
                    continue
                if re.search(r"[.:]\s*$", rhs[:m.start()]):
                    continue  # a member, or a column type in a schema
                # close to a real column (typo / wrong case / column of another
                # table) -> unknown-column; otherwise a name nobody defined.
                all_cols = {c for t in tables.values() for c in t}
                near = difflib.get_close_matches(w, list(cols), n=1, cutoff=0.8)
                if w in all_cols or any(w.lower() == c.lower() for c in cols) or near:
                    F.append(("unknown-column", n))
                else:
                    F.append(("undefined-name", n))
    # operator-type: string operator on non-string column
    for n, l in unquoted:
        for m in re.finditer(r"\b(\w+)\s+(has|has_any|contains|startswith|endswith|has_cs|contains_cs)\b", l):
            c = m.group(1)
            if c in cols and cols[c] not in ("string", "dynamic"):
                F.append(("operator-type", n))
    # has-term shape, lists, signers, domains
    for n, l in code:
        for m in re.finditer(r"\bhas\s+'([^']*)'", l):
            v = m.group(1)
            if len(v) < 3 or "*" in v:
                F.append(("non-term-has", n))
        m = re.search(r"\bSigner\s+has\s+'([^']*)'", l)
        if m and m.group(1).lower() in BARE_SIGNERS:
            F.append(("overbroad-signer", n))
    for m in re.finditer(r"\b(\w+)\s+(has_any|in~|in|!in~)\s*\(([^()]*)\)", qtext, re.S):
        col, op, body = m.groups()
        start = qtext[:m.start(3)].count("\n")
        vals = [(start + body[:v.start()].count("\n"), v.group(1)) for v in re.finditer(r"'([^']*)'", body)]
        seen = set()
        ci = op in ("has_any", "in~", "!in~")
        for off, v in vals:
            k = v.lower() if ci else v
            if k in seen:
                F.append(("duplicate-list-value", code[off][0]))
            seen.add(k)
        if col == "RemoteUrl":
            doms = [v for _, v in vals]
            for off, v in vals:
                # redundant: another entry p matches every value v matches, by KQL's
                # `has` phrase rule (p occurs in v on term boundaries)
                bad = (re.search(r"\s", v) or "://" in v or "/" in v or "." not in v
                       or any(v.lower() != p.lower() and "." in p and re.search(
                           r"(?<![0-9a-z])" + re.escape(p.lower()) + r"(?![0-9a-z])", v.lower())
                           for p in doms))
                if bad:
                    F.append(("indicator-shape", code[off][0]))
    # query-window: time filters that disagree with the declared lookback
    for n, l in code:
        if re.search(r"between\s*\(\s*Time_end\s*\.\.\s*Time_start\s*\)", l):
            F.append(("query-window", n))
    # a declared `lookback` never applied while a literal window is (a join leg with its
    # own window beside an applied lookback is a deliberate shape, not a defect)
    if "lookback" in lets and not re.search(r"ago\(\s*lookback\s*\)", qtext):
        for n, l in code:
            if re.search(r"ago\(\s*\d+[dhm]\s*\)", l):
                F.append(("query-window", n))
    # title-filter-mismatch
    name = doc["name"]
    m = re.search(r"tool - (.+?) - ", name)
    if m:
        tool = m.group(1).split()[0].lower()
        vendors = re.findall(r"(?:Signer|CompanyName)\s+has\s+'([^']*)'", qtext)
        strings = re.findall(r"'([^']*)'", qtext)
        names_tool = any(tool[:4] in v.lower() for v in strings)
        if vendors and not names_tool and not any(tool[:4] in v.lower() for v in vendors):
            known = {"pulseway": "mmsoft", "ninjaone": "ninjarmm", "rustdesk": "purslane",
                     "tacticalrmm": "amidaware", "supremo": "nanosystems", "syncro": "servably",
                     "radmin": "famatech", "ammyyadmin": "ammyy", "n-able": "n-able",
                     "remote": "microsoft", "screenconnect": "connectwise", "zohoassist": "zoho",
                     "kaseyavsa": "kaseya"}
            alias = known.get(tool)
            if not alias or not any(alias in v.lower() for v in vendors):
                F.append(("title-filter-mismatch",
                          next(n for n, l in code if any(f"'{v}'" in l for v in vendors))))
    return F


def main():
    # The reference facts beside the repository (../shared/reference), as the tests read them.
    ref = os.path.join(os.path.dirname(os.path.dirname(HERE)), "..", "shared", "reference")
    if "--reference" in sys.argv:
        ref = sys.argv[sys.argv.index("--reference") + 1]
    tables, techniques = load_reference(ref if os.path.isdir(ref) else None)
    man = tomllib.load(open(os.path.join(HERE, "expected.toml"), "rb"))
    errors = []
    files = sorted(os.path.relpath(p, CAT) for p in glob.glob(os.path.join(CAT, "**", "*.yaml"), recursive=True))
    texts = {f: open(os.path.join(CAT, f), encoding="utf-8", newline="").read() for f in files}
    clean = set(man["clean"])
    planted = defaultdict(list)
    for d in man["defect"]:
        planted[d["file"]].append(d)
    for f in files:
        if (f in clean) == bool(planted.get(f)):
            errors.append(f"{f}: must be either clean or planted (clean={f in clean}, defects={len(planted.get(f, []))})")
    for f in list(clean) + list(planted):
        if f not in texts:
            errors.append(f"{f}: listed in manifest but missing")
    # 1. anchors
    for d in man["defect"]:
        f, line = d["file"], d["line"]
        if f not in texts:
            continue
        lines = texts[f].split("\n")
        l = lines[line - 1] if 0 < line <= len(lines) else None
        m = re.search(r"`([^`]+)`", d["note"])
        if l is None or not m or m.group(1) not in l:
            errors.append(f"{f}:{line} [{d['lint']}] anchor {m.group(1) if m else None!r} not on line: {l!r}")
    # cross-file duplicate lints
    ids, names, bodies = defaultdict(list), defaultdict(list), defaultdict(list)
    import yaml
    for f, t in texts.items():
        doc = yaml.safe_load(t)
        ids[doc["id"]].append(f)
        names[doc["name"]].append(f)
        bodies[t].append(f)
    ref_findings = defaultdict(set)
    for group, lint in ((ids, "duplicate-id"), (names, "duplicate-name")):
        for k, fs in group.items():
            if len(fs) > 1:
                distinct = len({texts[f] for f in fs}) > 1
                if distinct:
                    for f in fs:
                        key = "id:" if lint == "duplicate-id" else "name:"
                        n = next(i for i, l in enumerate(texts[f].split("\n"), 1) if l.startswith(key))
                        ref_findings[f].add((lint, n))
    for t, fs in bodies.items():
        if len(fs) > 1:
            for f in fs:
                ref_findings[f].add(("duplicate-rule", 1))
    # 3. reference linter
    implemented = {"final-newline", "ascii-only", "trailing-whitespace", "tab-indent",
                   "placeholder-text", "invalid-id", "spelling", "scalar-tactics", "attack-mapping",
                   "unknown-table", "connector-mismatch", "unused-let", "undefined-name",
                   "unknown-column", "operator-type", "non-term-has", "overbroad-signer",
                   "duplicate-list-value", "indicator-shape", "query-window",
                   "title-filter-mismatch", "duplicate-id", "duplicate-name", "duplicate-rule"}
    for f, t in texts.items():
        for lint, n in lint_file(f, t, tables, techniques):
            ref_findings[f].add((lint, n))
    for f in files:
        # lints the reference linter does not implement (the knowledge-file lints) are
        # checked by rulecat's own tests/precision.rs only
        exp = {(d["lint"], d["line"]) for d in planted.get(f, []) if d["lint"] in implemented}
        got = {x for x in ref_findings[f] if x[0] in implemented}
        if exp != got:
            errors.append(f"{f}: manifest {sorted(exp)} != reference linter {sorted(got)}")
    for e in errors:
        print("ERROR", e)
    print(f"{len(files)} files, {len(clean)} clean, {len(man['defect'])} planted defects, {len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
