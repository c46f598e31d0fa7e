// validate-many.mjs runs CMS's own validator (@cmsgov/hpt-validator, from
// this folder's lockfile) over many price files in ONE process, because
// starting Node costs about half a second per file.
//
// Input: a JSON array of jobs on stdin, [{"path": "...", "version": "2.2.0"}],
// or, as arguments, "path" or "path=version" pairs. A job without a version
// is validated as 3.0.0. Output: one JSON line per job, in order:
//
//   {"path", "version", "format": "csv"|"json", "valid",
//    "errors": [{"row", "column", "path", "message"}], "alerts": [...],
//    "crash": "..." (only when the validator threw)}
//
// row is normalised so it can be compared with functions/mrf's Problem.Row:
// CSV: the 1-based record number CMS prints in its cell name ("C5" -> 5),
// 0 when the error names no row; JSON: the 1-based index of the
// standard_charge_information item ("/standard_charge_information/3/..." ->
// 4), 0 for the file as a whole.
import { createReadStream, readFileSync } from "node:fs";
import { CsvValidator, JsonValidator } from "@cmsgov/hpt-validator";

function readJobs() {
  const args = process.argv.slice(2);
  if (args.length > 0) {
    return args.map((a) => {
      const i = a.lastIndexOf("=");
      return i > 0 ? { path: a.slice(0, i), version: a.slice(i + 1) } : { path: a };
    });
  }
  return JSON.parse(readFileSync(0, "utf8"));
}

// isJson decides the format by content, as functions/mrf does: JSON starts
// with "{" after an optional byte-order mark and white space.
function isJson(path) {
  const head = readFileSync(path, { encoding: "utf8", flag: "r" }).slice(0, 4096);
  return /^\uFEFF?\s*\{/.test(head);
}

function csvCell(p) {
  const m = /^([A-Z]*)(?:row )?(\d+)$/.exec(p ?? "");
  if (!m) return { row: 0, column: "" };
  return { row: Number(m[2]), column: m[1] };
}

function jsonCell(p) {
  const m = /^\/standard_charge_information\/(\d+)(\/.*)?$/.exec(p ?? "");
  if (!m) return { row: 0, column: p ?? "" };
  return { row: Number(m[1]) + 1, column: m[2] ?? "" };
}

function convert(list, json) {
  return (list ?? []).map((e) => {
    const cell = json ? jsonCell(e.path) : csvCell(e.path);
    return { row: cell.row, column: cell.column, path: e.path ?? "", message: e.message ?? "" };
  });
}

async function validateOne(job) {
  const version = job.version || "3.0.0";
  const out = { path: job.path, version, format: "", valid: false, errors: [], alerts: [] };
  try {
    const json = isJson(job.path);
    out.format = json ? "json" : "csv";
    // Strings, not Buffers: CMS strips the byte-order mark with trimStart.
    const stream = createReadStream(job.path, { encoding: "utf8" });
    const result = json
      ? await new JsonValidator(version).validate(stream)
      : await new CsvValidator(version).validate(stream);
    stream.destroy();
    out.valid = result.valid;
    out.errors = convert(result.errors, json);
    out.alerts = convert(result.alerts, json);
  } catch (e) {
    out.crash = String(e?.message ?? e);
  }
  return out;
}

for (const job of readJobs()) {
  process.stdout.write(JSON.stringify(await validateOne(job)) + "\n");
}
