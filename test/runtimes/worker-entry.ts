// Runs the fixture inside a worker_threads worker and posts the results back.
import { parentPort } from 'node:worker_threads';
import * as lib from '../../src/index.ts';
import { trainFixture } from './fixture.ts';

parentPort!.postMessage(trainFixture(lib));
