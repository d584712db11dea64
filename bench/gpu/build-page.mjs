#!/usr/bin/env node
/**
 * Builds bench/gpu/page.ts into one self-contained HTML file (the script inline, gpu.js's
 * browser build bundled), for a browser to open from disk: node bench/gpu/build-page.mjs OUT.html
 */
import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const out = process.argv[2];
if (!out) throw new Error('usage: node bench/gpu/build-page.mjs OUT.html');
const result = await build({
  entryPoints: [fileURLToPath(new URL('./page.ts', import.meta.url))],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  // gpu.js parses its kernels' source text: names may be minified, the syntax may not
  minifyIdentifiers: true,
  minifyWhitespace: true,
  minifySyntax: false,
  write: false,
  logLevel: 'warning',
});
const script = result.outputFiles[0].text.replace(/<\/script/gi, '<\\/script');
writeFileSync(out, `<!doctype html><html><head><meta charset="utf-8"><title>bp-lambda gpu.js benchmark</title></head><body><script>${script}</script></body></html>\n`);
console.log(`wrote ${out} (${(script.length / 1024).toFixed(0)} kB of script)`);
