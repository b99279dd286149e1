// Managed secrets: the developer's own API keys, stored write-only. Each one is a grant, so
// it is used (proxy, token mode) and audited exactly like an OAuth grant.
import { randomUUID } from 'node:crypto';
import type { CreateSecretRequest, Injection, SecretInfo, SecretType, SecretValue } from '@alter-vault/sdk';
import type { Kysely } from 'kysely';
import type { Envelope } from '../crypto/envelope';
import { insertGrant, lockGrantById, revokeGrantRow, updateGrantCiphertext } from '../grants/grant.repository';
import { fail, ok, Result } from '../result';
import type { Database } from '../store/schema';
import { deleteSecretRow, findSecret, findSecretBySlug, insertSecret, listSecrets, touchSecret } from './secret.repository';

type SecretRow = NonNullable<Awaited<ReturnType<typeof findSecret>>>;

function toInfo(row: SecretRow): SecretInfo {
  return {
    id: row.id,
    grantId: row.grant_id,
    slug: row.slug,
    name: row.name,
    type: row.type as SecretType,
    allowedHosts: row.allowed_hosts,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function slugify(name: string): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
  return slug || 'secret';
}

/** The value's shape must fit the type: a string, {username,password} or AWS credentials. */
function valueFits(type: SecretType, value: SecretValue): boolean {
  if (type === 'basic') return typeof value === 'object' && 'username' in value;
  if (type === 'aws_sigv4') return typeof value === 'object' && 'accessKeyId' in value;
  return typeof value === 'string';
}

const isUniqueViolation = (err: unknown) => (err as { code?: unknown })?.code === '23505';

export interface SecretDeps {
  db: Kysely<Database>;
  envelope: Envelope;
}

function injectionOf(input: CreateSecretRequest): Injection {
  return {
    type: input.type,
    ...(input.type === 'header' ? { headerName: input.headerName } : {}),
    ...(input.type === 'query' ? { paramName: input.paramName } : {}),
  };
}

export async function createSecret(deps: SecretDeps, tenantId: string, input: CreateSecretRequest, now: Date): Promise<Result<SecretInfo>> {
  const id = randomUUID();
  const grantId = randomUUID();
  const slug = input.slug ?? slugify(input.name);
  const injection = injectionOf(input);
  try {
    // One transaction: a KMS or store failure part-way leaves nothing behind.
    await deps.db.transaction().execute(async (trx) => {
      const sealed = await deps.envelope.encrypt(trx, { tenantId, grantId, plaintext: Buffer.from(JSON.stringify(input.value), 'utf8') });
      await insertGrant(trx, {
        id: grantId,
        tenant_id: tenantId,
        kind: 'secret',
        provider: slug,
        status: 'active',
        injection: JSON.stringify(injection),
        allowed_hosts: JSON.stringify(input.allowedHosts),
        dek_id: sealed.dekId,
        ciphertext: sealed.ciphertext,
        // Millisecond precision, like the list cursor that carries it.
        created_at: now,
        updated_at: now,
      });
      await insertSecret(trx, { id, tenantId, grantId, name: input.name, slug, type: input.type });
    });
  } catch (err) {
    if (isUniqueViolation(err)) return fail('secret_slug_taken', `a secret with slug "${slug}" already exists`);
    throw err;
  }
  return ok((await getSecret(deps.db, tenantId, id))!);
}

export async function getSecret(db: Kysely<Database>, tenantId: string, id: string): Promise<SecretInfo | undefined> {
  const row = await findSecret(db, tenantId, id);
  return row && toInfo(row);
}

export async function listSecretInfos(db: Kysely<Database>, tenantId: string): Promise<SecretInfo[]> {
  return (await listSecrets(db, tenantId)).map(toInfo);
}

/** Replaces the value under the grant's row lock; the grant id stays, so callers see it on their next use. */
export async function rotateSecret(deps: SecretDeps, tenantId: string, id: string, value: SecretValue, now: Date): Promise<Result<SecretInfo>> {
  const result = await deps.db.transaction().execute(async (trx): Promise<Result<void>> => {
    const secret = await findSecret(trx, tenantId, id);
    if (!secret) return fail('secret_not_found', 'no such secret');
    if (!valueFits(secret.type as SecretType, value)) return fail('invalid_request', `the value does not fit a secret of type ${secret.type}`);
    await lockGrantById(trx, tenantId, secret.grant_id);
    const sealed = await deps.envelope.encrypt(trx, { tenantId, grantId: secret.grant_id, plaintext: Buffer.from(JSON.stringify(value), 'utf8') });
    await updateGrantCiphertext(trx, secret.grant_id, sealed, now);
    await touchSecret(trx, id, now);
    return ok(undefined);
  });
  if (!result.ok) return result;
  return ok((await getSecret(deps.db, tenantId, id))!);
}

/**
 * Reconciliation (a ManagedSecret resource): creates the secret with this slug, or replaces
 * its value, type and hosts in place, so its grantId never changes. Answers whether it was created.
 */
export async function upsertSecretBySlug(deps: SecretDeps, tenantId: string, input: CreateSecretRequest & { slug: string }, now: Date): Promise<Result<{ info: SecretInfo; created: boolean }>> {
  const existing = await findSecretBySlug(deps.db, tenantId, input.slug);
  if (!existing) {
    const created = await createSecret(deps, tenantId, input, now);
    return created.ok ? ok({ info: created.value, created: true }) : created;
  }
  await deps.db.transaction().execute(async (trx) => {
    await lockGrantById(trx, tenantId, existing.grant_id);
    const sealed = await deps.envelope.encrypt(trx, { tenantId, grantId: existing.grant_id, plaintext: Buffer.from(JSON.stringify(input.value), 'utf8') });
    await trx
      .updateTable('grants')
      .set({ injection: JSON.stringify(injectionOf(input)), allowed_hosts: JSON.stringify(input.allowedHosts), dek_id: sealed.dekId, ciphertext: sealed.ciphertext, updated_at: now })
      .where('id', '=', existing.grant_id)
      .execute();
    await trx.updateTable('managed_secrets').set({ name: input.name, type: input.type, updated_at: now }).where('id', '=', existing.id).execute();
  });
  return ok({ info: (await getSecret(deps.db, tenantId, existing.id))!, created: false });
}

/** Deletes the secret and its ciphertext; the grant row stays as `revoked` for the audit trail. */
export async function deleteSecret(db: Kysely<Database>, tenantId: string, id: string, now: Date): Promise<Result<SecretInfo>> {
  return db.transaction().execute(async (trx) => {
    const secret = await findSecret(trx, tenantId, id);
    if (!secret) return fail('secret_not_found', 'no such secret');
    await lockGrantById(trx, tenantId, secret.grant_id);
    await deleteSecretRow(trx, id);
    await revokeGrantRow(trx, secret.grant_id, now);
    return ok(toInfo(secret));
  });
}
