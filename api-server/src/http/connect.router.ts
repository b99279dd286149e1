import { createConnectSessionRequest } from '@alter-vault/sdk';
import { fail } from '../result';
import { route, RouteSpec } from './route';
import type { Services } from './services';

export function connectRoutes(services: Services): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: '/v1/connect/sessions',
      summary: 'Start the hosted connect flow for one end user: answers a short-lived, single-use URL',
      scope: 'connect:create',
      body: createConnectSessionRequest,
      successStatus: 201,
      responses: { 201: '{ token, url, expiresAt }' },
      async handler({ caller, body, requestId }) {
        // Acting for an end user, a key connects grants for that user only.
        if (caller.principal && body.principalId !== caller.principal.externalId) return fail('invalid_request', 'principalId must be the end user of X-Alter-User-Token');
        return services.connect.createSession(caller, body, requestId);
      },
    }),
  ];
}
