import { checkDType, type DType } from '../tensor/dtype.ts';
import type { ParamGroup } from '../tensor/params.ts';
import { checkSizes, initParams } from './init.ts';
import { RowScratch } from './param-rows.ts';

/** What every cell holds: its sizes, its element type and Ψ (zeros in its definition's shapes when not given). */
export abstract class CellBase {
  readonly params: ParamGroup;
  /** scratch of vjpParamsRows (pre-activation gradients of many rows) */
  protected readonly rowScratch = new RowScratch();

  /** `owner` names the class in errors (sizes not positive integers, params of other names, shapes or dtype) */
  constructor(
    owner: string,
    readonly inputSize: number,
    readonly hiddenSize: number,
    readonly stateSize: number,
    readonly dtype: DType,
    shapes: Readonly<Record<string, readonly number[]>>,
    params?: ParamGroup,
  ) {
    checkSizes(owner, { inputSize, hiddenSize });
    checkDType(dtype, `${owner}: dtype`);
    this.params = initParams(owner, shapes, dtype, params);
  }
}
