// JSON logs on stdout, one line per event (the same shape as the api-server's).
export interface Logger {
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
}

export function createLogger(write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  const log = (level: string) => (fields: Record<string, unknown>, msg: string) => {
    const err = fields.err instanceof Error ? { err: { message: fields.err.message, name: fields.err.name } } : {};
    write(`${JSON.stringify({ level, time: new Date().toISOString(), msg, ...fields, ...err })}\n`);
  };
  return { info: log('info'), warn: log('warn'), error: log('error') };
}
