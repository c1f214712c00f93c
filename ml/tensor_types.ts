/**
 * The tfjs tensor types `ml/` uses in its signatures, as this package's own names, so its public API
 * documents them (`deno doc --lint`) without re-exporting all of tfjs-core.
 */
import type * as tfc from "@tensorflow/tfjs-core";

/** A tensor rank (tfjs's `Rank` enum). */
export type Rank = tfc.Rank;
/** A tfjs tensor. */
export type Tensor = tfc.Tensor;
/** A 0-d tensor. */
export type Scalar = tfc.Scalar;
/** A 1-d tensor. */
export type Tensor1D = tfc.Tensor1D;
/** A 2-d tensor. */
export type Tensor2D = tfc.Tensor2D;
/** A 3-d tensor. */
export type Tensor3D = tfc.Tensor3D;
/** A 4-d tensor. */
export type Tensor4D = tfc.Tensor4D;
/** A mutable tensor (weights, optimizer state). */
export type Variable = tfc.Variable;
/** A 1-d variable (a bias, a LayerNorm gain). */
export type Variable1D = Variable & Tensor1D;
/** A 2-d variable (a weight matrix, an embedding table). */
export type Variable2D = Variable & Tensor2D;
