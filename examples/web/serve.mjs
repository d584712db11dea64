#!/usr/bin/env node
/**
 * A tiny static server for the demo page (npm run web). Builds the browser bundles first
 * (scripts/build-browser.mjs), then serves on 127.0.0.1:
 *   /            the demo page (examples/web/index.html and its dist/ scripts)
 *   /csp.html    a page served with a strict Content-Security-Policy (no 'unsafe-eval', no
 *                inline script) that runs the core bundle: see csp-check.js
 *   /lib/*.js    the library bundles (dist/browser/)
 *   /gpu-lib.html  the library's gpu.js backend bundle (dist/browser/gpu-backend.js) with gpu.js's
 *                own browser build (/vendor/, from node_modules/gpu.js/dist/) via an import map
 * Usage: node examples/web/serve.mjs [--port 8080] [--host 127.0.0.1] [--no-build]
 * (--port 0 picks a free port.) Importable: startServer({ port, host, build }).
 */
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

/** What the CSP page is served with: scripts only from this origin, no eval of any kind. */
export const STRICT_CSP = "default-src 'none'; script-src 'self'; worker-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'";

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** Maps a URL path to a file under an allowed folder, or undefined. */
function resolvePath(urlPath) {
  let p = decodeURIComponent(urlPath.split('?')[0]);
  if (p === '/' || p === '') p = '/index.html';
  const [base, rest] = p.startsWith('/lib/')
    ? [join(root, 'dist', 'browser'), p.slice(5)]
    : p.startsWith('/vendor/')
      ? [join(root, 'node_modules', 'gpu.js', 'dist'), p.slice(8)]
      : [here, p.slice(1)];
  const file = normalize(join(base, rest));
  if (!file.startsWith(base + sep)) return undefined;
  if (file.endsWith('.mjs') && base === here) return undefined; // the server itself is not served
  return file;
}

export async function startServer({ port = 8080, host = '127.0.0.1', build = true, quiet = false } = {}) {
  if (build) {
    const { buildCore, buildWeb } = await import(pathToFileURL(join(root, 'scripts', 'build-browser.mjs')).href);
    const lib = await buildCore();
    await buildWeb();
    if (!quiet) console.log(`built ${lib.map((r) => `${r.file} (${(r.gzip / 1024).toFixed(1)} kB gzipped)`).join(', ')} and examples/web/dist/`);
  }
  const server = createServer(async (req, res) => {
    const file = resolvePath(req.url ?? '/');
    const headers = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };
    if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(file ? 405 : 404, headers).end();
      return;
    }
    try {
      if (!(await stat(file)).isFile()) throw new Error('not a file');
      const body = await readFile(file);
      if (file.endsWith(`${sep}csp.html`)) headers['Content-Security-Policy'] = STRICT_CSP;
      res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found');
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const url = `http://${host}:${address.port}/`;
  return { server, url, close: () => new Promise((r) => server.close(r)) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const opt = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
  };
  const port = Number(opt('--port', process.env.PORT ?? '8080'));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`web: --port: expected an integer in [0, 65535], received ${opt('--port', process.env.PORT)}`);
    process.exit(2);
  }
  try {
    const { url } = await startServer({ port, host: opt('--host', '127.0.0.1'), build: !args.includes('--no-build') });
    console.log(`bp-lambda demo: ${url}  (strict-CSP check: ${url}csp.html)  Ctrl+C stops.`);
  } catch (e) {
    console.error(`web: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
