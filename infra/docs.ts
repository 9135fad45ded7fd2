/** `npm run docs`: writes the generated API reference, docs/reference.md. */
import { writeFileSync } from 'node:fs';
import { referenceMarkdown } from '../shared/api/reference-markdown';

writeFileSync('docs/reference.md', referenceMarkdown());
console.log('wrote docs/reference.md');
