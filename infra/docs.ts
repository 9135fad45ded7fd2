/**
 * `npm run docs`: writes what is generated from the code: the API reference, docs/reference.md, and
 * the OpenAPI document, shared/api/openapi.json, with the compressed copy the openapi handler
 * serves, shared/api/openapi-gzip.ts.
 */
import { writeFileSync } from 'node:fs';
import { openApiGzipModule, openApiJson } from '../shared/api/openapi';
import { referenceMarkdown } from '../shared/api/reference-markdown';

writeFileSync('docs/reference.md', referenceMarkdown());
console.log('wrote docs/reference.md');
const json = openApiJson();
writeFileSync('shared/api/openapi.json', json);
console.log('wrote shared/api/openapi.json');
writeFileSync('shared/api/openapi-gzip.ts', openApiGzipModule(json));
console.log('wrote shared/api/openapi-gzip.ts');
