// The public API's trust boundary: every route reads authenticate → authorize → validate
// → handler, and answers JSON with the shared error envelope.
import express, { NextFunction, Request, Response, Router } from 'express';
import type { z } from 'zod';
import { authenticate } from '../auth/authenticate';
import { sendError } from './errors';
import { RouteSpec } from './route';
import { auditRejectedUse, Services } from './services';

/** zod issues without their `input`: a rejected value may be a secret. */
export function describeIssues(error: z.ZodError) {
  return error.issues.map((i) => ({ path: i.path.join('.'), code: i.code, message: i.message }));
}

function mount(router: Router, spec: RouteSpec, services: Services): void {
  router[spec.method](spec.path, async (req: Request, res: Response) => {
    const requestId = res.locals.requestId as string;
    const caller = await authenticate(services.db, req.headers.authorization, req.ip, services.now());
    if (!caller.ok) {
      if (spec.use && caller.identified) await auditRejectedUse(services, caller.identified, requestId, spec.use, req.body, caller.error.code);
      return sendError(res, caller.error);
    }
    // RFC 9745: a deprecated key still works, and every answer to it says since when.
    if (caller.value.deprecatedAt) res.setHeader('Deprecation', `@${Math.floor(caller.value.deprecatedAt.getTime() / 1000)}`);
    if (spec.scope && !caller.value.scopes.has(spec.scope)) {
      return sendError(res, { code: 'missing_scope', message: `this key lacks the ${spec.scope} scope` });
    }
    let body: unknown = undefined;
    if (spec.body) {
      const parsed = spec.body.safeParse(req.body ?? undefined);
      if (!parsed.success) return sendError(res, { code: 'invalid_request', message: 'the request body is invalid', details: describeIssues(parsed.error) });
      body = parsed.data;
    }
    let params: unknown = undefined;
    if (spec.params) {
      const parsed = spec.params.safeParse(req.params);
      if (!parsed.success) return sendError(res, { code: 'invalid_request', message: 'the path is invalid', details: describeIssues(parsed.error) });
      params = parsed.data;
    }
    let query: unknown = undefined;
    if (spec.query) {
      const parsed = spec.query.safeParse(req.query);
      if (!parsed.success) return sendError(res, { code: 'invalid_request', message: 'the query string is invalid', details: describeIssues(parsed.error) });
      query = parsed.data;
    }
    const result = await spec.handler({ req, res, caller: caller.value, body, query, params, requestId });
    if (!result) return;
    if (!result.ok) return sendError(res, result.error);
    const status = spec.successStatus ?? 200;
    if (status === 204) res.status(204).end();
    else res.status(status).json(result.value);
  });
}

export function publicRouter(specs: RouteSpec[], services: Services, maxRequestBytes: number): Router {
  const router = Router();
  router.use('/v1', (_req: Request, res: Response, next: NextFunction) => {
    // Answers may hold credentials (token mode) or tenant data: never cache them.
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  router.use('/v1', express.json({ limit: maxRequestBytes, strict: true }));
  for (const spec of specs) mount(router, spec, services);
  return router;
}
