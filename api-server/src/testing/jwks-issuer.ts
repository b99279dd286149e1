// A token issuer publishing its keys the way a Kubernetes apiserver does (OIDC discovery +
// JWKS over https), for testing service-account authentication without a cluster: it signs
// service-account tokens with its current key and can rotate it. The e2e tier repeats the
// proof against a real kube-apiserver.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { testEnv } from '../../../testenv/env';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

export interface JwksIssuer {
  url: string;
  /** A service-account token as a projected volume holds it; override claims to break it. */
  token(namespace: string, serviceAccount: string, overrides?: { audience?: string; issuer?: string; expiresIn?: string; key?: PrivateKey; kid?: string }): Promise<string>;
  /** Any other token this issuer signs (an end user's ID token, say): `iss`, `iat` and `exp` are set unless given. */
  sign(claims: JWTPayload, overrides?: { expiresIn?: string; key?: PrivateKey; kid?: string }): Promise<string>;
  /** A fresh signing key replaces the current one in the JWKS. */
  rotate(): Promise<void>;
  /** A key this issuer never published. */
  strangerKey(): Promise<PrivateKey>;
  /** The current public key as a PEM (for the HMAC-confusion test). */
  publicPem(): string;
  close(): Promise<void>;
}

export async function startJwksIssuer(): Promise<JwksIssuer> {
  const env = testEnv();
  let current = await newKey(1);
  const server = https.createServer({ cert: readFileSync(env.serverCertFile), key: readFileSync(env.serverKeyFile) }, (req, res) => {
    const path = new URL(req.url!, 'https://x').pathname;
    if (path === '/.well-known/openid-configuration') {
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: url, jwks_uri: `${url}/openid/v1/jwks`, id_token_signing_alg_values_supported: ['RS256'] }));
    }
    if (path === '/openid/v1/jwks') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [current.jwk] }));
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async token(namespace, serviceAccount, o = {}) {
      return new SignJWT({ 'kubernetes.io': { namespace, serviceaccount: { name: serviceAccount, uid: 'uid-1' } } })
        .setProtectedHeader({ alg: 'RS256', kid: o.kid ?? current.kid })
        .setIssuer(o.issuer ?? url)
        .setSubject(`system:serviceaccount:${namespace}:${serviceAccount}`)
        .setAudience(o.audience ?? 'alter-vault')
        .setIssuedAt()
        .setExpirationTime(o.expiresIn ?? '10m')
        .sign(o.key ?? current.privateKey);
    },
    async sign(claims, o = {}) {
      const jwt = new SignJWT({ iss: url, ...claims }).setProtectedHeader({ alg: 'RS256', kid: o.kid ?? current.kid }).setIssuedAt();
      if (claims.exp === undefined) jwt.setExpirationTime(o.expiresIn ?? '10m');
      return jwt.sign(o.key ?? current.privateKey);
    },
    async rotate() {
      current = await newKey(Number(current.kid.slice(4)) + 1);
    },
    async strangerKey() {
      return (await generateKeyPair('RS256')).privateKey;
    },
    publicPem() {
      return current.pem;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function newKey(n: number): Promise<{ kid: string; privateKey: PrivateKey; jwk: JWK; pem: string }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `key-${n}`;
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }, pem: await exportSPKI(publicKey) };
}
