import { proxyRequest, retrieveTokenRequest } from '@alter-vault/sdk';
import { route, RouteSpec } from './route';
import type { Services } from './services';

// No route-level scope: the hot path checks it as its authorize step, so denials are audited.
export function hotPathRoutes(services: Services): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: '/v1/proxy',
      use: 'proxy',
      summary: 'Call a provider API with the grant’s credential injected (needs proxy:execute); the token never leaves',
      body: proxyRequest,
      responses: { 200: '{ status, headers, body, bodyEncoding } of the upstream answer' },
      async handler({ req, caller, body, requestId }) {
        return services.hotPath.proxy(caller, body, { requestId, reason: body.reason, context: body.context, ip: req.ip });
      },
    }),
    route({
      method: 'post',
      path: '/v1/tokens/retrieve',
      use: 'retrieve_token',
      summary: 'Token mode (needs tokens:retrieve): the credential itself, where policy allows it',
      body: retrieveTokenRequest,
      responses: { 200: '{ token, expiresAt, injection }' },
      async handler({ req, caller, body, requestId }) {
        return services.hotPath.retrieveToken(caller, body.grantId, { requestId, reason: body.reason, context: body.context, ip: req.ip });
      },
    }),
  ];
}
