// The public API's trust boundary: every route reads authenticate → authorize → validate
// → handler, and answers JSON with the shared error envelope.
import express, { NextFunction, Request, Response, Router } from 'express';
import type { z } from 'zod';
import { authenticate } from '../auth/authenticate';
import { actForEndUser } from '../auth/user-token';
import { fail, ok, Result } from '../result';
import { sendError } from './errors';
import { RouteSpec } from './route';
import { auditRejectedUse, Services } from './services';

/** zod issues without their `input`: a rejected value may be a secret. */
export function describeIssues(error: z.ZodError) {
  return error.issues.map((i) => ({ path: i.path.join('.'), code: i.code, message: i.message }));
}

/** A part of the request checked against its declared schema; undeclared parts stay undefined. */
function validate(schema: z.ZodType | undefined, input: unknown, what: string): Result<unknown> {
  if (!schema) return ok(undefined);
  const parsed = schema.safeParse(input);
  return parsed.success ? ok(parsed.data) : fail('invalid_request', `${what} is invalid`, describeIssues(parsed.error));
}

function mount(router: Router, spec: RouteSpec, services: Services): void {
  router[spec.method](spec.path, async (req: Request, res: Response) => {
    const requestId = res.locals.requestId as string;
    const authenticated = await authenticate(services, req.headers.authorization, req.ip, services.now());
    // An app acting for an end user sends the user's token too (X-Alter-User-Token).
    const caller = authenticated.ok ? await actForEndUser(services, authenticated.value, req.get('x-alter-user-token')) : authenticated;
    if (!caller.ok) {
      if (spec.use && caller.identified) await auditRejectedUse(services, caller.identified, requestId, spec.use, req.body, caller.error.code);
      return sendError(res, caller.error);
    }
    // RFC 9745: a deprecated key still works, and every answer to it says since when.
    if (caller.value.deprecatedAt) res.setHeader('Deprecation', `@${Math.floor(caller.value.deprecatedAt.getTime() / 1000)}`);
    if (spec.scope && !caller.value.scopes.has(spec.scope)) {
      return sendError(res, { code: 'missing_scope', message: `this key lacks the ${spec.scope} scope` });
    }
    const body = validate(spec.body, req.body ?? undefined, 'the request body');
    if (!body.ok) return sendError(res, body.error);
    const params = validate(spec.params, req.params, 'the path');
    if (!params.ok) return sendError(res, params.error);
    const query = validate(spec.query, req.query, 'the query string');
    if (!query.ok) return sendError(res, query.error);
    const result = await spec.handler({ req, res, caller: caller.value, body: body.value, query: query.value, params: params.value, requestId });
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
