/**
 * bp-lambda: online training of recurrent networks with synthetic gradients learned by
 * accumulate BP(λ). This entry point is the CSP-safe core: no Node built-ins, no code
 * generation, no runtime dependencies.
 */
export { Rng, type RngState } from './rng.ts';
export { Tensor } from './tensor/tensor.ts';
export { alloc, type Arr, type DType } from './tensor/dtype.ts';
export type { Backend } from './tensor/backend.ts';
export { jacobianEntry, jacobianToDense, type Jacobian } from './tensor/jacobian.ts';
export { JsBackend } from './tensor/js-backend.ts';
export { getBackend, setBackend } from './tensor/ops.ts';

export type { SeqBatch, InputBatch, LossKind } from './data/batch.ts';
export { makeBatch, type BatchSource, type InputSource, type BatchArray, type DenseArray3, type StridedArray3 } from './data/make-batch.ts';
export type { StepOptions } from './data/step-rows.ts';
export { ACTIVATIONS, type Activation } from './cells/activations.ts';
export type { Cell, CellCache, CellDefinition, CellOption, CellOptions } from './cells/cell.ts';
export { CELLS, CELL_TYPES, cellDefinition, cellVariants, createCell, type CellType, type CellVariant } from './cells/registry.ts';
export { RnnCell } from './cells/rnn.ts';
export { LstmCell } from './cells/lstm.ts';
export { GruCell } from './cells/gru.ts';
export { Readout } from './cells/readout.ts';
export { lossStep } from './cells/losses.ts';
export { Synthesiser } from './model/synthesiser.ts';
export { Model, createModel, type ModelSpec, type BaseModelSpec, type ModelGroups } from './model/model.ts';
export type { ParamGroup } from './tensor/params.ts';

export { traceUpdate, traceContract, tdError, traceSize } from './kernels/trace.ts';
export { lambdaTargets } from './kernels/lambda-targets.ts';

export { createLearner, trainSequence, METHODS, type Method, type MethodOptions } from './learners/index.ts';
export { BpLambdaLearner, type BpLambdaOptions } from './learners/bp-lambda.ts';
export { LambdaSgLearner, type LambdaSgOptions } from './learners/lambda-sg.ts';
export { NStepSgLearner, type NStepSgOptions } from './learners/nstep-sg.ts';
export { BpttLearner, type BpttOptions } from './learners/bptt-learner.ts';
export { RtrlLearner, type RtrlOptions } from './learners/rtrl.ts';
export { DivergenceError, type Learner, type StepResult, type SequenceResult } from './learners/learner.ts';
export { LEARNER_STATE_FORMAT, LEARNER_STATE_VERSION, type LearnerState, type ModelShape } from './learners/learner-state.ts';
export { bptt, type BpttResult } from './learners/bptt.ts';
export { forwardTrajectory, type Trajectory } from './learners/trajectory.ts';
export { gradientAlignment, type Alignment } from './learners/alignment.ts';
export { Predictor, predict, type PredictorStep, type PredictOptions, type Prediction } from './inference.ts';

export { Sgd } from './optim/sgd.ts';
export { Adam, type AdamOptions } from './optim/adam.ts';
export { OptimizerDivergenceError, type Optimizer, type OptimizerOptions, type GroupRates } from './optim/optimizer.ts';

export { modelFromJson, modelFromJsonText, modelToJson, type ModelJson } from './io/model-json.ts';
export { batchFromJson, batchFromJsonText, batchToJson } from './io/batch-json.ts';
export { gradsToJson } from './io/grads-json.ts';
export { fit, type FitOptions, type FitCallbacks, type FitProgress, type History, type AbortSignalLike, type CallbackResult } from './fit/fit.ts';
export type { FitData } from './fit/data.ts';
export { FIT_METRICS, type FitMetric, type Logs } from './fit/metrics.ts';
export { TrainingDivergedError } from './experiments/loop.ts';
