/**
 * Engine-independent elementary functions. ECMAScript leaves the accuracy of Math.exp,
 * Math.log, Math.tanh, Math.cos, `**`, … to each engine ("implementation-approximated"), and
 * engines return different last bits (Node 20's V8, later V8 builds, Bun's JavaScriptCore and
 * QuickJS all differ); only +, −, ×, ÷ and Math.sqrt are correctly rounded everywhere. Every function here is built from those
 * operations and exact bit manipulation only, so it returns the same bits in every engine,
 * which keeps training bit-identical across Node, Bun, Deno, workerd, QuickJS and browsers.
 *
 * Each function states its algorithm, domain, special values and error bound (in ulps of the
 * float64 result); test/math/ checks the bounds against an arbitrary-precision BigInt oracle.
 * Float32 data: callers evaluate these float64 functions on float64 arguments and store the
 * result in a Float32Array, i.e. the float64 function rounded to float32.
 */
export { exp, expm1 } from './exp.ts';
export { log, log1p } from './log.ts';
export { tanh, sigmoid } from './hyperbolic.ts';
export { sinPi, cosPi } from './trig.ts';
export { powInt } from './pow.ts';
