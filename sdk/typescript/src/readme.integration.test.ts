// README.md's "From TypeScript" example, run as written against a test server: only the vault's
// address and the API's host are swapped for the test's, and its environment (ALTER_API_KEY,
// GRANT_ID) is the test's key and a managed secret's grant.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { startTestApp, TestApp } from '../../../api-server/src/testing/app';
import { HttpsUpstream, startHttpsUpstream } from '../../../api-server/src/testing/https-upstream';
import * as sdk from './index';

/** The first fenced block of `lang` after `heading` in a markdown file. */
function exampleAfter(file: string, heading: string, lang: string): string {
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no "${heading}" in ${file}`);
  const block = new RegExp('```' + lang + '\\n([\\s\\S]*?)\\n```').exec(text.slice(start));
  if (!block) throw new Error(`no \`\`\`${lang} block after "${heading}" in ${file}`);
  return block[1]!;
}

const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...args: unknown[]) => Promise<void>;

describe('README.md: From TypeScript', () => {
  let t: TestApp;
  let upstream: HttpsUpstream;
  beforeAll(async () => {
    upstream = await startHttpsUpstream();
    t = await startTestApp({ env: { ALTER_ALLOWED_RETURN_ORIGINS: 'https://app.example.com' } });
  });
  afterAll(async () => {
    await t?.stop();
    await upstream?.close();
  });

  it('runs as written: a connect link, a call with the grant’s credential injected, token mode', async () => {
    const admin = new sdk.Vault({ baseUrl: t.url, apiKey: t.bootstrapKey });
    await admin.providers.put('github', { template: 'github', clientId: 'readme-client', clientSecret: 'readme-client-secret' });
    const { grantId } = await admin.secrets.create({ name: 'readme', type: 'bearer', value: 'readme-secret-value', allowedHosts: [upstream.host] });

    const example = exampleAfter(path.join(__dirname, '../../../README.md'), '## From TypeScript', 'ts');
    expect(example).toContain("'http://127.0.0.1:8080'");
    expect(example).toContain("'https://api.github.com/");
    const source = example.replace("'http://127.0.0.1:8080'", JSON.stringify(t.url)).replaceAll("'https://api.github.com/", `'${upstream.url}/echo/`);
    const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 }, reportDiagnostics: false });

    const logged: unknown[][] = [];
    const modules: Record<string, unknown> = { '@alter-vault/sdk': sdk };
    const run = new AsyncFunction('require', 'exports', 'process', 'console', outputText);
    await run(
      (name: string) => {
        if (!(name in modules)) throw new Error(`the example imports ${name}`);
        return modules[name];
      },
      {},
      { env: { ALTER_API_KEY: t.bootstrapKey, GRANT_ID: grantId } },
      { log: (...args: unknown[]) => logged.push(args) },
    );

    expect(logged).toHaveLength(2);
    expect(logged[0]).toEqual(['connect at', expect.stringMatching(new RegExp(`^${t.url}/connect/avc_`))]);
    const [status, echoed] = logged[1] as [number, { path: string; headers: Record<string, string> }];
    expect(status).toBe(200);
    expect(echoed.path).toBe('/echo/user');
    expect(echoed.headers.authorization).toBe('Bearer readme-secret-value');
    const [event] = (await admin.audit.list({ grant: grantId, action: 'proxy', limit: 1 })).events;
    expect(event).toMatchObject({ reason: 'show profile', context: { runId: 'run-42' } });
  });
});
