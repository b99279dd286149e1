// The `alter-vault` command line: keys, secrets, OAuth grants and providers, connect links
// and the audit log, through the same client apps use. Secret values are read from stdin, never from arguments (they would show in
// `ps` and shell history). Destructive commands ask for the id to be typed unless --yes.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { CreateSecretRequest, ListGrantsQuery, ProviderList, Scope } from '../contract';
import { Vault } from '../vault';
import { GrantNotFound, MissingScope, PolicyUnavailable, RateLimited, ServiceUnavailable, Unauthenticated, VaultError } from '../vault-error';

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** All of stdin: a secret value. */
  readStdin: () => Promise<string>;
  /** One line typed in the terminal: a confirmation. */
  readLine: () => Promise<string>;
  stdinIsTTY: boolean;
  env: Record<string, string | undefined>;
  /** Ends long-running commands (audit tail): SIGINT in the binary. */
  signal: AbortSignal;
}

/** Stable exit codes (README): scripts decide on these. */
export const exitCodes = { ok: 0, failed: 1, usage: 2, auth: 3, notFound: 4, unavailable: 5, rejected: 6 } as const;

class UsageError extends Error {}

const usage = `usage: alter-vault [--output table|json] [--profile NAME] [--yes] <command>
  keys list | create --name N --scope S [--scope S...] [--expires-at ISO] [--cidr C...] | rotate ID | deprecate ID | revoke ID
  secrets list | get ID | create --name N --type T --host H [--host H...] [--header-name N] [--param-name N] | rotate ID | delete ID
          (create and rotate read the value from stdin: text, or JSON for basic and aws_sigv4)
  grants list [--principal P] [--provider P] [--status S] [--kind oauth|secret] [--limit N] [--cursor C] | get ID | revoke ID
  connect PRINCIPAL_ID --return-url URL [--provider P...] [--agent ID] [--ttl SECONDS]   (prints the link for the end user)
  providers list
  audit list [--grant ID] [--action A] [--outcome O] [--limit N] | tail [filters] [--interval MS] | export [filters] | verify [--from ISO] [--to ISO]
configuration: ALTER_URL and ALTER_API_KEY, or a profile in $XDG_CONFIG_HOME/alter-vault/profiles.json`;

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`alter-vault: ${err.message}\n${usage}\n`);
      return exitCodes.usage;
    }
    if (err instanceof VaultError) {
      io.stderr(`alter-vault: ${err.code}: ${err.message}${err.requestId ? ` (request ${err.requestId})` : ''}\n`);
      if (err instanceof Unauthenticated || err instanceof MissingScope) return exitCodes.auth;
      if (err instanceof GrantNotFound || err.status === 404) return exitCodes.notFound;
      if (err instanceof ServiceUnavailable || err instanceof PolicyUnavailable || err instanceof RateLimited || err.status === 0) return exitCodes.unavailable;
      return err.status >= 400 && err.status < 500 ? exitCodes.rejected : exitCodes.failed;
    }
    throw err;
  }
}

async function dispatch(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = (() => {
    try {
      return parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          output: { type: 'string', default: 'table' },
          profile: { type: 'string' },
          yes: { type: 'boolean', default: false },
          name: { type: 'string' },
          scope: { type: 'string', multiple: true },
          'expires-at': { type: 'string' },
          cidr: { type: 'string', multiple: true },
          type: { type: 'string' },
          host: { type: 'string', multiple: true },
          'header-name': { type: 'string' },
          'param-name': { type: 'string' },
          grant: { type: 'string' },
          action: { type: 'string' },
          outcome: { type: 'string' },
          limit: { type: 'string' },
          from: { type: 'string' },
          to: { type: 'string' },
          interval: { type: 'string', default: '1000' },
          principal: { type: 'string' },
          provider: { type: 'string', multiple: true },
          status: { type: 'string' },
          kind: { type: 'string' },
          cursor: { type: 'string' },
          'return-url': { type: 'string' },
          agent: { type: 'string' },
          ttl: { type: 'string' },
        },
      });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  })();
  if (values.output !== 'table' && values.output !== 'json') throw new UsageError('--output is table or json');
  const [area, verb, id] = positionals;
  const print = (data: unknown, columns?: string[]) => io.stdout(values.output === 'json' || !columns ? `${JSON.stringify(data, null, 2)}\n` : table(data as Record<string, unknown>[], columns));
  const needId = () => {
    if (!id) throw new UsageError(`${area} ${verb} needs an id`);
    return id;
  };
  const confirm = async (what: string, target: string) => {
    if (values.yes) return;
    if (!io.stdinIsTTY) throw new UsageError(`${what} is destructive: pass --yes, or run it in a terminal to confirm`);
    io.stderr(`${what}: type ${target} to confirm: `);
    if ((await io.readLine()).trim() !== target) throw new UsageError('not confirmed');
  };
  const vault = () => connect(io.env, values.profile);

  // `connect` takes the principal where other commands take a verb.
  switch (area === 'connect' ? 'connect' : `${area ?? ''} ${verb ?? ''}`) {
    case 'keys list':
      print(await vault().keys.list(), ['id', 'name', 'prefix', 'scopes', 'expiresAt', 'deprecatedAt', 'revokedAt']);
      return exitCodes.ok;
    case 'keys create': {
      if (!values.name || !values.scope?.length) throw new UsageError('keys create needs --name and at least one --scope');
      const created = await vault().keys.create({
        name: values.name,
        scopes: values.scope as Scope[],
        ...(values['expires-at'] ? { expiresAt: values['expires-at'] } : {}),
        ...(values.cidr ? { cidrs: values.cidr } : {}),
      });
      print(created);
      io.stderr('the key is shown once: store it now\n');
      return exitCodes.ok;
    }
    case 'keys rotate':
      print(await vault().keys.rotate(needId()));
      io.stderr('the new key is shown once; the old one is deprecated: revoke it once callers have moved\n');
      return exitCodes.ok;
    case 'keys deprecate':
      print(await vault().keys.deprecate(needId()));
      return exitCodes.ok;
    case 'keys revoke':
      await confirm('revoking a key', needId());
      await vault().keys.revoke(needId());
      return exitCodes.ok;
    case 'secrets list':
      print(await vault().secrets.list(), ['id', 'grantId', 'slug', 'type', 'allowedHosts', 'updatedAt']);
      return exitCodes.ok;
    case 'secrets get':
      print(await vault().secrets.get(needId()));
      return exitCodes.ok;
    case 'secrets create': {
      if (!values.name || !values.type || !values.host?.length) throw new UsageError('secrets create needs --name, --type and at least one --host');
      const value = secretValue(values.type, await io.readStdin());
      const input = {
        name: values.name,
        type: values.type,
        value,
        allowedHosts: values.host,
        ...(values['header-name'] ? { headerName: values['header-name'] } : {}),
        ...(values['param-name'] ? { paramName: values['param-name'] } : {}),
      } as CreateSecretRequest;
      print(await vault().secrets.create(input));
      return exitCodes.ok;
    }
    case 'secrets rotate': {
      const secretId = needId();
      const client = vault();
      const { type } = await client.secrets.get(secretId);
      print(await client.secrets.rotate(secretId, secretValue(type, await io.readStdin())));
      return exitCodes.ok;
    }
    case 'secrets delete':
      await confirm('deleting a secret', needId());
      await vault().secrets.delete(needId());
      return exitCodes.ok;
    case 'grants list': {
      if ((values.provider?.length ?? 0) > 1) throw new UsageError('grants list takes one --provider');
      const limit = values.limit === undefined ? undefined : Number(values.limit);
      if (limit !== undefined && !Number.isInteger(limit)) throw new UsageError('--limit is a number');
      const page = await vault().grants.list({
        ...(values.principal ? { principal: values.principal } : {}),
        ...(values.provider?.[0] ? { provider: values.provider[0] } : {}),
        ...(values.status ? { status: values.status as ListGrantsQuery['status'] } : {}),
        ...(values.kind ? { kind: values.kind as ListGrantsQuery['kind'] } : {}),
        ...(values.cursor ? { cursor: values.cursor } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
      print(values.output === 'json' ? page : page.grants, ['id', 'kind', 'provider', 'status', 'principalId', 'accountLabel', 'updatedAt']);
      if (values.output === 'table' && page.nextCursor) io.stderr(`more grants: --cursor ${page.nextCursor}\n`);
      return exitCodes.ok;
    }
    case 'grants get':
      print(await vault().grants.get(needId()));
      return exitCodes.ok;
    case 'grants revoke': {
      await confirm('revoking a grant', needId());
      const revoked = await vault().grants.revoke(needId());
      print(values.output === 'json' ? revoked : [revoked], ['id', 'provider', 'status', 'providerRevocation']);
      return exitCodes.ok;
    }
    case 'connect': {
      const principalId = verb;
      if (!principalId || id !== undefined || !values['return-url']) throw new UsageError('connect needs one principal id and --return-url');
      const ttlSeconds = values.ttl === undefined ? undefined : Number(values.ttl);
      if (ttlSeconds !== undefined && !Number.isInteger(ttlSeconds)) throw new UsageError('--ttl is a number of seconds');
      const session = await vault().connect.createSession({
        principalId,
        returnUrl: values['return-url'],
        ...(values.provider?.length ? { providers: values.provider } : {}),
        ...(values.agent ? { agentId: values.agent } : {}),
        ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
      });
      if (values.output === 'json') print(session);
      else {
        io.stdout(`${session.url}\n`);
        io.stderr(`single use, until ${session.expiresAt}: send it to the end user only\n`);
      }
      return exitCodes.ok;
    }
    case 'providers list': {
      const list = await vault().providers.list();
      print(values.output === 'json' ? list : providerRows(list), ['id', 'kind', 'displayName', 'configured']);
      return exitCodes.ok;
    }
    case 'audit list': {
      const page = await vault().audit.list({ ...filters(values), ...(values.limit ? { limit: Number(values.limit) } : {}) });
      print(values.output === 'json' ? page : page.events.map((e) => ({ ...e, actor: e.actor.keyPrefix ?? e.actor.id })), ['seq', 'occurredAt', 'actor', 'action', 'grantId', 'decision', 'outcome', 'upstreamStatus']);
      return exitCodes.ok;
    }
    case 'audit tail': {
      // New events only, oldest first, until interrupted: table lines, or NDJSON with --output json.
      const client = vault();
      const interval = Number(values.interval);
      if (!Number.isInteger(interval) || interval < 100) throw new UsageError('--interval is a number of milliseconds, at least 100');
      let last = (await client.audit.list({ ...filters(values), limit: 1 })).events[0]?.seq ?? 0;
      while (!io.signal.aborted) {
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, interval);
          io.signal.addEventListener('abort', () => (clearTimeout(timer), resolve(undefined)), { once: true });
        });
        const fresh = [];
        for (let cursor: string | undefined; ; ) {
          const page = await client.audit.list({ ...filters(values), limit: 500, ...(cursor ? { cursor } : {}) });
          const newer = page.events.filter((e) => e.seq > last);
          fresh.push(...newer);
          if (newer.length < page.events.length || !page.nextCursor) break;
          cursor = page.nextCursor;
        }
        for (const e of fresh.reverse()) {
          io.stdout(values.output === 'json' ? `${JSON.stringify(e)}\n` : `${[e.seq, e.occurredAt, e.actor.keyPrefix ?? e.actor.id ?? '-', e.action, e.grantId ?? '-', e.decision, e.outcome].join('  ')}\n`);
          last = e.seq;
        }
      }
      return exitCodes.ok;
    }
    case 'audit export':
      for await (const event of vault().audit.export(filters(values))) io.stdout(`${JSON.stringify(event)}\n`);
      return exitCodes.ok;
    case 'audit verify': {
      const verdict = await vault().audit.verify({ ...(values.from ? { from: values.from } : {}), ...(values.to ? { to: values.to } : {}) });
      print(verdict);
      return verdict.ok ? exitCodes.ok : exitCodes.failed;
    }
    default:
      throw new UsageError(area ? `unknown command: ${positionals.join(' ')}` : 'no command');
  }
}

/** The tenant's providers (configured: yes), then the catalog entries not configured under their own id. */
function providerRows({ providers, catalog }: ProviderList) {
  const configured = new Set(providers.map((p) => p.name));
  return [
    ...providers.map((p) => ({ id: p.name, kind: 'oauth2', displayName: p.displayName, configured: p.template && p.template !== p.name ? `yes (${p.template})` : 'yes' })),
    ...catalog.filter((c) => !configured.has(c.id)).map((c) => ({ id: c.id, kind: c.kind, displayName: c.displayName, configured: '-' })),
  ];
}

function filters(values: { grant?: string | undefined; action?: string | undefined; outcome?: string | undefined }) {
  return { ...(values.grant ? { grant: values.grant } : {}), ...(values.action ? { action: values.action } : {}), ...(values.outcome ? { outcome: values.outcome } : {}) };
}

/** Text for bearer, header and query secrets; a JSON object for basic and aws_sigv4. */
function secretValue(type: string, stdin: string): CreateSecretRequest['value'] {
  const text = stdin.replace(/\r?\n$/, '');
  if (!text) throw new UsageError('the secret value is read from stdin, and stdin was empty');
  if (type !== 'basic' && type !== 'aws_sigv4') return text;
  try {
    return JSON.parse(text) as CreateSecretRequest['value'];
  } catch {
    throw new UsageError(`a ${type} secret is a JSON object on stdin`);
  }
}

function connect(env: CliIO['env'], profileName: string | undefined): Vault {
  if (!profileName && env.ALTER_URL && env.ALTER_API_KEY) return new Vault({ baseUrl: env.ALTER_URL, apiKey: env.ALTER_API_KEY });
  const file = path.join(env.XDG_CONFIG_HOME ?? path.join(env.HOME ?? os.homedir(), '.config'), 'alter-vault', 'profiles.json');
  let profiles: Record<string, { url?: string; apiKey?: string }>;
  try {
    profiles = JSON.parse(readFileSync(file, 'utf8')) as typeof profiles;
  } catch {
    throw new UsageError(`set ALTER_URL and ALTER_API_KEY, or write a profile to ${file}`);
  }
  const profile = profiles[profileName ?? 'default'];
  if (!profile?.url || !profile.apiKey) throw new UsageError(`profile ${profileName ?? 'default'} in ${file} needs url and apiKey`);
  return new Vault({ baseUrl: profile.url, apiKey: profile.apiKey });
}

function table(rows: Record<string, unknown>[], columns: string[]): string {
  const cell = (v: unknown) => (v === null || v === undefined ? '-' : Array.isArray(v) ? v.join(',') : String(v));
  const grid = [columns.map((c) => c.toUpperCase()), ...rows.map((r) => columns.map((c) => cell(r[c])))];
  const widths = columns.map((_, i) => Math.max(...grid.map((line) => line[i]!.length)));
  return grid.map((line) => line.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}
