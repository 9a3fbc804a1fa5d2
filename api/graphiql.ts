// GraphiQL (served outside production only) from the installed @graphql-yoga/render-graphiql: its script, styles
// and editor workers are inlined into the one page, so it loads nothing from another origin and works on a network
// without internet. The page is rendered once at start; its one inline script is allowed by its hash
// (api/security-headers.ts), not by 'unsafe-inline'.
import { createHash } from 'node:crypto';
import type { GraphiQLOptions } from 'graphql-yoga';

export interface GraphiqlPage {
  html: string;
  /** CSP source ('sha256-…') of the page's inline script. */
  scriptHash: string;
}

/** JSON that cannot end or change the <script> element it is written into. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

// graphql-ws sends no HTTP headers, and the API wants the token in connection_init's params (api/graphql/ws.ts).
// Yoga's GraphiQL sends the headers editor's content only with HTTP requests, so the page hands what GraphiQL keeps
// of that editor (its "graphiql:headers" storage entry) to each new socket as its connection params.
const CONNECTION_PARAMS = `() => {
  try {
    return JSON.parse(localStorage.getItem('graphiql:headers') || '{}');
  } catch {
    return {};
  }
}`;

export async function renderGraphiqlPage(options: GraphiQLOptions): Promise<GraphiqlPage> {
  // Nine megabytes of script and workers: loaded only where GraphiQL is served.
  const { css, favicon, js, editorWorkerService, jsonWorker, graphqlWorker } =
    await import('@graphql-yoga/render-graphiql/graphiql');
  const script = `
const worker = (source) => URL.createObjectURL(new Blob([source], { type: 'application/javascript' }));
const workers = {
  editorWorkerService: worker(${scriptJson(editorWorkerService)}),
  json: worker(${scriptJson(jsonWorker)}),
  graphql: worker(${scriptJson(graphqlWorker)}),
};
self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (_moduleId, label) => workers[label] };
${js};
YogaGraphiQL.renderYogaGraphiQL(document.querySelector('#root'), {
  ...${scriptJson(options)},
  connectionParams: ${CONNECTION_PARAMS},
});
`;
  const title = (options.title ?? 'GraphiQL').replace(/[<&]/g, (c) => (c === '<' ? '&lt;' : '&amp;'));
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${title}</title>
<link rel="icon" href="${favicon}">
<style>${css}</style>
</head>
<body id="body" class="no-focus-outline">
<noscript>GraphiQL needs JavaScript.</noscript>
<div id="root"></div>
<script>${script}</script>
</body>
</html>
`;
  return { html, scriptHash: `'sha256-${createHash('sha256').update(script).digest('base64')}'` };
}
