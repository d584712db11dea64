/**
 * PyTorch interchange (the entry point `bp-lambda/pytorch`): state_dicts of nn.RNN, nn.LSTM and
 * nn.GRU plus an nn.Linear readout, as objects, as JSON and as safetensors files. Like the core,
 * it runs everywhere (no Node built-ins, no code generation); it is a separate entry so that
 * the core bundle does not carry it.
 */
export {
  modelFromStateDict,
  modelToStateDict,
  modelFromSafetensors,
  modelToSafetensors,
  stateDictFromJson,
  stateDictToJson,
  torchModuleOf,
  gateCount,
  TORCH_RECURRENT_MODULES,
  TORCH_NONLINEARITIES,
  type StateDict,
  type StateDictPrefixes,
  type ModelFromStateDictOptions,
  type ModelToStateDictOptions,
  type TorchRecurrentModule,
  type TorchNonlinearity,
} from './io/state-dict.ts';
export { readSafetensors, writeSafetensors, MAX_HEADER_BYTES, type Safetensors, type SafetensorsDType } from './io/safetensors.ts';
