import { spawn } from 'node:child_process';
import { get as httpGet, type IncomingHttpHeaders } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getCountries } from 'libphonenumber-js/max';
import * as z from 'zod';
import { ROUTES } from '../../shared/routes';
import { ROUTE_INPUTS, type RouteKey } from '../../shared/schemas/routes';
import { TestApi, type Tenant } from '../support/runtime';

interface Operation {
  operationId: string;
  security: Record<string, string[]>[];
  parameters?: { name: string; in: string; required: boolean }[];
  requestBody?: { required: boolean; content: Record<string, { schema: unknown }> };
  responses: Record<string, unknown>;
  'x-tessera-scope': string;
}
interface Document {
  openapi: string;
  info: { license?: { name: string; identifier?: string; url?: string } };
  tags: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
}

let api: TestApi;
let tenant: Tenant;
let doc: Document;

beforeAll(async () => {
  api = await TestApi.start();
  tenant = await api.createTenant();
  const reply = await api.request<Document>('GET', '/openapi.json');
  if (reply.status !== 200 || reply.headers.get('content-type') !== 'application/json') throw new Error(`no document: ${reply.status}`);
  doc = reply.body;
});

afterAll(() => api.stop());

/**
 * A node process of its own, awaited without blocking this one: a blocked event loop misses the
 * local server closing an idle keep-alive connection, and the next fetch on it fails (ECONNRESET).
 */
function node(args: string[], input = ''): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input);
  });
}

/**
 * @seriousme/openapi-schema-validator is ESM that finds its schemas through import.meta.url, which
 * jest's CommonJS runtime cannot load: it runs in a node process of its own.
 */
async function validateOpenApi(document: unknown): Promise<{ valid: boolean; errors?: unknown }> {
  const script = `import { Validator } from '@seriousme/openapi-schema-validator';
    let input = ''; for await (const chunk of process.stdin) input += chunk;
    const result = await new Validator().validate(JSON.parse(input));
    process.stdout.write(JSON.stringify(result));`;
  const run = await node(['--input-type=module', '-e', script], JSON.stringify(document));
  if (run.status !== 0) throw new Error(`validator failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as { valid: boolean; errors?: unknown };
}

/**
 * Redocly's linter, through its CLI (ESM, like the validator above), with the project's
 * redocly.yaml: its recommended rules, and the reason next to any rule the project turns off.
 */
async function redoclyLint(document: unknown): Promise<{ ruleId: string; severity: string; message: string; pointer?: string }[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-openapi-'));
  try {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(document, null, 1));
    const run = await node([require.resolve('@redocly/cli/bin/cli.js'), 'lint', file, '--config', join(__dirname, '../../redocly.yaml'), '--format', 'json']);
    const report = JSON.parse(run.stdout) as { problems: { ruleId: string; severity: string; message: string; location: { pointer?: string }[] }[] };
    return report.problems.map(({ ruleId, severity, message, location }) => ({ ruleId, severity, message, pointer: location[0]?.pointer }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Json = Record<string, unknown>;

/** Every `properties` entry anywhere in the document, with its name. */
function allProperties(node: unknown, out: [string, Json][] = []): [string, Json][] {
  if (Array.isArray(node)) node.forEach((item) => allProperties(item, out));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node as Json)) {
      if (key === 'properties' && value && typeof value === 'object') for (const entry of Object.entries(value as Record<string, Json>)) out.push(entry);
      allProperties(value, out);
    }
  }
  return out;
}

/** The string schemas a property can hold: itself, its anyOf branches, its array items (not the fields of a nested object). */
const strings = (schema: Json): Json[] =>
  schema.type === 'string' ? [schema] : [...((schema.anyOf ?? schema.oneOf ?? []) as Json[]), ...(schema.items ? [schema.items as Json] : [])].flatMap(strings);

const documented = () => Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method: method.toUpperCase(), op })));

/** Valid sample values of each path parameter, so a request reaches the handler's own checks. */
const SAMPLE: Record<string, string> = {
  challengeId: `ch_${'A'.repeat(22)}`,
  userId: 'nobody',
  passwordId: `ap_${'A'.repeat(16)}`,
  serial: 'TOKEN-1',
  keyId: '0123456789abcdef',
};
const fill = (path: string) => path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(SAMPLE[name] ?? 'x'));
const keyFor = (scope: string) => ({ auth: tenant.authKey, admin: tenant.adminKey, operator: api.runtime.operatorKey })[scope];

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1 by an independent validator', async () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(await validateOpenApi(doc)).toEqual({ valid: true });
    expect((await validateOpenApi({ ...doc, paths: { '/x': { get: { responses: { 200: { content: 'not an object' } } } } } })).valid).toBe(false);
  });

  it('documents every served route, and serves nothing it does not document', () => {
    const served = ROUTES.map((r) => `${r.method} ${r.path}`).sort();
    expect(documented().map(({ method, path }) => `${method} ${path}`).sort()).toEqual(served);
    expect(Object.keys(ROUTE_INPUTS).sort()).toEqual(served);
  });

  it('every documented route is served: none answers "no route" or 405, and each answer is documented', async () => {
    for (const { path, method, op } of documented()) {
      const response = await fetch(`${api.url}${fill(path)}`, { method });
      const text = await response.text();
      const where = `${method} ${path} → ${response.status}`;
      expect({ where, status: response.status }).not.toEqual({ where, status: 405 });
      if (response.status === 404) expect({ where, text }).not.toEqual({ where, text: expect.stringContaining('No route for') });
      expect({ where, documented: Object.keys(op.responses).includes(String(response.status)) }).toEqual({ where, documented: true });
    }
  });

  it('names a security scheme per scope; public routes need none', () => {
    const schemes = doc.components.securitySchemes;
    expect(Object.values(schemes).every((s) => s.type === 'http' && s.scheme === 'bearer')).toBe(true);
    const byScope: Record<string, string[]> = { auth: ['authKey'], admin: ['adminKey'], operator: ['operatorKey'], public: [] };
    for (const route of ROUTES) {
      const op = doc.paths[route.path]?.[route.method.toLowerCase()] as Operation;
      expect({ route: route.path, scope: op['x-tessera-scope'] }).toEqual({ route: route.path, scope: route.scope });
      const names = op.security.flatMap((s) => Object.keys(s));
      expect({ route: route.path, names }).toEqual({ route: route.path, names: byScope[route.scope] });
      for (const name of names) expect(schemes[name]).toBeDefined();
      if (route.scope !== 'public') expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401']));
    }
  });

  it('R29: every JSON body is the schema the handler checks: an unknown field is a documented 400 problem', async () => {
    let checked = 0;
    for (const { path, method, op } of documented()) {
      if (!op.requestBody?.content['application/json']) continue;
      const key = keyFor(op['x-tessera-scope']);
      const reply = await api.request(method, fill(path), { ...(key ? { key } : {}), body: { notAField: 1 } });
      expect({ where: `${method} ${path}`, status: reply.status, type: reply.body.type }).toEqual({
        where: `${method} ${path}`,
        status: 400,
        type: 'urn:tessera:problem:validation-failed',
      });
      expect(Object.keys(op.responses)).toContain('400');
      checked++;
    }
    expect(checked).toBeGreaterThan(15);
  });

  it('the bodies and parameters are generated from the route inputs, not copied', () => {
    const create = doc.paths['/v1/challenges']?.post as Operation;
    const { $schema: _, ...schema } = z.toJSONSchema(ROUTE_INPUTS['POST /v1/challenges'].body, { io: 'input' });
    expect(create.requestBody?.content['application/json']?.schema).toEqual(schema);
    const list = doc.paths['/v1/admin/users']?.get as Operation;
    expect(list.parameters?.map((p) => p.name).sort()).toEqual(Object.keys(ROUTE_INPUTS['GET /v1/admin/users'].query.shape).sort());
    const upload = doc.paths['/v1/admin/oath-tokens:import']?.post as Operation;
    expect(Object.keys(upload.requestBody?.content ?? {})).toEqual([...ROUTE_INPUTS['POST /v1/admin/oath-tokens:import'].text.contentTypes]);
    const key: RouteKey = 'GET /v1/challenges/{challengeId}';
    const { $schema: __, ...idSchema } = z.toJSONSchema(ROUTE_INPUTS[key].params.challengeId);
    expect(doc.paths['/v1/challenges/{challengeId}']?.get?.parameters).toEqual([{ name: 'challengeId', in: 'path', required: true, schema: idSchema }]);
  });

  /** A GET over node:http, not fetch: fetch asks for gzip itself and inflates what it gets. */
  const raw = (path: string, acceptEncoding?: string) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const req = httpGet(`${api.url}${path}`, { headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
    });

  it('is sent gzip-compressed only to a client that accepts gzip, and is the same document either way', async () => {
    const expected = JSON.stringify(doc);
    for (const header of ['gzip', 'br, gzip;q=0.5', 'deflate, *', 'x-gzip']) {
      const reply = await raw('/openapi.json', header);
      expect({ header, status: reply.status, encoding: reply.headers['content-encoding'], vary: reply.headers.vary }).toEqual({ header, status: 200, encoding: 'gzip', vary: 'accept-encoding' });
      expect(gunzipSync(reply.body).toString('utf8')).toBe(expected);
    }
    for (const header of [undefined, 'identity', 'gzip;q=0', 'br', '*;q=0', 'gzip;q=0, *', 'gzip;q=2']) {
      const reply = await raw('/openapi.json', header);
      expect({ header, status: reply.status, encoding: reply.headers['content-encoding'], vary: reply.headers.vary }).toEqual({ header, status: 200, encoding: undefined, vary: 'accept-encoding' });
      expect(reply.body.toString('utf8')).toBe(expected);
    }
  });

  it('sends the reference page gzip-compressed only to a client that accepts gzip, the same page either way', async () => {
    const plain = await raw('/docs');
    const zipped = await raw('/docs', 'gzip, deflate');
    expect([plain.status, plain.headers['content-encoding'], plain.headers.vary]).toEqual([200, undefined, 'accept-encoding']);
    expect([zipped.status, zipped.headers['content-encoding'], zipped.headers.vary]).toEqual([200, 'gzip', 'accept-encoding']);
    for (const reply of [plain, zipped]) expect(reply.headers['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'");
    expect(zipped.body.length).toBeLessThan(plain.body.length / 4);
    expect(gunzipSync(zipped.body).toString('utf8')).toBe(plain.body.toString('utf8'));
    expect(plain.body.toString('utf8')).toContain('<html');
  });

  it('serves a self-contained reference page naming every operation', async () => {
    const response = await fetch(`${api.url}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await response.text();
    expect(html).not.toMatch(/<script|https?:\/\/(?!json-schema)/);
    for (const { op } of documented()) expect(html).toContain(`id="${op.operationId}"`);
  });

  it('R29: phone fields carry the E.164 pattern the server checks, country fields the codes it accepts', async () => {
    const fields = allProperties(doc);
    const phones = fields.filter(([name]) => ['primary', 'backup', 'office', 'callerId', 'e164'].includes(name)).flatMap(([name, schema]) => strings(schema).map((s) => ({ name, pattern: s.pattern })));
    expect(new Set(phones.map((p) => p.name))).toEqual(new Set(['primary', 'backup', 'office', 'callerId', 'e164']));
    const patterns = new Set(phones.map((p) => p.pattern));
    expect([...patterns]).toEqual([expect.any(String)]);
    const e164 = new RegExp(String([...patterns][0]), 'u');
    for (const primary of ['0612345678', '+1', '+1 415 555 0100', '+01415555010', '+1415555010O', '+1234567890123456']) {
      expect({ primary, matches: e164.test(primary) }).toEqual({ primary, matches: false });
      const reply = await api.request('PUT', '/v1/admin/users/zed', { key: tenant.adminKey, body: { mfaEnabled: true, phones: { primary } } });
      expect({ primary, status: reply.status }).toEqual({ primary, status: 400 });
    }
    for (const ok of ['+14155550100', '+33612345678', '+442071838750']) expect(e164.test(ok)).toBe(true);

    const countries = fields.filter(([name]) => ['country', 'allowedCountries'].includes(name)).flatMap(([name, schema]) => strings(schema).map((s) => ({ name, codes: s.enum })));
    expect(new Set(countries.map((c) => c.name))).toEqual(new Set(['country', 'allowedCountries']));
    for (const { codes } of countries) expect(codes).toEqual([...getCountries()].sort());
    const refused = await api.request('PATCH', '/v1/admin/settings', { key: tenant.adminKey, body: { allowedCountries: ['XX'] } });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([expect.objectContaining({ pointer: '/allowedCountries/0' })]);
  });

  it('every tag has a description, the document a licence, and every public route its 4xx answers', () => {
    const used = new Set(documented().flatMap(({ op }) => (op as unknown as { tags: string[] }).tags));
    expect(doc.tags.map((t) => t.name).sort()).toEqual([...used].sort());
    for (const tag of doc.tags) expect({ tag: tag.name, described: (tag.description ?? '').length > 20 }).toEqual({ tag: tag.name, described: true });
    const license = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')).license as string;
    expect(doc.info.license?.name).toContain(license);
    for (const { path, method, op } of documented().filter(({ op }) => op['x-tessera-scope'] === 'public')) {
      expect({ route: `${method} ${path}`, fourxx: Object.keys(op.responses).some((s) => s.startsWith('4')) }).toEqual({ route: `${method} ${path}`, fourxx: true });
    }
  });

  it('passes Redocly lint (recommended rules) with no warning', async () => {
    expect(await redoclyLint(doc)).toEqual([]);
    expect(await redoclyLint({ ...doc, tags: [...doc.tags, { name: 'Undescribed' }] })).toEqual([expect.objectContaining({ ruleId: 'tag-description' })]);
  });
});
