/** `npm run docs`: writes what is generated from the code: the API reference, docs/reference.md, and the OpenAPI document the openapi handler serves, shared/api/openapi.json. */
import { writeFileSync } from 'node:fs';
import { openApiJson } from '../shared/api/openapi';
import { referenceMarkdown } from '../shared/api/reference-markdown';

writeFileSync('docs/reference.md', referenceMarkdown());
console.log('wrote docs/reference.md');
writeFileSync('shared/api/openapi.json', openApiJson());
console.log('wrote shared/api/openapi.json');
