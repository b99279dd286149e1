import { adminRoutes } from './admin.router';
import { auditRoutes } from './audit.router';
import { brandingRoutes } from './branding.router';
import { connectRoutes } from './connect.router';
import { delegationRoutes } from './delegations.router';
import { grantRoutes } from './grants.router';
import { identityProviderRoutes } from './identity-providers.router';
import { providerRoutes } from './providers.router';
import { keyRoutes } from './keys.router';
import { hotPathRoutes } from './proxy.router';
import { connectPageRoutes } from './connect-pages';
import { walletPageRoutes } from './wallet-pages';
import { internalRoutes } from './internal';
import type { PlainRoute } from './openapi';
import type { RouteSpec } from './route';
import { ruleRoutes } from './rules.router';
import { secretRoutes } from './secrets.router';
import type { Services } from './services';

/** Every public endpoint, in the order they are mounted and documented. */
export function allRouteSpecs(services: Services): RouteSpec[] {
  return [
    ...keyRoutes(services),
    ...secretRoutes(services),
    ...providerRoutes(services),
    ...identityProviderRoutes(services),
    ...brandingRoutes(services),
    ...connectRoutes(services),
    ...grantRoutes(services),
    ...delegationRoutes(services),
    ...hotPathRoutes(services),
    ...auditRoutes(services),
    ...ruleRoutes(services),
    ...adminRoutes(services),
  ];
}

/** The routes without an API key (probes, metrics, the connect pages and OAuth callback), as documented. */
export const plainRoutes: PlainRoute[] = [...internalRoutes, ...connectPageRoutes, ...walletPageRoutes];
