// bench/RESULTS.md is shared: run.ts writes its head, and each other benchmark owns one
// "## ..." section, which it replaces (or appends), leaving the others as they are.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const RESULTS_FILE = path.resolve(__dirname, 'RESULTS.md');

/** Replaces the section that starts with `heading` (up to the next `## `) by `section`, or appends it. */
export function replaceSection(heading: string, section: string): void {
  const text = existsSync(RESULTS_FILE) ? readFileSync(RESULTS_FILE, 'utf8') : '# Benchmark results\n';
  const at = text.indexOf(`\n${heading}\n`);
  if (at < 0) return writeFileSync(RESULTS_FILE, `${text.trimEnd()}\n\n${section}`);
  const next = text.indexOf('\n## ', at + 1);
  const rest = next < 0 ? '' : `\n${text.slice(next + 1)}`;
  writeFileSync(RESULTS_FILE, `${text.slice(0, at).trimEnd()}\n\n${section}${rest}`);
}
