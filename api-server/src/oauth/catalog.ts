// The provider catalog: providers/<id>.yaml, checked against providers/schema.json by Ajv
// (allErrors) plus the rules a JSON Schema cannot express, every problem reported at once,
// then frozen (STYLE 5, 10). A bad catalog is a boot failure, not a 500 later.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import { parseDocument } from 'yaml';

export interface ConnectionParam {
  name: string;
  description: string;
  pattern: string;
  default?: string;
}

export interface OAuthProviderEntry {
  id: string;
  kind: 'oauth2';
  displayName: string;
  docs: string;
  notes?: string;
  /** [] when absent. */
  connectionParams: ConnectionParam[];
  oauth: {
    issuer?: string;
    jwksUri?: string;
    authorizationUrl: string;
    tokenUrl: string;
    revocationUrl?: string;
    userinfoUrl?: string;
    scopeSeparator: ' ' | ',' | '+';
    defaultScopes: string[];
    availableScopes: string[];
    pkce: 'required' | 'supported' | 'unsupported';
    tokenAuthMethod: 'client_secret_basic' | 'client_secret_post';
    /** {} when absent. */
    authorizationParams: Record<string, string>;
    refreshTokens: { issued: 'always' | 'when_requested' | 'never'; requestedBy?: string; rotation: 'always' | 'never' | 'optional' };
    accessTokenLifetimeSeconds: number | null;
    account: { from: 'id_token' | 'userinfo' | 'token_response'; id: string; label?: string };
    /** [] when absent. */
    quirks: string[];
  };
  api: { allowedHosts: string[] };
  sources: Record<string, string>;
}

export interface SecretTemplateEntry {
  id: string;
  kind: 'secret';
  displayName: string;
  docs: string;
  notes?: string;
  secret: {
    type: 'bearer' | 'header' | 'basic' | 'query' | 'aws_sigv4';
    headerName?: string;
    paramName?: string;
    usernameLabel?: string;
    passwordLabel?: string;
    service?: string;
  };
  api: { allowedHosts: string[] };
  sources: Record<string, string>;
}

export type CatalogEntry = OAuthProviderEntry | SecretTemplateEntry;

export interface Catalog {
  /** Sorted by id. */
  readonly entries: ReadonlyMap<string, CatalogEntry>;
  oauth(id: string): OAuthProviderEntry | undefined;
  secret(id: string): SecretTemplateEntry | undefined;
}

/** A catalog that failed to load; `problems` lists every one, each as `file: /json/path: message`. */
export class CatalogError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`provider catalog is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'CatalogError';
    this.problems = problems;
  }
}

const SCHEMA_FILE = 'schema.json';

/**
 * Reads every *.yaml in dir; throws CatalogError naming EVERY problem (file, JSON path, message) when any file is bad.
 * The JSON Schema is `schema.json` in the same directory (the file the entries' yaml-language-server comment names).
 */
export function loadCatalog(dir: string): Catalog {
  const problems: string[] = [];
  const report = (file: string, path: string, message: string) => problems.push(`${file}: ${path || '/'}: ${message}`);

  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    throw new CatalogError([`${dir}: cannot read the catalog directory (${(err as Error).message})`]);
  }
  const schema = readSchema(dir, problems);
  if (!schema) throw new CatalogError(problems);

  const idFiles = new Map<string, string>();
  const valid: CatalogEntry[] = [];
  for (const file of names) {
    if (file.endsWith('.yml')) report(file, '', 'catalog files must end in .yaml (this file would be ignored)');
    if (!file.endsWith('.yaml')) continue;
    const doc = parseDocument(readFileSync(join(dir, file), 'utf8'), { uniqueKeys: true, prettyErrors: true });
    if (doc.errors.length > 0) {
      for (const e of doc.errors) report(file, '', `YAML ${e.code}: ${e.message.split('\n')[0]!.replace(/:$/, '')}`);
      continue;
    }
    let data: unknown;
    try {
      data = doc.toJS();
    } catch (err) {
      report(file, '', `YAML: ${(err as Error).message}`);
      continue;
    }

    const schemaProblems = schemaErrors(schema, data);
    for (const { path, message } of schemaProblems) report(file, path, message);
    const entryProblems = checkEntry(file, data, idFiles);
    for (const { path, message } of entryProblems) report(file, path, message);
    if (schemaProblems.length === 0 && entryProblems.length === 0) valid.push(normalise(data as CatalogEntry));
  }
  if (problems.length > 0) throw new CatalogError(problems);

  valid.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const entries: ReadonlyMap<string, CatalogEntry> = new Map(valid.map((e) => [e.id, deepFreeze(e)]));
  return Object.freeze({
    entries,
    oauth(id: string): OAuthProviderEntry | undefined {
      const e = entries.get(id);
      return e?.kind === 'oauth2' ? e : undefined;
    },
    secret(id: string): SecretTemplateEntry | undefined {
      const e = entries.get(id);
      return e?.kind === 'secret' ? e : undefined;
    },
  });
}

/**
 * Replaces {name} placeholders from values (falling back to defaults); refuses a value not matching its pattern, a
 * missing value, or any placeholder not declared. Used for URLs and hosts.
 * @throws TypeError naming the placeholder and the reason.
 */
export function fillPlaceholders(template: string, params: ConnectionParam[], values: Record<string, string>): string {
  const declared = new Map(params.map((p) => [p.name, p]));
  const stray = template.replace(PLACEHOLDER, '').match(/[{}]/);
  if (stray) throw new TypeError(`template ${JSON.stringify(template)} has an unmatched '${stray[0]}'`);
  return template.replace(PLACEHOLDER, (_match, name: string) => {
    const param = declared.get(name);
    if (!param) throw new TypeError(`placeholder {${name}} in ${JSON.stringify(template)} is not a declared connection parameter`);
    const given = Object.hasOwn(values, name) ? values[name] : undefined;
    const value = given ?? param.default;
    if (value === undefined) throw new TypeError(`connection parameter ${name} is required (${param.description})`);
    if (typeof value !== 'string') throw new TypeError(`connection parameter ${name} must be a string`);
    let re: RegExp;
    try {
      re = new RegExp(param.pattern);
    } catch {
      throw new TypeError(`connection parameter ${name} has an invalid pattern ${JSON.stringify(param.pattern)}`);
    }
    if (!re.test(value)) throw new TypeError(`connection parameter ${name} must match ${param.pattern}; got ${JSON.stringify(value)}`);
    // Defence in depth: whatever the pattern says, a value never carries a character that
    // could move a URL to another host, port, user, path, query or fragment.
    if (HOST_CHANGING.test(value)) throw new TypeError(`connection parameter ${name} must not contain . / @ : # ? % \\, whitespace or non-ASCII characters; got ${JSON.stringify(value)}`);
    return value;
  });
}

const PLACEHOLDER = /\{([^{}]*)\}/g;
/** Characters that could move a URL to another host, port, user, path, query or fragment; non-ASCII is refused too,
 * since IDNA maps look-alikes such as U+3002 and U+FF0E to a dot. */
const HOST_CHANGING = /[./@:#?%\\\s]|[^\x21-\x7e]/;
/** Each connectionParam.pattern must reject all of these: a match could let a value change the host. */
const HOST_CHANGING_PROBES = ['.', '/', '@', ':', '#', '?', '%', '\\', ' ', '\u3002', '\uff0e', '\uff61'].flatMap((c) => [
  c,
  `a${c}b`,
  `a${c}`,
  `${c}a`,
  `ab${c}cd`,
  `evil${c}com`,
]);

type Schema = { validate: ValidateFunction; byKind: Map<unknown, ValidateFunction> };
type Problem = { path: string; message: string };

/** The schema's oneOf lists the oauth2 branch first, the secret branch second. */
const KIND_BRANCH = ['oauth2', 'secret'] as const;

function readSchema(dir: string, problems: string[]): Schema | undefined {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(join(dir, SCHEMA_FILE), 'utf8')) as Record<string, unknown>;
  } catch (err) {
    problems.push(`${SCHEMA_FILE}: /: cannot read the catalog schema (${(err as Error).message})`);
    return undefined;
  }
  const ajv = new Ajv2020({ allErrors: true });
  try {
    const validate = ajv.compile(json);
    // One validator per kind (the schema with its oneOf branch for that kind merged in), so a
    // file is reported against the branch its kind selects rather than against both branches.
    const rest: Record<string, unknown> = { ...json };
    delete rest.$id;
    delete rest.oneOf;
    const branches = (json.oneOf ?? []) as { properties?: object; required?: string[] }[];
    const byKind = new Map<unknown, ValidateFunction>();
    KIND_BRANCH.forEach((kind, i) => {
      const branch = branches[i];
      if (!branch) return;
      byKind.set(
        kind,
        ajv.compile({
          ...rest,
          properties: { ...(rest.properties as object), ...branch.properties },
          required: [...((rest.required as string[] | undefined) ?? []), ...(branch.required ?? [])],
        }),
      );
    });
    return { validate, byKind };
  } catch (err) {
    problems.push(`${SCHEMA_FILE}: /: invalid JSON Schema (${(err as Error).message})`);
    return undefined;
  }
}

function schemaErrors(schema: Schema, data: unknown): Problem[] {
  const kindValidate = isObject(data) ? schema.byKind.get(data.kind) : undefined;
  // Narrowing to the kind's branch is only a better report; the full schema stays the judge.
  const failed = [kindValidate, schema.validate].find((v): v is ValidateFunction => v !== undefined && !(v as (value: unknown) => boolean)(data));
  if (!failed) return [];
  const errors = (failed.errors ?? []).filter(
    // "must match then schema" and the enum under propertyNames only repeat the error beside them.
    (e) => e.keyword !== 'if' && !e.schemaPath.endsWith('/propertyNames/enum'),
  );
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const e of errors) {
    const problem = { path: e.instancePath, message: describe(e) };
    const key = `${problem.path}\0${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(problem);
  }
  return out;
}

function describe(e: ErrorObject): string {
  switch (e.keyword) {
    case 'additionalProperties':
      return `unknown field ${JSON.stringify(e.params.additionalProperty)}`;
    case 'unevaluatedProperties':
      return `unknown field ${JSON.stringify(e.params.unevaluatedProperty)}`;
    case 'propertyNames':
      return `unknown key ${JSON.stringify(e.params.propertyName)}`;
    case 'enum':
      return `${e.message}: ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return e.message ?? e.keyword;
  }
}

/** Rules beyond the schema. Written defensively: they run on files the schema rejected too, so one pass reports all. */
function checkEntry(file: string, data: unknown, idFiles: Map<string, string>): Problem[] {
  const problems: Problem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  if (!isObject(data)) return problems;

  const expectedId = file.slice(0, -'.yaml'.length);
  if (typeof data.id === 'string') {
    if (data.id !== expectedId) add('/id', `id ${JSON.stringify(data.id)} must equal the file name (${JSON.stringify(expectedId)})`);
    const other = idFiles.get(data.id);
    if (other) add('/id', `duplicate id ${JSON.stringify(data.id)} (also in ${other})`);
    else idFiles.set(data.id, file);
  }

  const params = Array.isArray(data.connectionParams) ? data.connectionParams : [];
  const declared = new Set<string>();
  params.forEach((p: unknown, i) => {
    if (!isObject(p)) return;
    if (typeof p.name === 'string') {
      if (declared.has(p.name)) add(`/connectionParams/${i}/name`, `duplicate connection parameter ${JSON.stringify(p.name)}`);
      declared.add(p.name);
    }
    if (typeof p.pattern !== 'string') return;
    let re: RegExp;
    try {
      re = new RegExp(p.pattern);
    } catch (err) {
      add(`/connectionParams/${i}/pattern`, `pattern does not compile: ${(err as Error).message}`);
      return;
    }
    const leaks = HOST_CHANGING_PROBES.filter((probe) => re.test(probe));
    if (leaks.length > 0) {
      add(`/connectionParams/${i}/pattern`, `pattern must reject '.', '/', '@', ':', '#', '?', '%', '\\', spaces and dot look-alikes so a value cannot change the host; it matches ${leaks.slice(0, 3).map((s) => JSON.stringify(s)).join(', ')}`);
    }
    if (typeof p.default === 'string' && !re.test(p.default)) add(`/connectionParams/${i}/default`, `default ${JSON.stringify(p.default)} does not match the pattern`);
  });

  const templates: [string, unknown][] = [];
  const oauth = isObject(data.oauth) ? data.oauth : undefined;
  if (oauth) {
    for (const key of ['issuer', 'jwksUri', 'authorizationUrl', 'tokenUrl', 'revocationUrl', 'userinfoUrl']) templates.push([`/oauth/${key}`, oauth[key]]);

    const available = new Set(Array.isArray(oauth.availableScopes) ? oauth.availableScopes : []);
    if (Array.isArray(oauth.defaultScopes)) {
      oauth.defaultScopes.forEach((s: unknown, i) => {
        if (!available.has(s)) add(`/oauth/defaultScopes/${i}`, `default scope ${JSON.stringify(s)} is not in availableScopes`);
      });
    }
    if ('issuer' in oauth !== 'jwksUri' in oauth) add('/oauth', 'issuer and jwksUri go together: set both or neither');
    const account = isObject(oauth.account) ? oauth.account : undefined;
    if (account?.from === 'id_token' && !('issuer' in oauth)) add('/oauth/account/from', 'account.from id_token needs oauth.issuer');
    if (account?.from === 'userinfo' && !('userinfoUrl' in oauth)) add('/oauth/account/from', 'account.from userinfo needs oauth.userinfoUrl');
  }
  const api = isObject(data.api) ? data.api : undefined;
  if (api && Array.isArray(api.allowedHosts)) api.allowedHosts.forEach((h: unknown, i) => templates.push([`/api/allowedHosts/${i}`, h]));

  for (const [path, value] of templates) {
    if (typeof value !== 'string') continue;
    for (const [, name] of value.matchAll(PLACEHOLDER)) {
      if (!declared.has(name!)) add(path, `placeholder {${name}} is not a declared connectionParam`);
    }
    if (/[{}]/.test(value.replace(PLACEHOLDER, ''))) add(path, `unmatched brace in ${JSON.stringify(value)}`);
  }
  return problems;
}

function normalise(entry: CatalogEntry): CatalogEntry {
  if (entry.kind === 'secret') return entry;
  return {
    ...entry,
    connectionParams: entry.connectionParams ?? [],
    oauth: { ...entry.oauth, authorizationParams: entry.oauth.authorizationParams ?? {}, quirks: entry.oauth.quirks ?? [] },
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
