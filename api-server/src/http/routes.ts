import { auditRoutes } from './audit.router';
import { connectRoutes } from './connect.router';
import { grantRoutes } from './grants.router';
import { providerRoutes } from './providers.router';
import { keyRoutes } from './keys.router';
import { hotPathRoutes } from './proxy.router';
import type { RouteSpec } from './route';
import { secretRoutes } from './secrets.router';
import type { Services } from './services';

/** Every public endpoint, in the order they are mounted and documented. */
export function allRouteSpecs(services: Services): RouteSpec[] {
  return [
    ...keyRoutes(services),
    ...secretRoutes(services),
    ...providerRoutes(services),
    ...connectRoutes(services),
    ...grantRoutes(services),
    ...hotPathRoutes(services),
    ...auditRoutes(services),
  ];
}
