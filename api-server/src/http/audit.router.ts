import { auditQuery, auditVerifyQuery } from '@alter-vault/sdk';
import { exportNdjson, list, verify } from '../audit/audit.service';
import { ok } from '../result';
import { route, RouteSpec } from './route';
import type { Services } from './services';

export function auditRoutes(services: Services): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/v1/audit',
      summary: 'Query the audit log, newest first, with filters and cursor pagination',
      scope: 'audit:read',
      query: auditQuery,
      responses: { 200: '{ events, nextCursor }' },
      async handler({ caller, query }) {
        return list(services.db, caller.tenantId, query);
      },
    }),
    route({
      method: 'get',
      path: '/v1/audit/export',
      summary: 'Export the audit log as NDJSON, oldest first, with the same filters',
      scope: 'audit:read',
      query: auditQuery,
      responses: { 200: 'one JSON event per line (application/x-ndjson)' },
      async handler({ caller, query, res }) {
        res.status(200).type('application/x-ndjson');
        for await (const line of exportNdjson(services.db, caller.tenantId, query)) {
          if (!res.write(line)) await new Promise((resolve) => res.once('drain', resolve));
        }
        res.end();
      },
    }),
    route({
      method: 'get',
      path: '/v1/audit/verify',
      summary: 'Recompute the hash chain over a time range and report the first broken row',
      scope: 'audit:read',
      query: auditVerifyQuery,
      responses: { 200: '{ ok, checked, firstBrokenSeq, headSeq }' },
      async handler({ caller, query }) {
        return ok(await verify(services.db, caller.tenantId, query));
      },
    }),
  ];
}
