// parse-bicep.mjs parses every .bicep file under infra/ with the tree-sitter
// Bicep grammar and exits non-zero, naming each ERROR or MISSING node by
// file:line:column, if any file does not parse. It stands in for
// `bicep build`, which cannot be installed on our machines; it proves syntax,
// not that Azure accepts the resources.
//
// Usage: node parse-bicep.mjs [root]   (root defaults to the infra folder)

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { Parser, Language } from 'web-tree-sitter';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const root = resolve(process.argv[2] ?? join(here, '..'));

// The grammar ships a prebuilt WebAssembly parser, so no native build runs.
const wasm = join(dirname(require.resolve('tree-sitter-bicep/package.json')), 'tree-sitter-bicep.wasm');

function bicepFiles(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...bicepFiles(p));
    else if (e.isFile() && e.name.endsWith('.bicep')) out.push(p);
  }
  return out.sort();
}

function problems(node, out) {
  if (node.isError || node.isMissing) {
    const kind = node.isMissing ? `MISSING ${node.type}` : 'ERROR';
    out.push({ row: node.startPosition.row + 1, col: node.startPosition.column + 1, kind, text: node.text.slice(0, 60) });
    if (node.isError) return; // its children only repeat the same fault
  }
  if (!node.hasError && !node.isMissing) return;
  for (const child of node.children) problems(child, out);
}

await Parser.init();
const parser = new Parser();
parser.setLanguage(await Language.load(wasm));

const files = bicepFiles(root);
if (files.length === 0) {
  console.error(`no .bicep files under ${root}`);
  process.exit(2);
}
let failed = 0;
for (const f of files) {
  const tree = parser.parse(readFileSync(f, 'utf8'));
  const found = [];
  problems(tree.rootNode, found);
  const name = relative(process.cwd(), f);
  if (found.length === 0) {
    console.log(`ok   ${name}`);
    continue;
  }
  failed++;
  for (const p of found) console.log(`FAIL ${name}:${p.row}:${p.col}: ${p.kind} near ${JSON.stringify(p.text)}`);
}
console.log(`${files.length - failed}/${files.length} Bicep files parse`);
process.exit(failed ? 1 : 0);
