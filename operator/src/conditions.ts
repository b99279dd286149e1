// Every condition reason the operator writes, in one place (STYLE: reasons from one file),
// and the helper that keeps lastTransitionTime stable while a condition's status holds.
import type { VaultError } from '@alter-vault/sdk';
import type { Condition } from './generated/crds';

export const Reason = {
  /** The vault holds the resource's configuration. */
  Synced: 'Synced',
  /** The referenced Secret does not exist (yet). */
  SecretNotFound: 'SecretNotFound',
  /** The referenced Secret lacks the key. */
  SecretKeyNotFound: 'SecretKeyNotFound',
  /** The vault refused the configuration (4xx); fixing the spec or the Secret recovers. */
  VaultRejected: 'VaultRejected',
  /** The vault could not be reached or answered 5xx; retried with backoff. */
  VaultUnavailable: 'VaultUnavailable',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

export interface ReadyState {
  ready: boolean;
  reason: Reason;
  message: string;
}

export const SYNCED: ReadyState = { ready: true, reason: Reason.Synced, message: 'the vault holds this configuration' };

/** A vault call that failed: refused (4xx other than 429: the spec or its Secret must change) or unavailable (retry). */
export function vaultFailure(err: VaultError): ReadyState {
  const rejected = err.status >= 400 && err.status < 500 && err.status !== 429;
  return { ready: false, reason: rejected ? Reason.VaultRejected : Reason.VaultUnavailable, message: `${err.code}: ${err.message}` };
}

/** The Ready condition for this state; the transition time moves only when the status does. */
export function readyCondition(state: ReadyState, generation: number, previous: Condition[] | undefined, now: Date): Condition {
  const status = state.ready ? 'True' : 'False';
  const before = previous?.find((c) => c.type === 'Ready');
  return {
    type: 'Ready',
    status,
    observedGeneration: generation,
    lastTransitionTime: before && before.status === status ? before.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    reason: state.reason,
    message: state.message,
  };
}
