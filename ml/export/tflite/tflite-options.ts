/** The builtin options tables the TFLite converters write, one small writer per operator kind. */
import {
  ActivationFunctionType,
  AddOptions,
  ConcatenationOptions,
  Conv2DOptions,
  DepthwiseConv2DOptions,
  FullyConnectedOptions,
  L2NormOptions,
  MulOptions,
  Padding,
  Pool2DOptions,
  ReducerOptions,
  ReshapeOptions,
  ResizeNearestNeighborOptions,
  SoftmaxOptions,
} from './tflite-format/tflite-format_generated';
import { BuiltinOptions, type OperatorOptions } from './tflite-graph';

export { ActivationFunctionType, Padding };

export interface WindowOptions {
  padding: Padding;
  strides: [number, number];
  activation?: ActivationFunctionType;
}

export function conv2dOptions(o: WindowOptions & { dilations: [number, number] }): OperatorOptions {
  return {
    type: BuiltinOptions.Conv2DOptions,
    write: (b) =>
      Conv2DOptions.createConv2DOptions(
        b,
        o.padding,
        o.strides[1],
        o.strides[0],
        o.activation ?? ActivationFunctionType.NONE,
        o.dilations[1],
        o.dilations[0],
      ),
  };
}

export function depthwiseOptions(
  o: WindowOptions & { dilations: [number, number]; multiplier: number },
): OperatorOptions {
  return {
    type: BuiltinOptions.DepthwiseConv2DOptions,
    write: (b) =>
      DepthwiseConv2DOptions.createDepthwiseConv2DOptions(
        b,
        o.padding,
        o.strides[1],
        o.strides[0],
        o.multiplier,
        o.activation ?? ActivationFunctionType.NONE,
        o.dilations[1],
        o.dilations[0],
      ),
  };
}

export function poolOptions(o: WindowOptions & { filter: [number, number] }): OperatorOptions {
  return {
    type: BuiltinOptions.Pool2DOptions,
    write: (b) =>
      Pool2DOptions.createPool2DOptions(
        b,
        o.padding,
        o.strides[1],
        o.strides[0],
        o.filter[1],
        o.filter[0],
        o.activation ?? ActivationFunctionType.NONE,
      ),
  };
}

export function fullyConnectedOptions(activation = ActivationFunctionType.NONE): OperatorOptions {
  return {
    type: BuiltinOptions.FullyConnectedOptions,
    write: (b) => FullyConnectedOptions.createFullyConnectedOptions(b, activation),
  };
}

export function softmaxOptions(): OperatorOptions {
  return { type: BuiltinOptions.SoftmaxOptions, write: (b) => SoftmaxOptions.createSoftmaxOptions(b, 1) };
}

export function concatenationOptions(axis: number): OperatorOptions {
  return {
    type: BuiltinOptions.ConcatenationOptions,
    write: (b) => ConcatenationOptions.createConcatenationOptions(b, axis, ActivationFunctionType.NONE),
  };
}

export function addOptions(): OperatorOptions {
  return { type: BuiltinOptions.AddOptions, write: (b) => AddOptions.createAddOptions(b, ActivationFunctionType.NONE) };
}

export function mulOptions(): OperatorOptions {
  return { type: BuiltinOptions.MulOptions, write: (b) => MulOptions.createMulOptions(b, ActivationFunctionType.NONE) };
}

export function reducerOptions(keepDims: boolean): OperatorOptions {
  return { type: BuiltinOptions.ReducerOptions, write: (b) => ReducerOptions.createReducerOptions(b, keepDims) };
}

export function reshapeOptions(shape: number[]): OperatorOptions {
  return {
    type: BuiltinOptions.ReshapeOptions,
    write: (b) => ReshapeOptions.createReshapeOptions(b, ReshapeOptions.createNewShapeVector(b, shape)),
  };
}

/** Nearest resize as TF's UpSampling2D does it: output pixel i copies input pixel floor(i / factor). */
export function nearestResizeOptions(): OperatorOptions {
  return {
    type: BuiltinOptions.ResizeNearestNeighborOptions,
    write: (b) => ResizeNearestNeighborOptions.createResizeNearestNeighborOptions(b, false, false),
  };
}

export function l2NormOptions(): OperatorOptions {
  return {
    type: BuiltinOptions.L2NormOptions,
    write: (b) => L2NormOptions.createL2NormOptions(b, ActivationFunctionType.NONE),
  };
}
