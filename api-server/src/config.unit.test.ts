import path from 'node:path';
import { ConfigError, parseConfig } from './config';

describe('parseConfig', () => {
  it('pins the defaults (a changed default must show up in review)', () => {
    const config = parseConfig({});
    // The catalog's default location depends on where the repository is checked out.
    expect(config.providersDir).toBe(path.resolve(__dirname, '../../providers'));
    expect({ ...config, providersDir: '<repo>/providers' }).toMatchSnapshot();
  });

  it('freezes the result', () => {
    const config = parseConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.proxy)).toBe(true);
  });

  it('reports every bad variable at once, naming each and echoing no value', () => {
    const secret = 'avk_short';
    let error: ConfigError | undefined;
    try {
      parseConfig({ ALTER_PORT: 'eighty', ALTER_KEY_PROVIDER: 'vault', ALTER_BOOTSTRAP_KEY: secret, ALTER_DATABASE_URL: 'mysql://x' });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems.map((p) => p.split(':')[0]).sort()).toEqual(['ALTER_BOOTSTRAP_KEY', 'ALTER_DATABASE_URL', 'ALTER_KEY_PROVIDER', 'ALTER_PORT']);
    expect(error!.message).not.toContain(secret);
  });

  it.each([
    ['local key given twice', { ALTER_LOCAL_KEY: 'a', ALTER_LOCAL_KEY_FILE: '/k' }, 'ALTER_LOCAL_KEY'],
    ['aws-kms without a key id', { ALTER_KEY_PROVIDER: 'aws-kms' }, 'ALTER_KMS_KEY_ID'],
    ['aws-kms with a local key too', { ALTER_KEY_PROVIDER: 'aws-kms', ALTER_KMS_KEY_ID: 'k', ALTER_LOCAL_KEY_FILE: '/k' }, 'ALTER_LOCAL_KEY_FILE'],
    ['a KMS key id with the local provider', { ALTER_KMS_KEY_ID: 'k' }, 'ALTER_KMS_KEY_ID'],
    ['a shared Postgres with a generated key', { ALTER_DATABASE_URL: 'postgres://db/vault' }, 'ALTER_LOCAL_KEY_FILE'],
  ])('refuses %s', (_name, env, variable) => {
    expect(() => parseConfig(env)).toThrow(new RegExp(`${variable}:`));
  });

  it('derives the public URL from the port and treats empty variables as unset', () => {
    expect(parseConfig({ ALTER_PORT: '9090', ALTER_LOG_LEVEL: '' })).toMatchObject({ publicUrl: 'http://127.0.0.1:9090', logLevel: 'info' });
  });

  it('accepts aws-kms with a key id', () => {
    expect(parseConfig({ ALTER_KEY_PROVIDER: 'aws-kms', ALTER_KMS_KEY_ID: 'alias/vault' }).keyProvider).toEqual({ kind: 'aws-kms', keyId: 'alias/vault' });
  });
});
