#!/usr/bin/env node
// The `alter-vault` binary: wires cli.ts to the process (arguments, streams, environment).
import { createInterface } from 'node:readline/promises';
import { runCli } from './cli';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function readLine(): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
  try {
    return await rl.question('');
  } finally {
    rl.close();
  }
}

const interrupted = new AbortController();
process.once('SIGINT', () => interrupted.abort());

runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin,
  readLine,
  stdinIsTTY: Boolean(process.stdin.isTTY),
  env: process.env,
  signal: interrupted.signal,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`alter-vault: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
