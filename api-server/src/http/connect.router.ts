import { createConnectSessionRequest } from '@alter-vault/sdk';
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
        return services.connect.createSession(caller, body, requestId);
      },
    }),
  ];
}
