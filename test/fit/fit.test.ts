import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLearner, createModel, fit, trainSequence, TrainingDivergedError, type Logs, type SeqBatch } from '../../src/index.ts';
import { batches, params, setup } from './fixtures.ts';

/** The manual loop fit must equal: trainSequence over the batches, epoch after epoch. */
function manual(data: SeqBatch[], epochs: number, seed = 1): number[][] {
  const { model, learner } = setup(seed);
  for (let e = 0; e < epochs; e++) for (const b of data) trainSequence(learner, b);
  return params(model);
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

test('fit on an array, an iterable, an async iterable and a function per epoch trains the same parameters as the manual trainSequence loop, bit for bit', async () => {
  const data = batches(5);
  const want = manual(data, 3);
  const forms: [string, () => Parameters<typeof fit>[1]][] = [
    ['array', () => data],
    ['Set (a re-iterable)', () => new Set(data)],
    ['async iterable', () => ({ async *[Symbol.asyncIterator]() { for (const b of data) { await tick(); yield b; } } })],
    ['function returning a generator', () => function* () { yield* data; }],
    ['function returning an async generator', () => async function* () { yield* data; }],
  ];
  for (const [name, form] of forms) {
    const { model, learner } = setup();
    const history = await fit(learner, form(), { epochs: 3 });
    assert.deepEqual(params(model), want, name);
    assert.deepEqual(history.epoch, [0, 1, 2], name);
    assert.equal(history.stopped, false, name);
  }
  // and not a bit less: one epoch fewer is different
  assert.notDeepEqual(manual(data, 2), want);
});

test('fit: the epoch loss is the mean per example of the batch losses the learner reported (weighted by B)', async () => {
  const data = batches(4);
  const { learner } = setup();
  const seen: Logs[] = [];
  const history = await fit(learner, data, { epochs: 2, callbacks: { onBatchEnd: (_b, logs) => void seen.push(logs) } });
  const check = setup().learner;
  for (let e = 0; e < 2; e++) {
    let sum = 0;
    let examples = 0;
    data.forEach((b, k) => {
      const loss = trainSequence(check, b).loss;
      assert.deepEqual(seen[e * data.length + k], { batch: k, size: b.B, loss });
      sum += loss * b.B;
      examples += b.B;
    });
    assert.equal(history.history.loss[e], sum / examples);
  }
  assert.deepEqual(Object.keys(history.history), ['loss']);
});

/**
 * A model whose outputs are known by hand: readout W = 0, so ŷ_t = b_out at every step whatever
 * the input; no optimizer, so nothing changes during training.
 */
function constantModel(O: number, bias: number[]) {
  const model = createModel({ cell: 'rnn', inputSize: 1, hiddenSize: 2, outputSize: O, seed: 3 });
  model.readout.params.W.data.fill(0);
  model.readout.params.b.data.set(bias);
  return model;
}

function oneHot(classes: number[], O: number): Float64Array {
  const y = new Float64Array(classes.length * O);
  classes.forEach((c, b) => (y[b * O + c] = 1));
  return y;
}

const x = (T: number, B: number) => Array.from({ length: T }, (_, t) => Float64Array.from({ length: B }, (_, b) => t - b));

test('fit: loss, val_loss and val_accuracy against hand-computed values (softmax-ce, ŷ = [0, ln 2, 0] at every step)', async () => {
  const model = constantModel(3, [0, Math.LN2, 0]); // softmax = [1, 2, 1]/4: class 1 costs ln 2, classes 0 and 2 cost ln 4; arg max 1
  const learner = createLearner('bptt', model, { loss: 'softmax-ce' });
  const a: SeqBatch = { T: 2, B: 2, inputSize: 1, outputSize: 3, loss: 'softmax-ce', x: x(2, 2), y: [null, oneHot([1, 0], 3)] };
  const b: SeqBatch = { T: 3, B: 1, inputSize: 1, outputSize: 3, loss: 'softmax-ce', x: x(3, 1), y: [oneHot([1], 3), null, oneHot([2], 3)] };
  const batchLogs: Logs[] = [];
  const history = await fit(learner, [a, b], { epochs: 2, validationData: [b, a], metrics: ['accuracy'], callbacks: { onBatchEnd: (_k, logs) => void batchLogs.push(logs) } });
  const ln2 = Math.LN2;
  // a: (ln 2 + ln 4)/2 = 1.5 ln 2 per example; b: ln 2 + ln 4 = 3 ln 2; the epoch: (2·1.5 + 3)/3 ln 2 = 2 ln 2
  near(batchLogs[0].loss, 1.5 * ln2);
  near(batchLogs[1].loss, 3 * ln2);
  for (const e of [0, 1]) {
    near(history.history.loss[e], 2 * ln2);
    near(history.history.val_loss[e], 2 * ln2);
    // pairs with a target: a (1 ✓, 0 ✗), b (1 ✓, 2 ✗)
    assert.equal(history.history.val_accuracy[e], 0.5);
  }
  assert.deepEqual(Object.keys(history.history).sort(), ['loss', 'val_accuracy', 'val_loss']);
});

test('fit: bits and val_bits against hand-computed values (sigmoid-bce, ŷ = [0, ln 3] at every step)', async () => {
  const model = constantModel(2, [0, Math.log(3)]); // entry 0 costs ln 2 for any target; entry 1 costs ln(4/3) for 1, ln 4 for 0
  const learner = createLearner('bptt', model, { loss: 'sigmoid-bce' });
  const c: SeqBatch = { T: 2, B: 1, inputSize: 1, outputSize: 2, loss: 'sigmoid-bce', x: x(2, 1), y: [Float64Array.of(1, 1), Float64Array.of(0, 0)] };
  const d: SeqBatch = { T: 1, B: 2, inputSize: 1, outputSize: 2, loss: 'sigmoid-bce', x: x(1, 2), y: [Float64Array.of(0, 1, 1, 0)] };
  const batchLogs: Logs[] = [];
  const history = await fit(learner, [c, d], { validationData: () => [d], metrics: ['bits'], callbacks: { onBatchEnd: (_k, logs) => void batchLogs.push(logs) } });
  // each batch sums ln 2 + ln(4/3) + ln 2 + ln 4 = ln(64/3) over 4 entries: log2(64/3)/4 bits per entry
  const bits = (6 - Math.log2(3)) / 4;
  near(batchLogs[0].bits, bits);
  near(batchLogs[1].bits, bits);
  near(batchLogs[0].loss, Math.log(64 / 3));
  near(batchLogs[1].loss, Math.log(64 / 3) / 2);
  near(history.history.loss[0], (2 * Math.log(64 / 3)) / 3);
  near(history.history.bits[0], bits);
  near(history.history.val_loss[0], Math.log(64 / 3) / 2);
  near(history.history.val_bits[0], bits);
});

function near(got: number, want: number): void {
  assert.ok(Math.abs(got - want) <= 1e-14 * Math.abs(want), `${got} ≠ ${want}`);
}

test('fit: the callbacks in order with their arguments; async callbacks are awaited before the next batch; validation every N batches', async () => {
  const data = batches(3);
  const events: string[] = [];
  const { model, learner } = setup();
  const before = params(model);
  const valLosses: number[] = [];
  let validations = 0;
  const history = await fit(
    learner,
    async function* () {
      for (const b of data) {
        events.push('pull');
        yield b;
      }
    },
    {
      epochs: 2,
      validationData: () => {
        validations++;
        return [data[0]];
      },
      validationEvery: 2,
      onProgress: (p) => void events.push(`progress ${p.epoch}/${p.epochs} ${p.line.split(' ')[0]} ${p.line.split(' ')[1]}`),
      callbacks: {
        async onBatchEnd(batch, logs) {
          events.push(`batch ${batch} [${Object.keys(logs).join(',')}]`);
          if ('val_loss' in logs) valLosses.push(logs.val_loss);
          await tick();
          events.push('batch done');
        },
        async onEpochEnd(epoch, logs) {
          await tick();
          events.push(`epoch ${epoch} [${Object.keys(logs).join(',')}]`);
        },
        onTrainEnd(h) {
          events.push(`train end ${h.epoch.join(',')}`);
        },
      },
    },
  );
  const plain = 'batch,size,loss';
  const withVal = `${plain},val_loss`;
  const epoch = (e: number) => [
    'pull', `batch 0 [${plain}]`, 'batch done',
    'pull', `batch 1 [${withVal}]`, 'batch done',
    'pull', `batch 2 [${plain}]`, 'batch done',
    `progress ${e}/2 epoch ${e + 1}/2`, `epoch ${e} [loss,val_loss]`,
  ];
  assert.deepEqual(events, [...epoch(0), ...epoch(1), 'train end 0,1']);
  assert.notDeepEqual(params(model), before);
  // the epoch's val_loss is the validation after its last batch (batch 3 is not a multiple of 2)
  assert.equal(valLosses.length, 2);
  assert.equal(validations, 4, 'per epoch: after batch 2 and after the last, none before training');
  assert.notEqual(history.history.val_loss[0], valLosses[0]);
});

test('fit: an AbortSignal or a callback returning false stops at the next batch boundary; the iterator is closed', async () => {
  const data = batches(4);
  for (const how of ['signal', 'false', 'async false'] as const) {
    const controller = new AbortController();
    const { model, learner } = setup();
    let opened = 0;
    let closed = 0;
    let trainEnd = 0;
    const epochsEnded: number[] = [];
    const history = await fit(
      learner,
      () =>
        (function* () {
          opened++;
          try {
            yield* data;
          } finally {
            closed++;
          }
        })(),
      {
        epochs: 3,
        signal: controller.signal,
        callbacks: {
          onBatchEnd(batch) {
            if (!(epochsEnded.length === 1 && batch === 1)) return undefined;
            if (how === 'signal') return void controller.abort();
            return how === 'false' ? false : Promise.resolve(false);
          },
          onEpochEnd: (e) => void epochsEnded.push(e),
          onTrainEnd: () => void trainEnd++,
        },
      },
    );
    // one whole epoch and two batches of the second
    const { model: want, learner: check } = setup();
    for (const b of [...data, data[0], data[1]]) trainSequence(check, b);
    assert.deepEqual(params(model), params(want), how);
    assert.deepEqual(history.epoch, [0], how);
    assert.equal(history.history.loss.length, 1, how);
    assert.equal(history.stopped, true, how);
    assert.deepEqual(epochsEnded, [0], how);
    assert.equal(trainEnd, 1, how);
    assert.deepEqual([opened, closed], [2, 2], `${how}: each epoch's generator ran its finally, the interrupted one's too`);
  }
});

test('fit: onEpochEnd returning false stops before the next epoch; a signal aborted before fit trains nothing', async () => {
  const data = batches(3);
  const { model, learner } = setup();
  const history = await fit(learner, data, { epochs: 5, callbacks: { onEpochEnd: (e) => e !== 1 } });
  assert.deepEqual(history.epoch, [0, 1]);
  assert.equal(history.stopped, true);
  assert.deepEqual(params(model), manual(data, 2));

  const last = await fit(setup().learner, data, { epochs: 2, callbacks: { onEpochEnd: (e) => (e === 1 ? false : undefined) } });
  assert.equal(last.stopped, false, 'false after the last epoch stops nothing');

  const fresh = setup();
  const before = params(fresh.model);
  const aborted = await fit(fresh.learner, data, { epochs: 2, signal: AbortSignal.abort() });
  assert.deepEqual(aborted, { epoch: [], history: {}, stopped: true });
  assert.deepEqual(params(fresh.model), before);
});

test('fit: verbose prints one line per epoch', async (t) => {
  const lines: string[] = [];
  t.mock.method(console, 'log', (line: string) => void lines.push(line));
  await fit(setup().learner, batches(2), { epochs: 3, verbose: true, validationData: batches(1, 9) });
  assert.equal(lines.length, 3);
  lines.forEach((line, e) => assert.match(line, new RegExp(`^epoch ${e + 1}/3 \\d+s ETA \\d+s loss=[0-9.e+-]+ val_loss=[0-9.e+-]+$`)));
});

test('fit: a diverging batch stops with TrainingDivergedError naming the epoch, batch and step; the model is as it was before the failing step', async () => {
  const data = batches(3).map((b) => ({ ...b, y: b.y.map((y) => y && y.slice()) }));
  const bad = data[1];
  bad.y[1] = new Float64Array(bad.B * bad.outputSize).fill(1e300); // ½(ŷ − 1e300)² overflows: the loss at step 1 is not finite
  const { model, learner } = setup();
  await assert.rejects(fit(learner, data, { epochs: 2 }), (err: unknown) => {
    assert.ok(err instanceof TrainingDivergedError);
    assert.equal(err.epoch, 0);
    assert.equal(err.batch, 1);
    assert.equal(err.step, 1);
    // the message numbers epoch and batch as the callbacks do (0-based): onBatchEnd never saw batch 1
    assert.match(err.message, /^training diverged in epoch 0, batch 1, step 1 \(0-based, as fit's callbacks number them\): .*not finite/);
    return true;
  });
  // batch 0 whole, then step 0 of batch 1 (per-step updates): the failing step applied nothing
  const { model: want, learner: check } = setup();
  trainSequence(check, data[0]);
  check.reset(bad.B);
  check.step(bad.x[0], bad.y[0], false);
  assert.deepEqual(params(model), params(want));
});

test('fit: every argument is checked first, naming it, the expected and the received value; nothing trains', async () => {
  const data = batches(2);
  const { model, learner } = setup();
  const before = params(model);
  const cases: [unknown, unknown, unknown, RegExp][] = [
    [{}, data, {}, /^Error: fit: learner: expected a Learner .*received an object with keys \[\]/],
    [learner, data[0], {}, /^Error: fit: data: expected an array of SeqBatch.*\(wrap a single batch in an array: \[batch\]\), received an object/],
    [learner, 3, {}, /^Error: fit: data: expected an array of SeqBatch, an iterable .*received 3/],
    [learner, data, [], /^Error: fit: options: expected an object, received an array of length 0/],
    [learner, data, { epoch: 2 }, /^Error: fit: options: unknown option "epoch" \(known: epochs, /],
    [learner, data, { epochs: 0 }, /^Error: fit: options.epochs: expected an integer ≥ 1, received 0/],
    [learner, data, { epochs: 1.5 }, /^Error: fit: options.epochs: expected an integer ≥ 1, received 1.5/],
    [learner, data, { metrics: 'bits' }, /^Error: fit: options.metrics: expected an array of metric names \("accuracy", "bits"; the loss is always reported\), received "bits"/],
    [learner, data, { metrics: ['acc'] }, /^Error: fit: options.metrics\[0\]: expected one of "accuracy", "bits", received "acc"/],
    [learner, data, { metrics: ['bits', 'bits'] }, /^Error: fit: options.metrics\[1\]: expected each metric once, received "bits"/],
    [learner, data, { metrics: ['accuracy'] }, /^Error: fit: options\.validationData: expected held-out data for the metric "accuracy" in options\.metrics .*received undefined$/],
    [learner, data, { validationData: 5 }, /^Error: fit: options.validationData: expected an array of SeqBatch.*received 5/],
    [learner, data, { validationEvery: 2 }, /^Error: fit: options.validationEvery: expected validationData to validate on \(none was given\), received 2/],
    [learner, data, { validationData: data, validationEvery: 0 }, /^Error: fit: options.validationEvery: expected an integer ≥ 1, received 0/],
    [learner, data, { callbacks: { onEpochEnd() {}, onBatchBegin() {} } }, /^Error: fit: options.callbacks: unknown option "onBatchBegin" \(known: onBatchEnd, onEpochEnd, onTrainEnd\)/],
    [learner, data, { callbacks: { onBatchEnd: true } }, /^Error: fit: options.callbacks.onBatchEnd: expected a function, received boolean/],
    [learner, data, { signal: {} }, /^Error: fit: options.signal: expected an AbortSignal \(with a boolean `aborted`\), received an object with keys \[\]/],
    [learner, data, { verbose: 1 }, /^Error: fit: options.verbose: expected a boolean, received 1/],
    [learner, data, { onProgress: 'log' }, /^Error: fit: options.onProgress: expected a function, received "log"/],
  ];
  for (const [l, d, o, message] of cases) await assert.rejects(fit(l as never, d as never, o as never), message);
  assert.deepEqual(params(model), before);
});

test('fit: a bad batch, a used-up generator and a metric of another loss are refused naming the epoch and batch, before that batch trains', async () => {
  const data = batches(3);
  const wide = { ...data[1], inputSize: 5 };
  const cases: [unknown, object, RegExp, number][] = [
    [[data[0], wide], {}, /^Error: fit: data \(epoch 1\) batch\[1\].inputSize: expected 2 \(the model's\), received 5/, 1],
    [[data[0], 'batch'], {}, /^Error: fit: data \(epoch 1\) batch\[1\]: expected a SeqBatch .*received "batch"/, 1],
    [(function* () { yield* data; })(), { epochs: 2 }, /^Error: fit: data \(epoch 2\): expected at least one batch per epoch \(a generator is used up after one pass: .*\), received "none"/, 3],
    [() => 7, {}, /^Error: fit: data \(the function's result\): expected an iterable or async iterable of SeqBatch, received 7/, 0],
    [data, { metrics: ['bits'] }, /^Error: fit: data \(epoch 1\) batch\[0\].loss: expected "sigmoid-bce" \(the metric "bits" is defined for sigmoid-bce only\), received "mse"/, 0],
    [data, { validationData: [], epochs: 2 }, /^Error: fit: options.validationData: expected at least one batch per pass .*received "none"/, 3],
    [data, { validationData: [data[0], { ...data[0], T: 0 }] }, /^Error: fit: options.validationData: batch\[1\].T: expected an integer ≥ 1, received 0/, 3],
  ];
  for (const [d, o, message, trained] of cases) {
    const { model, learner } = setup();
    await assert.rejects(fit(learner, d as never, o), message);
    const { model: want, learner: check } = setup();
    for (const b of data.slice(0, trained)) trainSequence(check, b);
    assert.deepEqual(params(model), params(want), String(message));
  }
});
