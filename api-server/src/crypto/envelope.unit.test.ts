import { Counter, Registry } from 'prom-client';
import { open, seal } from './aes-gcm';
import { CryptoMetrics, grantAad } from './envelope';

describe('envelope AAD', () => {
  const tenant = '7d0e1c0e-6a53-4c55-9a3c-2f0f3a0d9e11';
  const grant = 'a1b2c3d4-0000-4000-8000-000000000001';
  const otherGrant = 'a1b2c3d4-0000-4000-8000-000000000002';
  const otherTenant = '7d0e1c0e-6a53-4c55-9a3c-2f0f3a0d9e12';
  const dek = Buffer.alloc(32, 3);

  it('is grant id | tenant id', () => {
    expect(grantAad(grant, tenant).toString()).toBe(`${grant}|${tenant}`);
  });

  it.each([
    ['another grant of the same tenant', otherGrant, tenant],
    ['the same grant id under another tenant', grant, otherTenant],
  ])('binds a ciphertext to its row: %s cannot open it', (_name, g, t) => {
    const sealed = seal(dek, Buffer.from('token'), grantAad(grant, tenant));
    expect(open(dek, sealed, grantAad(grant, tenant)).toString()).toBe('token');
    expect(() => open(dek, sealed, grantAad(g, t))).toThrow(expect.objectContaining({ code: 'ciphertext_invalid' }));
  });
});

describe('CryptoMetrics', () => {
  it('is satisfied by prom-client counters', async () => {
    const registers = [new Registry()];
    const metrics: CryptoMetrics = {
      kmsCalls: new Counter({ name: 'kms_calls_total', help: 'x', labelNames: ['op', 'outcome'], registers }),
      dekCache: new Counter({ name: 'dek_cache_total', help: 'x', labelNames: ['result'], registers }),
    };
    metrics.kmsCalls.inc({ op: 'unwrap', outcome: 'ok' });
    metrics.dekCache.inc({ result: 'hit' });
    expect(await registers[0]!.metrics()).toContain('kms_calls_total{op="unwrap",outcome="ok"} 1');
  });
});
