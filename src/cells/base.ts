import type { DType } from '../tensor/dtype.ts';
import type { ParamGroup } from '../tensor/params.ts';
import { zeroParams } from './init.ts';
import { RowScratch } from './param-rows.ts';

/** What every cell holds: its sizes, its element type and Ψ (zeros in its definition's shapes when not given). */
export abstract class CellBase {
  readonly params: ParamGroup;
  /** scratch of vjpParamsRows (pre-activation gradients of many rows) */
  protected readonly rowScratch = new RowScratch();

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    readonly stateSize: number,
    readonly dtype: DType,
    shapes: Readonly<Record<string, readonly number[]>>,
    params?: ParamGroup,
  ) {
    this.params = params ?? zeroParams(shapes, dtype);
  }
}
