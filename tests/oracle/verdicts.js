#!/usr/bin/env node
// Kusto.Language syntax oracle for rulecat's differential KQL test.
//
// Usage:
//   node tests/oracle/verdicts.js FILE_OR_DIR...        (dirs: their *.kql files, sorted by name)
//   node tests/oracle/verdicts.js --files-from LIST     (LIST: one path per line)
//   echo 'T | where' | node tests/oracle/verdicts.js -  (one query from stdin, reported as "-")
//
// Prints one JSON object per input file, in input order:
//   {"file": "<path as given>", "ok": bool,
//    "errors": [{"start": <UTF-8 byte offset>, "len": <UTF-8 byte length>, "message": "..."}]}
//
// Only SYNTAX diagnostics of severity Error are reported (KustoCode.Parse +
// GetSyntaxDiagnostics: no semantic analysis, so unknown tables, columns and
// functions are never errors). Errors are sorted by start offset (stable), so
// errors[0] is the first syntax error in the text.
// Kusto reports offsets in UTF-16 code units; they are converted to UTF-8 byte
// offsets so they compare directly with rulecat's byte spans.
'use strict';

const fs = require('fs');
const path = require('path');

// The package is a Bridge.NET transpilation of the C# Kusto.Language library:
// bridge.js defines the `Bridge` runtime (as a global), then
// Kusto.Language.Bridge.js registers the `Kusto.Language` namespace globally.
require('@kusto/language-service-next/bridge.min.js');
require('@kusto/language-service-next/Kusto.Language.Bridge.min.js');
/* global Kusto */
const K = Kusto.Language;

function usage(msg) {
  if (msg) process.stderr.write(`verdicts.js: ${msg}\n`);
  process.stderr.write('usage: node verdicts.js FILE_OR_DIR... | --files-from LIST | -\n');
  process.exit(2);
}

function collectInputs(argv) {
  const out = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--files-from') {
      const list = argv[++i];
      if (list === undefined) usage('--files-from needs a path');
      for (const line of fs.readFileSync(list, 'utf8').split(/\r?\n/)) {
        if (line.trim() !== '') out.push(line);
      }
    } else if (a === '-') {
      out.push('-');
    } else if (a === '-h' || a === '--help') {
      usage();
    } else if (fs.statSync(a).isDirectory()) {
      const names = fs.readdirSync(a).filter((n) => n.endsWith('.kql')).sort();
      for (const n of names) out.push(path.join(a, n));
    } else {
      out.push(a);
    }
  }
  return out;
}

// Byte length of text[0..utf16Offset) in UTF-8. Offsets are clamped to the text.
function utf8Offset(text, utf16Offset) {
  const o = Math.max(0, Math.min(utf16Offset, text.length));
  return Buffer.byteLength(text.slice(0, o), 'utf8');
}

function verdict(text) {
  const code = K.KustoCode.Parse(text);
  const diags = code.GetSyntaxDiagnostics();
  const errors = [];
  for (let i = 0; i < diags.Count; i++) {
    const d = diags.getItem(i);
    if (String(d.Severity) !== 'Error') continue;
    const start = utf8Offset(text, d.Start);
    const end = utf8Offset(text, d.Start + d.Length);
    errors.push({ start, len: end - start, message: String(d.Message) });
  }
  // Stable sort by position (Array.prototype.sort is stable in node >= 12).
  errors.sort((a, b) => a.start - b.start);
  return { ok: errors.length === 0, errors };
}

function main() {
  const inputs = collectInputs(process.argv.slice(2));
  if (inputs.length === 0) usage('no input files');
  const lines = [];
  for (const file of inputs) {
    const text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
    const v = verdict(text);
    lines.push(JSON.stringify({ file, ok: v.ok, errors: v.errors }));
  }
  process.stdout.write(lines.join('\n') + '\n');
}

main();
