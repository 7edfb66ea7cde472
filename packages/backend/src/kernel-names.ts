/**
 * Names of the fused kernels @nextnets/backend registers, in one place: core-layers (GELU, SiLU, LayerNorm, BatchNorm) and
 * optim (AdamW) look them up by these names and fall back to composite tfjs ops when the active backend lacks them.
 * This module holds only strings (`@nextnets/backend/kernel-names`), so importing it registers nothing.
 */
export const FUSED_GELU = 'NextnetsGelu';
export const FUSED_GELU_GRAD = 'NextnetsGeluGrad';
/** SiLU / swish x·σ(x): input {x}; the gradient kernel takes {dy, x}. */
export const FUSED_SILU = 'NextnetsSilu';
export const FUSED_SILU_GRAD = 'NextnetsSiluGrad';
export const FUSED_LAYER_NORM = 'NextnetsLayerNorm';
export const FUSED_LAYER_NORM_GRAD = 'NextnetsLayerNormGrad';
/** Training-mode BatchNorm over the last axis: inputs {x, weight, bias}, attrs {eps}, outputs [y, mean, variance]. */
export const FUSED_BATCH_NORM = 'NextnetsBatchNorm';
export const FUSED_BATCH_NORM_GRAD = 'NextnetsBatchNormGrad';
/** Training-mode BatchNorm then SiLU in one kernel: inputs {x, weight, bias}, attrs {eps}, outputs [silu(y), mean, variance]. */
export const FUSED_BATCH_NORM_SILU = 'NextnetsBatchNormSilu';
/** Its gradient: inputs {dy, x, weight, bias, mean, variance}, attrs {eps}, outputs [dx, dweight, dbias]. */
export const FUSED_BATCH_NORM_SILU_GRAD = 'NextnetsBatchNormSiluGrad';
/** AdamW update: inputs param, grad, m, v; outputs new param, m, v. */
export const FUSED_ADAMW_UPDATE = 'NextnetsAdamWUpdate';
/**
 * Global Response Normalization (ConvNeXt V2) of x [N, …, C]: inputs {x, weight, bias}, attrs {eps}, outputs [y, g]
 * with g [N, C] the L2 norms over the middle axes; the gradient kernel takes {dy, x, weight, g} and gives [dx, dweight, dbias].
 */
export const FUSED_GRN = 'NextnetsGrn';
export const FUSED_GRN_GRAD = 'NextnetsGrnGrad';
