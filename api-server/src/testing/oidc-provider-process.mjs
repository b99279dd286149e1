// A real OpenID Connect provider (oidc-provider) for the integration tests, standing in
// for Google: run as a child process (oidc-provider is ESM-only) by testing/oidc-server.ts.
// Arguments come as one JSON object in argv[2]; it prints {"issuer": ...} when listening.
// Besides the provider itself it serves:
//   GET/POST /interaction/:uid  a login + consent form (user name, Allow / Deny)
//   GET /api/me                 a protected resource: the bearer token's account, or 401
//   GET /__stats                how many token-endpoint requests it answered, by grant type
import { readFileSync } from 'node:fs';
import https from 'node:https';
import Provider from 'oidc-provider';

const options = JSON.parse(process.argv[2]);
const stats = { token: {} };
const server = https.createServer({ cert: readFileSync(options.cert), key: readFileSync(options.key) });
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `https://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: options.clientId,
      client_secret: options.clientSecret,
      redirect_uris: [options.redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  scopes: ['openid', 'offline_access', 'email', 'profile', 'api'],
  claims: { openid: ['sub'], email: ['email'], profile: ['name'] },
  findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id, email: `${id}@example.test`, name: id }) }),
  features: { devInteractions: { enabled: false }, revocation: { enabled: true }, userinfo: { enabled: true } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  // Refresh tokens for every code grant; rotation as the test asks.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: () => options.rotateRefreshTokens,
  ttl: { AccessToken: options.accessTokenTtl ?? 3600, AuthorizationCode: 60, Grant: 3600, Interaction: 600, Session: 3600, RefreshToken: 86400 },
  cookies: { keys: ['alter-vault-test-only'] },
  pkce: { required: () => true },
});
const callback = provider.callback();
// Every answered token request, successful or not, by grant type.
const count = (ctx) => {
  const type = ctx.oidc?.params?.grant_type ?? 'unknown';
  stats.token[type] = (stats.token[type] ?? 0) + 1;
};
provider.on('grant.success', count);
provider.on('grant.error', count);

const form = (uid) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head><body><main><h1>Sign in to the test provider</h1>` +
  `<form method="post" action="/interaction/${uid}"><label>User <input name="login" autocomplete="username" required></label>` +
  `<button name="decision" value="allow">Allow</button> <button name="decision" value="deny">Deny</button></form></main></body></html>`;

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(form(uid));
    return;
  }
  const body = await readForm(req);
  if (body.get('decision') !== 'allow') {
    await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the user declined' }, { mergeWithLastSubmission: false });
    return;
  }
  const accountId = body.get('login');
  const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
}

server.on('request', async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    const match = /^\/interaction\/([^/]+)$/.exec(url.pathname);
    if (match) return await interaction(req, res, match[1]);
    if (url.pathname === '/api/me') {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const found = token ? await provider.AccessToken.find(token) : undefined;
      if (!found) return res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_token"}');
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sub: found.accountId }));
    }
    if (url.pathname === '/__stats') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
    return callback(req, res);
  } catch (err) {
    process.stderr.write(`${err.stack}\n`);
    if (!res.headersSent) res.writeHead(500).end();
  }
});

process.stdout.write(`${JSON.stringify({ issuer })}\n`);
