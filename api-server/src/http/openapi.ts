// /v1/openapi.json, generated from the same route declarations that mount the routes.
import { errorCodes } from '@alter-vault/sdk';
import { z } from 'zod';
import type { RouteSpec } from './route';

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string', enum: [...errorCodes] }, message: { type: 'string' }, details: {} },
    },
  },
};

const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });

export interface PlainRoute {
  method: 'get' | 'post';
  path: string;
  summary: string;
}

export function openApiDocument(specs: RouteSpec[], internal: PlainRoute[], version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of specs) {
    const path = spec.path.replace(/:(\w+)/g, '{$1}');
    const paramSchemas = (spec.params ? jsonSchema(spec.params).properties ?? {} : {}) as Record<string, object>;
    const params = [...spec.path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: paramSchemas[m[1]!] ?? { type: 'string' } }));
    const query = spec.query ? Object.entries((jsonSchema(spec.query).properties ?? {}) as Record<string, object>).map(([name, schema]) => ({ name, in: 'query', required: false, schema })) : [];
    const responses: Record<string, unknown> = {};
    for (const [status, description] of Object.entries(spec.responses)) responses[status] = { description };
    responses.default = { description: 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    (paths[path] ??= {})[spec.method] = {
      summary: spec.summary,
      security: [{ bearer: [] }],
      ...(spec.scope ? { 'x-alter-scope': spec.scope } : {}),
      ...(params.length || query.length ? { parameters: [...params, ...query] } : {}),
      ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(spec.body) } } } } : {}),
      responses,
    };
  }
  for (const r of internal) (paths[r.path] ??= {})[r.method] = { summary: r.summary, security: [], responses: { 200: { description: 'ok' } } };
  return {
    openapi: '3.1.0',
    info: { title: 'Alter Vault API', version, license: { name: 'Apache-2.0' } },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas: { Error: errorSchema } },
    paths,
  };
}
