// Structured JSON logs. Secrets never reach them: request logs carry method, route,
// status and ids only, and the redact paths are a second line of defence.
import pino, { DestinationStream, Logger } from 'pino';
import { isError } from './result';

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
    destination ?? bufferedStdout(),
  );
}

/**
 * stdout, written asynchronously in 4 KiB chunks so a log line costs no syscall of its own on
 * the hot path, and flushed every second so a quiet server's lines still show at once; pino
 * flushes what is left when the process exits.
 */
function bufferedStdout(): DestinationStream {
  const stream = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  setInterval(() => stream.flush(), 1_000).unref();
  return stream;
}

/** Allow-list serialisation of errors (STYLE 9): name, code, message and cause chain only. */
export function serializeError(err: unknown, depth = 0): Record<string, unknown> {
  if (!isError(err)) return { message: typeof err === 'string' ? err : 'non-error thrown' };
  const out: Record<string, unknown> = { name: err.name, message: err.message };
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  if (err.stack) out.stack = err.stack.split('\n').slice(1, 6).join('\n');
  if (err.cause !== undefined && depth < 3) out.cause = serializeError(err.cause, depth + 1);
  return out;
}
