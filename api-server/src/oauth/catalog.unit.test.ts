import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CatalogError, type ConnectionParam, fillPlaceholders, loadCatalog } from './catalog';
import { quirks } from './quirks';

const PROVIDERS = join(__dirname, '..', '..', '..', 'providers');

/** A minimal valid oauth2 entry; tests tweak one field at a time. */
function oauthEntry(id: string): Record<string, unknown> {
  return {
    id,
    kind: 'oauth2',
    displayName: 'Example',
    docs: 'https://example.com/docs',
    oauth: {
      issuer: 'https://example.com',
      jwksUri: 'https://example.com/jwks',
      authorizationUrl: 'https://example.com/authorize',
      tokenUrl: 'https://example.com/token',
      userinfoUrl: 'https://example.com/userinfo',
      scopeSeparator: ' ',
      defaultScopes: ['openid'],
      availableScopes: ['openid', 'email'],
      pkce: 'required',
      tokenAuthMethod: 'client_secret_basic',
      refreshTokens: { issued: 'always', rotation: 'never' },
      accessTokenLifetimeSeconds: 3600,
      account: { from: 'id_token', id: 'sub' },
    },
    api: { allowedHosts: ['api.example.com'] },
    sources: Object.fromEntries(
      ['endpoints', 'scopes', 'pkce', 'clientAuth', 'refresh', 'tokenLifetime', 'revocation', 'account', 'apiHosts'].map((k) => [k, 'https://example.com/docs']),
    ),
  };
}

function secretEntry(id: string): Record<string, unknown> {
  return {
    id,
    kind: 'secret',
    displayName: 'Example key',
    docs: 'https://example.com/docs',
    secret: { type: 'header', headerName: 'X-Api-Key' },
    api: { allowedHosts: ['api.example.com', '*.example.net'] },
    sources: { injection: 'https://example.com/docs', apiHosts: 'https://example.com/docs' },
  };
}

type Patch = (e: Record<string, unknown>) => void;
const oauthOf = (e: Record<string, unknown>) => e.oauth as Record<string, unknown>;

let dirs: string[] = [];
/** A catalog directory holding the real schema and the given files (objects become YAML, strings are written as is). */
function catalogDir(files: Record<string, Record<string, unknown> | string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'alter-catalog-'));
  dirs.push(dir);
  copyFileSync(join(PROVIDERS, 'schema.json'), join(dir, 'schema.json'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), typeof content === 'string' ? content : stringify(content));
  return dir;
}

function problemsOf(dir: string): string[] {
  try {
    loadCatalog(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(CatalogError);
    return (err as CatalogError).problems;
  }
  throw new Error('expected the catalog to be refused');
}

afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

describe('the repository catalog (providers/)', () => {
  // This is the CI check of the catalog: every file must load, and the catalog must stay complete.
  it('loads with at least 30 OAuth providers and 20 secret templates', () => {
    const catalog = loadCatalog(PROVIDERS);
    const entries = [...catalog.entries.values()];
    expect(entries.filter((e) => e.kind === 'oauth2').length).toBeGreaterThanOrEqual(30);
    expect(entries.filter((e) => e.kind === 'secret').length).toBeGreaterThanOrEqual(20);
  });

  it('keeps the entries sorted by id and serves each kind through its accessor', () => {
    const catalog = loadCatalog(PROVIDERS);
    const ids = [...catalog.entries.keys()];
    expect(ids).toEqual([...ids].sort());
    expect(catalog.oauth('google')?.kind).toBe('oauth2');
    expect(catalog.secret('openai')?.kind).toBe('secret');
    expect(catalog.oauth('openai')).toBeUndefined();
    expect(catalog.secret('google')).toBeUndefined();
  });
});

describe('quirks', () => {
  it('the schema names exactly the quirk modules there are', () => {
    const schema = JSON.parse(readFileSync(join(__dirname, '../../../providers/schema.json'), 'utf8'));
    expect([...schema.$defs.oauth.properties.quirks.items.enum].sort()).toEqual(Object.keys(quirks).sort());
  });
});

describe('loadCatalog', () => {
  it('loads valid entries, fills the defaults of absent optional fields and freezes the result', () => {
    const catalog = loadCatalog(catalogDir({ 'zeta.yaml': secretEntry('zeta'), 'alpha.yaml': oauthEntry('alpha'), 'README.md': '# not a provider' }));
    expect([...catalog.entries.keys()]).toEqual(['alpha', 'zeta']);
    const alpha = catalog.oauth('alpha')!;
    expect(alpha.connectionParams).toEqual([]);
    expect(alpha.oauth.authorizationParams).toEqual({});
    expect(alpha.oauth.quirks).toEqual([]);
    expect(Object.isFrozen(alpha.oauth.defaultScopes)).toBe(true);
    expect(catalog.secret('zeta')?.secret.headerName).toBe('X-Api-Key');
  });

  it.each<[string, Patch, string]>([
    ['a default scope that is not among the available scopes', (e) => void (oauthOf(e).defaultScopes = ['openid', 'admin']), '/oauth/defaultScopes/1: default scope "admin" is not in availableScopes'],
    ['an issuer without a jwksUri', (e) => void delete oauthOf(e).jwksUri, '/oauth: issuer and jwksUri go together'],
    ['a jwksUri without an issuer', (e) => void (oauthOf(e).account = { from: 'userinfo', id: 'sub' }, delete oauthOf(e).issuer), '/oauth: issuer and jwksUri go together'],
    ['an account read from the id_token without an issuer', (e) => void (delete oauthOf(e).issuer, delete oauthOf(e).jwksUri), '/oauth/account/from: account.from id_token needs oauth.issuer'],
    ['an account read from userinfo without a userinfoUrl', (e) => void (oauthOf(e).account = { from: 'userinfo', id: 'sub' }, delete oauthOf(e).userinfoUrl), '/oauth/account/from: account.from userinfo needs oauth.userinfoUrl'],
    ['a placeholder in an endpoint that is not a connection parameter', (e) => void (oauthOf(e).tokenUrl = 'https://{tenant}.example.com/token'), '/oauth/tokenUrl: placeholder {tenant} is not a declared connectionParam'],
    ['a placeholder in an allowed host that is not a connection parameter', (e) => void (e.api = { allowedHosts: ['{tenant}.example.com'] }), '/api/allowedHosts/0: placeholder {tenant} is not a declared connectionParam'],
    ['an unmatched brace in an endpoint', (e) => void (oauthOf(e).authorizationUrl = 'https://{tenant.example.com/authorize'), '/oauth/authorizationUrl: unmatched brace'],
    ['a connection parameter pattern that does not compile', (e) => void (e.connectionParams = [{ name: 'shop', description: 'd', pattern: '^[a-z$' }]), '/connectionParams/0/pattern: pattern does not compile'],
    ['a default that does not match its pattern', (e) => void (e.connectionParams = [{ name: 'region', description: 'd', pattern: '^[a-z]+$', default: 'EU' }]), '/connectionParams/0/default: default "EU" does not match the pattern'],
  ])('reports %s', (_name, patch, expected) => {
    const entry = oauthEntry('acme');
    patch(entry);
    const problems = problemsOf(catalogDir({ 'acme.yaml': entry }));
    expect(problems).toEqual([expect.stringContaining(`acme.yaml: ${expected}`)]);
  });

  it.each(['.', '/', '@', ':'])('reports a connection parameter pattern that accepts %j, which could change the host', (c) => {
    const entry = oauthEntry('acme');
    entry.connectionParams = [{ name: 'shop', description: 'The shop', pattern: `^[a-z${c === '/' ? '\\/' : c}]+$` }];
    oauthOf(entry).authorizationUrl = 'https://{shop}.example.com/authorize';
    const problems = problemsOf(catalogDir({ 'acme.yaml': entry }));
    expect(problems).toEqual([expect.stringMatching(/^acme\.yaml: \/connectionParams\/0\/pattern: pattern must reject '\.', '\/', '@', ':'.* so a value cannot change the host; it matches /)]);
  });

  it('reports a negated-class pattern that lets a dot look-alike through (IDNA maps U+FF0E to a dot)', () => {
    const entry = oauthEntry('acme');
    entry.connectionParams = [{ name: 'shop', description: 'The shop', pattern: '^[^./@:#?%\\\\\\s]+$' }];
    expect(problemsOf(catalogDir({ 'acme.yaml': entry }))).toEqual([expect.stringContaining('/connectionParams/0/pattern: pattern must reject')]);
  });

  it('reports an alternation that is not anchored as a whole (it still matches host-changing values)', () => {
    const entry = oauthEntry('acme');
    entry.connectionParams = [{ name: 'shop', description: 'The shop', pattern: '^[a-z]+|x$' }];
    expect(problemsOf(catalogDir({ 'acme.yaml': entry }))).toEqual([expect.stringContaining('/connectionParams/0/pattern: pattern must reject')]);
  });

  it('reports an id that differs from the file name, and a duplicate id', () => {
    const problems = problemsOf(catalogDir({ 'acme.yaml': secretEntry('acme'), 'other.yaml': secretEntry('acme') }));
    expect(problems).toEqual([
      'other.yaml: /id: id "acme" must equal the file name ("other")',
      'other.yaml: /id: duplicate id "acme" (also in acme.yaml)',
    ]);
  });

  it('names the file and the position of a YAML syntax error', () => {
    const problems = problemsOf(catalogDir({ 'broken.yaml': 'id: broken\nkind: [secret\n', 'fine.yaml': secretEntry('fine') }));
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) expect(p).toMatch(/^broken\.yaml: \/: YAML [A-Z_]+: .*line \d+, column \d+/);
  });

  it('refuses duplicate keys in a file', () => {
    const problems = problemsOf(catalogDir({ 'dup.yaml': `${stringify(secretEntry('dup'))}id: dup\n` }));
    expect(problems).toEqual([expect.stringMatching(/^dup\.yaml: \/: YAML DUPLICATE_KEY: /)]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['at the top level', { ...secretEntry('acme'), owner: 'me' }, '/: unknown field "owner"'],
    ['in the secret block', { ...secretEntry('acme'), secret: { type: 'bearer', prefix: 'Token' } }, '/secret: unknown field "prefix"'],
    ['in the api block', { ...secretEntry('acme'), api: { allowedHosts: ['api.example.com'], baseUrl: 'https://api.example.com' } }, '/api: unknown field "baseUrl"'],
    ['in sources', { ...secretEntry('acme'), sources: { injection: 'https://example.com', apiHosts: 'https://example.com', pricing: 'https://example.com' } }, '/sources: unknown key "pricing"'],
    ['in the oauth block', { ...oauthEntry('acme'), oauth: { ...oauthOf(oauthEntry('acme')), clientId: 'abc' } }, '/oauth: unknown field "clientId"'],
    ['in a connection parameter', { ...oauthEntry('acme'), connectionParams: [{ name: 'shop', description: 'd', pattern: '^[a-z]+$', example: 'acme' }] }, '/connectionParams/0: unknown field "example"'],
    ['from the other kind (an oauth block on a secret template)', { ...secretEntry('acme'), oauth: oauthOf(oauthEntry('x')) }, '/: unknown field "oauth"'],
    ['from the other kind (connection parameters on a secret template)', { ...secretEntry('acme'), connectionParams: [] }, '/: unknown field "connectionParams"'],
  ])('refuses an unknown field %s', (_where, entry, expected) => {
    expect(problemsOf(catalogDir({ 'acme.yaml': entry }))).toEqual([`acme.yaml: ${expected}`]);
  });

  it('reports schema violations against the branch the kind selects, not both branches', () => {
    const entry = secretEntry('acme');
    entry.secret = { type: 'header' };
    expect(problemsOf(catalogDir({ 'acme.yaml': entry }))).toEqual(["acme.yaml: /secret: must have required property 'headerName'"]);
  });

  it('reports every problem of every file at once', () => {
    const badScopes = oauthEntry('one');
    oauthOf(badScopes).defaultScopes = ['nope'];
    delete oauthOf(badScopes).jwksUri;
    const badSecret = secretEntry('two');
    badSecret.secret = { type: 'query' };
    badSecret.extra = true;
    const problems = problemsOf(
      catalogDir({ 'one.yaml': badScopes, 'two.yaml': badSecret, 'three.yaml': secretEntry('wrong-id'), 'four.yaml': 'id: [', 'five.yaml': secretEntry('five') }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('one.yaml: /oauth/defaultScopes/0'),
        expect.stringContaining('one.yaml: /oauth: issuer and jwksUri'),
        expect.stringContaining("two.yaml: /secret: must have required property 'paramName'"),
        expect.stringContaining('two.yaml: /: unknown field "extra"'),
        expect.stringContaining('three.yaml: /id:'),
        expect.stringContaining('four.yaml: /: YAML'),
      ]),
    );
    expect(problems.some((p) => p.startsWith('five.yaml'))).toBe(false);
  });

  it('puts every problem in the error message', () => {
    const dir = catalogDir({ 'a.yaml': secretEntry('x'), 'b.yaml': 'id: [' });
    expect(() => loadCatalog(dir)).toThrow(/provider catalog is invalid \(\d+ problems\):\n {2}- a\.yaml: .*\n {2}- b\.yaml: /);
  });

  it('reports a file with the .yml extension, which would otherwise be ignored', () => {
    expect(problemsOf(catalogDir({ 'acme.yml': secretEntry('acme') }))).toEqual([expect.stringContaining('acme.yml: /: catalog files must end in .yaml')]);
  });

  it('refuses a directory without schema.json, and a directory that does not exist', () => {
    const dir = mkdtempSync(join(tmpdir(), 'alter-catalog-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'sub'));
    expect(problemsOf(dir)).toEqual([expect.stringMatching(/^schema\.json: \/: cannot read the catalog schema/)]);
    expect(problemsOf(join(dir, 'missing'))).toEqual([expect.stringContaining('cannot read the catalog directory')]);
  });
});

describe('fillPlaceholders', () => {
  const shop: ConnectionParam = { name: 'shop', description: "The store's subdomain", pattern: '^[a-z0-9][a-z0-9-]*$' };
  const region: ConnectionParam = { name: 'region', description: 'The data region', pattern: '^(us|eu)$', default: 'us' };

  it('fills every placeholder from the values', () => {
    expect(fillPlaceholders('https://{shop}.myshopify.com/admin/{shop}', [shop], { shop: 'acme-store' })).toBe('https://acme-store.myshopify.com/admin/acme-store');
    expect(fillPlaceholders('{shop}.myshopify.com', [shop], { shop: 'acme' })).toBe('acme.myshopify.com');
  });

  it('falls back to the default, and prefers a given value', () => {
    expect(fillPlaceholders('https://api.{region}.example.com', [region], {})).toBe('https://api.us.example.com');
    expect(fillPlaceholders('https://api.{region}.example.com', [region], { region: 'eu' })).toBe('https://api.eu.example.com');
  });

  it('leaves a template without placeholders unchanged', () => {
    expect(fillPlaceholders('https://example.com/token', [], {})).toBe('https://example.com/token');
  });

  it.each(['evil.com/x', 'evil.com', 'acme.evil.com#', 'user@evil', 'evil:443', 'ACME', ''])('refuses the shop value %j', (value) => {
    expect(() => fillPlaceholders('https://{shop}.myshopify.com/admin', [shop], { shop: value })).toThrow(new TypeError(`connection parameter shop must match ${shop.pattern}; got ${JSON.stringify(value)}`));
  });

  it('refuses a host-changing value even when a careless pattern would accept it', () => {
    const careless: ConnectionParam = { name: 'shop', description: 'd', pattern: '^.+$' };
    expect(() => fillPlaceholders('https://{shop}.myshopify.com', [careless], { shop: 'evil.com/x' })).toThrow(/must not contain/);
    expect(() => fillPlaceholders('https://{shop}.myshopify.com', [careless], { shop: 'localhost#' })).toThrow(/must not contain/);
    expect(() => fillPlaceholders('https://{shop}.myshopify.com', [careless], { shop: 'evil\uff0ecom' })).toThrow(/must not contain/);
  });

  it('refuses a missing value that has no default', () => {
    expect(() => fillPlaceholders('https://{shop}.myshopify.com', [shop], {})).toThrow(new TypeError("connection parameter shop is required (The store's subdomain)"));
  });

  it('refuses a placeholder that is not declared', () => {
    expect(() => fillPlaceholders('https://{tenant}.example.com', [shop], { tenant: 'acme' })).toThrow(
      new TypeError('placeholder {tenant} in "https://{tenant}.example.com" is not a declared connection parameter'),
    );
  });

  it('does not read placeholder values from the prototype chain', () => {
    const param: ConnectionParam = { name: 'constructor', description: 'd', pattern: '^[a-z]+$' };
    expect(() => fillPlaceholders('https://{constructor}.example.com', [param], {})).toThrow(/is required/);
  });

  it('refuses an unmatched brace', () => {
    expect(() => fillPlaceholders('https://{shop.example.com', [shop], { shop: 'acme' })).toThrow(/unmatched '\{'/);
  });
});
