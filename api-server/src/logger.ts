// Structured JSON logs. Secrets never reach them: request logs carry method, route,
// status and ids only, and the redact paths are a second line of defence.
import pino, { DestinationStream, Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'alter-vault-api' },
      redact: {
        paths: ['*.authorization', '*.Authorization', '*.cookie', '*.token', '*.key', '*.value', '*.secret', '*.password', 'headers', 'body'],
        censor: '[redacted]',
      },
      serializers: { err: serializeError },
    },
    destination,
  );
}

/** Allow-list serialisation of errors (STYLE 9): name, code, message and cause chain only. */
export function serializeError(err: unknown, depth = 0): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: typeof err === 'string' ? err : 'non-error thrown' };
  const out: Record<string, unknown> = { name: err.name, message: err.message };
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  if (err.stack) out.stack = err.stack.split('\n').slice(1, 6).join('\n');
  if (err.cause !== undefined && depth < 3) out.cause = serializeError(err.cause, depth + 1);
  return out;
}
