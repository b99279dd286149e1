// Generates the TypeScript types of the custom resources from their CRDs (crds/*.yaml, the source of
// truth, STYLE 17) and prints them; `make generate` writes them to operator/src/generated/crds.ts and
// `make verify` fails when that file differs (STYLE 25). Run it with
// `node -r ./bench/ts-register.js scripts/generate-crd-types.ts`.
//
// Each kind gets `<Kind>` (apiVersion, kind, metadata, spec, status), `<Kind>Spec`, `<Kind>Status`,
// one interface per nested object (`<Kind><Field>`, array items in the singular), `<Kind>List` and a
// `<kind>Resource` descriptor for API calls. The conditions of every kind are one shared `Condition`.
// Descriptions become doc comments. The output depends only on the CRD files: same input, same bytes.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const REPO_ROOT = path.resolve(__dirname, '..');
const CRD_DIR = path.join(REPO_ROOT, 'crds');
const WIDTH = 110;

interface Schema {
  type?: string;
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  enum?: unknown[];
  default?: unknown;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
}

interface Crd {
  file: string;
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames?: string[]; categories?: string[] };
    versions: { name: string; served: boolean; storage: boolean; schema: { openAPIV3Schema: Schema } }[];
  };
}

class GenerateError extends Error {
  constructor(file: string, where: string, message: string) {
    super(`${file}: ${where}: ${message}`);
    this.name = 'GenerateError';
  }
}

function readCrds(): Crd[] {
  const files = readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml')).sort();
  if (files.length === 0) throw new Error(`no CRDs in ${CRD_DIR}`);
  return files.map((file) => {
    const doc = parse(readFileSync(path.join(CRD_DIR, file), 'utf8')) as Crd & { apiVersion?: string; kind?: string };
    if (doc?.apiVersion !== 'apiextensions.k8s.io/v1' || doc.kind !== 'CustomResourceDefinition') {
      throw new GenerateError(file, 'document', 'expected one apiextensions.k8s.io/v1 CustomResourceDefinition');
    }
    return { ...doc, file };
  });
}

const pascal = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1);
const singular = (name: string): string => (name.endsWith('ies') ? `${name.slice(0, -3)}y` : name.endsWith('s') ? name.slice(0, -1) : name);
/** A single-quoted TypeScript string literal, as the rest of the code base writes them. */
const quote = (value: unknown): string => {
  if (typeof value !== 'string') return JSON.stringify(value);
  return `'${JSON.stringify(value).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'")}'`;
};
const propertyKey = (name: string): string => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : quote(name));

/** A doc comment from a description (and a default), words wrapped at WIDTH. */
function docComment(indent: string, description: string | undefined, defaultValue?: unknown): string[] {
  const paragraphs = (description ?? '').trim().split(/\n\s*\n/).filter(Boolean);
  if (defaultValue !== undefined) paragraphs.push(`@default ${quote(defaultValue)}`);
  if (paragraphs.length === 0) return [];
  const lines: string[] = [];
  paragraphs.forEach((paragraph, i) => {
    if (i > 0) lines.push('');
    let line = '';
    for (const word of paragraph.replace(/\*\//g, '*\\/').split(/\s+/)) {
      if (line && indent.length + 3 + line.length + 1 + word.length > WIDTH) {
        lines.push(line);
        line = word;
      } else {
        line = line ? `${line} ${word}` : word;
      }
    }
    lines.push(line);
  });
  if (lines.length === 1) return [`${indent}/** ${lines[0]} */`];
  return [`${indent}/**`, ...lines.map((l) => (l ? `${indent} * ${l}` : `${indent} *`)), `${indent} */`];
}

class Emitter {
  /** Every interface so far, by name, and the names not yet taken by flush(). */
  private readonly interfaces = new Map<string, { schema: Schema; body: string[] }>();
  private pending: string[] = [];
  file = '';

  /** The TypeScript type of a schema; named interfaces for objects with properties. */
  typeOf(schema: Schema, name: string, where: string): string {
    if (schema['x-kubernetes-preserve-unknown-fields'] || schema['x-kubernetes-int-or-string']) {
      throw new GenerateError(this.file, where, 'untyped fields are not supported: give the field a structural schema');
    }
    if (schema.enum) return schema.enum.map(quote).join(' | ');
    switch (schema.type) {
      case 'string':
        return 'string';
      case 'integer':
      case 'number':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'array': {
        if (!schema.items) throw new GenerateError(this.file, where, 'an array needs items');
        const item = this.typeOf(schema.items, singular(name), `${where}[]`);
        return item.includes(' ') ? `(${item})[]` : `${item}[]`;
      }
      case 'object':
        if (schema.properties) return this.interfaceFor(schema, name, where);
        if (typeof schema.additionalProperties === 'object') {
          return `Record<string, ${this.typeOf(schema.additionalProperties, `${name}Value`, `${where}{}`)}>`;
        }
        throw new GenerateError(this.file, where, 'an object needs properties or additionalProperties');
      default:
        throw new GenerateError(this.file, where, `unsupported type ${JSON.stringify(schema.type)}`);
    }
  }

  /** A named interface; a name already taken must describe the same schema (as every kind's Condition does). */
  interfaceFor(schema: Schema, name: string, where: string): string {
    const existing = this.interfaces.get(name);
    if (existing) {
      if (JSON.stringify(existing.schema) !== JSON.stringify(schema)) {
        throw new GenerateError(this.file, where, `differs from the schema already named ${name}: keep one schema, or rename`);
      }
      return name;
    }
    const entry = { schema, body: [] as string[] };
    this.interfaces.set(name, entry);
    this.pending.push(name);
    const required = new Set(schema.required ?? []);
    const lines = [...docComment('', schema.description), `export interface ${name} {`];
    // Children of <Kind>Spec are named <Kind><Field>, deeper ones <Parent><Field>; conditions are the one Condition.
    const prefix = name.endsWith('Spec') ? name.slice(0, -'Spec'.length) : name;
    for (const [key, prop] of Object.entries(schema.properties ?? {})) {
      const at = `${where}.${key}`;
      const childName = key === 'conditions' && name.endsWith('Status') ? 'Condition' : `${prefix}${pascal(key)}`;
      lines.push(...docComment('  ', prop.description, prop.default));
      lines.push(`  ${propertyKey(key)}${required.has(key) ? '' : '?'}: ${this.typeOf(prop, childName, at)};`);
    }
    lines.push('}');
    entry.body = lines;
    return name;
  }

  /** The interfaces added since the last flush, in the order they were first referenced. */
  flush(): string[] {
    const out = this.pending.flatMap((name) => ['', ...(this.interfaces.get(name)?.body ?? [])]);
    this.pending = [];
    return out;
  }
}

const HEADER = `// Code generated by scripts/generate-crd-types.ts from crds/*.yaml. DO NOT EDIT.
// Change the CRDs, then run \`make generate\`; \`make verify\` fails while this file is stale.
// These are the resources' JSON forms, as the API server sends and accepts them.`;

const OBJECT_META = `
/** The metadata fields of a namespaced object that the operator reads and writes (metav1.ObjectMeta, JSON form). */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  /** Bumped by the API server on every change of the spec, never by a status write. */
  generation?: number;
  /** RFC 3339. */
  creationTimestamp?: string;
  /** RFC 3339; set once deletion has been requested and finalizers remain. */
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** The metadata of a list (metav1.ListMeta, JSON form). */
export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}`;

export function generate(crds: Crd[]): string {
  const group = crds[0]?.spec.group;
  const versionOf = (crd: Crd) => {
    if (crd.spec.group !== group) throw new GenerateError(crd.file, 'spec.group', `expected ${group}, as the other CRDs`);
    const served = crd.spec.versions.filter((v) => v.served);
    if (served.length !== 1 || !served[0]?.storage) throw new GenerateError(crd.file, 'spec.versions', 'expected exactly one served version, the storage version');
    return served[0];
  };
  const version = versionOf(crds[0] as Crd).name;
  const out: string[] = [HEADER, ''];
  out.push(`export const GROUP = ${quote(group)};`);
  out.push(`export const VERSION = ${quote(version)};`);
  out.push(`export const API_VERSION = ${quote(`${group}/${version}`)};`);
  out.push(OBJECT_META);

  const emitter = new Emitter();
  for (const crd of crds) {
    const v = versionOf(crd);
    if (v.name !== version) throw new GenerateError(crd.file, 'spec.versions', `expected ${version}, as the other CRDs`);
    const { kind, listKind, plural, singular: single, shortNames = [], categories = [] } = crd.spec.names;
    const root = v.schema.openAPIV3Schema;
    const { spec, status } = root.properties ?? {};
    if (!spec) throw new GenerateError(crd.file, 'openAPIV3Schema', 'a spec is required');
    emitter.file = crd.file;
    // The shared metav1.Condition goes before the first kind that uses it.
    const conditions = status?.properties?.conditions?.items;
    if (conditions) {
      emitter.interfaceFor(conditions, 'Condition', 'status.conditions[]');
      out.push(...emitter.flush());
    }
    const specType = emitter.interfaceFor(spec, `${kind}Spec`, 'spec');
    const statusType = status ? emitter.interfaceFor(status, `${kind}Status`, 'status') : undefined;

    out.push('', `// ${kind} (crds/${crd.file})`);
    out.push('', `/** How to address ${plural} in API calls. */`);
    out.push(`export const ${kind.charAt(0).toLowerCase()}${kind.slice(1)}Resource = {`);
    out.push('  group: GROUP,', '  version: VERSION,', `  kind: ${quote(kind)},`, `  listKind: ${quote(listKind)},`);
    out.push(`  plural: ${quote(plural)},`, `  singular: ${quote(single)},`);
    out.push(`  shortNames: [${shortNames.map(quote).join(', ')}],`, `  categories: [${categories.map(quote).join(', ')}],`, '} as const;');
    out.push('', ...docComment('', root.description), `export interface ${kind} {`);
    out.push('  apiVersion: typeof API_VERSION;', `  kind: ${quote(kind)};`, '  metadata: ObjectMeta;');
    out.push(`  spec${(root.required ?? []).includes('spec') ? '' : '?'}: ${specType};`);
    if (statusType) out.push(`  status?: ${statusType};`);
    out.push('}');
    out.push('', `export interface ${listKind} {`, '  apiVersion: typeof API_VERSION;', `  kind: ${quote(listKind)};`);
    out.push('  metadata: ListMeta;', `  items: ${kind}[];`, '}');
    out.push(...emitter.flush());
  }
  return `${out.join('\n')}\n`;
}

if (require.main === module) {
  process.stdout.write(generate(readCrds()));
}
