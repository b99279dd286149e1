// Each endpoint is declared once: method, path, scope, request schemas and handler. The
// same declaration mounts the express route (authenticate → authorize → validate →
// handler) and describes it in /v1/openapi.json, so the two cannot drift.
import type { Scope } from '@alter-vault/sdk';
import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { Caller } from '../auth/caller';
import type { GrantAction } from '../policy/authorizer';
import type { Result } from '../result';

export interface RouteContext<B, Q, P> {
  req: Request;
  res: Response;
  caller: Caller;
  body: B;
  query: Q;
  params: P;
  requestId: string;
}

export interface RouteSpec<B = unknown, Q = unknown, P = unknown> {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  summary: string;
  /**
   * The key scope the route needs, checked before the handler. Hot-path routes leave it
   * out and authorize inside the service, so that a denial is audited like any use.
   */
  scope?: Scope;
  /**
   * The use of a grant this route makes (hot-path routes). A key that is found but may not be
   * used (revoked, expired, outside its CIDRs) is then audited as a denied use in its tenant.
   */
  use?: GrantAction;
  body?: z.ZodType<B>;
  query?: z.ZodType<Q>;
  /** Required when the path has parameters: a malformed one is refused before any lookup. */
  params?: z.ZodType<P>;
  successStatus?: number;
  /** Status → description, for the OpenAPI document (errors use the shared envelope). */
  responses: Record<number, string>;
  /** Returns a Result to send as JSON, or nothing when it wrote the response itself. */
  handler(ctx: RouteContext<B, Q, P>): Promise<Result<unknown> | void>;
}

export const route = <B = undefined, Q = undefined, P = undefined>(spec: RouteSpec<B, Q, P>): RouteSpec => spec as unknown as RouteSpec;
