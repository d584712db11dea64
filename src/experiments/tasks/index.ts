/**
 * The tasks of `bp-lambda run`. Adding a task is one file in this folder exporting a `TaskSpec`
 * (spec.ts) and one entry in `TASK_SPECS`.
 */
import { checkOneOf } from '../../validate.ts';
import type { Setting, TaskSpec } from '../spec.ts';
import { COPY_REPEAT } from './copy-repeat.ts';
import { SEQ_MNIST } from './seq-mnist.ts';
import { LINE_DRAW, TOY } from './toy.ts';

export type AnyTaskSpec = TaskSpec<any, any>;

export const TASK_SPECS: readonly AnyTaskSpec[] = [TOY, LINE_DRAW, SEQ_MNIST, COPY_REPEAT];

export const TASK_NAMES: readonly string[] = TASK_SPECS.map((t) => t.name);

/** The spec of a registered task; throws naming `name` for anything else. */
export function taskSpec(task: unknown, name = 'task'): AnyTaskSpec {
  const t = checkOneOf(task, TASK_NAMES, name);
  return TASK_SPECS.find((s) => s.name === t)!;
}

/** Every task option once (tasks may share an option object), with the tasks that take it. */
export function allTaskOptions(): { setting: Setting; tasks: string[] }[] {
  const out = new Map<Setting, string[]>();
  for (const t of TASK_SPECS) for (const o of t.options) out.set(o, [...(out.get(o) ?? []), t.name]);
  return [...out].map(([setting, tasks]) => ({ setting, tasks }));
}
