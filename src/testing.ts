/**
 * Helpers for property-based test suites (the entry point `bp-lambda/testing`): gradient checks
 * of a cell's or a learner's derivatives against finite differences, the reference computations
 * the project's own tests compare against (BPTT; an oracle synthesiser g = G under which BP(λ)
 * is BPTT; each example of a masked batch run alone), and fast-check arbitraries for models and
 * batches. It imports fast-check, an optional peer dependency of this entry only
 * (`npm install --save-dev fast-check`); the core does not. Not part of the browser bundles.
 */
export { checkCellGradients, checkLearnerGradients, centralDiff, fivePoint, type GradientCheckReport, type GradientCheckOptions, type CellCheckOptions } from './testing/gradient-check.ts';
export { bpttReference, oracleSynthesiserModel, perExampleReference } from './testing/oracles.ts';
export { modelArb, batchArb, modelAndBatchArb, type ModelArbOptions, type BatchArbOptions } from './testing/arbitraries.ts';
