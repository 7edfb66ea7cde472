import type { Module } from '@nextnets/core-layers';

/** A module with a train-time multi-branch form that can fold itself into its inference form. */
export interface Reparameterizable {
  reparameterize(): void;
}

function isReparameterizable(m: Module): m is Module & Reparameterizable {
  return typeof (m as Partial<Reparameterizable>).reparameterize === 'function';
}

/**
 * Structural re-parameterisation of a whole model, in place (timm `reparameterize_model` with inplace=True):
 * every RepVGG block becomes one biased 3×3 `reparam_conv`, every RepLKNet large-kernel conv one biased K×K
 * `lkb_reparam`. Run it in eval mode semantics: BN running statistics are folded. Returns the same model, whose
 * module tree and state dict are now the deploy form's. Already-fused modules are left as they are.
 */
export function reparameterize<M extends Module>(model: M): M {
  for (const [name, m] of model.namedModules()) {
    if (name !== '' && isReparameterizable(m)) m.reparameterize();
  }
  return model;
}
