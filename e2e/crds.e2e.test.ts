// The CRDs (crds/*.yaml) against a real kube-apiserver: they install and become Established, the
// examples apply and list under the alter-vault category, `kubectl explain` teaches the API, invalid
// objects are refused with the readable message of the rule they break, and status is a subresource
// whose writes leave metadata.generation alone. No operator runs here: this is the API alone.
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TEST_ENV_DIR } from '../testenv/env';
import { type Agent, agentResource, API_VERSION, type Condition, GROUP, type ManagedSecret, managedSecretResource, type Provider, providerResource } from '../operator/src/generated/crds';
import { REPO_ROOT } from './harness/config';
import { ControlPlane, startControlPlane } from './harness/control-plane';

const CRD_DIR = path.join(REPO_ROOT, 'crds');
const NS = 'crds-e2e';
const CRDS = [providerResource, agentResource, managedSecretResource].map((r) => `customresourcedefinitions/${r.plural}.${GROUP}`);

let cp: ControlPlane;

beforeAll(async () => {
  const logs = path.join(TEST_ENV_DIR, 'e2e');
  mkdirSync(logs, { recursive: true });
  cp = await startControlPlane({ dir: mkdtempSync(path.join(logs, 'control-plane-')) });
  const files = readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml')).sort();
  await cp.kubectl(['apply', '--server-side', ...files.flatMap((f) => ['-f', path.join(CRD_DIR, f)])]);
  await cp.kubectl(['wait', '--for=condition=Established', '--timeout=60s', ...CRDS]);
  await cp.kubectl(['create', 'namespace', NS]);
});

afterAll(async () => {
  await cp?.stop();
});

/** Creates (or with dryRun, only admits) an object in NS with strict field validation. */
function create(obj: object, { dryRun = false } = {}): Promise<string> {
  const args = ['create', '--validate=strict', '-n', NS, '-f', '-', '-o', 'name'];
  return cp.kubectl(dryRun ? [...args, '--dry-run=server'] : args, { input: JSON.stringify(obj) });
}

/** Polls fn until it resolves, failing with its last error at the deadline. */
async function eventually<T>(what: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`, { cause: err });
    }
    await sleep(250);
  }
}

const get = async <T>(resource: string): Promise<T> => JSON.parse(await cp.kubectl(['get', resource, '-n', NS, '-o', 'json'])) as T;

// The default case of each kind; the cases below are named tweaks of it.
const provider = (spec: Partial<Provider['spec']> & Record<string, unknown> = {}, name = 'acme-idp'): Provider => ({
  apiVersion: API_VERSION,
  kind: 'Provider',
  metadata: { name },
  spec: { template: 'google', clientId: 'client-1', clientSecretRef: { name: 'google-oauth', key: 'client-secret' }, ...spec },
});
const agent = (spec: Partial<Agent['spec']> & Record<string, unknown> = {}): Agent => ({
  apiVersion: API_VERSION,
  kind: 'Agent',
  metadata: { name: 'bot' },
  spec: { serviceAccountName: 'bot', ...spec },
});
const managedSecret = (spec: Partial<ManagedSecret['spec']> & Record<string, unknown> = {}): ManagedSecret => ({
  apiVersion: API_VERSION,
  kind: 'ManagedSecret',
  metadata: { name: 'api-key' },
  spec: { type: 'bearer', secretRef: { name: 'api-key', key: 'token' }, allowedHosts: ['api.example.com'], ...spec },
});
const endpoints = { authorizationUrl: 'https://idp.example.com/authorize', tokenUrl: 'https://idp.example.com/token' };

test('the examples apply, and `kubectl get alter-vault` lists all three kinds with their columns', async () => {
  await cp.kubectl(['apply', '--validate=strict', '-n', NS, '-f', path.join(CRD_DIR, 'examples')]);

  const table = await cp.kubectl(['get', 'alter-vault', '-n', NS]);
  expect(table).toContain('provider.vault.alterauth.com/google');
  expect(table).toContain('agent.vault.alterauth.com/support-bot');
  expect(table).toContain('managedsecret.vault.alterauth.com/anthropic');
  expect(table).toMatch(/NAME\s+READY\s+REASON\s+TEMPLATE\s+CLIENT ID\s+AGE/);
  expect(table).toMatch(/NAME\s+READY\s+REASON\s+SERVICE ACCOUNT\s+AGE/);
  expect(table).toMatch(/NAME\s+READY\s+REASON\s+TYPE\s+GRANT ID\s+AGE/);
  expect(table).toMatch(/google\s+1234567890-example\.apps\.googleusercontent\.com/);
  // The short names reach the same objects.
  expect((await cp.kubectl(['get', 'avp,ava,avms', '-n', NS, '-o', 'name'])).trim().split('\n')).toEqual([
    'provider.vault.alterauth.com/google',
    'agent.vault.alterauth.com/support-bot',
    'managedsecret.vault.alterauth.com/anthropic',
  ]);
  // Message is a wide column only.
  expect(table).not.toContain('MESSAGE');
  expect(await cp.kubectl(['get', 'avms', '-n', NS, '-o', 'wide'])).toMatch(/GRANT ID\s+MESSAGE\s+AGE/);
});

test('kubectl explain teaches the API from the schema descriptions', async () => {
  // kubectl wraps descriptions to the terminal; compare with the whitespace folded.
  const explain = async (field: string) => (await cp.kubectl(['explain', field])).replace(/\s+/g, ' ');
  // The API server publishes a new CRD's OpenAPI schema shortly after it is Established.
  const explained = await eventually('publication of the CRDs\' OpenAPI schemas', 60_000, () => explain('provider.spec.clientSecretRef'));
  expect(explained).toContain('GROUP: vault.alterauth.com KIND: Provider VERSION: v1alpha1');
  expect(explained).toContain('The Secret in the Provider\'s namespace, and the key in it, that holds the OAuth client secret.');
  expect(explained).toContain('key <string> -required- The key of the Secret\'s data that holds the client secret.');
  expect(await explain('managedsecret.spec.type')).toContain('ENUM: bearer header basic query aws-sigv4');
  expect(await explain('agent.spec.timeWindows.timeZone')).toContain('The IANA time zone the times are in');
});

test('the API server fills in the defaults', async () => {
  await create({ ...agent({ timeWindows: [{ days: ['Sat'], start: '22:00', end: '02:00' }] }), metadata: { name: 'defaults' } });
  const created = await get<Agent>('agent/defaults');
  expect(created.spec.tokenMode).toBe('forbidden');
  expect(created.spec.timeWindows?.[0]?.timeZone).toBe('UTC');
});

test.each([
  ['a provider from a template', provider()],
  ['a provider from an OIDC issuer', provider({ template: undefined, issuer: 'https://idp.example.com', allowedHosts: ['api.example.com'] })],
  ['a provider from explicit endpoints, with a placeholder and a port', provider({ template: undefined, ...endpoints, tokenUrl: 'https://{tenant}.idp.example.com:8443/token?x=1', allowedHosts: ['*.example.com', 'api.example.com:8443'] })],
  ['an agent with every policy parameter', agent({ providers: ['google'], grants: ['8d4e5c3a-1b2f-4c6d-9e0f-123456789abc'], allowedMethods: ['GET', 'POST'], allowedUrls: ['/v1/**'], timeWindows: [{ days: ['Mon'], start: '00:00', end: '23:59', timeZone: 'America/Argentina/Buenos_Aires' }], rateLimit: { requests: 10, perSeconds: 1 }, tokenMode: 'allowed' })],
  ['a header secret', managedSecret({ type: 'header', headerName: 'X-Api-Key' })],
  ['a query secret', managedSecret({ type: 'query', paramName: 'api_key' })],
  ['a basic secret', managedSecret({ type: 'basic', secretRef: { name: 'login', usernameKey: 'username', passwordKey: 'password' } })],
  ['an aws-sigv4 secret with a session token', managedSecret({ type: 'aws-sigv4', region: 'eu-west-1', service: 's3', secretRef: { name: 'aws', accessKeyIdKey: 'AWS_ACCESS_KEY_ID', secretAccessKeyKey: 'AWS_SECRET_ACCESS_KEY', sessionTokenKey: 'AWS_SESSION_TOKEN' } })],
])('admits %s', async (_name, obj) => {
  await expect(create(obj, { dryRun: true })).resolves.toMatch(/^[a-z]+\.vault\.alterauth\.com\//);
});

test.each([
  // Provider
  ['a provider with neither template nor endpoints nor issuer', provider({ template: undefined }),
    'set template (a catalog entry), or issuer (OIDC discovery), or both authorizationUrl and tokenUrl'],
  ['a provider with an authorizationUrl but no tokenUrl', provider({ template: undefined, authorizationUrl: endpoints.authorizationUrl, allowedHosts: ['api.example.com'] }),
    'set template (a catalog entry), or issuer (OIDC discovery), or both authorizationUrl and tokenUrl'],
  ['a provider without a template or allowedHosts', provider({ template: undefined, ...endpoints }),
    'spec.allowedHosts: Required value: allowedHosts is required when no template supplies them'],
  ['a provider without clientSecretRef', provider({ clientSecretRef: undefined }), 'spec.clientSecretRef: Required value'],
  ['a provider with an http endpoint', provider({ tokenUrl: 'http://idp.example.com/token' }), 'spec.tokenUrl: Invalid value: "http://idp.example.com/token": must be an https URL'],
  ['a provider with a bad pkce enum', provider({ pkce: 'sometimes' as never }),
    'spec.pkce: Unsupported value: "sometimes": supported values: "required", "supported", "unsupported"'],
  ['a provider with an allowedHost that is a URL', provider({ allowedHosts: ['https://api.example.com'] }), 'spec.allowedHosts[0]: Invalid value: "https://api.example.com": spec.allowedHosts[0] in body should match'],
  ['a provider with an upper-case template id', provider({ template: 'Google' }), 'spec.template: Invalid value: "Google"'],
  ['a provider whose name has a dot', provider({}, 'acme.idp'), "a Provider's name is its name in the vault"],
  ['a provider with an unknown field', provider({ clientSecret: 'plain-text' }), 'unknown field "spec.clientSecret"'],
  // Agent
  ['an agent with a bad method', agent({ allowedMethods: ['FETCH' as never] }), 'spec.allowedMethods[0]: Unsupported value: "FETCH"'],
  ['an agent with a time without a leading zero', agent({ timeWindows: [{ days: ['Mon'], start: '8:00', end: '18:00' }] }), 'spec.timeWindows[0].start: Invalid value: "8:00"'],
  ['an agent with an empty time window', agent({ timeWindows: [{ days: ['Mon'], start: '08:00', end: '08:00' }] }), 'spec.timeWindows[0]: Invalid value: start and end must differ'],
  ['an agent with a bad day', agent({ timeWindows: [{ days: ['Monday' as never], start: '08:00', end: '18:00' }] }), 'spec.timeWindows[0].days[0]: Unsupported value: "Monday"'],
  ['an agent with a rate limit of zero', agent({ rateLimit: { requests: 0, perSeconds: 60 } }), 'spec.rateLimit.requests: Invalid value: 0: spec.rateLimit.requests in body should be greater than or equal to 1'],
  ['an agent with a grant that is not a UUID', agent({ grants: ['not-a-uuid'] }), 'spec.grants[0]: Invalid value: "not-a-uuid"'],
  ['an agent with a bad token mode', agent({ tokenMode: 'sometimes' as never }), 'spec.tokenMode: Unsupported value: "sometimes": supported values: "allowed", "forbidden"'],
  ['an agent with a URL pattern that is not a path', agent({ allowedUrls: ['https://api.example.com/v1'] }), 'spec.allowedUrls[0]: Invalid value: "https://api.example.com/v1"'],
  ['an agent with an unknown field', agent({ serviceAccount: 'bot' }), 'unknown field "spec.serviceAccount"'],
  // ManagedSecret
  ['a header secret without headerName', managedSecret({ type: 'header' }), 'spec.headerName: Invalid value: headerName is required when type is header, and not allowed otherwise'],
  ['a bearer secret with a headerName', managedSecret({ headerName: 'X-Api-Key' }), 'headerName is required when type is header, and not allowed otherwise'],
  ['a query secret without paramName', managedSecret({ type: 'query' }), 'spec.paramName: Invalid value: paramName is required when type is query, and not allowed otherwise'],
  ['a basic secret with a single key', managedSecret({ type: 'basic', secretRef: { name: 'login', usernameKey: 'username' } }),
    'spec.secretRef: Invalid value: secretRef.usernameKey and secretRef.passwordKey are required when type is basic'],
  ['an aws-sigv4 secret without region and service', managedSecret({ type: 'aws-sigv4', secretRef: { name: 'aws', accessKeyIdKey: 'id', secretAccessKeyKey: 'secret' } }),
    'region and service are required when type is aws-sigv4, and not allowed otherwise'],
  ['an aws-sigv4 secret with a single key', managedSecret({ type: 'aws-sigv4', region: 'eu-west-1', service: 's3' }),
    'secretRef.accessKeyIdKey and secretRef.secretAccessKeyKey (and the optional sessionTokenKey) are required when type is aws-sigv4'],
  ['a header secret on a transport header', managedSecret({ type: 'header', headerName: 'Content-Length' }), 'headerName must not be a header the transport sets'],
  ['a secret of an unknown type', managedSecret({ type: 'aws_sigv4' as never }), 'spec.type: Unsupported value: "aws_sigv4"'],
  ['a secret without allowedHosts', managedSecret({ allowedHosts: [] }), 'spec.allowedHosts: Invalid value: 0: spec.allowedHosts in body should have at least 1 items'],
  ['a secret with a wildcard in the middle of a host', managedSecret({ allowedHosts: ['api.*.example.com'] }), 'spec.allowedHosts[0]: Invalid value: "api.*.example.com"'],
  ['a secret with an unknown field', managedSecret({ value: 'sk-plain-text' }), 'unknown field "spec.value"'],
])('refuses %s', async (_name, obj, message) => {
  await expect(create(obj, { dryRun: true })).rejects.toThrow(message);
});

test('status is a subresource: its writes leave generation alone, spec changes bump it', async () => {
  await create(provider({}, 'status-check'));
  const before = await get<Provider>('provider/status-check');
  expect(before.metadata.generation).toBe(1);

  const ready: Condition = { type: 'Ready', status: 'True', reason: 'Registered', message: 'the vault holds this provider', lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), observedGeneration: 1 };
  const status = { observedGeneration: 1, providerName: 'status-check', conditions: [ready] };
  await cp.kubectl(['patch', 'provider', 'status-check', '-n', NS, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
  const patched = await get<Provider>('provider/status-check');
  expect(patched.metadata.generation).toBe(1);
  expect(patched.status).toEqual(status);
  expect(await cp.kubectl(['get', 'avp', 'status-check', '-n', NS, '--no-headers'])).toMatch(/^status-check\s+True\s+Registered\s+google\s+client-1\s+/);

  // A status sent with the main resource is dropped: only the status subresource writes it.
  await cp.kubectl(['patch', 'provider', 'status-check', '-n', NS, '--type=merge', '-p', JSON.stringify({ spec: { clientId: 'client-2' }, status: { providerName: 'forged' } })]);
  const changed = await get<Provider>('provider/status-check');
  expect(changed.metadata.generation).toBe(2);
  expect(changed.spec.clientId).toBe('client-2');
  expect(changed.status?.providerName).toBe('status-check');

  // The status schema is enforced too.
  const bad = { conditions: [{ ...ready, status: 'Maybe' }] };
  await expect(cp.kubectl(['patch', 'provider', 'status-check', '-n', NS, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: bad })]))
    .rejects.toThrow('status.conditions[0].status: Unsupported value: "Maybe"');
});
