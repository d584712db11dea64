import type { SeqBatch } from '../data/batch.ts';
import type { Model } from '../model/model.ts';
import { checkOneOf, describe } from '../validate.ts';
import { BpLambdaLearner, type BpLambdaOptions } from './bp-lambda.ts';
import { BpttLearner, type BpttOptions } from './bptt-learner.ts';
import { LambdaSgLearner, type LambdaSgOptions } from './lambda-sg.ts';
import { checkModel } from '../model/model.ts';
import { checkBatchLoss, checkLearner, type Learner, type SequenceResult } from './learner.ts';
import { checkSeqBatch } from '../data/validate-batch.ts';
import { lengthRows } from './trajectory.ts';
import { NStepSgLearner, type NStepSgOptions } from './nstep-sg.ts';
import { RtrlLearner, type RtrlOptions } from './rtrl.ts';

export type Method = 'bptt' | 'tbptt' | 'sg' | 'bp-lambda' | 'lambda-sg' | 'rtrl';
export const METHODS: readonly Method[] = ['bptt', 'tbptt', 'sg', 'bp-lambda', 'lambda-sg', 'rtrl'];

export interface MethodOptions {
  bptt: Omit<BpttOptions, 'truncation'>;
  tbptt: BpttOptions & { truncation: number };
  sg: NStepSgOptions;
  'bp-lambda': BpLambdaOptions;
  'lambda-sg': LambdaSgOptions;
  rtrl: RtrlOptions;
}

/** One entry point for every algorithm. */
export function createLearner<M extends Method>(method: M, model: Model, options: MethodOptions[M]): Learner {
  const m = checkOneOf(method, METHODS, 'createLearner: method');
  checkModel(model, 'createLearner: model');
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new Error(`createLearner: options: expected an object of ${m}'s options, at least { loss } (e.g. { loss: 'mse' }), received ${describe(options)}`);
  switch (m) {
    case 'bptt':
      if ((options as BpttOptions).truncation !== undefined) throw new Error(`createLearner: bptt: truncation: full BPTT takes none (use "tbptt"), received ${describe((options as BpttOptions).truncation)}`);
      return new BpttLearner(model, options as BpttOptions);
    case 'tbptt':
      if ((options as BpttOptions).truncation === undefined) throw new Error('createLearner: tbptt: truncation: expected an integer ≥ 1, received undefined');
      return new BpttLearner(model, options as BpttOptions);
    case 'sg':
      return new NStepSgLearner(model, options as NStepSgOptions);
    case 'bp-lambda':
      return new BpLambdaLearner(model, options as BpLambdaOptions);
    case 'lambda-sg':
      return new LambdaSgLearner(model, options as LambdaSgOptions);
    case 'rtrl':
      return new RtrlLearner(model, options as RtrlOptions);
  }
}

/**
 * Runs a whole batch through a learner (the last step terminal) and closes it. With
 * `batch.lengths`, example b takes part in its steps t < lengths[b] only and its last one is
 * terminal (step options `active`, `terminal`). The learner and the batch (in full, against the
 * learner's model and loss) are checked before the learner is reset; an error names the argument.
 */
export function trainSequence(learner: Learner, batch: SeqBatch): SequenceResult {
  checkLearner(learner, 'trainSequence: learner');
  checkSeqBatch(batch, learner.model, 'trainSequence: batch');
  checkBatchLoss(batch, learner, 'trainSequence: batch');
  const rows = lengthRows(batch);
  learner.reset(batch.B);
  for (let t = 0; t < batch.T; t++) {
    const r = rows[t];
    learner.step(batch.x[t], batch.y[t], t === batch.T - 1, r === null ? undefined : { active: r.held.map((h) => 1 - h), terminal: r.terminal });
  }
  return learner.end();
}

export { BpLambdaLearner, BpttLearner, LambdaSgLearner, NStepSgLearner, RtrlLearner };
