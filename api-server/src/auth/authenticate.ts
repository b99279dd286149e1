// Caller authentication for the public API: `Authorization: Bearer <token>`, where the token
// is an API key (`avk_…`) or, when clusters are trusted, a Kubernetes service-account token
// (a JWT) of a service account an Agent is bound to.
import type { Scope } from '@alter-vault/sdk';
import type { Kysely } from 'kysely';
import { agentForServiceAccount } from '../agents/agent.service';
import { fail, ok } from '../result';
import type { Database } from '../store/schema';
import { findTenantByName } from '../tenants/tenant.repository';
import { namespaceTenantName } from '../tenants/tenant.service';
import { authenticateApiKey } from './api-key.service';
import type { Authentication } from './caller';
import { looksLikeJwt, type ServiceAccountVerifier } from './service-account';

export interface AuthDeps {
  db: Kysely<Database>;
  /** Absent when no cluster is trusted (ALTER_K8S_ISSUERS unset). */
  serviceAccounts?: ServiceAccountVerifier | undefined;
}

// Agents use grants; token mode only where their Agent allows it.
const AGENT_SCOPES: Scope[] = ['proxy:execute'];

export async function authenticate(deps: AuthDeps, authorization: string | undefined, ip: string | undefined, now: Date): Promise<Authentication> {
  const match = /^Bearer ([^\s]+)$/i.exec(authorization ?? '');
  if (!match) return fail('unauthenticated', 'send Authorization: Bearer <API key or service-account token>');
  const token = match[1]!;
  if (deps.serviceAccounts && looksLikeJwt(token)) return authenticateAgent(deps.db, deps.serviceAccounts, token);
  return authenticateApiKey(deps.db, token, ip, now);
}

async function authenticateAgent(db: Kysely<Database>, verifier: ServiceAccountVerifier, token: string): Promise<Authentication> {
  const verified = await verifier.verify(token);
  if (!verified.ok) return verified;
  const { cluster, namespace, serviceAccount } = verified.value;
  const tenant = await findTenantByName(db, namespaceTenantName(cluster, namespace));
  const agent = tenant && (await agentForServiceAccount(db, tenant.id, serviceAccount));
  if (!tenant || !agent) return fail('agent_not_bound', `no Agent is bound to service account ${serviceAccount} in namespace ${namespace}`);
  const scopes = new Set<Scope>(agent.tokenMode ? [...AGENT_SCOPES, 'tokens:retrieve'] : AGENT_SCOPES);
  return ok({ tenantId: tenant.id, actor: { type: 'agent', id: agent.identity.id }, scopes, agent: agent.identity });
}
