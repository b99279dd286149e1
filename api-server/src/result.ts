// Expected failures are values (STYLE 8): services return a Result the caller must handle.
import { types } from 'node:util';
import type { ErrorCode } from '@alter-vault/sdk';

export interface DomainError {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: DomainError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (code: ErrorCode, message: string, details?: unknown): { ok: false; error: DomainError } => ({
  ok: false,
  error: details === undefined ? { code, message } : { code, message, details },
});

/** A failure thrown across a library boundary, carrying a stable code and its cause. */
export class CodedError extends Error {
  constructor(readonly code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CodedError';
  }
}

/** True for any Error, including one made in another realm (Node's own errors under a vm context). */
export function isError(value: unknown): value is Error {
  return value instanceof Error || types.isNativeError(value);
}
