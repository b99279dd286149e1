import { errorCodes } from './errors';
import { GrantNotFound, InvalidRequest, ProviderError, RateLimited, ReauthRequired, vaultError, VaultError } from './vault-error';

describe('vaultError', () => {
  it.each([
    ['rate_limited', 429, RateLimited],
    ['reauth_required', 409, ReauthRequired],
    ['consent_required', 409, ReauthRequired],
    ['provider_error', 502, ProviderError],
    ['provider_not_found', 404, InvalidRequest],
    ['grant_not_found', 404, GrantNotFound],
  ] as const)('gives %s (HTTP %i) its class', (code, status, Class) => {
    const err = vaultError(code, 'm', status, 'req-1');
    expect(err).toBeInstanceOf(Class);
    expect(err).toMatchObject({ name: Class.name, code, status, requestId: 'req-1' });
  });

  it('gives every other code the base class, with the code kept', () => {
    expect(errorCodes).toContain('rate_limited');
    const err = vaultError('internal_error', 'm', 500, undefined);
    expect(err.constructor).toBe(VaultError);
    expect(err.code).toBe('internal_error');
  });
});
