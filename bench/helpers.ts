// What the in-process benchmarks (refresh.ts, policy.ts) share: helper processes, admin
// queries on the test Postgres, percentiles.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';

const REGISTER = path.join(__dirname, 'ts-register.js');
const children: ChildProcess[] = [];

/** Starts a bench/*.ts helper process and answers the port it prints. */
export async function startHelper(file: string, args: string[]): Promise<number> {
  const child = spawn(process.execPath, ['-r', REGISTER, path.join(__dirname, file), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString('utf8').trim())));
    child.once('exit', (code) => reject(new Error(`${file} exited (${code}) before it printed its port`)));
  });
}

export function stopHelpers(): void {
  for (const child of children.splice(0)) child.kill('SIGTERM');
}

export async function adminQuery<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

/** The p-th percentile of ascending values (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
