/**
 * tfjs-layers' LSTM trained by BPTT (its autodiff) at the sequential-MNIST size, on tfjs's pure-JS
 * CPU backend or its WebAssembly backend: the reference our hand-written BPTT step is compared
 * with in the same run. Returns the median milliseconds of one `trainOnBatch`.
 */
export async function tfjsLstmStep(opts: { backend: 'cpu' | 'wasm'; input: number; hidden: number; output: number; batch: number; steps: number; repeats: number }): Promise<number> {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  if (opts.backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  const tfl = await import('@tensorflow/tfjs-layers');
  await tf.setBackend(opts.backend);
  await tf.ready();
  const model = tfl.sequential();
  model.add(tfl.layers.lstm({ units: opts.hidden, inputShape: [opts.steps, opts.input], recurrentInitializer: 'glorotUniform' }));
  model.add(tfl.layers.dense({ units: opts.output }));
  model.compile({ optimizer: tf.train.adam(1e-4), loss: (yTrue, yPred) => tf.losses.softmaxCrossEntropy(yTrue, yPred) });
  const x = tf.randomNormal([opts.batch, opts.steps, opts.input], 0, 1, 'float32', 1);
  const labels = tf.oneHot(tf.randomUniform([opts.batch], 0, opts.output, 'int32', 2), opts.output);
  await model.trainOnBatch(x, labels); // warm-up
  const times: number[] = [];
  for (let r = 0; r < opts.repeats; r++) {
    const t0 = performance.now();
    await model.trainOnBatch(x, labels);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const backend of ['cpu', 'wasm'] as const) {
    const ms = await tfjsLstmStep({ backend, input: 28, hidden: 30, output: 10, batch: 50, steps: 28, repeats: 5 });
    console.log(JSON.stringify({ tfjs: backend, msPerBatch: ms }));
  }
}
