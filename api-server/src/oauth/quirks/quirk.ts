// Provider behaviour that is not data (providers/README.md lists the quirks). Each quirk
// turns a provider's deviation back into the RFC 6749 / RFC 7009 shape openid-client expects.

/** oauth4webapi's customFetch signature. */
export type Fetch = (url: string, init: { method: string; headers: Record<string, string>; body?: unknown; redirect?: 'manual'; signal?: AbortSignal }) => Promise<Response>;

export interface RevokeContext {
  revocationUrl: string;
  clientId: string;
  clientSecret: string;
  /** The grant's tokens; a quirk revokes what its provider needs. */
  accessToken: string;
  refreshToken: string | undefined;
  fetch: typeof globalThis.fetch;
  signal: AbortSignal;
}

export interface Quirk {
  /** Rewrites the authorization request's parameters. */
  authorizationParams?(params: Record<string, string>): Record<string, string>;
  /** Wraps the fetch used for the token endpoint, normalising requests and answers. */
  tokenFetch?(next: Fetch, tokenUrl: string): Fetch;
  /** Revokes at the provider when it has no RFC 7009 endpoint. */
  revoke?(ctx: RevokeContext): Promise<void>;
}

export function jsonResponse(body: unknown, status: number): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** Fails unless the provider answered 2xx; the message carries the status only (bodies may echo tokens). */
export function expectOk(res: Response, what: string): void {
  if (!res.ok) throw new Error(`${what} answered HTTP ${res.status}`);
}
