import * as tf from '@tensorflow/tfjs-core';
import type { ParamLayout } from './layout.js';

/** Fan sizes in PyTorch's sense (`fan_in = in/groups·kh·kw`, `fan_out = out·kh·kw`), given to weight initializers. */
export interface Fans {
  fanIn: number;
  fanOut: number;
}

/** Creates the initial value of a parameter or buffer of the given (internal) shape. */
export type Initializer = (shape: number[], fans?: Fans) => tf.Tensor;

/** A trainable tensor owned by a module, with the layout it has in PyTorch checkpoints. */
export interface Parameter {
  variable: tf.Variable;
  layout: ParamLayout;
  /** Internal shape (equals `variable.shape`, except in shape-only models built by `withShapeOnlyInit`). */
  shape: number[];
}

/** A non-trainable state tensor (e.g. BatchNorm running statistics), saved in the state dict. */
export interface StateBuffer {
  variable: tf.Variable;
}

/** Receives multiply-accumulate counts from Conv2d/Linear while a profile forward pass runs. */
export interface MacCounter {
  add(macs: number): void;
}

let activeMacCounter: MacCounter | null = null;
let shapeOnly = false;
let placeholder: tf.Variable | null = null;

/**
 * Builds modules without allocating or initialising their parameters: every parameter records its shape and shares
 * one placeholder scalar. Use it to count the parameters of huge variants (`numParams`); such a model cannot run.
 */
export function withShapeOnlyInit<T>(build: () => T): T {
  const previous = shapeOnly;
  shapeOnly = true;
  try {
    return build();
  } finally {
    shapeOnly = previous;
  }
}

function newVariable(shape: number[], init: Initializer, trainable: boolean, fans?: Fans): tf.Variable {
  if (shapeOnly) {
    placeholder ??= tf.variable(tf.scalar(0), false, 'nextnets_shape_only_placeholder');
    return placeholder;
  }
  const value = init(shape, fans);
  const variable = tf.variable(value, trainable);
  value.dispose();
  return variable;
}

/** Runs `fn` while Conv2d/Linear report their MACs to `counter` (see `profile`). */
export function withMacCounter<T>(counter: MacCounter, fn: () => T): T {
  const previous = activeMacCounter;
  activeMacCounter = counter;
  try {
    return fn();
  } finally {
    activeMacCounter = previous;
  }
}

/** Called by compute layers to report their MACs when profiling. */
export function reportMacs(macs: number): void {
  activeMacCounter?.add(macs);
}

/**
 * The base of every layer and model, in the spirit of `torch.nn.Module`: it owns named parameters, buffers and
 * child modules, whose dotted paths are timm's state_dict keys (`stages.1.blocks.0.conv_dw.weight`).
 */
export abstract class Module {
  /** Train mode (BatchNorm batch statistics, DropPath and Dropout active) vs eval mode. */
  training = true;
  private readonly ownParams = new Map<string, Parameter>();
  private readonly ownBuffers = new Map<string, StateBuffer>();
  private readonly ownChildren = new Map<string, Module>();

  /** Registers a trainable parameter of internal shape `shape`, initialised by `init`. */
  protected addParameter(
    name: string,
    shape: number[],
    init: Initializer,
    layout: ParamLayout = 'none',
    fans?: Fans,
  ): tf.Variable {
    const variable = newVariable(shape, init, true, fans);
    this.ownParams.set(name, { variable, layout, shape: [...shape] });
    return variable;
  }

  /** Registers a non-trainable buffer of shape `shape`, initialised by `init`. */
  protected addBuffer(name: string, shape: number[], init: Initializer): tf.Variable {
    const variable = newVariable(shape, init, false);
    this.ownBuffers.set(name, { variable });
    return variable;
  }

  /** Registers a child module under `name` and returns it. */
  protected addModule<M extends Module>(name: string, module: M): M {
    this.ownChildren.set(name, module);
    return module;
  }

  /** Replaces or removes (with `null`) a registered child; the old child's tensors are disposed. */
  protected replaceModule(name: string, module: Module | null): void {
    this.ownChildren.get(name)?.dispose();
    if (module) this.ownChildren.set(name, module);
    else this.ownChildren.delete(name);
  }

  /** Removes a parameter registered on this module and disposes it. */
  protected removeParameter(name: string): void {
    const p = this.ownParams.get(name);
    if (p && p.variable !== placeholder) p.variable.dispose();
    this.ownParams.delete(name);
  }

  /** The forward pass on an NHWC (or [N, C]) tensor. */
  abstract forward(x: tf.Tensor): tf.Tensor;

  /** Direct children in registration order. */
  children(): Array<[string, Module]> {
    return [...this.ownChildren.entries()];
  }

  /** This module and all descendants with dotted names ('' for this one), depth first. */
  namedModules(prefix = ''): Array<[string, Module]> {
    const out: Array<[string, Module]> = [[prefix, this]];
    for (const [name, child] of this.ownChildren) out.push(...child.namedModules(join(prefix, name)));
    return out;
  }

  /** All parameters with their full dotted names, in registration order (own first, then children). */
  namedParameters(prefix = ''): Array<[string, Parameter]> {
    const out: Array<[string, Parameter]> = [];
    for (const [name, p] of this.ownParams) out.push([join(prefix, name), p]);
    for (const [name, child] of this.ownChildren) out.push(...child.namedParameters(join(prefix, name)));
    return out;
  }

  /** All buffers with their full dotted names. */
  namedBuffers(prefix = ''): Array<[string, StateBuffer]> {
    const out: Array<[string, StateBuffer]> = [];
    for (const [name, b] of this.ownBuffers) out.push([join(prefix, name), b]);
    for (const [name, child] of this.ownChildren) out.push(...child.namedBuffers(join(prefix, name)));
    return out;
  }

  /** Trainable variables, in `namedParameters` order. */
  parameters(): tf.Variable[] {
    return this.namedParameters().map(([, p]) => p.variable);
  }

  /** Total number of parameter elements (buffers excluded), as `sum(p.numel() for p in model.parameters())`. */
  numParams(): number {
    return this.namedParameters().reduce((n, [, p]) => n + p.shape.reduce((a, b) => a * b, 1), 0);
  }

  /** Sets train (`true`) or eval mode recursively. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Eval mode recursively. */
  eval(): this {
    return this.train(false);
  }

  /** Runs the forward pass (kept as `apply` so callers read like `model.apply(x)`). */
  apply(x: tf.Tensor): tf.Tensor {
    return this.forward(x);
  }

  /** Frees every parameter and buffer of this module and its descendants. */
  dispose(): void {
    for (const [, p] of this.ownParams) if (p.variable !== placeholder) p.variable.dispose();
    for (const [, b] of this.ownBuffers) if (b.variable !== placeholder) b.variable.dispose();
    for (const [, c] of this.ownChildren) c.dispose();
    this.ownParams.clear();
    this.ownBuffers.clear();
    this.ownChildren.clear();
  }
}

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

/** A module that returns its input (timm's `nn.Identity`). */
export class Identity extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return x;
  }
}

/** Children named '0', '1', … applied in order (`nn.Sequential`). */
export class Sequential extends Module {
  constructor(modules: Module[] = []) {
    super();
    modules.forEach((m, i) => this.addModule(String(i), m));
  }

  /** Appends a module, named by its index. */
  push(module: Module): this {
    this.addModule(String(this.children().length), module);
    return this;
  }

  get length(): number {
    return this.children().length;
  }

  /** The i-th child. */
  at<M extends Module = Module>(i: number): M {
    return this.children()[i][1] as M;
  }

  forward(x: tf.Tensor): tf.Tensor {
    let y = x;
    for (const [, m] of this.children()) y = m.forward(y);
    return y;
  }
}
