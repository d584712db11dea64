/**
 * The methods of `bp-lambda run` and `bp-lambda grads`. Adding a method is one file in this
 * folder exporting a `MethodSpec` (spec.ts) and one entry in `METHOD_SPECS`.
 */
import { checkOneOf } from '../../validate.ts';
import type { MethodSetting, MethodSpec } from '../spec.ts';
import { BP_LAMBDA } from './bp-lambda.ts';
import { BPTT } from './bptt.ts';
import { LAMBDA_SG } from './lambda-sg.ts';
import { RTRL } from './rtrl.ts';
import { SG } from './sg.ts';
import { TBPTT } from './tbptt.ts';

export const METHOD_SPECS: readonly MethodSpec[] = [BPTT, TBPTT, SG, BP_LAMBDA, LAMBDA_SG, RTRL];

/** The method `run` trains when none is named: the paper's. */
export const DEFAULT_METHOD = BP_LAMBDA.name;

export const METHOD_NAMES: readonly string[] = METHOD_SPECS.map((m) => m.name);

/** The spec of a registered method; throws naming `name` for anything else. */
export function methodSpec(method: unknown, name = 'method'): MethodSpec {
  const m = checkOneOf(method, METHOD_NAMES, name);
  return METHOD_SPECS.find((s) => s.name === m)!;
}

/** Every method setting once (shared settings are the same object in several specs), in order of first use. */
export function allMethodSettings(specs: readonly MethodSpec[] = METHOD_SPECS): MethodSetting[] {
  return [...new Set(specs.flatMap((m) => m.settings))];
}
