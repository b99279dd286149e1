// Caller authentication for the public API: `Authorization: Bearer <token>`. API keys
// today; service-account and session tokens join here in later issues.
import type { Kysely } from 'kysely';
import { fail } from '../result';
import type { Database } from '../store/schema';
import { authenticateApiKey } from './api-key.service';
import type { Authentication } from './caller';

export async function authenticate(db: Kysely<Database>, authorization: string | undefined, ip: string | undefined, now: Date): Promise<Authentication> {
  const match = /^Bearer ([^\s]+)$/i.exec(authorization ?? '');
  if (!match) return fail('unauthenticated', 'send Authorization: Bearer <API key>');
  return authenticateApiKey(db, match[1]!, ip, now);
}
