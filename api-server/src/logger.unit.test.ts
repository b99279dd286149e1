import { Writable } from 'node:stream';
import { createLogger, serializeError } from './logger';

describe('serializeError', () => {
  it('keeps name, code, message and cause, and drops every other field of a token-bearing error', () => {
    const token = 'ya29.secret-access-token';
    const err = Object.assign(new Error('token endpoint answered 400'), {
      code: 'invalid_grant',
      response: { body: { access_token: token } },
      config: { headers: { authorization: `Bearer ${token}` } },
      cause: Object.assign(new Error('inner'), { request: { token } }),
    });
    const out = serializeError(err);
    expect(JSON.stringify(out)).not.toContain(token);
    expect(out).toMatchObject({ name: 'Error', code: 'invalid_grant', message: 'token endpoint answered 400', cause: { message: 'inner' } });
  });

  it('describes a thrown non-error without its content', () => {
    expect(serializeError({ token: 'x' })).toEqual({ message: 'non-error thrown' });
  });
});

describe('createLogger', () => {
  it('redacts credential-shaped fields', () => {
    const lines: string[] = [];
    const logger = createLogger('info', new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) }));
    logger.info({ req: { authorization: 'Bearer avk_leak', token: 't0k3n' }, headers: { cookie: 'c' } }, 'hello');
    expect(lines.join('')).not.toMatch(/avk_leak|t0k3n|"cookie"/);
  });
});
