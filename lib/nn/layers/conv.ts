import { checkInt, invalidRange } from '../../check';
import * as F from '../../ops';
import { Tensor, zeros } from '../../tensor';
import { resetLinearLike } from '../init';
import { Module, parameter } from '../module';

export type Size2 = number | [number, number];

export interface Conv2dLayerOptions {
  stride?: Size2;
  /** A number, [pH, pW], [top, bottom, left, right], 'same' or 'valid' (PyTorch's forms). */
  padding?: F.Conv2dOptions['padding'];
  dilation?: Size2;
  groups?: number;
  bias?: boolean;
}

export function pairOf(op: string, name: string, v: Size2): [number, number] {
  const p = Array.isArray(v) ? v : [v, v];
  if (p.length !== 2) throw invalidRange(op, name, 'a number or a pair', v);
  return [checkInt(op, `${name}[0]`, p[0], 1), checkInt(op, `${name}[1]`, p[1], 1)];
}

/** nn.Conv2d on NHWC input; weight [out, in/groups, kH, kW] as PyTorch. */
export class Conv2d extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly options: F.Conv2dOptions;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: Size2,
    options: Conv2dLayerOptions = {},
  ) {
    super();
    const op = 'Conv2d';
    checkInt(op, 'inChannels', inChannels, 1);
    checkInt(op, 'outChannels', outChannels, 1);
    const [kh, kw] = pairOf(op, 'kernelSize', kernelSize);
    const groups = checkInt(op, 'groups', options.groups ?? 1, 1);
    if (inChannels % groups || outChannels % groups)
      throw invalidRange(
        op,
        'groups',
        `a divisor of inChannels ${inChannels} and outChannels ${outChannels}`,
        groups,
      );
    this.options = {
      stride: options.stride ?? 1,
      padding: options.padding ?? 0,
      dilation: options.dilation ?? 1,
      groups,
    };
    this.weight = parameter(zeros([outChannels, inChannels / groups, kh, kw]));
    this.bias = options.bias === false ? null : parameter(zeros([outChannels]));
    resetLinearLike(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    const outputs = this.pendingOutputs ?? {};
    this.pendingOutputs = null;
    return F.conv2d(x, this.weight, this.bias, this.options, outputs);
  }

  /** forwardWith's outputs, read (and cleared) by the forward call it makes. */
  private pendingOutputs: F.Conv2dOutputs | null = null;

  /**
   * forward that also fills F.conv2d's extra outputs (`batchStats`: the output's batch
   * statistics for a batch norm that follows). It goes through forward, so what wraps forward
   * (the profiler's hooks) sees the call.
   */
  forwardWith(x: Tensor, outputs: F.Conv2dOutputs): Tensor {
    this.pendingOutputs = outputs;
    try {
      return this.forward(x);
    } finally {
      this.pendingOutputs = null;
    }
  }
}
