import { sigmoid, tanh } from '../math/index.ts';

export { sigmoid };

/** Elementwise activations of the vanilla RNN and their derivatives (from a and φ(a)). */
export type Activation = 'identity' | 'tanh' | 'relu' | 'sigmoid';
export const ACTIVATIONS: readonly Activation[] = ['identity', 'tanh', 'relu', 'sigmoid'];

export function activate(kind: Activation, a: number): number {
  switch (kind) {
    case 'identity':
      return a;
    case 'tanh':
      return tanh(a);
    case 'relu':
      return a > 0 ? a : 0;
    case 'sigmoid':
      return sigmoid(a);
  }
}

/** φ'(a), given a and h = φ(a). relu'(0) is taken as 0. */
export function activationGrad(kind: Activation, a: number, h: number): number {
  switch (kind) {
    case 'identity':
      return 1;
    case 'tanh':
      return 1 - h * h;
    case 'relu':
      return a > 0 ? 1 : 0;
    case 'sigmoid':
      return h * (1 - h);
  }
}
