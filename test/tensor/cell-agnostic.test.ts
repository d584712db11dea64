import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CELL_TYPES } from '../../src/cells/registry.ts';

/**
 * The layering rule of the cells: the tensor layer and the kernels know a structured Jacobian
 * by its generic form only. No file under src/tensor or src/kernels names a registered cell
 * type as a string or imports from the cells or the model (adding a cell touches neither).
 */
const root = fileURLToPath(new URL('../../src/', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.ts$/.test(name) ? [path] : [];
  });
}

test('no file under src/tensor or src/kernels names a cell type or imports a cell or the model', () => {
  const files = [...sources(join(root, 'tensor')), ...sources(join(root, 'kernels'))];
  assert.ok(files.length > 10, `found ${files.length} files`);
  assert.ok(CELL_TYPES.length >= 3, 'the registry lists the cells');
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const type of CELL_TYPES) assert.ok(!new RegExp(`['"\`]${type}['"\`]`).test(text), `${file} names the cell type "${type}"`);
    assert.ok(!/from '(\.\.\/)+(cells|model)\//.test(text), `${file} imports from the cells or the model`);
  }
});
