type Json = Record<string, unknown>;

const escape = (text: unknown) =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

const pre = (value: unknown) => `<pre>${escape(JSON.stringify(value, null, 2))}</pre>`;

function operationHtml(path: string, method: string, op: Json): string {
  const params = (op.parameters as Json[] | undefined) ?? [];
  const body = op.requestBody as { required?: boolean; content: Record<string, { schema?: unknown }> } | undefined;
  const security = (op.security as Record<string, unknown>[]).flatMap((s) => Object.keys(s));
  const responses = Object.entries(op.responses as Record<string, Json>);
  const id = String(op.operationId);
  return `<section class="op" id="${escape(id)}" aria-labelledby="${escape(id)}-h">
<h3 id="${escape(id)}-h"><span class="m ${escape(method)}">${escape(method.toUpperCase())}</span> <code>${escape(path)}</code></h3>
<p>${escape(op.summary)}</p>${op.description ? `<p>${escape(op.description)}</p>` : ''}
<p class="sec">Key: ${security.length ? security.map((s) => `<a href="#sec-${escape(s)}">${escape(s)}</a>`).join(', ') : 'none (public)'}</p>
${
  params.length
    ? `<table><caption>Parameters</caption><thead><tr><th scope="col">Name</th><th scope="col">In</th><th scope="col">Required</th><th scope="col">Schema</th></tr></thead><tbody>${params
        .map((p) => `<tr><td><code>${escape(p.name)}</code></td><td>${escape(p.in)}</td><td>${p.required ? 'yes' : 'no'}</td><td><code>${escape(JSON.stringify(p.schema))}</code></td></tr>`)
        .join('')}</tbody></table>`
    : ''
}
${
  body
    ? `<details><summary>Request body${body.required ? '' : ' (optional)'}: ${Object.keys(body.content).map(escape).join(', ')}</summary>${Object.values(body.content)
        .map((c) => pre(c.schema))
        .join('')}</details>`
    : ''
}
<table><caption>Responses</caption><thead><tr><th scope="col">Status</th><th scope="col">Meaning</th></tr></thead><tbody>${responses
    .map(([status, r]) => {
      const ref = typeof r.$ref === 'string' ? r.$ref.split('/').pop() : undefined;
      const text = ref ? `<a href="#${escape(ref)}">problem+json</a>` : escape(r.description);
      const content = r.content as Record<string, { schema?: unknown }> | undefined;
      const schema = content && Object.values(content)[0]?.schema;
      return `<tr><td>${escape(status)}</td><td>${text}${schema ? `<details><summary>Schema</summary>${pre(schema)}</details>` : ''}</td></tr>`;
    })
    .join('')}</tbody></table>
</section>`;
}

/** The API reference as one self-contained HTML page (no script, no external asset), from the document. */
export function referencePage(doc: Json): string {
  const info = doc.info as Json;
  const paths = doc.paths as Record<string, Record<string, Json>>;
  const components = doc.components as { securitySchemes: Record<string, Json>; responses: Record<string, Json>; schemas: Record<string, unknown> };
  const byTag = new Map<string, string[]>();
  const toc = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = (op.tags as string[])[0] ?? 'Other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), operationHtml(path, method, op)]);
      toc.set(tag, [...(toc.get(tag) ?? []), `<li><a href="#${escape(op.operationId)}">${escape(method.toUpperCase())} ${escape(path)}</a></li>`]);
    }
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(info.title)} API reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1b1f24;background:#fff}
header,main,nav{max-width:960px;margin:0 auto;padding:0 16px}
h1{margin:.6em 0 .2em}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:1.6em}
.op{border:1px solid #d0d7de;border-radius:6px;padding:4px 12px;margin:12px 0}
.op h3{font-size:1em;margin:.5em 0;word-break:break-all}
.m{display:inline-block;min-width:4.2em;text-align:center;border-radius:4px;color:#fff;font-size:.85em;padding:1px 4px}
.get{background:#0969da}.post{background:#1a7f37}.put{background:#9a6700}.patch{background:#8250df}.delete{background:#cf222e}
table{border-collapse:collapse;width:100%;margin:6px 0;font-size:.92em}caption{text-align:left;font-weight:600}
td,th{border:1px solid #d0d7de;padding:3px 6px;text-align:left;vertical-align:top}td code{word-break:break-all}
pre{background:#f6f8fa;padding:8px;overflow:auto;font-size:.85em;max-height:420px}
nav ul{columns:2 280px;padding-left:1.2em}nav a{overflow-wrap:anywhere}.sec{color:#57606a}
</style></head><body>
<header><h1>${escape(info.title)} API reference</h1><p>${escape(info.description)}</p>
<p>Machine-readable: <a href="openapi.json">openapi.json</a> (OpenAPI ${escape(doc.openapi)}).</p></header>
<nav aria-label="Operations">${[...toc].map(([tag, items]) => `<h2>${escape(tag)}</h2><ul>${items.join('')}</ul>`).join('')}</nav>
<main>
<h2>Keys</h2><p>Every key is sent as <code>Authorization: Bearer &lt;key&gt;</code>.</p>
<ul>${Object.entries(components.securitySchemes).map(([name, s]) => `<li id="sec-${escape(name)}"><strong>${escape(name)}</strong>: ${escape(s.description)}</li>`).join('')}</ul>
<h2>Errors</h2><p>Every error is an RFC 9457 problem, <code>application/problem+json</code>:</p>${pre(components.schemas.Problem)}
<ul>${Object.entries(components.responses).map(([name, r]) => `<li id="${escape(name)}"><strong>${escape(name.replace('Problem', ''))}</strong>: ${escape(r.description)}</li>`).join('')}</ul>
${[...byTag].map(([tag, ops]) => `<h2>${escape(tag)}</h2>${ops.join('\n')}`).join('\n')}
</main></body></html>`;
}
