/**
 * The zod every Lambda-bundled module validates with: `zod/mini`, the same validation core as
 * classic zod with a functional API that tree-shakes (classic's method chains keep every method,
 * and with them the JSON Schema converter, in each bundle). Classic zod installs the English
 * messages itself; mini does not, so this module does, once, before any schema parses: the
 * messages (and so the problem+json bodies) are classic's word for word. Import it as
 * `import * as z from '../zod'` (by its relative path), never from 'zod/mini' directly.
 */
import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());

export * from 'zod/mini';
